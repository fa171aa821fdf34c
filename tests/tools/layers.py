#!/usr/bin/env python3
"""layers.py — the include graph of collector/ and exporters/, checked
against the floors of docs/development.md.

Every folder stands on a floor; a file may include headers of its own
folder and of folders on LOWER floors only. Two folders on one floor never
include each other (a source does not reach into a consumer, nor a consumer
into another). Includes are bare ("model.h") and resolved the way the build
does: the including file's own folder first, else the one header of that
name in the tree (a name that two folders define is an error: it would make
the build's choice depend on the order of include paths).

  layers.py --check          exit 1 and name each forbidden include, include
                             cycle, file over MAX_LINES lines, or library
                             that links one of its own or a higher floor
  layers.py --markdown       the graph as Markdown (a Mermaid diagram and a
                             table), as docs/development.md shows it
  layers.py --check-doc FILE exit 1 when FILE's generated section differs
                             from --markdown (regenerate with --write-doc)
  layers.py --write-doc FILE replace FILE's generated section
  --root DIR                 another checkout (default: this script's)

Standard library only; run from anywhere.
"""
import argparse
import os
import re
import sys
from collections import defaultdict

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
TREES = ("collector", "exporters")

# Folder -> (floor, what it owns). Floor 1 is the ground. The table is the
# plan; a folder that is not in it fails the check (add it here first).
FLOORS = {
    "collector/core": (1, "log, file helpers, metrics registry, the config engine"),
    "collector/wire": (2, "pure codecs: BGP, BMP, frames (Ethernet/VLAN/IP/TCP)"),
    "collector/events": (2, "the event struct and the event bus"),
    "collector/bgp": (3, "decode contexts from OPENs, UPDATE to RIB, RIB tables, TCP reassembly"),
    "collector/model": (4, "routers, peers, RIB views, circuits and their index, traffic"),
    "collector/bmp": (5, "source: BMP listener and sessions"),
    "collector/capture": (5, "source: passive capture (libpcap)"),
    "collector/ifstats": (5, "source: interface counters (rtnetlink)"),
    "collector/probes": (5, "source: active probes (ICMP, TCP, STAMP)"),
    "collector/billing": (5, "consumer: billing cycles, prices, state"),
    "collector/alerts": (5, "consumer: alert rules"),
    "exporters/prometheus": (5, "consumer: /metrics over HTTP(S)"),
    "exporters/kafka": (5, "consumer: events to Kafka, with a spool"),
    "collector/decode": (6, "tool: `circuitwatch decode`"),
    "collector/replay": (6, "tool: `circuitwatch replay`"),
    "collector/daemon": (6, "the module table, wiring, reload, privileges"),
    "collector/cmd": (7, "the subcommands: each one's options, usage and handler"),
    "collector": (8, "main.c: the command table"),
}

MAX_LINES = 1200  # a file longer than this does more than one job: split it

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def set_root(path):
    global ROOT  # the one setting of a command-line tool, made before any read
    ROOT = os.path.abspath(path)


def sources():
    for tree in TREES:
        for dirpath, dirnames, filenames in os.walk(os.path.join(ROOT, tree)):
            dirnames.sort()
            for name in sorted(filenames):
                if name.endswith((".c", ".h")):
                    yield os.path.relpath(os.path.join(dirpath, name), ROOT)


def read_graph():
    """Returns (files, edges, problems): edges as (from_file, to_file)."""
    files = list(sources())
    by_name = defaultdict(list)
    for f in files:
        by_name[os.path.basename(f)].append(f)
    edges, problems = [], []
    for f in files:
        with open(os.path.join(ROOT, f), encoding="utf-8", errors="replace") as fp:
            text = fp.read()
        for inc in INCLUDE.findall(text):
            own = os.path.normpath(os.path.join(os.path.dirname(f), inc))
            if own in by_name.get(os.path.basename(inc), []):
                edges.append((f, own))
                continue
            found = by_name.get(os.path.basename(inc), [])
            if len(found) == 1:
                edges.append((f, found[0]))
            elif len(found) > 1:
                problems.append(f"{f}: \"{inc}\" is ambiguous: {', '.join(found)}")
            # else: a generated or system header (e.g. the protobuf-c output)
    return files, edges, problems


def folder(f):
    return os.path.dirname(f)


def check(files, edges, problems):
    for f in files:
        if folder(f) not in FLOORS:
            problems.append(f"{f}: folder {folder(f)}/ has no floor in tests/tools/layers.py")
    for a, b in edges:
        fa, fb = folder(a), folder(b)
        if fa == fb or fa not in FLOORS or fb not in FLOORS:
            continue
        la, lb = FLOORS[fa][0], FLOORS[fb][0]
        if lb > la:
            problems.append(f"{a} includes {b}: {fb}/ (floor {lb}) is above {fa}/ (floor {la})")
        elif lb == la:
            problems.append(f"{a} includes {b}: {fa}/ and {fb}/ share floor {la} and must not "
                            "include each other")
    for f in files:
        with open(os.path.join(ROOT, f), encoding="utf-8", errors="replace") as fp:
            n = sum(1 for _ in fp)
        if n > MAX_LINES:
            problems.append(f"{f}: {n} lines (at most {MAX_LINES}: split it by job)")
    problems.extend(cycles(files, edges))
    problems.extend(cmake_links())
    return problems


def cmake_links():
    """Each folder's library links only libraries of lower floors, so that
    its include path holds no header of a higher floor or a neighbour."""
    owner, links, found = {}, [], []
    for tree in TREES:
        for dirpath, _, filenames in os.walk(os.path.join(ROOT, tree)):
            if "CMakeLists.txt" not in filenames:
                continue
            d = os.path.relpath(dirpath, ROOT)
            with open(os.path.join(dirpath, "CMakeLists.txt"), encoding="utf-8") as fp:
                text = fp.read()
            for m in re.finditer(r"add_(?:library|executable)\((\w+)", text):
                owner[m.group(1)] = d
            for m in re.finditer(r"target_link_libraries\((\w+)([^)]*)\)", text, re.S):
                links += [(m.group(1), lib) for lib in re.findall(r"\bcw_\w+", m.group(2))]
    for target, lib in links:
        ft, fl = owner.get(target), owner.get(lib)
        if ft in FLOORS and fl in FLOORS and ft != fl and FLOORS[fl][0] >= FLOORS[ft][0]:
            found.append(f"{ft}/CMakeLists.txt: {target} links {lib} of {fl}/ "
                         f"(floor {FLOORS[fl][0]}, not below {FLOORS[ft][0]})")
    return found


def cycles(files, edges):
    """Include cycles between files (Tarjan's strongly connected components)."""
    out = defaultdict(list)
    for a, b in edges:
        if a != b:
            out[a].append(b)
    index, low, on, stack, found = {}, {}, set(), [], []
    counter = [0]

    def visit(v):
        work = [(v, iter(out[v]))]
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        while work:
            node, it = work[-1]
            nxt = next(it, None)
            if nxt is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on.discard(w)
                        comp.append(w)
                        if w == node:
                            break
                    if len(comp) > 1:
                        found.append("include cycle: " + " -> ".join(sorted(comp)))
                continue
            if nxt not in index:
                index[nxt] = low[nxt] = counter[0]
                counter[0] += 1
                stack.append(nxt)
                on.add(nxt)
                work.append((nxt, iter(out[nxt])))
            elif nxt in on:
                low[node] = min(low[node], index[nxt])

    for f in files:
        if f not in index:
            visit(f)
    return found


def markdown(files, edges):
    lines_of = {}
    for f in files:
        with open(os.path.join(ROOT, f), encoding="utf-8", errors="replace") as fp:
            lines_of[f] = sum(1 for _ in fp)
    per_folder = defaultdict(lambda: [0, 0])
    for f in files:
        per_folder[folder(f)][0] += 1
        per_folder[folder(f)][1] += lines_of[f]
    arrows = defaultdict(int)
    for a, b in edges:
        if folder(a) != folder(b):
            arrows[(folder(a), folder(b))] += 1

    def node(name):
        return re.sub(r"[^A-Za-z0-9]", "_", name)

    def label(name):
        return "main.c" if name == "collector" else name.split("/", 1)[1] + "/"

    out = ["<!-- layers: generated by tests/tools/layers.py --write-doc; do not edit by hand -->",
           "", "```mermaid", "flowchart TD"]
    present = sorted({folder(f) for f in files}, key=lambda d: (-FLOORS.get(d, (0,))[0], d))
    for floor in sorted({FLOORS[d][0] for d in present if d in FLOORS}, reverse=True):
        out.append(f"  subgraph floor{floor}[\"floor {floor}\"]")
        for d in present:
            if FLOORS.get(d, (0,))[0] == floor:
                out.append(f"    {node(d)}[\"{label(d)}\"]")
        out.append("  end")
    for (a, b), n in sorted(arrows.items()):
        if b != "collector/core":  # the ground: every floor stands on it (see the table)
            out.append(f"  {node(a)} -->|{n}| {node(b)}")
    out += ["```", "",
            "An arrow is `#include` from one folder into another, with the number of such "
            "includes; arrows into `core/`, which every floor uses, are left out of the picture "
            "and listed in the table.", "",
            "| floor | folder | files | lines | includes headers of | owns |",
            "|---:|---|---:|---:|---|---|"]
    for d in present:
        targets = sorted({label(b) for (a, b) in arrows if a == d})
        floor, owns = FLOORS.get(d, ("?", "?"))
        out.append(f"| {floor} | `{label(d)}` | {per_folder[d][0]} | {per_folder[d][1]} | "
                   f"{', '.join(targets) or '—'} | {owns} |")
    biggest = max(files, key=lambda f: lines_of[f])
    out += ["", f"Largest file: `{biggest}`, {lines_of[biggest]} lines.",
            "<!-- /layers -->"]
    return "\n".join(out) + "\n"


SECTION = re.compile(r"<!-- layers: generated.*?<!-- /layers -->\n", re.S)
PLACEHOLDER = re.compile(r"<!-- layers: generated by tests/tools/layers.py -->\n")


def doc_with(path, md):
    with open(path, encoding="utf-8") as fp:
        text = fp.read()
    if SECTION.search(text):
        return text, SECTION.sub(lambda _: md, text, count=1)
    if PLACEHOLDER.search(text):
        return text, PLACEHOLDER.sub(lambda _: md, text, count=1)
    sys.exit(f"{path}: no layers section (<!-- layers: generated ... --> ... <!-- /layers -->)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--check", action="store_true")
    g.add_argument("--markdown", action="store_true")
    g.add_argument("--check-doc", metavar="FILE")
    g.add_argument("--write-doc", metavar="FILE")
    ap.add_argument("--root", metavar="DIR")
    args = ap.parse_args()
    if args.root:
        set_root(args.root)
    files, edges, problems = read_graph()
    if args.check:
        problems = check(files, edges, problems)
        for p in problems:
            print(p)
        print(f"layers: {len(files)} files, {len(edges)} includes, {len(problems)} problems")
        return 1 if problems else 0
    md = markdown(files, edges)
    if args.markdown:
        sys.stdout.write(md)
        return 0
    if args.check_doc:
        old, new = doc_with(args.check_doc, md)
        if old != new:
            print(f"{args.check_doc}: the layers section is stale; run "
                  f"tests/tools/layers.py --write-doc {args.check_doc}")
            return 1
        return 0
    old, new = doc_with(args.write_doc, md)
    with open(args.write_doc, "w", encoding="utf-8") as fp:
        fp.write(new)
    return 0


if __name__ == "__main__":
    sys.exit(main())
