/**
 * Section "ctc": does the CTC loss matter in a training step? The g2p-ctc example's model
 * (embedding → 2 × bidirectional LSTM(128) → dense softmax over 39 phonemes + blank) on a batch of
 * 64 real CMUdict words (each letter fed twice), timed as one `trainOnBatch` (1 thread), against the
 * CTC loss alone (forward and backward, the plain-TypeScript kernel) on predictions of the same
 * shape and the same labels. Interleaved; the ratio of medians is the loss's share of a step. A
 * WebAssembly CTC kernel is only worth writing if that share is large. Also timed: decoding the
 * batch's predictions (the untrained model's: nearly flat rows, beam search's hardest case) greedily
 * and by beam search, per word.
 */
import { ctcDecode, getLoss, layers, packLayout, sequential } from "../dist/index.js";
import { GRAPHEMES, PHONEMES, Vocabulary, cmudictG2P } from "../examples/_shared/cmudict.js";
import type { BenchOptions } from "./options.js";
import { find, heading, ms, table } from "./report.js";
import { interleave } from "./stats.js";

export async function ctcSection(o: BenchOptions, print: (s: string) => void): Promise<void> {
  const B = 64;
  const words = cmudictG2P({ limit: B }).train;
  const graphemes = new Vocabulary(GRAPHEMES, { reserved: ["<pad>"] });
  const phonemes = new Vocabulary(PHONEMES, { reserved: ["<blank>"] });
  const xs = words.map((w) => w.letters.flatMap((c) => [graphemes.id(c), graphemes.id(c) + GRAPHEMES.length]));
  const ys = words.map((w) => phonemes.encode(w.phonemes));
  const K = phonemes.size;
  const model = sequential(
    [
      layers.embedding({ inputDim: 1 + 2 * GRAPHEMES.length, outputDim: 64 }),
      layers.bidirectional({ layer: layers.lstm({ units: 128, returnSequences: true }) }),
      layers.bidirectional({ layer: layers.lstm({ units: 128, returnSequences: true }) }),
      layers.timeDistributed({ layer: layers.dense({ units: K, activation: "softmax" }) }),
    ],
    { seed: 1 },
  );
  model.compile({ loss: { name: "ctc", zeroInfinity: true }, optimizer: "adam" });

  // the loss alone: packed softmax rows of the batch's lengths, the batch's labels in sorted order
  const layout = packLayout(xs.map((x) => x.length));
  const pred = new Float32Array(layout.totalSteps * K);
  for (let r = 0; r < layout.totalSteps; r++) for (let k = 0; k < K; k++) pred[r * K + k] = 1 / K;
  const labelOffsets = new Int32Array(B + 1);
  for (let j = 0; j < B; j++) labelOffsets[j + 1] = labelOffsets[j] + ys[layout.sortedIndices[j]].length;
  const labels = new Float32Array(labelOffsets[B]);
  for (let j = 0; j < B; j++) labels.set(ys[layout.sortedIndices[j]], labelOffsets[j]);
  const loss = getLoss({ name: "ctc", zeroInfinity: true });
  const scale = new Float32Array(B).fill(1 / B);
  const grad = new Float32Array(pred.length);
  const computeSequences = loss.computeSequences as NonNullable<typeof loss.computeSequences>;

  const probs = model.predict(xs) as number[][][];
  const rounds = o.rounds * 2;
  const timings = await interleave(
    [
      { name: "train step", rounds, warmup: o.warmup, run: () => model.trainOnBatch(xs, ys) },
      { name: "ctc loss", rounds, warmup: o.warmup, run: () => computeSequences({ pred, layout, labels, labelOffsets, width: K, grad, scale })[0] },
      { name: "greedy", rounds, warmup: o.warmup, run: () => ctcDecode(probs).paths.length },
      { name: "beam 8", rounds, warmup: o.warmup, run: () => ctcDecode(probs, { strategy: "beamSearch", beamWidth: 8 }).paths.length },
    ],
    { label: "ctc" },
  );
  const step = find(timings, "train step");
  const ctc = find(timings, "ctc loss");
  print(heading(`CTC: the loss's share of a g2p-ctc training step (B = ${B} words, ${layout.totalSteps} steps, K = ${K})`));
  print(table(
    ["contender", "median ms", "min–max ms"],
    [
      ["trainOnBatch (2 × BiLSTM 128, 1 thread)", ms(step.median), `${ms(step.min)}–${ms(step.max)}`],
      ["ctc loss forward + backward (TypeScript)", ms(ctc.median), `${ms(ctc.min)}–${ms(ctc.max)}`],
    ],
  ));
  print(`ctc loss / train step (medians): ${(ctc.median / step.median).toFixed(4)}`);
  const perWord = (name: string) => {
    const t = find(timings, name);
    const f = (v: number) => (v / B).toFixed(3);
    return [`${name === "greedy" ? "greedy" : "beam search, width 8"} (ctcDecode)`, f(t.median), `${f(t.min)}–${f(t.max)}`];
  };
  print("");
  print(table(["decoding the batch's predictions", "median ms/word", "min–max ms/word"], [perWord("greedy"), perWord("beam 8")]));
}
