#ifndef CC_ROUTER_ENGINE_H
#define CC_ROUTER_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "candidates.h"
#include "strategy.h"

/*
 * The routing engine: from one cc_routing_state answer, the decisions of
 * a step, in the order they are to be committed.  Calls go in descending
 * effective priority (queue priority + call priority + time waited /
 * priority_aging, a real number), then oldest, then by id, over all the
 * open queues at once; each call's queue's agents are examined (every one
 * gets a why), the sticky agent is tried, then the queue's strategy picks
 * among the eligible.  An agent given a call counts load + 1 and idle
 * since now for the rest of the step.  Pure: no I/O.
 */

#define CC_DECISION_CANDIDATES  50      /* kept per decision */
#define CC_REASON_MAX           160

typedef enum {
    CC_DECIDE_OFFER,        /* agents[0] is offered the call: cc_offer */
    CC_DECIDE_RING,         /* agents[0..n-1] all at once: cc_ring */
    CC_DECIDE_WAIT,         /* nobody, worth a record: sticky or tier wait */
    CC_DECIDE_NONE          /* nobody, nothing to record */
} cc_decide_e;

typedef struct {
    const cc_agent_t   *agent;
    int                 eligible;
    int                 chosen;
    char                why[CC_WHY_MAX];
} cc_candidate_t;

typedef struct {
    cc_decide_e          kind;
    const cc_call_t     *call;
    const cc_queue_t    *queue;
    const char          *strategy;      /* the queue's strategy name */
    const char          *word;          /* for the log: the strategy's
                                         * name or "sticky" */
    const cc_agent_t   **agents;        /* OFFER: 1, RING: nagents */
    size_t               nagents;
    int                  declined;      /* chosen among agents who had
                                         * declined the call */
    long long            idle_ms;       /* agents[0] had been idle */
    char                 reason[CC_REASON_MAX];
    cc_candidate_t       candidates[CC_DECISION_CANDIDATES];
    size_t               ncandidates;   /* the chosen always kept */
} cc_decision_t;

typedef struct {
    cc_decision_t       *items;
    size_t               n;
    size_t               free;          /* slots of available agents left
                                         * after the step */
} cc_decisions_t;

/*
 * deflt: the strategy of a queue naming none or an unknown one; random:
 * the random strategy's state, kept by the caller.  0, or -1 out of
 * memory (nothing to free).
 */
int cc_engine_run(const cc_candidates_t *c, const cc_strategy_t *deflt,
    uint64_t *random, cc_decisions_t *out);

void cc_decisions_free(cc_decisions_t *d);

#endif /* CC_ROUTER_ENGINE_H */
