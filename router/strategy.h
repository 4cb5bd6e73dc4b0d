#ifndef CC_ROUTER_STRATEGY_H
#define CC_ROUTER_STRATEGY_H

#include <stddef.h>
#include <stdint.h>

#include "candidates.h"

/*
 * The seven routing strategies of a queue (PROTOCOL "Queues and
 * routing"), one entry each in strategy.c's table.  A strategy only
 * orders the eligible agents of one call (the engine, engine.c, decides
 * who is eligible) and names what each is to it.  Pure: no I/O.
 */

#define CC_WHY_MAX  32

/* An eligible agent as the step sees it. */
typedef struct {
    const cc_agent_t       *agent;
    const cc_membership_t  *membership;  /* in the call's queue */
    int                     load;        /* counted locally in the step */
    long long               idle_since;  /* ms, idem */
} cc_choice_t;

typedef struct {
    long long               now;
    long long               rr_order;    /* order of the queue's last
                                          * offer, -1: none */
    uint64_t               *random;      /* the random strategy's state */
} cc_pick_ctx_t;

typedef enum {
    CC_PICK_BEST,                        /* the first by before() */
    CC_PICK_RANDOM,
    CC_PICK_ALL                          /* ring-all */
} cc_pick_e;

typedef struct {
    const char   *name;
    cc_pick_e     pick;
    /* CC_PICK_BEST: 1 when a goes before b (ties end by id) */
    int         (*before)(const cc_pick_ctx_t *ctx, const cc_choice_t *a,
                          const cc_choice_t *b);
    /* the strategy's word for an eligible agent, "idle 42s" */
    void        (*word)(const cc_pick_ctx_t *ctx, const cc_choice_t *a,
                        char *why, size_t size);
    const char   *winner;                /* the chosen one's word, NULL:
                                          * its word() */
} cc_strategy_t;

/* NULL: the default strategy (longest-idle); NULL when unknown. */
const cc_strategy_t *cc_strategy_find(const char *name);

/*
 * The index in el[0..n-1] (n >= 1) of the agent to offer the call to, or
 * n for all of them (ring-all).
 */
size_t cc_strategy_pick(const cc_strategy_t *s, const cc_pick_ctx_t *ctx,
    cc_choice_t *const *el, size_t n);

#endif /* CC_ROUTER_STRATEGY_H */
