/**
 * The running numbers of an epoch (or of an evaluation): the loss, averaged over batches weighted
 * by their number of sequences as Keras' loss tracker does, and the compiled metrics
 * (NOTE [ metric reduction ] in metrics.ts). `logs()` gives them under Keras' names, with an
 * optional prefix ("val_").
 */
import type { Sequential } from "../models/sequential.js";
import type { Logs } from "./callbacks.js";
import { MetricAccumulator, resolveMetric } from "./metrics.js";
import type { StepResult } from "./train_step.js";

export class Trackers {
  readonly metrics: MetricAccumulator[];
  private lossSum = 0;
  private size = 0;

  constructor(model: Sequential, private readonly prefix = "") {
    const { loss } = model.requireCompiled("tracking metrics");
    this.metrics = model.metrics.map((m) => new MetricAccumulator(resolveMetric(m, { loss, outputWidth: model.outputWidth })));
  }

  reset(): void {
    this.lossSum = 0;
    this.size = 0;
    for (const m of this.metrics) m.reset();
  }

  /** Adds a step's loss (its metrics were updated by the step itself). */
  add(step: StepResult): void {
    this.lossSum += step.loss * step.size;
    this.size += step.size;
  }

  get loss(): number {
    return this.size > 0 ? this.lossSum / this.size : 0;
  }

  logs(): Logs {
    const logs: Logs = { [`${this.prefix}loss`]: this.loss };
    for (const m of this.metrics) logs[`${this.prefix}${m.name}`] = m.result();
    return logs;
  }
}
