#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cc_test.h"
#include "record.h"

static cc_candidates_t  c;
static cc_decisions_t   d;

/* the decisions of a state with agents a (idle longest), b (away), e */
static void
decide(const char *strategy, const char *call_extra)
{
    char      json[1024], err[128];
    uint64_t  seed = 1;

    snprintf(json, sizeof(json), "{\"now\": 100000, \"queues\": [{\"name\":"
             " \"q\", \"strategy\": \"%s\", \"sticky\": 60000}], \"agents\": ["
             "{\"id\": \"a\", \"status\": \"available\", \"idle_since\": 1,"
             " \"queues\": {\"q\": {}}},"
             "{\"id\": \"b\", \"status\": \"away\", \"queues\": {\"q\": {}}},"
             "{\"id\": \"e\", \"status\": \"available\", \"idle_since\": 2,"
             " \"queues\": {\"q\": {}}}],"
             " \"calls\": [{\"id\": \"c1\", \"queue\": \"q\"%s"
             "}]}", strategy, call_extra);

    CC_CHECK(cc_candidates_parse(&c, json, strlen(json), err, sizeof(err))
             == 0);
    CC_CHECK(cc_engine_run(&c, cc_strategy_find(NULL), &seed, &d) == 0);
    CC_CHECK(d.n == 1);
}

static cJSON *
record(const char *router)
{
    char   *json;
    cJSON  *o;

    json = cc_record_json(&d.items[0], c.now, router);
    CC_CHECK(json != NULL && strlen(json) <= CC_RECORD_MAX);
    o = json != NULL ? cJSON_Parse(json) : NULL;
    CC_CHECK(o != NULL);
    free(json);
    return o;
}

static const char *
str(const cJSON *o, const char *name)
{
    const cJSON  *v;

    v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) ? v->valuestring : cJSON_IsNull(v) ? "null" : "";
}

/* candidate i as "agent eligible why" */
static const char *
candidate(const cJSON *o, int i)
{
    static char   buf[128];
    const cJSON  *item;

    item = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(o,
                                                               "candidates"),
                              i);
    snprintf(buf, sizeof(buf), "%s %s %s", str(item, "agent"),
             cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(item, "eligible"))
             ? "true" : "false", str(item, "why"));
    return buf;
}

static void
done(cJSON *o)
{
    cJSON_Delete(o);
    cc_decisions_free(&d);
    cc_candidates_free(&c);
}

static void
test_offer(void)
{
    cJSON  *o;

    decide("longest-idle", ", \"created\": 1");
    o = record("web1-42");
    CC_CHECK(cJSON_GetObjectItemCaseSensitive(o, "at")->valuedouble
             == 100000);
    CC_CHECK(strcmp(str(o, "router"), "web1-42") == 0);
    CC_CHECK(strcmp(str(o, "strategy"), "longest-idle") == 0);
    CC_CHECK(strcmp(str(o, "agent"), "a") == 0);
    CC_CHECK(strcmp(str(o, "reason"), "longest-idle: idle 99s") == 0);
    CC_CHECK(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(
                 o, "candidates")) == 3);
    CC_CHECK(strcmp(candidate(o, 0), "a true idle 99s") == 0);
    CC_CHECK(strcmp(candidate(o, 1), "b false away") == 0);
    CC_CHECK(strcmp(candidate(o, 2), "e true idle 99s") == 0);
    done(o);
}

static void
test_ring_and_wait(void)
{
    cJSON  *o;

    /* ring-all: no one agent yet, all ringing */
    decide("ring-all", ", \"created\": 1");
    o = record("r");
    CC_CHECK(strcmp(str(o, "agent"), "null") == 0);
    CC_CHECK(strcmp(str(o, "strategy"), "ring-all") == 0);
    CC_CHECK(strcmp(str(o, "reason"), "ring-all: 2 agents") == 0);
    CC_CHECK(strcmp(candidate(o, 0), "a true rings") == 0);
    CC_CHECK(strcmp(candidate(o, 1), "b false away") == 0);
    done(o);

    /* a sticky wait */
    decide("top-down", ", \"created\": 99000, \"sticky\": \"b\"");
    CC_CHECK(d.items[0].kind == CC_DECIDE_WAIT);
    o = record("r");
    CC_CHECK(strcmp(str(o, "agent"), "null") == 0);
    CC_CHECK(strcmp(str(o, "reason"), "waiting for sticky agent b") == 0);
    CC_CHECK(strcmp(candidate(o, 0), "a true order 0") == 0);
    done(o);

    /* sticky and eligible */
    decide("top-down", ", \"created\": 99000, \"sticky\": \"e\"");
    o = record("r");
    CC_CHECK(strcmp(str(o, "agent"), "e") == 0);
    CC_CHECK(strcmp(str(o, "reason"), "sticky agent e") == 0);
    CC_CHECK(strcmp(candidate(o, 2), "e true sticky") == 0);
    done(o);
}

static void
test_bound(void)
{
    int             n;
    char           *router;
    size_t          i;
    cJSON          *o;
    cc_agent_t      agents[CC_DECISION_CANDIDATES];
    const cc_agent_t  *chosen;
    cc_decision_t  *x;

    /*
     * Engine records stay under 8 KiB; a router name that big shows the
     * bound: candidates go from the end, the chosen one (last) stays.
     */
    memset(&d, 0, sizeof(d));
    memset(agents, 0, sizeof(agents));
    x = calloc(1, sizeof(cc_decision_t));
    d.items = x;
    d.n = 1;

    for (i = 0; i < CC_DECISION_CANDIDATES; i++) {
        agents[i].id = strdup(cc_test_repeat('a' + i % 26, 60));
        x->candidates[i].agent = &agents[i];
        snprintf(x->candidates[i].why, CC_WHY_MAX, "%s", "out busy");
    }
    x->ncandidates = CC_DECISION_CANDIDATES;
    x->candidates[CC_DECISION_CANDIDATES - 1].chosen = 1;
    x->candidates[CC_DECISION_CANDIDATES - 1].eligible = 1;
    chosen = &agents[CC_DECISION_CANDIDATES - 1];
    x->agents = &chosen;
    x->nagents = 1;
    x->kind = CC_DECIDE_OFFER;
    x->strategy = "longest-idle";
    snprintf(x->reason, CC_REASON_MAX, "longest-idle: idle 1s");

    router = strdup(cc_test_repeat('r', 3000));
    o = record(router);
    n = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(o, "candidates"));
    CC_CHECK(n > 10 && n < CC_DECISION_CANDIDATES);
    CC_CHECK(strcmp(str(cJSON_GetArrayItem(
                 cJSON_GetObjectItemCaseSensitive(o, "candidates"), n - 1),
                 "agent"), chosen->id) == 0);
    CC_CHECK(strcmp(str(cJSON_GetArrayItem(
                 cJSON_GetObjectItemCaseSensitive(o, "candidates"), 0),
                 "agent"), agents[0].id) == 0);
    cJSON_Delete(o);

    /* nothing else fits: even the chosen one goes, never over the bound */
    free(router);
    router = strdup(cc_test_repeat('r', 8000));
    o = record(router);
    CC_CHECK(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(
                 o, "candidates")) == 0);
    cJSON_Delete(o);
    free(router);

    for (i = 0; i < CC_DECISION_CANDIDATES; i++) {
        free((char *) agents[i].id);
    }
    free(x);
}

int
main(void)
{
    test_offer();
    test_ring_and_wait();
    test_bound();
    return CC_TEST_DONE();
}
