"""CUBA (Brette et al. 2007) on NEURON 9: neurobridge's adapter against hand-written NEURON scripts.

Competitors, timed in one process, interleaved in alternating order, best of ``--repeat``:

* ``neurobridge``: ``nb.simulate(cuba, backend="neuron")``; build is the adapter's (NEURON objects,
  from the realized network), realization is reported apart;
* ``handwritten``: the fastest faithful script I could write: the same NbLif point processes (the
  exact per-step update; NEURON's own integrators are not exact for this model), connectivity drawn
  with NumPy (Bernoulli 2 %, as the description), ``h.NetCon(src, tgt, 0, delay, weight)`` in one
  call per synapse, spikes through ``NetCon.record``, 3 V_m traces, the same run loop;
* ``handwritten_expsyn`` (``--idiom``): NEURON's textbook idiom for scale only: one section per cell
  with ``pas`` (C 250 pF, tau 20 ms), two ``ExpSyn`` per cell (conductance-based, tau 5 and 10 ms),
  NetCons thresholded on ``v``, no reset, fixed-step backward Euler. Not CUBA's dynamics (no reset,
  conductances, not exact): it shows what a per-cell cable costs against a point process per cell.

Prints, per competitor, the random draws ("realize": neurobridge's realization, the scripts' own
connectivity draw), the build of the NEURON objects, the run, and the total wall time (teardown and,
for neurobridge, the result tables included); then the ratios neurobridge / hand-written (target
<= 1.1 for build and run).

Usage: python benchmarks/neuron_cuba.py [--repeat 5] [--size 4000]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import networks  # noqa: E402

import neurobridge as nb  # noqa: E402

# CUBA in NEST units (see conf/model/cuba.yaml)
C_M, TAU_M, E_L, V_TH, V_RESET, T_REF = 250.0, 20.0, -49.0, -50.0, -60.0, 5.0
TAU_EX, TAU_IN, W_EX, W_IN, DT, T = 5.0, 10.0, 20.25, -112.5, 0.1, 1000.0


def neurobridge_neuron(size: int) -> dict[str, float]:
    network = nb.Network.from_dict(networks.cuba(size))
    started = time.perf_counter()
    result = nb.simulate(network, backend="neuron")
    total = time.perf_counter() - started
    return {"realize": result.meta["realize_seconds"], "build": result.meta["build_seconds"],
            "run": result.meta["run_seconds"], "total": total, "spikes": float(len(result.spikes)),
            "build_cpu": result.meta["build_cpu_seconds"], "run_cpu": result.meta["run_cpu_seconds"]}


def realized_cuba(size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The network neurobridge realizes (global indices, exc first): the scripts build exactly it,
    from the same arrays the adapter gets (converting them to lists is part of their build)."""
    from neurobridge.realize import realize

    realized = realize(nb.Network.from_dict(networks.cuba(size)))
    offset = {"exc": 0, "inh": realized.populations["exc"].size}
    pre = np.concatenate([p.sources + offset[p.source] for p in realized.projections])
    post = np.concatenate([p.targets + offset[p.target] for p in realized.projections])
    weights = np.concatenate([p.weights for p in realized.projections])
    v0 = np.concatenate([realized.populations[name].initial["V_m"] for name in ("exc", "inh")])
    return pre, post, weights, v0


def handwritten(size: int) -> dict[str, float]:
    """CUBA written directly against NEURON with the NbLif mechanism (exact propagators).

    The connections and initial values are neurobridge's realized ones, so the run is the same run;
    the time to draw them is the realization's (reported in its column).
    """
    from neuron import h

    started = time.perf_counter()
    pre_array, post_array, weight_array, v0_array = realized_cuba(size)
    drawn, drawn_cpu = time.perf_counter(), time.process_time()
    pre, post, weights, v0 = pre_array.tolist(), post_array.tolist(), weight_array.tolist(), v0_array.tolist()
    h.dt = DT
    h.secondorder = 0
    h.CVode().active(0)
    # exact propagators of iaf_psc_exp (tau_m != tau_syn)
    p00 = np.exp(-DT / TAU_M)
    p11, p22 = np.exp(-DT / TAU_EX), np.exp(-DT / TAU_IN)
    p01 = TAU_EX * TAU_M / (C_M * (TAU_M - TAU_EX)) * (np.exp(-DT / TAU_M) - np.exp(-DT / TAU_EX))
    p02 = TAU_IN * TAU_M / (C_M * (TAU_M - TAU_IN)) * (np.exp(-DT / TAU_M) - np.exp(-DT / TAU_IN))
    host = h.Section(name="cuba")
    where = host(0.5)
    cells = []
    for i in range(size):
        cell = h.NbLif(where)
        cell.P00, cell.P01, cell.P02, cell.P11, cell.P22 = p00, p01, p02, p11, p22
        cell.E_L, cell.V_th, cell.V_reset, cell.refractory_steps = E_L, V_TH, V_RESET, round(T_REF / DT)
        cell.V0 = v0[i]
        cells.append(cell)
    netcon = h.NetCon
    connections = [netcon(cells[i], cells[j], 0.0, 0.0, w) for i, j, w in zip(pre, post, weights)]
    times, ids = h.Vector(), h.Vector()
    recorders = []
    for i, cell in enumerate(cells):
        recorder = netcon(cell, None)
        recorder.record(times, ids, i)
        recorders.append(recorder)
    traces = [h.Vector().record(cells[i]._ref_V_m) for i in range(3)]
    built, built_cpu = time.perf_counter(), time.process_time()
    h.finitialize()
    context = h.ParallelContext()
    context.set_maxstep(10)
    context.psolve(T)
    finished, finished_cpu = time.perf_counter(), time.process_time()
    spikes = (times.as_numpy().copy(), ids.as_numpy().copy())
    del connections, recorders, traces, cells, host
    h.finitialize()
    return {"realize": drawn - started, "build": built - drawn, "run": finished - built,
            "total": time.perf_counter() - started, "spikes": float(spikes[0].size),
            "build_cpu": built_cpu - drawn_cpu, "run_cpu": finished_cpu - built_cpu}


def handwritten_expsyn(size: int) -> dict[str, float]:
    """NEURON's textbook idiom: sections with pas, ExpSyn-like currents, NetCon threshold on v (scale only)."""
    from neuron import h

    started = time.perf_counter()
    pre_array, post_array, weight_array, _ = realized_cuba(size)
    drawn, drawn_cpu = time.perf_counter(), time.process_time()
    pre, post, weights = pre_array.tolist(), post_array.tolist(), weight_array.tolist()
    h.dt = DT
    h.secondorder = 0
    h.CVode().active(0)
    area = 100.0 / np.pi * 1e-8 * 1e8  # a 10 µm x 10/pi µm cylinder: 100 µm^2 = 1e-6 cm^2
    cm = C_M * 1e-6 / (area * 1e-2)  # pF on 1e-6 cm^2 -> µF/cm^2
    cells, synapses = [], []
    for _ in range(size):
        sec = h.Section()
        sec.L, sec.diam, sec.nseg = 10.0, 10.0 / np.pi, 1
        sec.insert("pas")
        sec.cm = cm
        sec.g_pas = cm * 1e-3 / TAU_M  # S/cm^2 with tau = C / g
        sec.e_pas = E_L
        ex, inh = h.ExpSyn(sec(0.5)), h.ExpSyn(sec(0.5))
        ex.tau, inh.tau, ex.e, inh.e = TAU_EX, TAU_IN, 0.0, -80.0
        cells.append(sec)
        synapses.append((ex, inh))
    netcon = h.NetCon
    connections = [netcon(cells[i](0.5)._ref_v, synapses[j][0 if w > 0 else 1], V_TH, DT, 0.0005,
                          sec=cells[i]) for i, j, w in zip(pre, post, weights)]
    built, built_cpu = time.perf_counter(), time.process_time()
    h.finitialize(E_L)
    context = h.ParallelContext()
    context.set_maxstep(10)
    context.psolve(T)
    finished, finished_cpu = time.perf_counter(), time.process_time()
    del connections, synapses, cells
    h.finitialize()
    return {"realize": drawn - started, "build": built - drawn, "run": finished - built,
            "total": time.perf_counter() - started, "spikes": float("nan"),
            "build_cpu": built_cpu - drawn_cpu, "run_cpu": finished_cpu - built_cpu}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--size", type=int, default=4000)
    parser.add_argument("--idiom", action="store_true", help="also time NEURON's section + ExpSyn idiom")
    args = parser.parse_args()
    from neurobridge.backends.neuron.adapter import load_mechanisms
    from neuron import h

    load_mechanisms(h)  # compiled into the cache once; both competitors use the same library
    competitors = {"neurobridge": neurobridge_neuron, "handwritten": handwritten}
    if args.idiom:
        competitors["handwritten_expsyn"] = handwritten_expsyn
    best: dict[str, dict[str, float]] = {}
    order = list(competitors.items())
    for repeat in range(args.repeat):
        # ABBA: whichever runs first after the other's teardown is measured slower (~10 %, measured),
        # so the order alternates and best-of-N sees each competitor in both places.
        for name, competitor in (order if repeat % 2 == 0 else order[::-1]):
            timing = competitor(args.size)
            for key, value in timing.items():
                best.setdefault(name, {}).setdefault(key, value)
                if key != "spikes":
                    best[name][key] = min(best[name][key], value)
    print(f"CUBA {args.size} neurons, {T:g} ms, dt {DT} ms, NEURON fixed step; best of {args.repeat}, interleaved")
    print(f"{'':20s}{'realize s':>11s}{'build s':>10s}{'run s':>9s}{'total s':>9s}"
          f"{'build cpu':>11s}{'run cpu':>9s}{'spikes':>9s}")
    for name, timing in best.items():
        print(f"{name:20s}{timing['realize']:11.3f}{timing['build']:10.3f}{timing['run']:9.3f}"
              f"{timing['total']:9.3f}{timing['build_cpu']:11.3f}{timing['run_cpu']:9.3f}{timing['spikes']:9.0f}")
    ours, theirs = best["neurobridge"], best["handwritten"]
    for kind, suffix in (("wall", ""), ("cpu", "_cpu")):
        build, run = ours["build" + suffix] / theirs["build" + suffix], ours["run" + suffix] / theirs["run" + suffix]
        both = (ours["build" + suffix] + ours["run" + suffix]) / (theirs["build" + suffix] + theirs["run" + suffix])
        print(f"ratio neurobridge / handwritten ({kind}): build {build:.2f}, run {run:.2f}, build + run {both:.2f}")
    print(f"ratio of total wall time (realization, teardown, result tables included): "
          f"{ours['total'] / theirs['total']:.2f}")


if __name__ == "__main__":
    main()
