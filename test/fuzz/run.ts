/**
 * `npm run fuzz [-- --runs N] [-- --seed S] [-- --target NAME]`: runs every fuzz target of
 * targets.ts N times (default 10,000) and prints, per target, how many cases were refused with a
 * coded error, accepted, and anything else (uncoded errors, silent non-finite values, hangs), with
 * the first few examples of each failure. Exit code 1 when any case is not coded or ok.
 */
import fc from "fast-check";
import { cleanUp, type Outcome, targets, withTimeout } from "./targets.js";

function arg(name: string, fallback: string): string {
  const k = process.argv.indexOf(`--${name}`);
  return k >= 0 && process.argv[k + 1] !== undefined ? process.argv[k + 1] : fallback;
}

const runs = Number(arg("runs", "10000"));
const seed = Number(arg("seed", String(Date.now() % 2 ** 31)));
const only = arg("target", "");

console.log(`ragged fuzz: ${runs} cases per target, seed ${seed}`);
let failures = 0;
for (const target of targets) {
  if (only && !target.name.toLowerCase().includes(only.toLowerCase())) continue;
  const counts: Record<Outcome, number> = { ok: 0, coded: 0, uncoded: 0, nan: 0, hang: 0 };
  const examples: string[] = [];
  const started = performance.now();
  for (const input of fc.sample(target.arbitrary, { numRuns: runs, seed })) {
    const { outcome, detail } = await withTimeout(() => target.run(input), 10_000);
    counts[outcome]++;
    if (outcome !== "ok" && outcome !== "coded" && examples.length < 5) {
      let shown: string;
      try {
        shown = fc.stringify(input).slice(0, 300);
      } catch {
        shown = String(input);
      }
      examples.push(`  ${outcome}: ${detail ?? ""}\n    input: ${shown}`);
    }
  }
  const other = counts.uncoded + counts.nan + counts.hang;
  failures += other;
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`${target.name}: coded ${counts.coded} / ok ${counts.ok} / other ${other} (uncoded ${counts.uncoded}, silent non-finite ${counts.nan}, hangs ${counts.hang}) in ${seconds} s`);
  for (const e of examples) console.log(e);
}
cleanUp();
process.exitCode = failures > 0 ? 1 : 0;
