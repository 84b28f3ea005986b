"""CUBA (Brette et al. 2007) on the NumPy reference backend against hand-written competitors, one run.

Competitors, each timed here on the same machine in the same process:
  * a plain hand-written NumPy + CSR loop of the same network (exact integration, ring-free delay 1 step),
  * Brian2's ``numpy`` and ``cython`` targets running the classic hand-written CUBA script,
  * NEST (1 thread), when installed, with its own connection rule.
Prints build and run seconds and the ratio of each against neurobridge's NumPy backend, at 4000 neurons
and at 16,000 neurons (same in-degree) to show cost growing linearly.

Usage: python benchmarks/cuba.py [--sizes 4000 16000] [--skip brian2,nest] [--repeat 3]
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


def neurobridge_numpy(size: int) -> tuple[float, float, dict]:
    network = nb.Network.from_dict(networks.cuba(size))
    started = time.perf_counter()
    result = nb.simulate(network, backend="numpy")
    total = time.perf_counter() - started
    run = result.meta["run_seconds"]
    return total - run, run, result.rates().round(2).to_dict()


def handwritten_numpy(size: int, seed: int = 1) -> tuple[float, float, dict]:
    """The same network written by hand: flat arrays, exact propagators, CSR rows, one-step delay."""
    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    n_exc = size * 4 // 5
    p = 0.02 * 4000 / size
    n_syn = rng.binomial(size * size, p)
    flat = rng.choice(size * size, n_syn, replace=False)
    pre, post = flat // size, flat % size
    order = np.argsort(pre, kind="stable")
    pre, post = pre[order], post[order]
    weight = np.where(pre < n_exc, W_EX, W_IN)
    channel = np.where(pre < n_exc, 0, size) + post  # index into [I_ex | I_in]
    indptr = np.r_[0, np.cumsum(np.bincount(pre, minlength=size))]
    counts_all = np.diff(indptr)
    # exact propagators (tau_m != tau_syn)
    p22 = np.exp(-DT / TAU_M)
    p11e, p11i = np.exp(-DT / TAU_EX), np.exp(-DT / TAU_IN)
    p21e = TAU_EX * TAU_M / (C_M * (TAU_M - TAU_EX)) * (np.exp(-DT / TAU_M) - np.exp(-DT / TAU_EX))
    p21i = TAU_IN * TAU_M / (C_M * (TAU_M - TAU_IN)) * (np.exp(-DT / TAU_M) - np.exp(-DT / TAU_IN))
    v = rng.uniform(V_RESET, V_TH, size) - E_L
    currents = np.zeros(2 * size)
    incoming = np.zeros(2 * size)
    free_at = np.zeros(size, dtype=np.int64)
    theta, reset, ref_steps = V_TH - E_L, V_RESET - E_L, int(round(T_REF / DT))
    n_spikes = np.zeros(2)
    build = time.perf_counter() - started
    started = time.perf_counter()
    i_ex, i_in = currents[:size], currents[size:]
    for step in range(int(T / DT)):
        v = p22 * v + p21e * i_ex + p21i * i_in
        i_ex *= p11e
        i_in *= p11i
        currents += incoming  # spikes of the previous step (delay one step)
        incoming[:] = 0.0
        np.copyto(v, reset, where=free_at > step)
        spikes = np.flatnonzero(v >= theta)
        if spikes.size:
            v[spikes] = reset
            free_at[spikes] = step + 1 + ref_steps
            n_spikes += [np.sum(spikes < n_exc), np.sum(spikes >= n_exc)]
            starts, counts = indptr[spikes], counts_all[spikes]
            ends = np.cumsum(counts)
            rows = np.arange(ends[-1]) + np.repeat(starts - ends + counts, counts)
            np.add.at(incoming, channel[rows], weight[rows])
    run = time.perf_counter() - started
    rates = {"exc": n_spikes[0] / n_exc / (T / 1000), "inh": n_spikes[1] / (size - n_exc) / (T / 1000)}
    return build, run, {k: round(float(v), 2) for k, v in rates.items()}


def brian2_script(size: int, target: str) -> tuple[float, float, dict]:
    """The classic Brian2 CUBA example (Brette et al. 2007), written by hand, on one code-generation target."""
    import brian2 as b2

    b2.start_scope()
    b2.prefs.codegen.target = target
    b2.defaultclock.dt = DT * b2.ms
    started = time.perf_counter()
    n_exc = size * 4 // 5
    p = 0.02 * 4000 / size
    namespace = {
        "taum": TAU_M * b2.ms, "taue": TAU_EX * b2.ms, "taui": TAU_IN * b2.ms,
        "vt": V_TH * b2.mV, "vr": V_RESET * b2.mV, "el": E_L * b2.mV,
        "we": W_EX / C_M * TAU_M * b2.mV,  # 20.25 pA into 250 pF over tau_m 20 ms: 1.62 mV
        "wi": W_IN / C_M * TAU_M * b2.mV,  # -112.5 pA: -9 mV
    }
    eqs = """dv/dt  = (ge+gi-(v-el))/taum : volt (unless refractory)
             dge/dt = -ge/taue : volt
             dgi/dt = -gi/taui : volt"""
    group = b2.NeuronGroup(size, eqs, threshold="v>vt", reset="v = vr", refractory=T_REF * b2.ms,
                           method="exact", namespace=namespace)
    group.v = "vr + rand() * (vt - vr)"
    exc = b2.Synapses(group[:n_exc], group, on_pre="ge += we", namespace=namespace)
    inh = b2.Synapses(group[n_exc:], group, on_pre="gi += wi", namespace=namespace)
    exc.connect(p=p)
    inh.connect(p=p)
    monitor = b2.SpikeMonitor(group)
    net = b2.Network(group, exc, inh, monitor)
    net.run(0 * b2.ms)  # builds (and for cython compiles) the code objects
    build = time.perf_counter() - started
    started = time.perf_counter()
    net.run(T * b2.ms)
    run = time.perf_counter() - started
    counts = np.bincount(np.asarray(monitor.i), minlength=size)
    rates = {"exc": counts[:n_exc].mean() / (T / 1000), "inh": counts[n_exc:].mean() / (T / 1000)}
    return build, run, {k: round(float(v), 2) for k, v in rates.items()}


def nest_script(size: int) -> tuple[float, float, dict]:
    import nest

    nest.set_verbosity("M_ERROR")
    nest.ResetKernel()
    nest.resolution = DT
    nest.local_num_threads = 1
    started = time.perf_counter()
    params = {"C_m": C_M, "tau_m": TAU_M, "E_L": E_L, "V_th": V_TH, "V_reset": V_RESET, "t_ref": T_REF,
              "tau_syn_ex": TAU_EX, "tau_syn_in": TAU_IN}
    n_exc = size * 4 // 5
    neurons = nest.Create("iaf_psc_exp", size, params=params)
    neurons.V_m = nest.random.uniform(V_RESET, V_TH)
    p = 0.02 * 4000 / size
    nest.Connect(neurons[:n_exc], neurons, {"rule": "pairwise_bernoulli", "p": p},
                 {"weight": W_EX, "delay": DT})
    nest.Connect(neurons[n_exc:], neurons, {"rule": "pairwise_bernoulli", "p": p},
                 {"weight": W_IN, "delay": DT})
    recorder = nest.Create("spike_recorder")
    nest.Connect(neurons, recorder)
    nest.Prepare()
    build = time.perf_counter() - started
    started = time.perf_counter()
    nest.Run(T)
    run = time.perf_counter() - started
    nest.Cleanup()
    senders = recorder.events["senders"] - neurons[0].global_id
    counts = np.bincount(senders, minlength=size)
    rates = {"exc": counts[:n_exc].mean() / (T / 1000), "inh": counts[n_exc:].mean() / (T / 1000)}
    return build, run, {k: round(float(v), 2) for k, v in rates.items()}


def best(function, repeat: int, *args):
    runs = [function(*args) for _ in range(repeat)]
    return min(runs, key=lambda r: r[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[4000, 16000])
    parser.add_argument("--skip", default="", help="comma-separated: brian2, nest")
    parser.add_argument("--repeat", type=int, default=3, help="runs per contender; the fastest run counts")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    rows = []
    for size in args.sizes:
        contenders = [("neurobridge numpy", neurobridge_numpy), ("hand-written numpy+CSR", handwritten_numpy)]
        if "brian2" not in skip and size <= 4000:
            contenders += [("Brian2 numpy (hand-written)", lambda n: brian2_script(n, "numpy")),
                           ("Brian2 cython (hand-written)", lambda n: brian2_script(n, "cython"))]
        if "nest" not in skip:
            contenders.append(("NEST 1 thread (hand-written)", nest_script))
        results = {}
        for name, function in contenders:
            results[name] = best(function, args.repeat, size)
        ours = results["neurobridge numpy"][1]
        for name, (build, run, rates) in results.items():
            rows.append((size, name, build, run, run / ours, rates))
    print(f"\nCUBA, 1 s of biological time, dt {DT} ms; 'run' is the simulation loop; ratio = run / neurobridge")
    print(f"{'neurons':>7}  {'contender':30} {'build s':>8} {'run s':>8} {'ratio':>7}  rates (Hz)")
    for size, name, build, run, ratio, rates in rows:
        print(f"{size:>7}  {name:30} {build:8.2f} {run:8.3f} {ratio:7.2f}  {rates}")
    by_size = {size: run for size, name, _, run, _, _ in rows if name == "neurobridge numpy"}
    if len(by_size) > 1:
        sizes = sorted(by_size)
        print(f"neurobridge numpy: {sizes[-1] // sizes[0]}x the neurons costs "
              f"{by_size[sizes[-1]] / by_size[sizes[0]]:.2f}x the run time")
    hand = {size: run for size, name, _, run, _, _ in rows if name.startswith("hand-written")}
    for size in by_size:
        print(f"{size} neurons: neurobridge / hand-written numpy = {by_size[size] / hand[size]:.2f} (target <= 1.5)")


if __name__ == "__main__":
    main()
