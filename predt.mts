import { buildSeedModel } from "/work/runs/dist_t/cli/commands/demo.js";
import { T_ } from "/work/runs/dist_t/core/kernels/wasm/lstm.js";
import { seedBatch } from "/work/main/bench/data.ts";
const one = seedBatch(1, 4, 100);
const model = buildSeedModel(1);
const junk = new Float64Array(4 << 20);
const mode = process.argv[2];
const R = 1000;
let tot = 0;
for (let r = 0; r < R + 200; r++) {
  if (mode === "thrash") for (let i = 0; i < junk.length; i++) junk[i] += i;
  if (r === 200) { for (const k of Object.keys(T_)) (T_ as any)[k] = 0; tot = 0; }
  const t = performance.now(); model.predict(one.xs); tot += performance.now() - t;
}
console.log(mode, "predict", (tot / R * 1000).toFixed(1), Object.entries(T_).map(([k, v]) => `${k} ${(v / R * 1000).toFixed(1)}`).join("  "), "µs/call (2 LSTM layers)");
