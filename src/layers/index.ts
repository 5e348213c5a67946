/**
 * Layer factories, named as in TF.js (`layers.lstm({ units })`), semantics as in Keras 3.
 */
import { Activation, type ActivationArgs } from "./activation.js";
import { AdditiveAttention, type AdditiveAttentionArgs } from "./attention/additive_attention.js";
import { Attention, type AttentionArgs } from "./attention/attention.js";
import { MultiHeadAttention, type MultiHeadAttentionArgs } from "./attention/multi_head_attention.js";
import { Conv1D, type Conv1DArgs } from "./conv1d.js";
import { BatchNormalization, type BatchNormalizationArgs } from "./batch_normalization.js";
import { Dense, type DenseArgs } from "./dense.js";
import { LayerNormalization, type LayerNormalizationArgs } from "./layer_normalization.js";
import { Dropout, type DropoutArgs } from "./dropout.js";
import { SpatialDropout1D, type SpatialDropout1DArgs } from "./spatial_dropout1d.js";
import { Embedding, type EmbeddingArgs } from "./embedding.js";
import { Masking, type MaskingArgs } from "./masking.js";
import { GlobalAveragePooling1D, GlobalMaxPooling1D } from "./pooling.js";
import { AveragePooling1D, MaxPooling1D, type Pooling1DArgs } from "./pooling1d.js";
import { RepeatVector, type RepeatVectorArgs } from "./repeat_vector.js";
import { Bidirectional, type BidirectionalArgs } from "./rnn/bidirectional.js";
import { LSTM, type LSTMArgs } from "./rnn/lstm.js";
import { GRU, type GRUArgs } from "./rnn/gru.js";
import { SimpleRNN, type SimpleRNNArgs } from "./rnn/simple_rnn.js";
import { RNN, type RNNArgs } from "./rnn/rnn.js";
import { TimeDistributed, type TimeDistributedArgs } from "./time_distributed.js";
import type { BaseLayerArgs, Layer } from "./layer.js";
import type { SymbolicTensor } from "./symbolic.js";
import { ElementwiseMerge, type ElementwiseOp, MergeBase } from "./merging/merge.js";
import { Concatenate, type ConcatenateArgs } from "./merging/concatenate.js";
import { Dot, type DotArgs } from "./merging/dot.js";
import { InputLayer, type InputArgs } from "./input_layer.js";

export { Concatenate, Dot, ElementwiseMerge, InputLayer, MergeBase };
export type { ConcatenateArgs, DotArgs, ElementwiseOp, InputArgs };

export { AveragePooling1D, BatchNormalization, Conv1D, GRU, LayerNormalization, MaxPooling1D, SimpleRNN };
export { AdditiveAttention, Attention, MultiHeadAttention };
export type { AdditiveAttentionArgs, AttentionArgs, MultiHeadAttentionArgs };
export type { BatchNormalizationArgs, Conv1DArgs, GRUArgs, LayerNormalizationArgs, Pooling1DArgs, SimpleRNNArgs };
export { Activation, Bidirectional, Dense, Dropout, Embedding, GlobalAveragePooling1D, GlobalMaxPooling1D, LSTM, Masking, RNN, RepeatVector, SpatialDropout1D, TimeDistributed };
export type { ActivationArgs, BidirectionalArgs, DenseArgs, DropoutArgs, EmbeddingArgs, LSTMArgs, MaskingArgs, RNNArgs, RepeatVectorArgs, SpatialDropout1DArgs, TimeDistributedArgs };

/** A densely connected layer: `activation(x·W + b)`; on sequences, applied at every real step. */
export const dense = (args: DenseArgs): Dense => new Dense(args);
/** Long short-term memory (Keras 3 defaults); runs only real timesteps of each sequence. */
export const lstm = (args: LSTMArgs): LSTM => new LSTM(args);
/** Gated recurrent unit (Keras 3 defaults, `resetAfter: true`); runs only real timesteps. */
export const gru = (args: GRUArgs): GRU => new GRU(args);
/** Fully connected recurrent layer h_t = activation(x_t·W + h_{t−1}·U + b). */
export const simpleRNN = (args: SimpleRNNArgs): SimpleRNN => new SimpleRNN(args);
/** Applies a row-wise layer (e.g. dense) to every timestep, or any sequence layer or model to every step of nested input (each step itself a sequence). */
export const timeDistributed = (args: TimeDistributedArgs): TimeDistributed => new TimeDistributed(args);
/** Runs a recurrent layer in both directions, each sequence reversed within its own length. */
export const bidirectional = (args: BidirectionalArgs): Bidirectional => new Bidirectional(args);
/** Marks steps whose features all equal `maskValue` as padding (first layer only). */
export const masking = (args: MaskingArgs = {}): Masking => new Masking(args);
/** Token ids → vectors; `maskZero` makes id 0 padding. */
export const embedding = (args: EmbeddingArgs): Embedding => new Embedding(args);
/** Inverted dropout in training. */
export const dropout = (args: DropoutArgs): Dropout => new Dropout(args);
/** Drops whole channels of each sequence in training (every step alike; Keras 3 SpatialDropout1D). */
export const spatialDropout1D = (args: SpatialDropout1DArgs): SpatialDropout1D => new SpatialDropout1D(args);
/** Applies an activation element-wise (softmax: over the last axis); on sequences, at every real step. */
export const activation = (args: ActivationArgs): Activation => new Activation(args);
/** Repeats one vector per sequence n times, or to each input's own length (`n: "inputLength"`). */
export const repeatVector = (args: RepeatVectorArgs): RepeatVector => new RepeatVector(args);
/** Mean over each sequence's real timesteps. */
export const globalAveragePooling1D = (args: BaseLayerArgs = {}): GlobalAveragePooling1D => new GlobalAveragePooling1D(args);
/** Max over each sequence's real timesteps. */
export const globalMaxPooling1D = (args: BaseLayerArgs = {}): GlobalMaxPooling1D => new GlobalMaxPooling1D(args);
/**
 * Dot-product (Luong) attention of `[query, value(, key)]`, or of one sequence to itself; each
 * query sequence attends only to its own sample's steps (Keras 3 `Attention`).
 */
export const attention = (args: AttentionArgs = {}): Attention => new Attention(args);
/** Additive (Bahdanau) attention of `[query, value(, key)]` (Keras 3 `AdditiveAttention`). */
export const additiveAttention = (args: AdditiveAttentionArgs = {}): AdditiveAttention => new AdditiveAttention(args);
/** Multi-head scaled dot-product attention (Keras 3 `MultiHeadAttention`). */
export const multiHeadAttention = (args: MultiHeadAttentionArgs): MultiHeadAttention => new MultiHeadAttention(args);
/** 1-D convolution over time, each sequence within its own length (`same`/`causal` pad at its own edges). */
export const conv1d = (args: Conv1DArgs): Conv1D => new Conv1D(args);
/** Max over windows of `poolSize` steps, each sequence within its own length. */
export const maxPooling1D = (args: Pooling1DArgs = {}): MaxPooling1D => new MaxPooling1D(args);
/** Mean over windows of `poolSize` steps, each sequence within its own length. */
export const averagePooling1D = (args: Pooling1DArgs = {}): AveragePooling1D => new AveragePooling1D(args);
/** Normalizes each step over its features (Keras 3 LayerNormalization). */
export const layerNormalization = (args: LayerNormalizationArgs = {}): LayerNormalization => new LayerNormalization(args);
/** Normalizes each feature with batch statistics over real steps (training) or moving statistics (inference). */
export const batchNormalization = (args: BatchNormalizationArgs = {}): BatchNormalization => new BatchNormalization(args);

type MergeInput = SymbolicTensor[];

function mergeFactory<L extends Layer, A extends BaseLayerArgs>(make: (args: A) => L) {
  function factory(inputs: MergeInput): SymbolicTensor;
  function factory(args?: A): L;
  function factory(arg?: A | MergeInput): L | SymbolicTensor {
    if (Array.isArray(arg)) return make({} as A).apply(arg) as SymbolicTensor;
    return make((arg ?? {}) as A);
  }
  return factory;
}

/**
 * Merge layers (Keras 3 semantics; see layers/merging/). Each factory makes a layer
 * (`layers.add()`, then `.apply([a, b])`), or, given a list of symbolic tensors, applies a new one
 * at once (`layers.add([a, b])`), as TF.js does.
 */
/** Element-wise sum of its inputs. */
export const add = mergeFactory((a: BaseLayerArgs) => new ElementwiseMerge("add", "Add", a));
/** First input minus the second. */
export const subtract = mergeFactory((a: BaseLayerArgs) => new ElementwiseMerge("subtract", "Subtract", a));
/** Element-wise product. */
export const multiply = mergeFactory((a: BaseLayerArgs) => new ElementwiseMerge("multiply", "Multiply", a));
/** Element-wise mean. */
export const average = mergeFactory((a: BaseLayerArgs) => new ElementwiseMerge("average", "Average", a));
/** Element-wise maximum. */
export const maximum = mergeFactory((a: BaseLayerArgs) => new ElementwiseMerge("maximum", "Maximum", a));
/** Element-wise minimum. */
export const minimum = mergeFactory((a: BaseLayerArgs) => new ElementwiseMerge("minimum", "Minimum", a));
/** Joins inputs along the feature axis. */
export const concatenate = mergeFactory((a: ConcatenateArgs) => new Concatenate(a));
/** Dot product along the feature axis (cosine similarity with `normalize`). */
export const dot = mergeFactory((a: DotArgs) => new Dot(a));
