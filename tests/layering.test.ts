// The firmware's layers call only downward (DESIGN.md "Architecture"): every
// import in assembly/ (not the unit tests) goes to the same layer or a lower
// one, and no files import each other in a cycle. Received data goes up
// through handlers registered at start, never through an import.
import { test } from "node:test";
import assert from "node:assert/strict";
import { firmwareFiles, importSpecifiers, resolveImport, source } from "./helpers/firmware-source.js";

/** Ranks, lowest first. A top-level file is its own group; a folder is one group. */
const RANKS: Readonly<Record<string, number>> = {
  "hal.ts": 0, "counters.ts": 0, "events.ts": 0, "lib": 0,
  "wire": 1, "flash": 1,
  "boot": 2,
  "net": 3,
  "client": 4,
  "phone": 5,
  "phone.ts": 6, "boot.ts": 6, "fuzz.ts": 6, "testing": 6,
};
/** Groups of one rank that must still not import each other. */
const APART = [["wire", "flash"]];

/** The layer group of an assembly/-relative file: its top folder, or the file itself at the top. */
export function groupOf(file: string): string {
  return file.split("/")[0];
}

export function rankOf(file: string): number | undefined {
  return RANKS[groupOf(file)];
}

/** Why `from` may not import `to`, or null when it may. Both must have a rank. */
export function layerViolation(from: string, to: string): string | null {
  const [a, b] = [groupOf(from), groupOf(to)];
  if (a === b) return null;
  const [ra, rb] = [RANKS[a], RANKS[b]];
  if (rb > ra) return `${from} (${a}, rank ${ra}) imports ${to} (${b}, rank ${rb}): a lower layer imports a higher one`;
  if (rb === ra && APART.some((g) => g.includes(a) && g.includes(b))) return `${from} (${a}) imports ${to} (${b}): ${a}/ and ${b}/ must not import each other`;
  return null;
}

export type Graph = ReadonlyMap<string, readonly string[]>;

/**
 * Every import cycle of `graph`, one per strongly connected component that
 * has one (Tarjan's algorithm), each as the files of one cycle through it in
 * import order, starting from its first file by name.
 */
export function findCycles(graph: Graph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || (graph.get(v) ?? []).includes(v)) components.push(component);
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return components.map((c) => cycleThrough(graph, new Set(c))).sort((x, y) => x[0].localeCompare(y[0]));
}

/** A shortest cycle inside one strongly connected component, from its first file by name back to it. */
function cycleThrough(graph: Graph, component: ReadonlySet<string>): string[] {
  const start = [...component].sort()[0];
  const cameFrom = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift()!;
    for (const w of graph.get(v) ?? []) {
      if (!component.has(w)) continue;
      if (w === start) return [...pathTo(cameFrom, v, start), start];
      if (!cameFrom.has(w)) {
        cameFrom.set(w, v);
        queue.push(w);
      }
    }
  }
  throw new Error(`no cycle through ${start}`);
}

function pathTo(cameFrom: ReadonlyMap<string, string>, v: string, start: string): string[] {
  const path = [v];
  while (path[0] !== start) path.unshift(cameFrom.get(path[0])!);
  return path;
}

/** The firmware's import graph: assembly/-relative file -> the firmware files it imports. */
function firmwareGraph(): Map<string, string[]> {
  const files = firmwareFiles();
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const f of files) {
    const targets = importSpecifiers(source(f)).map((s) => resolveImport(f, s, known)).filter((t): t is string => t !== null);
    graph.set(f, [...new Set(targets)]);
  }
  return graph;
}

function edges(graph: Graph): Array<[string, string]> {
  return [...graph].flatMap(([from, tos]) => tos.map((to): [string, string] => [from, to]));
}

test("the layer rule: downward and within a folder allowed; upward, and wire <-> flash, refused", () => {
  assert.equal(layerViolation("phone/startup.ts", "net/dhcp.ts"), null);
  assert.equal(layerViolation("net/arp.ts", "net/dhcp.ts"), null, "same folder");
  assert.equal(layerViolation("lib/bytes.ts", "hal.ts"), null, "same rank, different group");
  assert.equal(layerViolation("phone.ts", "phone/startup.ts"), null);
  assert.match(layerViolation("net/stack.ts", "phone/discovery.ts") ?? "", /net\/stack\.ts \(net, rank 3\) imports phone\/discovery\.ts \(phone, rank 5\)/);
  assert.match(layerViolation("lib/bytes.ts", "net/ipv4.ts") ?? "", /lower layer imports a higher one/);
  assert.match(layerViolation("wire/ipv4.ts", "flash/layout.ts") ?? "", /must not import each other/);
  assert.match(layerViolation("flash/slots.ts", "wire/ipv4.ts") ?? "", /must not import each other/);
  assert.equal(rankOf("somewhere/new.ts"), undefined);
});

test("the cycle finder finds every cycle of a small graph, and none in a tree", () => {
  const graph = new Map([
    ["a", ["b"]], ["b", ["c", "d"]], ["c", ["a"]], // a -> b -> c -> a
    ["d", ["e"]], ["e", ["e"]],                   // e imports itself
    ["f", ["g"]], ["g", ["f", "a"]],              // f <-> g, leading into the first cycle
  ]);
  assert.deepEqual(findCycles(graph), [["a", "b", "c", "a"], ["e", "e"], ["f", "g", "f"]]);
  assert.deepEqual(findCycles(new Map([["a", ["b", "c"]], ["b", ["c"]], ["c", []]])), []);
});

test("the firmware's import graph is read from the source: specifiers resolve to files that exist", () => {
  const graph = firmwareGraph();
  assert.ok(graph.size >= 30, `${graph.size} files`);
  assert.ok(edges(graph).length >= 50, `${edges(graph).length} imports`);
  const missing = edges(graph).filter(([, to]) => !graph.has(to)).map(([from, to]) => `${from} -> ${to}`);
  assert.deepEqual(missing, [], "imports of files that do not exist");
});

test("every firmware file is in a folder that has a layer rank", () => {
  const unranked = [...firmwareGraph().keys()].filter((f) => rankOf(f) === undefined);
  assert.deepEqual(unranked, [], `give these a rank in RANKS of tests/layering.test.ts (DESIGN.md "Architecture"): ${unranked.join(", ")}`);
});

test("no firmware file imports from a higher layer", () => {
  const graph = firmwareGraph();
  const violations = edges(graph)
    .filter(([from, to]) => rankOf(from) !== undefined && rankOf(to) !== undefined)
    .map(([from, to]) => layerViolation(from, to))
    .filter((v): v is string => v !== null);
  assert.deepEqual(violations, [], `${violations.length} upward imports:\n  ${violations.join("\n  ")}`);
});

test("no import cycle between firmware files", () => {
  const cycles = findCycles(firmwareGraph()).map((c) => c.join(" -> "));
  assert.deepEqual(cycles, [], `${cycles.length} import cycles:\n  ${cycles.join("\n  ")}`);
});
