"""``neurobridge validate`` on every shipped experiment, each into its own folder; prints each verdict.

    python benchmarks/validate_all.py [--output results/validate_all] [--only a,b] [--backends numpy,nest]

The verdict lines are what the closing notes quote; every folder keeps its report.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from importlib import resources
from pathlib import Path


def experiments() -> list[str]:
    folder = resources.files("neurobridge.conf") / "experiment"
    return sorted(p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", default="results/validate_all")
    parser.add_argument("--only", default="")
    parser.add_argument("--backends", default="")
    args = parser.parse_args()
    chosen = [e for e in experiments() if not args.only or e in args.only.split(",")]
    for name in chosen:
        folder = Path(args.output) / name
        command = [sys.executable, "-m", "neurobridge.cli", "validate", f"experiment={name}",
                   f"hydra.sweep.dir={folder}", "overwrite=true"]
        if args.backends:
            command += ["--backends", args.backends]
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True)
        verdict = [line for line in done.stdout.splitlines() if line.split(":")[0] in
                   ("PASS", "FAIL", "NOTHING COMPARED")]
        skipped = [line for line in done.stdout.splitlines() if " skipped: " in line]
        print(f"{name:24s} exit {done.returncode} ({time.perf_counter() - started:5.0f} s): "
              f"{verdict[0] if verdict else done.stderr.strip().splitlines()[-1:]}", flush=True)
        for line in skipped:
            print(f"{'':24s} {line}", flush=True)


if __name__ == "__main__":
    main()
