/**
 * The IOHandler contract, as TF.js' (`tf.io.IOHandler`): an object that can `save` a model's
 * artifacts and/or `load` them. ragged adds an optional `source`, the file or URL named in error
 * messages. Any object of this shape works: a TF.js handler (`tf.io.withSaveHandler(…)`,
 * `tf.io.fromMemory(…)`) can be passed to `model.save` and `loadModel` as it is.
 */
import type { ModelArtifacts, SaveResult } from "../artifacts.js";

export interface IOHandler {
  save?: (artifacts: ModelArtifacts) => Promise<SaveResult>;
  load?: () => Promise<ModelArtifacts>;
  /** What errors call this handler's data, e.g. `"./model/model.json"`. */
  readonly source?: string;
}
