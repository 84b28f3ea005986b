"""The pytest plugin of :mod:`neurobridge.testing` (entry point ``pytest11: neurobridge``).

It declares the marker the suite uses, so a third-party adapter's test run with ``--strict-markers``
collects :class:`~neurobridge.testing.BackendConformance` without declaring it itself.
"""

from __future__ import annotations

import pytest

MARKERS = ("slow: long-running tests (run in CI with the rest)",)


def pytest_configure(config: pytest.Config) -> None:
    for marker in MARKERS:
        config.addinivalue_line("markers", marker)
