"""What NEST itself charges for given spikes: setting their nodes and delivering their events.

Realized Poisson input reaches NEST as one node per neuron holding its train. This times, in NEST alone
(no neurobridge), the ways a hand-written script can hand ``spike_generator``s the same trains: a list of
dicts in one ``set`` with multiplicities or without, per node, as Python lists (one run each); then
``Simulate`` of neurons fed by ``spike_generator``s, by ``spike_train_injector``s (which send the trains
as neurons send spikes), by one ``count_grid_generator`` (neurobridge's compiled device holding every
train as one grid of counts, :mod:`neurobridge.backends.nest.count_grid`) and by one ``poisson_generator``
at the same rate, with a minimum delay of 1.5 ms
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


def trains(n: int, steps: int, lam: float, seed: int = 1) -> tuple[list[tuple[np.ndarray, np.ndarray]], np.ndarray]:
    """Each neuron's train as (stamps, multiplicities), and all of them as one (steps, n) grid of counts."""
    grid = np.random.default_rng(seed).poisson(lam, (steps, n)).astype(np.uint8)
    out = []
    for column in grid.T:
        fired = np.flatnonzero(column)
        out.append(((fired + 1) * 0.1, column[fired].astype(np.int64)))
    return out, grid


def grid_device(nest: object, cells: object, grid: np.ndarray) -> None:
    """One count_grid_generator sending the grid's row r in step r (stamp (r + 1) dt), as the generators."""
    from neurobridge.backends.nest import count_grid

    ids = np.arange(grid.shape[1], dtype=np.int64) + cells[0].global_id  # type: ignore[index]
    device = count_grid.create(nest, grid, 0, ids)
    nest.Connect(np.full(ids.size, device, dtype=np.int64), ids, "one_to_one",  # type: ignore[attr-defined]
                 syn_spec={"weight": np.full(ids.size, 0.1), "delay": np.full(ids.size, 1.5)})


def simulate(source: str, given: list[tuple[np.ndarray, np.ndarray]], grid: np.ndarray, rate: float,
             duration: float, min_delay: float) -> tuple[float, float]:
    """CPU seconds of building and of ``Simulate`` for neurons fed one train each by ``source``."""
    import nest
    from neurobridge.backends.nest import count_grid

    nest.ResetKernel()
    nest.resolution = 0.1
    if source == "count_grid_generator":
        count_grid.install(nest)
    began = time.process_time()
    cells = nest.Create("iaf_psc_delta", len(given), params={"V_th": 1e9})
    if source == "count_grid_generator":
        grid_device(nest, cells, grid)
    elif source == "poisson_generator":
        noise = nest.Create("poisson_generator", params={"rate": rate})
        nest.Connect(noise, cells, syn_spec={"weight": 0.1, "delay": 1.5})
    else:
        nodes = nest.Create(source, len(given), params={"allow_offgrid_times": True})
        nodes.set([{"spike_times": t, "spike_multiplicities": m} for t, m in given])
        nest.Connect(nodes, cells, "one_to_one", syn_spec={"weight": 0.1, "delay": 1.5})
    nest.Connect(cells[:1], cells[1:2], syn_spec={"weight": 0.0, "delay": min_delay})
    started = time.process_time()
    nest.Simulate(duration)
    return started - began, time.process_time() - started


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
    given, grid = trains(args.neurons, steps, args.rate_per_step)
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
    sources = ("spike_generator", "spike_train_injector", "count_grid_generator", "poisson_generator")
    best: dict[tuple[str, float], tuple[float, float]] = {}
    for _ in range(args.repeat):
        for min_delay in (1.5, 0.1):
            for source in sources:
                seconds = simulate(source, given, grid, args.rate_per_step * 1e4, args.duration, min_delay)
                before = best.get((source, min_delay), (math.inf, math.inf))
                best[source, min_delay] = (min(before[0], seconds[0]), min(before[1], seconds[1]))
    print(f"  best of {args.repeat} (CPU s)        min delay 1.5 ms: build  Simulate   0.1 ms: build  Simulate")
    for source in sources:
        (b15, s15), (b01, s01) = best[source, 1.5], best[source, 0.1]
        print(f"    {source:30s} {b15:10.2f} {s15:9.2f} {b01:14.2f} {s01:9.2f}")


if __name__ == "__main__":
    main()
