"""Simulator adapters, installed as ``neurobridge.backends``; each registers an entry point.

``neurobridge.backends.capabilities()`` returns every backend's support table.
"""

from neurobridge.registry import available_backends, capabilities

__all__ = ["capabilities", "available_backends"]
