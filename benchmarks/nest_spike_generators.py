"""What NEST itself charges for given spikes: setting their nodes and delivering their events.

Realized Poisson input reaches NEST as one node per neuron holding its train. This times, in NEST alone
(no neurobridge), the ways a hand-written script can hand ``spike_generator``s the same trains: a list of
dicts in one ``set`` with multiplicities or without, per node, as Python lists (one run each); then
``Simulate`` of neurons fed by ``spike_generator``s, by ``spike_train_injector``s (which send the trains
as neurons send spikes) and by one ``poisson_generator`` at the same rate, with a minimum delay of 1.5 ms
(Brunel's) and of 0.1 ms (the microcircuit's: one more connection between two of the neurons), best CPU
seconds of ``--repeat`` interleaved rounds.

Usage: python benchmarks/nest_spike_generators.py [--neurons 2500] [--rate-per-step 2.0] [--duration 1000]
       python benchmarks/nest_spike_generators.py --neurons 7713 --rate-per-step 0.18 --duration 300  # microcircuit 0.1
"""

from __future__ import annotations

import argparse
import math
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


def simulate(source: str, given: list[tuple[np.ndarray, np.ndarray]], rate: float, duration: float,
             min_delay: float) -> float:
    """CPU seconds of ``Simulate`` for neurons fed one train each by ``source``."""
    import nest

    nest.ResetKernel()
    nest.resolution = 0.1
    cells = nest.Create("iaf_psc_delta", len(given), params={"V_th": 1e9})
    if source == "poisson_generator":
        noise = nest.Create("poisson_generator", params={"rate": rate})
        nest.Connect(noise, cells, syn_spec={"weight": 0.1, "delay": 1.5})
    else:
        nodes = nest.Create(source, len(given), params={"allow_offgrid_times": True})
        nodes.set([{"spike_times": t, "spike_multiplicities": m} for t, m in given])
        nest.Connect(nodes, cells, "one_to_one", syn_spec={"weight": 0.1, "delay": 1.5})
    nest.Connect(cells[:1], cells[1:2], syn_spec={"weight": 0.0, "delay": min_delay})
    started = time.process_time()
    nest.Simulate(duration)
    return time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--neurons", type=int, default=2500)
    parser.add_argument("--rate-per-step", type=float, default=2.0, help="mean spikes per step and neuron")
    parser.add_argument("--duration", type=float, default=1000.0, help="ms")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    import nest

    nest.set_verbosity("M_ERROR")
    steps = int(round(args.duration / 0.1))
    given = trains(args.neurons, steps, args.rate_per_step)
    events = sum(t.size for t, _ in given)
    print(f"{args.neurons} trains, {events:,} events (steps with spikes), {args.duration:g} ms at dt 0.1 ms")
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
    sources = ("spike_generator", "spike_train_injector", "poisson_generator")
    best: dict[tuple[str, float], float] = {}
    for _ in range(args.repeat):
        for min_delay in (1.5, 0.1):
            for source in sources:
                seconds = simulate(source, given, args.rate_per_step * 1e4, args.duration, min_delay)
                best[source, min_delay] = min(best.get((source, min_delay), math.inf), seconds)
    print(f"  Simulate, best of {args.repeat} (CPU s)     min delay 1.5 ms   min delay 0.1 ms")
    for source in sources:
        print(f"    {source:30s} {best[source, 1.5]:10.2f} {best[source, 0.1]:18.2f}")


if __name__ == "__main__":
    main()
