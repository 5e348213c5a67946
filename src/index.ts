/**
 * ragged: recurrent neural networks on sequences of different lengths — the public API.
 * Platform-neutral: runs in Node.js and in browsers. Node-only helpers live in "ragged-rnn/node".
 */
export * as layers from "./layers/index.js";
export { Layer, Variable, type Shape, type ApplyArgs, type BaseLayerArgs, type ForwardContext, type ForwardResult, type ManyForwardResult } from "./layers/layer.js";
export { rowCount, withData, type LayerValue, type SequenceValue, type VectorValue } from "./layers/values.js";
export type { Regularizer, RegularizerSpec } from "./layers/regularizers.js";
export { SymbolicTensor, Node, type LengthSource, type TensorKind } from "./layers/symbolic.js";
export { input, InputLayer, type InputArgs } from "./layers/input_layer.js";
export { Sequential, sequential, type SequentialArgs } from "./models/sequential.js";
export { LayersModel, model, type CompileArgs, type ModelArgs, type InputSpec, type OutputSpec } from "./models/functional.js";
import "./training/engine.js"; // NOTE [ the model engine ]: installs compile, fit, predict, … on models
export { Tensor } from "./core/tensor.js";
export { RaggedError, type ErrorCode } from "./core/errors.js";
export { Random } from "./core/random.js";
export { packBatch, packLayout, unpackBatch, unpackRows, type PackedBatch, type PackedLayout } from "./data/packed.js";
export { History, type Callback, type Logs } from "./training/callbacks.js";
export type { FitArgs, FitDatasetArgs, FitHistory, EpochBatchStats, ValidationData, Dataset, DatasetItem } from "./training/fit.js";
export type {
  PredictArgs, PredictDatasetArgs, PredictDataset, PredictItem, EvaluateArgs, EvaluateDatasetArgs, EvaluateResult,
  Predictions, StepPredictions, SequencePredictions, PredictionsFor,
} from "./training/predict.js";
export type {
  NumericArray, NumberList, SequenceData, InputData, ModelInputs, TargetData, TargetsData, ModelTargets, SampleWeightData, SampleWeights,
} from "./data/data_types.js";
export { getLoss, lossNames, type Loss } from "./training/losses.js";
export { Optimizer } from "./training/optimizers/optimizer.js";
export { Adam, type AdamArgs } from "./training/optimizers/adam.js";
export { SGD, type SGDArgs } from "./training/optimizers/sgd.js";
export { ProgressBar } from "./training/progress/bar.js";
export { setDefaultProgressOutput, type ProgressOutput } from "./training/progress/output.js";
export { kernels, setKernels, jsKernels, type Kernels } from "./core/kernels/registry.js";
export { padSequences, unpadSequences, type PadOptions, type PaddingSide, type UnpadOptions } from "./data/pad.js";
export { maskFromLengths, lengthsFromMask, maskFromValue, maskIsContiguous, maskPaddingSide, packPadded, type PackPaddedOptions } from "./data/mask.js";
export { bucketBatches, paddingEfficiency, type BucketOptions, type Buckets } from "./data/bucket.js";
export { toCategorical } from "./data/categorical.js";
export { trainTestSplit, type SplitOptions, type Split } from "./data/split.js";
export { readJsonl, type JsonlRecord, type JsonlOptions } from "./data/readers/jsonl.js";
export { readUea, type UeaFile, type UeaHeader, type UeaRecord, type UeaOptions } from "./data/readers/uea.js";
export { splitLines } from "./data/readers/lines.js";
export { FileError } from "./core/errors.js";
export type { CallbackModel } from "./training/callbacks.js";
export { EarlyStopping, earlyStopping, type EarlyStoppingArgs } from "./training/callbacks/early_stopping.js";
export { ReduceLROnPlateau, reduceLROnPlateau, type ReduceLROnPlateauArgs } from "./training/callbacks/reduce_lr_on_plateau.js";
export { LearningRateScheduler, learningRateScheduler, type LearningRateSchedulerArgs, type ScheduleFunction } from "./training/callbacks/learning_rate_scheduler.js";
export { TerminateOnNaN, terminateOnNaN, type TerminateOnNaNArgs } from "./training/callbacks/terminate_on_nan.js";
export type { LogFunction, MonitorMode } from "./training/callbacks/_internal/common.js";
export { loadModel, saveModel, modelToArtifacts, modelFromArtifacts } from "./io/model_io.js";
export { memory, MemoryHandler } from "./io/handlers/memory.js";
export { http, HttpHandler, type HttpOptions } from "./io/handlers/http.js";
export { registerRoute, type RouteFactory } from "./io/handlers/router.js";
export type { IOHandler } from "./io/handlers/io_handler.js";
export { registerLayer, registeredLayers, type LayerConfig, type RegisterOptions } from "./io/registry.js";
export type { ModelArtifacts, ModelJSON, SaveConfig, SaveResult, WeightsManifestEntry, WeightSpec, TrainingConfig } from "./io/artifacts.js";
export * as losses from "./training/losses.js";
export type { LossArgs, LossConfig, LossName, LossOptions, LossSpec } from "./training/losses.js";
export * as metrics from "./training/metrics.js";
export { MetricAccumulator, resolveMetric, metricNames, type Metric, type MetricArgs, type MetricContext } from "./training/metrics.js";
export type { OptimizerArgs } from "./training/optimizers/optimizer.js";
export { RMSprop, type RMSpropArgs } from "./training/optimizers/rmsprop.js";
export { AdamW, type AdamWArgs } from "./training/optimizers/adamw.js";
export { Adagrad, type AdagradArgs } from "./training/optimizers/adagrad.js";
export { getOptimizer, optimizerNames, type OptimizerConfig, type OptimizerSpec } from "./training/optimizers/get_optimizer.js";
export { exponentialDecay, piecewiseConstantDecay, cosineDecay, getSchedule, type LearningRateSchedule, type ExponentialDecayArgs, type PiecewiseConstantDecayArgs, type CosineDecayArgs } from "./training/optimizers/schedules.js";
export { ModelCheckpoint, modelCheckpoint, type ModelCheckpointArgs } from "./training/callbacks/model_checkpoint.js";
export { setThreadPlatform, threadPlatform, type ThreadPlatform, type WorkerLike, type MessageLike } from "./training/parallel/platform.js";
export { serveReplica, type ReplicaEndpoint } from "./training/parallel/replica.js";
export { setMinShardFlops, DEFAULT_MIN_SHARD_FLOPS } from "./training/parallel/shards.js";
export { terminateWorkers } from "./training/parallel/pool.js";
export { useFastKernels, wasmKernels, wasmSimdSupported, preloadRaggedWasm, wasmVariant } from "./core/kernels/wasm.js";

// NOTE [ default kernels ]: the WebAssembly SIMD kernels are used wherever the engine supports them
// (they fall back to the plain-TypeScript reference per call for anything they cannot do);
// `setKernels(jsKernels)` switches back to the reference.
import { useFastKernels as selectFastKernels } from "./core/kernels/wasm.js";
selectFastKernels();
export { batchRecords, type BatchRecordsOptions, type RecordBatch } from "./data/batch_records.js";
export { CSVLogger, csvLogger, type CSVLoggerArgs } from "./training/callbacks/csv_logger.js";
export { TensorBoard, tensorBoard, type TensorBoardArgs } from "./training/callbacks/tensorboard.js";
export { memoryLogFiles, defaultLogFiles, setDefaultLogFiles, type LogFiles, type MemoryLogFiles } from "./training/callbacks/log_files.js";
export { editDistance, errorRates, type ErrorRates, type LabelSequence } from "./training/edit_distance.js";
export { greedyDecode } from "./decoding/greedy_decode.js";
export { stepFromModel, type StepFromModelArgs } from "./decoding/step_from_model.js";
export { ensembleStep, type EnsembleMember, type EnsembleStepArgs } from "./decoding/ensemble_step.js";
export { beamSearch, type BeamSearchArgs, type BeamSearchResult, type DecoderLanguageModel, type Hypothesis } from "./decoding/beam_search.js";
export type { DecodeArgs, DecodeResult, DecodeStep, DecodeStepInput, DecodeStepOutput } from "./decoding/decode_step.js";
export { indexedDB, IndexedDBHandler } from "./io/handlers/indexed_db.js";
export { browserDownloads, BrowserDownloads } from "./io/handlers/browser_downloads.js";
export { TrainingRecorder, trainingRecorder, type BatchRecord, type EpochRecord } from "./vis/recorder.js";
export { analyzePredictions, reportData, lengthBuckets, type Evaluation, type LengthBucket, type PredictionSet, type ReportData, type ReportEpoch, type ReportArgs } from "./vis/report_data.js";
export { renderReport, reportDataFromHtml, type ReportAssets } from "./vis/render_report.js";
export { ctcDecode, ctcGreedyDecode, ctcBeamSearchDecode, type CTCDecodeOptions, type CTCDecodeResult, type CTCLanguageModel, type CTCFusion, type DecodedPath } from "./training/ctc/ctc_decode.js";
export type { CTCOptions } from "./training/ctc/ctc_loss.js";
