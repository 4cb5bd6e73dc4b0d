#include <stdlib.h>
#include <string.h>

#include "strategy.h"

/* The agent idle the longest (oldest idle_since), ties by id. */
static size_t
cc_strategy_longest_idle(const cc_candidates_t *c, const cc_call_t *call,
    cc_slot_t *const *eligible, size_t n, const char **reason)
{
    size_t            i, best;
    const cc_slot_t  *a, *b;

    (void) c;
    (void) call;

    best = 0;

    for (i = 1; i < n; i++) {
        a = eligible[i];
        b = eligible[best];

        if (a->idle_since < b->idle_since
            || (a->idle_since == b->idle_since
                && strcmp(a->agent->id, b->agent->id) < 0))
        {
            best = i;
        }
    }

    *reason = "longest-idle";
    return best;
}

static const cc_strategy_t  cc_strategies[] = {
    { "longest-idle", cc_strategy_longest_idle },
};

const cc_strategy_t *
cc_strategy_find(const char *name)
{
    size_t  i;

    if (name == NULL) {
        return &cc_strategies[0];
    }

    for (i = 0; i < sizeof(cc_strategies) / sizeof(cc_strategies[0]); i++) {
        if (strcmp(cc_strategies[i].name, name) == 0) {
            return &cc_strategies[i];
        }
    }

    return NULL;
}

static int
cc_strategy_skilled(const cc_agent_t *agent, const cc_call_t *call)
{
    size_t  i;

    for (i = 0; i < call->skills.n; i++) {
        if (!cc_strings_has(&agent->skills, call->skills.items[i])) {
            return 0;
        }
    }

    return 1;
}

long
cc_strategy_run(const cc_strategy_t *s, const cc_candidates_t *c,
    cc_pick_t *picks)
{
    size_t            i, j, n, nfree, ndeclined, k;
    long              npicks;
    cc_slot_t        *slots, *slot;
    cc_slot_t       **eligible, **base;
    const cc_call_t  *call;

    slots = calloc(c->nagents + 1, sizeof(cc_slot_t));
    /* not declined from the front, declined from the back */
    eligible = calloc(c->nagents + 1, sizeof(cc_slot_t *));

    if (slots == NULL || eligible == NULL) {
        free(slots);
        free(eligible);
        return -1;
    }

    for (j = 0; j < c->nagents; j++) {
        slots[j].agent = &c->agents[j];
        slots[j].load = c->agents[j].load;
        slots[j].idle_since = c->agents[j].idle_since;
    }

    npicks = 0;

    for (i = 0; i < c->ncalls; i++) {
        call = &c->calls[i];
        nfree = 0;
        ndeclined = 0;

        for (j = 0; j < c->nagents; j++) {
            slot = &slots[j];

            if (slot->load >= slot->agent->capacity
                || !cc_strategy_skilled(slot->agent, call))
            {
                continue;
            }

            if (cc_strings_has(&call->declined, slot->agent->id)) {
                eligible[c->nagents - 1 - ndeclined++] = slot;

            } else {
                eligible[nfree++] = slot;
            }
        }

        if (nfree + ndeclined == 0) {
            continue;
        }

        n = nfree > 0 ? nfree : ndeclined;
        base = nfree > 0 ? eligible : eligible + c->nagents - ndeclined;
        k = s->choose(c, call, base, n, &picks[npicks].reason);
        slot = base[k];

        picks[npicks].call = call;
        picks[npicks].agent = slot->agent;
        picks[npicks].declined = nfree == 0;
        picks[npicks].idle_ms = slot->idle_since > 0
                                ? c->now - slot->idle_since : 0;
        npicks++;

        /* busy from now on, for the rest of this round */
        slot->load++;
        slot->idle_since = c->now;
    }

    free(slots);
    free(eligible);
    return npicks;
}
