"""The NEST 3.10 backend (importable without NEST: the simulator is imported when a run starts)."""

from .adapter import NestBackend

__all__ = ["NestBackend"]
