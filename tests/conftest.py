"""Markers ``requires_nest`` / ``requires_brian2`` / ``requires_neuron`` skip a test when that simulator
is not installed."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

_MODULES = {"requires_nest": "nest", "requires_brian2": "brian2", "requires_neuron": "neuron"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        for marker, module in _MODULES.items():
            if item.get_closest_marker(marker) and importlib.util.find_spec(module) is None:
                item.add_marker(pytest.mark.skip(reason=f"{module} is not installed"))


def path_without(program: str, folder: Path) -> str:
    """A ``PATH`` with every program of this one except ``program`` (symlinks in ``folder``).

    Simulates a machine that lacks one build tool, e.g. cmake, which shares ``/usr/bin``
    with the compiler and everything else.
    """
    folder.mkdir(parents=True, exist_ok=True)
    for directory in os.environ.get("PATH", "").split(os.pathsep):
        if not os.path.isdir(directory):
            continue
        for entry in os.scandir(directory):
            link = folder / entry.name
            if entry.name != program and not link.exists() and os.access(entry.path, os.X_OK):
                link.symlink_to(entry.path)
    return str(folder)


@pytest.fixture
def without_cmake(tmp_path: Path) -> dict[str, str]:
    """The environment of a subprocess on a machine without cmake."""
    return {**os.environ, "PATH": path_without("cmake", tmp_path / "bin-without-cmake")}
