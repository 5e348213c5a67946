import { expect, it } from "vitest";
import { layers, sequential } from "../src/index.js";
it("predict after repeatVector(n) → pooling keeps caller order", () => {
  const m = sequential([layers.lstm({ units: 3, inputShape: [null, 2] }), layers.repeatVector({ n: 4 }), layers.gru({ units: 2, returnSequences: true }), layers.globalMaxPooling1D()], { seed: 3 });
  const xs = [[[1, 2]], [[0.3, 0.1], [0.2, 0.2], [0.5, 0.9]], [[0.7, 0.7], [0.1, 0.0]]];
  const all = m.predict(xs) as number[][];
  xs.forEach((x, i) => expect(all[i]).toEqual((m.predict([x]) as number[][])[0]));
});
