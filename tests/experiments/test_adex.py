"""The ELIF / AdEx report in physical units: the parameter pairs and the f-I curves."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
from neurobridge.experiments import adex

from neurobridge.cli import main

from . import job, measure, run

PAIRS = "[delta_t,delta_t_threshold,theta_rh,theta_r,b,tau_w,a]"


@pytest.fixture(scope="module")
def traces():
    prepared, results = run("experiment=adex_traces", f"experiment.params.select={PAIRS}")
    return prepared, results, measure(prepared, results)


@pytest.fixture(scope="module")
def fi():
    prepared, results = run("experiment=adex_fi", "experiment.params.elif.duration=1000",
                            "experiment.params.adex.duration=1000")
    return prepared, results, measure(prepared, results)


def test_mapping_gives_the_reports_time_constant_and_elif_has_no_adaptation():
    prepared = job("experiment=adex_traces")
    elif_params = prepared.networks["elif"].populations["neuron"].parameters()
    assert elif_params["C_m"] / elif_params["g_L"] == pytest.approx(100.0)  # R C = 10 MOhm x 10 nF
    assert set(elif_params["a"]) == {0.0} and set(elif_params["b"]) == {0.0}


def test_each_variant_is_one_population():
    networks = job("experiment=adex_traces").networks
    assert set(networks) == {"elif", "adex"}
    assert all(list(n.populations) == ["neuron"] for n in networks.values())
    assert networks["elif"].populations["neuron"].size == 12


def test_only_the_larger_delta_t_fires_at_the_lower_threshold(traces):
    _, _, metrics = traces
    assert metrics["elif.delta_t_threshold.Delta_T=1.n_spikes"] == 0
    assert metrics["elif.delta_t_threshold.Delta_T=20.n_spikes"] > 0
    assert metrics["elif.delta_t.Delta_T=1.n_spikes"] == 0  # theta_rh = -40 mV: at most at rheobase


def test_lower_theta_rh_and_lower_cut_off_fire_more(traces):
    _, _, metrics = traces
    assert metrics["elif.theta_rh.V_th=-60.n_spikes"] > metrics["elif.theta_rh.V_th=-50.n_spikes"]
    assert metrics["elif.theta_r.V_peak=-20.n_spikes"] > metrics["elif.theta_r.V_peak=20.n_spikes"]


def test_larger_b_or_tau_w_gives_fewer_spikes(traces):
    _, _, metrics = traces
    assert metrics["adex.b.b=500.n_spikes"] < metrics["adex.b.b=200.n_spikes"]
    assert metrics["adex.tau_w.tau_w=500.n_spikes"] < metrics["adex.tau_w.tau_w=100.n_spikes"]


def test_larger_a_holds_the_membrane_lower(traces):
    _, results, _ = traces
    layout = adex.layouts(job("experiment=adex_traces", f"experiment.params.select={PAIRS}").setup)["adex"]
    low, high = layout.panel("a")
    states = results["adex"].states
    late = states[(states.variable == "V_m") & (states.time_ms > 1500.0)]
    assert late[late.neuron == high].value.mean() < late[late.neuron == low].value.mean() - 2.0


def test_f_i_curves_are_monotone(fi):
    _, _, metrics = fi
    curves = [k for k in metrics if k.endswith("non_monotonicities")]
    assert len(curves) == 5
    assert all(metrics[k] == 0 for k in curves)


def test_larger_delta_t_fires_at_lower_current(fi):
    _, _, metrics = fi
    assert metrics["elif.elif_fi.Delta_T=20.rheobase_pa"] < metrics["elif.elif_fi.Delta_T=1.rheobase_pa"]


def test_adaptation_lowers_the_f_i_curve(fi):
    prepared, results, _ = fi
    layout = adex.layouts(prepared.setup)["adex"]
    rates = adex.step_rates(results["adex"], prepared.setup)
    by_label = {label: rates[[i for i, c in enumerate(layout.cells) if c.label == label]]
                for label in dict.fromkeys(c.label for c in layout.cells)}
    reference = by_label["b=500, tau_w=100"]
    assert np.all(reference <= by_label["b=200, tau_w=100"]) and reference.sum() < by_label["b=200, tau_w=100"].sum()
    assert np.all(by_label["b=500, tau_w=500"] <= reference) and by_label["b=500, tau_w=500"].sum() < reference.sum()


def test_figures_have_units_and_legends(traces, fi):
    for (prepared, results, _), name in ((traces, "traces"), (fi, "fi")):
        figure = prepared.experiment.plot_function(name)(results, prepared.setup)
        labelled = [ax for ax in figure.axes if ax.get_xlabel()]
        assert labelled and all("(" in ax.get_xlabel() and "(" in ax.get_ylabel() for ax in labelled)
        assert all(ax.get_legend() is not None for ax in figure.axes if ax.get_title())
        plt.close(figure)


@pytest.mark.slow
@pytest.mark.requires_nest
@pytest.mark.requires_brian2
@pytest.mark.parametrize("config, overrides", [
    ("adex_traces", ["experiment.params.select=[delta_t_threshold,theta_r,random,b,adex_random]",
                     "experiment.params.elif.duration=600", "experiment.params.adex.duration=600"]),
    ("adex_fi", ["experiment.params.elif.duration=600", "experiment.params.adex.duration=600"]),
])
def test_validate_across_backends(config, overrides, tmp_path):
    assert main(["validate", f"experiment={config}", *overrides, f"hydra.sweep.dir={tmp_path}"]) == 0
