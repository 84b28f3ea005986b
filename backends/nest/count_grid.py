"""A realized drive held as one grid of counts, sent to NEST by one device instead of a generator per train.

A Poisson drive held as a grid (:meth:`neurobridge.realize.SpikeEvents.from_grid`: a count per step and
neuron), or as events dense enough to be one (:data:`.translate.DENSIFY_FACTOR`), reaches NEST through
``count_grid_generator`` (``devices/count_grid_module.cpp``), a stimulation device compiled here against
the NEST wheel's headers and cached (:mod:`neurobridge.buildcache`, once per machine, in seconds). Each
step it sends one event whose multiplicity, per target, is that target's count: the arrivals of a
``spike_generator`` per train, so the same spikes, at a fraction of the cost
(``benchmarks/nest_spike_generators.py``: 2,500 trains of 20 kHz for 1 s, build 0.05 CPU s instead of
1.3, ``Simulate`` 0.37 CPU s instead of 2.2; one ``poisson_generator`` takes 1.4).

Without a C++ compiler or the wheel's headers, or when a build failed, the drive goes through
``spike_generator``\\ s as before (the run's ``meta`` says which, and why).
"""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np

from neurobridge import buildcache

from .nestml.build import compiler, compiler_identity, nest_prefix, nest_version, run_stage

MODEL = "count_grid_generator"
MODULE_NAME = "neurobridge_count_grid_module"
SOURCE = Path(__file__).parent / "devices" / "count_grid_module.cpp"
#: The wheel's optimisation and standard, and its old C++ string ABI (as the NESTML module's).
CXX_FLAGS = ("-O2", "-std=c++20", "-fopenmp", "-DNDEBUG", "-D_GLIBCXX_USE_CXX11_ABI=0", "-fPIC", "-shared")
KIND = "nest-device"
#: Counts are passed as code points, and PyNEST's UTF-8 encoding refuses the surrogates from 0xD800.
MAX_COUNT = 0xD7FF
_LOAD_CHECK = """import sys
import nest
nest.verbosity = nest.VerbosityLevel.ERROR
nest.Install(sys.argv[1])
sys.exit(0 if sys.argv[2] in nest.node_models else 1)
"""


@functools.cache
def headers() -> Path | None:
    """The NEST wheel's header folder (``site-packages/nest/include/nest``), or ``None`` without one."""
    prefix = nest_prefix()
    include = None if prefix is None else prefix / "include" / "nest"
    return include if include is not None and (include / "stimulation_device.h").is_file() else None


def problem() -> str | None:
    """Why the device cannot be built here (no compiler, no headers), else ``None``. Builds nothing."""
    try:
        compiler()
    except buildcache.BuildStageError:
        return "no C++ compiler (apt-get install g++)"
    return None if headers() is not None else "the NEST wheel has no headers"


def module_key() -> str:
    """The content key: the source, the NEST and compiler versions, the flags."""
    return buildcache.content_key(SOURCE.read_bytes(), _LOAD_CHECK, f"nest {nest_version()}",
                                  f"compiler {compiler_identity()}", " ".join(CXX_FLAGS))


def ensure_module() -> buildcache.Built:
    """The cache entry holding ``lib/neurobridge_count_grid_module.so`` (built now if it is not there).

    Raises
    ------
    neurobridge.buildcache.BuildError
        The compile or the load check failed (now, or in a remembered earlier build).
    """
    def builder(folder: Path) -> None:
        library = folder / "lib" / f"{MODULE_NAME}.so"
        library.parent.mkdir(parents=True)
        run_stage("compile", [compiler(), *CXX_FLAGS, f"-I{headers()}", str(SOURCE), "-o", str(library)], 600)
        run_stage("install", [sys.executable, "-c", _LOAD_CHECK, str(library.with_suffix("")), MODEL], 600,
                  env={**os.environ, "PYNEST_QUIET": "1"})

    return buildcache.build(KIND, module_key(), builder, f"NEST device {MODEL} for NEST {nest_version()}")


def install(nest: Any) -> float:
    """Load the device into a fresh kernel (after ``ResetKernel``, before any ``Create``).

    Returns
    -------
    float
        Seconds spent building it now (0.0 from the cache).

    Raises
    ------
    neurobridge.buildcache.BuildError
        It cannot be built here.
    """
    if MODEL in nest.node_models:
        return 0.0
    built = ensure_module()
    nest.Install(str(built.path / "lib" / MODULE_NAME))
    return built.seconds


def encode(grid: np.ndarray) -> str:
    """The grid, row by row, as a string of one code point per cell (what the device's ``counts`` takes).

    Parameters
    ----------
    grid
        ``(rows, columns)`` counts, each at most :data:`MAX_COUNT`.
    """
    cells = np.ascontiguousarray(grid)
    if cells.dtype.itemsize == 1:
        return cells.astype(np.uint8, copy=False).tobytes().decode("latin-1")
    return cells.astype("<u2").tobytes().decode("utf-16-le")


def create(nest: Any, grid: np.ndarray, first_step: int, targets: np.ndarray) -> int:
    """One device sending ``grid[r, c]`` spikes in step ``first_step + r`` to node ``targets[c]``.

    Returns
    -------
    int
        Its node id (connect it to each of ``targets``).
    """
    device = nest.Create(MODEL)
    device.set({"targets": np.asarray(targets, dtype=np.int64), "first_step": int(first_step),
                "counts": encode(grid)})
    return int(device.global_id)
