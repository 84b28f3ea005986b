"""Brunel (2000) model A with independent Poisson drive: neurobridge against hand-written PyNEST and Brian2.

The network is NEST's ``brunel_delta_nest.py`` (model A: g = 5, eta = 2, J = 0.1 mV, D = 1.5 ms,
``iaf_psc_delta`` with C_m = 1 pF so a weight is a jump of V_m in mV): NE excitatory and NE/4
inhibitory neurons, in-degrees CE = NE/10 and CI = CE/4 (fixed in-degree), and every neuron driven
by its own Poisson train at eta * nu_thr * CE (20 kHz: two spikes per step on average).

Contenders, in one run, repeats interleaved and the fastest counted:
  * hand-written PyNEST (one ``poisson_generator`` onto all neurons, NEST's fixed_indegree rule);
  * hand-written Brian2 (in-degrees drawn with numpy, ``PoissonInput`` with N = CE; the numpy
    code-generation target, as neurobridge's Brian2 backend by default);
  * neurobridge, native (``native: true`` on the sources and projections: NEST's poisson_generator and
    rules; Brian2 a Poisson count per neuron and step with realized connections, as Brian2 has no
    fixed in-degree rule; numpy its own per-step draw) and realized (the core draws everything,
    identical spikes on every backend) on NEST, Brian2 and numpy.

Prints build and run seconds, total/hand-written ratios, rates and the share of the total a
realized run spends drawing the input spikes. A neurobridge run's "build" is every second of its call
but the simulation loop (``meta["seconds"]``: realize, lower, Brian2's plan, build, compile, read-back,
the result's tables); a hand-written script's is its build, its spikes counted untimed. On NEST a
realized drive is one ``count_grid_generator`` per pathway (:mod:`neurobridge.backends.nest.count_grid`),
built before the first round; the replay contender is what a ``spike_generator`` per train costs.

Usage: python benchmarks/brunel.py [--ne 2000] [--large] [--repeat 2] [--skip brian2-realized] [--duration 1000]
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from typing import Any

import numpy as np

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OMP_WAIT_POLICY", "passive")

import neurobridge as nb  # noqa: E402
from neurobridge.realize import source  # noqa: E402

DT, D, J, G, ETA = 0.1, 1.5, 0.1, 5.0, 2.0
TAU_M, THETA, V_RESET, T_REF = 20.0, 20.0, 10.0, 2.0
NEURON = {"C_m": 1.0, "tau_m": TAU_M, "t_ref": T_REF, "E_L": 0.0, "V_reset": V_RESET, "V_th": THETA}

Row = tuple[float, float, dict[str, float]]  # build s, run s, rates


def sizes(ne: int) -> tuple[int, int, int, int, float]:
    """NI, CE, CI and the external rate (Hz) of NE, as NEST's example computes them."""
    ni, ce = ne // 4, ne // 10
    ci = ce // 4
    nu_th = THETA / (J * ce * TAU_M)
    return ni, ce, ci, 1000.0 * ETA * nu_th * ce, nu_th


def description(ne: int, duration: float, native: bool, seed: int = 1) -> dict[str, Any]:
    ni, ce, ci, rate, _ = sizes(ne)
    neuron = {"model": "lif", "receptor": "current_delta", "params": NEURON, "initial": {"V_m": 0.0}}

    def projection(source: str, target: str, connector: Any, weight: float) -> dict[str, Any]:
        return {"source": source, "target": target, "connector": connector, "weight": weight, "delay": D,
                "native": native}

    return {
        "name": f"brunel_a_{ne}", "dt": DT, "duration": duration, "seed": seed,
        "populations": {"E": {"size": ne, **neuron}, "I": {"size": ni, **neuron},
                        "ext_E": {"size": ne, "model": "poisson", "params": {"rate": rate}, "native": native},
                        "ext_I": {"size": ni, "model": "poisson", "params": {"rate": rate}, "native": native}},
        "projections": [projection("E", "E", {"fixed_indegree": ce}, J),
                        projection("E", "I", {"fixed_indegree": ce}, J),
                        projection("I", "E", {"fixed_indegree": ci}, -G * J),
                        projection("I", "I", {"fixed_indegree": ci}, -G * J),
                        projection("ext_E", "E", "one_to_one", J), projection("ext_I", "I", "one_to_one", J)],
        "recordings": [{"population": "E"}, {"population": "I"}],
    }


def rates_of(counts: np.ndarray, ne: int, duration: float) -> dict[str, float]:
    return {"E": round(float(counts[:ne].mean()) / (duration / 1000.0), 2),
            "I": round(float(counts[ne:].mean()) / (duration / 1000.0), 2)}


def neurobridge_run(ne: int, duration: float, backend: str, native: bool) -> Row:
    network = nb.Network.from_dict(description(ne, duration, native))
    result = nb.simulate(network, backend)
    seconds = result.meta["seconds"]  # every second of the call: realize, lower, plan, build, compile, read-back
    spikes = result.spikes
    rates = {p: round(float((spikes.population == p).sum()) / network.populations[p].size / (duration / 1000.0), 2)
             for p in ("E", "I")}
    return seconds["total"] - seconds["run"], seconds["run"], rates


def drawing_seconds(ne: int, duration: float) -> float:
    """What drawing the input spikes alone costs (the realized runs include it)."""
    network = nb.Network.from_dict(description(ne, duration, native=False))
    started = time.perf_counter()
    spikes = sum(source(network, network.populations[name])[1].n_spikes for name in ("ext_E", "ext_I"))
    seconds = time.perf_counter() - started
    drawing_seconds.spikes = spikes  # type: ignore[attr-defined]
    return seconds


def realized_trains(ne: int, duration: float) -> list[dict[str, np.ndarray]]:
    """The input trains neurobridge draws for the realized network, as spike_generator parameters."""
    from neurobridge.backends.nest.translate import train_status

    network = nb.Network.from_dict(description(ne, duration, native=False))
    return [status for name in ("ext_E", "ext_I")
            for status in train_status(source(network, network.populations[name])[1], DT)]


def pynest(ne: int, duration: float, replay: bool = False) -> Row:
    """NEST's brunel_delta_nest.py, as its authors wrote it (every neuron recorded).

    ``replay``: fed the realized input instead of the poisson_generator: one spike_generator per neuron with
    the trains neurobridge draws (drawing not counted), set in one call with multiplicities, the fastest way
    NEST takes these given spikes (2.3 per event, 1.4 ms delays: benchmarks/nest_spike_generators.py). What
    NEST itself costs a realized run.
    """
    import nest

    trains = realized_trains(ne, duration) if replay else []
    nest.set_verbosity("M_ERROR")
    nest.ResetKernel()
    started = time.perf_counter()
    ni, ce, ci, rate, _ = sizes(ne)
    nest.resolution = DT
    nest.local_num_threads = 1
    nest.rng_seed = 1
    exc = nest.Create("iaf_psc_delta", ne, params={**NEURON, "V_m": 0.0})
    inh = nest.Create("iaf_psc_delta", ni, params={**NEURON, "V_m": 0.0})
    recorder = nest.Create("spike_recorder")
    nest.CopyModel("static_synapse", "excitatory", {"weight": J, "delay": D})
    nest.CopyModel("static_synapse", "inhibitory", {"weight": -G * J, "delay": D})
    if replay:
        generators = nest.Create("spike_generator", ne + ni, params={"allow_offgrid_times": True})
        generators.set(trains)
        # the spike stamped (k + 1) dt leaves in step k: one step sooner than a neuron's, as the backend
        # does (identical spikes): delay D - dt from generator to neuron
        nest.Connect(generators, exc + inh, "one_to_one", syn_spec={"weight": J, "delay": D - DT})
    else:
        noise = nest.Create("poisson_generator", params={"rate": rate})
        nest.Connect(noise, exc, syn_spec="excitatory")
        nest.Connect(noise, inh, syn_spec="excitatory")
    nest.Connect(exc + inh, recorder)
    nest.Connect(exc, exc + inh, {"rule": "fixed_indegree", "indegree": ce}, "excitatory")
    nest.Connect(inh, exc + inh, {"rule": "fixed_indegree", "indegree": ci}, "inhibitory")
    nest.Prepare()
    build = time.perf_counter() - started
    started = time.perf_counter()
    nest.Run(duration)
    run = time.perf_counter() - started
    nest.Cleanup()
    counts = np.bincount(recorder.events["senders"] - exc[0].global_id, minlength=ne + ni)
    return build, run, rates_of(counts, ne, duration)


def brian2_script(ne: int, duration: float, target: str = "numpy") -> Row:
    """The same network by hand in Brian2: numpy-drawn in-degrees, one PoissonInput of CE trains per neuron."""
    import brian2 as b2

    b2.start_scope()
    b2.prefs.codegen.target = target
    b2.defaultclock.dt = DT * b2.ms
    b2.seed(1)
    started = time.perf_counter()
    ni, ce, ci, _, nu_th = sizes(ne)
    n = ne + ni
    rng = np.random.default_rng(1)
    namespace = {"tau": TAU_M * b2.ms, "theta": THETA * b2.mV, "vr": V_RESET * b2.mV, "w_e": J * b2.mV,
                 "w_i": -G * J * b2.mV}
    group = b2.NeuronGroup(n, "dv/dt = -v/tau : volt (unless refractory)", threshold="v > theta",
                           reset="v = vr", refractory=T_REF * b2.ms, method="exact", namespace=namespace)
    synapses = []
    for first, size, degree, weight in ((0, ne, ce, "w_e"), (ne, ni, ci, "w_i")):
        syn = b2.Synapses(group, group, on_pre=f"v_post += {weight}*int(not_refractory_post)",
                          delay=D * b2.ms, namespace=namespace)
        syn.connect(i=first + rng.integers(0, size, n * degree), j=np.repeat(np.arange(n), degree))
        synapses.append(syn)
    drive = b2.PoissonInput(group, "v", ce, ETA * nu_th * 1000.0 * b2.Hz, weight="w_e*int(not_refractory)")
    monitor = b2.SpikeMonitor(group)
    net = b2.Network(group, *synapses, drive, monitor)
    net.run(0 * b2.ms)  # code objects built (and compiled, cython)
    build = time.perf_counter() - started
    started = time.perf_counter()
    net.run(duration * b2.ms)
    run = time.perf_counter() - started
    return build, run, rates_of(np.bincount(np.asarray(monitor.i), minlength=n), ne, duration)


def best(rows: list[Row]) -> Row:
    return min(rows, key=lambda r: r[0] + r[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ne", type=int, default=2000, help="excitatory neurons (CI size: 2000)")
    parser.add_argument("--large", action="store_true", help="NE 8000, the paper's size")
    parser.add_argument("--duration", type=float, default=1000.0, help="ms of biological time")
    parser.add_argument("--repeat", type=int, default=2, help="interleaved rounds; the fastest run counts")
    parser.add_argument("--skip", default="", help="comma-separated: brian2, nest, numpy, realized, "
                        "<backend>-realized")
    args = parser.parse_args()
    ne = 8000 if args.large else args.ne
    skip = set(filter(None, args.skip.split(",")))
    contenders: dict[str, Callable[[], Row]] = {}
    if "nest" not in skip:
        contenders["PyNEST hand-written"] = lambda: pynest(ne, args.duration)
    if "nest" not in skip and "realized" not in skip:
        contenders["PyNEST replaying realized input"] = lambda: pynest(ne, args.duration, replay=True)
    if "brian2" not in skip:
        contenders["Brian2 hand-written (numpy)"] = lambda: brian2_script(ne, args.duration)
    for backend in ("nest", "brian2", "numpy"):
        if backend in skip:
            continue
        for native in (True, False):
            if not native and ("realized" in skip or f"{backend}-realized" in skip):
                continue
            label = f"neurobridge {backend} {'native' if native else 'realized'}"
            contenders[label] = (lambda b=backend, n=native: neurobridge_run(ne, args.duration, b, n))
    runs: dict[str, list[Row]] = {name: [] for name in contenders}
    draws = []
    for _ in range(args.repeat):  # interleaved: each round runs every contender once
        draws.append(drawing_seconds(ne, args.duration))
        for name, function in contenders.items():
            started = time.perf_counter()
            runs[name].append(function())
            build, run, rates = runs[name][-1]
            print(f"  {name}: build {build:.2f} s, run {run:.2f} s, wall {time.perf_counter() - started:.2f} s, "
                  f"{rates}", flush=True)
    results = {name: best(rows) for name, rows in runs.items()}
    draw = min(draws)
    ni, ce, ci, rate, _ = sizes(ne)
    print(f"\nBrunel model A, NE {ne}, NI {ni}, CE {ce}, CI {ci}, Poisson drive {rate:g} Hz per neuron, "
          f"{args.duration:g} ms, dt {DT} ms, 1 thread; best of {args.repeat} interleaved")
    print(f"input spikes drawn (realized): {drawing_seconds.spikes:,} in {draw:.3f} s "  # type: ignore[attr-defined]
          f"({drawing_seconds.spikes / draw / 1e6:.1f} M spikes/s)")  # type: ignore[attr-defined]
    reference = {"nest": "PyNEST hand-written", "numpy": "PyNEST hand-written",
                 "brian2": "Brian2 hand-written (numpy)"}
    print(f"{'contender':32} {'build s':>8} {'run s':>8} {'total s':>8} {'ratio':>6}  {'vs':28} rates (Hz)")
    for name, (build, run, rates) in results.items():
        total = build + run
        parts = name.split()
        against = reference.get(parts[1], "") if parts[0] == "neurobridge" else ""
        if parts[0] == "neurobridge" and parts[2] == "realized":
            against = "PyNEST hand-written" if parts[1] in ("nest", "numpy") else against
        if name == "PyNEST replaying realized input":
            against = "PyNEST hand-written"
        ratio = f"{total / sum(results[against][:2]):6.2f}" if against in results else "      "
        print(f"{name:32} {build:8.2f} {run:8.2f} {total:8.2f} {ratio}  {against:28} {rates}")
    for name, (build, run, _) in results.items():
        if name.endswith("realized"):
            print(f"input drawing share of {name}: {draw / (build + run):.1%} (target <= 10%)")
    if "PyNEST replaying realized input" in results and "neurobridge nest realized" in results:
        replay, ours = (sum(results[k][:2]) for k in ("PyNEST replaying realized input", "neurobridge nest realized"))
        print(f"neurobridge nest realized / PyNEST replaying the same input: {ours / replay:.2f} (what NEST's "
              f"injected trains cost is the replay's ratio to the hand-written script)")
    print("targets: native <= 1.1x hand-written (NEST, Brian2); realized <= 2x hand-written PyNEST (NEST, numpy)")


if __name__ == "__main__":
    main()
