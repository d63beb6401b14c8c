/* gp_check_transitions.c: the lifecycle steps the server attempted, judged
 * by the harness's own table (gp_judge_step_is_legal): an illegal step, a
 * step from a state the machine was not seen to reach, an illegal step
 * applied or a legal one refused, a machine dropped mid-handshake -- and the
 * success rate of the observed steps. */
#include "gp_checks_int.h"

void gp_check_invalid_transitions(const gp_run *run, gp_check_result *r)
{
    uint64_t illegal = 0, inconsistent = 0;
    for (uint32_t i = 0; i < run->n_clients; i++) {
        uint8_t f = run->judge.conns[i].flags;
        illegal += (f & GP_JF_ILLEGAL) != 0;
        inconsistent += (f & GP_JF_INCONSISTENT) != 0;
        if (f & (GP_JF_ILLEGAL | GP_JF_INCONSISTENT))
            gp_check_flag(r, i);
    }
    /* connections no client could be linked to are judged all the same */
    uint64_t others = 0;
    for (uint32_t k = 0; k < run->judge.extra_len; k++)
        if (run->judge.extra[k].flags & (GP_JF_ILLEGAL | GP_JF_INCONSISTENT)) {
            others++;
            r->count++;
        }
    gp_check_evidence(r, "the observed lifecycle steps");
    gp_check_detail(r, "%llu illegal steps attempted on %llu connections; %llu connections "
                       "with steps inconsistent with their machine; %llu of %u connections "
                       "linked to no client at fault",
                    (unsigned long long)run->judge.illegal, (unsigned long long)illegal,
                    (unsigned long long)inconsistent, (unsigned long long)others,
                    run->judge.extra_len);
}

void gp_check_success_rate(const gp_run *run, gp_check_result *r)
{
    const gp_judge *j = &run->judge;
    double rate = j->attempted ? (double)j->applied / (double)j->attempted : 1.0;
    r->count = rate < run->sc.expect.min_transition_success_rate;
    gp_check_evidence(r, "the observed lifecycle steps");
    gp_check_detail(r, "%.6f: %llu of %llu steps applied (threshold %.6f)", rate,
                    (unsigned long long)j->applied, (unsigned long long)j->attempted,
                    run->sc.expect.min_transition_success_rate);
}
