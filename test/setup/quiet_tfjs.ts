/**
 * Test setup (every vitest file): TF.js, the oracle in many tests, greets Node with a console
 * banner ("Hi, looks like you are running TensorFlow.js in Node.js…") the first time a backend
 * stores a tensor. It says nothing about the tests, so this drops that one message; every other
 * warning passes through. (The warning goes through `globalThis[DOWNSTREAM]` so a test can check
 * what gets through.)
 */
const DOWNSTREAM = Symbol.for("ragged.test.consoleWarn");
const BANNER = "looks like you are running TensorFlow.js in Node.js";

type Warn = (...args: unknown[]) => void;
const holder = globalThis as unknown as Record<symbol, Warn>;
holder[DOWNSTREAM] = console.warn.bind(console);
console.warn = (...args: unknown[]): void => {
  if (args.some((a) => typeof a === "string" && a.includes(BANNER))) return;
  holder[DOWNSTREAM](...args);
};
