// Lint: the recommended JS and typescript-eslint rules; `npm test` runs it.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/**", "data/**", "node_modules/**", "build/**", "**/*.wasm", "src/core/wasm/build/**", "src/core/wasm/assembly/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { console: "readonly", process: "readonly", performance: "readonly" } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-explicit-any": "off",
      "no-constant-condition": ["error", { checkLoops: false }],
    },
  },
  {
    // The platform-neutral core must run in a browser unchanged.
    files: ["src/core/**", "src/data/**", "src/layers/**", "src/models/**", "src/training/**"],
    ignores: ["**/*.test.ts", "**/*.test-support.ts"], // tests (and their helpers) run in Node and may use it
    rules: {
      "no-restricted-imports": ["error", { patterns: ["node:*", "fs", "path", "os", "worker_threads", "child_process"] }],
      "no-restricted-globals": ["error", "process", "Buffer", "require"],
    },
  },
  {
    // The wasm build script runs only in Node, at build time.
    files: ["src/core/wasm/scripts/**"],
    languageOptions: { globals: { Buffer: "readonly" } },
    rules: { "no-restricted-imports": "off", "no-restricted-globals": "off" },
  },
);
