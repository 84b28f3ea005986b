"""The experiment of a model that names none: one variant (the model), rates and ISI CVs per population.

Everything falls back to :mod:`.base` (``networks``, ``measure``) and :mod:`.plots` (``raster``,
``rate_histogram``); ``conf/experiment/generic.yaml`` names it after the model.
"""

from __future__ import annotations

from .base import measure, networks

__all__ = ["networks", "measure"]
