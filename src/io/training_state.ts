/**
 * NOTE [ resumable random state ]
 * A checkpoint saved with `includeOptimizer` also holds where the model's random streams are — the
 * model's own (`model.rng`: shuffling and dropout) and its side stream (dropout seeds for training
 * threads) — in `userDefinedMetadata.ragged.randomState`, with the seed the model was made with.
 * `loadModel` restores both positions, so N epochs, a save, a load (even in another process) and M
 * more epochs draw exactly what N + M epochs straight through draw: the same weights, bit for bit.
 *
 * Why save the position rather than derive every draw from (seed, epoch, batch): the position is
 * exact wherever the save happens between steps (epoch ends, where ModelCheckpoint and `ragged
 * train` save, and anywhere else), costs 6 numbers, and leaves the stream of an uninterrupted run
 * unchanged — every existing seeded result stays as it was. A derived stream would have to be
 * threaded through the bucketing sampler, every dropout layer and the thread pool.
 *
 * Other readers (TF.js, Keras) ignore the entry; a model saved without the optimizer state carries
 * none (it cannot resume training anyway), and a loaded model without it draws from a fresh seed.
 *
 * @example
 * await model.save("file://ckpt", { includeOptimizer: true }); // weights, optimizer, random state
 * const again = await loadModel("file://ckpt");                // continues the same streams
 */
import { RaggedError, describe } from "../core/errors.js";
import type { RandomState } from "../core/random.js";
import type { LayersModel } from "../models/functional.js";
import { sideStream } from "../training/parallel/pool.js";

/** What `randomState` holds in `userDefinedMetadata.ragged`. */
export interface SavedRandomState {
  /** The seed the model was made with (informational; the positions below are what resumes). */
  seed: number;
  /** `model.rng`'s position. */
  model: RandomState;
  /** The side stream's position (dropout seeds of training threads). */
  side: RandomState;
}

/** The model's random positions, for a checkpoint. */
export function randomStateOf(model: LayersModel): SavedRandomState {
  return { seed: model.seed, model: model.rng.getState(), side: sideStream(model).getState() };
}

/**
 * Moves a loaded model's streams to the saved positions.
 * @throws RaggedError `BAD_FILE` naming `source` when the entry is malformed.
 */
export function restoreRandomState(model: LayersModel, saved: unknown, source: string): void {
  const state = saved as Partial<SavedRandomState> | null;
  try {
    model.rng.setState(state?.model as RandomState);
    sideStream(model).setState(state?.side as RandomState);
  } catch (e) {
    throw new RaggedError("BAD_FILE", `${source}: userDefinedMetadata.ragged.randomState is malformed.`, {
      expected: "{ seed, model: { words, spareNormal }, side: { words, spareNormal } } as ragged saves it",
      received: describe(saved),
      help: `delete the randomState entry to resume with fresh random streams (${(e as Error).message.split("\n")[0]})`,
    });
  }
}
