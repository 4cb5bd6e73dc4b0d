#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "record.h"

static cJSON *
cc_record_candidate(const cc_candidate_t *cand)
{
    cJSON  *o;

    o = cJSON_CreateObject();

    if (o == NULL
        || cJSON_AddStringToObject(o, "agent", cand->agent->id) == NULL
        || cJSON_AddBoolToObject(o, "eligible", cand->eligible) == NULL
        || cJSON_AddStringToObject(o, "why", cand->why) == NULL)
    {
        cJSON_Delete(o);
        return NULL;
    }

    return o;
}

/* The record with the candidates keep[] marks; NULL out of memory. */
static char *
cc_record_print(const cc_decision_t *d, const char *keep, long long at,
    const char *router)
{
    char          *json;
    size_t         i;
    cJSON         *o, *list, *item;
    const cc_agent_t  *agent;

    o = cJSON_CreateObject();
    if (o == NULL) {
        return NULL;
    }

    json = NULL;
    agent = d->kind == CC_DECIDE_OFFER ? d->agents[0] : NULL;

    if (cJSON_AddNumberToObject(o, "at", (double) at) == NULL
        || cJSON_AddStringToObject(o, "router", router) == NULL
        || cJSON_AddStringToObject(o, "strategy", d->strategy) == NULL
        || (agent != NULL ? cJSON_AddStringToObject(o, "agent", agent->id)
                          : cJSON_AddNullToObject(o, "agent")) == NULL
        || cJSON_AddStringToObject(o, "reason", d->reason) == NULL
        || (list = cJSON_AddArrayToObject(o, "candidates")) == NULL)
    {
        goto done;
    }

    for (i = 0; i < d->ncandidates; i++) {
        if (!keep[i]) {
            continue;
        }

        item = cc_record_candidate(&d->candidates[i]);
        if (item == NULL || !cJSON_AddItemToArray(list, item)) {
            cJSON_Delete(item);
            goto done;
        }
    }

    json = cJSON_PrintUnformatted(o);

done:

    cJSON_Delete(o);
    return json;
}

char *
cc_record_json(const cc_decision_t *d, long long at, const char *router)
{
    char    *json;
    char     keep[CC_DECISION_CANDIDATES];
    size_t   i, kept;

    memset(keep, 1, sizeof(keep));
    kept = d->ncandidates;

    for ( ;; ) {
        json = cc_record_print(d, keep, at, router);

        if (json == NULL || strlen(json) <= CC_RECORD_MAX || kept == 0) {
            return json;
        }

        free(json);

        /* the last one kept that was not chosen, else the last one */
        for (i = d->ncandidates; i > 0; i--) {
            if (keep[i - 1] && !d->candidates[i - 1].chosen) {
                break;
            }
        }

        if (i == 0) {
            for (i = d->ncandidates; !keep[i - 1]; i--) {
                /* void */
            }
        }

        keep[i - 1] = 0;
        kept--;
    }
}
