/**
 * The training page: collects the choices, starts the Web Worker (worker.ts), draws its reports
 * with liveChart, and saves or downloads the model. State a test can read is kept on elements
 * (`#status[data-state]`, `#charts[data-batches]`, `#prediction[data-output]`).
 */
import { browserDownloads } from "../../src/io/handlers/browser_downloads.js";
import { type LiveChart, liveChart } from "../../src/vis/live_chart.js";
import type { DatasetSpec, FromWorker, ModelInfo, ToWorker } from "./protocol.js";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const datasetSelect = $<HTMLSelectElement>("dataset");
const status = $<HTMLDivElement>("status");
const progress = $<HTMLProgressElement>("progress");
const charts = $<HTMLDivElement>("charts");
const buttons = {
  train: $<HTMLButtonElement>("train"),
  stop: $<HTMLButtonElement>("stop"),
  resume: $<HTMLButtonElement>("resume"),
  predict: $<HTMLButtonElement>("predict"),
  saveIdb: $<HTMLButtonElement>("save-idb"),
  loadIdb: $<HTMLButtonElement>("load-idb"),
  download: $<HTMLButtonElement>("download"),
};
const MODEL_NAME = "ragged-demo";

let worker: Worker | null = null;
let chart: LiveChart | null = null;
let dropped: { name: string; text: string } | null = null;
let model: ModelInfo | null = null;
let batchesThisRun = 0;
let epochsTarget = 0;
let firstEpochOfRun = 0;
let running = false;

function setStatus(text: string, state: string, error = false): void {
  status.textContent = text;
  status.dataset.state = state;
  status.classList.toggle("error", error);
}

function setRunning(on: boolean): void {
  running = on;
  buttons.train.disabled = on;
  buttons.stop.disabled = !on;
  buttons.resume.disabled = on || model === null || model.epochsDone >= numberOf("epochs");
  buttons.predict.disabled = on || model === null;
  buttons.saveIdb.disabled = on || model === null;
  buttons.download.disabled = on || model === null;
}

function numberOf(id: string): number {
  return Number(($<HTMLInputElement>(id)).value);
}

function send(message: ToWorker): void {
  worker?.postMessage(message);
}

function newWorker(): Worker {
  worker?.terminate();
  const w = new Worker("/worker.js", { type: "module" });
  w.onmessage = (event: MessageEvent<FromWorker>) => onMessage(event.data);
  w.onerror = (event) => setStatus(`The worker failed: ${event.message}`, "error", true);
  worker = w;
  return w;
}

function showModel(info: ModelInfo): void {
  model = info;
  $<HTMLPreElement>("summary").textContent = info.summary;
  const box = $<HTMLTextAreaElement>("sequence");
  if (info.example && box.value.trim() === "") box.value = JSON.stringify(info.example.map((step) => step.map((v) => Number(v.toFixed(3)))));
}

function newChart(metrics: string[]): void {
  chart?.destroy();
  charts.innerHTML = "";
  chart = liveChart(charts, { metrics, width: 540, height: 170 });
}

function onMessage(m: FromWorker): void {
  switch (m.type) {
    case "ready":
      showModel(m);
      newChart(m.labels ? ["loss", "accuracy"] : ["loss"]);
      setStatus(`Training: ${m.batchesPerEpoch} batches per epoch.`, "training");
      return;
    case "batch": {
      chart?.onBatchEnd(m.batch, m.logs);
      batchesThisRun++;
      const total = (epochsTarget - firstEpochOfRun) * (model?.batchesPerEpoch ?? 1);
      progress.max = Math.max(1, total);
      progress.value = Math.min(total, batchesThisRun);
      const acc = "accuracy" in m.logs ? ` · accuracy ${m.logs.accuracy.toFixed(4)}` : "";
      setStatus(`Epoch ${m.epoch + 1}/${epochsTarget} · batch ${m.batch + 1} · loss ${m.logs.loss.toFixed(4)}${acc}`, "training");
      return;
    }
    case "epoch":
      chart?.onEpochEnd(m.epoch, m.logs);
      if (model) model.epochsDone = m.epoch + 1;
      return;
    case "done":
      if (model) model.epochsDone = m.epochsDone;
      status.dataset.batchesRun = String(m.batchesRun);
      status.dataset.losses = JSON.stringify(m.losses);
      setRunning(false);
      setStatus(m.stopped ? `Stopped after epoch ${m.epochsDone}. Resume continues to epoch ${epochsTarget}.` : `Done: ${m.epochsDone} epochs.`, m.stopped ? "stopped" : "done");
      return;
    case "prediction": {
      const out = $<HTMLDivElement>("prediction");
      out.dataset.output = JSON.stringify(m.output);
      out.textContent = describePrediction(m.output);
      setStatus("Predicted.", "predicted");
      return;
    }
    case "saved":
      setStatus(`Saved to indexeddb://${m.name}. Reload the page and press “Load from IndexedDB”.`, "saved");
      return;
    case "loaded":
      showModel(m);
      setRunning(false);
      setStatus(`Loaded indexeddb://${m.name} (${m.epochsDone} epochs trained).`, "loaded");
      return;
    case "artifacts":
      browserDownloads(MODEL_NAME)
        .save(m.artifacts)
        .then(
          () => setStatus(`Downloaded ${MODEL_NAME}.json and ${MODEL_NAME}.weights.bin.`, "downloaded"),
          (e: Error) => setStatus(e.message, "error", true),
        );
      return;
    case "error":
      setRunning(false);
      setStatus(`${m.code ? `[${m.code}] ` : ""}${m.message}`, "error", true);
      return;
  }
}

function describePrediction(output: number[] | number[][]): string {
  const labels = model?.labels;
  const name = (row: number[]) => {
    let best = 0;
    for (let k = 1; k < row.length; k++) if (row[k] > row[best]) best = k;
    return labels ? `${labels[best]} (${(row[best] * 100).toFixed(1)}%)` : row.map((v) => v.toFixed(4)).join(", ");
  };
  if (Array.isArray(output[0])) return (output as number[][]).map((row, t) => `step ${t + 1}: ${name(row)}`).join("\n");
  return `→ ${name(output as number[])}`;
}

async function dataset(): Promise<DatasetSpec> {
  const choice = datasetSelect.value;
  if (choice === "seed") return { kind: "seed", sequences: numberOf("sequences"), seed: 1 };
  if (choice === "vowels") {
    const [train, test] = await Promise.all(["/data/JapaneseVowels_TRAIN.ts", "/data/JapaneseVowels_TEST.ts"].map(async (u) => (await fetch(u)).text()));
    return { kind: "uea", name: "JapaneseVowels_TRAIN.ts", train, test };
  }
  if (!dropped) throw new Error("Drop a file first.");
  return dropped.name.toLowerCase().endsWith(".ts") ? { kind: "uea", name: dropped.name, train: dropped.text } : { kind: "jsonl", name: dropped.name, text: dropped.text };
}

buttons.train.onclick = async () => {
  try {
    const ds = await dataset();
    newWorker();
    model = null;
    epochsTarget = numberOf("epochs");
    firstEpochOfRun = 0;
    batchesThisRun = 0;
    $<HTMLTextAreaElement>("sequence").value = "";
    setRunning(true);
    setStatus("Preparing…", "preparing");
    send({ type: "train", dataset: ds, layers: $<HTMLInputElement>("layers").value, epochs: epochsTarget, batchSize: numberOf("batch"), learningRate: numberOf("lr"), seed: 1 });
  } catch (e) {
    setStatus((e as Error).message, "error", true);
  }
};
buttons.stop.onclick = () => {
  send({ type: "stop" });
  status.dataset.batchesAtStop = charts.dataset.batches ?? "";
  setStatus("Stopping after this batch…", "stopping");
};
buttons.resume.onclick = () => {
  if (!model) return;
  epochsTarget = numberOf("epochs");
  firstEpochOfRun = model.epochsDone;
  batchesThisRun = 0;
  setRunning(true);
  send({ type: "resume", epochs: epochsTarget });
};
buttons.predict.onclick = () => {
  let x: number[][];
  try {
    x = JSON.parse($<HTMLTextAreaElement>("sequence").value) as number[][];
    if (!Array.isArray(x) || !x.every((s) => Array.isArray(s))) throw new Error("expected a list of steps, e.g. [[0.1, 0.2, 0.3, 0.4, 0.5]]");
  } catch (e) {
    setStatus(`Not a sequence: ${(e as Error).message}`, "error", true);
    return;
  }
  send({ type: "predict", x });
};
buttons.saveIdb.onclick = () => send({ type: "save-idb", name: MODEL_NAME });
buttons.loadIdb.onclick = () => {
  newWorker();
  send({ type: "load-idb", name: MODEL_NAME });
};
buttons.download.onclick = () => send({ type: "artifacts" });
$<HTMLInputElement>("epochs").oninput = () => setRunning(running);

datasetSelect.onchange = () => {
  const layers = $<HTMLInputElement>("layers");
  layers.value = datasetSelect.value === "vowels" ? "lstm:32" : datasetSelect.value === "seed" ? "lstm:32,lstm:8" : layers.value;
  $<HTMLInputElement>("lr").value = datasetSelect.value === "vowels" ? "0.005" : "0.01";
};

// Drag and drop (or click to choose) a data file.
const drop = $<HTMLDivElement>("drop");
const fileInput = $<HTMLInputElement>("file");
async function takeFile(file: File | undefined): Promise<void> {
  if (!file) return;
  dropped = { name: file.name, text: await file.text() };
  const option = datasetSelect.querySelector<HTMLOptionElement>("option[value=file]") as HTMLOptionElement;
  option.disabled = false;
  option.textContent = `Your file: ${file.name}`;
  datasetSelect.value = "file";
  $<HTMLDivElement>("file-name").textContent = `${file.name}: ${(file.size / 1024).toFixed(1)} kB`;
}
drop.onclick = () => fileInput.click();
fileInput.onchange = () => void takeFile(fileInput.files?.[0]);
drop.ondragover = (e) => {
  e.preventDefault();
  drop.classList.add("over");
};
drop.ondragleave = () => drop.classList.remove("over");
drop.ondrop = (e) => {
  e.preventDefault();
  drop.classList.remove("over");
  void takeFile(e.dataTransfer?.files?.[0]);
};
setRunning(false);
setStatus("Pick a data set and press Train.", "idle");
