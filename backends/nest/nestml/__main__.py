"""``python -m neurobridge.backends.nest.nestml build | toolchain [--install] | key``."""

from __future__ import annotations

import argparse
import sys
import time

from neurobridge import buildcache
from neurobridge.buildcache import BuildError

from . import build, toolchain


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m neurobridge.backends.nest.nestml",
                                     description="The NESTML-built Izhikevich models of the NEST backend.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("build", help="build the module, or find it in the cache; print where it is")
    check = commands.add_parser("toolchain", help="what the build needs and what is missing")
    check.add_argument("--install", action="store_true", help="apt-get install what is missing (as root)")
    commands.add_parser("key", help="print the module's cache key")
    args = parser.parse_args(argv)
    if args.command == "toolchain":
        code = toolchain.provide(args.install)
        environment = build.environment_path()
        if (environment / buildcache.COMPLETE).is_file():
            print(f"NESTML side environment: {environment}")
        else:
            index = toolchain.index_problem()
            print(f"NESTML side environment: not made yet ({environment}); "
                  + (index or f"nestml=={toolchain.NESTML_VERSION} is on the package index") + ".")
        return code
    if args.command == "key":
        print(build.module_key())
        return 0
    problem = toolchain.toolchain_problem()
    if problem:
        print(f"cannot build: {problem}", file=sys.stderr)
        return 1
    started = time.perf_counter()
    try:
        built = build.build_module()
    except BuildError as error:
        print(error, file=sys.stderr)
        return 1
    state = f"built in {built.seconds:.1f} s" if built.built_now else "in the cache"
    print(f"{build.MODULE_NAME}: {state} ({time.perf_counter() - started:.3f} s): {built.path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
