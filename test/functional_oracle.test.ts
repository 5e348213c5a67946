/**
 * TF.js as the oracle for functional models (issue 9): the same weights, ragged input in ragged
 * versus post-padded + masked input in TF.js. For each graph of test/graphs/cases.ts, the outputs
 * at real steps and every weight after one SGD step on Keras' masked loss agree within 1e-4
 * (absolute, or relative above 1). Porting notes: see test/graphs/cases.ts.
 */
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { Random } from "../src/core/random.js";
import { GRAPH_CASES, copyWeightsByName, theirLoss } from "./graphs/cases.js";
import { maxRelDiff } from "./harness.js";

const TOL = 1e-4;
const LR = 0.1;

beforeAll(async () => {
  await tf.setBackend("cpu");
  await tf.ready();
});

describe("functional models against TF.js (padded + masked)", () => {
  GRAPH_CASES.forEach((c, n) => {
    it(c.name, async () => {
      const ours = c.ours(40 + n);
      ours.compile({ loss: c.losses, optimizer: { name: "sgd", learningRate: LR }, lossWeights: c.lossWeights });
      const theirs = c.theirs();
      copyWeightsByName(ours, theirs);
      const d = c.data(new Random(50 + n));

      // outputs at real steps
      const single = d.ys.length === 1;
      const ourOut = (single ? [ours.predict(d.xs.length === 1 ? d.xs[0] : d.xs)] : ours.predict(d.xs.length === 1 ? d.xs[0] : d.xs)) as unknown as (number[][][] | number[][])[];
      const theirOut = [theirs.predict(d.padded)].flat() as tf.Tensor[];
      ourOut.forEach((out, k) => {
        const ref = theirOut[k].arraySync() as number[][][] | number[][];
        const lengths = d.outputLengths[k];
        let compared = 0;
        out.forEach((row, i) => {
          if (lengths) {
            expect((row as number[][]).length).toBe(lengths[i]);
            (row as number[][]).forEach((step, t) => {
              expect(maxRelDiff(step, (ref as number[][][])[i][t])).toBeLessThan(TOL);
              compared++;
            });
          } else {
            expect(maxRelDiff(row as number[], (ref as number[][])[i])).toBeLessThan(TOL);
            compared++;
          }
        });
        expect(compared).toBeGreaterThan(0);
      });

      // one SGD step on the masked loss
      const loss = await ours.trainOnBatch(d.xs.length === 1 ? d.xs[0] : d.xs, single ? d.ys[0] : d.ys);
      const { value, grads } = tf.variableGrads(() => theirLoss(c, [theirs.apply(d.padded, { training: true })].flat() as tf.Tensor[], d));
      expect(Math.abs(loss - value.dataSync()[0])).toBeLessThan(TOL);
      let checked = 0;
      for (const layer of ours.layers) {
        if (layer.weights.length === 0) continue;
        const theirLayer = theirs.getLayer(layer.name);
        const after = layer.getWeights();
        theirLayer.trainableWeights.forEach((w, i) => {
          const g = grads[w.name];
          expect(g, `${layer.name}/${w.name}`).toBeDefined();
          const expected = tf.sub(w.read(), tf.mul(g, LR)).dataSync();
          expect(maxRelDiff(after[i].data, expected), `${layer.name} weight ${i}`).toBeLessThan(TOL);
          checked++;
        });
      }
      expect(checked).toBe(ours.trainableWeights.length);
    });
  });
});
