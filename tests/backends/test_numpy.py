"""The conformance suite on the reference backend (against theory)."""

import numpy as np
from neurobridge.backends.numpy.adapter import NumpyBackend
from neurobridge.backends.numpy.translate import build

import neurobridge as nb
from neurobridge.lowering import lower
from neurobridge.testing import BackendConformance, networks


class TestNumpy(BackendConformance):
    backend = "numpy"


def test_the_engine_shares_the_realized_synapse_arrays() -> None:
    """CUBA's synapses come sender-ordered from fixed_probability: the CSR rows are the realized arrays."""
    lowered = lower(nb.realize(nb.Network.from_dict(networks.cuba(2000))))
    engine = build(lowered, NumpyBackend.capabilities.defaults())
    by_source = sorted(lowered.pathways, key=lambda p: lowered.senders[p.source])
    assert len(engine.inboxes) == 4
    for inbox, pathway in zip(engine.inboxes, by_source):
        assert inbox.post is pathway.post and inbox.shared_value == pathway.shared_weight
        assert inbox.uniform_delay == 1
        np.testing.assert_array_equal(np.diff(inbox.indptr), np.bincount(pathway.pre, minlength=inbox.n_source))


def test_fixed_indegree_rows_are_reordered_by_sender_and_deliver_every_weight() -> None:
    """A fixed_indegree pathway (drawn target by target) is reordered once: every synapse of a sender lands
    on its own target with its own weight and delay (the delivered sums, worked out from the arrays)."""
    data = {"dt": 0.1, "duration": 1.0, "seed": 3, "populations": {
        "a": {"size": 50, "model": "lif"}, "b": {"size": 40, "model": "lif"}},
        "projections": [{"source": "a", "target": "b", "connector": {"fixed_indegree": 10},
                         "weight": {"uniform": [1.0, 2.0]}, "delay": {"uniform": [0.1, 0.5]}}]}
    lowered = lower(nb.realize(nb.Network.from_dict(data)))
    engine = build(lowered, NumpyBackend.capabilities.defaults())
    inbox, pathway = engine.inboxes[0], lowered.pathways[0]
    senders = np.array([3, 7, 7]) + lowered.senders["a"]  # neuron 7 twice: multiplicity 2
    inbox.deliver(senders, step=0)
    group = engine.group(pathway.group)
    expected = np.zeros_like(group.buffer)
    offset = lowered.groups[pathway.group].members["b"].offset
    for pre, post, value, delay in zip(pathway.pre, pathway.post, pathway.values, pathway.delay_steps):
        expected[delay % group.slots, 0, offset + post] += value * {3: 1, 7: 2}.get(int(pre), 0)
    np.testing.assert_allclose(group.buffer, expected, rtol=1e-15)
