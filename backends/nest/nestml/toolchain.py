"""What building a NESTML module needs from the machine, and installing it with apt-get.

Each requirement is a row: what it is, how to see that it is there (a
program on ``PATH`` or a header in the compiler's include folders), and the
Debian package that provides it. :func:`toolchain_problem` names the missing
ones without running anything; ``make install`` calls :func:`provide`, which
installs them with apt-get when it runs as root (CI, a fresh Debian image)
and otherwise prints the command and carries on.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

#: The NESTML release the side environment installs (its antlr4 pin conflicts with Hydra's, hence the side).
NESTML_VERSION = "9.0.0"
_INCLUDE_DIRS = ("/usr/local/include", "/usr/include")


@dataclass(frozen=True)
class Requirement:
    """One thing the build needs: a program on ``PATH`` or a header, and its Debian package."""

    what: str
    package: str
    programs: tuple[str, ...] = ()
    header: str = ""

    def present(self) -> bool:
        """True when one of the programs is on ``PATH`` or the header is in an include folder."""
        if self.programs:
            return any(shutil.which(program) for program in self.programs)
        return any((folder / self.header).is_file() for folder in include_dirs())


REQUIREMENTS = (
    Requirement("cmake", "cmake", programs=("cmake",)),
    Requirement("make", "make", programs=("make",)),
    Requirement("a C++ compiler", "g++", programs=("c++", "g++", "clang++")),
    Requirement("the Boost headers", "libboost-dev", header="boost/version.hpp"),
    Requirement("the libltdl headers", "libltdl-dev", header="ltdl.h"),
)


def include_dirs() -> list[Path]:
    """The folders a header is looked for in: ``$CPLUS_INCLUDE_PATH``, ``$CPATH``, then the system's."""
    extra = [part for key in ("CPLUS_INCLUDE_PATH", "CPATH") for part in os.environ.get(key, "").split(":")]
    return [Path(folder) for folder in (*extra, *_INCLUDE_DIRS) if folder]


def missing() -> list[Requirement]:
    """The requirements not found on this machine (looks at ``PATH`` and include folders only)."""
    return [requirement for requirement in REQUIREMENTS if not requirement.present()]


def toolchain_problem(check_index: bool = False) -> str | None:
    """What is missing to build the NESTML module, or ``None`` when nothing is.

    Parameters
    ----------
    check_index
        Also ask the package index whether ``nestml`` can be installed (a network call, made only
        when the side environment does not exist yet; off by default so that validation stays fast).

    Returns
    -------
    str or None
        ``"cmake is not installed (apt-get install cmake)"``, several joined by ``"; "``, or ``None``.
    """
    problems = [f"{r.what} {'are' if r.what.startswith('the ') else 'is'} not installed "
                f"(apt-get install {r.package})" for r in missing()]
    if check_index:
        index = index_problem()
        if index:
            problems.append(index)
    return "; ".join(problems) or None


def index_problem() -> str | None:
    """Whether pip can see ``nestml`` on its package index (``None`` when it can)."""
    command = [sys.executable, "-m", "pip", "index", "versions", "nestml"]
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"the package index cannot be reached to install nestml=={NESTML_VERSION} ({error})"
    if out.returncode != 0 or NESTML_VERSION not in out.stdout:
        tail = (out.stderr or out.stdout).strip().splitlines()[-1:] or ["no answer"]
        return f"pip cannot find nestml=={NESTML_VERSION} on its package index ({tail[0]})"
    return None


def provide(install: bool) -> int:
    """Report the missing requirements; with ``install`` and as root, apt-get install them.

    Parameters
    ----------
    install
        Install what is missing with apt-get when running as root; otherwise only print.

    Returns
    -------
    int
        0 (a missing toolchain never fails ``make install``: the NESTML pairs are then refused at
        validation with the same message), or apt-get's exit code when an install was tried and failed.
    """
    lacking = missing()
    if not lacking:
        print("NESTML toolchain: cmake, make, C++ compiler, Boost and libltdl headers present.")
        return 0
    packages = " ".join(dict.fromkeys(r.package for r in lacking))
    print(f"NESTML toolchain: missing {', '.join(r.what for r in lacking)}.")
    if not install or os.geteuid() != 0 or not shutil.which("apt-get"):
        print(f"  izhikevich × current_exp/alpha, conductance_exp/alpha on NEST need them: "
              f"apt-get install {packages} (as root); continuing without.")
        return 0
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-q"],
                    ["apt-get", "install", "-y", "-q", "--no-install-recommends", *packages.split()]):
        print("  " + " ".join(command), flush=True)
        code = subprocess.call(command, env=environment)
        if code != 0:
            return code
    still = missing()
    if still:
        print(f"NESTML toolchain: still missing after apt-get: {', '.join(r.what for r in still)}.")
    return 0


if __name__ == "__main__":  # ``python backends/nest/nestml/toolchain.py --install`` without the package
    sys.exit(provide("--install" in sys.argv[1:]))
