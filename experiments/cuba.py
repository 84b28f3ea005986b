"""CUBA and COBA (Brette et al. 2007, benchmarks 2 and 1): balanced LIF networks, exponential currents or conductances.

One variant (the ``model`` of the config), the defaults of :mod:`.base` for the
metrics (rates and ISI CVs per population) and the shared raster and
rate-histogram figures. The network is chaotic: backends agree on statistics
(rates, distributions), not on spike times, so the comparison is ``network``.
"""

from __future__ import annotations

from .base import measure, networks

__all__ = ["networks", "measure"]
