/**
 * NOTE [ loggers never stop training ]: a logger that cannot write when training begins (an
 * unwritable folder, a path that is a directory) throws a RaggedError `IO_ERROR`, so `fit` fails
 * before any work is done. Once training runs, a failing write (disk full, folder removed) warns
 * once through the logger's `log` function and the logger goes quiet: training goes on, since
 * losing a log line is better than losing the run.
 */
import { RaggedError } from "../../../core/errors.js";
import type { LogFunction } from "./common.js";

export class LoggerGuard {
  private failed = false;

  constructor(
    private readonly who: string,
    private readonly log: LogFunction,
  ) {}

  /** Runs the set-up of a run; a failure is an IO_ERROR naming `path`. */
  async start(path: string, action: () => Promise<void>): Promise<void> {
    this.failed = false;
    try {
      await action();
    } catch (e) {
      this.failed = true;
      throw new RaggedError("IO_ERROR", `${this.who}: cannot write ${JSON.stringify(path)}.`, {
        received: (e as Error).message,
        help: "check that the folder exists (or can be created) and is writable, and that the path is not a folder",
      });
    }
  }

  /** Runs a write during training; a failure warns once and turns the logger off. */
  async run(action: () => Promise<void>): Promise<void> {
    if (this.failed) return;
    try {
      await action();
    } catch (e) {
      this.failed = true;
      this.log(`${this.who}: stopped logging after a write failed (training goes on): ${(e as Error).message}`);
    }
  }

  /** Whether a write has failed (the logger is off until the next run). */
  get off(): boolean {
    return this.failed;
  }
}
