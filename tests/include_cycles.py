#!/usr/bin/env python3
"""The #include graph of the C sources (cli/, harness/, bench/, kernels/, analysis/): print every
include cycle among the project's own headers and exit 1 when there is one (make check runs
it). A quoted include resolves as the compiler's -I paths do here: the including file's folder
first, then its own top-level folder, then cli, harness, bench, kernels, analysis.

With --objects BUILD: the same for the files' calls, from nm over BUILD's objects (a.o -> b.o
when a uses a symbol b defines): a circle of modules behind one shared header (gup's
pass -> results -> plan -> pass) is a cycle too. The command layer (cli/: the command
table calls the commands, the commands use the table) is one module by design."""
import subprocess
import os
import re
import sys

ROOTS = ["cli", "harness", "bench", "kernels", "analysis"]
INC = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def sources(top):
    for root in ROOTS:
        for d, _, files in os.walk(os.path.join(top, root)):
            for f in files:
                if f.endswith((".c", ".h")):
                    yield os.path.relpath(os.path.join(d, f), top)


def resolve(top, src, name):
    first = src.split(os.sep)[0]
    for d in [os.path.dirname(src), first] + ROOTS:
        p = os.path.normpath(os.path.join(d, name))
        if os.path.isfile(os.path.join(top, p)):
            return p
    return None  # a system header, or one outside the tree


def graph(top):
    g = {}
    for s in sorted(sources(top)):
        with open(os.path.join(top, s), encoding="utf-8", errors="replace") as f:
            text = f.read()
        g[s] = sorted({r for r in (resolve(top, s, n) for n in INC.findall(text)) if r})
    return g


def cycles(g):
    """Tarjan's strongly connected components; each one of more than a file (or a file that
    includes itself) holds a cycle, given as one closed path through it."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]
    sys.setrecursionlimit(10000)

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in g.get(v, []):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1 or v in g.get(v, []):
                out.append(path_in(g, set(comp), min(comp)))

    for v in sorted(g):
        if v not in index:
            visit(v)
    return out


def path_in(g, comp, start):
    """A shortest closed path start -> ... -> start inside comp (breadth first)."""
    prev, queue = {start: None}, [start]
    for v in queue:
        for w in g.get(v, []):
            if w == start:
                path = [v]
                while prev[path[-1]] is not None:
                    path.append(prev[path[-1]])
                return list(reversed(path)) + [start]
            if w in comp and w not in prev:
                prev[w] = v
                queue.append(w)
    return [start, start]


def selftest():
    """The check finds a cycle it is shown (a.h -> sub/b.h -> a.h) and passes a tree without."""
    import tempfile
    with tempfile.TemporaryDirectory() as t:
        os.makedirs(os.path.join(t, "harness", "sub"))
        files = {"harness/a.h": '#include "sub/b.h"\n', "harness/sub/b.h": '#include "c.h"\n',
                 "harness/sub/c.h": '#include "a.h"\n#include <stdio.h>\n',
                 "harness/x.c": '#include "a.h"\n'}
        for n, text in files.items():
            with open(os.path.join(t, n), "w") as f:
                f.write(text)
        found = cycles(graph(t))
        assert found == [["harness/a.h", "harness/sub/b.h", "harness/sub/c.h", "harness/a.h"]], found
        with open(os.path.join(t, "harness/sub/c.h"), "w") as f:
            f.write("#include <stdio.h>\n")
        assert cycles(graph(t)) == []
        # objects: a.o calls b.o, b.o calls a.o; c.o calls a.o only
        b = os.path.join(t, "build", "bench")
        os.makedirs(b)
        for n, text in {"a": "void fb(void); void fa(void) { fb(); }",
                        "b": "void fa(void); void fb(void) { fa(); }",
                        "c": "void fa(void); void fc(void) { fa(); }"}.items():
            with open(os.path.join(b, n + ".c"), "w") as f:
                f.write(text + "\n")
            subprocess.run(["cc", "-c", "-o", os.path.join(b, n + ".o"), os.path.join(b, n + ".c")],
                           check=True)
        found = cycles(object_graph(os.path.join(t, "build")))
        assert found == [["bench/a.o", "bench/b.o", "bench/a.o"]], found
    print("include_cycles selftest: ok")
    return 0


def object_graph(build):
    defs, uses = {}, {}
    for d, _, files in os.walk(build):
        for f in files:
            o = os.path.join(d, f)
            rel = os.path.relpath(o, build)
            if not f.endswith(".o") or rel.split(os.sep)[0] not in ROOTS:
                continue  # tests, fuzzers, other architectures' builds
            out = subprocess.run(["nm", o], capture_output=True, text=True, check=True).stdout
            mod = "cli" if rel.startswith("cli" + os.sep) else rel
            dd, uu = defs.setdefault(mod, set()), uses.setdefault(mod, set())
            for line in out.splitlines():
                w = line.split()
                if len(w) == 3 and w[1] in "TDBRV":
                    dd.add(w[2])
                elif len(w) == 2 and w[0] == "U":
                    uu.add(w[1])
    owner = {sym: m for m, d in defs.items() for sym in d}
    return {m: sorted({owner[x] for x in uses[m] if owner.get(x, m) != m}) for m in defs}


def main():
    if sys.argv[1:] == ["--selftest"]:
        return selftest()
    if len(sys.argv) == 3 and sys.argv[1] == "--objects":
        g = object_graph(sys.argv[2])
        found = cycles(g)
        for c in found:
            print("call cycle: " + " -> ".join(c))
        print(f"{len(found)} call cycle(s) among {len(g)} modules of {sys.argv[2]}")
        return 1 if found or not g else 0
    top = sys.argv[1] if len(sys.argv) > 1 else "."
    g = graph(top)
    found = cycles(g)
    for c in found:
        print("include cycle: " + " -> ".join(c))
    edges = sum(len(v) for v in g.values())
    if found:
        print(f"{len(found)} include cycle(s) among {len(g)} files ({edges} includes)")
        return 1
    print(f"no include cycle among {len(g)} files ({edges} includes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
