#include <stdio.h>
#include <string.h>

#include "strategy.h"

static int
cc_by_id(const cc_choice_t *a, const cc_choice_t *b)
{
    return strcmp(a->agent->id, b->agent->id) < 0;
}

/* longest-idle: oldest idle_since first, then id */
static int
cc_by_idle(const cc_pick_ctx_t *ctx, const cc_choice_t *a,
    const cc_choice_t *b)
{
    (void) ctx;

    return a->idle_since != b->idle_since ? a->idle_since < b->idle_since
                                          : cc_by_id(a, b);
}

/* top-down: the order of the agents file, then id */
static int
cc_by_order(const cc_pick_ctx_t *ctx, const cc_choice_t *a,
    const cc_choice_t *b)
{
    (void) ctx;

    return a->agent->order != b->agent->order
           ? a->agent->order < b->agent->order : cc_by_id(a, b);
}

/* those after the last one offered first, in order: wrapping */
static int
cc_round_robin(const cc_pick_ctx_t *ctx, const cc_choice_t *a,
    const cc_choice_t *b)
{
    int  a_after, b_after;

    a_after = a->agent->order > ctx->rr_order;
    b_after = b->agent->order > ctx->rr_order;

    return a_after != b_after ? a_after : cc_by_order(ctx, a, b);
}

/* lowest load / capacity (capacity >= 1: the others are never eligible) */
static int
cc_least_busy(const cc_pick_ctx_t *ctx, const cc_choice_t *a,
    const cc_choice_t *b)
{
    long long  x, y;

    x = (long long) a->load * b->agent->capacity;
    y = (long long) b->load * a->agent->capacity;

    return x != y ? x < y : cc_by_idle(ctx, a, b);
}

static int
cc_fewest_calls(const cc_pick_ctx_t *ctx, const cc_choice_t *a,
    const cc_choice_t *b)
{
    long long  x, y;

    x = a->membership->answered;
    y = b->membership->answered;

    return x != y ? x < y : cc_by_idle(ctx, a, b);
}

static void
cc_word_idle(const cc_pick_ctx_t *ctx, const cc_choice_t *a, char *why,
    size_t size)
{
    if (a->idle_since > 0 && a->idle_since <= ctx->now) {
        snprintf(why, size, "idle %llds", (ctx->now - a->idle_since) / 1000);

    } else {
        snprintf(why, size, "idle");
    }
}

static void
cc_word_order(const cc_pick_ctx_t *ctx, const cc_choice_t *a, char *why,
    size_t size)
{
    (void) ctx;
    snprintf(why, size, "order %lld", a->agent->order);
}

static void
cc_word_load(const cc_pick_ctx_t *ctx, const cc_choice_t *a, char *why,
    size_t size)
{
    (void) ctx;
    snprintf(why, size, "load %d/%d", a->load, a->agent->capacity);
}

static void
cc_word_answered(const cc_pick_ctx_t *ctx, const cc_choice_t *a, char *why,
    size_t size)
{
    (void) ctx;
    snprintf(why, size, "%lld answered today", a->membership->answered);
}

static void
cc_word_random(const cc_pick_ctx_t *ctx, const cc_choice_t *a, char *why,
    size_t size)
{
    (void) ctx;
    (void) a;
    snprintf(why, size, "random");
}

static void
cc_word_rings(const cc_pick_ctx_t *ctx, const cc_choice_t *a, char *why,
    size_t size)
{
    (void) ctx;
    (void) a;
    snprintf(why, size, "rings");
}

/* the first is the default */
static const cc_strategy_t  cc_strategies[] = {
    { "longest-idle", CC_PICK_BEST, cc_by_idle, cc_word_idle, NULL },
    { "round-robin", CC_PICK_BEST, cc_round_robin, cc_word_order,
      "next in order" },
    { "top-down", CC_PICK_BEST, cc_by_order, cc_word_order,
      "first in order" },
    { "least-busy", CC_PICK_BEST, cc_least_busy, cc_word_load, NULL },
    { "fewest-calls", CC_PICK_BEST, cc_fewest_calls, cc_word_answered,
      NULL },
    { "random", CC_PICK_RANDOM, NULL, cc_word_random, NULL },
    { "ring-all", CC_PICK_ALL, NULL, cc_word_rings, NULL },
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

/* xorshift64: good enough to spread calls, and reproducible in tests */
static uint64_t
cc_strategy_random(uint64_t *state)
{
    uint64_t  x;

    x = *state != 0 ? *state : 0x9e3779b97f4a7c15ULL;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *state = x;

    return x;
}

size_t
cc_strategy_pick(const cc_strategy_t *s, const cc_pick_ctx_t *ctx,
    cc_choice_t *const *el, size_t n)
{
    size_t  i, best;

    switch (s->pick) {

    case CC_PICK_ALL:
        return n;

    case CC_PICK_RANDOM:
        return (size_t) (cc_strategy_random(ctx->random) % n);

    default:
        best = 0;

        for (i = 1; i < n; i++) {
            if (s->before(ctx, el[i], el[best])) {
                best = i;
            }
        }

        return best;
    }
}
