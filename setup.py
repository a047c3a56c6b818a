"""Compiles the pattern matcher's hot modules with mypyc (part of mypy).

Matching runs once per event per bus, so it is worth native code: mypyc turns these
fully typed modules into C extensions, about 2.5 times faster, with the same source
and the same tests. ``BUSWAY_PURE_PYTHON=1`` installs them as plain Python instead.
"""

import os

from setuptools import setup

HOT_MODULES = [
    "src/busway/patterns/builder.py",
    "src/busway/patterns/edges.py",
    "src/busway/patterns/flat.py",
    "src/busway/patterns/ipaddr.py",
    "src/busway/patterns/keytree.py",
    "src/busway/patterns/kinds.py",
    "src/busway/patterns/machine.py",
    "src/busway/patterns/walk.py",
    "src/busway/patterns/numbers.py",
    "src/busway/patterns/operators.py",
    "src/busway/patterns/rest.py",
    "src/busway/patterns/wildcard.py",
]


def ext_modules() -> list:
    if os.environ.get("BUSWAY_PURE_PYTHON"):
        return []
    from mypyc.build import mypycify

    # The build environment holds none of Busway's dependencies, and mypy reads every
    # parent package (busway/__init__.py reaches the SDK and the server): errors outside
    # the compiled modules are not theirs, so they stay silent.
    return mypycify(["--follow-imports=silent", *HOT_MODULES], opt_level="3")


setup(ext_modules=ext_modules())
