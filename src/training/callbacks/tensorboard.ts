/**
 * TensorBoard: scalar logs TensorBoard reads, as Keras' `keras.callbacks.TensorBoard` writes them.
 * Each `fit` gets its own run folder under `logDir` (`runName`, default the UTC start time
 * `20261202-104500`), holding `train/` and `validation/` event files:
 * - every epoch: `epoch_<name>` at step = epoch index, training names in `train/` (plus
 *   `epoch_learning_rate`), `val_` names in `validation/` without the prefix — so TensorBoard
 *   overlays `epoch_loss` of both;
 * - with `updateFreq: "batch"` (or N): `batch_<name>` in `train/` at step = the global batch count
 *   (1, 2, … across epochs; every Nth), the running epoch averages the progress bar shows.
 *
 * Porting note: Keras puts runs straight into `log_dir/train`; ragged adds the run folder so that
 * every `fit` is its own curve (`tensorboard --logdir logs` lists them). Keras' graph, histogram,
 * profiler and `evaluation_*_vs_iterations` summaries are not written.
 *
 * The bytes are TFRecords of `Event` protos (see _internal/tf_event.ts); see NOTE [ loggers never
 * stop training ] for what happens when a write fails.
 *
 * @example
 * await model.fit(xs, ys, { epochs: 20, validationSplit: 0.1, callbacks: [tensorBoard({ logDir: "logs", updateFreq: "batch" })] });
 * // then: tensorboard --logdir logs
 */
import { RaggedError, describe } from "../../core/errors.js";
import type { Callback, CallbackModel, Logs } from "../callbacks.js";
import { type LogFunction, defaultLog } from "./_internal/common.js";
import { LoggerGuard } from "./_internal/logger_guard.js";
import { type Scalar, fileVersionEvent, scalarEvent, tfRecord } from "./_internal/tf_event.js";
import { type LogFiles, defaultLogFiles, joinPath } from "./log_files.js";

export interface TensorBoardArgs {
  /** Folder of the runs; default `"logs"`. Created when missing. */
  logDir?: string;
  /** `"epoch"` (default), `"batch"` (every batch) or N (every Nth batch) for `batch_*` scalars. */
  updateFreq?: "epoch" | "batch" | number;
  /** The run folder's name; default the UTC time training began (`20261202-104500`), made unique. */
  runName?: string;
  /** Where to write; default: the file system under "ragged-rnn/node", memory elsewhere. */
  files?: LogFiles;
  /** Where warnings go (a write failing during training); default console.warn. */
  log?: LogFunction;
}

const WHO = "tensorBoard";
/** Batch events wait in memory up to this many bytes, then go to the file (and at every epoch end). */
const FLUSH_BYTES = 1 << 16;

/** One event file, appended to in whole records. */
class EventWriter {
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  constructor(
    private readonly files: LogFiles,
    readonly path: string,
  ) {}

  add(event: Uint8Array): void {
    const record = tfRecord(event);
    this.pending.push(record);
    this.pendingBytes += record.length;
  }

  get full(): boolean {
    return this.pendingBytes >= FLUSH_BYTES;
  }

  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const out = new Uint8Array(this.pendingBytes);
    let offset = 0;
    for (const r of this.pending) {
      out.set(r, offset);
      offset += r.length;
    }
    this.pending = [];
    this.pendingBytes = 0;
    await this.files.append(this.path, out);
  }
}

export class TensorBoard implements Callback {
  readonly logDir: string;
  /** Batches between `batch_*` scalars; null for "epoch". */
  readonly batchEvery: number | null;
  /** The run folder of the current (or last) fit, e.g. `logs/20261202-104500`; null before the first. */
  runDir: string | null = null;
  private readonly runName: string | undefined;
  private readonly files: LogFiles;
  private readonly guard: LoggerGuard;
  private model: CallbackModel | null = null;
  private train: EventWriter | null = null;
  private validation: EventWriter | null = null;
  private globalBatch = 0;
  private static uid = 0;

  constructor(args: TensorBoardArgs = {}) {
    if (args === null || typeof args !== "object") {
      throw new RaggedError("INVALID_ARGUMENT", `${WHO} takes an options object.`, { expected: '{ logDir: "logs" }', received: describe(args) });
    }
    const logDir = args.logDir ?? "logs";
    if (typeof logDir !== "string" || logDir === "") {
      throw new RaggedError("INVALID_ARGUMENT", `${WHO}: \`logDir\` must be a folder path.`, { received: `logDir = ${describe(args.logDir)}` });
    }
    const freq = args.updateFreq ?? "epoch";
    if (freq !== "epoch" && freq !== "batch" && !(typeof freq === "number" && Number.isInteger(freq) && freq >= 1)) {
      throw new RaggedError("INVALID_ARGUMENT", `${WHO}: unknown \`updateFreq\`.`, {
        expected: '"epoch", "batch" or a whole number of batches ≥ 1',
        received: `updateFreq = ${describe(args.updateFreq)}`,
      });
    }
    if (args.runName !== undefined && (typeof args.runName !== "string" || args.runName === "" || /[\\/]/.test(args.runName))) {
      throw new RaggedError("INVALID_ARGUMENT", `${WHO}: \`runName\` must be a folder name without slashes.`, { received: `runName = ${describe(args.runName)}` });
    }
    this.logDir = logDir;
    this.batchEvery = freq === "epoch" ? null : freq === "batch" ? 1 : freq;
    this.runName = args.runName;
    this.files = args.files ?? defaultLogFiles();
    this.guard = new LoggerGuard(WHO, args.log ?? defaultLog);
  }

  setModel(model: CallbackModel): void {
    this.model = model;
  }

  async onTrainBegin(): Promise<void> {
    this.globalBatch = 0;
    this.train = null;
    this.validation = null;
    const started = new Date();
    await this.guard.start(this.logDir, async () => {
      const base = this.runName ?? timestamp(started);
      let run = joinPath(this.logDir, base);
      for (let k = 2; await this.files.exists(run); k++) run = joinPath(this.logDir, `${base}-${k}`);
      this.runDir = run;
      this.train = await this.openWriter("train");
    });
  }

  onBatchBegin(): void {
    this.globalBatch++;
  }

  async onBatchEnd(_batch: number, logs: Logs = {}): Promise<void> {
    const train = this.train;
    if (this.batchEvery === null || train === null || this.globalBatch % this.batchEvery !== 0) return;
    const now = Date.now() / 1000;
    for (const [name, value] of Object.entries(logs)) if (name !== "size") train.add(scalarEvent(now, this.globalBatch, [{ tag: `batch_${name}`, value }]));
    if (train.full) await this.guard.run(() => train.flush());
  }

  async onEpochEnd(epoch: number, logs: Logs = {}): Promise<void> {
    await this.guard.run(async () => {
      const now = Date.now() / 1000;
      const trainScalars: Scalar[] = [];
      const valScalars: Scalar[] = [];
      for (const [name, value] of Object.entries(logs)) {
        if (name.startsWith("val_")) valScalars.push({ tag: `epoch_${name.slice(4)}`, value });
        else trainScalars.push({ tag: `epoch_${name}`, value });
      }
      const lr = this.model?.optimizer?.learningRate;
      if (typeof lr === "number" && !("learning_rate" in logs)) trainScalars.push({ tag: "epoch_learning_rate", value: lr });
      const train = this.train;
      if (train) {
        for (const s of trainScalars) train.add(scalarEvent(now, epoch, [s]));
        await train.flush();
      }
      if (valScalars.length > 0) {
        this.validation ??= await this.openWriter("validation");
        for (const s of valScalars) this.validation.add(scalarEvent(now, epoch, [s]));
        await this.validation.flush();
      }
    });
  }

  async onTrainEnd(): Promise<void> {
    const writers = [this.train, this.validation].filter((w): w is EventWriter => w !== null);
    await this.guard.run(async () => {
      for (const w of writers) await w.flush();
    });
  }

  /** Creates `<run>/<sub>/events.out.tfevents.<seconds>.<host>.<pid>.<uid>.v2` with its file_version record. */
  private async openWriter(sub: string): Promise<EventWriter> {
    const dir = joinPath(this.runDir as string, sub);
    await this.files.mkdir(dir);
    const now = Date.now() / 1000;
    const name = `events.out.tfevents.${Math.floor(now)}.${this.files.hostname}.${this.files.pid}.${TensorBoard.uid++}.v2`;
    const writer = new EventWriter(this.files, joinPath(dir, name));
    await this.files.write(writer.path, tfRecord(fileVersionEvent(now)));
    return writer;
  }
}

/** `20261202-104500` (UTC). */
function timestamp(d: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}-${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
}

/**
 * A TensorBoard logger (Keras `TensorBoard`, scalars only).
 * @throws RaggedError `INVALID_ARGUMENT` for a bad `updateFreq`, `logDir` or `runName`; `IO_ERROR`
 *   from `fit` when the log folder cannot be created or written as training begins.
 * @example
 * const tb = tensorBoard({ logDir: "logs", updateFreq: 10 }); // batch_* scalars every 10 batches
 */
export function tensorBoard(args: TensorBoardArgs = {}): TensorBoard {
  return new TensorBoard(args);
}
