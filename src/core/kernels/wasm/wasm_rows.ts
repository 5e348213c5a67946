/**
 * NOTE [ rows kept in wasm between layers ]
 * In a training step, one recurrent layer's output h [N,H] is the next recurrent layer's input x,
 * and in backward that layer's dx is the first one's dh. Copying each out of wasm memory into a
 * JavaScript array and back into the next kernel's block moved 7 MB four times per seed step
 * (lstm(32) → lstm(8), batch 1000 × 55): about 2.5 ms of a 72 ms one-thread step.
 *
 * So inside a step-buffer scope (NOTE [ step buffers ]) a wasm recurrent kernel hands its rows out
 * as `WasmRows`, and the layer wraps them in a value whose `data` copies them out only when
 * JavaScript first reads it (`sequenceOfRows` in layers/values.ts). A wasm recurrent kernel given
 * such rows as its input (`xRows`) points its block at them instead of copying; given them as its
 * output gradient (`dhRows`), it reads them in place and then consumes them. Where the rows live:
 * - h: the producer's kept block (its carried state; no mask, so the output is the state). The
 *   rows are valid until the producer's backward frees that block, which in a step comes after
 *   every consumer's backward (reverse order), so a consumer's block may point at them;
 * - dx: a block of its own, allocated by the backward that writes it (`ownedRows`) and freed when
 *   the consumer's backward has read it, or at the end of the step scope at the latest.
 * Anything else (a dense layer, the loss, a wrapper, a spread `{ ...value }`) reads `data` and
 * gets an ordinary array, copied once. Reading rows that are gone is an error, never stale data.
 */
import { RaggedError } from "../../errors.js";
import { atStepEnd, inStepScope, stepCopy } from "../../step_buffers.js";
import { WasmBlockPlan, type RaggedWasmExports } from "../../wasm/loader.js";
import { KeptBlock } from "./_kept_block.js";

/** What holds the memory the rows are in: a kernel's kept block. */
interface RowsHolder {
  readonly alive: boolean;
  release(): void;
}

/** `count` floats of rows in a module instance's memory, and a JS copy made on first demand. */
export class WasmRows {
  private copy: Float32Array | null = null;
  private consumed = false;

  constructor(
    readonly wasm: RaggedWasmExports,
    /** Byte address of the first float. */
    readonly ptr: number,
    readonly count: number,
    private readonly holder: RowsHolder,
    /** Whether the holder exists only for these rows (then `consume` frees it). */
    private readonly owns: boolean,
  ) {}

  /** Whether `ptr` still holds the rows (a wasm kernel may read them there). */
  get alive(): boolean {
    return !this.consumed && this.holder.alive;
  }

  /** The rows as an array (a step buffer): copied out on the first call, the same array after. */
  toArray(): Float32Array {
    if (this.copy) return this.copy;
    this.requireAlive();
    this.copy = stepCopy(new Float32Array(this.wasm.memory.buffer, this.ptr, this.count));
    return this.copy;
  }

  /** Throws unless `ptr` still holds the rows (a copy made earlier does not count: a kernel reads `ptr`). */
  requireAlive(): void {
    if (!this.alive) {
      throw new RaggedError("INVALID_ARGUMENT", "These rows were kept in WebAssembly memory for one training step, and that memory has been freed.", {
        expected: "a layer's output or input gradient read during the training step that made it",
        received: "a read after the layer's backward, or after the step ended",
        help: "read a value's data before backward runs (forward's outputs) or copy it",
      });
    }
  }

  /**
   * A wasm kernel has read the rows in place (and may have overwritten them): owned rows are freed.
   * A copy already made stays readable.
   */
  consume(): void {
    if (this.consumed) return;
    this.consumed = true;
    if (this.owns) this.holder.release();
  }
}

/**
 * A block of its own for `count` floats of rows a kernel is about to write (a backward's dx),
 * freed when consumed or when the step scope ends; null when memory is refused. Allocate it
 * before the call's arena (the arena starts above every block).
 */
function ownedRows(wasm: RaggedWasmExports, count: number): WasmRows | null {
  const plan = new WasmBlockPlan();
  const placed = plan.place(wasm, { rows: plan.floats(count) });
  if (placed === null) return null;
  const block = new KeptBlock(wasm, placed.at, placed.p);
  atStepEnd(() => block.release());
  return new WasmRows(wasm, placed.p.rows, count, block, true);
}

/** `rows` when a kernel on `wasm` can read them in place (alive, in its memory, at least `count` floats); else undefined. */
function usableRows(rows: WasmRows | undefined, wasm: RaggedWasmExports | null, count: number): WasmRows | undefined {
  return rows !== undefined && rows.alive && rows.wasm === wasm && rows.count >= count ? rows : undefined;
}

/**
 * `args` as a kernel on `wasm` reads them: `xRows` kept when it can read them in place (at least
 * `count` floats), else x copied out of them (`withInputArray`). Afterwards `args.xRows`, if set, is usable.
 */
export function readableInput<A extends { x: Float32Array; xRows?: WasmRows }>(args: A, wasm: RaggedWasmExports | null, count: number): A {
  return args.xRows === undefined || usableRows(args.xRows, wasm, count) ? args : withInputArray(args);
}

/** `args` with x as an array: the rows copied out when they came as `xRows` (for a fallback). */
export function withInputArray<A extends { x: Float32Array; xRows?: WasmRows }>(args: A): A {
  return args.xRows ? { ...args, x: args.xRows.toArray(), xRows: undefined } : args;
}

/** `args` with dh as an array: the rows copied out when they came as `dhRows` (for a fallback). */
export function withGradArray<A extends { dh: Float32Array | null; dhRows?: WasmRows }>(args: A): A {
  return args.dhRows ? { ...args, dh: args.dhRows.toArray(), dhRows: undefined } : args;
}

/**
 * A training forward's output h as rows in its kept block, valid while the block is, when it may
 * stay there: the forward keeps its block (`needsGrad`), runs without a mask (so h is the carried
 * state at `statePtr`) and inside a step-buffer scope (outside one, e.g. `predict` or a kernel
 * called directly, results are plain arrays). Null: copy h out as usual.
 */
export function keptOutputRows(block: KeptBlock<string>, statePtr: number, count: number, needsGrad: boolean | undefined, mask: Uint8Array | null | undefined): WasmRows | null {
  return needsGrad !== false && !mask && inStepScope() ? new WasmRows(block.wasm, statePtr, count, block, false) : null;
}

/**
 * Where a backward reads dh: `dhRows` in place when usable (then `dh` is null), else an array
 * (the rows copied out when they came as rows but cannot be read in place).
 */
export function gradInput(args: { dh: Float32Array | null; dhRows?: WasmRows }, wasm: RaggedWasmExports, count: number): { dhRows?: WasmRows; dh: Float32Array | null } {
  const dhRows = usableRows(args.dhRows, wasm, count);
  return dhRows ? { dhRows, dh: null } : { dh: withGradArray(args).dh };
}

/** A block for a backward's dx when the caller asked to keep it (`keepDx`) and it is wanted; see `ownedRows`. */
export function dxRowsFor(args: { keepDx?: boolean; needInputGrad: boolean }, wasm: RaggedWasmExports, count: number, mask: Uint8Array | null | undefined): WasmRows | null {
  return args.keepDx && args.needInputGrad && !mask ? ownedRows(wasm, count) : null;
}

/** A backward's result whose dx stays in `dxRows`: `dx` copies them out when read. */
export function resultWithDxRows<R extends object>(dxRows: WasmRows, rest: R): R & { readonly dx: Float32Array; dxRows: WasmRows } {
  return Object.defineProperty({ ...rest, dxRows }, "dx", { get: () => dxRows.toArray(), enumerable: true }) as R & { readonly dx: Float32Array; dxRows: WasmRows };
}

/** What a recurrent forward's arguments may carry (the reference kernels ignore it). */
export interface ForwardRowsArgs {
  /**
   * x's rows, kept in wasm memory by the layer before: a wasm kernel reads them in place, and `x`
   * may then be empty (a wasm kernel that falls back to the reference copies them out for it).
   */
  xRows?: WasmRows;
}

/** What a recurrent cache may carry. */
export interface CacheRows {
  /** h still in wasm memory, when a wasm forward kept it there; `h` then copies it out on first read. */
  hRows?: WasmRows | null;
}

/** What a recurrent backward's arguments may carry (the reference kernels ignore it). */
export interface BackwardRowsArgs {
  /** dh's rows, kept in wasm memory by the layer after (its dx): read in place and consumed; `dh` may then be empty. */
  dhRows?: WasmRows;
  /** Whether a wasm kernel may keep dx in wasm memory (`dxRows`) for the layer before. */
  keepDx?: boolean;
}

/** What a recurrent backward's result may carry. */
export interface BackwardRowsResult {
  /** dx kept in wasm memory, when `keepDx` was asked and a wasm kernel ran (`dx` then copies it out when read). */
  dxRows?: WasmRows;
}
