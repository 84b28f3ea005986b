"""The conformance suite, shipped with the library: every backend, ours or a third party's, subclasses it.

>>> from neurobridge.testing import BackendConformance
>>> class TestMine(BackendConformance):
...     backend = "mine"

:mod:`neurobridge.testing.truth` holds the truths (closed forms, ``solve_ivp``, NEST-measured numbers),
:mod:`neurobridge.testing.networks` the networks, :mod:`neurobridge.testing.plugin` the pytest plugin
(registered as the ``pytest11`` entry point ``neurobridge``) that declares the suite's markers.
"""

from .registration import temporary_backend
from .suite import Agreement, BackendConformance

__all__ = ["BackendConformance", "Agreement", "temporary_backend"]
