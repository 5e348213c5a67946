/**
 * liveChart: a callback that draws training as it runs, in a browser page — for each chosen log
 * name a per-batch chart (the running epoch average after every batch, x = batches run) and a
 * per-epoch chart (training and, when there is validation, `val_`). Charts are uPlot (NOTE
 * [ charting library ] in render_report.ts); uPlot ships in the "ragged-rnn/vis" bundle, not in the core.
 *
 * Each chart's element carries `data-points` (points drawn) so a test can count them, and the
 * container gets `data-batches` and `data-epochs`.
 *
 * @example
 * import { liveChart } from "ragged-rnn/vis";
 * await model.fit(xs, ys, { epochs: 10, callbacks: [liveChart(document.getElementById("charts"), { metrics: ["loss", "accuracy"] })] });
 */
import uPlot from "uplot";
import { RaggedError, describe } from "../core/errors.js";
import type { Callback, CallbackModel, Logs } from "../training/callbacks.js";
import { UPLOT_CSS } from "./uplot_css.js";

export interface LiveChartArgs {
  /** Log names to draw (their `val_` twins are drawn beside them); default `["loss"]`. */
  metrics?: string[];
  /** Width of one chart in CSS pixels; default 420. */
  width?: number;
  /** Height of one chart; default 200. */
  height?: number;
}

interface Panel {
  plot: uPlot;
  box: HTMLElement;
  data: (number | null)[][];
}

const TRAIN = "#1f77b4";
const VAL = "#ff7f0e";

export class LiveChart implements Callback {
  readonly metrics: string[];
  private readonly batchPanels = new Map<string, Panel>();
  private readonly epochPanels = new Map<string, Panel>();
  private step = 0;
  private epochsDrawn = 0;
  private readonly dirty = new Set<Panel>();
  private frame: number | null = null;

  constructor(
    readonly container: HTMLElement,
    args: LiveChartArgs = {},
  ) {
    if (!container || typeof (container as { appendChild?: unknown }).appendChild !== "function") {
      throw new RaggedError("INVALID_ARGUMENT", "liveChart needs a DOM element to draw in.", { received: describe(container), help: 'e.g. liveChart(document.getElementById("charts"))' });
    }
    const metrics = args.metrics ?? ["loss"];
    if (!Array.isArray(metrics) || metrics.length === 0 || metrics.some((m) => typeof m !== "string" || m === "")) {
      throw new RaggedError("INVALID_ARGUMENT", "liveChart: `metrics` must be a list of logged names.", { received: describe(args.metrics), help: 'e.g. ["loss", "accuracy"]' });
    }
    this.metrics = [...new Set(metrics.map((m) => (m.startsWith("val_") ? m.slice(4) : m)))];
    const width = args.width ?? 420;
    const height = args.height ?? 200;
    container.classList.add("ragged-live-chart");
    addStyle(container.ownerDocument);
    for (const name of this.metrics) {
      this.batchPanels.set(name, this.panel(`${name} (per batch)`, "batch", [{ label: name, color: TRAIN }], width, height));
      this.epochPanels.set(name, this.panel(`${name} (per epoch)`, "epoch", [{ label: name, color: TRAIN }, { label: `val_${name}`, color: VAL }], width, height));
    }
    this.container.dataset.batches = "0";
    this.container.dataset.epochs = "0";
  }

  /**
   * Checks the chosen names against what the model logs: "loss" and its compiled metrics.
   * @throws RaggedError `UNKNOWN_NAME` (before training starts) for a name the model does not log.
   */
  setModel(model: CallbackModel): void {
    const compiled = (model as { metrics?: unknown }).metrics;
    // A model with several outputs logs prefixed names (`out_loss`, …): not checked here.
    const outputs = (model as { outputNames?: unknown }).outputNames;
    if (!Array.isArray(compiled) || (Array.isArray(outputs) && outputs.length > 1)) return;
    const logged = ["loss", ...compiled.map((m) => (typeof m === "string" ? m : (m as { name?: string })?.name)).filter((n): n is string => typeof n === "string")];
    const unknown = this.metrics.filter((m) => !logged.includes(m));
    if (unknown.length > 0) {
      throw new RaggedError("UNKNOWN_NAME", `liveChart: the model does not log ${unknown.map((u) => JSON.stringify(u)).join(", ")}.`, {
        expected: `one of ${logged.map((n) => JSON.stringify(n)).join(", ")}`,
        received: JSON.stringify(unknown[0]),
        help: "pass the metric to model.compile({ metrics: [...] }), or chart a logged name",
      });
    }
  }

  onTrainBegin(): void {
    // A resumed fit continues the same curves; the global step keeps counting.
  }

  onBatchEnd(_batch: number, logs: Logs = {}): void {
    this.step++;
    for (const [name, panel] of this.batchPanels) {
      panel.data[0].push(this.step);
      panel.data[1].push(name in logs ? logs[name] : null);
      this.redraw(panel);
    }
    this.container.dataset.batches = String(this.step);
  }

  onEpochEnd(epoch: number, logs: Logs = {}): void {
    this.epochsDrawn++;
    for (const [name, panel] of this.epochPanels) {
      panel.data[0].push(epoch + 1);
      panel.data[1].push(name in logs ? logs[name] : null);
      panel.data[2].push(`val_${name}` in logs ? logs[`val_${name}`] : null);
      this.redraw(panel);
    }
    this.container.dataset.epochs = String(this.epochsDrawn);
  }

  /** Points in the chart of `metric` per batch or per epoch (drawn by the next frame, or `flush()`). */
  points(metric: string, per: "batch" | "epoch"): number {
    const panel = (per === "batch" ? this.batchPanels : this.epochPanels).get(metric);
    return panel ? panel.data[0].length : 0;
  }

  /** Removes the charts. */
  destroy(): void {
    if (this.frame !== null) cancelFrame(this.frame);
    this.frame = null;
    this.dirty.clear();
    for (const p of [...this.batchPanels.values(), ...this.epochPanels.values()]) {
      p.plot.destroy();
      p.box.remove();
    }
    this.batchPanels.clear();
    this.epochPanels.clear();
  }

  /**
   * Draws what changed since the last frame now (redraws otherwise wait for the next animation
   * frame, so a fast run costs one redraw per frame, not one per batch).
   */
  flush(): void {
    if (this.frame !== null) {
      cancelFrame(this.frame);
      this.frame = null;
    }
    for (const panel of this.dirty) panel.plot.setData(panel.data as uPlot.AlignedData);
    this.dirty.clear();
  }

  private redraw(panel: Panel): void {
    panel.box.dataset.points = String(panel.data[0].length);
    this.dirty.add(panel);
    this.frame ??= requestFrame(() => {
      this.frame = null;
      this.flush();
    });
  }

  private panel(title: string, xLabel: string, series: { label: string; color: string }[], width: number, height: number): Panel {
    const doc = this.container.ownerDocument;
    const box = doc.createElement("figure");
    box.className = "ragged-chart";
    box.style.margin = "0";
    box.style.display = "inline-block";
    box.dataset.title = title;
    box.dataset.points = "0";
    const caption = doc.createElement("figcaption");
    caption.textContent = title;
    caption.style.font = "600 13px system-ui, sans-serif";
    box.appendChild(caption);
    this.container.appendChild(box);
    const data: (number | null)[][] = [[], ...series.map(() => [])];
    const plot = new uPlot(
      {
        width,
        height,
        scales: { x: { time: false } },
        // whole-number ticks on the x axis: batches and epochs are counts
        axes: [{ label: xLabel, size: 36, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 100000] }, { size: 56 }],
        series: [{ label: xLabel }, ...series.map((s) => ({ label: s.label, stroke: s.color, width: 2, spanGaps: true }))],
      },
      data as uPlot.AlignedData,
      box,
    );
    return { plot, box, data };
  }
}

function requestFrame(callback: () => void): number {
  return typeof requestAnimationFrame === "function" ? requestAnimationFrame(callback) : (setTimeout(callback, 16) as unknown as number);
}

function cancelFrame(id: number): void {
  if (typeof cancelAnimationFrame === "function") cancelAnimationFrame(id);
  else clearTimeout(id);
}

/** Puts uPlot's CSS in the document once. */
function addStyle(doc: Document): void {
  if (doc.getElementById("ragged-uplot-css")) return;
  const style = doc.createElement("style");
  style.id = "ragged-uplot-css";
  style.textContent = UPLOT_CSS;
  doc.head.appendChild(style);
}

/**
 * A LiveChart callback drawing into `container`.
 * @throws RaggedError `INVALID_ARGUMENT` for a missing element or bad `metrics`; `UNKNOWN_NAME`
 *   from `fit` (before training) for a name the model does not log.
 * @example
 * const chart = liveChart(document.querySelector("#charts"), { metrics: ["loss", "accuracy"] });
 */
export function liveChart(container: HTMLElement, args: LiveChartArgs = {}): LiveChart {
  return new LiveChart(container, args);
}
