"""CUBA on pyNN.neuron (PyNN 0.13), for scale against benchmarks/neuron_cuba.py; not a project dependency.

Run it with the python of a throwaway virtualenv holding ``pyNN`` and ``neuron``:
``python -m venv /tmp/pynn-venv && /tmp/pynn-venv/bin/pip install pyNN neuron==9.0.2`` then
``/tmp/pynn-venv/bin/python benchmarks/neuron_cuba_pynn.py``. The network is CUBA as in
``conf/model/cuba.yaml`` (IF_curr_exp, 2 % connectivity drawn by PyNN, delay 0.1 ms, dt 0.1 ms,
1 s), spikes of every neuron and V_m of three recorded. Prints build and run seconds, best of N.
"""

from __future__ import annotations

import argparse
import time


def cuba(size: int) -> dict[str, float]:
    import pyNN.neuron as sim
    from pyNN.random import NumpyRNG, RandomDistribution

    started = time.perf_counter()
    sim.setup(timestep=0.1, min_delay=0.1)
    cell = sim.IF_curr_exp(cm=0.25, tau_m=20.0, v_rest=-49.0, v_thresh=-50.0, v_reset=-60.0, tau_refrac=5.0,
                           tau_syn_E=5.0, tau_syn_I=10.0, i_offset=0.0)
    n_exc = size * 4 // 5
    exc, inh = sim.Population(n_exc, cell, label="exc"), sim.Population(size - n_exc, cell, label="inh")
    for population in (exc, inh):
        population.initialize(v=RandomDistribution("uniform", (-60.0, -50.0), rng=NumpyRNG(seed=42)))
    connector = sim.FixedProbabilityConnector(0.02 * 4000 / size, rng=NumpyRNG(seed=43))
    for pre, weight, receptor in ((exc, 0.02025, "excitatory"), (inh, -0.1125, "inhibitory")):
        for post in (exc, inh):
            sim.Projection(pre, post, connector, sim.StaticSynapse(weight=weight, delay=0.1),
                           receptor_type=receptor)
    exc.record("spikes")
    inh.record("spikes")
    exc[:3].record("v")
    built = time.perf_counter()
    sim.run(1000.0)
    finished = time.perf_counter()
    spikes = sum(len(st) for p in (exc, inh) for st in p.get_data("spikes").segments[0].spiketrains)
    sim.end()
    return {"build": built - started, "run": finished - built, "spikes": float(spikes)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--size", type=int, default=4000)
    args = parser.parse_args()
    best: dict[str, float] = {}
    for _ in range(args.repeat):
        for key, value in cuba(args.size).items():
            best[key] = min(best.get(key, value), value)
    print(f"pyNN.neuron CUBA {args.size} neurons, 1000 ms: build {best['build']:.3f} s, run {best['run']:.3f} s, "
          f"{best['spikes']:.0f} spikes (best of {args.repeat})")


if __name__ == "__main__":
    main()
