/**
 * ModelCheckpoint: save the model after every epoch, or only when a monitored quantity improved
 * (Keras 3 `keras.callbacks.ModelCheckpoint`, `save_freq="epoch"`). Saves go through the model's
 * own `save`, whose file handler writes to a temporary file and renames, so a run killed mid-save
 * leaves the previous checkpoint loadable.
 *
 * `filepath` may hold `{epoch}` (1-based, as Keras) and any logged name, e.g.
 * `"file://./ckpt/epoch-{epoch}-{val_loss}"`; a number after a colon gives the digits
 * (`{epoch:02}` → `07`, `{val_loss:.4}` → `0.1234`).
 *
 * @example
 * await model.fit(xs, ys, { validationSplit: 0.1, callbacks: [modelCheckpoint({ filepath: "file://./best", saveBestOnly: true })] });
 */
import { RaggedError } from "../../core/errors.js";
import type { Callback, CallbackModel, Logs } from "../callbacks.js";
import { type LogFunction, type MonitorMode, checkMode, checkString, defaultLog, requireModel, resolveMode } from "./_internal/common.js";

export interface ModelCheckpointArgs {
  /** Where to save (a URL the model's `save` accepts, e.g. `file://./ckpt`), with `{epoch}` etc. */
  filepath: string;
  /** The logged quantity that decides "best". Default "val_loss". */
  monitor?: string;
  /** Save only when `monitor` improved on the best so far. Default false: every epoch. */
  saveBestOnly?: boolean;
  mode?: MonitorMode;
  /** Also save the optimizer state, so training can resume. Default true. */
  includeOptimizer?: boolean;
  /** Only with saveBestOnly: the first value must beat this. */
  initialValueThreshold?: number;
  verbose?: 0 | 1;
  log?: LogFunction;
}

/** The model a checkpoint needs: the callback model plus `save`. */
type SavableModel = CallbackModel & { save(url: string, config?: { includeOptimizer?: boolean }): Promise<unknown> };

export class ModelCheckpoint implements Callback {
  readonly filepath: string;
  readonly monitor: string;
  readonly saveBestOnly: boolean;
  readonly includeOptimizer: boolean;
  readonly verbose: 0 | 1;
  /** The best monitored value so far (saveBestOnly). */
  best: number | null;
  /** Paths saved, in order. */
  readonly saved: string[] = [];
  private readonly direction: "min" | "max";
  private readonly log: LogFunction;
  private model: CallbackModel | null = null;

  constructor(args: ModelCheckpointArgs) {
    const who = "modelCheckpoint";
    this.filepath = checkString(args?.filepath, "filepath", who);
    this.monitor = checkString(args.monitor ?? "val_loss", "monitor", who);
    this.saveBestOnly = args.saveBestOnly ?? false;
    this.includeOptimizer = args.includeOptimizer ?? true;
    this.direction = resolveMode(checkMode(args.mode ?? "auto", who), this.monitor);
    this.best = args.initialValueThreshold ?? null;
    this.verbose = args.verbose ?? 0;
    this.log = args.log ?? defaultLog;
  }

  setModel(model: CallbackModel): void {
    this.model = model;
  }

  async onEpochEnd(epoch: number, logs: Logs = {}): Promise<void> {
    const model = requireModel(this.model, "modelCheckpoint") as SavableModel;
    if (typeof model.save !== "function") {
      throw new RaggedError("UNSUPPORTED", "modelCheckpoint needs a model that can save itself.");
    }
    const path = formatPath(this.filepath, epoch + 1, logs);
    if (this.saveBestOnly) {
      const current = logs[this.monitor];
      if (current === undefined) {
        this.log(`Can save best model only with ${this.monitor} available, skipping. Available: ${Object.keys(logs).join(", ")}`);
        return;
      }
      const better = this.best === null || (this.direction === "min" ? current < this.best : current > this.best);
      if (!better) {
        if (this.verbose) this.log(`Epoch ${epoch + 1}: ${this.monitor} did not improve from ${this.best}`);
        return;
      }
      if (this.verbose) this.log(`Epoch ${epoch + 1}: ${this.monitor} improved from ${this.best} to ${current}, saving model to ${path}`);
      this.best = current;
    } else if (this.verbose) {
      this.log(`Epoch ${epoch + 1}: saving model to ${path}`);
    }
    await model.save(path, { includeOptimizer: this.includeOptimizer });
    this.saved.push(path);
  }
}

/** `{epoch}`, `{epoch:02}`, `{val_loss:.4}` → values. */
export function formatPath(template: string, epoch: number, logs: Logs): string {
  return template.replace(/\{([a-zA-Z_]+)(?::(\.?)(\d+))?\}/g, (whole, key: string, dot: string, digits: string) => {
    const value = key === "epoch" ? epoch : logs[key];
    if (value === undefined) return whole;
    if (digits === undefined) return String(value);
    return dot ? value.toFixed(Number(digits)) : String(Math.trunc(value)).padStart(Number(digits), "0");
  });
}

/** A ModelCheckpoint; see the file comment. */
export const modelCheckpoint = (args: ModelCheckpointArgs): ModelCheckpoint => new ModelCheckpoint(args);
