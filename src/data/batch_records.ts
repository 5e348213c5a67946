/**
 * From a stream of records (one sequence each, as `readJsonl` / `readUea` yield them) to a stream
 * of batches for `fitDataset` / `evaluateDataset` / `predictDataset` — so a data set larger than
 * memory trains without ever being held whole.
 *
 * @example
 * import { batchRecords, readJsonlFile } from "ragged-rnn/node";
 * await model.fitDataset(() => batchRecords(readJsonlFile("train.jsonl"), { batchSize: 64 }), { epochs: 5 });
 */
import { RaggedError, describe } from "../core/errors.js";
import type { SequenceData, TargetData } from "./data_types.js";

export interface BatchRecordsOptions<R, X = SequenceData, Y = TargetData> {
  /** Sequences per batch (the last batch may be smaller). */
  batchSize: number;
  /**
   * Record → its sequence and target; default `r => ({ x: r.x, y: r.y })` (then the batches are
   * typed as sequences and targets the model takes, and checked when the model reads them).
   */
  map?: (record: R) => { x: X; y?: Y };
}

/** One batch: `xs[i]` a sequence, `ys[i]` its target (when the records have targets). */
export interface RecordBatch<X = SequenceData, Y = TargetData> {
  xs: X[];
  ys?: Y[];
}

/**
 * Groups consecutive records into batches.
 * @param records - any iterable or async iterable of records.
 * @returns an async generator of `{ xs, ys }` batches.
 * @throws RaggedError `INVALID_ARGUMENT` for a batchSize that is not a positive integer.
 */
export async function* batchRecords<R, X = SequenceData, Y = TargetData>(records: Iterable<R> | AsyncIterable<R>, options: BatchRecordsOptions<R, X, Y>): AsyncGenerator<RecordBatch<X, Y>, void, undefined> {
  const { batchSize } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RaggedError("INVALID_ARGUMENT", "batchRecords needs `batchSize`, a positive integer.", { received: describe(batchSize) });
  }
  const map = options.map ?? ((r: R) => r as unknown as { x: X; y?: Y });
  let xs: X[] = [];
  let ys: Y[] = [];
  let withTargets = true;
  for await (const record of records as AsyncIterable<R>) {
    const { x, y } = map(record);
    xs.push(x);
    if (y === undefined) withTargets = false;
    ys.push(y as Y);
    if (xs.length === batchSize) {
      yield withTargets ? { xs, ys } : { xs };
      xs = [];
      ys = [];
      withTargets = true;
    }
  }
  if (xs.length > 0) yield withTargets ? { xs, ys } : { xs };
}
