"""A driver for callgrind's cache simulation of ``Matcher.match`` (deterministic, unlike
wall time on a shared VM).

Builds the matcher for one rule-set size, matches the event stream once to warm it up,
then once more after a marker call at which callgrind zeroes its counters::

    valgrind --tool=callgrind --cache-sim=yes \\
      --I1=32768,8,64 --D1=32768,8,64 --LL=1048576,16,64 \\
      --toggle-collect=CPyDef_machine___Matcher___match \\
      --zero-before=CPyPy_keytree___build_key_tree \\
      .venv/bin/python benchmarks/cachesim.py 10000

Divide callgrind's totals (Ir, DLmr + ILmr, DLmw) by the event count for per-match figures.
"""

from __future__ import annotations

import argparse

import ruleset
from busway.patterns import Matcher, parse_pattern
from busway.patterns.keytree import build_key_tree


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("size", type=int, help="rule count")
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=20260301)
    args = parser.parse_args()
    rules = ruleset.build_ruleset(args.size, seed=args.seed)
    events = ruleset.build_events(rules.world, args.events, seed=args.seed)
    matcher = Matcher({i: parse_pattern(text) for i, text in enumerate(rules.texts)})
    for event in events:
        matcher.match(event)
    build_key_tree(["zero.counters"])  # the --zero-before marker
    matched = sum(len(matcher.match(event)) for event in events)
    print(f"{args.size} rules, {len(events)} events, {matched / len(events):.2f} matches/event")


if __name__ == "__main__":
    main()
