import { describe, expect, it } from "vitest";
import { RaggedError } from "../../core/errors.js";
import { layers, loadModel, sequential } from "../../index.js";
import { http } from "./http.js";

describe("http handler", () => {
  it("loads model.json, then its weight paths relative to it, through fetch", async () => {
    const model = sequential([layers.lstm({ units: 3, inputShape: [null, 2] }), layers.dense({ units: 1 })], { seed: 1 });
    const files = new Map<string, BodyInit>();
    const requested: string[] = [];
    const fetchStub = (async (url: string | URL | Request, init?: RequestInit) => {
      if (init?.method === "POST") {
        const form = init.body as FormData;
        files.set("https://models.example/a/model.json", await (form.get("model.json") as Blob).text());
        files.set("https://models.example/a/model.weights.bin", await (form.get("model.weights.bin") as Blob).arrayBuffer());
        return new Response("ok");
      }
      requested.push(String(url));
      const body = files.get(String(url));
      return body === undefined ? new Response("not found", { status: 404 }) : new Response(body);
    }) as typeof fetch;
    await model.save(http("https://models.example/a/model.json", { fetch: fetchStub }));
    const again = await loadModel(http("https://models.example/a/model.json", { fetch: fetchStub }));
    expect(requested).toEqual(["https://models.example/a/model.json", "https://models.example/a/model.weights.bin"]);
    const xs = [[[0.1, 0.2], [0.3, 0.4]], [[0.5, -0.6]]];
    expect(again.predict(xs)).toEqual(model.predict(xs));

    files.delete("https://models.example/a/model.weights.bin");
    const err = await loadModel(http("https://models.example/a/model.json", { fetch: fetchStub })).catch((e: unknown) => e);
    expect((err as RaggedError).code).toBe("IO_ERROR");
    expect((err as Error).message).toContain("https://models.example/a/model.weights.bin");
  });

  it("calls fetch without a receiver, as a browser's window.fetch requires", async () => {
    const model = sequential([layers.dense({ units: 1, inputShape: [null, 2] })], { seed: 1 });
    const receivers: unknown[] = [];
    // A browser's fetch throws TypeError "Illegal invocation" when called on another object.
    const strictFetch = function (this: unknown) {
      receivers.push(this);
      if (this !== undefined && this !== globalThis) throw new TypeError("Failed to execute 'fetch' on 'Window': Illegal invocation");
      return Promise.resolve(new Response("ok"));
    } as unknown as typeof fetch;
    await model.save(http("https://models.example/b/model.json", { fetch: strictFetch }));
    expect(receivers).toEqual([undefined]);
  });
});
