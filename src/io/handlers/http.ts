/**
 * An IOHandler over HTTP(S) with the global `fetch` (Node ≥ 18 and browsers alike).
 * - `load`: GET model.json, then every weight file its manifest lists, resolved relative to the
 *   model.json URL, concatenated in manifest order.
 * - `save`: POST a multipart form with `model.json` and `model.weights.bin`, as TF.js'
 *   `tf.io.http` does.
 *
 * @example
 * const model = await loadModel("https://example.com/models/tagger/model.json");
 */
import { RaggedError } from "../../core/errors.js";
import { type ModelArtifacts, type ModelJSON, type SaveResult, artifactsInfo, concatWeightData } from "../artifacts.js";
import { artifactsFromModelJSON, modelJSONFromArtifacts } from "../model_json.js";
import type { IOHandler } from "./io_handler.js";

export interface HttpOptions {
  /** Defaults to the global `fetch`. */
  fetch?: typeof fetch;
  /** Passed to every request (headers, credentials…). */
  requestInit?: RequestInit;
}

const WEIGHTS_FILE = "model.weights.bin";

export class HttpHandler implements IOHandler {
  readonly source: string;
  private readonly fetchFn: typeof fetch;

  constructor(
    readonly url: string,
    private readonly options: HttpOptions = {},
  ) {
    this.source = url;
    const f = options.fetch ?? (globalThis as { fetch?: typeof fetch }).fetch;
    if (typeof f !== "function") throw new RaggedError("UNSUPPORTED", "http: no fetch() in this environment.", { help: "pass { fetch } in the options" });
    // Called without a receiver: a browser's fetch throws "Illegal invocation" when `this` is not
    // the window (here it would be the handler); Node's does not care.
    this.fetchFn = (input, init) => f(input, init);
  }

  async load(): Promise<ModelArtifacts> {
    const res = await this.get(this.url);
    let json: ModelJSON;
    try {
      json = JSON.parse(await res.text()) as ModelJSON;
    } catch (e) {
      throw new RaggedError("BAD_FILE", `${this.url}: not valid JSON.`, { received: (e as Error).message });
    }
    return artifactsFromModelJSON(json, this.url, async (paths) => {
      const buffers = await Promise.all(paths.map(async (p) => (await this.get(new URL(p, new URL(this.url, base())).href)).arrayBuffer()));
      return buffers;
    });
  }

  async save(artifacts: ModelArtifacts): Promise<SaveResult> {
    const json = modelJSONFromArtifacts(artifacts, [`./${WEIGHTS_FILE}`]);
    const form = new FormData();
    form.append("model.json", new Blob([JSON.stringify(json)], { type: "application/json" }), "model.json");
    form.append(WEIGHTS_FILE, new Blob([concatWeightData(artifacts.weightData)], { type: "application/octet-stream" }), WEIGHTS_FILE);
    const res = await this.fetchFn(this.url, { method: "POST", ...this.options.requestInit, body: form });
    if (!res.ok) throw new RaggedError("IO_ERROR", `${this.url}: saving failed with HTTP ${res.status}.`);
    return { modelArtifactsInfo: artifactsInfo(artifacts), responses: [res] };
  }

  private async get(url: string): Promise<Response> {
    let res: Response;
    try {
      res = await this.fetchFn(url, this.options.requestInit);
    } catch (e) {
      throw new RaggedError("IO_ERROR", `${url}: request failed.`, { received: (e as Error).message });
    }
    if (!res.ok) throw new RaggedError("IO_ERROR", `${url}: HTTP ${res.status}.`, { help: "check that the file exists at that URL" });
    return res;
  }
}

/** The base for relative model URLs in a browser page; a dummy one elsewhere. */
function base(): string {
  const loc = (globalThis as { location?: { href?: string } }).location;
  return loc?.href ?? "http://localhost/";
}

/** An HTTP(S) handler for a model.json URL. */
export function http(url: string, options: HttpOptions = {}): HttpHandler {
  return new HttpHandler(url, options);
}
