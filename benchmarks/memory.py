"""Bytes per synapse, stage by stage, for CUBA (conf/model/cuba.yaml at any size, same in-degree of 80).

    python benchmarks/memory.py [--sizes 16000 64000] [--backends numpy,nest,brian2]

Each measurement runs in a fresh subprocess, so one stage's leftovers never count for the next:

* ``realize`` and ``lower`` (the core) and ``numpy`` (the reference engine's build) are measured with
  :mod:`tracemalloc`, which sees every NumPy array: ``kept`` is what the stage leaves allocated (the
  realized arrays, the pathways, the engine), ``peak`` the most it had allocated at once while it ran,
  both above what existed before the stage.
* ``nest`` and ``brian2`` (runtime ``numpy`` target) allocate in C++, which tracemalloc does not see, so
  their build is measured as resident memory (``VmRSS``/``VmHWM`` of ``/proc/self/status``, the peak
  reset through ``/proc/self/clear_refs`` before the build): ``kept`` is the RSS after a 1 ms run
  (the simulator still holds the network) minus the RSS before it, ``peak`` the high-water mark minus
  the RSS before it. RSS counts pages, so small networks read coarse.

The largest CUBA each path fits is extrapolated linearly from the 64k numbers: what the synapses of the
whole path (core + build peak) allow in the memory available now (``MemAvailable``), at 80 synapses per
neuron; neuron state and the ring buffers are left out (a few hundred bytes per neuron).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tracemalloc
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _rss() -> tuple[float, float]:
    """Resident and peak resident bytes of this process."""
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = float(value.split()[0]) * 1024.0
    return fields["VmRSS"], fields["VmHWM"]


def _reset_peak() -> None:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def measure(size: int, backend: str) -> dict[str, float]:
    """One subprocess's measurement: the core's stages (tracemalloc), or one simulator's build (RSS)."""
    sys.path.insert(0, str(HERE.parent / "tests"))
    import networks

    import neurobridge as nb
    from neurobridge.lowering import lower
    from neurobridge.realize import realize
    from neurobridge.registry import get_backend

    network = nb.Network.from_dict(networks.cuba(size, duration=1.0))
    out: dict[str, float] = {}
    if backend == "core":
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        realized = realize(network)
        kept, peak = tracemalloc.get_traced_memory()
        out["n_synapses"] = realized.n_synapses
        out["realize_kept"], out["realize_peak"] = kept - before, peak - before
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        lowered = lower(realized)
        kept, peak = tracemalloc.get_traced_memory()
        out["lower_kept"], out["lower_peak"] = kept - before, peak - before
        from neurobridge.backends.numpy.adapter import NumpyBackend
        from neurobridge.backends.numpy.translate import build

        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        engine = build(lowered, NumpyBackend.capabilities.defaults())
        kept, peak = tracemalloc.get_traced_memory()
        out["numpy_kept"], out["numpy_peak"] = kept - before, peak - before
        del engine
        return out
    adapter = get_backend(backend)
    lowered = lower(realize(network), adapter.capabilities.native, backend)
    out["n_synapses"] = lowered.realized.n_synapses
    if backend == "nest":
        import nest  # noqa: F401  (imported before the baseline: the library is not the network)
    else:
        import brian2  # noqa: F401
    before, _ = _rss()
    _reset_peak()
    adapter().run(lowered, **adapter.capabilities.defaults())
    kept, peak = _rss()
    out[f"{backend}_kept"], out[f"{backend}_peak"] = kept - before, peak - before
    return out


def _subprocess(size: int, backend: str) -> dict[str, float]:
    environment = {**os.environ, "OMP_NUM_THREADS": "1", "OMP_WAIT_POLICY": "passive"}
    done = subprocess.run([sys.executable, __file__, "--measure", backend, "--sizes", str(size)],
                          capture_output=True, text=True, env=environment, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _available() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return float(line.split()[1]) * 1024.0
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="16000,64000")
    parser.add_argument("--backends", default="numpy,nest,brian2")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.measure:
        print(json.dumps(measure(sizes[0], args.measure)))
        return
    simulators = [b for b in args.backends.split(",") if b != "numpy"]
    import neurobridge

    print(f"neurobridge from {Path(neurobridge.__file__).parent.parent}; bytes per synapse (kept / peak)")
    print(f"{'neurons':>8s} {'synapses':>10s}  " + "  ".join(f"{s:>15s}" for s in
                                                          ["realize", "lower", "numpy build", *simulators]))
    per_synapse: dict[str, tuple[float, float]] = {}
    for size in sizes:
        row = _subprocess(size, "core")
        for simulator in simulators:
            row.update(_subprocess(size, simulator))
        n = row["n_synapses"]
        cells = []
        for stage in ["realize", "lower", "numpy", *simulators]:
            kept, peak = row[f"{stage}_kept"] / n, row[f"{stage}_peak"] / n
            per_synapse[stage] = (kept, peak)
            cells.append(f"{kept:6.1f} / {peak:6.1f}")
        print(f"{size:8d} {int(n):10d}  " + "  ".join(f"{c:>15s}" for c in cells))
    available = _available()
    core = per_synapse["realize"][0] + per_synapse["lower"][0]
    core_peak = max(per_synapse["realize"][1], per_synapse["realize"][0] + per_synapse["lower"][1])
    print(f"\ncore (realized + lowered, kept): {core:.1f} bytes per synapse (peak {core_peak:.1f})")
    print(f"largest CUBA (80 synapses per neuron) in the {available / 1024**3:.1f} GiB available now, "
          "extrapolated from the last size:")
    for stage in ["numpy", *simulators]:
        kept, peak = per_synapse[stage]
        total = max(core_peak, core + peak)
        print(f"  {stage:8s} {total:6.1f} bytes per synapse at the peak -> "
              f"{available / total / 80 / 1e6:6.2f} million neurons ({available / total / 1e9:.2f} G synapses)")


if __name__ == "__main__":
    main()
