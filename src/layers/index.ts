/**
 * Layer factories, named as in TF.js (`layers.lstm({ units })`), semantics as in Keras 3.
 */
import { Dense, type DenseArgs } from "./dense.js";
import { LSTM, type LSTMArgs } from "./rnn/lstm.js";
import { TimeDistributed, type TimeDistributedArgs } from "./time_distributed.js";

export { Dense, LSTM, TimeDistributed };
export type { DenseArgs, LSTMArgs, TimeDistributedArgs };

/** A densely connected layer: `activation(x·W + b)`; on sequences, applied at every real step. */
export const dense = (args: DenseArgs): Dense => new Dense(args);
/** Long short-term memory (Keras 3 defaults); runs only real timesteps of each sequence. */
export const lstm = (args: LSTMArgs): LSTM => new LSTM(args);
/** Applies a row-wise layer (e.g. dense) to every timestep. */
export const timeDistributed = (args: TimeDistributedArgs): TimeDistributed => new TimeDistributed(args);
