/**
 * `mkdir -p` without Node's recursive mkdir, which loops forever on some paths that cannot be
 * created (`fs.mkdir("/proc/x", { recursive: true })` never settles on Linux with Node 20): one
 * non-recursive mkdir per missing ancestor, each error reported once.
 *
 * @example
 * await makeDir("./runs/2026/model"); // creates runs/, runs/2026/ and runs/2026/model/ as needed
 */
import { promises as fsp } from "node:fs";
import * as path from "node:path";

/**
 * Creates `dir` and its missing ancestors; resolves when `dir` is a directory.
 * @throws the fs error (ENOENT, EACCES, ENOTDIR, …) of the first mkdir that cannot succeed.
 */
export async function makeDir(dir: string): Promise<void> {
  try {
    await fsp.mkdir(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EEXIST") {
      if ((await fsp.stat(dir)).isDirectory()) return;
      throw Object.assign(new Error(`ENOTDIR: ${dir} exists and is not a directory`), { code: "ENOTDIR" });
    }
    const parent = path.dirname(dir);
    if (code !== "ENOENT" || parent === dir) throw e;
    await makeDir(parent);
    try {
      await fsp.mkdir(dir); // once: a parent that exists but still gives ENOENT (/proc) fails here
    } catch (again) {
      if ((again as NodeJS.ErrnoException).code !== "EEXIST" || !(await fsp.stat(dir)).isDirectory()) throw again;
    }
  }
}
