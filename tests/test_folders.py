"""Result folders that cannot lie: whole-folder saves, one writer at a time, killed writes cleaned up,
damaged files named."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest

import neurobridge as nb
from neurobridge import folders
from neurobridge.app.layout import compare_folder
from neurobridge.errors import CorruptFileError, FolderInUseError, FolderNotEmptyError, OutputWriteError
from neurobridge.gather import find_runs

NET = {"name": "tiny", "dt": 0.1, "duration": 50.0, "seed": 3, "populations": {
    "n": {"size": 4, "model": "lif", "params": {"I_e": {"linspace": [400.0, 600.0]}}}},
    "recordings": [{"population": "n", "variables": ["spikes", "V_m"], "neurons": [0, 3]}]}


@pytest.fixture(scope="module")
def result() -> nb.Result:
    return nb.simulate(NET)


@pytest.fixture(scope="module")
def other() -> nb.Result:
    return nb.simulate({**NET, "seed": 4, "populations": {"n": {"size": 4, "model": "lif",
                                                                 "params": {"I_e": 700.0}}}})


def _python(code: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


# ---------------------------------------------------------------------------------------- whole folders

def test_save_refuses_a_non_empty_folder_unless_overwrite(result: nb.Result, other: nb.Result, tmp_path: Path) -> None:
    result.save(tmp_path / "run")
    with pytest.raises(FolderNotEmptyError) as raised:
        other.save(tmp_path / "run")
    assert str(raised.value) == (f"{tmp_path / 'run'} is not empty (it holds meta.json, spikes.parquet, "
                                 f"states.parquet): pass overwrite=True to replace it.")
    other.save(tmp_path / "run", overwrite=True)
    assert nb.load_result(tmp_path / "run").meta["seed"] == 4
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]  # no staging, no lock left


def test_save_into_an_empty_folder_and_refuse_a_file(result: nb.Result, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result.save(tmp_path / "empty")
    assert nb.load_result(tmp_path / "empty").meta["seed"] == 3
    (tmp_path / "file").write_text("x")
    with pytest.raises(FolderNotEmptyError, match=f"^{tmp_path / 'file'} is a file, not a folder.$"):
        result.save(tmp_path / "file", overwrite=True)


def test_an_overwrite_that_fails_midway_leaves_the_old_folder_whole(result: nb.Result, other: nb.Result,
                                                                    tmp_path: Path, monkeypatch) -> None:
    """The fault strikes when meta.json is moved; the folder still holds the old result, all of it."""
    result.save(tmp_path / "run")
    replace = os.replace

    def failing(source, target):
        if str(target).endswith("meta.json"):
            raise OSError(28, "No space left on device")
        return replace(source, target)

    monkeypatch.setattr(os, "replace", failing)
    with pytest.raises(OutputWriteError, match="could not write .*meta.json: No space left on device"):
        other.save(tmp_path / "run", overwrite=True)
    monkeypatch.undo()
    loaded = nb.load_result(tmp_path / "run")
    assert loaded.meta["seed"] == 3
    pd.testing.assert_frame_equal(loaded.spikes, result.spikes, check_dtype=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_a_failed_first_save_leaves_no_folder(result: nb.Result, tmp_path: Path, monkeypatch) -> None:
    def fail(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", fail)
    with pytest.raises(OutputWriteError, match=r"could not write .*spikes.parquet: No space left on device"):
        result.save(tmp_path / "run")
    assert list(tmp_path.iterdir()) == []


KILLED_SAVE = """
    import os, signal, sys
    import pandas as pd
    import neurobridge as nb
    result = nb.simulate({network!r})
    writes = pd.DataFrame.to_parquet
    def die(self, path, **kwargs):
        if "states" in str(path):
            os.kill(os.getpid(), signal.SIGKILL)
        return writes(self, path, **kwargs)
    pd.DataFrame.to_parquet = die
    result.save(sys.argv[1] if len(sys.argv) > 1 else {target!r}, overwrite=True)
"""


def test_a_killed_save_leaves_no_folder_and_the_next_save_cleans_up(result: nb.Result, tmp_path: Path) -> None:
    target = tmp_path / "run"
    done = _python(KILLED_SAVE.format(network=NET, target=str(target)))
    done.wait(timeout=120)
    assert done.returncode == -signal.SIGKILL
    assert not target.exists()
    leftovers = [p.name for p in tmp_path.iterdir()]
    assert any(name.startswith(f".run.staging-{done.pid}-") for name in leftovers), leftovers
    with pytest.raises(nb.InvalidValueError, match="No neurobridge results"):
        compare_folder(tmp_path, report=False)  # readers skip the staging folder
    result.save(target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_a_killed_overwrite_keeps_the_old_folder(result: nb.Result, tmp_path: Path) -> None:
    target = result.save(tmp_path / "run")
    before = {p.name: p.read_bytes() for p in target.iterdir()}
    done = _python(KILLED_SAVE.format(network={**NET, "seed": 9}, target=str(target)))
    done.wait(timeout=120)
    assert done.returncode == -signal.SIGKILL
    assert {p.name: p.read_bytes() for p in target.iterdir()} == before
    assert [r.result.meta["seed"] for r in find_runs(tmp_path)] == [3]


def test_a_folder_whose_overwrite_was_killed_between_the_renames_is_put_back(tmp_path: Path) -> None:
    dead = _python("pass")
    dead.wait()
    (tmp_path / f".run.replaced-{dead.pid}-abcd").mkdir()
    (tmp_path / f".run.replaced-{dead.pid}-abcd" / "meta.json").write_text("{}")
    (tmp_path / f".run.staging-{dead.pid}-efgh").mkdir()
    folders.remove_stale(tmp_path / "run")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]
    assert (tmp_path / "run" / "meta.json").read_text() == "{}"


# ------------------------------------------------------------------------------------ one writer

HOLD_LOCK = """
    import sys, time
    from neurobridge.folders import folder_lock
    with folder_lock(sys.argv[1] if len(sys.argv) > 1 else {target!r}):
        print("locked", flush=True)
        time.sleep(120)
"""


def test_a_second_writer_is_refused_naming_the_owner(result: nb.Result, tmp_path: Path) -> None:
    target = tmp_path / "run"
    owner = _python(HOLD_LOCK.format(target=str(target)))
    try:
        assert owner.stdout is not None and owner.stdout.readline().strip() == "locked"
        with pytest.raises(FolderInUseError) as raised:
            result.save(target)
        assert str(raised.value) == (f"{target} is in use by another writer (pid {owner.pid}): wait for it to "
                                     f"finish, or write elsewhere.")
        assert not target.exists()
    finally:
        owner.send_signal(signal.SIGKILL)
        owner.wait()
    result.save(target)  # the OS released the dead owner's lock
    assert nb.load_result(target).meta["seed"] == 3


def test_the_lock_is_exclusive_within_a_process_too_and_removed_after(tmp_path: Path) -> None:
    with folders.folder_lock(tmp_path / "run") as lock:
        assert lock == tmp_path / ".run.lock" and lock.read_text() == f"{os.getpid()}\n"
        with pytest.raises(FolderInUseError, match=f"pid {os.getpid()}"):
            with folders.folder_lock(tmp_path / "run"):
                pass
    assert list(tmp_path.iterdir()) == []


def test_a_lock_file_left_by_a_killed_process_does_not_block(tmp_path: Path) -> None:
    owner = _python(HOLD_LOCK.format(target=str(tmp_path / "run")))
    assert owner.stdout is not None and owner.stdout.readline().strip() == "locked"
    owner.send_signal(signal.SIGKILL)
    owner.wait()
    assert (tmp_path / ".run.lock").exists()
    start = time.monotonic()
    with folders.folder_lock(tmp_path / "run"):
        pass
    assert time.monotonic() - start < 1.0


# ------------------------------------------------------------------------------------ damaged files

def _tamper_meta(directory: Path, change) -> None:
    meta = json.loads((directory / "meta.json").read_text())
    (directory / "meta.json").write_text(json.dumps(change(meta)))


@pytest.mark.parametrize("damage, message", [
    (lambda d: (d / "spikes.parquet").write_bytes(b"not parquet at all"),
     "{d}/spikes.parquet: not a readable Parquet file ("),
    (lambda d: (d / "states.parquet").write_bytes((d / "states.parquet").read_bytes()[:100]),
     "{d}/states.parquet: not a readable Parquet file ("),
    (lambda d: (d / "meta.json").write_text('{"backend": "numpy",'),
     "{d}/meta.json: not valid JSON (Expecting property name enclosed in double quotes at line 1 column 21)."),
    (lambda d: (d / "meta.json").write_text("[1, 2]"), "{d}/meta.json: expected a JSON object, got [1, 2]."),
    (lambda d: (d / "meta.json").write_bytes(b'{"backend": "\x80\x81"}'), "{d}/meta.json: cannot be read ("),
    (lambda d: _tamper_meta(d, lambda m: {k: v for k, v in m.items() if k not in ("backend", "dt_ms")}),
     "{d}/meta.json: missing backend, dt_ms (a result's meta.json has backend, dt_ms, duration_ms, "
     "population_sizes)."),
    (lambda d: _tamper_meta(d, lambda m: {**m, "duration_ms": "long"}),
     '{d}/meta.json: "duration_ms" must be a positive number, got "long".'),
    (lambda d: _tamper_meta(d, lambda m: {**m, "population_sizes": {"n": -4}}),
     '{d}/meta.json: "population_sizes" must be a mapping of population to size, got {{"n": -4}}.'),
    (lambda d: _tamper_meta(d, lambda m: {**m, "overrides": "backend=nest"}),
     '{d}/meta.json: "overrides" must be a list of text, got "backend=nest".'),
    (lambda d: _tamper_meta(d, lambda m: {**m, "population_sizes": {"n": 2}}),
     '{d}/spikes.parquet: neuron 3 of population "n" is outside 0..1.'),
    (lambda d: _tamper_meta(d, lambda m: {**m, "population_sizes": {"m": 4}}),
     '{d}/spikes.parquet: population "n" is not in meta.json population_sizes (m).'),
    (lambda d: pd.DataFrame({"population": ["n"], "neuron": ["zero"], "time_ms": [1.0]}).to_parquet(
        d / "spikes.parquet"), "{d}/spikes.parquet: column neuron holds str, expected whole numbers."),
    (lambda d: pd.DataFrame({"population": ["n"], "time_ms": [1.0]}).to_parquet(d / "spikes.parquet"),
     "{d}/spikes.parquet: columns population, time_ms, expected population, neuron, time_ms."),
])
def test_load_result_names_the_damaged_file_on_one_line(result: nb.Result, tmp_path: Path, damage,
                                                        message: str) -> None:
    directory = result.save(tmp_path / "run")
    damage(directory)
    with pytest.raises(CorruptFileError) as raised:
        nb.load_result(directory)
    text = str(raised.value)
    assert text.startswith(message.format(d=directory)) and "\n" not in text
