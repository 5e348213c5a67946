/** The messages between the training page (page.ts) and its Web Worker (worker.ts). */
import type { ModelArtifacts } from "../../src/io/artifacts.js";

/** A data set: the seed's generated task, a UEA .ts file (with an optional test file) or JSON Lines. */
export type DatasetSpec =
  | { kind: "seed"; sequences: number; seed: number }
  | { kind: "uea"; name: string; train: string; test?: string }
  | { kind: "jsonl"; name: string; text: string };

export interface TrainRequest {
  type: "train";
  dataset: DatasetSpec;
  layers: string;
  epochs: number;
  batchSize: number;
  learningRate: number;
  seed: number;
}

export type ToWorker =
  | TrainRequest
  | { type: "stop" }
  | { type: "resume"; epochs: number }
  | { type: "predict"; x: number[][] }
  | { type: "save-idb"; name: string }
  | { type: "load-idb"; name: string }
  | { type: "artifacts" };

export interface ModelInfo {
  summary: string;
  labels: string[] | null;
  features: number;
  perStep: boolean;
  /** Training batches per epoch. */
  batchesPerEpoch: number;
  /** An example input, for the prediction box. */
  example: number[][] | null;
  epochsDone: number;
}

export type FromWorker =
  | ({ type: "ready" } & ModelInfo)
  | { type: "batch"; epoch: number; batch: number; logs: Record<string, number> }
  | { type: "epoch"; epoch: number; logs: Record<string, number> }
  | { type: "done"; stopped: boolean; epochsDone: number; batchesRun: number; losses: number[] }
  | { type: "prediction"; output: number[] | number[][] }
  | { type: "saved"; name: string }
  | ({ type: "loaded"; name: string } & ModelInfo)
  | { type: "artifacts"; artifacts: ModelArtifacts }
  | { type: "error"; code: string | null; message: string };
