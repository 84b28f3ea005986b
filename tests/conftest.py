"""Markers ``requires_nest`` / ``requires_brian2`` / ``requires_neuron`` skip a test when that simulator
is not installed."""

from __future__ import annotations

import importlib.util

import pytest

_MODULES = {"requires_nest": "nest", "requires_brian2": "brian2", "requires_neuron": "neuron"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        for marker, module in _MODULES.items():
            if item.get_closest_marker(marker) and importlib.util.find_spec(module) is None:
                item.add_marker(pytest.mark.skip(reason=f"{module} is not installed"))
