"""What NEST itself charges for given spikes: setting spike_generators and delivering their events.

Realized Poisson input reaches NEST as one ``spike_generator`` per neuron. This times, in NEST alone
(no neurobridge), the ways a hand-written script can hand them the same trains: a list of dicts in one
``set`` with multiplicities or without, per node, as Python lists; then ``Simulate`` of neurons fed by
them with and without ``allow_offgrid_times``. CPU seconds, one run each.

Usage: python benchmarks/nest_spike_generators.py [--neurons 2500] [--rate-per-step 2.0]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

os.environ.setdefault("PYNEST_QUIET", "1")


def trains(n: int, steps: int, lam: float, seed: int = 1) -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        counts = rng.poisson(lam, steps)
        fired = np.flatnonzero(counts)
        out.append(((fired + 1) * 0.1, counts[fired].astype(np.int64)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--neurons", type=int, default=2500)
    parser.add_argument("--rate-per-step", type=float, default=2.0, help="mean spikes per step and neuron")
    args = parser.parse_args()
    import nest

    nest.set_verbosity("M_ERROR")
    steps = 10000
    given = trains(args.neurons, steps, args.rate_per_step)
    events = sum(t.size for t, _ in given)
    print(f"{args.neurons} generators, {events:,} events (steps with spikes), 1 s at dt 0.1 ms")
    ways = {
        "set, list of dicts, times + multiplicities": lambda g: g.set(
            [{"spike_times": t, "spike_multiplicities": m} for t, m in given]),
        "set, list of dicts, times only": lambda g: g.set([{"spike_times": t} for t, _ in given]),
        "set per node, times + multiplicities": lambda g: [node.set(spike_times=t, spike_multiplicities=m)
                                                           for node, (t, m) in zip(g, given)],
        "set, Python lists, times + multiplicities": lambda g: g.set(
            [{"spike_times": t.tolist(), "spike_multiplicities": m.tolist()} for t, m in given]),
    }
    for label, way in ways.items():
        nest.ResetKernel()
        nest.resolution = 0.1
        generators = nest.Create("spike_generator", args.neurons, params={"allow_offgrid_times": True})
        started = time.process_time()
        way(generators)
        seconds = time.process_time() - started
        print(f"  {label:44s} {seconds:6.2f} s CPU ({1e9 * seconds / events:5.1f} ns per event)")
    for offgrid in (True, False):
        nest.ResetKernel()
        nest.resolution = 0.1
        generators = nest.Create("spike_generator", args.neurons, params={"allow_offgrid_times": offgrid})
        cells = nest.Create("iaf_psc_delta", args.neurons, params={"V_th": 1e9})
        generators.set([{"spike_times": t, "spike_multiplicities": m} for t, m in given])
        nest.Connect(generators, cells, "one_to_one", syn_spec={"weight": 0.1, "delay": 1.5})
        started = time.process_time()
        nest.Simulate(1000.0)
        seconds = time.process_time() - started
        print(f"  Simulate, allow_offgrid_times {offgrid!s:5s}                  {seconds:6.2f} s CPU "
              f"({1e9 * seconds / events:5.1f} ns per event)")
    nest.ResetKernel()
    nest.resolution = 0.1
    cells = nest.Create("iaf_psc_delta", args.neurons, params={"V_th": 1e9})
    noise = nest.Create("poisson_generator", params={"rate": args.rate_per_step * 1e4})
    nest.Connect(noise, cells, syn_spec={"weight": 0.1, "delay": 1.5})
    started = time.process_time()
    nest.Simulate(1000.0)
    seconds = time.process_time() - started
    print(f"  Simulate, one poisson_generator (same rate)           {seconds:6.2f} s CPU")


if __name__ == "__main__":
    main()
