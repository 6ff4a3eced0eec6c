#!/usr/bin/env python3
"""Turns criterion's console output into ratio tables for BENCHMARKS.md.

Usage: cargo bench -p goscope-benches --bench NAME 2>&1 | python3 benches/scripts/ratios.py

Each group's first function (the peer: benches list it first) is its baseline. Uses
criterion's point estimate (the middle of the three times it prints).
"""
import re
import sys

UNITS = {"ps": 1e-3, "ns": 1.0, "µs": 1e3, "us": 1e3, "ms": 1e6, "s": 1e9}


def parse(lines):
    groups, current = {}, None
    for line in lines:
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
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"


def main():
    for group, funcs in parse(sys.stdin).items():
        base_name = next(iter(funcs))
        base = funcs[base_name]
        print(f"\n{group} (baseline: {base_name})\n")
        print("| function | time | ratio |")
        print("| --- | --- | --- |")
        for name, ns in funcs.items():
            print(f"| {name} | {fmt(ns)} | {ns / base:.2f}× |")


if __name__ == "__main__":
    main()
