/**
 * NOTE [ yielding the event loop ]: a training loop on one thread is synchronous between awaits
 * that resolve at once, so without a real yield it would hold the event loop for the whole run:
 * no timer, no UI repaint, no `model.stopTraining = true` from outside. The loop calls
 * `maybeYield()` after every batch; it yields a macrotask (setImmediate in Node; a MessageChannel
 * message in browsers, which unlike setTimeout(0) is not clamped to 4 ms) once `intervalMs` have
 * passed since the last yield, so a run of tiny batches does not pay one turn per batch.
 *
 * @example
 * const yielder = new EventLoopYielder();
 * for (const batch of batches) { step(batch); await yielder.maybeYield(); }
 */
export class EventLoopYielder {
  private last = now();

  constructor(private readonly intervalMs = 10) {}

  /** Yields one macrotask when `intervalMs` have passed since the last yield; else resolves at once. */
  async maybeYield(): Promise<void> {
    if (now() - this.last < this.intervalMs) return;
    await nextMacrotask();
    this.last = now();
  }
}

function now(): number {
  return typeof performance !== "undefined" ? performance.now() : Date.now();
}

/** Resolves on a later turn of the event loop, after pending timers and I/O had their chance. */
export function nextMacrotask(): Promise<void> {
  const g = globalThis as { setImmediate?: (fn: () => void) => unknown; MessageChannel?: typeof MessageChannel };
  if (typeof g.setImmediate === "function") return new Promise((resolve) => g.setImmediate?.(resolve));
  if (typeof g.MessageChannel === "function") {
    return new Promise((resolve) => {
      const channel = new (g.MessageChannel as typeof MessageChannel)();
      channel.port1.onmessage = () => {
        channel.port1.close();
        resolve();
      };
      channel.port2.postMessage(null);
    });
  }
  return new Promise((resolve) => setTimeout(resolve, 0));
}
