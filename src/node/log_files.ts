/**
 * The file system as the loggers' LogFiles (training/callbacks/log_files.ts); "ragged-rnn/node" makes
 * it the default, so `csvLogger({ filename: "log.csv" })` writes a real file.
 */
import { promises as fsp } from "node:fs";
import { hostname } from "node:os";
import type { LogFiles } from "../training/callbacks/log_files.js";

export const nodeLogFiles: LogFiles = {
  hostname: hostname(),
  pid: process.pid,
  async mkdir(dir) {
    await fsp.mkdir(dir, { recursive: true });
  },
  async exists(path) {
    return fsp.stat(path).then(
      () => true,
      () => false,
    );
  },
  async read(path) {
    try {
      return new Uint8Array(await fsp.readFile(path));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw e;
    }
  },
  async write(path, data) {
    await fsp.writeFile(path, data);
  },
  async append(path, data) {
    await fsp.appendFile(path, data);
  },
};
