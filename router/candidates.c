#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "candidates.h"
#include "cc_validate.h"

/* An array, or {} standing for an empty one; NULL otherwise. */
static const cJSON *
cc_candidates_array(const cJSON *parent, const char *name, int *n)
{
    const cJSON  *a;

    a = cJSON_GetObjectItemCaseSensitive(parent, name);

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

static int
cc_candidates_strings(cc_strings_t *s, const cJSON *parent, const char *name)
{
    int           n, i;
    const cJSON  *a, *item;

    s->items = NULL;
    s->n = 0;

    a = cc_candidates_array(parent, name, &n);
    if (a == NULL) {
        /* absent: empty */
        return cJSON_GetObjectItemCaseSensitive(parent, name) == NULL ? 0 : -1;
    }

    if (n == 0) {
        return 0;
    }

    s->items = calloc((size_t) n, sizeof(const char *));
    if (s->items == NULL) {
        return -1;
    }

    i = 0;
    cJSON_ArrayForEach(item, a) {
        if (!cJSON_IsString(item)) {
            return -1;
        }
        s->items[i++] = item->valuestring;
    }

    s->n = (size_t) n;
    return 0;
}

static int
cc_candidates_number(const cJSON *parent, const char *name, long long *out)
{
    const cJSON  *v;

    v = cJSON_GetObjectItemCaseSensitive(parent, name);

    if (v == NULL) {
        *out = 0;
        return 0;
    }

    /* numbers, or numbers sent as strings (Redis hash fields) */
    if (cJSON_IsString(v)) {
        *out = atoll(v->valuestring);
        return 0;
    }

    if (!cJSON_IsNumber(v)) {
        return -1;
    }

    *out = (long long) v->valuedouble;
    return 0;
}

static const char *
cc_candidates_id(const cJSON *item)
{
    const cJSON  *id;

    id = cJSON_GetObjectItemCaseSensitive(item, "id");

    if (!cJSON_IsString(id)
        || !cc_valid_id(id->valuestring, strlen(id->valuestring)))
    {
        return NULL;
    }

    return id->valuestring;
}

static int
cc_candidates_call(cc_call_t *call, const cJSON *item)
{
    call->id = cc_candidates_id(item);

    if (call->id == NULL
        || cc_candidates_strings(&call->skills, item, "skills") != 0
        || cc_candidates_strings(&call->declined, item, "declined") != 0
        || cc_candidates_number(item, "created", &call->created) != 0)
    {
        return -1;
    }

    return 0;
}

static int
cc_candidates_agent(cc_agent_t *agent, const cJSON *item)
{
    long long  load, capacity;

    agent->id = cc_candidates_id(item);

    if (agent->id == NULL
        || cc_candidates_strings(&agent->skills, item, "skills") != 0
        || cc_candidates_number(item, "load", &load) != 0
        || cc_candidates_number(item, "capacity", &capacity) != 0
        || cc_candidates_number(item, "idle_since", &agent->idle_since) != 0
        || load < 0 || load > 1000000 || capacity < 0 || capacity > 1000000)
    {
        return -1;
    }

    agent->load = (int) load;
    agent->capacity = (int) capacity;
    return 0;
}

int
cc_candidates_parse(cc_candidates_t *c, const char *json, size_t len,
    char *err, size_t err_size)
{
    int           ncalls, nagents, i;
    cJSON        *doc;
    const cJSON  *calls, *agents, *item;

    memset(c, 0, sizeof(*c));

    doc = cJSON_ParseWithLength(json, len);
    if (doc == NULL || !cJSON_IsObject(doc)) {
        snprintf(err, err_size, "candidates: not a JSON object");
        cJSON_Delete(doc);
        return -1;
    }

    c->doc = doc;

    calls = cc_candidates_array(doc, "calls", &ncalls);
    agents = cc_candidates_array(doc, "agents", &nagents);

    if (calls == NULL || agents == NULL
        || cc_candidates_number(doc, "now", &c->now) != 0)
    {
        snprintf(err, err_size, "candidates: bad \"now\", \"calls\" or "
                 "\"agents\"");
        goto failed;
    }

    c->calls = calloc((size_t) ncalls + 1, sizeof(cc_call_t));
    c->agents = calloc((size_t) nagents + 1, sizeof(cc_agent_t));
    if (c->calls == NULL || c->agents == NULL) {
        snprintf(err, err_size, "candidates: out of memory");
        goto failed;
    }

    /* counted as they are filled, so that free releases what was made */
    i = 0;
    cJSON_ArrayForEach(item, calls) {
        c->ncalls++;
        if (cc_candidates_call(&c->calls[i++], item) != 0) {
            snprintf(err, err_size, "candidates: bad call #%d", i);
            goto failed;
        }
    }

    i = 0;
    cJSON_ArrayForEach(item, agents) {
        c->nagents++;
        if (cc_candidates_agent(&c->agents[i++], item) != 0) {
            snprintf(err, err_size, "candidates: bad agent #%d", i);
            goto failed;
        }
    }

    return 0;

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
    }

    free(c->calls);
    free(c->agents);
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
