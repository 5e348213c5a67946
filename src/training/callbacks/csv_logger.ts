/**
 * CSVLogger: one row per epoch — the epoch index and every logged number — streamed to a CSV file
 * as Keras' `keras.callbacks.CSVLogger` writes it: columns `epoch` then the log names sorted; when
 * the first epoch has no `val_` names, a `val_` column is added for each name (written `NA`); rows
 * end in `\r\n` (Python's csv "excel" dialect); with `append`, an existing file gets no second
 * header, so a resumed run (`initialEpoch`) continues it.
 *
 * Numbers are written as `String(value)`, the shortest text that reads back as the same double, so
 * `Number(cell)` equals the History's value exactly. Porting note: Python writes `1e-07` and `nan`
 * where JavaScript writes `1e-7` and `NaN`; both parse back to the same numbers.
 *
 * Files go through a LogFiles (NOTE in log_files.ts): the file system under "ragged-rnn/node", memory
 * elsewhere. See NOTE [ loggers never stop training ].
 *
 * @example
 * await model.fit(xs, ys, { epochs: 10, callbacks: [csvLogger({ filename: "training.csv" })] });
 * // training.csv: epoch,accuracy,loss,val_accuracy,val_loss\r\n0,0.61,0.69,NA,NA\r\n…
 */
import { RaggedError, describe } from "../../core/errors.js";
import type { Callback, Logs } from "../callbacks.js";
import { type LogFunction, defaultLog } from "./_internal/common.js";
import { LoggerGuard } from "./_internal/logger_guard.js";
import { type LogFiles, defaultLogFiles } from "./log_files.js";

export interface CSVLoggerArgs {
  /** The CSV file, e.g. `"run/log.csv"`; its folder must exist. */
  filename: string;
  /** Field separator; default `","`. */
  separator?: string;
  /** Continue an existing file (no second header) instead of overwriting it; default false. */
  append?: boolean;
  /** Where to write; default: the file system under "ragged-rnn/node", memory elsewhere. */
  files?: LogFiles;
  /** Where warnings go (a write failing during training); default console.warn. */
  log?: LogFunction;
}

const WHO = "csvLogger";
const LINE_END = "\r\n";

export class CSVLogger implements Callback {
  readonly filename: string;
  readonly separator: string;
  readonly append: boolean;
  private readonly files: LogFiles;
  private readonly guard: LoggerGuard;
  private keys: string[] | null = null;
  private writeHeader = true;

  constructor(args: CSVLoggerArgs) {
    if (args === null || typeof args !== "object") {
      throw new RaggedError("INVALID_ARGUMENT", `${WHO} takes an options object.`, { expected: '{ filename: "log.csv" }', received: describe(args) });
    }
    if (typeof args.filename !== "string" || args.filename === "") {
      throw new RaggedError("INVALID_ARGUMENT", `${WHO}: \`filename\` must be a file path.`, { received: `filename = ${describe(args.filename)}` });
    }
    const separator = args.separator ?? ",";
    if (typeof separator !== "string" || separator.length !== 1 || separator === '"' || separator === "\n" || separator === "\r") {
      throw new RaggedError("INVALID_ARGUMENT", `${WHO}: \`separator\` must be one character (not a quote or a line break).`, {
        received: `separator = ${describe(args.separator)}`,
        help: 'e.g. "," or ";" or "\\t"',
      });
    }
    this.filename = args.filename;
    this.separator = separator;
    this.append = args.append ?? false;
    this.files = args.files ?? defaultLogFiles();
    this.guard = new LoggerGuard(WHO, args.log ?? defaultLog);
  }

  async onTrainBegin(): Promise<void> {
    this.keys = null;
    this.writeHeader = true;
    await this.guard.start(this.filename, async () => {
      if (this.append) {
        const existing = await this.files.read(this.filename);
        // Keras reads the first line (`f.readline()`): a header only when the file is empty.
        if (existing !== null) this.writeHeader = existing.length === 0;
        await this.files.append(this.filename, "");
      } else {
        await this.files.write(this.filename, "");
      }
    });
  }

  async onEpochEnd(epoch: number, logs: Logs = {}): Promise<void> {
    if (this.keys === null) {
      const keys = Object.keys(logs).sort();
      if (keys.length > 0 && !keys.some((k) => k.startsWith("val_"))) keys.push(...keys.map((k) => `val_${k}`));
      this.keys = keys;
    }
    const keys = this.keys;
    let text = "";
    if (this.writeHeader) {
      text += this.row(["epoch", ...keys]);
      this.writeHeader = false;
    }
    text += this.row([String(epoch), ...keys.map((k) => (k in logs ? String(logs[k]) : "NA"))]);
    await this.guard.run(() => this.files.append(this.filename, text));
  }

  onTrainEnd(): void {
    this.keys = null;
  }

  private row(fields: string[]): string {
    return fields.map((f) => this.quote(f)).join(this.separator) + LINE_END;
  }

  /** The excel dialect's minimal quoting: quote a field holding the separator, a quote or a line break. */
  private quote(field: string): string {
    if (field.includes(this.separator) || /["\r\n]/.test(field)) return `"${field.replace(/"/g, '""')}"`;
    return field;
  }
}

/**
 * A CSVLogger (Keras `CSVLogger`).
 * @throws RaggedError `INVALID_ARGUMENT` for a missing filename or a bad separator; `IO_ERROR`
 *   from `fit` when the file cannot be written as training begins.
 * @example
 * const logger = csvLogger({ filename: "log.csv", append: true, separator: ";" });
 */
export function csvLogger(args: CSVLoggerArgs): CSVLogger {
  return new CSVLogger(args);
}
