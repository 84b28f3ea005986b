"""Generate the C++ of a NEST extension module from NESTML sources (run by the side environment's Python).

Usage: ``python generate.py --target DIR --module NAME --nest-version v3.10.0 --solver forward-Euler
MODEL.nestml ...``. This script runs in the side virtual environment that holds NESTML (whose antlr4
pin conflicts with the runtime's Hydra), so it imports nothing from neurobridge.

Two of NESTML's steps are replaced, because the build does them itself: the NEST version is given
(NESTML would import ``nest``, which the side environment does not have), and no builder runs
(neurobridge runs cmake with its own ``nest-config``, the wheel's C++ ABI flag and its own stages).
Exits 1 when NESTML reports an error or a model's code is missing (``generate_target`` silently
drops a model with errors and still generates the others).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", required=True, type=Path)
    parser.add_argument("--module", required=True)
    parser.add_argument("--nest-version", required=True)
    parser.add_argument("--solver", required=True)
    parser.add_argument("sources", nargs="+", type=Path)
    args = parser.parse_args(argv)

    import pynestml.frontend.pynestml_frontend as frontend
    from pynestml.codegeneration.nest_tools import NESTTools

    nest_version = args.nest_version
    NESTTools.detect_nest_version = classmethod(lambda cls: nest_version)  # type: ignore[method-assign]
    frontend.builder_from_target_name = lambda target_name, options=None: (None, dict(options or {}))

    errors = frontend.generate_target(
        [str(path) for path in args.sources], "NEST", target_path=str(args.target), logging_level="WARNING",
        module_name=args.module, codegen_opts={"numeric_solver": args.solver, "nest_version": nest_version})
    missing = [path.stem for path in args.sources if not (args.target / f"{path.stem}.cpp").is_file()]
    if missing:
        print(f"NESTML generated no code for: {', '.join(missing)}", file=sys.stderr)
    if errors:
        print("NESTML reported errors (see the messages above)", file=sys.stderr)
    return 1 if errors or missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
