#ifndef CC_ROUTER_CANDIDATES_H
#define CC_ROUTER_CANDIDATES_H

#include <stddef.h>

/*
 * The answer of FCALL cc_route_candidates, parsed:
 *     {"now": ms,
 *      "calls": [{"id", "skills": [...], "declined": [...], "created"}],
 *      "agents": [{"id", "load", "capacity", "idle_since", "skills"}]}
 * Calls come oldest first.  An empty array may come as {} (Lua's cjson).
 * Strings point into the parsed document, owned by the structure.
 */

typedef struct {
    const char   **items;
    size_t         n;
} cc_strings_t;

typedef struct {
    const char    *id;
    cc_strings_t   skills;
    cc_strings_t   declined;
    long long      created;        /* ms */
} cc_call_t;

typedef struct {
    const char    *id;
    int            load;
    int            capacity;
    long long      idle_since;     /* ms */
    cc_strings_t   skills;
} cc_agent_t;

typedef struct {
    long long      now;            /* ms, Redis TIME */
    cc_call_t     *calls;
    size_t         ncalls;
    cc_agent_t    *agents;
    size_t         nagents;
    void          *doc;            /* the cJSON tree */
} cc_candidates_t;

/* 0, or -1 with a message in err (and nothing to free). */
int cc_candidates_parse(cc_candidates_t *c, const char *json, size_t len,
    char *err, size_t err_size);

void cc_candidates_free(cc_candidates_t *c);

int cc_strings_has(const cc_strings_t *s, const char *item);

#endif /* CC_ROUTER_CANDIDATES_H */
