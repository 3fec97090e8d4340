#!/usr/bin/env python3
"""Checks that the modules of Dendra (include/dendra/<module>, lib/<module>)
include each other without cycles, and prints the module graph.

Usage: check_module_dependencies.py <source dir>. Exit code 1 on a cycle,
naming the modules on it.
"""
import collections
import pathlib
import re
import sys

INCLUDE = re.compile(r'#include <dendra/(\w+)/')


def module_graph(root):
    """Edges module -> modules it includes, from headers and sources."""
    edges = collections.defaultdict(set)
    files = [(p, p.parent.name) for p in (root / "include" / "dendra").glob("*/*.h")]
    files += [(p, p.parent.name) for p in (root / "lib").glob("*/*.[ch]*")]
    for path, module in files:
        for line in path.read_text(errors="replace").splitlines():
            match = INCLUDE.match(line.strip())
            if match and match.group(1) != module:
                edges[module].add(match.group(1))
        edges.setdefault(module, set())
    return edges


def find_cycle(edges):
    """A list of modules forming a cycle, or None (depth-first search)."""
    state, stack = {}, []

    def visit(module):
        state[module] = "open"
        stack.append(module)
        for other in sorted(edges.get(module, ())):
            if state.get(other) == "open":
                return stack[stack.index(other):] + [other]
            if other not in state:
                cycle = visit(other)
                if cycle:
                    return cycle
        state[module] = "done"
        stack.pop()
        return None

    for module in sorted(edges):
        if module not in state:
            cycle = visit(module)
            if cycle:
                return cycle
    return None


def main():
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    edges = module_graph(root)
    if not edges:
        print(f"no modules found under {root}")
        return 1
    for module in sorted(edges):
        print(f"{module:12s} -> {', '.join(sorted(edges[module])) or '-'}")
    cycle = find_cycle(edges)
    if cycle:
        print("include cycle: " + " -> ".join(cycle))
        return 1
    print("no include cycles")
    return 0


if __name__ == "__main__":
    sys.exit(main())
