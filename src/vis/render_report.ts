/**
 * A report as one self-contained HTML file: the report's JSON, the uPlot library and its CSS, and
 * the drawing script (report_page_script.ts), all inline — it opens offline, from anywhere.
 *
 * NOTE [ charting library ]: uPlot (MIT, ~50 kB minified, no dependencies). It draws thousands of
 * points (per-batch curves) on a canvas fast enough to redraw after every batch — which `liveChart`
 * does in a training page — and it has the bar paths the length histogram needs; Chart.js is four
 * times its size and slower on streaming data, Vega-Lite (with Vega) twenty times. The confusion
 * matrix is an HTML table with shaded cells, which keeps the class names readable at any count.
 * uPlot is a runtime dependency only of the report and chart code: the core bundle does not import it.
 *
 * @example
 * const html = renderReport(reportData({ title: "run", recorder }), { uplotJs, uplotCss });
 */
import type { ReportData } from "./report_data.js";
import { REPORT_PAGE_SCRIPT } from "./report_page_script.js";

export interface ReportAssets {
  /** uPlot's IIFE build (`uplot/dist/uPlot.iife.min.js`). */
  uplotJs: string;
  /** `uplot/dist/uPlot.min.css`. */
  uplotCss: string;
}

const STYLE = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d2630; margin: 0; background: #f6f7f9; }
#report { max-width: 1200px; margin: 0 auto; padding: 16px 24px 48px; }
h1 { font-size: 22px; margin: 8px 0 2px; }
h2 { font-size: 17px; margin: 28px 0 4px; border-bottom: 1px solid #d5dae0; padding-bottom: 4px; }
.note { color: #5b6775; margin: 2px 0 10px; }
.grid { display: flex; flex-wrap: wrap; gap: 12px; }
figure.chart { background: #fff; border: 1px solid #dde2e8; border-radius: 6px; margin: 0; padding: 8px; }
figcaption { font-weight: 600; margin: 0 0 4px 4px; }
pre { background: #fff; border: 1px solid #dde2e8; border-radius: 6px; padding: 10px; overflow-x: auto; font-size: 12px; }
details summary { cursor: pointer; font-weight: 600; margin-top: 12px; }
table { border-collapse: collapse; background: #fff; }
table.logs th, table.logs td { border: 1px solid #dde2e8; padding: 4px 10px; text-align: right; }
table.confusion th, table.confusion td { border: 1px solid #dde2e8; padding: 6px 10px; text-align: center; min-width: 32px; font-variant-numeric: tabular-nums; }
table.confusion th.corner { font-weight: 400; color: #5b6775; font-size: 12px; }
`;

/** `</script>` inside code would end the script element early (`<\/` means the same in JS text). */
function scriptSafe(text: string): string {
  return text.replace(/<\/(script)/gi, "<\\/$1");
}

/** JSON with every `<` escaped (`\u003c`), so no text in it can close or open an element. */
function jsonSafe(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c");
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c] as string);
}

/** The report as HTML text. */
export function renderReport(data: ReportData, assets: ReportAssets): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="ragged">
<title>${escapeHtml(data.title)}</title>
<style>${assets.uplotCss}</style>
<style>${STYLE}</style>
</head>
<body>
<main id="report"></main>
<script type="application/json" id="report-data">${jsonSafe(data)}</script>
<script>${scriptSafe(assets.uplotJs)}</script>
<script>${scriptSafe(REPORT_PAGE_SCRIPT)}</script>
</body>
</html>
`;
}

/** The report's data, read back from its HTML (what the page script draws). */
export function reportDataFromHtml(html: string): ReportData {
  const match = /<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/.exec(html);
  if (!match) throw new Error("no report data in this HTML");
  return JSON.parse(match[1]) as ReportData;
}
