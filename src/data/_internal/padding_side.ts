/**
 * The `padding` / `truncating` option shared by the data utilities: which end of a sequence the
 * padding (or the cut) goes on. Private to `src/data/`.
 */
import { RaggedError, describe } from "../../core/errors.js";

/** `"pre"`: at the start of the sequence (the Keras default); `"post"`: at the end. */
export type PaddingSide = "pre" | "post";

/**
 * Reads a side option, defaulting to `"pre"` as Keras does.
 * @param value - the option as the caller passed it.
 * @param option - its name, for the error message.
 * @returns the side.
 * @throws RaggedError `INVALID_ARGUMENT` for anything but `"pre"`, `"post"` or `undefined`.
 */
export function parsePaddingSide(value: unknown, option: string): PaddingSide {
  if (value === undefined) return "pre";
  if (value === "pre" || value === "post") return value;
  throw new RaggedError("INVALID_ARGUMENT", `Unknown ${option} side.`, {
    expected: `${option}: "pre" or "post"`,
    received: `${option}: ${describe(value)}`,
    help: `"pre" puts it at the start of each sequence (the Keras default), "post" at the end`,
  });
}
