/**
 * Browser test (`npm run test:browser`; needs Debian's Chromium at /usr/bin/chromium, which
 * .ci/run installs): serves the dist/browser bundle and a page from 127.0.0.1, drives Chromium
 * with playwright-core, and runs scenario.ts there — build, fit 3 epochs (progress to the page's
 * console), predict on sequences of new lengths, save to memory and load back, data-parallel
 * training over Web Workers — then runs the same scenario in Node and compares.
 * Ends with the plain line "N passed, N failed"; exits 1 on any failure.
 */
import { readFile } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { build, transform } from "esbuild";
import { chromium, type Browser } from "playwright-core";
import type { ScenarioResult, ThreadsResult } from "./scenario.js";
import { runScenario, testSequences } from "./scenario.js";
import { trainingPageChecks } from "./training_page.js";

const CHROMIUM = "/usr/bin/chromium";
// The flags known to work on these machines (closed network: no background connections).
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
/** Node (wasm "simd", mul+add) and Chromium (wasm "relaxed-simd", FMA) round differently. */
const TOLERANCE = 1e-5;
const DEADLINE_MS = 360_000;

const root = new URL("../../", import.meta.url);
const bundleUrl = new URL("dist/browser/ragged.js", root);

let passed = 0;
let failed = 0;
function check(name: string, ok: boolean, detail = ""): void {
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? "ok  " : "FAIL"}  ${name}${detail ? ` — ${detail}` : ""}`);
}

function maxAbsDiff(a: number[][][], b: number[][][]): number {
  if (a.length !== b.length) return Infinity;
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i].length !== b[i].length) return Infinity;
    for (let t = 0; t < a[i].length; t++) {
      if (a[i][t].length !== b[i][t].length) return Infinity;
      for (let k = 0; k < a[i][t].length; k++) max = Math.max(max, Math.abs(a[i][t][k] - b[i][t][k]));
    }
  }
  return max;
}

const fmt = (xs: number[]) => xs.map((x) => x.toFixed(4)).join(" → ");

type Files = Record<string, { type: string; body: string | Buffer }>;

/**
 * Serves `files`; a POST to /upload (the http handler's multipart form: model.json and
 * model.weights.bin) stores them as /model/model.json and /model/model.weights.bin.
 */
async function serve(files: Files): Promise<{ server: http.Server; origin: string }> {
  const server = http.createServer(async (req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    if (req.method === "POST" && path === "/upload") {
      try {
        const chunks: Buffer[] = [];
        for await (const chunk of req) chunks.push(chunk as Buffer);
        const form = await new Response(Buffer.concat(chunks), { headers: { "content-type": req.headers["content-type"] ?? "" } }).formData();
        for (const [name, type] of [["model.json", "application/json"], ["model.weights.bin", "application/octet-stream"]]) {
          const part = form.get(name);
          if (!(part instanceof Blob)) throw new Error(`upload without ${name}`);
          files[`/model/${name}`] = { type, body: Buffer.from(await part.arrayBuffer()) };
        }
        res.writeHead(200, { "content-type": "application/json" }).end("{}");
      } catch (err) {
        res.writeHead(400).end(String(err));
      }
      return;
    }
    const file = files[path];
    if (!file) {
      res.writeHead(404).end("not found");
      return;
    }
    res.writeHead(200, { "content-type": file.type, "cache-control": "no-store" }).end(file.body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function main(): Promise<void> {
  // 1. The bundle: built by `npm run build:browser`, self-contained, nothing from Node.
  let bundle: string;
  try {
    bundle = await readFile(bundleUrl, "utf8");
  } catch {
    check("dist/browser/ragged.js exists", false, "run `npm run build:browser` first");
    return;
  }
  const imports = bundle.match(/^\s*(import|export)\s[^;]*\sfrom\s*["'][^"']+["']/gm) ?? [];
  check("the bundle imports nothing (self-contained)", imports.length === 0, imports.slice(0, 3).join("; "));
  check("the bundle names no Node built-in", !/["']node:/.test(bundle) && !/\brequire\(/.test(bundle));
  // uPlot draws into an element of class "u-over"; the core bundle must not carry the library.
  check("the core bundle leaves the chart library out (uPlot is in ragged-vis.js)", !bundle.includes("u-over"), `${(bundle.length / 1024).toFixed(0)} kB`);

  // package.json's "browser" condition: a bundler targeting browsers resolves "ragged-rnn" to the bundle.
  const resolved = await build({
    stdin: { contents: 'export { kernels } from "ragged-rnn";', resolveDir: fileURLToPath(root), loader: "js" },
    bundle: true, platform: "browser", format: "esm", write: false, metafile: true, logLevel: "silent",
    // As a consumer sees it: the repository's tsconfig paths (ragged-rnn → src/index.ts, for the examples) do not apply.
    tsconfigRaw: {},
  }).then((r) => Object.keys(r.metafile.inputs).filter((f) => f !== "<stdin>"), (err: unknown) => [String(err)]);
  check('a browser bundler resolves "ragged-rnn" to dist/browser/ragged.js', resolved.length === 1 && resolved[0] === "dist/browser/ragged.js", resolved.slice(0, 3).join(", "));

  const scenarioJs = (await transform(await readFile(new URL("./scenario.ts", import.meta.url), "utf8"), { loader: "ts", format: "esm", target: "es2022" })).code;
  const { server, origin } = await serve({
    "/": { type: "text/html", body: '<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><title>ragged browser test</title><p>ragged</p>' },
    "/ragged.js": { type: "text/javascript", body: bundle },
    "/ragged.js.map": { type: "application/json", body: await readFile(new URL("dist/browser/ragged.js.map", root)) },
    "/scenario.js": { type: "text/javascript", body: scenarioJs },
    "/ragged-vis.js": { type: "text/javascript", body: await readFile(new URL("dist/browser/ragged-vis.js", root)) },
    // The Web Worker script of data-parallel training (see training/parallel/platform.ts).
    "/worker.js": {
      type: "text/javascript",
      body: 'import { modelFromArtifacts, serveReplica } from "/ragged.js";\nserveReplica(self, (artifacts) => modelFromArtifacts(artifacts, "web worker"));\n',
    },
  });

  let browser: Browser | null = null;
  try {
    // 2. Chromium from Debian, never a browser of Playwright's own; launch() gives it a fresh profile dir.
    browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, timeout: 60_000 });
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on("console", (msg) => {
      console.log(`  [chromium ${msg.type()}] ${msg.text()}`);
      if (msg.type() === "error") pageErrors.push(msg.text());
    });
    page.on("pageerror", (err) => pageErrors.push(String(err)));
    await page.goto(`${origin}/`);
    console.log(`# ${await browser.version()} on ${origin}`);

    const inPage: ScenarioResult = await page.evaluate(
      `(async () => { const lib = await import("/ragged.js"); const s = await import("/scenario.js"); return s.runScenario(lib, 1, location.origin); })()`,
    );
    check("wasm SIMD kernels in Chromium", inPage.kernels === "wasm-simd", `kernels().name = ${inPage.kernels}, build ${inPage.variant}`);
    check("loss decreased over 3 epochs", inPage.losses.length === 3 && inPage.losses[2] < inPage.losses[0], `loss ${fmt(inPage.losses)}, accuracy ${fmt(inPage.accuracy)}`);
    const lengths = testSequences().map((s) => s.length);
    check("predict keeps each sequence's length", JSON.stringify(inPage.predictedLengths) === JSON.stringify(lengths), `lengths ${inPage.predictedLengths.join(", ")}`);
    const rowSums = inPage.predictions.flat().map((row) => row.reduce((a, b) => a + b, 0));
    check("softmax rows sum to 1", rowSums.every((s) => Math.abs(s - 1) < 1e-5));
    check("save to memory() and load back predicts the same", maxAbsDiff(inPage.predictions, inPage.loadedPredictions) === 0, `max |Δ| = ${maxAbsDiff(inPage.predictions, inPage.loadedPredictions)}`);
    const dHttp = inPage.httpPredictions ? maxAbsDiff(inPage.predictions, inPage.httpPredictions) : Infinity;
    check("save over HTTP (POST) and loadModel(URL) back predicts the same", dHttp === 0, `max |Δ| = ${dHttp}`);

    // 3. The same scenario in Node, from the sources.
    const lib = await import("../../src/index.js");
    const inNode = await runScenario(lib, 0, origin);
    console.log(`# node: kernels ${inNode.kernels} (${inNode.variant}), ${inNode.ms.toFixed(0)} ms; chromium: ${inPage.ms.toFixed(0)} ms`);
    const dInit = maxAbsDiff(inPage.initialPredictions, inNode.initialPredictions);
    check(`untrained predictions: Chromium = Node (seed 1) within ${TOLERANCE}`, dInit <= TOLERANCE, `max |Δ| = ${dInit.toExponential(2)}`);
    const dLoss = Math.max(...inPage.losses.map((l, i) => Math.abs(l - inNode.losses[i])));
    check(`training losses: Chromium = Node within ${TOLERANCE}`, dLoss <= TOLERANCE, `node loss ${fmt(inNode.losses)}, max |Δ| = ${dLoss.toExponential(2)}`);
    const dTrained = maxAbsDiff(inPage.predictions, inNode.predictions);
    check(`trained predictions: Chromium = Node within ${TOLERANCE}`, dTrained <= TOLERANCE, `max |Δ| = ${dTrained.toExponential(2)}`);
    check("Node: save over HTTP and load back predicts the same", inNode.httpPredictions !== null && maxAbsDiff(inNode.predictions, inNode.httpPredictions) === 0);
    const saved = inPage.saved;
    const fromBrowser = lib.modelFromArtifacts({
      modelTopology: saved.modelTopology as never,
      weightSpecs: saved.weightSpecs as never,
      weightData: Uint8Array.from(saved.weightBytes).buffer,
    });
    const dLoaded = maxAbsDiff(inPage.predictions, fromBrowser.predict(testSequences()) as number[][][]);
    check(`the model saved in Chromium, loaded in Node, predicts the same within ${TOLERANCE}`, dLoaded <= TOLERANCE, `max |Δ| = ${dLoaded.toExponential(2)}`);

    // 4. Data-parallel training over Web Workers, where the threads feature exists.
    const hasThreads: boolean = await page.evaluate(`import("/ragged.js").then((lib) => typeof lib.setThreadPlatform === "function" && typeof lib.serveReplica === "function")`);
    if (!hasThreads) {
      console.log("# skipped: Web Worker threads (no setThreadPlatform/serveReplica in this build)");
    } else {
      const threads: ThreadsResult = await page.evaluate(
        `(async () => { const lib = await import("/ragged.js"); const s = await import("/scenario.js"); return s.runThreads(lib, () => new Worker("/worker.js", { type: "module" })); })()`,
      );
      const dThreads = Math.max(...threads.twoThreadLosses.map((l, i) => Math.abs(l - threads.oneThreadLosses[i])));
      // 8 steps (2 epochs × 4 batches of 16) of 8 chunks each (NOTE [ chunks claimed at run time ]); the
      // worker answers every chunk and runs those it claims (without shared memory: the first half)
      // 2 epochs × 4 steps × 8 chunks: the worker is posted at least its half and answers every chunk posted to it
      check("fit({ threads: 2 }) trains through a Web Worker", threads.workersCreated === 1 && threads.chunksPosted >= 32 && threads.chunksAnswered === threads.chunksPosted && threads.chunksRun > 0, `workers started: ${threads.workersCreated}, chunks posted to it: ${threads.chunksPosted} (of 64), answered: ${threads.chunksAnswered}, run by the worker: ${threads.chunksRun}`);
      check(`2 threads = 1 thread within ${TOLERANCE}`, dThreads <= TOLERANCE, `loss ${fmt(threads.twoThreadLosses)} vs ${fmt(threads.oneThreadLosses)}, max |Δ| = ${dThreads.toExponential(2)}`);
    }
    check("no errors in the page (uncaught or console.error)", pageErrors.length === 0, pageErrors.join("; "));

    // 5. liveChart (the ragged-vis bundle) as a fit callback: a name the model does not log is a coded
    // error before training; a known one draws one point per batch and per epoch.
    const live = (await page.evaluate(`(async () => {
      const lib = await import("/ragged.js");
      const vis = await import("/ragged-vis.js");
      const s = await import("/scenario.js");
      const data = s.makeData(40, 7);
      const model = s.buildModel(lib);
      const box = document.createElement("div");
      document.body.appendChild(box);
      let code = null;
      try {
        await model.fit(data.xs, data.ys, { epochs: 1, verbose: 0, callbacks: [vis.liveChart(box, { metrics: ["acuracy"] })] });
      } catch (e) { code = e.code ?? String(e); }
      const chart = vis.liveChart(box, { metrics: ["loss", "accuracy"] });
      let batches = 0;
      await model.fit(data.xs, data.ys, { epochs: 2, batchSize: 8, verbose: 0, callbacks: [chart, { onBatchEnd: () => { batches++; } }] });
      chart.flush();
      return { code, batches, points: chart.points("loss", "batch"), epochs: chart.points("accuracy", "epoch"), canvases: box.querySelectorAll("canvas").length };
    })()`)) as { code: string | null; batches: number; points: number; epochs: number; canvases: number };
    check("liveChart: an unknown metric name fails fit with UNKNOWN_NAME before training", live.code === "UNKNOWN_NAME", `code ${live.code}`);
    check("liveChart: one point per batch and per epoch, drawn on canvases", live.batches > 0 && live.points === live.batches && live.epochs === 2 && live.canvases >= 4, `batches ${live.batches}, points ${live.points}, epoch points ${live.epochs}, canvases ${live.canvases}`);

    // 6. The training page (npm run demo:web) and an HTML report; screenshots in test-artifacts/.
    await trainingPageChecks(browser, check);
  } catch (err) {
    check("the browser run completed", false, err instanceof Error ? (err.stack ?? err.message) : String(err));
  } finally {
    await browser?.close().catch(() => undefined);
    server.close();
  }
}

const deadline = setTimeout(() => {
  check(`finished within ${DEADLINE_MS / 1000} s`, false);
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(1);
}, DEADLINE_MS);
await main().catch((err: unknown) => check("test harness", false, String(err)));
clearTimeout(deadline);
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 || passed === 0 ? 1 : 0;
