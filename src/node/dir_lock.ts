/**
 * NOTE [ directory locks ]: a lock file in a directory, holding the owner's pid and a random token,
 * created with O_EXCL so exactly one holder exists. Saves to one directory take `.ragged-save.lock`
 * for the few milliseconds of the save (waiting for each other: the last complete save wins intact);
 * `ragged train` takes `.ragged-train.lock` on its `--out` for the whole run (a second train there is
 * refused). A lock whose owner process is gone (killed with -9) is stale and is broken by the next
 * taker; an unreadable (empty) lock is stale once it is 10 s old (its owner died between create and
 * write). In one process, takers of the same lock queue in memory first, so they never poll each other.
 *
 * @example
 * await withDirLock(dir, ".ragged-save.lock", { wait: true }, async () => { ... });
 */
import { randomBytes } from "node:crypto";
import { promises as fsp } from "node:fs";
import * as path from "node:path";
import { RaggedError } from "../core/errors.js";

export interface DirLockOptions {
  /** Wait for a live holder to release (true), or refuse at once with `LOCKED` (false). */
  wait: boolean;
  /** How long to wait for a live holder before `LOCKED` (default 60 s). */
  timeoutMs?: number;
  /** What the lock guards, for the error message (e.g. "a save", "a training run"). */
  what?: string;
}

/** Per lock path: the tail of this process's queue of takers. */
const queues = new Map<string, Promise<unknown>>();

/**
 * Runs `body` holding the lock file `name` in `dir` (which must exist).
 * @throws RaggedError `LOCKED` when a live process holds it (at once without `wait`, after
 *   `timeoutMs` with it); `IO_ERROR` when the lock cannot be created.
 */
export async function withDirLock<T>(dir: string, name: string, options: DirLockOptions, body: () => Promise<T>): Promise<T> {
  const file = path.resolve(dir, name);
  const previous = queues.get(file);
  if (previous && !options.wait) throw locked(file, `${process.pid} (this process)`, options);
  let done!: () => void;
  const mine = new Promise<void>((resolve) => (done = resolve));
  const tail = (previous ?? Promise.resolve()).then(() => mine);
  queues.set(file, tail);
  try {
    await previous?.catch(() => undefined);
    const token = await acquire(file, options);
    try {
      return await body();
    } finally {
      await release(file, token);
    }
  } finally {
    done();
    if (queues.get(file) === tail) queues.delete(file);
  }
}

async function acquire(file: string, options: DirLockOptions): Promise<string> {
  const token = `${process.pid} ${randomBytes(8).toString("hex")}\n`;
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
    try {
      await fsp.writeFile(file, token, { flag: "wx" });
      return token;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") {
        throw new RaggedError("IO_ERROR", `${file}: cannot create the lock file.`, { received: (e as Error).message, help: "check that the directory is writable" });
      }
    }
    const holder = await readHolder(file);
    if (holder.stale) {
      await breakStale(file, holder.text);
      continue;
    }
    if (!options.wait || Date.now() > deadline) throw locked(file, holder.pid === null ? "unknown" : String(holder.pid), options);
    await new Promise((r) => setTimeout(r, delay));
  }
}

async function readHolder(file: string): Promise<{ pid: number | null; text: string | null; stale: boolean }> {
  let text: string;
  try {
    text = await fsp.readFile(file, "utf8");
  } catch {
    return { pid: null, text: null, stale: false }; // released meanwhile: try again
  }
  const match = /^(\d+) [0-9a-f]+\n$/.exec(text);
  if (!match) {
    const age = await fsp.stat(file).then((s) => Date.now() - s.mtimeMs, () => 0);
    return { pid: null, text, stale: age > 10_000 };
  }
  const pid = Number(match[1]);
  // This process's own takers of the lock queue in memory, so a lock naming this pid is a leftover.
  return { pid, text, stale: pid === process.pid || !processAlive(pid) };
}

/** Removes a stale lock, unless another taker replaced it meanwhile (its content changed). */
async function breakStale(file: string, seen: string | null): Promise<void> {
  const aside = `${file}.stale-${randomBytes(4).toString("hex")}`;
  try {
    await fsp.rename(file, aside);
  } catch {
    return;
  }
  const moved = await fsp.readFile(aside, "utf8").catch(() => null);
  if (moved !== seen && moved !== null) {
    // another process broke it and took it between our read and our rename: put theirs back
    await fsp.link(aside, file).catch(() => undefined);
  }
  await fsp.unlink(aside).catch(() => undefined);
}

async function release(file: string, token: string): Promise<void> {
  const text = await fsp.readFile(file, "utf8").catch(() => null);
  if (text === token) await fsp.unlink(file).catch(() => undefined);
}

/** Whether a process with this pid runs (EPERM: it runs under another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

function locked(file: string, holder: string, options: DirLockOptions): RaggedError {
  return new RaggedError("LOCKED", `${path.dirname(file)} is in use by ${options.what ?? "another process"} (lock file ${path.basename(file)}, pid ${holder}).`, {
    expected: "no other process writing to this directory",
    received: `a lock held by pid ${holder}`,
    help: "wait for it to finish or choose another directory; if no such process runs, delete the lock file",
  });
}
