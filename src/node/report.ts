/**
 * Writing HTML reports from Node: uPlot's files are read from the installed `uplot` package and
 * inlined (render_report.ts), and the file is written under a temporary name, then renamed, so a
 * failed run never leaves half a report.
 *
 * @example
 * await checkReportPath("report.html");               // before training: fail early
 * await writeReport("report.html", reportData({ title: "run", recorder }));
 */
import { constants, promises as fsp } from "node:fs";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { RaggedError } from "../core/errors.js";
import type { ReportData } from "../vis/report_data.js";
import { type ReportAssets, renderReport } from "../vis/render_report.js";

let assets: ReportAssets | null = null;

/** uPlot's minified script and CSS, from node_modules. */
export async function reportAssets(): Promise<ReportAssets> {
  if (assets) return assets;
  const require = createRequire(import.meta.url);
  const dist = dirname(require.resolve("uplot/dist/uPlot.iife.min.js"));
  const [uplotJs, uplotCss] = await Promise.all([fsp.readFile(`${dist}/uPlot.iife.min.js`, "utf8"), fsp.readFile(`${dist}/uPlot.min.css`, "utf8")]);
  assets = { uplotJs, uplotCss };
  return assets;
}

/**
 * Checks that a report can be written at `path`: not a folder, and its folder exists.
 * @throws RaggedError `IO_ERROR` saying which.
 */
export async function checkReportPath(path: string): Promise<void> {
  const stat = await fsp.stat(path).catch(() => null);
  if (stat?.isDirectory()) {
    throw new RaggedError("IO_ERROR", `Cannot write the report to ${JSON.stringify(path)}: it is a folder.`, {
      expected: "a file name such as report.html",
      help: `e.g. --report ${path.replace(/[\\/]+$/, "")}/report.html`,
    });
  }
  const dir = dirname(path);
  const dirStat = await fsp.stat(dir).catch(() => null);
  if (!dirStat?.isDirectory()) {
    throw new RaggedError("IO_ERROR", `Cannot write the report to ${JSON.stringify(path)}: the folder ${JSON.stringify(dir)} does not exist.`, {
      help: "create the folder first, or write the report elsewhere",
    });
  }
  try {
    await fsp.access(dir, constants.W_OK);
  } catch {
    throw new RaggedError("IO_ERROR", `Cannot write the report to ${JSON.stringify(path)}: the folder is not writable.`);
  }
}

/**
 * Renders `data` and writes it to `path` (temporary file, then rename).
 * @throws RaggedError `IO_ERROR` when the path is a folder or cannot be written.
 */
export async function writeReport(path: string, data: ReportData): Promise<void> {
  await checkReportPath(path);
  const html = renderReport(data, await reportAssets());
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    await fsp.writeFile(tmp, html);
    await fsp.rename(tmp, path);
  } catch (e) {
    await fsp.unlink(tmp).catch(() => undefined);
    throw new RaggedError("IO_ERROR", `Cannot write the report to ${JSON.stringify(path)}.`, { received: (e as Error).message });
  }
}
