/**
 * `npm run demo:web`: serves the training page on 127.0.0.1 only (never on other interfaces).
 * The page and its Web Worker are bundled from demo/web/*.ts with esbuild at start; the
 * JapaneseVowels files come from data/uea.
 *
 *   npm run demo:web              # http://127.0.0.1:8080/
 *   npm run demo:web -- --port 0  # any free port
 */
import { readFile } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = new URL("./", import.meta.url);
const root = new URL("../../", import.meta.url);

async function bundle(entry: string): Promise<string> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL(entry, here))],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    write: false,
    logLevel: "warning",
    sourcemap: "inline",
  });
  return result.outputFiles[0].text;
}

export interface DemoServer {
  origin: string;
  close(): Promise<void>;
}

/** Starts the server; `port: 0` picks a free one. */
export async function startDemoServer(options: { port?: number } = {}): Promise<DemoServer> {
  const [page, worker, html, train, test] = await Promise.all([
    bundle("page.ts"),
    bundle("worker.ts"),
    readFile(new URL("index.html", here)),
    readFile(new URL("data/uea/JapaneseVowels_TRAIN.ts", root)),
    readFile(new URL("data/uea/JapaneseVowels_TEST.ts", root)),
  ]);
  const files: Record<string, { type: string; body: string | Buffer }> = {
    "/": { type: "text/html; charset=utf-8", body: html },
    "/page.js": { type: "text/javascript", body: page },
    "/worker.js": { type: "text/javascript", body: worker },
    "/data/JapaneseVowels_TRAIN.ts": { type: "text/plain; charset=utf-8", body: train },
    "/data/JapaneseVowels_TEST.ts": { type: "text/plain; charset=utf-8", body: test },
  };
  const server = http.createServer((req, res) => {
    const file = files[new URL(req.url ?? "/", "http://x").pathname];
    if (!file || (req.method !== "GET" && req.method !== "HEAD")) {
      res.writeHead(404).end("not found");
      return;
    }
    res.writeHead(200, { "content-type": file.type, "cache-control": "no-store" }).end(file.body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 8080, "127.0.0.1", resolve);
  });
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { origin, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const i = process.argv.indexOf("--port");
  const port = i >= 0 ? Number(process.argv[i + 1]) : 8080;
  const { origin } = await startDemoServer({ port });
  console.log(`ragged training page: ${origin}/  (localhost only; Ctrl-C to stop)`);
}
