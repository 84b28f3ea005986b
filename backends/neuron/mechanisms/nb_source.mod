COMMENT
A realized spike train (neurobridge): emits an event at each time of a Vector.

The times are the reference's stamps (end of the emission step), sorted; a
time given k times is emitted k times (a Poisson train may put two spikes in
one step). NetCons from it take the same (D - 1) dt delays as those from
neurons, so its spikes reach their targets in the reference's step.
ENDCOMMENT

NEURON {
    THREADSAFE
    ARTIFICIAL_CELL NbSpikeSource
    BBCOREPOINTER times
}

ASSIGNED {
    index
    next
    times
}

INITIAL {
    index = 0
    advance()
    if (index > 0) {
        net_send(next - t, 1)
    }
}

NET_RECEIVE (w) {
    if (flag == 1) {
        net_event(t)
        advance()
        if (index > 0) {
            : t is this event's time up to roundoff: a repeated stamp may lie a rounding error behind it
            if (next > t) {
                net_send(next - t, 1)
            } else {
                net_send(0, 1)
            }
        }
    }
}

DESTRUCTOR {
VERBATIM
    if (_p_times) {
        hoc_obj_unref(*vector_pobj(static_cast<IvocVect*>(_p_times)));
    }
ENDVERBATIM
}

PROCEDURE advance() {
    : next <- the train's next time; index becomes -1 once the train is spent
VERBATIM
    IvocVect* train = static_cast<IvocVect*>(_p_times);
    int i = (int) index;
    if (i >= 0 && train && i < vector_capacity(train)) {
        next = vector_vec(train)[i];
        index += 1.;
    } else {
        index = -1.;
    }
ENDVERBATIM
}

PROCEDURE play() {
    : play(times): the train (a Vector), referenced until this source is destroyed
VERBATIM
    IvocVect* vector = ifarg(1) ? vector_arg(1) : nullptr;
    if (vector) {
        hoc_obj_ref(*vector_pobj(vector));
    }
    if (_p_times) {
        hoc_obj_unref(*vector_pobj(static_cast<IvocVect*>(_p_times)));
    }
    _p_times = vector;
ENDVERBATIM
}

VERBATIM
/* The train lives in a NEURON Vector; transfer to CoreNEURON (which BBCOREPOINTER asks for) is not
   supported: neurobridge runs NEURON itself. */
static void bbcore_write(double*, int*, int*, int*, _threadargsproto_) {}
static void bbcore_read(double*, int*, int*, int*, _threadargsproto_) {}
ENDVERBATIM
