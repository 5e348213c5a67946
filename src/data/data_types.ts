/**
 * The shapes of the data a model takes: what `fit`, `evaluate`, `predict`, `trainOnBatch` and the
 * dataset forms accept, as types, so an editor catches a list nested one level too deep or too
 * shallow before anything runs. Every value is still checked at run time, once, with its position
 * (NOTE [ value checks at the boundary ] in training/samples.ts): a number that is not finite, a
 * step with the wrong number of features or a target that does not fit the output is a `RaggedError`
 * whatever the types said.
 *
 * @example
 * const xs: InputData = [[[0.1, 0.2], [0.3, 0.4]], [[0.5, 0.6]]]; // 2 sequences of 2 features
 * const ids: InputData = [[4, 8, 15], [16, 23]];                  // token ids, for an embedding
 * const flat: InputData = [Float32Array.of(0.1, 0.2, 0.3, 0.4)];  // steps × features, row-major
 */

/** A typed array of numbers (BigInt64Array and BigUint64Array cannot hold features). */
export type NumericArray = Float32Array | Float64Array | Int8Array | Int16Array | Int32Array | Uint8Array | Uint8ClampedArray | Uint16Array | Uint32Array;

/** A list of numbers: an array or a typed array. */
export type NumberList = readonly number[] | NumericArray;

/**
 * One sequence (one sample of a sequence input):
 * - `number[][]`: one list of features per step, `xs[i][t][c]`;
 * - `number[]`: one value per step — token ids for a model that starts with an embedding, or a
 *   series of one feature (a step of one feature may also be written `[v]`);
 * - a typed array: all steps flat, row-major (steps × features values), copied without a per-step walk.
 *
 * For a vector input (`input({ shape: [F] })` of a functional model), one list of F numbers.
 */
export type SequenceData = NumberList | readonly (number | NumberList)[];

/** One input's data: one sequence (or vector) per sample, `xs[i]`, any lengths. */
export type InputData = readonly SequenceData[];

/**
 * The inputs of a functional model: one input's data (a model with one input), a list with one
 * entry per input in the model's `inputs` order, or an object keyed by input name.
 * @example
 * m.fit({ encoder: sources, decoder: shiftedTargets }, targets);
 */
export type ModelInputs = InputData | readonly InputData[] | { readonly [inputName: string]: InputData };

/**
 * One sample's target, as the model's output and loss take it:
 * - one per sequence: a row (`[0, 1, 0]` one-hot, regression values) or a class id (sparse losses);
 * - one per step: a row or a class id per step (`number[][]`, `number[]`), or one flat typed array
 *   (steps × values, row-major);
 * - a label sequence (the `ctc` loss): class ids, any length.
 */
export type TargetData = number | NumberList | readonly (number | NumberList)[];

/** One output's targets: one per sample, `ys[i]`. */
export type TargetsData = readonly TargetData[];

/**
 * The targets of a functional model: one output's targets (a model with one output), a list with
 * one entry per output in the model's `outputs` order, or an object keyed by output name.
 */
export type ModelTargets = TargetsData | readonly TargetsData[] | { readonly [outputName: string]: TargetsData };

/** Sample weights of one output: per sample a number (`[1, 3, 1]`), or per step a list (per-step outputs). */
export type SampleWeightData = ArrayLike<number | ArrayLike<number>>;

/**
 * Sample weights: one set for every output, or (a model with several outputs) a list in `outputs`
 * order or an object keyed by output name.
 */
export type SampleWeights = SampleWeightData | readonly SampleWeightData[] | { readonly [outputName: string]: SampleWeightData };
