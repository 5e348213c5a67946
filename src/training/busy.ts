/**
 * One training call per model at a time. Two `fit`s interleaving on one model would mix their
 * optimizer steps (one thread) or fight over its workers (threads: one rejected uncoded, the other
 * never settled). A second training call on a model that is training is a coded error instead;
 * `predict`, `evaluate` and `save` during training keep working (they read the weights between steps).
 *
 * @example
 * const run = model.fit(xs, ys);
 * await model.fit(xs, ys); // throws RaggedError MODEL_BUSY
 */
import { RaggedError } from "../core/errors.js";

const training = new WeakMap<object, string>();

/**
 * Runs `body` with `model` marked as training; `what` names the call in the error of a second one.
 * The mark is taken synchronously (before the first await), so the second of two calls made in the
 * same tick is the one that is refused.
 * @throws RaggedError `MODEL_BUSY` when the model is already training.
 */
export async function whileTraining<T>(model: object, what: string, body: () => Promise<T>): Promise<T> {
  const running = training.get(model);
  if (running !== undefined) {
    throw new RaggedError("MODEL_BUSY", `${what} was called on a model that is still training (in ${running}).`, {
      expected: "one training call per model at a time",
      received: `${what} while ${running} runs`,
      help: "await the running call first (predict, evaluate and save may run meanwhile), or train a copy of the model",
    });
  }
  training.set(model, what);
  try {
    return await body();
  } finally {
    training.delete(model);
  }
}
