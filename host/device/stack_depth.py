#!/usr/bin/env python3
"""Worst-case C stack of the Cortex-M build, from gcc's -fcallgraph-info=su
files (*.ci): the deepest path of static frame sizes from the entry points,
plus the deepest function the firmware can reach through its funcref table
(call_indirect is not an edge gcc sees), recursion counted `--recursion N`
times round. Prints one line; exits 1 on a dynamic frame or when the bound
exceeds the stack that the linker script reserves.

usage: stack_depth.py --limit BYTES --entry A,B [--recursion N] [--gen FILE.c]... FILE.ci...
"""
import argparse
import re
import sys

NODE = re.compile(r'node: \{ title: "([^"]+)" label: "([^"]*)"')
EDGE = re.compile(r'edge: \{ sourcename: "([^"]+)" targetname: "([^"]+)"')
SIZE = re.compile(r"\\n(\d+) bytes \((static|dynamic[^)]*)\)")
TABLE = re.compile(r"\(wasm_rt_function_ptr_t\)&(w2c_\w+)")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, required=True)
    ap.add_argument("--entry", required=True)
    ap.add_argument("--recursion", type=int, default=3)
    ap.add_argument("--gen", action="append", default=[])
    ap.add_argument("ci", nargs="+")
    a = ap.parse_args()

    frames: dict[str, int] = {}
    dynamic: list[str] = []
    edges: list[tuple[str, str]] = []
    for path in a.ci:
        text = open(path, encoding="utf-8").read()
        for title, label in NODE.findall(text):
            m = SIZE.search(label)
            if m:
                frames[title] = int(m.group(1))
                if m.group(2) != "static":
                    dynamic.append(title)
        edges += EDGE.findall(text)
    # External calls name the callee bare: resolve to its definition.
    by_name: dict[str, str] = {}
    for t in frames:
        by_name.setdefault(t.rsplit(":", 1)[-1], t)
    calls: dict[str, set[str]] = {}
    for src, dst in edges:
        calls.setdefault(src, set()).add(dst if dst in frames else by_name.get(dst, dst))

    sys.setrecursionlimit(100000)
    # Strongly connected components (Tarjan): recursion.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    comp: dict[str, int] = {}
    comps: list[list[str]] = []

    def scc(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in calls.get(v, ()):
            if w not in index:
                scc(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            c = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp[w] = len(comps)
                c.append(w)
                if w == v:
                    break
            comps.append(c)

    for v in list(frames) + list(calls):
        if v not in index:
            scc(v)
    recursive = [c for c in comps if len(c) > 1 or c[0] in calls.get(c[0], ())]

    memo: dict[int, int] = {}

    def depth_comp(ci: int) -> int:
        # Deepest path through a component: its frames (recursion times round), then the deepest exit.
        if ci in memo:
            return memo[ci]
        members = comps[ci]
        rounds = a.recursion if comps[ci] in recursive else 1
        own = sum(frames.get(m, 0) for m in members) * rounds
        out = 0
        for m in members:
            for w in calls.get(m, ()):
                if comp[w] != ci:
                    out = max(out, depth_comp(comp[w]))
        memo[ci] = own + out
        return memo[ci]

    def depth(fn: str) -> int:
        return depth_comp(comp[fn]) if fn in comp else frames.get(fn, 0)

    table = set()
    for g in a.gen:
        src = open(g, encoding="utf-8").read()
        for name in TABLE.findall(src):
            table.add(f"{g}:{name}")
    indirect = max((depth(t) for t in table if t in frames), default=0)
    # The first entry is the program; the others are interrupts, which can preempt it at
    # its deepest point: their depth and the 32-byte exception frame come on top.
    main_entry, *irqs = a.entry.split(",")
    total = depth(main_entry) + indirect + sum(depth(i) + 32 for i in irqs)
    ok = not dynamic and total <= a.limit
    print(
        f"Cortex-M4 worst-case C stack (call graph from {' + '.join(a.entry.split(','))}, recursion x{a.recursion}, "
        f"+{indirect} for the funcref table): {total} bytes of {a.limit} reserved"
        + (f" ({len(recursive)} recursive cycle(s))" if recursive else "")
        + (f"; DYNAMIC frames in {dynamic[:5]}" if dynamic else "")
        + ("" if ok else ": OVER")
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
