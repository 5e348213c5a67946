/**
 * The training page (`npm run demo:web`) and an HTML report, driven in Chromium (part of
 * `npm run test:browser`, called from run.ts). Writes PNG screenshots to test-artifacts/.
 *
 * Page: loads without console errors; trains the seed task 4 epochs with falling loss and one chart
 * point per batch; stop / resume mid-run; predicts a typed sequence; save to IndexedDB → reload →
 * load → the same predictions; download → Node loadModel → the same predictions.
 * Report: `ragged train --report` on JapaneseVowels renders (charts drawn, a 9×9 confusion matrix).
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { Browser, Page } from "playwright-core";
import { startDemoServer } from "../../demo/web/serve.js";

type Check = (name: string, ok: boolean, detail?: string) => void;

const root = fileURLToPath(new URL("../../", import.meta.url));
const artifacts = join(root, "test-artifacts");

/** The state the page shows: status, batches drawn, per-batch loss chart points, epochs drawn. */
async function pageState(page: Page): Promise<{ state: string; text: string; batches: number; lossPoints: number; epochPoints: number; batchesRun: number; losses: number[] }> {
  // A string, not a function: tsx names inner functions with a helper (__name) the page lacks.
  return page.evaluate(`(() => {
    const status = document.getElementById("status");
    const charts = document.getElementById("charts");
    const fig = (title) => Number(document.querySelector('#charts figure[data-title="' + title + '"]')?.dataset.points ?? -1);
    return {
      state: status.dataset.state ?? "",
      text: status.textContent ?? "",
      batches: Number(charts.dataset.batches ?? -1),
      lossPoints: fig("loss (per batch)"),
      epochPoints: fig("loss (per epoch)"),
      batchesRun: Number(status.dataset.batchesRun ?? -1),
      losses: JSON.parse(status.dataset.losses ?? "[]"),
    };
  })()`);
}

async function waitState(page: Page, states: string[], timeout = 60_000): Promise<string> {
  await page.waitForFunction((s) => s.includes((document.getElementById("status") as HTMLElement).dataset.state ?? ""), states, { timeout });
  return (await pageState(page)).state;
}

async function predictText(page: Page, sequence: string): Promise<number[][]> {
  await page.evaluate(() => delete (document.getElementById("prediction") as HTMLElement).dataset.output);
  await page.fill("#sequence", sequence);
  await page.click("#predict");
  await page.waitForFunction(() => (document.getElementById("prediction") as HTMLElement).dataset.output !== undefined, undefined, { timeout: 20_000 });
  return JSON.parse((await page.getAttribute("#prediction", "data-output")) as string) as number[][];
}

function maxAbsDiff(a: number[][], b: number[][]): number {
  if (a.length !== b.length) return Infinity;
  let max = 0;
  a.forEach((row, i) => row.forEach((v, k) => (max = Math.max(max, Math.abs(v - (b[i]?.[k] ?? Infinity))))));
  return max;
}

export async function trainingPageChecks(browser: Browser, check: Check): Promise<void> {
  mkdirSync(artifacts, { recursive: true });
  const server = await startDemoServer({ port: 0 });
  const context = await browser.newContext({ viewport: { width: 1240, height: 1000 }, acceptDownloads: true });
  try {
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("console", (msg) => {
      if (msg.type() === "error") errors.push(msg.text());
    });
    page.on("pageerror", (err) => errors.push(String(err)));
    await page.goto(`${server.origin}/`);
    await waitState(page, ["idle"]);
    check("training page: loads with no console errors", errors.length === 0, errors.join("; "));

    // 1. The seed task, 4 epochs.
    await page.fill("#sequences", "96");
    await page.fill("#layers", "lstm:16");
    await page.fill("#epochs", "4");
    await page.fill("#batch", "16");
    await page.fill("#lr", "0.02");
    await page.click("#train");
    const first = await waitState(page, ["done", "error"]);
    const s1 = await pageState(page);
    check("training page: trains the seed task 4 epochs", first === "done" && s1.losses.length === 4, s1.text);
    check("training page: the loss falls", s1.losses.length === 4 && s1.losses[3] < s1.losses[0], s1.losses.map((l) => l.toFixed(4)).join(" → "));
    check(
      "training page: the chart has one point per batch run",
      s1.batchesRun > 0 && s1.lossPoints === s1.batchesRun && s1.batches === s1.batchesRun && s1.epochPoints === 4,
      `batches run ${s1.batchesRun}, per-batch points ${s1.lossPoints}, per-epoch points ${s1.epochPoints}`,
    );
    await page.screenshot({ path: join(artifacts, "training-page.png"), fullPage: true });

    // 2. Stop and resume in the middle of a longer run.
    await page.fill("#epochs", "400");
    await page.click("#resume");
    await page.waitForFunction((n) => Number((document.getElementById("charts") as HTMLElement).dataset.batches) >= n + 3, s1.batches, { timeout: 30_000 });
    const atClick = (await pageState(page)).batches;
    await page.click("#stop");
    const stopped = await waitState(page, ["stopped", "done", "error"]);
    const s2 = await pageState(page);
    const inPage = await page.getAttribute("#status", "data-batches-at-stop");
    await page.waitForTimeout(600);
    const s2later = await pageState(page);
    check("training page: Stop stops training", stopped === "stopped" && s2later.batches === s2.batches && s2.batches > s1.batches, `${s2.text} (batches: ${s1.batches} before Resume, ${atClick} when the test clicked, ${inPage} when the page handled the click, ${s2.batches} when stopped, ${s2later.batches} 0.6 s later)`);
    await page.click("#resume");
    await page.waitForFunction((n) => Number((document.getElementById("charts") as HTMLElement).dataset.batches) >= n + 3, s2.batches, { timeout: 30_000 });
    await page.click("#stop");
    await waitState(page, ["stopped", "done", "error"]);
    const s3 = await pageState(page);
    const epochsOf = (text: string) => Number(/after epoch (\d+)/.exec(text)?.[1] ?? NaN);
    check(
      "training page: Resume continues the same run (epochs and chart go on)",
      s3.state === "stopped" && s3.batches > s2.batches && epochsOf(s3.text) >= epochsOf(s2.text) && epochsOf(s2.text) > 4 && s3.lossPoints === s3.batchesRun,
      `${s2.text} → ${s3.text}; per-batch points ${s3.lossPoints} = batches run ${s3.batchesRun}`,
    );

    // 3. Predict, save to IndexedDB, reload, load, predict again.
    const sequence = JSON.stringify(Array.from({ length: 23 }, (_, t) => [0.1 * (t % 7), 0.5, Math.sin(t), 0.25, (t % 3) / 3]));
    const before = await predictText(page, sequence);
    check("training page: predicts a typed sequence (one row per step)", before.length === 23 && before.every((r) => r.length === 2), `${before.length} rows`);
    await page.click("#save-idb");
    await waitState(page, ["saved", "error"]);
    await page.reload();
    await waitState(page, ["idle"]);
    await page.click("#load-idb");
    const loaded = await waitState(page, ["loaded", "error"]);
    const after = await predictText(page, sequence);
    check("training page: IndexedDB → reload → identical predictions", loaded === "loaded" && maxAbsDiff(before, after) === 0, `max |Δ| = ${maxAbsDiff(before, after)}`);

    // 4. Download, then Node's loadModel.
    const dir = mkdtempSync(join(tmpdir(), "ragged-download-"));
    const downloads: string[] = [];
    page.on("download", (d) => {
      const path = join(dir, d.suggestedFilename());
      downloads.push(d.suggestedFilename());
      void d.saveAs(path);
    });
    await page.click("#download");
    await waitState(page, ["downloaded", "error"]);
    await page.waitForTimeout(500);
    for (let i = 0; i < 40 && downloads.length < 2; i++) await page.waitForTimeout(100);
    const lib = await import("../../src/node.js");
    let nodeDiff = Infinity;
    let detail = downloads.join(", ");
    try {
      const model = await lib.loadModel(`file://${join(dir, "ragged-demo.json")}`);
      const out = model.predict([JSON.parse(sequence) as number[][]]) as number[][][];
      nodeDiff = maxAbsDiff(after, out[0]);
      detail += `; max |Δ| = ${nodeDiff.toExponential(2)}`;
    } catch (e) {
      detail += `; ${(e as Error).message}`;
    }
    check(
      "training page: Download → Node loadModel → the same predictions (within 1e-5: Node and Chromium wasm round differently)",
      downloads.sort().join(",") === "ragged-demo.json,ragged-demo.weights.bin" && nodeDiff <= 1e-5,
      detail,
    );
    await page.screenshot({ path: join(artifacts, "training-page-after-reload.png"), fullPage: true });

    // 5. The other data sources: JapaneseVowels (served) and a dropped JSON Lines file.
    await page.selectOption("#dataset", "vowels");
    await page.fill("#epochs", "2");
    await page.click("#train");
    const vowels = await waitState(page, ["done", "error"]);
    const sv = await pageState(page);
    const vowelsSummary = (await page.textContent("#summary")) ?? "";
    check("training page: trains on JapaneseVowels (9 classes)", vowels === "done" && sv.losses.length === 2 && /\(None, 9\)/.test(vowelsSummary), `${sv.text} ${vowelsSummary.match(/\(None, \d+\)/g)?.join(" ") ?? ""}`);
    const jsonl = Array.from({ length: 40 }, (_, i) => JSON.stringify({ x: Array.from({ length: 3 + (i % 5) }, (_, t) => [Math.sin(i + t), Math.cos(t)]), y: i % 2 ? "odd" : "even" })).join("\n");
    await page.setInputFiles("#file", { name: "mine.jsonl", mimeType: "application/x-ndjson", buffer: Buffer.from(jsonl) });
    await page.waitForFunction(() => (document.getElementById("dataset") as HTMLSelectElement).value === "file");
    await page.fill("#layers", "gru:8");
    await page.click("#train");
    const mine = await waitState(page, ["done", "error"]);
    const sm = await pageState(page);
    const probs = await predictText(page, "[[0.1, 0.9], [0.5, -0.2], [1, 0]]");
    const said = (await page.textContent("#prediction")) ?? "";
    check("training page: trains on a dropped JSONL file and names its labels", mine === "done" && sm.losses.length === 2 && probs.length === 2 && /→ (even|odd)/.test(said), `${sm.text}; prediction "${said}"`);
    check("training page: no console errors through the whole session", errors.length === 0, errors.join("; "));
    await page.close();

    // 5. A report of `ragged train` on JapaneseVowels, opened offline (file://) in Chromium.
    const out = mkdtempSync(join(tmpdir(), "ragged-report-"));
    const report = join(out, "report.html");
    await promisify(execFile)(process.execPath, ["--import", "tsx", "src/cli/main.ts", "train", "--data", "data/uea/JapaneseVowels_TRAIN.ts", "--validation", "data/uea/JapaneseVowels_TEST.ts", "--layers", "lstm:32", "--epochs", "6", "--batch-size", "32", "--learning-rate", "0.005", "--out", join(out, "model"), "--report", report], { cwd: root });
    const offline = await browser.newContext({ viewport: { width: 1240, height: 900 }, offline: true });
    const rp = await offline.newPage();
    const reportErrors: string[] = [];
    rp.on("pageerror", (err) => reportErrors.push(String(err)));
    rp.on("console", (msg) => {
      if (msg.type() === "error") reportErrors.push(msg.text());
    });
    await rp.goto(`file://${report}`);
    await rp.waitForSelector("body[data-rendered='1']", { timeout: 20_000 });
    const shown = await rp.evaluate(() => ({
      charts: Array.from(document.querySelectorAll("figure.chart")).map((f) => ({ title: (f as HTMLElement).dataset.title, points: Number((f as HTMLElement).dataset.points), canvas: f.querySelector("canvas") !== null })),
      cells: document.querySelectorAll("#confusion td").length,
      headers: Array.from(document.querySelectorAll("#confusion tr:first-child th")).slice(1).map((th) => th.textContent),
    }));
    await rp.screenshot({ path: join(artifacts, "report-japanese-vowels.png"), fullPage: true });
    const titles = shown.charts.map((c) => c.title);
    check(
      "report: renders offline with curves, learning rate, time, padding efficiency and accuracy by length",
      reportErrors.length === 0 && ["loss", "accuracy", "loss (per batch)", "learning rate", "seconds per epoch", "padding efficiency", "accuracy by length (with the length histogram)"].every((t) => titles.includes(t)) && shown.charts.every((c) => c.canvas && c.points > 0),
      `${titles.join(", ")}${reportErrors.length ? `; errors: ${reportErrors.join("; ")}` : ""}`,
    );
    check("report: a 9×9 confusion matrix with the speakers' labels", shown.cells === 81 && shown.headers.join(",") === "1,2,3,4,5,6,7,8,9", `${shown.cells} cells, labels ${shown.headers.join(",")}`);
    await offline.close();
  } finally {
    await context.close();
    await server.close();
  }
}
