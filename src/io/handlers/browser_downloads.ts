/**
 * `downloads://name`: the browser downloads the model as two files, `name.json` (a model.json
 * whose manifest names `./name.weights.bin`) and `name.weights.bin` — TF.js' `browserDownloads`
 * (tfjs-core `io/browser_files.ts`), default name `model`. The pair opens with `loadModel` in Node
 * (`loadModel("file://./name.json")`) and with `tf.loadLayersModel`.
 *
 * @example
 * await model.save("downloads://tagger"); // tagger.json + tagger.weights.bin
 */
import { RaggedError } from "../../core/errors.js";
import { type ModelArtifacts, type SaveResult, artifactsInfo, concatWeightData } from "../artifacts.js";
import { modelJSONFromArtifacts } from "../model_json.js";
import type { IOHandler } from "./io_handler.js";

export const DOWNLOADS_SCHEME = "downloads://";

/** The part of `document` a download needs (replaceable in tests). */
export interface DownloadDocument {
  createElement(tag: "a"): { href: string; download: string; dispatchEvent(event: Event): boolean };
}

export class BrowserDownloads implements IOHandler {
  readonly source: string;
  readonly jsonFileName: string;
  readonly weightsFileName: string;

  constructor(
    prefix = "model",
    private readonly doc?: DownloadDocument,
  ) {
    const name = prefix === "" ? "model" : prefix;
    this.jsonFileName = `${name}.json`;
    this.weightsFileName = `${name}.weights.bin`;
    this.source = DOWNLOADS_SCHEME + name;
  }

  async save(artifacts: ModelArtifacts): Promise<SaveResult> {
    const doc = this.doc ?? (globalThis as { document?: DownloadDocument }).document;
    if (!doc || typeof URL === "undefined" || typeof URL.createObjectURL !== "function") {
      throw new RaggedError("UNSUPPORTED", `${this.source}: downloads need a browser page (a document).`, {
        help: "in a Web Worker, send the artifacts to the page and save there; in Node use file://",
      });
    }
    const json = modelJSONFromArtifacts(artifacts, [`./${this.weightsFileName}`]);
    const jsonUrl = URL.createObjectURL(new Blob([JSON.stringify(json)], { type: "application/json" }));
    const weightsUrl = URL.createObjectURL(new Blob([concatWeightData(artifacts.weightData)], { type: "application/octet-stream" }));
    try {
      // One click per file, a turn of the event loop apart (browsers may drop simultaneous downloads).
      for (const [href, download] of [
        [jsonUrl, this.jsonFileName],
        [weightsUrl, this.weightsFileName],
      ]) {
        const a = doc.createElement("a");
        a.href = href;
        a.download = download;
        await new Promise((resolve) => setTimeout(resolve, 0));
        a.dispatchEvent(new MouseEvent("click"));
      }
    } finally {
      // Revoke later: the download may still be reading the blob.
      setTimeout(() => {
        URL.revokeObjectURL(jsonUrl);
        URL.revokeObjectURL(weightsUrl);
      }, 60_000);
    }
    return { modelArtifactsInfo: artifactsInfo(artifacts) };
  }
}

/**
 * A downloads handler: `browserDownloads("tagger")` saves `tagger.json` and `tagger.weights.bin`.
 * @example
 * await model.save(browserDownloads("tagger"));
 */
export function browserDownloads(prefix = "model"): BrowserDownloads {
  return new BrowserDownloads(prefix.startsWith(DOWNLOADS_SCHEME) ? prefix.slice(DOWNLOADS_SCHEME.length) : prefix);
}
