import { defineConfig } from "vitest/config";
import { fileURLToPath } from "node:url";

export default defineConfig({
  // Examples import the package by name, as a user's project does; here that name is the sources.
  resolve: {
    alias: [
      { find: /^ragged-rnn\/node$/, replacement: fileURLToPath(new URL("./src/node.ts", import.meta.url)) },
      { find: /^ragged-rnn$/, replacement: fileURLToPath(new URL("./src/node.ts", import.meta.url)) },
    ],
  },
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    setupFiles: ["test/setup/quiet_tfjs.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: "forks",
  },
});
