/**
 * The array forms of the element-wise activations (`activateInPlace`, `activationBackward`) run one
 * loop per activation; each must give, bit for bit, the scalar formulas (`applyScalar`,
 * `derivativeFromOutput`) that the recurrent cells and the docs use — on ordinary values and on the
 * edges (±0, ±Infinity, NaN, values at the hard-sigmoid corners).
 */
import { describe, expect, it } from "vitest";
import { Random } from "../random.js";
import { type ActivationName, CELL_ACTIVATIONS, activateInPlace, activationBackward, activationId, applyScalar, derivativeFromOutput } from "./activations.js";

const EDGES = [0, -0, 1e-30, -1e-30, 2.5, -2.5, 3, -3, 50, -50, 89, -89, Infinity, -Infinity, NaN];

function inputs(): Float32Array {
  const rng = new Random(7);
  return Float32Array.from([...EDGES, ...Array.from({ length: 500 }, () => rng.normal() * 4)]);
}

describe("element-wise activations on arrays equal their scalar formulas exactly", () => {
  for (const name of CELL_ACTIVATIONS as readonly ActivationName[]) {
    it(name, () => {
      const act = activationId(name);
      const x = inputs();
      const y = x.slice();
      activateInPlace(name, y, x.length / 5, 5);
      const expectedY = Float32Array.from(x, (v) => applyScalar(act, v));
      y.forEach((v, i) => expect(Object.is(v, expectedY[i]), `y[${i}] for x = ${x[i]}: ${v} vs ${expectedY[i]}`).toBe(true));

      const rng = new Random(11);
      const dy = Float32Array.from({ length: x.length }, (_, i) => (i < EDGES.length ? EDGES[EDGES.length - 1 - i] : rng.normal()));
      const dx = new Float32Array(x.length);
      activationBackward(name, dx, dy, y, x.length / 5, 5);
      const expectedDx = Float32Array.from(y, (v, i) => dy[i] * derivativeFromOutput(act, v));
      dx.forEach((v, i) => expect(Object.is(v, expectedDx[i]), `dx[${i}] for y = ${y[i]}, dy = ${dy[i]}: ${v} vs ${expectedDx[i]}`).toBe(true));

      // dx may alias dy
      const inPlace = dy.slice();
      activationBackward(name, inPlace, inPlace, y, x.length / 5, 5);
      expect(inPlace).toEqual(dx);
    });
  }
});
