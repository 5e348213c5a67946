/**
 * Where the file-writing callbacks (`csvLogger`, `tensorBoard`) write: a small file-system
 * interface, so the callbacks stay platform-neutral. "ragged-rnn/node" installs the real file system
 * (src/node/log_files.ts); elsewhere (a browser page, a Web Worker) the default is an in-memory
 * store whose files a page can read back, e.g. to offer them for download.
 *
 * @example
 * const files = memoryLogFiles();
 * await model.fit(xs, ys, { callbacks: [csvLogger({ filename: "log.csv", files })] });
 * new TextDecoder().decode(files.get("log.csv")); // "epoch,loss,…"
 */

/** The operations the loggers need; paths use "/" and are relative to the process (or store). */
export interface LogFiles {
  /** Creates `dir` and its parents; fine if it exists. */
  mkdir(dir: string): Promise<void>;
  /** Whether anything exists at `path`. */
  exists(path: string): Promise<boolean>;
  /** The bytes of a file, or null when there is none. */
  read(path: string): Promise<Uint8Array | null>;
  /** Creates or truncates `path` and writes `data`. */
  write(path: string, data: Uint8Array | string): Promise<void>;
  /** Appends `data` to `path`, creating it when missing. */
  append(path: string, data: Uint8Array | string): Promise<void>;
  /** Names the writer in TensorBoard event-file names (`events.out.tfevents.<time>.<host>.<pid>…`). */
  readonly hostname: string;
  readonly pid: number;
}

/** An in-memory LogFiles; `get(path)` returns a file's bytes, `paths()` every file written. */
export interface MemoryLogFiles extends LogFiles {
  get(path: string): Uint8Array | undefined;
  paths(): string[];
}

const encoder = new TextEncoder();

function bytes(data: Uint8Array | string): Uint8Array {
  return typeof data === "string" ? encoder.encode(data) : data;
}

/** Removes "./" segments and duplicate or trailing slashes, so one file has one key. */
function normalise(path: string): string {
  return path
    .split("/")
    .filter((part, i) => part !== "." && (part !== "" || i === 0))
    .join("/");
}

/** A LogFiles that keeps everything in memory (the default outside Node). */
export function memoryLogFiles(): MemoryLogFiles {
  const files = new Map<string, Uint8Array>();
  const dirs = new Set<string>();
  return {
    hostname: "browser",
    pid: 0,
    async mkdir(dir) {
      const parts = normalise(dir).split("/");
      for (let i = 1; i <= parts.length; i++) dirs.add(parts.slice(0, i).join("/"));
    },
    async exists(path) {
      const p = normalise(path);
      return files.has(p) || dirs.has(p);
    },
    async read(path) {
      const data = files.get(normalise(path));
      return data ? data.slice() : null;
    },
    async write(path, data) {
      files.set(normalise(path), bytes(data).slice());
    },
    async append(path, data) {
      const p = normalise(path);
      const old = files.get(p) ?? new Uint8Array(0);
      const add = bytes(data);
      const joined = new Uint8Array(old.length + add.length);
      joined.set(old);
      joined.set(add, old.length);
      files.set(p, joined);
    },
    get: (path) => files.get(normalise(path))?.slice(),
    paths: () => [...files.keys()].sort(),
  };
}

let defaultFiles: LogFiles | null = null;

/** The LogFiles used when a logger is given none: the file system under "ragged-rnn/node", else one shared in-memory store. */
export function defaultLogFiles(): LogFiles {
  defaultFiles ??= memoryLogFiles();
  return defaultFiles;
}

/** Sets the default LogFiles ("ragged-rnn/node" installs the file system). */
export function setDefaultLogFiles(files: LogFiles): void {
  defaultFiles = files;
}

/** `a/b` + `c` → `a/b/c`. */
export function joinPath(...parts: string[]): string {
  return parts
    .filter((p) => p !== "")
    .map((p, i) => (i === 0 ? p.replace(/\/+$/, "") : p.replace(/^\/+|\/+$/g, "")))
    .join("/");
}
