"""Build the NESTML module (once per content key, through :mod:`neurobridge.buildcache`) and load it into NEST.

The module holds the four Izhikevich models NEST lacks. Building it takes
stages, each of which can fail with its log (remembered by the cache):

``venv``
    A side virtual environment with ``nestml==9.0.0`` in ``<cache>/nestml-env/<version>-py<XY>``
    (NESTML pins antlr4 4.13, Hydra 4.9: they cannot share the runtime environment). Made once,
    under the cache's lock, with ``python -m venv`` and pip.
``generate``
    ``generate.py`` run by the side environment: C++ from the ``.nestml`` sources, with NESTML's
    ``forward-Euler`` numeric solver (its default ``rk45`` is neither NEST's Izhikevich integration
    nor stable at dt 0.5).
``solver-check``
    The generated update must be the forward-Euler step (no GSL stepping) and the synaptic
    variables must be propagated analytically; anything else fails the build.
``cmake``
    Configured with a ``nest-config`` written into the build folder: the wheel's own names the
    machine it was built on. Ours reports the wheel's headers (``site-packages/nest/include/nest``),
    this machine's compiler and ``-D_GLIBCXX_USE_CXX11_ABI=0`` (the wheel's C++ string ABI; without
    it ``nest.Install`` fails with a misleading "file not found"). Nothing is linked: the module's
    NEST symbols resolve against the kernel PyNEST loaded with ``RTLD_GLOBAL``.
``compile``
    ``cmake --build``.
``install``
    ``cmake --install`` into the cache entry, then a fresh Python loads the module into NEST and
    checks that every model exists there (NESTML returns no error for a model it skipped).

The key covers the model sources, the generator script, the NESTML, NEST and compiler versions and
the flags. Only the models and the module's library (and the generated C++, for reading) are kept.
"""

from __future__ import annotations

import functools
import importlib.metadata
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any, TextIO

from neurobridge import buildcache
from neurobridge.errors import UnsupportedModelError

from .toolchain import NESTML_VERSION, toolchain_problem

#: The NEST model generated for each pair NEST lacks.
MODEL_NAMES: Mapping[tuple[str, str], str] = MappingProxyType({
    ("izhikevich", "current_exp"): "izhikevich_psc_exp_neurobridge",
    ("izhikevich", "current_alpha"): "izhikevich_psc_alpha_neurobridge",
    ("izhikevich", "conductance_exp"): "izhikevich_cond_exp_neurobridge",
    ("izhikevich", "conductance_alpha"): "izhikevich_cond_alpha_neurobridge",
})
MODULE_NAME = "neurobridge_izhikevich_module"
SOURCES = Path(__file__).parent / "models"
GENERATOR = Path(__file__).parent / "generate.py"
NUMERIC_SOLVER = "forward-Euler"
#: Compiler flags: the wheel's optimisation and standard, and its old C++ string ABI.
CXX_FLAGS = "-O2 -std=c++20 -fopenmp -DNDEBUG -D_GLIBCXX_USE_CXX11_ABI=0"
KIND = "nestml"
ENVIRONMENT_KIND = "nestml-env"

_NEST_CONFIG = """#!/bin/sh
# nest-config for the NEST wheel, written by neurobridge (the wheel's own names its build machine).
case "$1" in
  --prefix|--exec-prefix) echo "{prefix}" ;;
  --includes) echo "-I{include}" ;;
  --cflags) echo "{cflags}" ;;
  --libs) echo "" ;;
  --compiler) echo "{compiler}" ;;
  --static-libraries) echo "OFF" ;;
  --libdir) echo "lib" ;;
  --version) echo "{version}" ;;
  *) echo "nest-config (neurobridge): unknown option $1" >&2; exit 1 ;;
esac
"""
#: The generated update must contain the forward-Euler step and no GSL stepping.
_EULER_STEP = re.compile(r"S_\.ode_state\[i\]\s*\+=\s*__timestep\s*\*\s*f\[i\]")
_GSL_STEP = "gsl_odeiv_evolve_apply"
_ANALYTIC = "analytic solver: integrating state variables"
_LOAD_CHECK = """import sys
import nest
nest.verbosity = nest.VerbosityLevel.ERROR
nest.Install(sys.argv[1])
missing = [name for name in sys.argv[2:] if name not in nest.node_models]
print("missing: " + ", ".join(missing) if missing else "all models present")
sys.exit(1 if missing else 0)
"""


def pair_label(pair: tuple[str, str]) -> str:
    """``izhikevich×current_exp``."""
    return "×".join(pair)


def unsupported_reason(pair: tuple[str, str]) -> str | None:
    """Why NEST lacks ``pair`` on this machine when the NESTML module could provide it, else ``None``.

    Parameters
    ----------
    pair
        A model × receptor pair.

    Returns
    -------
    str or None
        ``"izhikevich×current_exp on NEST needs a NESTML-built module: cmake is not installed
        (apt-get install cmake)."`` for one of :data:`MODEL_NAMES` when the toolchain is missing;
        ``None`` otherwise (the pair is not one of ours, or nothing is missing). Runs no build.
    """
    if pair not in MODEL_NAMES:
        return None
    problem = toolchain_problem()
    return f"{pair_label(pair)} on NEST needs a NESTML-built module: {problem}." if problem else None


def require(pair: tuple[str, str], where: str, progress: TextIO | None = sys.stderr) -> None:
    """Make sure the module providing ``pair`` is built (building it now if needed), or refuse.

    Parameters
    ----------
    pair
        One of :data:`MODEL_NAMES`.
    where
        The description's field, for the message (``populations.exc``).
    progress
        Where the build reports its stages (standard error; ``None`` for quiet).

    Raises
    ------
    UnsupportedModelError
        The toolchain is missing, or the build failed (now or before): the message names the pair,
        what is missing or the failed stage, and the log.
    """
    reason = unsupported_reason(pair)
    if reason:
        raise UnsupportedModelError(f"{where}: {reason}")
    try:
        build_module(progress=progress)
    except buildcache.BuildError as error:
        raise UnsupportedModelError(
            f"{where}: {pair_label(pair)} on NEST needs a NESTML-built module: {error}") from None


def ensure_module(progress: TextIO | None = sys.stderr) -> str:
    """Build the module or find it in the cache; return the name ``nest.Install`` takes.

    Parameters
    ----------
    progress
        Where a build reports its stages (nothing is printed on a cache hit).

    Returns
    -------
    str
        The module library's path without its extension (``.../lib/neurobridge_izhikevich_module``).

    Raises
    ------
    neurobridge.buildcache.BuildError
        A stage failed (now or in a remembered earlier build).
    """
    return str(build_module(progress=progress).path / "lib" / MODULE_NAME)


def install(nest: Any) -> None:
    """Load the module into NEST's kernel unless its models are there already.

    Call after every ``ResetKernel`` (which forgets installed modules). Costs one look at
    ``nest.node_models`` when the models are present, a cache look-up and 1-10 ms of loading otherwise.

    Parameters
    ----------
    nest
        The imported PyNEST module.

    Raises
    ------
    neurobridge.buildcache.BuildError
        The module cannot be built, or loads without one of its models.
    """
    if _present(nest):
        return
    nest.Install(ensure_module())
    if not _present(nest):
        missing = sorted(set(MODEL_NAMES.values()) - set(nest.node_models))
        raise buildcache.BuildError(f"{MODULE_NAME} loaded, but NEST has no {', '.join(missing)}.")


def _present(nest: Any) -> bool:
    models = set(nest.node_models)
    return all(name in models for name in MODEL_NAMES.values())


# -- the key ---------------------------------------------------------------------------------------

def source_files(sources: Path | None = None) -> list[Path]:
    """The ``.nestml`` files of the module, sorted (the four of :data:`MODEL_NAMES` by default)."""
    return sorted((sources or SOURCES).glob("*.nestml"))


def module_key(sources: Path | None = None) -> str:
    """The content key of the module built from ``sources`` with this machine's tools.

    Parameters
    ----------
    sources
        A folder of ``.nestml`` files (default: the package's four models).
    """
    files = source_files(sources)
    parts: list[str | bytes] = [f"{path.name}\n{path.read_text()}" for path in files]
    parts += [GENERATOR.read_bytes(), _NEST_CONFIG, _LOAD_CHECK, f"nestml {NESTML_VERSION}",
              f"nest {nest_version()}", f"compiler {compiler_identity()}", f"flags {CXX_FLAGS}",
              f"solver {NUMERIC_SOLVER}", f"module {MODULE_NAME}"]
    return buildcache.content_key(*parts)


@functools.cache
def nest_version() -> str:
    """The installed NEST wheel's version (read from its metadata: NEST is not imported)."""
    return importlib.metadata.version("nest-simulator")


def compiler() -> str:
    """The C++ compiler the module is built with (``$CXX``, else the first of c++, g++, clang++)."""
    for candidate in (os.environ.get("CXX"), "c++", "g++", "clang++"):
        found = shutil.which(candidate) if candidate else None
        if found:
            return found
    raise buildcache.BuildStageError("cmake", "no C++ compiler found (apt-get install g++)")


@functools.cache
def compiler_identity() -> str:
    """The compiler's path and the first line of its ``--version`` (asked once per process)."""
    path = compiler()
    out = subprocess.run([path, "--version"], capture_output=True, text=True, check=False)
    return f"{path}: {out.stdout.strip().splitlines()[0] if out.stdout.strip() else out.returncode}"


# -- the build -------------------------------------------------------------------------------------

def build_module(sources: Path | None = None, progress: TextIO | None = sys.stderr) -> buildcache.Built:
    """The cache entry of the module built from ``sources`` (the package's models by default).

    Parameters
    ----------
    sources
        A folder of ``.nestml`` files; tests point it at a copy with a broken model.
    progress
        Where a build reports its stages.

    Returns
    -------
    neurobridge.buildcache.Built
        ``path`` holds ``lib/<module>.so``, ``src/`` (the generated C++) and ``build.json``;
        ``built_now`` is False on a cache hit.
    """
    files = source_files(sources)
    what = (f"NESTML module for {', '.join(pair_label(p) for p in MODEL_NAMES)} on NEST {nest_version()}"
            if sources is None else f"NESTML module from {', '.join(path.name for path in files)}")

    def builder(folder: Path) -> None:
        _build(folder, files, progress)

    return buildcache.build(KIND, module_key(sources), builder, what)


def _say(progress: TextIO | None, message: str) -> None:
    if progress is not None:
        print(f"neurobridge: {message}", file=progress, flush=True)


def _build(folder: Path, files: Sequence[Path], progress: TextIO | None) -> None:
    started = time.perf_counter()
    _say(progress, f"building the NESTML module ({', '.join(path.stem for path in files)}) into "
                   f"{folder.parent}; once per machine, about a minute")
    python = side_python(progress)
    source, build, library = folder / "src", folder / "build", folder / "lib"
    timings: dict[str, float] = {}

    def stage(name: str, command: list[str], timeout: float, label: str = "", **kwargs: Any) -> None:
        _say(progress, f"  {label or name}")
        began = time.perf_counter()
        run_stage(name, command, timeout, **kwargs)
        timings[name] = round(timings.get(name, 0.0) + time.perf_counter() - began, 2)

    stage("generate", [str(python), str(GENERATOR), "--target", str(source), "--module", MODULE_NAME,
                       "--nest-version", f"v{nest_version()}", "--solver", NUMERIC_SOLVER,
                       *map(str, files)], 900, cwd=folder, env=_side_environment())
    _say(progress, "  solver-check")
    check_solver(source, [path.stem for path in files])
    nest_config = write_nest_config(folder / "tools")
    stage("cmake", ["cmake", "-S", str(source), "-B", str(build), f"-Dwith-nest={nest_config}",
                    f"-DCMAKE_INSTALL_PREFIX={library}"], 300)
    stage("compile", ["cmake", "--build", str(build), "--parallel", str(os.cpu_count() or 1)], 1800)
    stage("install", ["cmake", "--install", str(build)], 300)
    stage("install", [sys.executable, "-c", _LOAD_CHECK, str(library / MODULE_NAME),
                      *(path.stem for path in files)], 300, env={**os.environ, "PYNEST_QUIET": "1"},
          label="install: load into a fresh NEST, check the models")
    for scratch in (build, folder / "tools", folder / "report"):  # objects, our nest-config, NESTML's report
        shutil.rmtree(scratch, ignore_errors=True)
    seconds = time.perf_counter() - started
    (folder / "build.json").write_text(_describe(files, timings, seconds))
    _say(progress, f"built the NESTML module in {seconds:.0f} s")


def _describe(files: Sequence[Path], timings: Mapping[str, float], seconds: float) -> str:
    import json

    return json.dumps({"models": [path.stem for path in files], "nestml": NESTML_VERSION,
                       "nest": nest_version(), "compiler": compiler_identity(), "flags": CXX_FLAGS,
                       "solver": NUMERIC_SOLVER, "stage_seconds": dict(timings), "seconds": round(seconds, 2)},
                      indent=2)


def run_stage(stage: str, command: list[str], timeout: float, **kwargs: Any) -> str:
    """Run one stage's command; its output is the log, a failure a :class:`BuildStageError`."""
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=timeout, **kwargs)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise buildcache.BuildStageError(stage, f"$ {' '.join(command)}\n{error}") from None
    log = f"$ {' '.join(command)}\n{out.stdout}\n{out.stderr}"
    if out.returncode != 0:
        raise buildcache.BuildStageError(stage, f"{log}\nexit code {out.returncode}")
    return log


def check_solver(source: Path, models: Sequence[str]) -> None:
    """Fail the build unless every model's update is the forward-Euler step with exact synapses.

    Parameters
    ----------
    source
        The folder of generated C++.
    models
        The model names (one ``<name>.cpp`` each).

    Raises
    ------
    neurobridge.buildcache.BuildStageError
        Stage ``solver-check``, naming the model and what its code does instead.
    """
    problems = []
    for model in models:
        code = (source / f"{model}.cpp").read_text()
        if _GSL_STEP in code:
            problems.append(f"{model}: the update calls {_GSL_STEP} (GSL's adaptive rk45), not forward Euler")
        if not _EULER_STEP.search(code):
            problems.append(f"{model}: no forward-Euler step (S_.ode_state[i] += __timestep * f[i]) in the update")
        if _ANALYTIC not in code:
            problems.append(f"{model}: the synaptic variables are not propagated analytically")
    if problems:
        raise buildcache.BuildStageError("solver-check", "\n".join(problems))


def nest_prefix() -> Path | None:
    """The installed nest package's folder (found, not imported), or ``None`` without one."""
    spec = importlib.util.find_spec("nest")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def write_nest_config(folder: Path) -> Path:
    """A ``nest-config`` that reports the wheel's headers, this machine's compiler and our flags."""
    prefix = nest_prefix()
    if prefix is None:
        raise buildcache.BuildStageError("cmake", "the nest package is not installed")
    include = prefix / "include" / "nest"
    if not (include / "config.h").is_file():
        raise buildcache.BuildStageError("cmake", f"the NEST wheel has no headers in {include}")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "nest-config"
    path.write_text(_NEST_CONFIG.format(prefix=prefix, include=include, cflags=CXX_FLAGS, compiler=compiler(),
                                        version=nest_version()))
    path.chmod(0o755)
    return path


# -- the side environment --------------------------------------------------------------------------

def environment_key() -> str:
    """``9.0.0-py311``: the side environment's folder under ``<cache>/nestml-env``."""
    return f"{NESTML_VERSION}-py{sys.version_info.major}{sys.version_info.minor}"


def environment_path() -> Path:
    """Where the side environment is (or will be): ``<cache>/nestml-env/<version>-py<XY>``."""
    return buildcache.cache_root() / ENVIRONMENT_KIND / environment_key()


def side_python(progress: TextIO | None = sys.stderr) -> Path:
    """The side environment's Python, the environment made (stage ``venv``) if it is not there yet."""
    def builder(folder: Path) -> None:
        _say(progress, f"  venv: python -m venv + pip install nestml=={NESTML_VERSION} "
                       f"(once per NESTML version, about a minute)")
        run_stage("venv", [sys.executable, "-m", "venv", str(folder)], 300, env=_side_environment())
        run_stage("venv", [str(folder / "bin" / "python"), "-m", "pip", "install", "--quiet",
                      f"nestml=={NESTML_VERSION}"], 1800, env=_side_environment())
        run_stage("venv", [str(folder / "bin" / "python"), "-c", "import pynestml, odetoolbox"], 300,
             env=_side_environment())

    built = buildcache.build(ENVIRONMENT_KIND, environment_key(), builder,
                             f"NESTML {NESTML_VERSION} side environment")
    return built.path / "bin" / "python"


def _side_environment() -> dict[str, str]:
    """The runtime's environment without what would mix its packages into the side one."""
    skip = {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP"}
    return {**{k: v for k, v in os.environ.items() if k not in skip}, "PYTHONNOUSERSITE": "1"}
