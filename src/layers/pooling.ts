/**
 * Global pooling over time, over real timesteps only: `globalAveragePooling1D` (mean) and
 * `globalMaxPooling1D` (max). Padding never enters (packed rows hold only real steps; with a mask
 * with holes, masked rows are skipped).
 * Porting note: for a sequence with no real step Keras gives NaN (average) or −∞ (max); ragged
 * gives 0.
 *
 * @example
 * sequential([layers.lstm({ units: 8, returnSequences: true, inputShape: [null, 3] }), layers.globalAveragePooling1D()]);
 */
import type { Random } from "../core/random.js";
import { RaggedError } from "../core/errors.js";
import { rowSequences } from "../data/rows.js";
import { type BaseLayerArgs, type ForwardContext, type ForwardResult, Layer, type Shape, lastDim } from "./layer.js";
import type { LayerValue } from "./values.js";

abstract class GlobalPooling1D extends Layer {
  protected validateInputShape(inputShape: Shape): void {
    if (inputShape.length !== 3) {
      throw new RaggedError("SHAPE_MISMATCH", `${this.className} "${this.name}" pools over time and needs sequences.`, {
        expected: "input shape (batch, timesteps, features)",
        received: `a ${inputShape.length}-D shape`,
      });
    }
    lastDim(inputShape, this.name);
  }

  protected createWeights(_inputShape: Shape, _rng: Random): void {}

  computeOutputShape(inputShape: Shape): Shape {
    return [inputShape[0], inputShape[2]];
  }

  protected sequenceInput(input: LayerValue) {
    if (input.kind !== "sequence") throw new RaggedError("SHAPE_MISMATCH", `${this.className} "${this.name}" needs sequences as input.`);
    return { ...input, seq: rowSequences(input.layout), mask: input.mask ?? null };
  }

  getConfig(): Record<string, unknown> {
    return {};
  }
}

export class GlobalAveragePooling1D extends GlobalPooling1D {
  readonly className = "GlobalAveragePooling1D";

  constructor(args: BaseLayerArgs = {}) {
    super(args, "global_average_pooling1d");
  }

  // x: [N, C] → out: [B, C] (mean over each sequence's real rows)
  forward(input: LayerValue, _ctx: ForwardContext): ForwardResult {
    const { seq, mask, data, width: C, layout } = this.sequenceInput(input);
    const B = layout.batch;
    const count = new Float32Array(B);
    const out = new Float32Array(B * C);
    for (let r = 0; r < seq.length; r++) {
      if (mask && !mask[r]) continue;
      const j = seq[r];
      count[j]++;
      for (let c = 0; c < C; c++) out[j * C + c] += data[r * C + c];
    }
    for (let j = 0; j < B; j++) if (count[j] > 0) for (let c = 0; c < C; c++) out[j * C + c] /= count[j];
    return {
      output: { kind: "vector", layout, data: out, width: C },
      backward: (d) => {
        const dx = new Float32Array(data.length);
        for (let r = 0; r < seq.length; r++) {
          if (mask && !mask[r]) continue;
          const j = seq[r];
          for (let c = 0; c < C; c++) dx[r * C + c] = d.data[j * C + c] / count[j];
        }
        return { ...input, data: dx } as LayerValue;
      },
    };
  }
}

export class GlobalMaxPooling1D extends GlobalPooling1D {
  readonly className = "GlobalMaxPooling1D";

  constructor(args: BaseLayerArgs = {}) {
    super(args, "global_max_pooling1d");
  }

  // x: [N, C] → out: [B, C] (max over each sequence's real rows)
  forward(input: LayerValue, _ctx: ForwardContext): ForwardResult {
    const { seq, mask, data, width: C, layout } = this.sequenceInput(input);
    const B = layout.batch;
    const out = new Float32Array(B * C).fill(-Infinity);
    const argmax = new Int32Array(B * C).fill(-1);
    for (let r = 0; r < seq.length; r++) {
      if (mask && !mask[r]) continue;
      const j = seq[r];
      for (let c = 0; c < C; c++) {
        if (data[r * C + c] > out[j * C + c]) {
          out[j * C + c] = data[r * C + c];
          argmax[j * C + c] = r;
        }
      }
    }
    for (let i = 0; i < out.length; i++) if (argmax[i] < 0) out[i] = 0;
    return {
      output: { kind: "vector", layout, data: out, width: C },
      backward: (d) => {
        const dx = new Float32Array(data.length);
        for (let i = 0; i < argmax.length; i++) if (argmax[i] >= 0) dx[argmax[i] * C + (i % C)] += d.data[i];
        return { ...input, data: dx } as LayerValue;
      },
    };
  }
}
