#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

/* an agent of a queue */
typedef struct {
    const cc_agent_t       *agent;
    size_t                  index;       /* in the state's agents */
    const cc_membership_t  *membership;
} cc_member_t;

/* a queue during the step */
typedef struct {
    const cc_strategy_t    *strategy;
    long long               rr_order;
    cc_member_t            *members;     /* by order, then id */
    size_t                  nmembers;
} cc_lane_t;

/* a call in the order of the step */
typedef struct {
    double                  priority;
    const cc_call_t        *call;
} cc_turn_t;

typedef enum {
    CC_SEEN_OUT,
    CC_SEEN_ELIGIBLE,
    CC_SEEN_DECLINED                     /* eligible, had declined it */
} cc_seen_e;

/* an agent examined for a call */
typedef struct {
    cc_choice_t             choice;
    cc_seen_e               seen;
    int                     chosen;
    char                    why[CC_WHY_MAX];
} cc_exam_t;

typedef struct {
    const cc_candidates_t  *c;
    cc_lane_t              *lanes;
    cc_member_t            *members;
    int                    *load;        /* per agent, counted locally */
    long long              *idle_since;
    cc_exam_t              *exam;        /* room for the largest queue */
    cc_choice_t           **pool;
    uint64_t               *random;
} cc_engine_t;

static int
cc_member_cmp(const void *x, const void *y)
{
    const cc_member_t  *a = x, *b = y;

    if (a->agent->order != b->agent->order) {
        return a->agent->order < b->agent->order ? -1 : 1;
    }

    return strcmp(a->agent->id, b->agent->id);
}

static int
cc_turn_cmp(const void *x, const void *y)
{
    const cc_turn_t  *a = x, *b = y;

    if (a->priority != b->priority) {
        return a->priority > b->priority ? -1 : 1;
    }

    if (a->call->created != b->call->created) {
        return a->call->created < b->call->created ? -1 : 1;
    }

    return strcmp(a->call->id, b->call->id);
}

static long long
cc_engine_waited(const cc_candidates_t *c, const cc_call_t *call)
{
    return c->now > call->created ? c->now - call->created : 0;
}

/* each queue's strategy, last offer and agents */
static int
cc_engine_lanes(cc_engine_t *e, const cc_strategy_t *deflt)
{
    size_t                  i, j, total;
    long                    q;
    cc_lane_t              *lane;
    const cc_queue_t       *queue;
    const cc_agent_t       *a;
    const cc_candidates_t  *c = e->c;

    total = 0;

    for (i = 0; i < c->nagents; i++) {
        for (j = 0; j < c->agents[i].nqueues; j++) {
            q = c->agents[i].queues[j].queue;
            if (q >= 0 && cc_agent_membership(&c->agents[i], q)
                          == &c->agents[i].queues[j])
            {
                e->lanes[q].nmembers++;
                total++;
            }
        }
    }

    e->members = calloc(total + 1, sizeof(cc_member_t));
    if (e->members == NULL) {
        return -1;
    }

    total = 0;

    for (q = 0; q < (long) c->nqueues; q++) {
        lane = &e->lanes[q];
        queue = &c->queues[q];

        lane->members = e->members + total;
        total += lane->nmembers;
        lane->nmembers = 0;

        lane->strategy = queue->strategy != NULL
                         ? cc_strategy_find(queue->strategy) : NULL;
        if (lane->strategy == NULL) {
            lane->strategy = deflt;
        }

        lane->rr_order = -1;
        for (i = 0; queue->rr_last != NULL && i < c->nagents; i++) {
            if (strcmp(c->agents[i].id, queue->rr_last) == 0) {
                lane->rr_order = c->agents[i].order;
                break;
            }
        }
    }

    for (i = 0; i < c->nagents; i++) {
        a = &c->agents[i];

        for (j = 0; j < a->nqueues; j++) {
            q = a->queues[j].queue;
            if (q >= 0 && cc_agent_membership(a, q) == &a->queues[j]) {
                lane = &e->lanes[q];
                lane->members[lane->nmembers].agent = a;
                lane->members[lane->nmembers].index = i;
                lane->members[lane->nmembers].membership = &a->queues[j];
                lane->nmembers++;
            }
        }
    }

    for (q = 0; q < (long) c->nqueues; q++) {
        qsort(e->lanes[q].members, e->lanes[q].nmembers, sizeof(cc_member_t),
              cc_member_cmp);
    }

    return 0;
}

/* What keeps an agent from taking the call, NULL: nothing. */
static const char *
cc_engine_out(const cc_engine_t *e, const cc_exam_t *x, const cc_call_t *call,
    const cc_queue_t *queue)
{
    size_t             i;
    const cc_agent_t  *a = x->choice.agent;

    switch (a->status) {
    case CC_AGENT_OFFLINE:
        return "offline";
    case CC_AGENT_AWAY:
        return "away";
    case CC_AGENT_WRAPUP:
        return "wrapup";
    case CC_AGENT_BUSY:
        return "busy";
    default:
        break;
    }

    if (x->choice.load >= a->capacity) {
        return "busy";
    }

    for (i = 0; i < call->skills.n; i++) {
        if (!cc_strings_has(&a->skills, call->skills.items[i])) {
            return "skills";
        }
    }

    if (e->c->now < x->choice.membership->reject_until) {
        return "reject_delay";
    }

    if ((x->choice.membership->tier - 1) * queue->tier_wait
        > cc_engine_waited(e->c, call))
    {
        return "tier";
    }

    return NULL;
}

/* The candidates of the record, at most CC_DECISION_CANDIDATES, every
 * chosen one kept (ring-all: as many as fit). */
static void
cc_engine_candidates(cc_decision_t *d, const cc_exam_t *exam, size_t n,
    size_t nchosen)
{
    size_t           k, room;
    cc_candidate_t  *cand;

    for (k = 0; k < n; k++) {
        room = CC_DECISION_CANDIDATES - d->ncandidates;

        if (exam[k].chosen ? room == 0 : room <= nchosen) {
            continue;
        }

        if (exam[k].chosen) {
            nchosen--;
        }

        cand = &d->candidates[d->ncandidates++];
        cand->agent = exam[k].choice.agent;
        cand->eligible = exam[k].seen != CC_SEEN_OUT;
        cand->chosen = exam[k].chosen;
        memcpy(cand->why, exam[k].why, CC_WHY_MAX);
    }
}

/* Marks x chosen; counts it busy and idle since now. */
static void
cc_engine_choose(cc_engine_t *e, cc_decision_t *d, cc_exam_t *x,
    const char *why)
{
    size_t  i;

    i = (size_t) (x->choice.agent - e->c->agents);

    if (d->nagents == 0) {
        d->idle_ms = x->choice.idle_since > 0
                     && x->choice.idle_since <= e->c->now
                     ? e->c->now - x->choice.idle_since : 0;
    }

    d->agents[d->nagents++] = x->choice.agent;
    x->chosen = 1;

    if (why != NULL) {
        snprintf(x->why, CC_WHY_MAX, "%s", why);
    }

    e->load[i]++;
    e->idle_since[i] = e->c->now;
}

/* The sticky agent if the call is to wait for it: its exam, else NULL. */
static cc_exam_t *
cc_engine_sticky(const cc_engine_t *e, const cc_call_t *call,
    const cc_queue_t *queue, size_t n)
{
    size_t  k;

    /* one who declined the call is not waited for */
    if (queue->sticky <= 0 || call->sticky == NULL
        || cc_engine_waited(e->c, call) >= queue->sticky
        || cc_strings_has(&call->declined, call->sticky))
    {
        return NULL;
    }

    for (k = 0; k < n; k++) {
        if (strcmp(e->exam[k].choice.agent->id, call->sticky) == 0) {
            return &e->exam[k];
        }
    }

    return NULL;
}

static int
cc_engine_call(cc_engine_t *e, const cc_call_t *call, cc_decision_t *d)
{
    int                   tier;
    size_t                k, n, nel, ndecl, npool, pick;
    cc_lane_t            *lane;
    cc_exam_t            *x, *sticky;
    const char           *why;
    cc_pick_ctx_t         ctx;
    const cc_queue_t     *queue;
    const cc_member_t    *m;
    const cc_strategy_t  *s;

    queue = &e->c->queues[call->queue];
    lane = &e->lanes[call->queue];
    s = lane->strategy;
    n = lane->nmembers;

    d->call = call;
    d->queue = queue;
    d->strategy = s->name;
    d->word = s->name;
    d->kind = CC_DECIDE_NONE;

    d->agents = calloc(n + 1, sizeof(const cc_agent_t *));
    if (d->agents == NULL) {
        return -1;
    }

    nel = 0;
    ndecl = 0;
    tier = 0;

    for (k = 0; k < n; k++) {
        m = &lane->members[k];
        x = &e->exam[k];

        x->choice.agent = m->agent;
        x->choice.membership = m->membership;
        x->choice.load = e->load[m->index];
        x->choice.idle_since = e->idle_since[m->index];
        x->chosen = 0;
        x->why[0] = '\0';

        why = cc_engine_out(e, x, call, queue);

        if (why != NULL) {
            x->seen = CC_SEEN_OUT;
            snprintf(x->why, CC_WHY_MAX, "%s", why);

            if (strcmp(why, "tier") == 0
                && (tier == 0 || m->membership->tier < tier))
            {
                tier = m->membership->tier;
            }

        } else if (cc_strings_has(&call->declined, m->agent->id)) {
            x->seen = CC_SEEN_DECLINED;
            ndecl++;

        } else {
            x->seen = CC_SEEN_ELIGIBLE;
            nel++;
        }
    }

    /* declined agents are eligible only when no other agent is */
    d->declined = nel == 0 && ndecl > 0;

    ctx.now = e->c->now;
    ctx.rr_order = lane->rr_order;
    ctx.random = e->random;

    npool = 0;

    for (k = 0; k < n; k++) {
        x = &e->exam[k];

        if (x->seen == CC_SEEN_DECLINED && !d->declined) {
            x->seen = CC_SEEN_OUT;
            snprintf(x->why, CC_WHY_MAX, "declined");

        } else if (x->seen != CC_SEEN_OUT) {
            s->word(&ctx, &x->choice, x->why, CC_WHY_MAX);
            e->pool[npool++] = &x->choice;
        }
    }

    sticky = cc_engine_sticky(e, call, queue, n);

    if (sticky != NULL && sticky->seen == CC_SEEN_ELIGIBLE) {
        d->kind = CC_DECIDE_OFFER;
        d->word = "sticky";
        cc_engine_choose(e, d, sticky, "sticky");
        snprintf(d->reason, CC_REASON_MAX, "sticky agent %s",
                 sticky->choice.agent->id);

    } else if (sticky != NULL) {
        d->kind = CC_DECIDE_WAIT;
        snprintf(d->reason, CC_REASON_MAX, "waiting for sticky agent %s",
                 sticky->choice.agent->id);

    } else if (npool == 0 && tier > 0) {
        d->kind = CC_DECIDE_WAIT;
        snprintf(d->reason, CC_REASON_MAX, "waiting for tier %d", tier);

    } else if (npool == 0) {
        snprintf(d->reason, CC_REASON_MAX, "no eligible agent");

    } else {
        pick = cc_strategy_pick(s, &ctx, e->pool, npool);

        for (k = 0; k < npool; k++) {
            if (pick == npool || pick == k) {
                /* pool[k] is the first member of an exam entry */
                cc_engine_choose(e, d, (cc_exam_t *) e->pool[k], s->winner);
            }
        }

        if (pick == npool) {
            d->kind = CC_DECIDE_RING;
            snprintf(d->reason, CC_REASON_MAX, "%s: %zu agents%s", s->name,
                     npool, d->declined ? ", all had declined" : "");

        } else {
            d->kind = CC_DECIDE_OFFER;
            snprintf(d->reason, CC_REASON_MAX, "%s: %s%s", s->name,
                     ((cc_exam_t *) e->pool[pick])->why,
                     d->declined ? ", had declined" : "");
        }
    }

    if (d->kind == CC_DECIDE_OFFER && d->nagents == 1) {
        lane->rr_order = d->agents[0]->order;
    }

    cc_engine_candidates(d, e->exam, n, d->nagents);
    return 0;
}

int
cc_engine_run(const cc_candidates_t *c, const cc_strategy_t *deflt,
    uint64_t *random, cc_decisions_t *out)
{
    int                rc;
    size_t             i, n, largest;
    cc_turn_t         *turns;
    cc_engine_t        e;
    const cc_call_t   *call;
    const cc_queue_t  *q;

    memset(out, 0, sizeof(*out));
    memset(&e, 0, sizeof(e));
    e.c = c;
    e.random = random;
    rc = -1;

    e.lanes = calloc(c->nqueues + 1, sizeof(cc_lane_t));
    e.load = calloc(c->nagents + 1, sizeof(int));
    e.idle_since = calloc(c->nagents + 1, sizeof(long long));
    turns = calloc(c->ncalls + 1, sizeof(cc_turn_t));

    if (e.lanes == NULL || e.load == NULL || e.idle_since == NULL
        || turns == NULL || cc_engine_lanes(&e, deflt) != 0)
    {
        goto done;
    }

    largest = 0;
    for (i = 0; i < c->nqueues; i++) {
        if (e.lanes[i].nmembers > largest) {
            largest = e.lanes[i].nmembers;
        }
    }

    e.exam = calloc(largest + 1, sizeof(cc_exam_t));
    e.pool = calloc(largest + 1, sizeof(cc_choice_t *));
    if (e.exam == NULL || e.pool == NULL) {
        goto done;
    }

    for (i = 0; i < c->nagents; i++) {
        e.load[i] = c->agents[i].load;
        e.idle_since[i] = c->agents[i].idle_since;
    }

    /* closed queues and queues not in the answer are not routed */
    n = 0;
    for (i = 0; i < c->ncalls; i++) {
        call = &c->calls[i];

        if (call->queue < 0 || !c->queues[call->queue].open) {
            continue;
        }

        q = &c->queues[call->queue];
        turns[n].call = call;
        turns[n].priority = (double) q->priority + call->priority
            + (q->priority_aging > 0
               ? (double) cc_engine_waited(c, call) / q->priority_aging : 0);
        n++;
    }

    qsort(turns, n, sizeof(cc_turn_t), cc_turn_cmp);

    out->items = calloc(n + 1, sizeof(cc_decision_t));
    if (out->items == NULL) {
        goto done;
    }

    for (i = 0; i < n; i++) {
        out->n++;
        if (cc_engine_call(&e, turns[i].call, &out->items[i]) != 0) {
            cc_decisions_free(out);
            goto done;
        }
    }

    for (i = 0; i < c->nagents; i++) {
        if (c->agents[i].status == CC_AGENT_AVAILABLE
            && e.load[i] < c->agents[i].capacity)
        {
            out->free += (size_t) (c->agents[i].capacity - e.load[i]);
        }
    }

    rc = 0;

done:

    free(e.lanes);
    free(e.members);
    free(e.load);
    free(e.idle_since);
    free(e.exam);
    free(e.pool);
    free(turns);
    return rc;
}

void
cc_decisions_free(cc_decisions_t *d)
{
    size_t  i;

    for (i = 0; i < d->n; i++) {
        free(d->items[i].agents);
    }

    free(d->items);
    memset(d, 0, sizeof(*d));
}
