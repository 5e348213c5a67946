/**
 * `indexeddb://name`: models kept in the browser's IndexedDB, exactly where TF.js keeps them
 * (tfjs-core `io/indexed_db.ts`): database `tensorflowjs` (version 1), object store `models_store`
 * holding `{ modelPath, modelArtifacts }` and `model_info_store` holding `{ modelPath,
 * modelArtifactsInfo }`, both keyed by `modelPath`. A model saved by `tf.LayersModel.save` opens
 * here and the other way round. Works in pages and Web Workers.
 *
 * @example
 * await model.save("indexeddb://tagger");
 * const again = await loadModel("indexeddb://tagger");
 */
import { RaggedError } from "../../core/errors.js";
import { type ModelArtifacts, type SaveResult, artifactsInfo, concatWeightData } from "../artifacts.js";
import type { IOHandler } from "./io_handler.js";

export const INDEXED_DB_SCHEME = "indexeddb://";
const DATABASE_NAME = "tensorflowjs";
const DATABASE_VERSION = 1;
const MODEL_STORE = "models_store";
const INFO_STORE = "model_info_store";

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error ?? new Error("transaction aborted"));
  });
}

export class IndexedDBHandler implements IOHandler {
  readonly source: string;
  private readonly factory: IDBFactory;

  /**
   * @param modelPath - the name after `indexeddb://`.
   * @param factory - the IndexedDB to use; default the global `indexedDB`.
   */
  constructor(
    readonly modelPath: string,
    factory?: IDBFactory,
  ) {
    if (typeof modelPath !== "string" || modelPath === "") {
      throw new RaggedError("INVALID_ARGUMENT", "indexeddb://: the model needs a name.", { expected: 'e.g. "indexeddb://my-model"' });
    }
    const f = factory ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB;
    if (!f) throw new RaggedError("UNSUPPORTED", "indexeddb://: there is no IndexedDB here.", { help: "use it in a browser page or Web Worker; in Node save to file://" });
    this.factory = f;
    this.source = INDEXED_DB_SCHEME + modelPath;
  }

  private async open(): Promise<IDBDatabase> {
    const req = this.factory.open(DATABASE_NAME, DATABASE_VERSION);
    req.onupgradeneeded = () => {
      const db = req.result;
      if (!db.objectStoreNames.contains(MODEL_STORE)) db.createObjectStore(MODEL_STORE, { keyPath: "modelPath" });
      if (!db.objectStoreNames.contains(INFO_STORE)) db.createObjectStore(INFO_STORE, { keyPath: "modelPath" });
    };
    try {
      return await request(req);
    } catch (e) {
      throw new RaggedError("IO_ERROR", `${this.source}: cannot open IndexedDB.`, { received: String((e as Error)?.message ?? e) });
    }
  }

  async save(artifacts: ModelArtifacts): Promise<SaveResult> {
    if (artifacts.modelTopology instanceof ArrayBuffer) {
      throw new RaggedError("UNSUPPORTED", "indexeddb://: only JSON model topologies can be saved.");
    }
    const modelArtifacts: ModelArtifacts = { ...artifacts, weightData: concatWeightData(artifacts.weightData) };
    const modelArtifactsInfo = artifactsInfo(modelArtifacts);
    const db = await this.open();
    try {
      // Both records in one transaction: either both are written or neither.
      const tx = db.transaction([INFO_STORE, MODEL_STORE], "readwrite");
      tx.objectStore(INFO_STORE).put({ modelPath: this.modelPath, modelArtifactsInfo });
      tx.objectStore(MODEL_STORE).put({ modelPath: this.modelPath, modelArtifacts });
      await done(tx);
    } catch (e) {
      throw new RaggedError("IO_ERROR", `${this.source}: saving to IndexedDB failed.`, { received: String((e as Error)?.message ?? e), help: "the browser may be out of storage quota" });
    } finally {
      db.close();
    }
    return { modelArtifactsInfo };
  }

  async load(): Promise<ModelArtifacts> {
    const db = await this.open();
    try {
      const tx = db.transaction(MODEL_STORE, "readonly");
      const record = (await request(tx.objectStore(MODEL_STORE).get(this.modelPath))) as { modelArtifacts?: ModelArtifacts } | undefined;
      if (!record?.modelArtifacts) {
        throw new RaggedError("IO_ERROR", `${this.source}: no model saved under this name.`, { help: `save one first: model.save("${this.source}")` });
      }
      return record.modelArtifacts;
    } finally {
      db.close();
    }
  }
}

/**
 * An IndexedDB handler (`indexeddb://name` does the same through `model.save` / `loadModel`).
 * @example
 * await model.save(indexedDB("tagger"));
 */
export function indexedDB(modelPath: string, factory?: IDBFactory): IndexedDBHandler {
  return new IndexedDBHandler(modelPath.startsWith(INDEXED_DB_SCHEME) ? modelPath.slice(INDEXED_DB_SCHEME.length) : modelPath, factory);
}
