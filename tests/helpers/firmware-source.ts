// Reads the firmware's AssemblyScript source (assembly/**/*.ts, not the unit
// tests) as text: its files, its enums and numeric constants, its imports.
// Definitions are found by name wherever they live, so files may move between
// folders without breaking the tests that read them.
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { ROOT } from "./tools.js";

export const ASSEMBLY = join(ROOT, "assembly");

/** Every firmware source file, relative to assembly/ with '/' separators, sorted. */
export function firmwareFiles(dir = ASSEMBLY): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .map((f) => f.split("\\").join("/"))
    .filter((f) => f.endsWith(".ts") && !f.split("/").includes("__tests__"))
    .sort();
}

const sources = new Map<string, string>();
/** The text of assembly/<file>. */
export function source(file: string): string {
  let text = sources.get(file);
  if (text === undefined) sources.set(file, (text = readFileSync(join(ASSEMBLY, file), "utf8")));
  return text;
}

/** `text` with its comments blanked (string contents are left alone: enums and imports hold none that matter). */
export function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, " ").replace(/\/\/.*$/gm, "");
}

/** The one file that matches `pattern`; fails naming the files when there are none or several. */
function definingFile(what: string, pattern: RegExp): string {
  const files = firmwareFiles().filter((f) => pattern.test(stripComments(source(f))));
  if (files.length !== 1) throw new Error(`${what}: expected in exactly one file under assembly/, found in ${files.length} (${files.join(", ")})`);
  return files[0];
}

/**
 * Evaluates a constant expression of the firmware: numbers (decimal, hex,
 * binary, with `_`), other named constants, + - * / % << >> & | ~ and
 * parentheses. Anything else (a call, a string) is an error.
 */
export function evaluate(expr: string, lookup: (name: string) => number): number {
  const js = stripComments(expr).replace(/<\w+>/g, "").replace(/\b([A-Za-z_]\w*)\b/g, (name) => `(${lookup(name)})`).replace(/(\d)_(\d)/g, "$1$2");
  if (!/^[\s\d\sxXa-fA-FbB()+\-*/%<>&|~.]*$/.test(js)) throw new Error(`not a constant expression: ${expr}`);
  return Number(new Function(`return (${js});`)());
}

/** The members of one `enum` body, in order, with explicit and implicit values. */
export function parseEnumBody(body: string, lookup: (name: string) => number = noLookup): Map<string, number> {
  const members = new Map<string, number>();
  let next = 0;
  for (const item of stripComments(body).split(",").map((s) => s.trim()).filter((s) => s !== "")) {
    const m = /^(\w+)\s*(?:=\s*([\s\S]+))?$/.exec(item);
    if (!m) throw new Error(`enum member not understood: ${item}`);
    const value = m[2] === undefined ? next : evaluate(m[2], (n) => members.get(n) ?? lookup(n));
    members.set(m[1], value);
    next = value + 1;
  }
  return members;
}

function noLookup(name: string): number {
  throw new Error(`unknown name ${name}`);
}

/** Names and values of the firmware's `enum name` (or `const enum`), wherever it is defined. */
export function firmwareEnum(name: string): Map<string, number> {
  const pattern = new RegExp(`\\benum\\s+${name}\\s*\\{([^}]*)\\}`);
  const file = definingFile(`enum ${name}`, pattern);
  return parseEnumBody(pattern.exec(stripComments(source(file)))![1], firmwareConst);
}

/** The value of the firmware's top-level `const name = <expression>;`, wherever it is defined. */
export function firmwareConst(name: string): number {
  const pattern = new RegExp(`^\\s*(?:export\\s+)?const\\s+${name}\\s*(?::\\s*\\w+)?\\s*=\\s*([^;]+);`, "m");
  const file = definingFile(`const ${name}`, pattern);
  return evaluate(pattern.exec(stripComments(source(file)))![1], firmwareConst);
}

/** The module specifiers a file imports or re-exports from (`import ... from "x"`, `export ... from "x"`, `import "x"`). */
export function importSpecifiers(text: string): string[] {
  const code = stripComments(text);
  const out: string[] = [];
  for (const m of code.matchAll(/\b(?:import|export)\s+(?:[^;'"]*?\s+from\s+)?["']([^"']+)["']/g)) out.push(m[1]);
  return out;
}

/** assembly/-relative path of `file`'s import `spec`, or null for one outside assembly/ (the standard library). */
export function resolveImport(file: string, spec: string, known: ReadonlySet<string>): string | null {
  if (!spec.startsWith(".")) return null;
  const base = relative(ASSEMBLY, join(ASSEMBLY, file, "..", spec)).split("\\").join("/");
  for (const candidate of [base, `${base}.ts`, `${base}/index.ts`]) if (known.has(candidate)) return candidate;
  return base.startsWith("..") ? null : `${base}.ts`;
}
