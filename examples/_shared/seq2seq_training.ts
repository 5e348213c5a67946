/**
 * What the two encoder–decoder G2P examples (`example:g2p`, `example:g2p-attention`) share: the
 * teacher-forcing data (the decoder reads `<s>` + phonemes and predicts phonemes + `</s>`, both
 * special tokens being id P, one past the phonemes) and the training schedule (Adam's rate halved
 * every `halveEvery` epochs, or annealed along a cosine to 0 with `cosine`; training stopped at a
 * wall-clock budget).
 *
 * @example
 * const data = teacherForcing(train, graphemes, phonemes);
 * const epochsRun = await fitTeacherForced(model, data, { learningRate: 0.003, halveEvery: 4, minutes: 60, started, epochs: 30 });
 */
import { type Callback, type LayersModel, learningRateScheduler } from "ragged-rnn";
import type { Pronunciation, Vocabulary } from "./cmudict.js";
import { cosineAnneal } from "./cosine_anneal.js";

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

/**
 * Compiles the training graph (sparse categorical cross-entropy, Adam) and fits it on the
 * teacher-forcing data under `trainingSchedule`; returns the epochs run (the last may be partial).
 */
export async function fitTeacherForced(
  model: LayersModel,
  data: TeacherForcing,
  args: {
    learningRate: number; halveEvery: number; cosine?: boolean; minutes?: number; started: number; epochs: number; batchSize?: number; verbose?: 0 | 1 | 2; threads?: number;
    /** Hold out the last fraction of the words (fit's `validationSplit`) and report their loss after every epoch. */
    validationSplit?: number;
    /** More callbacks, after the schedule's. */
    callbacks?: Callback[];
  },
): Promise<number> {
  model.compile({ loss: "sparseCategoricalCrossentropy", optimizer: { name: "adam", learningRate: args.learningRate } });
  const schedule = trainingSchedule(model, args);
  await model.fit([data.letters, data.previous], data.next, {
    epochs: args.epochs, batchSize: args.batchSize ?? 64, verbose: args.verbose ?? 2, threads: args.threads ?? 2, callbacks: [...schedule.callbacks, ...(args.callbacks ?? [])],
    ...(args.validationSplit ? { validationSplit: args.validationSplit } : {}),
  });
  return schedule.epochsRun();
}

/**
 * Callbacks halving the learning rate every `halveEvery` epochs (or, with `cosine`, annealing it to 0
 * over the time budget, else over `epochs`) and stopping at `minutes` after `started`.
 */
export function trainingSchedule(
  model: LayersModel,
  args: { learningRate: number; halveEvery: number; cosine?: boolean; epochs?: number; minutes?: number; started: number },
): { callbacks: Callback[]; epochsRun: () => number } {
  const budget = args.minutes === undefined ? Infinity : args.started + args.minutes * 60_000;
  let epochs = 0;
  const callbacks: Callback[] = [
    args.cosine
      ? cosineAnneal({ learningRate: args.learningRate, epochs: args.epochs ?? 30, deadline: budget })
      : learningRateScheduler((epoch) => args.learningRate * 0.5 ** Math.floor(epoch / args.halveEvery)),
    {
      onEpochEnd: () => void epochs++,
      onBatchEnd: () => {
        if (performance.now() > budget) model.stopTraining = true;
      },
    },
  ];
  return { callbacks, epochsRun: () => epochs };
}
