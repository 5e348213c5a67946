/**
 * Picks an IOHandler for a URL by its scheme, as TF.js' router registry: `http://` and `https://`
 * are registered here (platform-neutral, `fetch`), `file://` by the Node entry point
 * ("ragged-rnn/node"); a browser entry may add `indexeddb://` or `downloads://` the same way.
 *
 * @example
 * registerRoute("memory://", (url) => myStore.handler(url.slice("memory://".length)));
 */
import { RaggedError } from "../../core/errors.js";
import { browserDownloads } from "./browser_downloads.js";
import { http } from "./http.js";
import { indexedDB } from "./indexed_db.js";
import type { IOHandler } from "./io_handler.js";

export type RouteFactory = (url: string) => IOHandler;

const routes = new Map<string, RouteFactory>();

/** Registers (or replaces) the handler for URLs starting with `scheme` (e.g. `"file://"`). */
export function registerRoute(scheme: string, factory: RouteFactory): void {
  routes.set(scheme.toLowerCase(), factory);
}

/**
 * The handler for `urlOrHandler`: a handler object is returned as it is.
 * @param purpose - `"save"` or `"load"`; the handler must implement it.
 * @throws RaggedError INVALID_ARGUMENT for an unknown scheme or a handler without that method.
 */
export function resolveHandler(urlOrHandler: string | IOHandler, purpose: "save" | "load"): IOHandler {
  let handler: IOHandler;
  if (typeof urlOrHandler === "string") {
    const lower = urlOrHandler.toLowerCase();
    const scheme = [...routes.keys()].find((s) => lower.startsWith(s));
    if (!scheme) {
      throw new RaggedError("INVALID_ARGUMENT", `No model handler for "${urlOrHandler}".`, {
        expected: `a URL starting with ${[...routes.keys()].join(", ")}, or an IOHandler object`,
        help: routes.has("file://") ? undefined : 'for files, import from "ragged-rnn/node", which registers file://',
      });
    }
    handler = (routes.get(scheme) as RouteFactory)(urlOrHandler);
  } else {
    handler = urlOrHandler;
  }
  if (!handler || typeof handler[purpose] !== "function") {
    throw new RaggedError("INVALID_ARGUMENT", `The model handler has no ${purpose}() method.`, { received: String(urlOrHandler) });
  }
  return handler;
}

registerRoute("http://", (url) => http(url));
registerRoute("https://", (url) => http(url));
// Browser storage (TF.js' schemes); they fail with UNSUPPORTED where there is no IndexedDB or page.
registerRoute("indexeddb://", (url) => indexedDB(url));
registerRoute("downloads://", (url) => browserDownloads(url));
