"""Prototype check: the same trains through N spike_generators and through one count_grid_generator (count_grid_module.cpp, built by hand: see its header); prints spikes, identity, build and Simulate CPU s.

Usage: python benchmarks/nest_count_grid/try_count_grid.py 2500 10000 2.0   # neurons, steps, mean count per step
"""
import os, sys, time, numpy as np
os.environ["PYNEST_QUIET"]="1"
import nest
nest.set_verbosity("M_ERROR") if hasattr(nest,"set_verbosity") else None
N, steps, lam = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
rng = np.random.default_rng(1)
grid = rng.poisson(lam, (steps, N)).astype(np.uint8)
def net(kind, threads=1):
    nest.ResetKernel(); nest.resolution=0.1; nest.local_num_threads=threads
    nest.verbosity = nest.VerbosityLevel.ERROR
    if kind!="sg" and "count_grid_generator" not in nest.node_models:
        nest.Install("/tmp/cg/neurobridge_count_grid_module")
    cells = nest.Create("iaf_psc_delta", N, params={"V_th": -55.0, "t_ref": 2.0})
    t0=time.process_time()
    if kind=="sg":
        g = nest.Create("spike_generator", N, params={"allow_offgrid_times": True})
        st=[]
        for i in range(N):
            f=np.flatnonzero(grid[:,i]); st.append({"spike_times": (f+1)*0.1, "spike_multiplicities": grid[f,i].astype(np.int64)})
        g.set(st)
        nest.Connect(g, cells, "one_to_one", syn_spec={"weight": 0.1, "delay": 1.5})
    else:
        if "count_grid_generator" not in nest.node_models:
            nest.Install("/tmp/cg/neurobridge_count_grid_module")
        g = nest.Create("count_grid_generator")
        g.set({"targets": np.asarray(cells.global_id, dtype=np.int64) if N>1 else [cells.global_id], "first_step": 0,
               "counts": grid.tobytes().decode("latin-1")})
        nest.Connect(g, cells, "all_to_all", syn_spec={"weight": 0.1, "delay": 1.5})
    built=time.process_time()-t0
    rec = nest.Create("spike_recorder"); nest.Connect(cells, rec)
    t0=time.process_time(); nest.Simulate(steps*0.1); run=time.process_time()-t0
    ev=rec.get("events"); return built, run, np.asarray(ev["senders"]), np.asarray(ev["times"])
for threads in (1,2):
    a=net("sg",threads); b=net("cg",threads)
    oa=np.lexsort((a[2],a[3])); ob=np.lexsort((b[2],b[3]))
    same = a[2].size==b[2].size and np.array_equal(a[2][oa],b[2][ob]) and np.array_equal(a[3][oa],b[3][ob])
    print(f"threads {threads}: spikes {a[2].size} vs {b[2].size}, identical {same}; sg build {a[0]:.2f} run {a[1]:.2f}; grid build {b[0]:.2f} run {b[1]:.2f}")
