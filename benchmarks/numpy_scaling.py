"""The NumPy engine's step loop against a hand-written NumPy LIF loop of the same network, at growing sizes.

    python benchmarks/numpy_scaling.py [--sizes 64000,256000] [--duration 200] [--repeat 2]

CUBA (conf/model/cuba.yaml) scaled at a constant in-degree of 80 (as ``benchmarks/cuba.py``). For each
size, in one process and interleaved, ``--repeat`` times: neurobridge's numpy backend (its ``run_cpu_seconds``
in ``meta``: the step loop alone) and a hand-written loop (flat arrays, exact propagators, CSR rows,
``np.add.at`` delivery, one-step delay, three neurons' V_m recorded). Prints the best CPU time per neuron
and step (ns) of each and their ratio. CPU time, not wall time: the machine is shared. Linear scaling shows
as a constant ns per neuron-step.
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

C_M, TAU_M, E_L, V_TH, V_RESET, T_REF = 250.0, 20.0, -49.0, -50.0, -60.0, 5.0
TAU_EX, TAU_IN, W_EX, W_IN, DT = 5.0, 10.0, 20.25, -112.5, 0.1


def neurobridge_numpy(size: int, duration: float) -> tuple[float, float, int]:
    """The step loop's CPU and wall seconds (an older engine without ``run_cpu_seconds``: wall twice)."""
    result = nb.simulate(nb.Network.from_dict(networks.cuba(size, duration)), backend="numpy")
    wall = result.meta["run_seconds"]
    return result.meta.get("run_cpu_seconds", wall), wall, len(result.spikes)


def handwritten(size: int, duration: float, seed: int = 1) -> tuple[float, float, int]:
    """CUBA by hand: the step loop's CPU and wall seconds and the spike count."""
    rng = np.random.default_rng(seed)
    n_exc = size * 4 // 5
    n_syn = rng.binomial(size * size, 80 / size)
    flat = np.unique(rng.integers(0, size * size, n_syn))  # sorted; the few repeats dropped
    pre, post = (flat // size).astype(np.int32), (flat % size).astype(np.int32)
    channel_post = np.where(pre < n_exc, 0, size).astype(np.int32) + post  # index into [I_ex | I_in]
    indptr = np.r_[0, np.cumsum(np.bincount(pre, minlength=size))]
    weight = np.where(pre < n_exc, W_EX, W_IN)
    p22 = np.exp(-DT / TAU_M)
    p11e, p11i = np.exp(-DT / TAU_EX), np.exp(-DT / TAU_IN)
    p21e = TAU_EX * TAU_M / (C_M * (TAU_M - TAU_EX)) * (np.exp(-DT / TAU_M) - np.exp(-DT / TAU_EX))
    p21i = TAU_IN * TAU_M / (C_M * (TAU_M - TAU_IN)) * (np.exp(-DT / TAU_M) - np.exp(-DT / TAU_IN))
    v = rng.uniform(V_RESET, V_TH, size) - E_L
    currents, incoming, scratch = np.zeros(2 * size), np.zeros(2 * size), np.empty(size)
    i_ex, i_in = currents[:size], currents[size:]
    free_at = np.zeros(size, dtype=np.int64)
    theta, reset, ref_steps = V_TH - E_L, V_RESET - E_L, int(round(T_REF / DT))
    n_steps = int(round(duration / DT))
    recorded = np.empty((n_steps, 3))
    count = 0
    started, started_wall = time.process_time(), time.perf_counter()
    for step in range(n_steps):
        v *= p22
        np.multiply(i_ex, p21e, out=scratch)
        v += scratch
        np.multiply(i_in, p21i, out=scratch)
        v += scratch
        i_ex *= p11e
        i_in *= p11i
        currents += incoming  # spikes of the previous step (delay one step)
        incoming[:] = 0.0
        np.copyto(v, reset, where=free_at > step)
        spikes = np.flatnonzero(v >= theta)
        if spikes.size:
            v[spikes] = reset
            free_at[spikes] = step + 1 + ref_steps
            starts, ends = indptr[spikes], indptr[spikes + 1]
            lengths = ends - starts
            index = np.arange(lengths.sum()) + np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
            np.add.at(incoming, channel_post[index], weight[index])
            count += spikes.size
        recorded[step] = v[:3] + E_L
    return time.process_time() - started, time.perf_counter() - started_wall, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="64000,256000")
    parser.add_argument("--duration", type=float, default=200.0)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    n_steps = int(round(args.duration / DT))
    print(f"neurobridge from {Path(nb.__file__).parent.parent}; CUBA, in-degree 80, {args.duration:g} ms "
          f"({n_steps} steps); best of {args.repeat}; ns per neuron-step, CPU (wall)")
    print(f"{'neurons':>8s} {'neurobridge':>16s} {'hand-written':>16s} {'ratio':>6s}  spikes (nb / hand)")
    for size in (int(s) for s in args.sizes.split(",")):
        ours, theirs = [], []
        for _ in range(args.repeat):  # interleaved, so load changes hit both alike
            ours.append(neurobridge_numpy(size, args.duration))
            theirs.append(handwritten(size, args.duration))
        scale = 1e9 / (size * n_steps)
        cpu_ours, wall_ours = (min(r[i] for r in ours) * scale for i in (0, 1))
        cpu_theirs, wall_theirs = (min(r[i] for r in theirs) * scale for i in (0, 1))
        print(f"{size:8d} {cpu_ours:7.2f} ({wall_ours:6.2f}) {cpu_theirs:7.2f} ({wall_theirs:6.2f}) "
              f"{cpu_ours / cpu_theirs:6.2f}  {ours[0][2]} / {theirs[0][2]}")


if __name__ == "__main__":
    main()
