#!/usr/bin/env python3
"""Turns criterion's console output into ratio tables for BENCHMARKS.md.

Usage: cargo bench -p goscope-benches --bench NAME 2>&1 | python3 benches/scripts/ratios.py
       cargo bench -p goscope-benches --bench chan 2>&1 | python3 benches/scripts/ratios.py --subject goscope

Without --subject, each group's first function (the peer: benches list it first) is its
baseline, and each group gets a table of its functions' times and ratios to it.

With --subject NAME, NAME is compared against the fastest other function of each group
(the best peer): one table per family of groups (the group name up to its first `_`, e.g.
`async`, `blocking`), a row per group, a column per function with its time, then the best
peer and NAME's ratio to it. A line `<group>/<function> n/a` (printed by benches for a peer
that has no such channel) shows as n/a; a group with nothing but n/a lines (one a criterion
filter skipped, e.g. `--bench chan -- over`) is left out. Cells where NAME is above 1.00×
are listed last. Group names `<family>_<shape>_<cap>` such as `async_over8x1_cap0` go in
their family's table (`async`).

Uses criterion's point estimate (the middle of the three times it prints).
"""
import argparse
import re
import sys

UNITS = {"ps": 1e-3, "ns": 1.0, "µs": 1e3, "us": 1e3, "ms": 1e6, "s": 1e9}
NA = None  # a function's time when the bench reported it as n/a


def parse(lines):
    """{group: {function: ns or NA}}, both in the order criterion printed them."""
    groups, current = {}, None
    for line in lines:
        na = re.match(r"^(\S+?)/(.+?)\s+n/a$", line.strip())
        if na and not line.startswith(" "):
            groups.setdefault(na.group(1), {})[na.group(2)] = NA
            current = None
            continue
        m = re.match(r"^(\S+?)/(.+?)\s*(time:.*)?$", line.strip())
        if m and not line.startswith(" "):
            current = (m.group(1), m.group(2).strip())
            line = m.group(3) or ""
        t = re.search(r"time:\s*\[\S+ \S+ (\S+) (\S+) \S+ \S+\]", line)
        if t and current:
            groups.setdefault(current[0], {})[current[1]] = float(t.group(1)) * UNITS[t.group(2)]
            current = None
    return groups


def fmt(ns):
    if ns is NA:
        return "n/a"
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"


def baseline_tables(groups):
    for group, funcs in groups.items():
        timed = {name: ns for name, ns in funcs.items() if ns is not NA}
        if not timed:
            continue
        base_name = next(iter(timed))
        base = timed[base_name]
        print(f"\n{group} (baseline: {base_name})\n")
        print("| function | time | ratio |")
        print("| --- | --- | --- |")
        for name, ns in funcs.items():
            ratio = "n/a" if ns is NA else f"{ns / base:.2f}×"
            print(f"| {name} | {fmt(ns)} | {ratio} |")


def subject_tables(groups, subject):
    families = {}
    for group, funcs in groups.items():
        if all(ns is NA for ns in funcs.values()):
            continue  # not run (a filtered run still prints every group's n/a lines)
        families.setdefault(group.split("_", 1)[0], {})[group] = funcs
    above = []
    for family, members in families.items():
        columns = []
        for funcs in members.values():
            columns += [name for name in funcs if name not in columns and name != subject]
        print(f"\n{family}: {subject} against the fastest peer of each group\n")
        print(f"| group | {' | '.join(columns)} | {subject} | best peer | {subject} / best |")
        print("|" + " --- |" * (len(columns) + 4))
        for group, funcs in members.items():
            peers = {n: ns for n, ns in funcs.items() if n != subject and ns is not NA}
            mine = funcs.get(subject, NA)
            cells = [fmt(funcs.get(name, NA)) for name in columns]
            if peers and mine is not NA:
                best = min(peers, key=peers.get)
                ratio = mine / peers[best]
                verdict = f"{ratio:.2f}×"
                if ratio > 1.0:
                    above.append((group, ratio, best))
            else:
                best, verdict = "n/a", "n/a"
            print(f"| {group} | {' | '.join(cells)} | {fmt(mine)} | {best} | {verdict} |")
    print(f"\n{subject} above 1.00× the best peer: {len(above)} group(s)")
    for group, ratio, best in above:
        flag = " (above 1.5×)" if ratio > 1.5 else ""
        print(f"- {group}: {ratio:.2f}× {best}{flag}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subject", help="compare this function against each group's best peer")
    args = parser.parse_args()
    groups = parse(sys.stdin)
    if args.subject:
        subject_tables(groups, args.subject)
    else:
        baseline_tables(groups)


if __name__ == "__main__":
    main()
