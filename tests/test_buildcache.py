"""The build cache: one build per key under a lock, whole folders only, failures remembered."""

from __future__ import annotations

import multiprocessing
import os
import time
from pathlib import Path

import pytest

from neurobridge import buildcache


@pytest.fixture(autouse=True)
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("NEUROBRIDGE_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def _slow_builder(folder: Path) -> None:
    counter = Path(os.environ["NEUROBRIDGE_CACHE"]).parent / "builds"
    with counter.open("a") as handle:
        handle.write(f"{os.getpid()}\n")
    time.sleep(0.5)
    (folder / "artefact.so").write_text("binary")


def _build_in_child(_: int) -> str:
    return str(buildcache.build("test", "k1", _slow_builder, "a test artefact").path)


def test_parallel_callers_build_once_and_all_get_the_whole_folder(cache: Path) -> None:
    with multiprocessing.get_context("fork").Pool(3) as pool:
        paths = pool.map(_build_in_child, range(3))
    assert set(paths) == {str(cache / "test" / "k1")}
    assert len((cache.parent / "builds").read_text().split()) == 1
    assert (cache / "test" / "k1" / "artefact.so").read_text() == "binary"
    assert [p.name for p in (cache / "test").iterdir() if p.name.startswith(".k1.") and p.is_dir()] == []


def test_a_cached_entry_is_not_rebuilt() -> None:
    first = buildcache.build("test", "k2", lambda f: (f / "x").write_text("1"), "x")
    second = buildcache.build("test", "k2", lambda f: (f / "x").write_text("2"), "x")
    assert first.built_now and not second.built_now
    assert (second.path / "x").read_text() == "1"


def test_a_failed_build_is_reported_with_stage_and_log_and_remembered(cache: Path) -> None:
    calls = []

    def failing(folder: Path) -> None:
        calls.append(folder)
        raise buildcache.BuildStageError("cmake", "line 1\nCould not find NEST headers\n")

    with pytest.raises(buildcache.BuildError) as error:
        buildcache.build("test", "k3", failing, "NESTML module for izhikevich×current_exp")
    log = cache / "test" / "k3.cmake.log"
    assert str(error.value) == (f"NESTML module for izhikevich×current_exp: the cmake stage failed (log: {log}): "
                                "line 1 | Could not find NEST headers")
    assert "Could not find NEST headers" in log.read_text()
    with pytest.raises(buildcache.BuildError) as again:
        buildcache.build("test", "k3", failing, "NESTML module for izhikevich×current_exp")
    record = buildcache.failure_record("test", "k3")
    assert str(again.value) == (f"NESTML module for izhikevich×current_exp: the cmake stage failed before "
                                f"(log: {log}); remove {record} to try again.")
    assert len(calls) == 1
    record.unlink()
    assert buildcache.build("test", "k3", lambda f: None, "x").built_now


def test_staging_of_a_killed_build_is_removed(cache: Path) -> None:
    folder = cache / "test"
    folder.mkdir(parents=True)
    dead = multiprocessing.get_context("fork").Process(target=lambda: None)
    dead.start()
    dead.join()
    stale = folder / f".k4.{dead.pid}.abc"
    stale.mkdir()
    (stale / "half.o").write_text("")
    buildcache.build("test", "k4", lambda f: None, "x")
    assert not stale.exists()


def test_content_key_separates_its_parts() -> None:
    assert buildcache.content_key("ab", "c") != buildcache.content_key("a", "bc")
    assert buildcache.content_key("ab", "c") == buildcache.content_key("ab", "c")
