/**
 * The script each Node training thread runs (see threads.ts): a model replica answering the main
 * thread's steps (training/parallel/replica.ts).
 */
import { parentPort } from "node:worker_threads";
import { modelFromArtifacts } from "../io/model_io.js";
import type { ModelArtifacts } from "../io/artifacts.js";
import type { MessageLike } from "../training/parallel/platform.js";
import { serveReplica } from "../training/parallel/replica.js";

if (!parentPort) throw new Error("ragged: worker_entry runs inside a worker thread only");
const port = parentPort;
const endpoint = {
  postMessage: (message: unknown, transfer?: Transferable[]) => port.postMessage(message, transfer as ArrayBuffer[] | undefined),
  onmessage: null as ((event: MessageLike) => void) | null,
};
port.on("message", (data: unknown) => endpoint.onmessage?.({ data }));
serveReplica(endpoint, (artifacts) => modelFromArtifacts(artifacts as ModelArtifacts, "training thread"));
