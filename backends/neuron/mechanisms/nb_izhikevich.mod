COMMENT
NEST's izhikevich (consistent_integration) with any receptor, as the neurobridge reference integrates it.

The reference's Izhikevich, step for step: one forward Euler step of
dv/dt = 0.04 v^2 + 5 v + 140 - u + I and du/dt = a (b v - u) with the
synaptic current at the step's start; current_delta inputs jump v within the
step; at v >= V_th: v = c, u += d. Scheduling as in NbLif.
ENDCOMMENT

NEURON {
    POINT_PROCESS NbIzhikevich
    RANGE receptor, a, b, c, d, V_th, I_e, I_stim
    RANGE tau_syn_ex, tau_syn_in, E_ex, E_in, end_ex, end_in, factor_ex, factor_in
    RANGE V0, U0, s_ex0, s_in0
    RANGE V_m, U_m, s_ex, s_in, ds_ex, ds_in, buf_ex, buf_in
    THREADSAFE
}

PARAMETER {
    receptor = 0
    a = 0.02 b = 0.2 c = -65 d = 8 V_th = 30 I_e = 0 I_stim = 0
    tau_syn_ex = 2 tau_syn_in = 2 E_ex = 0 E_in = -85 end_ex = 0 end_in = 0 factor_ex = 0 factor_in = 0
    V0 = -65 U0 = -13 s_ex0 = 0 s_in0 = 0
}

ASSIGNED { V_m U_m s_ex s_in ds_ex ds_in buf_ex buf_in va vb }

INITIAL {
    V_m = V0
    U_m = U0
    s_ex = s_ex0
    s_in = s_in0
    ds_ex = 0
    ds_in = 0
    buf_ex = 0
    buf_in = 0
}

BREAKPOINT {
    SOLVE advance
}

PROCEDURE advance() {
    : one step of the reference, at the end of NEURON's fixed step (nrn_state, once per step)
    LOCAL current, v, u
    view(0, 0)
    v = V_m
    u = U_m
    current = I_stim + I_e + va - vb * v
    V_m = v + dt * (0.04 * v * v + 5 * v + 140 - u + current)
    if (receptor == 0) {
        V_m = V_m + buf_ex
    }
    advance_receptors()
    buf_ex = 0
    buf_in = 0
    U_m = u + dt * a * (b * v - u)
    if (V_m >= V_th) {
        V_m = c
        U_m = U_m + d
VERBATIM
        net_event(_ppvar[1].get<Point_process*>(), t);
ENDVERBATIM
    }
}

INCLUDE "nb_receptors.inc"
INCLUDE "nb_synapse.inc"
