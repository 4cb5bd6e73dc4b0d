#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "candidates.h"
#include "cc_validate.h"

/*
 * Each parser of an entry returns NULL, or the name of the field that is
 * wrong, for the error message.
 */

#define CC_CAND_NUM_MAX  9007199254740992.0    /* 2^53: exact in a double */

/* An array, or {} standing for an empty one (absent: n = -1); NULL when
 * it is something else. */
static const cJSON *
cc_cand_array(const cJSON *parent, const char *name, int *n)
{
    const cJSON  *a;

    a = cJSON_GetObjectItemCaseSensitive(parent, name);

    if (a == NULL || cJSON_IsNull(a)) {
        *n = -1;
        return parent;
    }

    if (cJSON_IsArray(a)) {
        *n = cJSON_GetArraySize(a);
        return a;
    }

    if (cJSON_IsObject(a) && a->child == NULL) {
        *n = 0;
        return a;
    }

    return NULL;
}

/* A list of ids (skills, agents); absent or null: empty. */
static int
cc_cand_strings(cc_strings_t *s, const cJSON *parent, const char *name)
{
    int           n;
    const cJSON  *a, *item;

    s->items = NULL;
    s->n = 0;

    a = cc_cand_array(parent, name, &n);
    if (a == NULL || n > CC_STATE_LIST_MAX) {
        return -1;
    }

    if (n <= 0) {
        return 0;
    }

    s->items = calloc((size_t) n, sizeof(const char *));
    if (s->items == NULL) {
        return -1;
    }

    cJSON_ArrayForEach(item, a) {
        if (!cJSON_IsString(item)
            || !cc_valid_id(item->valuestring, strlen(item->valuestring)))
        {
            return -1;
        }
        s->items[s->n++] = item->valuestring;
    }

    return 0;
}

/* An integer min..max, also as a string (Redis hash fields); absent or
 * null: dflt. */
static int
cc_cand_number(const cJSON *parent, const char *name, long long min,
    long long max, long long dflt, long long *out)
{
    char          *end;
    double         d;
    long long      v;
    const cJSON   *item;

    item = cJSON_GetObjectItemCaseSensitive(parent, name);

    if (item == NULL || cJSON_IsNull(item)) {
        *out = dflt;
        return 0;
    }

    if (cJSON_IsString(item)) {
        errno = 0;
        v = strtoll(item->valuestring, &end, 10);
        if (errno != 0 || end == item->valuestring || *end != '\0') {
            return -1;
        }

    } else if (cJSON_IsNumber(item)) {
        d = item->valuedouble;
        if (!isfinite(d) || d > CC_CAND_NUM_MAX || d < -CC_CAND_NUM_MAX) {
            return -1;
        }
        v = (long long) d;

    } else {
        return -1;
    }

    if (v < min || v > max) {
        return -1;
    }

    *out = v;
    return 0;
}

#define CC_CAND_MS  (long long) CC_CAND_NUM_MAX   /* any time in ms */

/* A string that passes valid(); absent or null: NULL. */
static int
cc_cand_string(const cJSON *parent, const char *name,
    int (*valid)(const char *s, size_t len), const char **out)
{
    const cJSON  *item;

    item = cJSON_GetObjectItemCaseSensitive(parent, name);
    *out = NULL;

    if (item == NULL || cJSON_IsNull(item)) {
        return 0;
    }

    if (!cJSON_IsString(item)
        || (valid != NULL
            && !valid(item->valuestring, strlen(item->valuestring))))
    {
        return -1;
    }

    *out = item->valuestring;
    return 0;
}

static long
cc_cand_queue_index(const cc_candidates_t *c, const char *name)
{
    size_t  i;

    for (i = 0; i < c->nqueues; i++) {
        if (strcmp(c->queues[i].name, name) == 0) {
            return (long) i;
        }
    }

    return -1;
}

static const char *
cc_cand_queue(cc_candidates_t *c, size_t i, const cJSON *item)
{
    long long     v;
    cc_queue_t   *q;
    const cJSON  *open;

    q = &c->queues[i];

    if (cc_cand_string(item, "name", cc_valid_queue, &q->name) != 0
        || q->name == NULL)
    {
        return "name";
    }

    open = cJSON_GetObjectItemCaseSensitive(item, "open");
    if (open != NULL && !cJSON_IsBool(open)) {
        return "open";
    }
    q->open = open == NULL || cJSON_IsTrue(open);

    if (cc_cand_string(item, "strategy", cc_valid_queue, &q->strategy) != 0) {
        return "strategy";
    }

    if (cc_cand_number(item, "priority", -1000, 1000, 0, &v) != 0) {
        return "priority";
    }
    q->priority = (int) v;

    if (cc_cand_number(item, "priority_aging", 0, CC_CAND_MS, 0,
                       &q->priority_aging) != 0)
    {
        return "priority_aging";
    }

    if (cc_cand_number(item, "tier_wait", 0, CC_CAND_MS, 0, &q->tier_wait)
        != 0)
    {
        return "tier_wait";
    }

    if (cc_cand_number(item, "sticky", 0, CC_CAND_MS, 0, &q->sticky) != 0) {
        return "sticky";
    }

    if (cc_cand_string(item, "rr_last", cc_valid_id, &q->rr_last) != 0) {
        return "rr_last";
    }

    return NULL;
}

static const struct {
    const char         *name;
    cc_agent_status_e   status;
} cc_cand_statuses[] = {
    { "offline", CC_AGENT_OFFLINE },
    { "away", CC_AGENT_AWAY },
    { "wrapup", CC_AGENT_WRAPUP },
    { "busy", CC_AGENT_BUSY },
    { "available", CC_AGENT_AVAILABLE },
};

static int
cc_cand_status(const cJSON *item, cc_agent_status_e *status)
{
    size_t        i;
    const cJSON  *s;

    s = cJSON_GetObjectItemCaseSensitive(item, "status");
    if (!cJSON_IsString(s)) {
        return -1;
    }

    for (i = 0; i < sizeof(cc_cand_statuses) / sizeof(cc_cand_statuses[0]);
         i++)
    {
        if (strcmp(s->valuestring, cc_cand_statuses[i].name) == 0) {
            *status = cc_cand_statuses[i].status;
            return 0;
        }
    }

    return -1;
}

/* "queues": {Q: {"tier", "reject_until", "answered"}} */
static int
cc_cand_memberships(const cc_candidates_t *c, cc_agent_t *a,
    const cJSON *item)
{
    int               n;
    long long         tier;
    const cJSON      *obj, *q;
    cc_membership_t  *m;

    obj = cJSON_GetObjectItemCaseSensitive(item, "queues");

    if (obj == NULL || (cJSON_IsArray(obj) && obj->child == NULL)) {
        return 0;                       /* none, or [] for {} */
    }

    if (!cJSON_IsObject(obj)) {
        return -1;
    }

    n = cJSON_GetArraySize(obj);
    if (n == 0) {
        return 0;
    }

    if (n > CC_STATE_QUEUES_MAX) {
        return -1;
    }

    a->queues = calloc((size_t) n, sizeof(cc_membership_t));
    if (a->queues == NULL) {
        return -1;
    }

    cJSON_ArrayForEach(q, obj) {
        m = &a->queues[a->nqueues];

        if (!cJSON_IsObject(q) || q->string == NULL
            || !cc_valid_queue(q->string, strlen(q->string))
            || cc_cand_number(q, "tier", 1, 10, 1, &tier) != 0
            || cc_cand_number(q, "reject_until", 0, CC_CAND_MS, 0,
                              &m->reject_until) != 0
            || cc_cand_number(q, "answered", 0, CC_CAND_MS, 0,
                              &m->answered) != 0)
        {
            return -1;
        }

        m->tier = (int) tier;
        m->queue = cc_cand_queue_index(c, q->string);
        a->nqueues++;
    }

    return 0;
}

static const char *
cc_cand_agent(cc_candidates_t *c, size_t i, const cJSON *item)
{
    long long    v;
    cc_agent_t  *a;

    a = &c->agents[i];

    if (cc_cand_string(item, "id", cc_valid_id, &a->id) != 0
        || a->id == NULL)
    {
        return "id";
    }

    if (cc_cand_number(item, "order", 0, CC_CAND_MS, 0, &a->order) != 0) {
        return "order";
    }

    if (cc_cand_status(item, &a->status) != 0) {
        return "status";
    }

    if (cc_cand_number(item, "load", 0, 1000000, 0, &v) != 0) {
        return "load";
    }
    a->load = (int) v;

    if (cc_cand_number(item, "capacity", 0, 1000000, 1, &v) != 0) {
        return "capacity";
    }
    a->capacity = (int) v;

    if (cc_cand_number(item, "idle_since", 0, CC_CAND_MS, 0, &a->idle_since)
        != 0)
    {
        return "idle_since";
    }

    if (cc_cand_strings(&a->skills, item, "skills") != 0) {
        return "skills";
    }

    if (cc_cand_memberships(c, a, item) != 0) {
        return "queues";
    }

    return NULL;
}

static const char *
cc_cand_call(cc_candidates_t *c, size_t i, const cJSON *item)
{
    long long    v;
    cc_call_t   *call;
    const char  *queue;

    call = &c->calls[i];

    if (cc_cand_string(item, "id", cc_valid_id, &call->id) != 0
        || call->id == NULL)
    {
        return "id";
    }

    if (cc_cand_string(item, "queue", cc_valid_queue, &queue) != 0
        || queue == NULL)
    {
        return "queue";
    }
    call->queue = cc_cand_queue_index(c, queue);

    if (cc_cand_number(item, "created", 0, CC_CAND_MS, 0, &call->created)
        != 0)
    {
        return "created";
    }

    if (cc_cand_number(item, "priority", -1000, 1000, 0, &v) != 0) {
        return "priority";
    }
    call->priority = (int) v;

    if (cc_cand_strings(&call->skills, item, "skills") != 0) {
        return "skills";
    }

    if (cc_cand_strings(&call->declined, item, "declined") != 0) {
        return "declined";
    }

    if (cc_cand_string(item, "sticky", cc_valid_id, &call->sticky) != 0) {
        return "sticky";
    }

    if (cc_cand_string(item, "last", NULL, &call->last) != 0) {
        return "last";
    }

    return NULL;
}

/* a top-level list: the array and its size checked, room made */
static const cJSON *
cc_cand_list(const cJSON *doc, const char *name, int max, size_t size,
    void **items)
{
    int           n;
    const cJSON  *a;

    a = cc_cand_array(doc, name, &n);
    if (a == NULL || n < 0 || n > max) {
        return NULL;
    }

    /* one more, so that an empty list is not NULL */
    *items = calloc((size_t) n + 1, size);
    return *items != NULL ? a : NULL;
}

/* Each entry of a list parsed by one(); *count counts those begun, so
 * that free releases what was made. */
static int
cc_cand_entries(cc_candidates_t *c, const cJSON *list, size_t *count,
    const char *what,
    const char *(*one)(cc_candidates_t *c, size_t i, const cJSON *item),
    char *err, size_t err_size)
{
    const char   *bad;
    const cJSON  *item;

    cJSON_ArrayForEach(item, list) {
        bad = cJSON_IsObject(item) ? one(c, *count, item) : "entry";
        (*count)++;

        if (bad != NULL) {
            snprintf(err, err_size, "routing state: %s #%zu: bad \"%s\"",
                     what, *count, bad);
            return -1;
        }
    }

    return 0;
}

int
cc_candidates_parse(cc_candidates_t *c, const char *json, size_t len,
    char *err, size_t err_size)
{
    cJSON        *doc;
    const char   *what;
    const cJSON  *queues, *agents, *calls;

    memset(c, 0, sizeof(*c));

    doc = cJSON_ParseWithLength(json, len);
    if (doc == NULL || !cJSON_IsObject(doc)) {
        snprintf(err, err_size, "routing state: not a JSON object");
        cJSON_Delete(doc);
        return -1;
    }

    c->doc = doc;
    what = "now";

    if (cc_cand_number(doc, "now", 1, CC_CAND_MS, -1, &c->now) != 0
        || c->now < 0)
    {
        goto bad_field;
    }

    what = "queues";
    queues = cc_cand_list(doc, what, CC_STATE_QUEUES_MAX, sizeof(cc_queue_t),
                          (void **) &c->queues);
    if (queues == NULL) {
        goto bad_field;
    }

    what = "agents";
    agents = cc_cand_list(doc, what, CC_STATE_AGENTS_MAX, sizeof(cc_agent_t),
                          (void **) &c->agents);
    if (agents == NULL) {
        goto bad_field;
    }

    what = "calls";
    calls = cc_cand_list(doc, what, CC_STATE_CALLS_MAX, sizeof(cc_call_t),
                         (void **) &c->calls);
    if (calls == NULL) {
        goto bad_field;
    }

    if (cc_cand_entries(c, queues, &c->nqueues, "queue", cc_cand_queue, err,
                        err_size) != 0
        || cc_cand_entries(c, agents, &c->nagents, "agent", cc_cand_agent,
                           err, err_size) != 0
        || cc_cand_entries(c, calls, &c->ncalls, "call", cc_cand_call, err,
                           err_size) != 0)
    {
        goto failed;
    }

    return 0;

bad_field:

    snprintf(err, err_size, "routing state: bad \"%s\"", what);

failed:

    cc_candidates_free(c);
    return -1;
}

void
cc_candidates_free(cc_candidates_t *c)
{
    size_t  i;

    for (i = 0; i < c->ncalls; i++) {
        free(c->calls[i].skills.items);
        free(c->calls[i].declined.items);
    }

    for (i = 0; i < c->nagents; i++) {
        free(c->agents[i].skills.items);
        free(c->agents[i].queues);
    }

    free(c->queues);
    free(c->agents);
    free(c->calls);
    cJSON_Delete(c->doc);
    memset(c, 0, sizeof(*c));
}

int
cc_strings_has(const cc_strings_t *s, const char *item)
{
    size_t  i;

    for (i = 0; i < s->n; i++) {
        if (strcmp(s->items[i], item) == 0) {
            return 1;
        }
    }

    return 0;
}

const cc_membership_t *
cc_agent_membership(const cc_agent_t *a, long q)
{
    size_t  i;

    for (i = 0; i < a->nqueues; i++) {
        if (a->queues[i].queue == q) {
            return &a->queues[i];
        }
    }

    return NULL;
}
