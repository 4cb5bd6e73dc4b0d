#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "agents.h"
#include "cc_validate.h"
#include "file.h"

typedef int (*cc_agents_valid_pt)(const char *s, size_t len);

static int
cc_agents_valid_skill(const char *s, size_t len)
{
    return len <= CC_SKILL_MAX && cc_valid_id(s, len);
}

/* A copy of an array of valid, distinct strings; NULL with err if bad. */
static cJSON *
cc_agents_strings(const cJSON *a, const char *field, cc_agents_valid_pt valid,
    const char *what, char *err, size_t err_size)
{
    cJSON        *out;
    const cJSON  *item, *prev;

    if (!cJSON_IsArray(a)) {
        snprintf(err, err_size, "\"%s\" must be an array of %s", field, what);
        return NULL;
    }

    cJSON_ArrayForEach(item, a) {
        if (!cJSON_IsString(item)
            || !valid(item->valuestring, strlen(item->valuestring)))
        {
            snprintf(err, err_size, "\"%s\" must be an array of %s",
                     field, what);
            return NULL;
        }

        for (prev = a->child; prev != item; prev = prev->next) {
            if (strcmp(prev->valuestring, item->valuestring) == 0) {
                snprintf(err, err_size, "\"%s\" repeats \"%s\"",
                         field, item->valuestring);
                return NULL;
            }
        }
    }

    out = cJSON_Duplicate(a, 1);
    if (out == NULL) {
        snprintf(err, err_size, "out of memory");
    }

    return out;
}

/*
 * "queues": names, or {"queue": Q, "tier": N} (a name is tier 1): the
 * names into *queues, the tiers over 1 into *tiers; -1 with err if bad.
 */
static int
cc_agents_queues(const cJSON *a, cJSON **queues, cJSON **tiers, char *err,
    size_t err_size)
{
    double        tier;
    const cJSON  *item, *name, *t, *v, *q;

    *queues = cJSON_CreateArray();
    *tiers = cJSON_CreateObject();
    if (*queues == NULL || *tiers == NULL) {
        snprintf(err, err_size, "out of memory");
        goto failed;
    }

    if (!cJSON_IsArray(a)) {
        goto bad;
    }

    cJSON_ArrayForEach(item, a) {
        name = item;
        tier = 1;

        if (cJSON_IsObject(item)) {
            for (v = item->child; v != NULL; v = v->next) {
                if (strcmp(v->string, "queue") != 0
                    && strcmp(v->string, "tier") != 0)
                {
                    snprintf(err, err_size, "\"queues\": unknown field "
                             "\"%s\"", v->string);
                    goto failed;
                }
            }

            name = cJSON_GetObjectItemCaseSensitive(item, "queue");
            t = cJSON_GetObjectItemCaseSensitive(item, "tier");
            tier = t == NULL ? 1 : cJSON_IsNumber(t) ? t->valuedouble : 0;

            if (!(tier >= 1 && tier <= CC_TIER_MAX) || tier != (int) tier) {
                snprintf(err, err_size, "\"queues\": \"tier\" must be an "
                         "integer 1 to %d", CC_TIER_MAX);
                goto failed;
            }
        }

        if (!cJSON_IsString(name)
            || !cc_valid_queue(name->valuestring, strlen(name->valuestring)))
        {
            goto bad;
        }

        cJSON_ArrayForEach(q, *queues) {
            if (strcmp(q->valuestring, name->valuestring) == 0) {
                snprintf(err, err_size, "\"queues\" repeats \"%s\"",
                         name->valuestring);
                goto failed;
            }
        }

        if (!cJSON_AddItemToArray(*queues,
                                  cJSON_CreateString(name->valuestring))
            || (tier > 1 && cJSON_AddNumberToObject(*tiers, name->valuestring,
                                                    tier) == NULL))
        {
            snprintf(err, err_size, "out of memory");
            goto failed;
        }
    }

    return 0;

bad:

    snprintf(err, err_size, "\"queues\" must be an array of queue names "
             "(1 to 32 of a-z 0-9 _ -) or {\"queue\": NAME, \"tier\": N}");

failed:

    cJSON_Delete(*queues);
    cJSON_Delete(*tiers);
    return -1;
}

static const char  *cc_agents_fields[] = {
    "id", "name", "queues", "skills", "capacity"
};

static int
cc_agents_known(const char *field)
{
    size_t  i;

    for (i = 0; i < sizeof(cc_agents_fields) / sizeof(cc_agents_fields[0]);
         i++)
    {
        if (strcmp(field, cc_agents_fields[i]) == 0) {
            return 1;
        }
    }

    return 0;
}

/* The normalized profile of one agent; NULL with err if bad. */
static cJSON *
cc_agents_profile(const cJSON *in, char *err, size_t err_size)
{
    double        cap;
    cJSON        *out, *list, *tiers;
    const cJSON  *v;

    if (!cJSON_IsObject(in)) {
        snprintf(err, err_size, "not an object");
        return NULL;
    }

    for (v = in->child; v != NULL; v = v->next) {
        if (!cc_agents_known(v->string)) {
            snprintf(err, err_size, "unknown field \"%s\"", v->string);
            return NULL;
        }
    }

    out = cJSON_CreateObject();
    if (out == NULL) {
        snprintf(err, err_size, "out of memory");
        return NULL;
    }

    v = cJSON_GetObjectItemCaseSensitive(in, "id");
    if (!cJSON_IsString(v) || !cc_valid_id(v->valuestring,
                                           strlen(v->valuestring)))
    {
        snprintf(err, err_size, "\"id\" must be a string of 1 to %d of "
                 "A-Z a-z 0-9 _ -", CC_ID_MAX);
        goto failed;
    }
    cJSON_AddStringToObject(out, "id", v->valuestring);

    v = cJSON_GetObjectItemCaseSensitive(in, "name");
    if (v == NULL) {
        v = cJSON_GetObjectItemCaseSensitive(in, "id");

    } else if (!cJSON_IsString(v)
               || !cc_valid_text(v->valuestring, strlen(v->valuestring),
                                 CC_AGENT_NAME_MAX))
    {
        snprintf(err, err_size, "\"name\" must be a string of 1 to %d bytes "
                 "without control characters", CC_AGENT_NAME_MAX);
        goto failed;
    }
    cJSON_AddStringToObject(out, "name", v->valuestring);

    if (cc_agents_queues(cJSON_GetObjectItemCaseSensitive(in, "queues"),
                         &list, &tiers, err, err_size) != 0)
    {
        goto failed;
    }
    cJSON_AddItemToObject(out, "queues", list);
    cJSON_AddItemToObject(out, "tiers", tiers);

    v = cJSON_GetObjectItemCaseSensitive(in, "skills");
    list = v == NULL ? cJSON_CreateArray()
                     : cc_agents_strings(v, "skills", cc_agents_valid_skill,
                                         "skills (1 to 32 of A-Z a-z 0-9 _ -)",
                                         err, err_size);
    if (list == NULL) {
        goto failed;
    }
    cJSON_AddItemToObject(out, "skills", list);

    v = cJSON_GetObjectItemCaseSensitive(in, "capacity");
    cap = 1;
    if (v != NULL) {
        cap = cJSON_IsNumber(v) ? v->valuedouble : 0;
        if (!(cap >= 1 && cap <= CC_CAPACITY_MAX) || cap != (int) cap) {
            snprintf(err, err_size, "\"capacity\" must be an integer "
                     "1 to %d", CC_CAPACITY_MAX);
            goto failed;
        }
    }
    cJSON_AddNumberToObject(out, "capacity", cap);

    return out;

failed:

    cJSON_Delete(out);
    return NULL;
}

int
cc_agents_parse(const char *text, size_t len, char **json, size_t *count,
    char *err, size_t err_size)
{
    int           i;
    char          why[160];
    cJSON        *doc, *out, *profile;
    const cJSON  *in, *prev, *id;

    doc = cJSON_ParseWithLength(text, len);
    if (doc == NULL) {
        snprintf(err, err_size, "not valid JSON");
        return -1;
    }

    if (!cJSON_IsArray(doc)) {
        snprintf(err, err_size, "not a JSON array of agents");
        cJSON_Delete(doc);
        return -1;
    }

    out = cJSON_CreateArray();
    i = 0;

    cJSON_ArrayForEach(in, doc) {
        i++;

        if (out == NULL) {
            snprintf(err, err_size, "out of memory");
            goto failed;
        }

        profile = cc_agents_profile(in, why, sizeof(why));
        if (profile == NULL) {
            id = cJSON_GetObjectItemCaseSensitive(in, "id");
            snprintf(err, err_size, "agent #%d%s%s%s: %s", i,
                     cJSON_IsString(id) ? " \"" : "",
                     cJSON_IsString(id) ? id->valuestring : "",
                     cJSON_IsString(id) ? "\"" : "", why);
            goto failed;
        }

        cJSON_AddItemToArray(out, profile);
        id = cJSON_GetObjectItemCaseSensitive(profile, "id");

        for (prev = out->child; prev != profile; prev = prev->next) {
            if (strcmp(cJSON_GetObjectItemCaseSensitive(prev, "id")
                           ->valuestring, id->valuestring) == 0)
            {
                snprintf(err, err_size, "agent #%d: \"id\" \"%s\" repeats "
                         "an earlier agent", i, id->valuestring);
                goto failed;
            }
        }
    }

    *json = out != NULL ? cJSON_PrintUnformatted(out) : NULL;
    if (*json == NULL) {
        snprintf(err, err_size, "out of memory");
        goto failed;
    }

    *count = (size_t) i;
    cJSON_Delete(out);
    cJSON_Delete(doc);
    return 0;

failed:

    cJSON_Delete(out);
    cJSON_Delete(doc);
    return -1;
}

int
cc_agents_read(const char *path, char **json, size_t *count,
    char *err, size_t err_size)
{
    int      rc;
    char    *text;
    size_t   len;
    char     why[300];

    text = cc_file_read(path, CC_AGENTS_FILE_MAX, &len, err, err_size);
    if (text == NULL) {
        return -1;
    }

    rc = cc_agents_parse(text, len, json, count, why, sizeof(why));
    if (rc != 0) {
        snprintf(err, err_size, "%s: %s", path, why);
    }

    free(text);
    return rc;
}
