"""``python -m bench [NAME...]``: run every ``bench_*.py`` (or the named ones) and print rows."""

from __future__ import annotations

import importlib
import pathlib
import sys


def main(argv: list[str]) -> int:
    here = pathlib.Path(__file__).parent
    names = argv or sorted(p.stem for p in here.glob("bench_*.py"))
    print("| benchmark | measured | target | note |\n|---|---|---|---|")
    for name in names:
        stem = name if name.startswith("bench_") else f"bench_{name}"
        module = importlib.import_module(f"bench.{stem}")
        for result in module.run():
            print(result.row(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
