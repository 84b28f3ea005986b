"""The Izhikevich models NEST gets from NESTML: held to the NumPy reference, and their build and cache.

Truth comes from the reference backend (spike for spike, every state within 1e-6) and from NEST's
own ``izhikevich`` (the same membrane and generator timing). Tests that need the module are
``slow``: the first one on a machine builds it (about a minute, plus a minute for the side
environment), later ones load it from the cache. They skip when the build tools are missing,
except in CI, where ``make test`` installs them and a missing tool must fail.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from neurobridge.backends.nest import nestml
from neurobridge.backends.nest.nestml import build as nestml_build

import neurobridge as nb
from neurobridge import buildcache, catalog
from neurobridge.cli import model_path
from neurobridge.errors import UnsupportedModelError
from neurobridge.registry import check_supported

from .. import networks

pytestmark = pytest.mark.requires_nest

RECEPTORS = sorted(pair[1] for pair in nestml.MODEL_NAMES)
_MISSING = nestml.toolchain_problem()


def needs_build(test: Callable[..., None]) -> Callable[..., None]:
    """``slow`` (the first such test on a machine builds the module); skipped without the build tools,
    except in CI."""
    skip = pytest.mark.skipif(bool(_MISSING) and not os.environ.get("CI"),
                              reason=f"cannot build the NESTML module: {_MISSING}")
    return skip(pytest.mark.slow(test))


def _nest() -> Any:
    from neurobridge.backends.nest.adapter import _import_nest

    return _import_nest(verbose=False)


def _agree(data: dict[str, Any]) -> tuple[nb.Result, nb.Result]:
    """Run ``data`` on NEST and the reference; assert identical spikes and states within 1e-6."""
    mine, reference = nb.simulate(data, backend="nest"), nb.simulate(data, backend="numpy")
    pd.testing.assert_frame_equal(mine.spikes, reference.spikes, check_exact=False, atol=1e-9)
    pd.testing.assert_frame_equal(mine.states.drop(columns="value"), reference.states.drop(columns="value"),
                                  check_exact=False, atol=1e-9)
    np.testing.assert_allclose(mine.states.value, reference.states.value, rtol=0, atol=1e-6)
    return mine, reference


# -- against the reference ----------------------------------------------------------------------

@needs_build
@pytest.mark.parametrize("dt", [0.1, 0.5])
@pytest.mark.parametrize("receptor", RECEPTORS)
def test_single_neuron_agrees_with_reference(receptor: str, dt: float) -> None:
    """Excitatory and inhibitory spike trains and a step current: every spike and every state."""
    mine, _ = _agree(networks.izhikevich_single(receptor, dt=dt))
    assert len(mine.spikes) > 10
    synaptic = mine.trace("neuron", catalog.state_variables("izhikevich", receptor)[2])  # the inhibitory one
    assert synaptic.abs().max() > 0.1  # the inhibitory train reached its channel


@needs_build
@pytest.mark.parametrize("receptor", RECEPTORS)
def test_feedforward_layer_agrees_with_reference(receptor: str) -> None:
    mine, _ = _agree(networks.izhikevich_feedforward(receptor))
    assert len(mine.spikes) > 1000


@needs_build
@pytest.mark.parametrize("receptor", RECEPTORS)
def test_recurrent_network_agrees_with_reference(receptor: str) -> None:
    mine, _ = _agree(networks.izhikevich_recurrent(receptor))
    assert mine.rates()[["exc", "inh"]].between(2.0, 100.0).all()


@needs_build
def test_seed_exercise_izhikevich_recurrent_is_spike_for_spike() -> None:
    """conf/model/izhikevich_recurrent.yaml: 1000 neurons, conductance synapses, dt 0.5 (3959 spikes from
    seed 5; 4383 before the counts-per-step Poisson draw)."""
    network = nb.load(str(model_path("izhikevich_recurrent")))
    mine, reference = nb.simulate(network, backend="nest"), nb.simulate(network, backend="numpy")
    counts = {p: int((mine.spikes.population == p).sum()) for p in ("exc", "inh")}
    assert counts == {p: int((reference.spikes.population == p).sum()) for p in ("exc", "inh")}
    assert sum(counts.values()) == 3959
    pd.testing.assert_frame_equal(mine.spikes, reference.spikes, check_exact=False, atol=1e-9)
    np.testing.assert_allclose(mine.states.value, reference.states.value, rtol=0, atol=1e-6)


@needs_build
def test_threads_do_not_change_the_generated_models() -> None:
    data = networks.izhikevich_recurrent("conductance_exp")
    one, two = nb.simulate(data, backend="nest"), nb.simulate(data, backend="nest", threads=2)
    pd.testing.assert_frame_equal(one.spikes, two.spikes)


@needs_build
def test_membrane_and_generator_timing_are_nests_own_izhikevich() -> None:
    """With no synaptic input the generated model is NEST's izhikevich (to rounding: the generated
    right-hand side adds its terms in another order): a step current switched on at 50 ms first
    moves V_m at 50.2 ms, acting from step T/dt + 1 as on NEST's built-in models."""
    populations = {receptor: {"size": 1, "model": "izhikevich", "receptor": receptor}
                   for receptor in ["current_delta", *RECEPTORS]}
    data = {"dt": 0.1, "duration": 100.0, "populations": populations,
            "stimuli": [{"target": name, "kind": "step", "times": [50.0], "amplitudes": [10.0]}
                        for name in populations],
            "recordings": [{"population": name, "variables": ["V_m", "U_m"]} for name in populations]}
    result = nb.simulate(data, backend="nest")
    still = nb.simulate({**data, "stimuli": []}, backend="nest")
    builtin = result.trace("current_delta", "V_m")
    for receptor in RECEPTORS:
        for variable in ("V_m", "U_m"):
            np.testing.assert_allclose(result.trace(receptor, variable), result.trace("current_delta", variable),
                                       rtol=0, atol=1e-9)  # the same Euler step; sums in another order
        moved = result.trace(receptor, "V_m") != still.trace(receptor, "V_m")
        assert moved.idxmax() == pytest.approx(50.2)
    assert builtin.iloc[-1] != still.trace("current_delta", "V_m").iloc[-1]


@needs_build
@pytest.mark.parametrize("pair", sorted(nestml.MODEL_NAMES))
def test_generated_models_have_the_catalogs_names_and_defaults(pair: tuple[str, str]) -> None:
    """Parameters and recordables under neurobridge's (NEST's) names; defaults are the catalog's."""
    from neurobridge.backends.nest.translate import MODELS

    nest = _nest()
    nest.ResetKernel()
    nestml.install(nest)
    model = MODELS[pair]
    defaults = nest.GetDefaults(model.name)
    for name, value in catalog.parameter_defaults(*pair).items():
        assert defaults[name] == pytest.approx(value), name
    assert set(catalog.state_variables(*pair)) <= set(defaults["recordables"])
    values = np.array([-70.0, 0.0, 2.5])
    for translation in (*model.parameters, *model.states):
        np.testing.assert_array_equal(translation.reverse(translation.forward(values)), values)


@needs_build
def test_install_again_after_every_reset() -> None:
    nest = _nest()
    nest.ResetKernel()
    assert "izhikevich_psc_exp_neurobridge" not in nest.node_models
    nestml.install(nest)
    assert set(nestml.MODEL_NAMES.values()) <= set(nest.node_models)
    nestml.install(nest)  # present: nothing to do
    first = nb.simulate(networks.izhikevich_single("current_alpha"), backend="nest")
    again = nb.simulate(networks.izhikevich_single("current_alpha"), backend="nest")  # its own ResetKernel
    pd.testing.assert_frame_equal(first.states, again.states)


# -- the build and its cache --------------------------------------------------------------------

@needs_build
def test_second_ensure_module_is_a_cache_hit() -> None:
    nestml.build_module(progress=None)  # built now or before
    hit = nestml.build_module(progress=None)
    assert not hit.built_now
    library = Path(nestml.ensure_module(progress=None) + ".so")
    assert library.is_file() and library.parent.parent == hit.path
    record = json.loads((hit.path / "build.json").read_text())
    assert record["solver"] == "forward-Euler" and "-D_GLIBCXX_USE_CXX11_ABI=0" in record["flags"]
    assert sorted(record["models"]) == sorted(nestml.MODEL_NAMES.values())


@needs_build
def test_broken_model_fails_with_stage_and_log_and_is_remembered(tmp_path: Path) -> None:
    sources = tmp_path / "models"
    shutil.copytree(nestml_build.SOURCES, sources)
    broken = sources / "izhikevich_psc_exp_neurobridge.nestml"
    broken.write_text(broken.read_text().replace("U_m' = a *", "U_m' = no_such_rate *"))
    key = nestml_build.module_key(sources)
    record = buildcache.failure_record(nestml_build.KIND, key)
    record.unlink(missing_ok=True)
    try:
        with pytest.raises(buildcache.BuildError) as first:
            nestml.build_module(sources, progress=None)
        message = str(first.value)
        assert message.startswith("NESTML module from izhikevich_cond_alpha_neurobridge.nestml, ")
        assert "the generate stage failed (log: " in message
        log = Path(json.loads(record.read_text())["log"])
        assert "no_such_rate" in log.read_text() and "izhikevich_psc_exp_neurobridge" in log.read_text()
        with pytest.raises(buildcache.BuildError) as again:  # remembered: no second build
            nestml.build_module(sources, progress=None)
        assert "the generate stage failed before" in str(again.value) and f"remove {record}" in str(again.value)
    finally:
        for path in record.parent.glob(f"{key}*"):
            path.unlink() if path.is_file() else shutil.rmtree(path)


def test_the_key_follows_the_sources(tmp_path: Path) -> None:
    sources = tmp_path / "models"
    shutil.copytree(nestml_build.SOURCES, sources)
    assert nestml_build.module_key(sources) == nestml_build.module_key()
    changed = sources / "izhikevich_cond_exp_neurobridge.nestml"
    changed.write_text(changed.read_text() + "\n")
    assert nestml_build.module_key(sources) != nestml_build.module_key()


def test_solver_check_refuses_anything_but_forward_euler(tmp_path: Path) -> None:
    euler = "S_.ode_state[i] += __timestep * f[i];\n// analytic solver: integrating state variables I_syn_ex"
    (tmp_path / "euler.cpp").write_text(euler)
    (tmp_path / "rk45.cpp").write_text("status = gsl_odeiv_evolve_apply(B_.__e, B_.__c, B_.__s, ...);")
    (tmp_path / "numeric_synapses.cpp").write_text("S_.ode_state[i] += __timestep * f[i];")
    nestml_build.check_solver(tmp_path, ["euler"])
    with pytest.raises(buildcache.BuildStageError) as error:
        nestml_build.check_solver(tmp_path, ["euler", "rk45", "numeric_synapses"])
    assert error.value.stage == "solver-check"
    assert error.value.log.splitlines() == [
        "rk45: the update calls gsl_odeiv_evolve_apply (GSL's adaptive rk45), not forward Euler",
        "rk45: no forward-Euler step (S_.ode_state[i] += __timestep * f[i]) in the update",
        "rk45: the synaptic variables are not propagated analytically",
        "numeric_synapses: the synaptic variables are not propagated analytically"]


def test_nest_config_reports_the_wheels_headers_and_abi(tmp_path: Path) -> None:
    script = nestml_build.write_nest_config(tmp_path)

    def ask(option: str) -> str:
        return subprocess.run([str(script), option], capture_output=True, text=True, check=True).stdout.strip()

    include = Path(ask("--includes").removeprefix("-I"))
    assert (include / "config.h").is_file() and include.parts[-3:] == ("nest", "include", "nest")
    assert "-D_GLIBCXX_USE_CXX11_ABI=0" in ask("--cflags").split()
    assert Path(ask("--compiler")).is_file() and ask("--libs") == "" and ask("--static-libraries") == "OFF"
    assert ask("--version") == nestml_build.nest_version()


# -- refusals -----------------------------------------------------------------------------------

_CHECK = """import neurobridge as nb
from neurobridge.backends.nest import NestBackend
from neurobridge.registry import check_supported
print(sorted(p[1] for p in NestBackend.capabilities.pairs if p[0] == "izhikevich"))
network = nb.Network.from_dict({"populations": {"izh": {"size": 2, "model": "izhikevich", "receptor": "current_exp"}}})
try:
    check_supported(network, "nest")
except Exception as error:
    print(type(error).__name__, error)
"""


def test_without_cmake_the_pairs_are_refused_naming_what_is_missing(without_cmake: dict[str, str]) -> None:
    out = subprocess.run([sys.executable, "-c", _CHECK], capture_output=True, text=True, env=without_cmake,
                         check=True, timeout=120)
    offered, refusal = out.stdout.strip().splitlines()
    assert offered == "['current_delta']"
    assert refusal == (
        "UnsupportedModelError populations.izh: izhikevich×current_exp on NEST needs a NESTML-built module: "
        "cmake is not installed (apt-get install cmake). Supported by: numpy, brian2, neuron.")


def test_a_failed_build_is_refused_at_validation(monkeypatch: pytest.MonkeyPatch) -> None:
    if _MISSING:
        pytest.skip(f"the pairs are refused before any build: {_MISSING}")

    def failing(*args: Any, **kwargs: Any) -> buildcache.Built:
        raise buildcache.BuildError("NESTML module for ...: the compile stage failed (log: /cache/x.log): error")

    monkeypatch.setattr(nestml_build, "build_module", failing)
    network = nb.Network.from_dict({"populations": {"izh": {"size": 2, "model": "izhikevich",
                                                            "receptor": "conductance_alpha"}}})
    with pytest.raises(UnsupportedModelError) as error:
        check_supported(network, "nest")
    assert str(error.value) == (
        "populations.izh: izhikevich×conductance_alpha on NEST needs a NESTML-built module: NESTML module for "
        "...: the compile stage failed (log: /cache/x.log): error")


def test_the_backend_table_prints_without_building(tmp_path: Path) -> None:
    environment = {**os.environ, "NEUROBRIDGE_CACHE": str(tmp_path / "cache")}
    out = subprocess.run([sys.executable, "-m", "neurobridge.cli", "backends"], capture_output=True, text=True,
                         env=environment, check=True, timeout=120)
    row = next(line for line in out.stdout.splitlines() if "izhikevich×conductance_exp" in line)
    assert row.split()[-1] == ("-" if _MISSING else "yes")  # the nest column
    assert not (tmp_path / "cache").exists()
