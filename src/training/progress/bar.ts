/**
 * The Keras progress bar, as a callback:
 *
 *   Epoch 2/10
 *   30/30 [==============================] - 4s 137ms/step - loss: 0.6738
 *
 * On a terminal the bar is redrawn after every batch (`\r`), with an ETA while the epoch runs; on
 * anything else only the finished epoch's line is written.
 */
import type { Callback, Logs } from "../callbacks.js";
import type { ProgressOutput } from "./output.js";

export interface ProgressBarArgs {
  epochs: number;
  /** Batches per epoch, when known. */
  steps: number | null;
  output: ProgressOutput;
  /** Keras `verbose`: 1 = bar, 2 = one line per epoch. */
  verbose: 1 | 2;
  /** Injected clock for tests; default performance.now. */
  now?: () => number;
}

const WIDTH = 30;

export class ProgressBar implements Callback {
  private epochStart = 0;
  private lastDraw = -Infinity;
  private seen = 0;
  private readonly now: () => number;

  constructor(private readonly args: ProgressBarArgs) {
    this.now = args.now ?? (() => performance.now());
  }

  onEpochBegin(epoch: number): void {
    this.epochStart = this.now();
    this.seen = 0;
    this.lastDraw = -Infinity;
    this.args.output.write(`Epoch ${epoch + 1}/${this.args.epochs}\n`);
  }

  onBatchEnd(batch: number, logs?: Logs): void {
    this.seen = batch + 1;
    if (!this.args.output.isTTY || this.args.verbose !== 1) return;
    const t = this.now();
    if (t - this.lastDraw < 50 && this.seen !== this.args.steps) return;
    this.lastDraw = t;
    this.args.output.write(`\r${this.line(this.seen, logs ?? {}, false)}`);
  }

  onEpochEnd(_epoch: number, logs?: Logs): void {
    const prefix = this.args.output.isTTY && this.args.verbose === 1 ? "\r" : "";
    this.args.output.write(`${prefix}${this.line(this.seen, logs ?? {}, true)}\n`);
  }

  /** One bar line for `current` batches done. */
  line(current: number, logs: Logs, finished: boolean): string {
    const target = this.args.steps ?? (finished ? current : null);
    const elapsed = (this.now() - this.epochStart) / 1000;
    let text: string;
    if (target !== null && target > 0) {
      const digits = Math.floor(Math.log10(target)) + 1;
      const filled = Math.floor((WIDTH * Math.min(current, target)) / target);
      let bar = "";
      if (filled > 0) bar += "=".repeat(filled - 1) + (current < target ? ">" : "=");
      bar += ".".repeat(WIDTH - filled);
      text = `${String(current).padStart(digits)}/${target} [${bar}]`;
    } else {
      text = `${current}/Unknown`;
    }
    const perStep = current > 0 ? elapsed / current : 0;
    if (finished || target === null) {
      text += ` - ${Math.round(elapsed)}s ${formatPerStep(perStep)}`;
    } else {
      text += ` - ETA: ${formatEta(perStep * (target - current))}`;
    }
    for (const [key, value] of Object.entries(logs)) text += ` - ${key}: ${formatValue(value)}`;
    return text;
  }
}

function formatPerStep(seconds: number): string {
  if (seconds >= 1) return `${Math.round(seconds)}s/step`;
  if (seconds >= 1e-3) return `${Math.round(seconds * 1e3)}ms/step`;
  return `${Math.round(seconds * 1e6)}us/step`;
}

function formatEta(seconds: number): string {
  const s = Math.round(seconds);
  if (s >= 3600) return `${Math.floor(s / 3600)}:${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
  if (s >= 60) return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
  return `${s}s`;
}

/** Keras: 4 decimals, or scientific for tiny values. */
export function formatValue(v: number): string {
  return Math.abs(v) > 1e-3 || v === 0 ? v.toFixed(4) : v.toExponential(4);
}
