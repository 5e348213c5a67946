// NOTE [ import direction ]
// Dependencies point one way: core ← data ← layers ← models ← training ← io ← (vis) ← node, cli
// (DESIGN.md, "Architecture"). This test reads every source file's runtime imports — static
// `import … from`, `export … from` and dynamic `import("…")`; `import type` is erased by the
// compiler and makes no runtime dependency — and checks that (1) no import points to a higher
// layer and (2) the files import each other without a cycle.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const SRC = resolve(__dirname, "../src");
const RANK: Record<string, number> = { core: 0, data: 1, layers: 2, models: 3, training: 4, decoding: 4, io: 5, vis: 6, node: 7, "index.ts": 8, "node.ts": 8, "browser.ts": 8, cli: 9 };

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === "assembly" || name === "build" || name === "scripts" ? [] : sourceFiles(path);
    return path.endsWith(".ts") && !path.endsWith(".test.ts") && !path.includes(".test-support.") ? [path] : [];
  });
}

/** Runtime imports of a file, as absolute .ts paths inside src/. */
function runtimeImports(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const specs: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && !node.importClause?.isTypeOnly) {
      const named = node.importClause?.namedBindings;
      const allTypes = !node.importClause?.name && named && ts.isNamedImports(named) && named.elements.length > 0 && named.elements.every((e) => e.isTypeOnly);
      if (!allTypes) specs.push((node.moduleSpecifier as ts.StringLiteral).text);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && !node.isTypeOnly) {
      specs.push((node.moduleSpecifier as ts.StringLiteral).text);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && ts.isStringLiteral(node.arguments[0])) {
      specs.push(node.arguments[0].text);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return specs.filter((s) => s.startsWith(".")).map((s) => resolve(dirname(file), s.replace(/\.js$/, ".ts")));
}

function layerOf(file: string): string {
  const rel = relative(SRC, file).split("/");
  return rel.length === 1 ? rel[0] : rel[0];
}

const files = sourceFiles(SRC);
const graph = new Map(files.map((f) => [f, runtimeImports(f).filter((t) => t.startsWith(SRC))]));

describe("import graph", () => {
  it("every runtime import points to the same or a lower layer", () => {
    const upward: string[] = [];
    for (const [from, tos] of graph) {
      for (const to of tos) {
        const a = RANK[layerOf(from)];
        const b = RANK[layerOf(to)];
        if (a === undefined || b === undefined) throw new Error(`unranked directory for ${relative(SRC, from)} → ${relative(SRC, to)}`);
        if (b > a) upward.push(`${relative(SRC, from)} → ${relative(SRC, to)}`);
      }
    }
    expect(upward).toEqual([]);
  });

  it("has no cycle", () => {
    const state = new Map<string, "visiting" | "done">();
    const cycles: string[] = [];
    const visit = (f: string, path: string[]) => {
      const s = state.get(f);
      if (s === "done") return;
      if (s === "visiting") {
        cycles.push([...path.slice(path.indexOf(f)), f].map((p) => relative(SRC, p)).join(" → "));
        return;
      }
      state.set(f, "visiting");
      for (const t of graph.get(f) ?? []) visit(t, [...path, f]);
      state.set(f, "done");
    };
    for (const f of files) visit(f, []);
    expect(cycles).toEqual([]);
  });

  it("core/ imports nothing above it, not even types (the packed layout's type lives in core)", () => {
    const outside = files
      .filter((f) => layerOf(f) === "core")
      .flatMap((f) => [...readFileSync(f, "utf8").matchAll(/from "(\.[^"]+)"/g)].map((m) => [f, resolve(dirname(f), m[1])] as const))
      .filter(([, to]) => layerOf(to) !== "core")
      .map(([f, to]) => `${relative(SRC, f)} → ${relative(SRC, to)}`);
    expect(outside).toEqual([]);
  });

  it("sees the imports it checks (the parser is not blind)", () => {
    expect(graph.get(join(SRC, "models/sequential.ts"))).toContain(join(SRC, "models/functional.ts"));
    expect(files.length).toBeGreaterThan(100);
  });
});
