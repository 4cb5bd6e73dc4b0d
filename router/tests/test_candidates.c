#include <stdlib.h>
#include <string.h>

#include "candidates.h"
#include "cc_test.h"

/* cc_routing_state answers, written with ' for " */

static cc_candidates_t  c;
static char             err[128];

static int
parse(const char *sq)
{
    int    rc;
    char  *json, *p;

    json = strdup(sq);
    for (p = json; *p != '\0'; p++) {
        if (*p == '\'') {
            *p = '"';
        }
    }

    err[0] = '\0';
    rc = cc_candidates_parse(&c, json, strlen(json), err, sizeof(err));
    free(json);
    return rc;
}

static void
test_full(void)
{
    const cc_membership_t  *m;

    CC_CHECK(parse("{'now': 1700000000000,"
        " 'queues': [{'name': 'sales', 'open': true, 'strategy': 'ring-all',"
        " 'priority': -5, 'priority_aging': 60000, 'tier_wait': 30000,"
        " 'sticky': 15000, 'rr_last': 'bob'},"
        " {'name': 'support', 'open': false, 'strategy': 'top-down',"
        " 'priority': 0, 'priority_aging': 0, 'tier_wait': 0, 'sticky': 0,"
        " 'rr_last': null}],"
        " 'agents': [{'id': 'alice', 'order': 2, 'status': 'wrapup',"
        " 'load': 1, 'capacity': 2, 'idle_since': 1699999990000,"
        " 'skills': ['fr', 'de'], 'queues': {'sales': {'tier': 1,"
        " 'reject_until': 0, 'answered': 4}, 'support': {'tier': 3,"
        " 'reject_until': 1700000005000, 'answered': 0},"
        " 'gone': {'tier': 1}}}],"
        " 'calls': [{'id': 'c1', 'queue': 'support', 'created': 1699999000000,"
        " 'priority': 100, 'skills': ['fr'], 'declined': ['bob'],"
        " 'sticky': 'alice', 'last': 'waiting for sticky agent alice'},"
        " {'id': 'c2', 'queue': 'elsewhere', 'created': 1, 'priority': 0,"
        " 'skills': {}, 'declined': {}, 'sticky': null, 'last': null}]}")
             == 0);

    CC_CHECK(c.now == 1700000000000LL);
    CC_CHECK(c.nqueues == 2 && c.nagents == 1 && c.ncalls == 2);

    CC_CHECK(strcmp(c.queues[0].name, "sales") == 0 && c.queues[0].open);
    CC_CHECK(strcmp(c.queues[0].strategy, "ring-all") == 0);
    CC_CHECK(c.queues[0].priority == -5 && c.queues[0].sticky == 15000);
    CC_CHECK(c.queues[0].priority_aging == 60000);
    CC_CHECK(c.queues[0].tier_wait == 30000);
    CC_CHECK(strcmp(c.queues[0].rr_last, "bob") == 0);
    CC_CHECK(!c.queues[1].open && c.queues[1].rr_last == NULL);

    CC_CHECK(strcmp(c.agents[0].id, "alice") == 0);
    CC_CHECK(c.agents[0].order == 2 && c.agents[0].status == CC_AGENT_WRAPUP);
    CC_CHECK(c.agents[0].load == 1 && c.agents[0].capacity == 2);
    CC_CHECK(c.agents[0].idle_since == 1699999990000LL);
    CC_CHECK(c.agents[0].skills.n == 2 && cc_strings_has(&c.agents[0].skills,
                                                         "de"));
    CC_CHECK(c.agents[0].nqueues == 3);
    m = cc_agent_membership(&c.agents[0], 1);
    CC_CHECK(m != NULL && m->tier == 3 && m->reject_until == 1700000005000LL);
    m = cc_agent_membership(&c.agents[0], 0);
    CC_CHECK(m != NULL && m->tier == 1 && m->answered == 4);
    /* a queue not in the answer: kept, but no index */
    CC_CHECK(c.agents[0].queues[2].queue == -1);
    CC_CHECK(cc_agent_membership(&c.agents[0], 2) == NULL);

    CC_CHECK(strcmp(c.calls[0].id, "c1") == 0 && c.calls[0].queue == 1);
    CC_CHECK(c.calls[0].created == 1699999000000LL);
    CC_CHECK(c.calls[0].priority == 100);
    CC_CHECK(cc_strings_has(&c.calls[0].skills, "fr"));
    CC_CHECK(cc_strings_has(&c.calls[0].declined, "bob"));
    CC_CHECK(strcmp(c.calls[0].sticky, "alice") == 0);
    CC_CHECK(strcmp(c.calls[0].last, "waiting for sticky agent alice") == 0);
    CC_CHECK(c.calls[1].queue == -1 && c.calls[1].sticky == NULL);
    CC_CHECK(c.calls[1].last == NULL && c.calls[1].skills.n == 0);
    cc_candidates_free(&c);
}

static void
test_defaults(void)
{
    /* {} for empty lists, fields left out, numbers as strings */
    CC_CHECK(parse("{'now': '2000', 'queues': [{'name': 'q'}],"
                   " 'agents': [{'id': 'a', 'status': 'available',"
                   " 'load': '1', 'capacity': '3', 'queues': []}],"
                   " 'calls': {}}") == 0);
    CC_CHECK(c.now == 2000 && c.queues[0].open && c.queues[0].sticky == 0);
    CC_CHECK(c.queues[0].strategy == NULL);
    CC_CHECK(c.agents[0].load == 1 && c.agents[0].capacity == 3);
    CC_CHECK(c.agents[0].nqueues == 0 && c.ncalls == 0);
    cc_candidates_free(&c);

    CC_CHECK(parse("{'now': 5, 'queues': {}, 'agents': {}, 'calls': []}")
             == 0);
    CC_CHECK(c.nqueues == 0 && c.nagents == 0 && c.ncalls == 0);
    cc_candidates_free(&c);
}

static void
test_bad(void)
{
    size_t  i;
    static const struct {
        const char  *json;
        const char  *err;
    } bad[] = {
        { "", "routing state: not a JSON object" },
        { "[]", "routing state: not a JSON object" },
        { "{'queues': [], 'agents': [], 'calls': []}",
          "routing state: bad \"now\"" },
        { "{'now': -1, 'queues': [], 'agents': [], 'calls': []}",
          "routing state: bad \"now\"" },
        { "{'now': 1e300, 'queues': [], 'agents': [], 'calls': []}",
          "routing state: bad \"now\"" },
        { "{'now': 1, 'agents': [], 'calls': []}",
          "routing state: bad \"queues\"" },
        { "{'now': 1, 'queues': 3, 'agents': [], 'calls': []}",
          "routing state: bad \"queues\"" },
        { "{'now': 1, 'queues': [], 'agents': {'x': 1}, 'calls': []}",
          "routing state: bad \"agents\"" },
        { "{'now': 1, 'queues': [7], 'agents': [], 'calls': []}",
          "routing state: queue #1: bad \"entry\"" },
        { "{'now': 1, 'queues': [{'name': 'Q!'}], 'agents': [], 'calls': []}",
          "routing state: queue #1: bad \"name\"" },
        { "{'now': 1, 'queues': [{'name': 'q', 'open': 1}], 'agents': [],"
          " 'calls': []}", "routing state: queue #1: bad \"open\"" },
        { "{'now': 1, 'queues': [{'name': 'q'}, {'name': 'r',"
          " 'priority': 5000}], 'agents': [], 'calls': []}",
          "routing state: queue #2: bad \"priority\"" },
        { "{'now': 1, 'queues': [{'name': 'q', 'sticky': -1}], 'agents': [],"
          " 'calls': []}", "routing state: queue #1: bad \"sticky\"" },
        { "{'now': 1, 'queues': [{'name': 'q', 'rr_last': 'a b'}],"
          " 'agents': [], 'calls': []}",
          "routing state: queue #1: bad \"rr_last\"" },
        { "{'now': 1, 'queues': [], 'agents': [{'id': 'bad id',"
          " 'status': 'away'}], 'calls': []}",
          "routing state: agent #1: bad \"id\"" },
        { "{'now': 1, 'queues': [], 'agents': [{'id': 'a',"
          " 'status': 'sleeping'}], 'calls': []}",
          "routing state: agent #1: bad \"status\"" },
        { "{'now': 1, 'queues': [], 'agents': [{'id': 'a', 'status': 'away',"
          " 'load': true}], 'calls': []}",
          "routing state: agent #1: bad \"load\"" },
        { "{'now': 1, 'queues': [], 'agents': [{'id': 'a', 'status': 'away',"
          " 'load': '12x'}], 'calls': []}",
          "routing state: agent #1: bad \"load\"" },
        { "{'now': 1, 'queues': [], 'agents': [{'id': 'a', 'status': 'away',"
          " 'skills': [1]}], 'calls': []}",
          "routing state: agent #1: bad \"skills\"" },
        { "{'now': 1, 'queues': [], 'agents': [{'id': 'a', 'status': 'away',"
          " 'queues': {'q': {'tier': 11}}}], 'calls': []}",
          "routing state: agent #1: bad \"queues\"" },
        { "{'now': 1, 'queues': [], 'agents': [{'id': 'a', 'status': 'away',"
          " 'queues': {'q': 1}}], 'calls': []}",
          "routing state: agent #1: bad \"queues\"" },
        { "{'now': 1, 'queues': [], 'agents': [{'id': 'a', 'status': 'away',"
          " 'queues': ['q']}], 'calls': []}",
          "routing state: agent #1: bad \"queues\"" },
        { "{'now': 1, 'queues': [], 'agents': [], 'calls': [{'id': 'c'}]}",
          "routing state: call #1: bad \"queue\"" },
        { "{'now': 1, 'queues': [], 'agents': [], 'calls': [{'id': 'c',"
          " 'queue': 'q', 'declined': ['x', 3]}]}",
          "routing state: call #1: bad \"declined\"" },
        { "{'now': 1, 'queues': [], 'agents': [], 'calls': [{'id': 'c',"
          " 'queue': 'q', 'sticky': 5}]}",
          "routing state: call #1: bad \"sticky\"" },
        { "{'now': 1, 'queues': [], 'agents': [], 'calls': [{'id': 'c',"
          " 'queue': 'q', 'last': {}}]}",
          "routing state: call #1: bad \"last\"" },
        { "{'now': 1, 'queues': [], 'agents': [], 'calls': [{'id': 'c',"
          " 'queue': 'q', 'created': 'soon'}]}",
          "routing state: call #1: bad \"created\"" },
    };

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (parse(bad[i].json) != -1 || strcmp(err, bad[i].err) != 0) {
            fprintf(stderr, "#%zu: \"%s\"\n", i, err);
            cc_test_failures++;
        }
    }
}

static void
test_bounds(void)
{
    char    *buf;
    size_t   len, i;

    /* more skills than an entry may have */
    buf = malloc(65536);
    len = (size_t) snprintf(buf, 65536, "{'now': 1, 'queues': [],"
                            " 'agents': [], 'calls': [{'id': 'c',"
                            " 'queue': 'q', 'skills': [");
    for (i = 0; i <= CC_STATE_LIST_MAX; i++) {
        len += (size_t) snprintf(buf + len, 65536 - len, "%s's%zu'",
                                 i ? "," : "", i);
    }
    snprintf(buf + len, 65536 - len, "]}]}");
    CC_CHECK(parse(buf) == -1);

    /* more calls than a state may hold */
    len = (size_t) snprintf(buf, 65536, "{'now': 1, 'queues': [],"
                            " 'agents': [], 'calls': [");
    for (i = 0; i <= CC_STATE_CALLS_MAX; i++) {
        len += (size_t) snprintf(buf + len, 65536 - len, "%s{}",
                                 i ? "," : "");
    }
    snprintf(buf + len, 65536 - len, "]}");
    CC_CHECK(parse(buf) == -1 && strcmp(err, "routing state: bad \"calls\"")
                                 == 0);
    free(buf);
}

int
main(void)
{
    test_full();
    test_defaults();
    test_bad();
    test_bounds();
    return CC_TEST_DONE();
}
