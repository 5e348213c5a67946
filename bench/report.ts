/**
 * Printing: plain-text tables and ratio lines, the same look for every section.
 */
import type { Summary, Timings } from "./stats.js";
import { summarize } from "./stats.js";
import { contentionCores } from "./contention.js";

/** A left-aligned first column, right-aligned others. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join("  ").trimEnd();
  const rule = widths.map((w) => "-".repeat(w)).join("  ");
  return [line(headers), rule, ...rows.map(line)].join("\n");
}

/** Milliseconds to three significant digits at most (one decimal from 1 ms, two below: predict's calls take 0.1–0.5 ms). */
export function ms(v: number): string {
  if (!Number.isFinite(v)) return "—";
  return v >= 100 ? v.toFixed(0) : v >= 1 ? v.toFixed(1) : v.toFixed(2);
}

/**
 * The standard timing table: one row per contender, median / min / max ms per run, and where it was
 * measured, the cores other processes of this operating system held during its timed runs
 * (contention.ts; a noisy host below it does not show there).
 */
export function timingTable(timings: readonly Timings[], unit = "ms/step"): string {
  const measured = timings.some((t) => t.contention !== undefined);
  const rows = timings.map((t) => {
    const s = summarize(t.samples);
    const row = [t.name, String(s.n), ms(s.median), ms(s.min), ms(s.max), t.last === null ? "" : t.last.toFixed(4)];
    return measured ? [...row, t.contention ? contentionCores(t.contention).toFixed(2) : "—"] : row;
  });
  const headers = ["contender", "n", `median ${unit}`, "min", "max", "last loss"];
  return table(measured ? [...headers, "other processes' cores"] : headers, rows);
}

/** "a / b = 0.12 (b takes 8.3× as long)", from medians, with the ratio of minima beside it. */
export function ratioLine(aName: string, a: Summary, bName: string, b: Summary): string {
  const r = a.median / b.median;
  const rMin = a.min / b.min;
  const words = r < 1 ? `${aName} is ${(1 / r).toFixed(1)}× faster` : `${aName} is ${r.toFixed(1)}× slower`;
  return `${aName} / ${bName} = ${r.toFixed(3)} (medians; minima ${rMin.toFixed(3)}) — ${words}`;
}

export function find(timings: readonly Timings[], name: string): Summary {
  const t = timings.find((x) => x.name === name);
  if (!t) throw new Error(`no contender named ${name}`);
  return summarize(t.samples);
}

export function heading(title: string): string {
  return `\n## ${title}\n`;
}
