"""The Hydra application: config schemas, the job task, callbacks, and launching.

``schema``    structured configs in Hydra's ConfigStore
``job``       a config turned into checked work (:func:`prepare`)
``runner``    the task function Hydra calls for each job
``callbacks`` progress over a multirun, gathering and comparison at its end
``launch``    check every job, then hand over to Hydra (``run``, ``validate``)
"""

from .launch import run, validate

__all__ = ["run", "validate"]
