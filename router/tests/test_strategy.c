#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cc_test.h"
#include "engine.h"

/*
 * The engine and its seven strategies on scripted cc_routing_state
 * answers, written with ' for " to stay readable.
 */

static cc_candidates_t  c;
static cc_decisions_t   d;
static uint64_t         seed = 42;

/* an agent of queue "q": id, order, status, load, capacity, idle_since */
#define AG(id, order, st, load, cap, idle)                                    \
    "{'id': '" id "', 'order': " #order ", 'status': '" st "', 'load': "      \
    #load ", 'capacity': " #cap ", 'idle_since': " #idle                      \
    ", 'queues': {'q': {}}}"

static void
run(const char *sq)
{
    char    err[128];
    char   *json, *p;

    json = strdup(sq);
    for (p = json; *p != '\0'; p++) {
        if (*p == '\'') {
            *p = '"';
        }
    }

    memset(&d, 0, sizeof(d));

    if (cc_candidates_parse(&c, json, strlen(json), err, sizeof(err)) != 0) {
        fprintf(stderr, "parse: %s: %s\n", err, json);
        cc_test_failures++;

    } else if (cc_engine_run(&c, cc_strategy_find(NULL), &seed, &d) != 0) {
        fprintf(stderr, "engine: out of memory\n");
        cc_test_failures++;
    }

    free(json);
}

static void
done(void)
{
    cc_decisions_free(&d);
    cc_candidates_free(&c);
}

#if defined(__GNUC__)
__attribute__((format(printf, 1, 2)))
#endif
static void
runf(const char *fmt, ...)
{
    va_list      ap;
    static char  buf[16384];

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);

    run(buf);
}

/* a state of one queue q with strategy s, agents, and calls */
static void
run_q(const char *s, const char *queue_extra, const char *agents,
    const char *calls)
{
    runf("{'now': 100000, 'queues': [{'name': 'q', 'open': true, "
         "'strategy': '%s'%s}], 'agents': [%s], 'calls': [%s]}", s,
         queue_extra, agents, calls);
}

/* decision i: kind, call, and (offer) its agent */
static int
is(size_t i, cc_decide_e kind, const char *call, const char *agent)
{
    const cc_decision_t  *x;

    if (i >= d.n) {
        return 0;
    }

    x = &d.items[i];

    return x->kind == kind && strcmp(x->call->id, call) == 0
           && (agent == NULL
               || (x->nagents > 0 && strcmp(x->agents[0]->id, agent) == 0));
}

/* the candidate agent of decision i: "eligible why" or "out why" */
static const char *
cand(size_t i, const char *agent)
{
    size_t       k;
    static char  buf[64];

    for (k = 0; i < d.n && k < d.items[i].ncandidates; k++) {
        if (strcmp(d.items[i].candidates[k].agent->id, agent) == 0) {
            snprintf(buf, sizeof(buf), "%s %s",
                     d.items[i].candidates[k].eligible ? "eligible" : "out",
                     d.items[i].candidates[k].why);
            return buf;
        }
    }

    return "none";
}

static int
reason(size_t i, const char *text)
{
    return i < d.n && strcmp(d.items[i].reason, text) == 0;
}

#define CALL(id, created)  "{'id': '" id "', 'queue': 'q', 'created': " \
                           #created "}"

static void
test_longest_idle(void)
{
    run_q("longest-idle", "",
          AG("bob", 1, "available", 0, 1, 50000) ","
          AG("alice", 2, "available", 0, 1, 20000) ","
          AG("carol", 3, "available", 0, 1, 90000),
          CALL("c1", 1));
    CC_CHECK(d.n == 1 && is(0, CC_DECIDE_OFFER, "c1", "alice"));
    CC_CHECK(strcmp(d.items[0].word, "longest-idle") == 0);
    CC_CHECK(d.items[0].idle_ms == 80000 && !d.items[0].declined);
    CC_CHECK(reason(0, "longest-idle: idle 80s"));
    CC_CHECK(strcmp(cand(0, "bob"), "eligible idle 50s") == 0);
    CC_CHECK(strcmp(cand(0, "carol"), "eligible idle 10s") == 0);
    CC_CHECK(d.items[0].ncandidates == 3);
    done();

    /* oldest call first; each agent once (capacity 1), then busy */
    run_q("longest-idle", "",
          AG("bob", 1, "available", 0, 1, 50000) ","
          AG("alice", 2, "available", 0, 1, 20000),
          CALL("c3", 30) "," CALL("c1", 10) "," CALL("c2", 20));
    CC_CHECK(d.n == 3);
    CC_CHECK(is(0, CC_DECIDE_OFFER, "c1", "alice"));
    CC_CHECK(is(1, CC_DECIDE_OFFER, "c2", "bob"));
    CC_CHECK(is(2, CC_DECIDE_NONE, "c3", NULL));
    CC_CHECK(strcmp(cand(2, "alice"), "out busy") == 0);
    CC_CHECK(reason(2, "no eligible agent"));
    done();
}

static void
test_round_robin(void)
{
    const char  *agents =
        AG("a", 1, "available", 0, 1, 1) ","
        AG("b", 2, "available", 0, 1, 1) ","
        AG("c", 3, "available", 0, 1, 1) ","
        AG("d", 4, "available", 0, 1, 1);

    /* after b comes c, then (locally) d */
    run_q("round-robin", ", 'rr_last': 'b'", agents,
          CALL("c1", 1) "," CALL("c2", 2));
    CC_CHECK(is(0, CC_DECIDE_OFFER, "c1", "c"));
    CC_CHECK(is(1, CC_DECIDE_OFFER, "c2", "d"));
    CC_CHECK(strcmp(cand(0, "c"), "eligible next in order") == 0);
    CC_CHECK(strcmp(cand(0, "a"), "eligible order 1") == 0);
    CC_CHECK(reason(0, "round-robin: next in order"));
    done();

    /* wrapping after the last */
    run_q("round-robin", ", 'rr_last': 'd'", agents, CALL("c1", 1));
    CC_CHECK(is(0, CC_DECIDE_OFFER, "c1", "a"));
    done();

    /* nobody before: the first; an unknown last one: the first */
    run_q("round-robin", ", 'rr_last': null", agents, CALL("c1", 1));
    CC_CHECK(is(0, CC_DECIDE_OFFER, "c1", "a"));
    done();
    run_q("round-robin", ", 'rr_last': 'zz'", agents, CALL("c1", 1));
    CC_CHECK(is(0, CC_DECIDE_OFFER, "c1", "a"));
    done();

    /* the next one busy: skipped */
    run_q("round-robin", ", 'rr_last': 'b'",
          AG("a", 1, "available", 0, 1, 1) ","
          AG("b", 2, "available", 0, 1, 1) ","
          AG("c", 3, "busy", 1, 1, 1),
          CALL("c1", 1));
    CC_CHECK(is(0, CC_DECIDE_OFFER, "c1", "a"));
    done();
}

static void
test_top_down(void)
{
    /* the first in order every time, whoever idles longer */
    run_q("top-down", "",
          AG("z", 1, "available", 0, 1, 90000) ","
          AG("y", 2, "available", 0, 1, 100) ","
          AG("x", 3, "available", 0, 1, 10),
          CALL("c1", 1) "," CALL("c2", 2));
    CC_CHECK(is(0, CC_DECIDE_OFFER, "c1", "z"));
    CC_CHECK(is(1, CC_DECIDE_OFFER, "c2", "y"));
    CC_CHECK(reason(0, "top-down: first in order"));
    CC_CHECK(strcmp(cand(1, "x"), "eligible order 3") == 0);
    done();
}

static void
test_least_busy(void)
{
    run_q("least-busy", "",
          AG("half", 1, "available", 1, 2, 1) ","
          AG("idle", 2, "available", 0, 1, 90000) ","
          AG("quarter", 3, "available", 1, 4, 5),
          CALL("c1", 1) "," CALL("c2", 2) "," CALL("c3", 3));
    /* 0/1, then 1/4, then 1/2 (half, idle longer) against 2/4 */
    CC_CHECK(is(0, CC_DECIDE_OFFER, "c1", "idle"));
    CC_CHECK(is(1, CC_DECIDE_OFFER, "c2", "quarter"));
    CC_CHECK(is(2, CC_DECIDE_OFFER, "c3", "half"));
    CC_CHECK(strcmp(cand(0, "half"), "eligible load 1/2") == 0);
    CC_CHECK(strcmp(cand(2, "quarter"), "eligible load 2/4") == 0);
    CC_CHECK(reason(0, "least-busy: load 0/1"));
    done();
}

static void
test_fewest_calls(void)
{
    run_q("fewest-calls", "",
          "{'id': 'many', 'order': 1, 'status': 'available', 'load': 0,"
          " 'capacity': 1, 'idle_since': 1, 'queues': {'q': {'answered': 3}}},"
          "{'id': 'one', 'order': 2, 'status': 'available', 'load': 0,"
          " 'capacity': 1, 'idle_since': 500, 'queues': {'q': {'answered': 1}}},"
          "{'id': 'uno', 'order': 3, 'status': 'available', 'load': 0,"
          " 'capacity': 1, 'idle_since': 400, 'queues': {'q': {'answered': 1}}}",
          CALL("c1", 1) "," CALL("c2", 2) "," CALL("c3", 3));
    CC_CHECK(is(0, CC_DECIDE_OFFER, "c1", "uno"));
    CC_CHECK(is(1, CC_DECIDE_OFFER, "c2", "one"));
    CC_CHECK(is(2, CC_DECIDE_OFFER, "c3", "many"));
    CC_CHECK(strcmp(cand(0, "many"), "eligible 3 answered today") == 0);
    CC_CHECK(reason(0, "fewest-calls: 1 answered today"));
    done();
}

static void
test_random(void)
{
    int  i, got_a, got_b;

    got_a = 0;
    got_b = 0;

    for (i = 0; i < 64; i++) {
        run_q("random", "",
              AG("a", 1, "available", 0, 1, 1) ","
              AG("b", 2, "available", 0, 1, 1) ","
              AG("c", 3, "away", 0, 1, 1),
              CALL("c1", 1));
        CC_CHECK(d.n == 1 && d.items[0].kind == CC_DECIDE_OFFER);
        CC_CHECK(strcmp(d.items[0].agents[0]->id, "c") != 0);
        got_a += strcmp(d.items[0].agents[0]->id, "a") == 0;
        got_b += strcmp(d.items[0].agents[0]->id, "b") == 0;
        CC_CHECK(strcmp(cand(0, "a"), "eligible random") == 0);
        CC_CHECK(reason(0, "random: random"));
        done();
    }

    CC_CHECK(got_a > 0 && got_b > 0 && got_a + got_b == 64);
}

static void
test_ring_all(void)
{
    run_q("ring-all", "",
          AG("a", 1, "available", 0, 1, 1) ","
          AG("b", 2, "away", 0, 1, 1) ","
          AG("c", 3, "available", 1, 2, 1) ","
          AG("e", 4, "available", 0, 1, 1),
          CALL("c1", 1) "," CALL("c2", 2));
    CC_CHECK(d.n == 2 && is(0, CC_DECIDE_RING, "c1", "a"));
    CC_CHECK(d.items[0].nagents == 3);
    CC_CHECK(strcmp(d.items[0].agents[1]->id, "c") == 0);
    CC_CHECK(strcmp(d.items[0].agents[2]->id, "e") == 0);
    CC_CHECK(strcmp(cand(0, "a"), "eligible rings") == 0);
    CC_CHECK(strcmp(cand(0, "b"), "out away") == 0);
    CC_CHECK(reason(0, "ring-all: 3 agents"));
    /* every ringing agent counts one more call: all full for c2 */
    CC_CHECK(is(1, CC_DECIDE_NONE, "c2", NULL));
    CC_CHECK(strcmp(cand(1, "c"), "out busy") == 0);
    done();
}

static void
test_whys(void)
{
    run("{'now': 100000, 'queues': [{'name': 'q', 'tier_wait': 60000}],"
        " 'agents': ["
        "{'id': 'off', 'status': 'offline', 'queues': {'q': {}}},"
        "{'id': 'away', 'status': 'away', 'queues': {'q': {}}},"
        "{'id': 'wrap', 'status': 'wrapup', 'queues': {'q': {}}},"
        "{'id': 'full', 'status': 'busy', 'load': 1, 'queues': {'q': {}}},"
        "{'id': 'rej', 'status': 'available', 'skills': ['fr'],"
        " 'queues': {'q': {'reject_until': 100001}}},"
        "{'id': 'en', 'status': 'available', 'queues': {'q': {}}},"
        "{'id': 't2', 'status': 'available', 'skills': ['fr'],"
        " 'queues': {'q': {'tier': 2}}},"
        "{'id': 'dec', 'status': 'available', 'skills': ['fr'],"
        " 'queues': {'q': {}}},"
        "{'id': 'ok', 'status': 'available', 'skills': ['fr'],"
        " 'queues': {'q': {'reject_until': 100000}}},"
        "{'id': 'other', 'status': 'available', 'queues': {'r': {}}}],"
        " 'calls': [{'id': 'c1', 'queue': 'q', 'created': 90000,"
        " 'skills': ['fr'], 'declined': ['dec']}]}");
    CC_CHECK(d.n == 1 && is(0, CC_DECIDE_OFFER, "c1", "ok"));
    CC_CHECK(strcmp(cand(0, "off"), "out offline") == 0);
    CC_CHECK(strcmp(cand(0, "away"), "out away") == 0);
    CC_CHECK(strcmp(cand(0, "wrap"), "out wrapup") == 0);
    CC_CHECK(strcmp(cand(0, "full"), "out busy") == 0);
    CC_CHECK(strcmp(cand(0, "rej"), "out reject_delay") == 0);
    CC_CHECK(strcmp(cand(0, "en"), "out skills") == 0);
    CC_CHECK(strcmp(cand(0, "t2"), "out tier") == 0);
    CC_CHECK(strcmp(cand(0, "dec"), "out declined") == 0);
    CC_CHECK(strcmp(cand(0, "ok"), "eligible idle") == 0);
    /* only the agents of the call's queue, by order then id */
    CC_CHECK(strcmp(cand(0, "other"), "none") == 0);
    CC_CHECK(d.items[0].ncandidates == 9);
    CC_CHECK(strcmp(d.items[0].candidates[0].agent->id, "away") == 0);
    done();
}

/* one agent of both queues: vip (priority 5), normal (aging) */
static void
run_priority(const char *aging, int old, int new)
{
    runf("{'now': 100000, 'queues': ["
         "{'name': 'normal', 'priority': 0, 'priority_aging': %s},"
         "{'name': 'vip', 'priority': 5}], 'agents': ["
         "{'id': 'a', 'status': 'available', 'capacity': 1, 'idle_since': 1,"
         " 'queues': {'normal': {}, 'vip': {}}}], 'calls': ["
         "{'id': 'old', 'queue': 'normal', 'created': %d},"
         "{'id': 'new', 'queue': 'vip', 'created': %d}]}", aging, old, new);
}

static void
test_priority(void)
{
    /* vip before the older normal call */
    run_priority("0", 40000, 90000);
    CC_CHECK(d.n == 2 && is(0, CC_DECIDE_OFFER, "new", "a"));
    CC_CHECK(is(1, CC_DECIDE_NONE, "old", NULL));
    done();

    /* aging: 60 s waited at one level per 10 s: 6 > 5 */
    run_priority("10000", 40000, 90000);
    CC_CHECK(is(0, CC_DECIDE_OFFER, "old", "a"));
    done();

    /* aging is continuous: 4.9 levels stay below 5, no rounding up */
    run_priority("10000", 51000, 99999);
    CC_CHECK(is(0, CC_DECIDE_OFFER, "new", "a"));
    done();

    /* the call's own priority adds to its queue's; equal: oldest, then id */
    run("{'now': 100000, 'queues': [{'name': 'q'}], 'agents': ["
        "{'id': 'a', 'status': 'available', 'capacity': 4,"
        " 'queues': {'q': {}}}], 'calls': ["
        "{'id': 'b2', 'queue': 'q', 'created': 5},"
        "{'id': 'b1', 'queue': 'q', 'created': 5},"
        "{'id': 'gold', 'queue': 'q', 'created': 99000, 'priority': 3},"
        "{'id': 'first', 'queue': 'q', 'created': 1}]}");
    CC_CHECK(d.n == 4 && is(0, CC_DECIDE_OFFER, "gold", "a"));
    CC_CHECK(is(1, CC_DECIDE_OFFER, "first", "a"));
    CC_CHECK(is(2, CC_DECIDE_OFFER, "b1", "a"));
    CC_CHECK(is(3, CC_DECIDE_OFFER, "b2", "a"));
    done();

    /* closed queues and queues not in the answer are not routed */
    run("{'now': 100000, 'queues': [{'name': 'q', 'open': false},"
        " {'name': 'r'}], 'agents': ["
        "{'id': 'a', 'status': 'available', 'queues': {'q': {}, 'r': {}}}],"
        " 'calls': [{'id': 'c1', 'queue': 'q'}, {'id': 'c2', 'queue': 'x'},"
        " {'id': 'c3', 'queue': 'r', 'created': 99999}]}");
    CC_CHECK(d.n == 1 && is(0, CC_DECIDE_OFFER, "c3", "a"));
    done();
}

/* t1 busy, t2 and t3 available, tier_wait 30 s, a call from created */
static void
run_tiers(int created)
{
    runf("{'now': 100000, 'queues': [{'name': 'q', 'tier_wait': 30000}],"
         " 'agents': ["
         "{'id': 't1', 'status': 'busy', 'load': 1, 'queues': {'q': {}}},"
         "{'id': 't2', 'status': 'available', 'queues': {'q': {'tier': 2}}},"
         "{'id': 't3', 'status': 'available', 'queues': {'q': {'tier': 3}}}"
         "], 'calls': [{'id': 'c1', 'queue': 'q', 'created': %d}]}", created);
}

static void
test_tiers(void)
{
    /* 10 s waited: tier 2 not yet */
    run_tiers(90000);
    CC_CHECK(d.n == 1 && is(0, CC_DECIDE_WAIT, "c1", NULL));
    CC_CHECK(reason(0, "waiting for tier 2"));
    CC_CHECK(strcmp(cand(0, "t2"), "out tier") == 0);
    CC_CHECK(strcmp(cand(0, "t1"), "out busy") == 0);
    done();

    /* exactly 30 s: tier 2 eligible, tier 3 not */
    run_tiers(70000);
    CC_CHECK(is(0, CC_DECIDE_OFFER, "c1", "t2"));
    CC_CHECK(strcmp(cand(0, "t3"), "out tier") == 0);
    done();

    /* 60 s: both; t3 idles longer */
    run_tiers(40000);
    CC_CHECK(is(0, CC_DECIDE_OFFER, "c1", "t2"));
    CC_CHECK(strcmp(cand(0, "t3"), "eligible idle") == 0);
    done();
}

/* alice idle longest, bob with status bob_status; sticky window ms,
 * the call from created, more of it in extra */
static void
run_sticky(const char *bob_status, int window, int created,
    const char *extra)
{
    runf("{'now': 100000, 'queues': [{'name': 'q', 'sticky': %d}],"
         " 'agents': [" AG("alice", 1, "available", 0, 1, 1000) ","
         "{'id': 'bob', 'order': 2, 'status': '%s', 'load': 0,"
         " 'capacity': 1, 'idle_since': 90000, 'queues': {'q': {}}}],"
         " 'calls': [{'id': 'c1', 'queue': 'q', 'created': %d%s}]}",
         window, bob_status, created, extra);
}

static void
test_sticky(void)
{
    /* within the window: bob, though alice idles longer */
    run_sticky("available", 15000, 95000, ", 'sticky': 'bob'");
    CC_CHECK(d.n == 1 && is(0, CC_DECIDE_OFFER, "c1", "bob"));
    CC_CHECK(strcmp(d.items[0].word, "sticky") == 0);
    CC_CHECK(strcmp(cand(0, "bob"), "eligible sticky") == 0);
    CC_CHECK(strcmp(cand(0, "alice"), "eligible idle 99s") == 0);
    CC_CHECK(reason(0, "sticky agent bob"));
    done();

    /* bob busy: the call waits for him */
    run_sticky("busy", 15000, 95000, ", 'sticky': 'bob'");
    CC_CHECK(is(0, CC_DECIDE_WAIT, "c1", NULL));
    CC_CHECK(reason(0, "waiting for sticky agent bob"));
    CC_CHECK(d.items[0].nagents == 0);
    done();

    /* past the window: as usual */
    run_sticky("busy", 15000, 85000, ", 'sticky': 'bob'");
    CC_CHECK(is(0, CC_DECIDE_OFFER, "c1", "alice"));
    CC_CHECK(strcmp(d.items[0].word, "longest-idle") == 0);
    done();

    /* sticky off, a sticky agent not of the queue, one who declined */
    run_sticky("away", 0, 99000, ", 'sticky': 'bob'");
    CC_CHECK(is(0, CC_DECIDE_OFFER, "c1", "alice"));
    done();
    run_sticky("away", 15000, 99000, ", 'sticky': 'zed'");
    CC_CHECK(is(0, CC_DECIDE_OFFER, "c1", "alice"));
    done();
    run_sticky("away", 15000, 99000,
               ", 'sticky': 'bob', 'declined': ['bob']");
    CC_CHECK(is(0, CC_DECIDE_OFFER, "c1", "alice"));
    done();
}

static void
test_declined(void)
{
    /* alice idles longest but declined c1: bob gets it */
    run_q("longest-idle", "",
          AG("alice", 1, "available", 0, 1, 1) ","
          AG("bob", 2, "available", 0, 1, 2),
          "{'id': 'c1', 'queue': 'q', 'declined': ['alice']}");
    CC_CHECK(is(0, CC_DECIDE_OFFER, "c1", "bob") && !d.items[0].declined);
    CC_CHECK(strcmp(cand(0, "alice"), "out declined") == 0);
    done();

    /* everyone eligible declined: the longest idle of them, marked */
    run_q("longest-idle", "",
          AG("alice", 1, "available", 0, 1, 9) ","
          AG("bob", 2, "available", 0, 1, 2),
          "{'id': 'c1', 'queue': 'q', 'declined': ['bob', 'alice']}");
    CC_CHECK(is(0, CC_DECIDE_OFFER, "c1", "bob") && d.items[0].declined);
    CC_CHECK(strcmp(cand(0, "alice"), "eligible idle 99s") == 0);
    CC_CHECK(reason(0, "longest-idle: idle 99s, had declined"));
    done();

    /* the one who did not decline is away: the declined one */
    run_q("longest-idle", "",
          AG("alice", 1, "available", 0, 1, 5) ","
          AG("bob", 2, "away", 0, 1, 2),
          "{'id': 'c1', 'queue': 'q', 'declined': ['alice']}");
    CC_CHECK(is(0, CC_DECIDE_OFFER, "c1", "alice"));
    done();
}

static void
test_capacity(void)
{
    /* loads counted across calls and queues within the step */
    run("{'now': 1000, 'queues': [{'name': 'q'}, {'name': 'r'}],"
        " 'agents': ["
        "{'id': 'big', 'status': 'available', 'load': 1, 'capacity': 3,"
        " 'idle_since': 100, 'queues': {'q': {}, 'r': {}}},"
        "{'id': 'one', 'status': 'available', 'load': 0, 'capacity': 1,"
        " 'idle_since': 500, 'queues': {'q': {}}}],"
        " 'calls': [{'id': 'c1', 'queue': 'q', 'created': 1},"
        " {'id': 'c2', 'queue': 'r', 'created': 2},"
        " {'id': 'c3', 'queue': 'q', 'created': 3},"
        " {'id': 'c4', 'queue': 'q', 'created': 4},"
        " {'id': 'c5', 'queue': 'r', 'created': 5}]}");
    CC_CHECK(d.n == 5);
    CC_CHECK(is(0, CC_DECIDE_OFFER, "c1", "big"));
    CC_CHECK(is(1, CC_DECIDE_OFFER, "c2", "big"));  /* still room */
    CC_CHECK(is(2, CC_DECIDE_OFFER, "c3", "one"));
    CC_CHECK(is(3, CC_DECIDE_NONE, "c4", NULL));
    CC_CHECK(strcmp(cand(3, "big"), "out busy") == 0);
    CC_CHECK(is(4, CC_DECIDE_NONE, "c5", NULL));
    /* given a call: idle since now for the rest of the step */
    CC_CHECK(d.items[1].idle_ms == 0);
    done();

    run("{'now': 1000, 'queues': {}, 'agents': {}, 'calls': {}}");
    CC_CHECK(d.n == 0);
    done();
}

static void
test_ties(void)
{
    run_q("longest-idle", "",
          AG("zed", 1, "available", 0, 1, 1) ","
          AG("amy", 1, "available", 0, 1, 1) ","
          AG("max", 1, "available", 0, 1, 1),
          CALL("c1", 1) "," CALL("c2", 1));
    CC_CHECK(d.n == 2 && is(0, CC_DECIDE_OFFER, "c1", "amy"));
    CC_CHECK(is(1, CC_DECIDE_OFFER, "c2", "max"));
    done();

    run_q("top-down", "",
          AG("zed", 1, "available", 0, 1, 1) ","
          AG("amy", 1, "available", 0, 1, 1),
          CALL("c1", 1));
    CC_CHECK(is(0, CC_DECIDE_OFFER, "c1", "amy"));
    done();
}

static void
test_many(void)
{
    char    *buf;
    size_t   len, i;

    /* 60 agents: 50 candidates kept, the winner (the last one) among them */
    buf = malloc(16384);
    len = (size_t) snprintf(buf, 16384, "{'now': 100000, 'queues':"
                            " [{'name': 'q'}], 'agents': [");
    for (i = 0; i < 60; i++) {
        len += (size_t) snprintf(buf + len, 16384 - len,
                                 "%s{'id': 'a%02zu', 'order': %zu, 'status':"
                                 " 'available', 'idle_since': %zu,"
                                 " 'queues': {'q': {}}}", i ? "," : "",
                                 i, i, 1000 - i);
    }
    snprintf(buf + len, 16384 - len, "], 'calls': [{'id': 'c',"
             " 'queue': 'q'}]}");
    run(buf);
    free(buf);

    CC_CHECK(is(0, CC_DECIDE_OFFER, "c", "a59"));
    CC_CHECK(d.items[0].ncandidates == CC_DECISION_CANDIDATES);
    CC_CHECK(strcmp(d.items[0].candidates[48].agent->id, "a48") == 0);
    CC_CHECK(strcmp(d.items[0].candidates[49].agent->id, "a59") == 0);
    CC_CHECK(d.items[0].candidates[49].chosen);
    done();
}

static void
test_find(void)
{
    const char  *names[] = {
        "longest-idle", "round-robin", "top-down", "least-busy",
        "fewest-calls", "random", "ring-all"
    };
    size_t       i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        CC_CHECK(cc_strategy_find(names[i]) != NULL
                 && strcmp(cc_strategy_find(names[i])->name, names[i]) == 0);
    }

    CC_CHECK(cc_strategy_find("longest-idle") == cc_strategy_find(NULL));
    CC_CHECK(cc_strategy_find("nope") == NULL);

    /* a queue naming an unknown strategy gets the default */
    run_q("coin-toss", "", AG("a", 1, "available", 0, 1, 1), CALL("c1", 1));
    CC_CHECK(is(0, CC_DECIDE_OFFER, "c1", "a"));
    CC_CHECK(strcmp(d.items[0].strategy, "longest-idle") == 0);
    done();
}

int
main(void)
{
    test_longest_idle();
    test_round_robin();
    test_top_down();
    test_least_busy();
    test_fewest_calls();
    test_random();
    test_ring_all();
    test_whys();
    test_priority();
    test_tiers();
    test_sticky();
    test_declined();
    test_capacity();
    test_ties();
    test_many();
    test_find();
    return CC_TEST_DONE();
}
