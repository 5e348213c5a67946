/**
 * Section "mixed": one batch of 1000 sequences whose lengths are uniform in [10, 100) within the
 * batch — the case packing is for. Contenders, interleaved after warm-up:
 * - ragged on the ragged batch (packed: work ∝ Σ lengths);
 * - the same split across 2 threads (shares of equal Σ lengths);
 * - ragged on the same batch post-padded with zero steps to its longest, fed as if real (ragged
 *   has no masking layer yet; this is the compute a padded framework does: B × max length);
 * - TF.js wasm on the padded batch behind Masking(0) (optional, slow: --mask-rounds).
 * Padded target steps are all-zero rows (no loss, no gradient, same compute).
 */
import { flatPadded, maxLength, padNested, seedBatch, totalSteps } from "./data.js";
import type { BenchOptions } from "./options.js";
import { raggedStepContender } from "./ragged_models.js";
import { find, heading, ratioLine, timingTable } from "./report.js";
import { interleave, type Contender } from "./stats.js";
import { tfStepContender } from "./tfjs_models.js";

export async function mixedLengthsSection(o: BenchOptions, print: (s: string) => void): Promise<void> {
  const B = o.batch;
  const { xs, ys } = seedBatch(B, 3, null);
  const T = maxLength(xs);
  const sum = totalSteps(xs);
  const paddedXs = padNested(xs, T, 5);
  const paddedYs = padNested(ys, T, 2);

  const PACKED = "ragged packed (ragged batch)";
  const THREADS = "ragged packed, 2 threads";
  const PADDED = "ragged padded to longest";
  const MASKED = "TF.js wasm padded + Masking";
  const w = o.warmup;
  const tf =
    o.maskRounds > 0
      ? await tfStepContender({
          name: MASKED, backend: "wasm", masking: true, rounds: o.maskRounds, warmup: 1,
          x: flatPadded(xs, T, 5), y: flatPadded(ys, T, 2), batch: B, steps: T, features: 5,
        })
      : null;
  const contenders: Contender[] = [
    raggedStepContender({ name: PACKED, xs, ys, rounds: o.mixedRounds, warmup: w }),
    raggedStepContender({ name: THREADS, xs, ys, rounds: o.mixedRounds, warmup: w, threads: 2 }),
    raggedStepContender({ name: PADDED, xs: paddedXs, ys: paddedYs, rounds: o.mixedRounds, warmup: w }),
    ...(tf ? [tf] : []),
  ];
  const timings = await interleave(contenders, { label: "mixed" });
  tf?.dispose();

  print(heading(`Mixed-length batch: ${B} sequences, lengths uniform in [10, 100), one trainOnBatch`));
  print(`Σ lengths = ${sum} steps; padded B × max = ${B} × ${T} = ${B * T} steps; Σ/(B·max) = ${(sum / (B * T)).toFixed(3)}`);
  print("");
  print(timingTable(timings));
  print("");
  const packed = find(timings, PACKED);
  print(ratioLine("packed", packed, "padded", find(timings, PADDED)));
  print(ratioLine("2 threads", find(timings, THREADS), "1 thread", packed));
  if (tf) print(ratioLine("packed", packed, "TF.js-wasm-masked", find(timings, MASKED)));
  print("(padded contenders' losses average over the padded steps too — zero targets, zero loss —");
  print(" ragged has no masking layer yet and TF.js does not mask its loss; the compute is what is compared)");
}
