"""CUBA through neurobridge against a hand-written Brian2 script: same network, same target, same run.

Both sides build the identical realized network (connectivity and initial
potentials from ``neurobridge.realize``), record the same things (every
spike, V_m of three neurons) and run 1 s of biological time. Build,
compile (code generation and compilation) and run are timed separately;
each figure is the best of ``--repeats`` runs, after one warm-up run per
target (the cython cache, the standalone build). A 10-point sweep over
``I_e`` on cpp_standalone shows that only the first point compiles.

Run: ``.venv/bin/python benchmarks/brian2_overhead.py [--repeats 3] [--targets numpy,cython,cpp_standalone]``
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

import neurobridge as nb
from neurobridge.realize import realize

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository root, for tests.networks
from tests import networks  # noqa: E402


@dataclass
class Timing:
    build: float
    compile: float
    run: float
    spikes: int

    @property
    def total(self) -> float:
        return self.build + self.compile + self.run


def through_neurobridge(data: dict[str, Any], target: str, build_directory: str) -> Timing:
    result = nb.simulate(nb.Network.from_dict(data), backend="brian2", target=target,
                         build_directory=build_directory)
    meta = result.meta
    return Timing(meta["build_seconds"], meta["compile_seconds"], meta["run_seconds"], len(result.spikes))


def hand_written(data: dict[str, Any], target: str, directory: str) -> Timing:
    """CUBA as one would write it in Brian2, on the realized network's arrays."""
    import brian2 as b2
    from brian2.devices.device import reset_device

    realized = realize(nb.Network.from_dict(data))
    exc, inh = realized.populations["exc"], realized.populations["inh"]
    n_exc, n = exc.size, exc.size + inh.size
    standalone = target == "cpp_standalone"
    b2.set_device("cpp_standalone" if standalone else "runtime", build_on_run=False)
    b2.prefs.codegen.target = "numpy" if standalone else target
    try:
        if standalone:
            b2.get_device().reinit()
            b2.get_device().activate(build_on_run=False)
        started = time.perf_counter()
        net, spikes = _cuba_objects(b2, realized, n_exc, n)
        built = time.perf_counter()
        net.run(realized.duration * b2.ms, namespace={})
        if standalone:
            recorded = time.perf_counter()
            b2.get_device().build(directory=directory, compile=True, run=False, with_output=False)
            compiled = time.perf_counter()
            b2.get_device().run(directory=directory, with_output=False)
            finished = time.perf_counter()
            timing = Timing(recorded - started, compiled - recorded, finished - compiled, spikes.num_spikes)
        else:
            finished = time.perf_counter()
            loop = float(b2.get_device()._last_run_time)
            timing = Timing(built - started, finished - built - loop, loop, len(spikes.i[:]))
    finally:
        reset_device()
    return timing


def _namespace(b2: Any) -> dict[str, Any]:
    return {"tau_m": 20 * b2.ms, "C_m": 250 * b2.pF, "E_L": -49 * b2.mV, "V_th": -50 * b2.mV,
            "V_reset": -60 * b2.mV, "tau_ex": 5 * b2.ms, "tau_in": 10 * b2.ms,
            "w_ex": 20.25 * b2.pA, "w_in": -112.5 * b2.pA}


def _cuba_objects(b2: Any, realized: Any, n_exc: int, n: int) -> tuple[Any, Any]:
    equations = """
    dv/dt = (E_L - v)/tau_m + (I_ex + I_in)/C_m : volt (unless refractory)
    dI_ex/dt = -I_ex/tau_ex : amp
    dI_in/dt = -I_in/tau_in : amp
    """
    group = b2.NeuronGroup(n, equations, threshold="v >= V_th", reset="v = V_reset",
                           refractory=5.1 * b2.ms, method="exact", namespace=_namespace(b2))
    group.v = np.r_[realized.populations["exc"].initial["V_m"],
                    realized.populations["inh"].initial["V_m"]] * b2.mV
    offset = {"exc": 0, "inh": n_exc}
    pairs = {"ex": ([], []), "in": ([], [])}
    for projection in realized.projections:
        channel = "ex" if projection.source == "exc" else "in"
        pairs[channel][0].append(projection.sources + offset[projection.source])
        pairs[channel][1].append(projection.targets + offset[projection.target])
    synapses = []
    for channel, (i, j) in pairs.items():
        s = b2.Synapses(group, group, on_pre=f"I_{channel}_post += w_{channel}", delay=0.1 * b2.ms,
                        namespace=_namespace(b2))
        s.connect(i=np.concatenate(i), j=np.concatenate(j))
        synapses.append(s)
    spikes = b2.SpikeMonitor(group)
    trace = b2.StateMonitor(group, "v", record=[0, 1, 2])
    return b2.Network(group, *synapses, spikes, trace), spikes


def best(timings: list[Timing]) -> Timing:
    return Timing(*(min(getattr(t, f) for t in timings) for f in ("build", "compile", "run")),
                  timings[-1].spikes)


def compare(target: str, repeats: int, folder: str) -> tuple[Timing, Timing]:
    data = networks.cuba()
    runs: dict[str, list[Timing]] = {"neurobridge": [], "hand": []}
    for attempt in range(repeats + 1):  # the first is a warm-up (caches, compiler)
        mine = through_neurobridge(data, target, f"{folder}/nb_{attempt}")
        theirs = hand_written(data, target, f"{folder}/hand_{attempt}")
        if attempt:
            runs["neurobridge"].append(mine)
            runs["hand"].append(theirs)
    return best(runs["neurobridge"]), best(runs["hand"])


def sweep(points: int, folder: str) -> list[tuple[float, bool, float, float]]:
    """I_e over ``points`` values on cpp_standalone: (I_e, compiled, seconds, exc rate)."""
    out = []
    for current in np.linspace(0.0, 45.0, points):
        data = networks.cuba()
        for population in ("exc", "inh"):
            data["populations"][population]["params"] = {**data["populations"][population]["params"],
                                                         "I_e": float(current)}
        started = time.perf_counter()
        result = nb.simulate(nb.Network.from_dict(data), backend="brian2", target="cpp_standalone",
                             build_directory=f"{folder}/sweep")
        out.append((float(current), bool(result.meta["compiled"]), time.perf_counter() - started,
                    float(result.rates()["exc"])))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--targets", default="numpy,cython,cpp_standalone")
    parser.add_argument("--sweep", type=int, default=10)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="nb-brian2-bench-")
    try:
        print(f"CUBA, 4000 neurons, 1 s, dt 0.1 ms; best of {args.repeats} (seconds)")
        print(f"{'target':<15}{'side':<13}{'build':>8}{'compile':>9}{'run':>8}{'total':>8}{'spikes':>8}")
        for target in args.targets.split(","):
            mine, theirs = compare(target, args.repeats, folder)
            for side, t in (("neurobridge", mine), ("hand-written", theirs)):
                print(f"{target:<15}{side:<13}{t.build:8.3f}{t.compile:9.3f}{t.run:8.3f}{t.total:8.3f}"
                      f"{t.spikes:8d}")
            print(f"{target:<15}{'ratio':<13}{mine.build / theirs.build:8.2f}"
                  f"{_ratio(mine.compile, theirs.compile):>9}{mine.run / theirs.run:8.2f}"
                  f"{mine.total / theirs.total:8.2f}")
        if args.sweep:
            print(f"\n{args.sweep}-point I_e sweep on cpp_standalone (one structure)")
            print(f"{'I_e (pA)':>9}{'compiled':>10}{'seconds':>9}{'exc rate':>10}")
            for current, compiled, seconds, rate in sweep(args.sweep, folder):
                print(f"{current:9.1f}{str(compiled):>10}{seconds:9.3f}{rate:10.2f}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}" if b > 1e-3 else "-"


if __name__ == "__main__":
    main()
