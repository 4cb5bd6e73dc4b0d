#ifndef CC_ROUTER_STRATEGY_H
#define CC_ROUTER_STRATEGY_H

#include <stddef.h>

#include "candidates.h"

/*
 * Routing strategies.  The driver (cc_strategy_run) walks the calls
 * oldest first, keeps a local copy of each agent's load and idle time for
 * the round, and for each call collects the eligible agents: skills
 * covering the call's skills, free capacity, preferably not in the call's
 * declined list (declined agents are eligible only when nobody else is).
 * A strategy only chooses one of the eligible agents and names its reason.
 * Pure: no I/O, nothing kept between rounds.
 */

/* An agent as seen during one round. */
typedef struct {
    const cc_agent_t  *agent;
    int                load;
    long long          idle_since;
} cc_slot_t;

/* Returns the index in eligible[0..n-1] (n >= 1) of the chosen agent. */
typedef size_t (*cc_choose_pt)(const cc_candidates_t *c,
    const cc_call_t *call, cc_slot_t *const *eligible, size_t n,
    const char **reason);

typedef struct {
    const char    *name;
    cc_choose_pt   choose;
} cc_strategy_t;

typedef struct {
    const cc_call_t   *call;
    const cc_agent_t  *agent;
    const char        *reason;
    int                declined;   /* the agent had declined this call */
    long long          idle_ms;    /* how long the agent had been idle */
} cc_pick_t;

/* NULL: the default strategy; NULL when the name is unknown. */
const cc_strategy_t *cc_strategy_find(const char *name);

/*
 * Fills picks (room for c->ncalls) with (call, agent) pairs in the order
 * they should be offered; returns their count, or -1 out of memory.
 */
long cc_strategy_run(const cc_strategy_t *s, const cc_candidates_t *c,
    cc_pick_t *picks);

#endif /* CC_ROUTER_STRATEGY_H */
