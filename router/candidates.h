#ifndef CC_ROUTER_CANDIDATES_H
#define CC_ROUTER_CANDIDATES_H

#include <stddef.h>

/*
 * The answer of FCALL cc_routing_state, parsed (docs: the brief's
 * "Routing step"):
 *     {"now": MS,
 *      "queues": [{"name", "open", "strategy", "priority",
 *                  "priority_aging", "tier_wait", "sticky", "rr_last"}],
 *      "agents": [{"id", "order", "status", "load", "capacity",
 *                  "idle_since", "skills",
 *                  "queues": {Q: {"tier", "reject_until", "answered"}}}],
 *      "calls": [{"id", "queue", "created", "priority", "skills",
 *                 "declined", "sticky", "last"}]}
 * An empty array may come as {} (Lua's cjson).  Everything is checked
 * (types, bounds, grammars): it comes from Redis, which anyone with the
 * password may write.  Strings point into the parsed document, owned by
 * the structure.
 */

#define CC_STATE_QUEUES_MAX   1024
#define CC_STATE_AGENTS_MAX   10000
/* the library reads at most 128 calls per queue and skill set */
#define CC_STATE_CALLS_MAX    8192
#define CC_STATE_LIST_MAX     64      /* skills, declined of one entry */

typedef enum {
    CC_AGENT_OFFLINE = 0,
    CC_AGENT_AWAY,
    CC_AGENT_WRAPUP,
    CC_AGENT_BUSY,
    CC_AGENT_AVAILABLE
} cc_agent_status_e;

typedef struct {
    const char   **items;
    size_t         n;
} cc_strings_t;

typedef struct {
    const char    *name;
    int            open;
    const char    *strategy;       /* NULL: the router's default */
    int            priority;
    long long      priority_aging; /* ms, 0: none */
    long long      tier_wait;      /* ms */
    long long      sticky;         /* ms, 0: off */
    const char    *rr_last;        /* NULL: none */
} cc_queue_t;

/* what an agent is in one of the answer's queues */
typedef struct {
    long           queue;          /* index in queues, -1: not among them */
    int            tier;           /* 1..10 */
    long long      reject_until;   /* ms, 0: none */
    long long      answered;       /* today */
} cc_membership_t;

typedef struct {
    const char        *id;
    long long          order;
    cc_agent_status_e  status;
    int                load;
    int                capacity;
    long long          idle_since; /* ms */
    cc_strings_t       skills;
    cc_membership_t   *queues;
    size_t             nqueues;
} cc_agent_t;

typedef struct {
    const char    *id;
    long           queue;          /* index in queues, -1: not among them */
    long long      created;        /* ms */
    int            priority;
    cc_strings_t   skills;
    cc_strings_t   declined;
    const char    *sticky;         /* NULL: none */
    const char    *last;           /* NULL: no record yet */
} cc_call_t;

typedef struct {
    long long      now;            /* ms, Redis TIME */
    cc_queue_t    *queues;
    size_t         nqueues;
    cc_agent_t    *agents;
    size_t         nagents;
    cc_call_t     *calls;
    size_t         ncalls;
    void          *doc;            /* the cJSON tree */
} cc_candidates_t;

/* 0, or -1 with a message naming the bad entry in err (nothing to free). */
int cc_candidates_parse(cc_candidates_t *c, const char *json, size_t len,
    char *err, size_t err_size);

void cc_candidates_free(cc_candidates_t *c);

int cc_strings_has(const cc_strings_t *s, const char *item);

/* the agent's membership of queue q, NULL if it does not serve it */
const cc_membership_t *cc_agent_membership(const cc_agent_t *a, long q);

#endif /* CC_ROUTER_CANDIDATES_H */
