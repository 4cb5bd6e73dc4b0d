#include <stdlib.h>
#include <string.h>

#include "cc_test.h"
#include "strategy.h"

static cc_candidates_t  c;
static cc_pick_t        picks[16];
static long             npicks;

/* Runs the default strategy on a cc_route_candidates answer. */
static void
route(const char *json)
{
    char  err[128];

    npicks = -1;
    if (cc_candidates_parse(&c, json, strlen(json), err, sizeof(err)) != 0) {
        fprintf(stderr, "parse: %s: %s\n", err, json);
        cc_test_failures++;
        return;
    }

    npicks = cc_strategy_run(cc_strategy_find(NULL), &c, picks);
}

static int
picked(long i, const char *call, const char *agent)
{
    return i < npicks && strcmp(picks[i].call->id, call) == 0
           && strcmp(picks[i].agent->id, agent) == 0;
}

static void
test_longest_idle(void)
{
    route("{\"now\": 100000, \"calls\": [{\"id\": \"c1\", \"created\": 1}],"
          " \"agents\": ["
          "{\"id\": \"bob\", \"load\": 0, \"capacity\": 1,"
          " \"idle_since\": 50000},"
          "{\"id\": \"alice\", \"load\": 0, \"capacity\": 1,"
          " \"idle_since\": 20000},"
          "{\"id\": \"carol\", \"load\": 0, \"capacity\": 1,"
          " \"idle_since\": 90000}]}");
    CC_CHECK(npicks == 1);
    CC_CHECK(picked(0, "c1", "alice"));
    CC_CHECK(strcmp(picks[0].reason, "longest-idle") == 0);
    CC_CHECK(picks[0].declined == 0);
    CC_CHECK(picks[0].idle_ms == 80000);
    cc_candidates_free(&c);

    /* oldest call first; each agent once (capacity 1) */
    route("{\"now\": 100000, \"calls\": ["
          "{\"id\": \"c1\", \"created\": 10}, {\"id\": \"c2\", \"created\": 20},"
          " {\"id\": \"c3\", \"created\": 30}], \"agents\": ["
          "{\"id\": \"bob\", \"load\": 0, \"capacity\": 1,"
          " \"idle_since\": 50000},"
          "{\"id\": \"alice\", \"load\": 0, \"capacity\": 1,"
          " \"idle_since\": 20000}]}");
    CC_CHECK(npicks == 2);
    CC_CHECK(picked(0, "c1", "alice"));
    CC_CHECK(picked(1, "c2", "bob"));
    cc_candidates_free(&c);
}

static void
test_ties(void)
{
    route("{\"now\": 5, \"calls\": [{\"id\": \"c1\"}, {\"id\": \"c2\"}],"
          " \"agents\": ["
          "{\"id\": \"zed\", \"load\": 0, \"capacity\": 1, \"idle_since\": 1},"
          "{\"id\": \"amy\", \"load\": 0, \"capacity\": 1, \"idle_since\": 1},"
          "{\"id\": \"max\", \"load\": 0, \"capacity\": 1, \"idle_since\": 1}"
          "]}");
    CC_CHECK(npicks == 2);
    CC_CHECK(picked(0, "c1", "amy"));
    CC_CHECK(picked(1, "c2", "max"));
    cc_candidates_free(&c);
}

static void
test_capacity(void)
{
    /* full agents are skipped; an agent with room takes several calls,
     * but once busy it counts as idle since now for the round */
    route("{\"now\": 1000, \"calls\": [{\"id\": \"c1\"}, {\"id\": \"c2\"},"
          " {\"id\": \"c3\"}, {\"id\": \"c4\"}, {\"id\": \"c5\"}],"
          " \"agents\": ["
          "{\"id\": \"full\", \"load\": 2, \"capacity\": 2,"
          " \"idle_since\": 1},"
          "{\"id\": \"big\", \"load\": 1, \"capacity\": 3,"
          " \"idle_since\": 100},"
          "{\"id\": \"one\", \"load\": 0, \"capacity\": 1,"
          " \"idle_since\": 500}]}");
    CC_CHECK(npicks == 3);
    CC_CHECK(picked(0, "c1", "big"));
    CC_CHECK(picked(1, "c2", "one"));
    CC_CHECK(picked(2, "c3", "big"));
    cc_candidates_free(&c);

    route("{\"now\": 1000, \"calls\": [{\"id\": \"c1\"}], \"agents\": {}}");
    CC_CHECK(npicks == 0);
    cc_candidates_free(&c);

    route("{\"now\": 1000, \"calls\": {}, \"agents\": [{\"id\": \"a\","
          " \"load\": 0, \"capacity\": 1, \"idle_since\": 1}]}");
    CC_CHECK(npicks == 0);
    cc_candidates_free(&c);
}

static void
test_skills(void)
{
    route("{\"now\": 1000, \"calls\": ["
          "{\"id\": \"c1\", \"skills\": [\"fr\", \"billing\"]},"
          "{\"id\": \"c2\", \"skills\": [\"de\"]},"
          "{\"id\": \"c3\", \"skills\": {}}], \"agents\": ["
          "{\"id\": \"en\", \"load\": 0, \"capacity\": 1, \"idle_since\": 1,"
          " \"skills\": {}},"
          "{\"id\": \"fr\", \"load\": 0, \"capacity\": 1, \"idle_since\": 2,"
          " \"skills\": [\"fr\"]},"
          "{\"id\": \"frb\", \"load\": 0, \"capacity\": 1, \"idle_since\": 3,"
          " \"skills\": [\"billing\", \"fr\", \"es\"]}]}");
    CC_CHECK(npicks == 2);
    CC_CHECK(picked(0, "c1", "frb"));   /* only one with both skills */
    CC_CHECK(picked(1, "c3", "en"));    /* c2: nobody speaks de */
    cc_candidates_free(&c);
}

static void
test_declined(void)
{
    /* alice idles longest but declined c1: bob gets it */
    route("{\"now\": 1000, \"calls\": ["
          "{\"id\": \"c1\", \"declined\": [\"alice\"]}], \"agents\": ["
          "{\"id\": \"alice\", \"load\": 0, \"capacity\": 1,"
          " \"idle_since\": 1},"
          "{\"id\": \"bob\", \"load\": 0, \"capacity\": 1,"
          " \"idle_since\": 2}]}");
    CC_CHECK(npicks == 1);
    CC_CHECK(picked(0, "c1", "bob"));
    CC_CHECK(picks[0].declined == 0);
    cc_candidates_free(&c);

    /* everyone eligible declined: the longest idle of them, marked */
    route("{\"now\": 1000, \"calls\": ["
          "{\"id\": \"c1\", \"declined\": [\"bob\", \"alice\"]}], \"agents\": ["
          "{\"id\": \"alice\", \"load\": 0, \"capacity\": 1,"
          " \"idle_since\": 9},"
          "{\"id\": \"bob\", \"load\": 0, \"capacity\": 1,"
          " \"idle_since\": 2}]}");
    CC_CHECK(npicks == 1);
    CC_CHECK(picked(0, "c1", "bob"));
    CC_CHECK(picks[0].declined == 1);
    cc_candidates_free(&c);

    /* the one who did not decline is unskilled: the declined one */
    route("{\"now\": 1000, \"calls\": [{\"id\": \"c1\", \"skills\": [\"fr\"],"
          " \"declined\": [\"alice\"]}], \"agents\": ["
          "{\"id\": \"alice\", \"load\": 0, \"capacity\": 1,"
          " \"idle_since\": 5, \"skills\": [\"fr\"]},"
          "{\"id\": \"bob\", \"load\": 0, \"capacity\": 1,"
          " \"idle_since\": 2}]}");
    CC_CHECK(npicks == 1);
    CC_CHECK(picked(0, "c1", "alice"));
    cc_candidates_free(&c);
}

static void
test_parse(void)
{
    char  err[128];
    const char  *bad[] = {
        "", "[]", "{\"calls\": 3, \"agents\": []}",
        "{\"calls\": [{\"id\": \"bad id\"}], \"agents\": []}",
        "{\"calls\": [{\"id\": \"c\", \"skills\": [1]}], \"agents\": []}",
        "{\"calls\": [], \"agents\": [{\"id\": \"a\", \"load\": true}]}",
        "{\"calls\": [{\"id\": \"c\"}], \"agents\": {\"x\": 1}}",
    };
    size_t  i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CC_CHECK(cc_candidates_parse(&c, bad[i], strlen(bad[i]), err,
                                     sizeof(err)) == -1);
    }

    /* numbers sent as strings, missing fields */
    route("{\"now\": \"2000\", \"calls\": [{\"id\": \"c\","
          " \"created\": \"500\"}], \"agents\": [{\"id\": \"a\","
          " \"load\": \"0\", \"capacity\": \"2\", \"idle_since\": \"1000\"}]}");
    CC_CHECK(c.now == 2000 && c.calls[0].created == 500);
    CC_CHECK(c.agents[0].capacity == 2 && c.agents[0].idle_since == 1000);
    CC_CHECK(npicks == 1 && picks[0].idle_ms == 1000);
    cc_candidates_free(&c);
}

static void
test_find(void)
{
    CC_CHECK(cc_strategy_find(NULL) != NULL);
    CC_CHECK(cc_strategy_find("longest-idle") == cc_strategy_find(NULL));
    CC_CHECK(cc_strategy_find("nope") == NULL);
}

int
main(void)
{
    test_longest_idle();
    test_ties();
    test_capacity();
    test_skills();
    test_declined();
    test_parse();
    test_find();
    return CC_TEST_DONE();
}
