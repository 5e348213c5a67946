/**
 * What data-parallel training needs from the platform: a way to start a worker (Node
 * `worker_threads`, a browser's Web Worker) and the default thread count. The platform-neutral
 * build has neither, so training runs on one thread there until an entry point registers them:
 * "ragged-rnn/node" does (src/node/threads.ts); in a browser, register a factory whose worker script
 * calls `serveReplica` (replica.ts).
 *
 * @example
 * // browser: the worker script (ragged_worker.js) is
 * //   import { modelFromArtifacts, serveReplica } from "ragged-rnn";
 * //   serveReplica(self, (artifacts) => modelFromArtifacts(artifacts));
 * setThreadPlatform({
 *   createWorker: () => new Worker(new URL("./ragged_worker.js", import.meta.url), { type: "module" }),
 *   defaultThreads: () => navigator.hardwareConcurrency ?? 1,
 * });
 */
import { RaggedError, describe } from "../../core/errors.js";

/** A message event as both Node's worker adapter and the browser deliver it. */
export interface MessageLike {
  data: unknown;
}

/** The part of a Worker (Web Worker, or a Node worker_threads adapter) that training uses. */
export interface WorkerLike {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  onmessage: ((event: MessageLike) => void) | null;
  /** Called when the worker fails outside a message (it crashed, its script did not load). */
  onerror: ((error: unknown) => void) | null;
  terminate(): void | Promise<unknown>;
  /** Node only: let the process exit while the worker idles (`unref`), or not (`ref`). */
  ref?(): void;
  unref?(): void;
}

export interface ThreadPlatform {
  /** Starts one worker running the replica script (see `serveReplica`). */
  createWorker(): WorkerLike;
  /** The default thread count (the number of cores). */
  defaultThreads(): number;
}

let platform: ThreadPlatform | null = null;

/** Registers how to start workers (done by "ragged-rnn/node"); `null` turns threads off. */
export function setThreadPlatform(next: ThreadPlatform | null): void {
  platform = next;
}

/** The registered platform, or null when training can only use the calling thread. */
export function threadPlatform(): ThreadPlatform | null {
  return platform;
}

let warnedNoPlatform = false;

/**
 * Asking for threads where no worker factory is registered trains on the calling thread; that is
 * said once per process (console.warn), since it was not what the caller asked for. (Running the
 * platform-neutral entry in Node, "ragged-rnn" resolved without the "node" condition, does this.)
 */
function warnNoPlatform(threads: number): void {
  if (warnedNoPlatform) return;
  warnedNoPlatform = true;
  console.warn(
    `ragged: threads: ${threads} was asked for, but no worker factory is registered, so training runs on the calling thread. ` +
      `In Node import "ragged-rnn/node" (the package's Node entry registers worker_threads); in a browser call setThreadPlatform.`,
  );
}

/**
 * The thread count for a training call: the option when given (validated), else the platform's
 * default (the number of cores), else 1. The option is capped at the core count (the platform's
 * default; 1 without a platform): more threads than cores only add workers that compete for the
 * same cores (`threads: 256` once took 26 s and 3.3 GB for 4 sequences). A step then starts no
 * more workers than its batch has shares (MIN_SEQUENCES_PER_SHARD in shards.ts). Asking for more
 * than one thread without a platform warns once (warnNoPlatform).
 * @throws RaggedError `INVALID_ARGUMENT` unless `threads` is a positive integer.
 */
export function resolveThreads(threads: unknown): number {
  const cores = platform ? Math.max(1, Math.floor(platform.defaultThreads())) : 1;
  if (threads === undefined) return cores;
  if (typeof threads !== "number" || !Number.isInteger(threads) || threads < 1) {
    throw new RaggedError("INVALID_ARGUMENT", "`threads` must be a positive integer.", {
      received: `threads = ${describe(threads)}`,
      help: "use 1 to train on the calling thread only, or leave it out for one thread per core",
    });
  }
  if (platform === null && threads > 1) warnNoPlatform(threads);
  return Math.min(threads, cores);
}
