COMMENT
NEST's iaf_psc_delta / iaf_psc_exp / iaf_psc_alpha, one exact step per dt (neurobridge).

The state is the core's (y = V_m - E_L, I_ex, I_in, dI_ex, dI_in) and one step
is X <- P X with P the exact propagator (neurobridge.propagators), given as
parameters; NEURON only schedules. The update is BREAKPOINT's SOLVE of a
PROCEDURE: NEURON calls it once per fixed step for all instances in one loop
(nrn_state), at the end of the step (t = (k + 1) dt for step k), in the
reference's order: membrane with the synaptic state at the step's start,
synapses decay, the inputs of this step are added, refractory clamp,
threshold; a spike is sent stamped t (the end of the step).

Inputs arrive through NET_RECEIVE and are buffered until the update: a NetCon
of D steps is created with delay (D - 1) dt, so that its event (sent at the
end of step s) is delivered before the update of step s + D, the step in which
the reference adds it. The weight's sign picks the channel (NEST's rule).
The rest of the weight vector is the synapse: static, or NEST tsodyks2.
ENDCOMMENT

NEURON {
    POINT_PROCESS NbLif
    RANGE receptor, P00, P01, P02, P03, P04, P11, P13, P22, P24, P33, P44, P20
    RANGE E_L, V_th, V_reset, refractory_steps, I_e, I_stim, factor_ex, factor_in
    RANGE V0, I_ex0, I_in0
    RANGE V_m, I_syn_ex, I_syn_in, dI_ex, dI_in, buf_ex, buf_in, r, y, theta, v_reset
    THREADSAFE
}

PARAMETER {
    receptor = 1  : 0 current_delta, 1 current_exp, 2 current_alpha
    P00 = 1 P01 = 0 P02 = 0 P03 = 0 P04 = 0 P11 = 1 P13 = 0 P22 = 1 P24 = 0 P33 = 1 P44 = 1 P20 = 0
    E_L = -70 V_th = -55 V_reset = -70 refractory_steps = 0 I_e = 0 I_stim = 0
    factor_ex = 1 factor_in = 1
    V0 = -70 I_ex0 = 0 I_in0 = 0
}

ASSIGNED { y theta v_reset V_m I_syn_ex I_syn_in dI_ex dI_in buf_ex buf_in r }

INITIAL {
    : NEST keeps the membrane relative to E_L, and so does the reference
    y = V0 - E_L
    theta = V_th - E_L
    v_reset = V_reset - E_L
    V_m = y + E_L
    I_syn_ex = I_ex0
    I_syn_in = I_in0
    dI_ex = 0
    dI_in = 0
    buf_ex = 0
    buf_in = 0
    r = 0
}

BREAKPOINT {
    SOLVE advance
}

PROCEDURE advance() {
    : one step of the reference, at the end of NEURON's fixed step (nrn_state, once per step)
    LOCAL yn, refractory
    yn = P00 * y
    if (receptor == 1) {
        yn = yn + P01 * I_syn_ex + P02 * I_syn_in
        I_syn_ex = P11 * I_syn_ex
        I_syn_in = P22 * I_syn_in
    } else if (receptor == 2) {
        yn = yn + P01 * I_syn_ex + P02 * I_syn_in + P03 * dI_ex + P04 * dI_in
        I_syn_ex = P11 * I_syn_ex + P13 * dI_ex
        I_syn_in = P22 * I_syn_in + P24 * dI_in
        dI_ex = P33 * dI_ex
        dI_in = P44 * dI_in
    }
    yn = yn + (I_e + I_stim) * P20
    refractory = r > 0
    if (receptor == 0) {
        if (!refractory) {
            yn = yn + buf_ex
        }
    } else if (receptor == 1) {
        I_syn_ex = I_syn_ex + buf_ex
        I_syn_in = I_syn_in + buf_in
    } else {
        dI_ex = dI_ex + factor_ex * buf_ex
        dI_in = dI_in + factor_in * buf_in
    }
    buf_ex = 0
    buf_in = 0
    if (refractory) {
        yn = v_reset
        r = r - 1
    }
    if (yn >= theta) {
        yn = v_reset
        r = refractory_steps
VERBATIM
        net_event(_ppvar[1].get<Point_process*>(), t);
ENDVERBATIM
    }
    y = yn
    V_m = y + E_L
}

INCLUDE "nb_synapse.inc"
