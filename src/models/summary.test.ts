import { describe, expect, it } from "vitest";
import { layers, sequential } from "../index.js";

describe("summary", () => {
  it("prints the seed's table: shapes (None, None, 32), params 4864 / 1312 / 18, total 6,194", () => {
    const model = sequential([
      layers.lstm({ units: 32, returnSequences: true, inputShape: [null, 5], name: "lstm_a" }),
      layers.lstm({ units: 8, returnSequences: true, name: "lstm_b" }),
      layers.timeDistributed({ layer: layers.dense({ units: 2, activation: "sigmoid" }), name: "td" }),
    ]);
    const lines: string[] = [];
    const text = model.summary({ lineLength: 90, print: (l) => lines.push(l) });
    expect(lines.join("\n")).toBe(text);
    const rows = text.split("\n");
    expect(rows).toContain("lstm_a (LSTM)                           (None, None, 32)                    4864");
    expect(rows).toContain("lstm_b (LSTM)                           (None, None, 8)                     1312");
    expect(rows).toContain("td (TimeDistributed)                    (None, None, 2)                     18");
    expect(rows).toContain("Total params: 6,194");
    expect(rows).toContain("Trainable params: 6,194");
    expect(rows).toContain("Non-trainable params: 0");
    expect(rows[0]).toMatch(/^Model: "sequential(_\d+)?"$/);
  });

  it("shows a many-to-one output as (None, units)", () => {
    const model = sequential([layers.lstm({ units: 3, inputShape: [null, 2] }), layers.dense({ units: 1 })]);
    const text = model.summary({ print: () => {} });
    expect(text).toMatch(/\(LSTM\)\s+\(None, 3\)\s+72/); // 4·3·(2+3+1) = 72
    expect(text).toMatch(/\(Dense\)\s+\(None, 1\)\s+4/);
  });
});
