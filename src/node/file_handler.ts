/**
 * The `file://` IOHandler (Node only): a model is a directory with `model.json` and its weights file.
 *
 * NOTE [ atomic save ]
 * A save never leaves a half-written model where a loadable one was. Both files are written to
 * temporary names in the target directory (`.model.json.tmp-<pid>-<random>`), each fsynced; then
 * the weights file is renamed into place and model.json last, and the directory is fsynced.
 * Renaming model.json is the one commit point: before it, the previous model.json and the weights
 * it names are untouched. For that to hold, the new weights must not replace the file the previous
 * model.json names, so when the directory already holds a model using `weights.bin` the new
 * weights go to `weights-1.bin` (and back to `weights.bin` on the next save); the previous weights
 * file is deleted after the commit. A crash or a full disk at any step leaves the previous model
 * loadable (at worst with a stray temporary file, removed on the next successful save).
 *
 * Saves to one directory serialise (two models in one process, or two processes): each holds the
 * directory's `.ragged-save.lock` from reading the previous model.json to its clean-up (NOTE
 * [ directory locks ] in dir_lock.ts), so the last save to finish wins, intact, and no save deletes
 * another's files.
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
};

export interface FileHandlerOptions {
  /** File operations (default: node:fs with fsync). */
  ops?: FileOps;
}

const MODEL_FILE = "model.json";
const WEIGHTS_FILES = ["weights.bin", "weights-1.bin"] as const;
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

  private async saveLocked(artifacts: ModelArtifacts): Promise<SaveResult> {
    const { ops, dir } = this;
    const previous = await this.previousWeightPaths();
    const weightsName = previous.includes(WEIGHTS_FILES[0]) ? WEIGHTS_FILES[1] : WEIGHTS_FILES[0];
    const json = modelJSONFromArtifacts(artifacts, [weightsName]);
    const suffix = `.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
    const weightsFile = path.join(dir, weightsName);
    const tmpWeights = path.join(dir, `.${weightsName}${suffix}`);
    const tmpModel = path.join(dir, `.${path.basename(this.source)}${suffix}`);
    let step = tmpWeights;
    try {
      await ops.writeFile(tmpWeights, new Uint8Array(concatWeightData(artifacts.weightData)));
      step = tmpModel;
      await ops.writeFile(tmpModel, new TextEncoder().encode(JSON.stringify(json)));
      step = weightsFile;
      await ops.rename(tmpWeights, weightsFile);
      step = this.source;
      await ops.rename(tmpModel, this.source); // the commit point
    } catch (e) {
      // The new weights file, if already renamed in, is not the one the previous model.json names.
      const leftovers = step === this.source ? [tmpModel, weightsFile] : [tmpWeights, tmpModel];
      await Promise.all(leftovers.map((f) => ops.unlink(f).catch(() => undefined)));
      throw new RaggedError("IO_ERROR", `${step}: saving the model failed; the previous model in ${dir} is unchanged.`, {
        received: (e as Error).message,
        help: errno(e) === "ENOSPC" ? "the disk is full" : undefined,
      });
    }
    await ops.syncDir(dir);
    await this.removeStale(weightsName, path.basename(this.source));
    return { modelArtifactsInfo: artifactsInfo(artifacts) };
  }

  async load(): Promise<ModelArtifacts> {
    const text = await this.read(this.source, "model file");
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

  /** The weight paths the current model.json names (none when there is none, or it is unreadable). */
  private async previousWeightPaths(): Promise<string[]> {
    try {
      const json = JSON.parse(new TextDecoder().decode(await this.ops.readFile(this.source))) as ModelJSON;
      return json.weightsManifest.flatMap((g) => g.paths);
    } catch {
      return [];
    }
  }

  /** After a commit: the other weights file and temporary files of earlier interrupted saves. */
  private async removeStale(keep: string, modelName: string): Promise<void> {
    let names: string[];
    try {
      names = await this.ops.readdir(this.dir);
    } catch {
      return;
    }
    const stale = names.filter((n) => {
      if (WEIGHTS_FILES.includes(n as (typeof WEIGHTS_FILES)[number])) return n !== keep;
      const tmp = /^\.(.+)\.tmp-(\d+)-[0-9a-f]+$/.exec(n);
      // A temporary file of a save still running in another process is left alone.
      return tmp !== null && (tmp[1] === modelName || WEIGHTS_FILES.includes(tmp[1] as (typeof WEIGHTS_FILES)[number])) && !processAlive(Number(tmp[2]));
    });
    await Promise.all(stale.map((n) => this.ops.unlink(path.join(this.dir, n)).catch(() => undefined)));
  }
}

/** A handler for `file://dir` or `file://dir/model.json` (or a plain path). */
export function fileHandler(target: string, options: FileHandlerOptions = {}): FileHandler {
  const p = target.startsWith("file://") ? target.slice("file://".length) : target;
  return new FileHandler(p, options);
}

registerRoute("file://", (url) => fileHandler(url));
