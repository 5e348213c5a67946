/**
 * Training threads in Node.js: `worker_threads` workers running worker_entry, registered as the
 * thread platform (training/parallel/platform.ts) with one thread per core by default
 * (`os.availableParallelism()`). Importing "ragged-rnn/node" registers it.
 *
 * The entry script sits next to this file: worker_entry.js in the built dist/, worker_entry.ts when
 * ragged runs from its TypeScript sources (tests), where the worker registers tsx to read it.
 */
import os from "node:os";
import { Worker } from "node:worker_threads";
import { setThreadPlatform, type MessageLike, type WorkerLike } from "../training/parallel/platform.js";

const fromSources = import.meta.url.endsWith(".ts");
const entry = new URL(fromSources ? "./worker_entry.ts" : "./worker_entry.js", import.meta.url);

/**
 * The worker for TypeScript sources: a bootstrap that registers tsx (a devDependency), then imports
 * the entry. (`execArgv: ["--import", "tsx"]` does not reach a worker's own entry in Node 20.)
 */
function sourceWorker(): Worker {
  const tsx = import.meta.resolve("tsx/esm/api");
  const bootstrap = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(bootstrap, { eval: true });
}

/** A worker_threads Worker behind the `WorkerLike` interface (Web Worker style callbacks). */
export function createNodeWorker(): WorkerLike {
  const worker = fromSources ? sourceWorker() : new Worker(entry);
  let stopping = false;
  const like: WorkerLike = {
    postMessage: (message, transfer) => worker.postMessage(message, transfer as ArrayBuffer[] | undefined),
    onmessage: null,
    onerror: null,
    terminate: () => {
      stopping = true;
      return worker.terminate();
    },
    ref: () => worker.ref(),
    unref: () => worker.unref(),
  };
  worker.on("message", (data: unknown) => like.onmessage?.({ data } satisfies MessageLike));
  worker.on("error", (err) => like.onerror?.(err));
  worker.on("exit", (code) => {
    if (!stopping) like.onerror?.(new Error(`ragged: a training thread exited unexpectedly (code ${code})`));
  });
  return like;
}

/** The default thread count in Node: the cores this process may use. */
export function nodeThreads(): number {
  return typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length;
}

setThreadPlatform({ createWorker: createNodeWorker, defaultThreads: nodeThreads });
