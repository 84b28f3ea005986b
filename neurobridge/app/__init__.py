"""The Hydra application: config schemas, the job task, callbacks, and launching.

``schema``    structured configs in Hydra's ConfigStore
``job``       a config turned into checked work (:func:`prepare`), with its content key
``plan``      every job of a command composed and checked before Hydra creates anything
``outputs``   the output folder: claimed (lock, overwrite, resume, ``sweep.json``), gathered after
``runner``    the task function Hydra calls for each job; commits it with ``job.json``
``callbacks`` progress over a multirun
``launch``    plan, claim, hand over to Hydra, gather (``run``, ``resume``, ``validate``)
"""

from .launch import resume, run, validate

__all__ = ["run", "resume", "validate"]
