/**
 * The `file://` IOHandler (Node only): a model is a directory with `model.json` and `weights.bin`
 * (the same two names whoever saves: `model.save`, `saveModel`, `modelCheckpoint`, `ragged train`).
 *
 * NOTE [ atomic save ]
 * A save never leaves a half-written model where a loadable one was: at every moment model.json
 * names a weights file that exists, complete, with the weights that model.json describes. Renaming
 * a file onto a name is atomic, but a save replaces two files, so it commits twice, and between the
 * two commits model.json names a staging file instead of weights.bin:
 *
 *   1. the new weights are written and fsynced under a staging name, `.weights.bin.tmp-<pid>-<random>`;
 *   2. a new model.json naming the staging file is written, fsynced and renamed onto model.json —
 *      the commit: before it the previous model.json and weights.bin are untouched, after it the
 *      new model loads and nothing names weights.bin;
 *   3. weights.bin is replaced by the staging file's data (a hard link renamed onto it, or where
 *      links are not supported a second fsynced copy) — safe, since nothing names weights.bin;
 *   4. the final model.json naming weights.bin is renamed onto model.json (the weights are the same);
 *   5. the staging file and temporaries of earlier interrupted saves are deleted.
 *
 * The directory is fsynced after each rename. A kill or a full disk before step 2 leaves the previous
 * model; from step 2 on, the new one (at worst naming its staging file, until the next save tidies
 * up). A save that fails after its commit still throws `IO_ERROR`, saying the new model is in place.
 * Nothing is deleted that the current model.json names.
 *
 * Saves to one directory serialise (two models in one process, or two processes): each holds the
 * directory's `.ragged-save.lock` from its first write to its clean-up (NOTE [ directory locks ] in
 * dir_lock.ts), so the last save to finish wins, intact, and no save deletes another's files.
 *
 * @example
 * await model.save("file://./model");          // ./model/model.json + ./model/weights.bin
 * const again = await loadModel("file://./model/model.json");
 */
import { randomBytes } from "node:crypto";
import { promises as fsp } from "node:fs";
import * as path from "node:path";
import { RaggedError } from "../core/errors.js";
import { type ModelArtifacts, type ModelJSON, type SaveResult, artifactsInfo, concatWeightData } from "../io/artifacts.js";
import type { IOHandler } from "../io/handlers/io_handler.js";
import { registerRoute } from "../io/handlers/router.js";
import { artifactsFromModelJSON, modelJSONFromArtifacts } from "../io/model_json.js";
import { withDirLock } from "./dir_lock.js";
import { makeDir } from "./make_dir.js";

/** The file operations the handler uses; tests inject failing ones. */
export interface FileOps {
  /** Creates or truncates `file`, writes `data`, fsyncs and closes it. */
  writeFile(file: string, data: Uint8Array): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  unlink(file: string): Promise<void>;
  readFile(file: string): Promise<Uint8Array>;
  mkdir(dir: string): Promise<void>;
  /** Makes renames in `dir` durable (fsync of the directory); best effort. */
  syncDir(dir: string): Promise<void>;
  readdir(dir: string): Promise<string[]>;
  /**
   * Gives `existing` a second name `newPath` (a hard link). Optional: without it, or where it fails
   * (a file system without links), the handler writes a second copy instead.
   */
  link?(existing: string, newPath: string): Promise<void>;
}

export const nodeFileOps: FileOps = {
  async writeFile(file, data) {
    const fh = await fsp.open(file, "w");
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
  },
  rename: (from, to) => fsp.rename(from, to),
  unlink: (file) => fsp.unlink(file),
  readFile: async (file) => new Uint8Array(await fsp.readFile(file)),
  mkdir: makeDir,
  async syncDir(dir) {
    try {
      const fh = await fsp.open(dir, "r");
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
    } catch {
      // Some platforms (Windows) cannot open or fsync a directory; the renames are still atomic.
    }
  },
  readdir: (dir) => fsp.readdir(dir),
  link: (existing, newPath) => fsp.link(existing, newPath),
};

export interface FileHandlerOptions {
  /** File operations (default: node:fs with fsync). */
  ops?: FileOps;
}

const MODEL_FILE = "model.json";
const WEIGHTS_FILE = "weights.bin";
/** Earlier versions alternated with this name; a save removes it. */
const OLD_WEIGHTS_FILE = "weights-1.bin";
const SAVE_LOCK = ".ragged-save.lock";

function processAlive(pid: number): boolean {
  if (pid === process.pid) return false; // this process's own temporaries are gone once it commits
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return errno(e) === "EPERM";
  }
}

function errno(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException)?.code;
}

export class FileHandler implements IOHandler {
  /** The model.json path. */
  readonly source: string;
  private readonly ops: FileOps;

  /** @param target - a directory, or the path of its model.json. */
  constructor(target: string, options: FileHandlerOptions = {}) {
    this.source = target.endsWith(".json") ? target : path.join(target, MODEL_FILE);
    this.ops = options.ops ?? nodeFileOps;
  }

  private get dir(): string {
    return path.dirname(this.source);
  }

  async save(artifacts: ModelArtifacts): Promise<SaveResult> {
    const { ops, dir } = this;
    try {
      await ops.mkdir(dir);
    } catch (e) {
      throw new RaggedError("IO_ERROR", `${dir}: cannot create the model directory.`, { received: (e as Error).message });
    }
    return withDirLock(dir, SAVE_LOCK, { wait: true, what: "another save" }, () => this.saveLocked(artifacts));
  }

  /** NOTE [ atomic save ]: steps 1–5. */
  private async saveLocked(artifacts: ModelArtifacts): Promise<SaveResult> {
    const { ops, dir } = this;
    const modelName = path.basename(this.source);
    const suffix = () => `.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
    const stagingName = `.${WEIGHTS_FILE}${suffix()}`;
    const staging = path.join(dir, stagingName);
    const weightsFile = path.join(dir, WEIGHTS_FILE);
    const data = new Uint8Array(concatWeightData(artifacts.weightData));
    const tmpModel = path.join(dir, `.${modelName}${suffix()}`);
    const tmpWeights = path.join(dir, `.${WEIGHTS_FILE}${suffix()}`);
    let step = staging;
    let committed = false;
    try {
      await ops.writeFile(staging, data); // 1
      step = tmpModel;
      await ops.writeFile(tmpModel, encodeJSON(modelJSONFromArtifacts(artifacts, [stagingName])));
      step = this.source;
      await ops.rename(tmpModel, this.source); // 2: the commit
      committed = true;
      await ops.syncDir(dir);
      step = weightsFile;
      await this.secondName(staging, tmpWeights, data); // 3
      await ops.rename(tmpWeights, weightsFile);
      await ops.syncDir(dir);
      step = this.source;
      await ops.writeFile(tmpModel, encodeJSON(modelJSONFromArtifacts(artifacts, [WEIGHTS_FILE])));
      await ops.rename(tmpModel, this.source); // 4
      await ops.syncDir(dir);
    } catch (e) {
      // Before the commit every file of this save goes; after it, the staging file is the model's.
      const leftovers = committed ? [tmpModel, tmpWeights] : [staging, tmpModel];
      await Promise.all(leftovers.map((f) => ops.unlink(f).catch(() => undefined)));
      const what = committed
        ? `the new model is saved and loads (its model.json names ${stagingName}), but moving its weights to ${WEIGHTS_FILE} failed; the next save tidies up`
        : `the previous model in ${dir} is unchanged`;
      throw new RaggedError("IO_ERROR", `${step}: saving the model failed; ${what}.`, {
        received: (e as Error).message,
        help: errno(e) === "ENOSPC" ? "the disk is full" : undefined,
      });
    }
    await this.removeStale(modelName); // 5
    return { modelArtifactsInfo: artifactsInfo(artifacts) };
  }

  /** `to` holds the same bytes as `from`: a hard link where the file system has them, else a copy. */
  private async secondName(from: string, to: string, data: Uint8Array): Promise<void> {
    if (this.ops.link) {
      try {
        await this.ops.link(from, to);
        return;
      } catch {
        await this.ops.unlink(to).catch(() => undefined);
      }
    }
    await this.ops.writeFile(to, data);
  }

  /**
   * Reads model.json and the weights it names. A save in another process may replace both between
   * the two reads (its clean-up deletes the staging file the first model.json named): a weights
   * file gone missing under a model.json that has changed since is read again, from the new one.
   */
  async load(): Promise<ModelArtifacts> {
    for (let attempt = 1; ; attempt++) {
      const text = await this.read(this.source, "model file");
      try {
        return await this.loadFrom(text);
      } catch (e) {
        const vanished = e instanceof RaggedError && e.code === "IO_ERROR" && e.received === "no such file";
        if (!vanished || attempt === 3 || !(await this.changedSince(text))) throw e;
      }
    }
  }

  private async loadFrom(text: Uint8Array): Promise<ModelArtifacts> {
    let json: ModelJSON;
    try {
      json = JSON.parse(new TextDecoder().decode(text)) as ModelJSON;
    } catch (e) {
      throw new RaggedError("BAD_FILE", `${this.source}: not valid JSON.`, { received: (e as Error).message, help: "the file is corrupt; save the model again" });
    }
    return artifactsFromModelJSON(json, this.source, (paths) =>
      Promise.all(paths.map(async (p) => {
        const bytes = await this.read(path.resolve(this.dir, p), "weights file");
        return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
      })),
    );
  }

  /** Whether model.json now holds something other than `text`. */
  private async changedSince(text: Uint8Array): Promise<boolean> {
    const now = await this.ops.readFile(this.source).catch(() => null);
    return now !== null && Buffer.compare(Buffer.from(now), Buffer.from(text)) !== 0;
  }

  private async read(file: string, what: string): Promise<Uint8Array> {
    try {
      return await this.ops.readFile(file);
    } catch (e) {
      throw new RaggedError("IO_ERROR", `${file}: cannot read the ${what}.`, {
        received: errno(e) === "ENOENT" ? "no such file" : (e as Error).message,
        help: what === "model file" ? "give the path of a model.json, or of the directory holding it" : `${this.source} names this file in its weightsManifest`,
      });
    }
  }

  /**
   * After a save: the staging file, a `weights-1.bin` of earlier versions, and temporaries of earlier
   * interrupted saves (of this process, or of processes that are gone) — never a file the current
   * model.json names.
   */
  private async removeStale(modelName: string): Promise<void> {
    let names: string[];
    try {
      names = await this.ops.readdir(this.dir);
    } catch {
      return;
    }
    const named = new Set(await this.currentWeightPaths());
    const stale = names.filter((n) => {
      if (named.has(n)) return false;
      if (n === OLD_WEIGHTS_FILE) return true;
      const tmp = /^\.(.+)\.tmp-(\d+)-[0-9a-f]+$/.exec(n);
      // A temporary file of a save still running in another process is left alone.
      return tmp !== null && (tmp[1] === modelName || tmp[1] === WEIGHTS_FILE || tmp[1] === OLD_WEIGHTS_FILE) && !processAlive(Number(tmp[2]));
    });
    await Promise.all(stale.map((n) => this.ops.unlink(path.join(this.dir, n)).catch(() => undefined)));
  }

  /** The weight paths the current model.json names (none when there is none, or it is unreadable). */
  private async currentWeightPaths(): Promise<string[]> {
    try {
      const json = JSON.parse(new TextDecoder().decode(await this.ops.readFile(this.source))) as ModelJSON;
      return json.weightsManifest.flatMap((g) => g.paths).map((p) => path.normalize(p));
    } catch {
      return [];
    }
  }
}

function encodeJSON(json: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(json));
}
/** A handler for `file://dir` or `file://dir/model.json` (or a plain path). */
export function fileHandler(target: string, options: FileHandlerOptions = {}): FileHandler {
  const p = target.startsWith("file://") ? target.slice("file://".length) : target;
  return new FileHandler(p, options);
}

registerRoute("file://", (url) => fileHandler(url));
