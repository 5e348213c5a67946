/**
 * What the two encoder–decoder G2P examples (`example:g2p`, `example:g2p-attention`) share: the
 * teacher-forcing data (the decoder reads `<s>` + phonemes and predicts phonemes + `</s>`, both
 * special tokens being id P, one past the phonemes) and the training schedule (Adam's rate halved
 * every `halveEvery` epochs, training stopped at a wall-clock budget).
 *
 * @example
 * const data = teacherForcing(train, graphemes, phonemes);
 * const schedule = trainingSchedule(model, { learningRate: 0.003, halveEvery: 4, minutes: 60, started });
 * await model.fit([data.letters, data.previous], data.next, { callbacks: schedule.callbacks });
 * schedule.epochsRun();
 */
import { type Callback, type LayersModel, learningRateScheduler } from "ragged-rnn";
import type { Pronunciation, Vocabulary } from "./cmudict.js";

/** Teacher-forcing inputs and targets of a list of words. */
export interface TeacherForcing {
  /** Letter ids per word. */
  letters: number[][];
  /** The decoder's input per word: P (`<s>`), then the phoneme ids. */
  previous: number[][];
  /** The decoder's target per word: the phoneme ids, then P (`</s>`). */
  next: number[][];
  /** The id of `<s>` / `</s>`: the number of phonemes. */
  P: number;
}

export function teacherForcing(words: readonly Pronunciation[], graphemes: Vocabulary, phonemes: Vocabulary): TeacherForcing {
  const P = phonemes.size;
  return {
    letters: words.map((w) => graphemes.encode(w.letters)),
    previous: words.map((w) => [P, ...phonemes.encode(w.phonemes)]),
    next: words.map((w) => [...phonemes.encode(w.phonemes), P]),
    P,
  };
}

/** Callbacks halving the learning rate every `halveEvery` epochs and stopping at `minutes` after `started`. */
export function trainingSchedule(
  model: LayersModel,
  args: { learningRate: number; halveEvery: number; minutes?: number; started: number },
): { callbacks: Callback[]; epochsRun: () => number } {
  const budget = args.minutes === undefined ? Infinity : args.started + args.minutes * 60_000;
  let epochs = 0;
  const callbacks: Callback[] = [
    learningRateScheduler((epoch) => args.learningRate * 0.5 ** Math.floor(epoch / args.halveEvery)),
    {
      onEpochEnd: () => void epochs++,
      onBatchEnd: () => {
        if (performance.now() > budget) model.stopTraining = true;
      },
    },
  ];
  return { callbacks, epochsRun: () => epochs };
}
