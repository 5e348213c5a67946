/**
 * The one tensor type of the public API: a shape and a row-major Float32Array. Weights travel as
 * Tensors (`getWeights`/`setWeights`); activations inside the engine are packed rows instead.
 *
 * @example
 * const w = new Tensor([2, 3], new Float32Array(6));
 * w.toArray(); // [[0, 0, 0], [0, 0, 0]]
 */
import { RaggedError } from "./errors.js";

export class Tensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;

  constructor(shape: readonly number[], data?: Float32Array) {
    const size = shapeSize(shape);
    if (data !== undefined && data.length !== size) {
      throw new RaggedError("SHAPE_MISMATCH", "Tensor data does not fit its shape.", {
        expected: `${size} values for shape [${shape.join(", ")}]`,
        received: `${data.length} values`,
      });
    }
    this.shape = Object.freeze([...shape]);
    this.data = data ?? new Float32Array(size);
  }

  get size(): number {
    return this.data.length;
  }

  /** Nested arrays (a number for a 0-d tensor). */
  toArray(): unknown {
    const build = (dim: number, offset: number): unknown => {
      if (dim === this.shape.length) return this.data[offset];
      const stride = shapeSize(this.shape.slice(dim + 1));
      return Array.from({ length: this.shape[dim] }, (_, i) => build(dim + 1, offset + i * stride));
    };
    return build(0, 0);
  }

  /** A tensor from nested arrays (`[[1, 2], [3, 4]]`) with its shape inferred. */
  static fromArray(values: unknown): Tensor {
    const shape: number[] = [];
    let probe: unknown = values;
    while (Array.isArray(probe) || ArrayBuffer.isView(probe)) {
      const arr = probe as ArrayLike<unknown>;
      shape.push(arr.length);
      probe = arr[0];
    }
    const flat = new Float32Array(shapeSize(shape));
    let k = 0;
    const walk = (v: unknown, dim: number): void => {
      if (dim === shape.length) {
        if (typeof v !== "number") throw new RaggedError("BAD_INPUT", "Tensor values must be numbers.", { received: typeof v });
        flat[k++] = v;
        return;
      }
      const arr = v as ArrayLike<unknown>;
      if (!arr || arr.length !== shape[dim]) {
        throw new RaggedError("SHAPE_MISMATCH", "Nested arrays are not rectangular.", {
          expected: `length ${shape[dim]} at depth ${dim}`,
          received: `length ${arr?.length}`,
        });
      }
      for (let i = 0; i < arr.length; i++) walk(arr[i], dim + 1);
    };
    walk(values, 0);
    return new Tensor(shape, flat);
  }
}

export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
