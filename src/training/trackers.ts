/**
 * The running numbers of an epoch (or of an evaluation): the loss, averaged over batches weighted
 * by their number of sequences as Keras' loss tracker does, and the compiled metrics
 * (NOTE [ metric reduction ] in metrics.ts). `logs()` gives them under Keras' names, with an
 * optional prefix ("val_"): `loss` and the metric names for a model with one output; with several
 * outputs also `<output>_loss` for each, and metrics as `<output>_<metric>` (Keras 3).
 */
import type { LayersModel } from "../models/functional.js";
import type { Logs } from "./callbacks.js";
import { MetricAccumulator, resolveMetric } from "./metrics.js";
import type { StepResult } from "./train_step.js";

export class Trackers {
  readonly metrics: MetricAccumulator[];
  private lossSum = 0;
  private size = 0;
  private readonly outputNames: string[];
  private readonly outputSums: number[];

  constructor(model: LayersModel, private readonly prefix = "") {
    model.requireCompiled("tracking metrics");
    const specs = model.outputSpecs();
    this.outputNames = specs.length > 1 ? specs.map((s) => s.name) : [];
    this.outputSums = this.outputNames.map(() => 0);
    this.metrics = model.outputMetrics.flatMap((names, k) =>
      names.map((m) => {
        const acc = new MetricAccumulator(resolveMetric(m, { loss: model.losses[k], outputWidth: specs[k].width }));
        acc.outputIndex = k;
        return acc;
      }),
    );
  }

  reset(): void {
    this.lossSum = 0;
    this.size = 0;
    this.outputSums.fill(0);
    for (const m of this.metrics) m.reset();
  }

  /** Adds a step's loss (its metrics were updated by the step itself). */
  add(step: StepResult): void {
    this.lossSum += step.loss * step.size;
    this.size += step.size;
    step.outputLosses?.forEach((l, k) => (this.outputSums[k] += l * step.size));
  }

  get loss(): number {
    return this.size > 0 ? this.lossSum / this.size : 0;
  }

  logs(): Logs {
    const logs: Logs = { [`${this.prefix}loss`]: this.loss };
    this.outputNames.forEach((name, k) => (logs[`${this.prefix}${name}_loss`] = this.size > 0 ? this.outputSums[k] / this.size : 0));
    for (const m of this.metrics) {
      const name = this.outputNames.length ? `${this.outputNames[m.outputIndex]}_${m.name}` : m.name;
      logs[`${this.prefix}${name}`] = m.result();
    }
    return logs;
  }
}
