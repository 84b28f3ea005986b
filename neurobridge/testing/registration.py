"""Registering a backend for a while, without installing an entry point (tests of adapters)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from .. import registry
from ..backend import Backend


@contextmanager
def temporary_backend(name: str, backend: type[Backend]) -> Iterator[None]:
    """Register ``backend`` under ``name`` beside the installed ones until the block ends.

    Parameters
    ----------
    name
        The name ``simulate(..., backend=name)`` takes.
    backend
        The adapter class.
    """
    installed = registry._registered
    table = {**installed(), name: backend}
    registry._registered = lambda: table  # type: ignore[method-assign, assignment]
    try:
        yield
    finally:
        registry._registered = installed  # type: ignore[method-assign]
