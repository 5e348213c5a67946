/**
 * Where progress goes. A terminal (`isTTY`) gets a bar redrawn in place; anything else gets one
 * line per epoch. The platform-neutral default writes whole lines to console.log; the Node entry
 * point (src/node.ts) makes process.stdout the default.
 */
export interface ProgressOutput {
  write(text: string): void;
  readonly isTTY: boolean;
}

/** Line-buffered console output (browsers, workers). */
export function consoleOutput(): ProgressOutput {
  let pending = "";
  return {
    isTTY: false,
    write(text: string) {
      pending += text;
      let nl = pending.indexOf("\n");
      while (nl >= 0) {
        console.log(pending.slice(0, nl));
        pending = pending.slice(nl + 1);
        nl = pending.indexOf("\n");
      }
    },
  };
}

let defaultOutput: () => ProgressOutput = consoleOutput;

export function getDefaultProgressOutput(): ProgressOutput {
  return defaultOutput();
}

/** Replaces the default progress output (the Node entry point sets stdout). */
export function setDefaultProgressOutput(make: () => ProgressOutput): void {
  defaultOutput = make;
}
