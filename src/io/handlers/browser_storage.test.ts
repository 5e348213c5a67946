/**
 * indexeddb:// and downloads:// in Node: IndexedDB from fake-indexeddb (the real one is exercised
 * by the browser test), downloads through a stand-in document that keeps the clicked links.
 */
import { IDBFactory } from "fake-indexeddb";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { layers, loadModel, sequential } from "../../index.js";
import { fileHandler } from "../../node/file_handler.js";
import { BrowserDownloads, type DownloadDocument } from "./browser_downloads.js";
import { IndexedDBHandler } from "./indexed_db.js";

function model() {
  const m = sequential([layers.gru({ units: 3, inputShape: [null, 2] }), layers.dense({ units: 2 })], { seed: 9 });
  m.compile({ loss: "mse", optimizer: "adam" });
  return m;
}
const xs = [[[0.1, 0.2], [0.3, -0.4], [1, 0]], [[0.5, 0.5]]];

describe("indexeddb://", () => {
  it("saves where TF.js does (tensorflowjs / models_store, model_info_store) and loads back the same model", async () => {
    const factory = new IDBFactory();
    const m = model();
    const result = await m.save(new IndexedDBHandler("demo", factory));
    expect(result.modelArtifactsInfo.weightDataBytes).toBeGreaterThan(0);
    const again = await loadModel(new IndexedDBHandler("demo", factory));
    expect(again.predict(xs)).toEqual(m.predict(xs));
    // the layout TF.js reads
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = factory.open("tensorflowjs", 1);
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    expect(Array.from({ length: db.objectStoreNames.length }, (_, i) => db.objectStoreNames.item(i)).sort()).toEqual(["model_info_store", "models_store"]);
    const record = await new Promise<{ modelPath: string; modelArtifacts: { weightData: ArrayBuffer; format: string } }>((resolve) => {
      const req = db.transaction("models_store").objectStore("models_store").get("demo");
      req.onsuccess = () => resolve(req.result);
    });
    db.close();
    expect(record.modelPath).toBe("demo");
    expect(record.modelArtifacts.format).toBe("layers-model");
    expect(record.modelArtifacts.weightData.byteLength).toBe(result.modelArtifactsInfo.weightDataBytes);
  });

  it("a missing model is an IO_ERROR naming it; without IndexedDB the scheme is UNSUPPORTED", async () => {
    await expect(loadModel(new IndexedDBHandler("nothing", new IDBFactory()))).rejects.toMatchObject({ code: "IO_ERROR", message: expect.stringContaining("indexeddb://nothing") });
    await expect(loadModel("indexeddb://x")).rejects.toMatchObject({ code: "UNSUPPORTED" });
  });
});

describe("downloads://", () => {
  it("downloads name.json and name.weights.bin that loadModel opens in Node (file://)", async () => {
    const clicked: { href: string; download: string }[] = [];
    const doc: DownloadDocument = {
      createElement: () => {
        const a = { href: "", download: "", dispatchEvent: () => (clicked.push({ href: a.href, download: a.download }), true) };
        return a;
      },
    };
    (globalThis as { MouseEvent?: unknown }).MouseEvent ??= class extends Event {};
    const m = model();
    await m.save(new BrowserDownloads("tagger", doc));
    expect(clicked.map((c) => c.download)).toEqual(["tagger.json", "tagger.weights.bin"]);
    const dir = mkdtempSync(join(tmpdir(), "ragged-dl-"));
    for (const c of clicked) {
      const blob = await (await import("node:buffer")).resolveObjectURL(c.href)?.arrayBuffer();
      writeFileSync(join(dir, c.download), new Uint8Array(blob as ArrayBuffer));
    }
    const again = await loadModel(fileHandler(join(dir, "tagger.json")));
    expect(again.predict(xs)).toEqual(m.predict(xs));
  });

  it("outside a page the scheme is UNSUPPORTED", async () => {
    await expect(model().save("downloads://m")).rejects.toMatchObject({ code: "UNSUPPORTED" });
  });
});
