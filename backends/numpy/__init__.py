"""The NumPy reference backend."""

from .adapter import NumpyBackend

__all__ = ["NumpyBackend"]
