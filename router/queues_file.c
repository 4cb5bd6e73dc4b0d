#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "file.h"
#include "queues_file.h"

/* Our own list, so that the file is checked whatever the engine knows. */
static const char  *cc_queues_strategies[] = {
    "longest-idle", "round-robin", "top-down", "least-busy", "fewest-calls",
    "random", "ring-all"
};

/* The integer fields: given in seconds when ms, kept in milliseconds. */
typedef struct {
    const char  *name;
    size_t       off;
    long long    min;
    long long    max;
    int          ms;
} cc_queues_int_t;

#define CC_QUEUES_INT(f, min, max, ms)                                        \
    { #f, offsetof(cc_queue_settings_t, f), min, max, ms }

static const cc_queues_int_t  cc_queues_ints[] = {
    CC_QUEUES_INT(offer_timeout, 1, 3600, 1),
    CC_QUEUES_INT(max_no_answer, 0, 100, 0),
    CC_QUEUES_INT(wrapup, 0, 3600, 1),
    CC_QUEUES_INT(reject_delay, 0, 3600, 1),
    CC_QUEUES_INT(priority, -100, 100, 0),
    CC_QUEUES_INT(priority_aging, 0, 86400, 1),
    CC_QUEUES_INT(tier_wait, 0, 86400, 1),
    CC_QUEUES_INT(max_wait, 0, 604800, 1),
    CC_QUEUES_INT(sticky, 0, 86400, 1),
    CC_QUEUES_INT(service_level, 1, 86400, 1),
};

#define CC_QUEUES_NINTS  (sizeof(cc_queues_ints) / sizeof(cc_queues_ints[0]))

#define CC_QUEUES_OVERFLOW_MAX  604800     /* s */

const char *
cc_queues_strategy(const char *name)
{
    size_t  i;

    for (i = 0; i < sizeof(cc_queues_strategies)
                    / sizeof(cc_queues_strategies[0]); i++)
    {
        if (name != NULL && strcmp(name, cc_queues_strategies[i]) == 0) {
            return cc_queues_strategies[i];
        }
    }

    return NULL;
}

void
cc_queues_defaults(cc_queue_settings_t *q, const char *strategy,
    int offer_timeout, int max_wait)
{
    memset(q, 0, sizeof(*q));
    q->strategy = cc_queues_strategy(strategy);
    if (q->strategy == NULL) {
        q->strategy = cc_queues_strategies[0];
    }
    q->offer_timeout = offer_timeout * 1000LL;
    q->max_wait = max_wait * 1000LL;
    q->service_level = 20000;
}

static long long *
cc_queues_field(cc_queue_settings_t *q, const cc_queues_int_t *f)
{
    return (long long *) ((char *) q + f->off);
}

/* The first key that obj has twice (cJSON keeps both), or NULL. */
static const char *
cc_queues_repeated(const cJSON *obj)
{
    const cJSON  *a, *b;

    for (a = obj->child; a != NULL; a = a->next) {
        for (b = a->next; b != NULL; b = b->next) {
            if (strcmp(a->string, b->string) == 0) {
                return a->string;
            }
        }
    }

    return NULL;
}

/*
 * Refuses a non-object, a repeated key, a key not in names[0..n-1];
 * 0 or -1 with err.
 */
static int
cc_queues_object(const cJSON *obj, const char *what,
    const char *const *names, size_t n, char *err, size_t err_size)
{
    size_t        i;
    const char   *key;
    const cJSON  *v;

    if (!cJSON_IsObject(obj)) {
        snprintf(err, err_size, "%s must be an object", what);
        return -1;
    }

    key = cc_queues_repeated(obj);
    if (key != NULL) {
        snprintf(err, err_size, "%s repeats \"%s\"", what, key);
        return -1;
    }

    for (v = obj->child; v != NULL; v = v->next) {
        for (i = 0; i < n && strcmp(v->string, names[i]) != 0; i++) {
            /* void */
        }

        if (i == n) {
            snprintf(err, err_size, "unknown field \"%s\"", v->string);
            return -1;
        }
    }

    return 0;
}

/* An integer min..max; 0 with *out, -1 otherwise. */
static int
cc_queues_integer(const cJSON *v, long long min, long long max,
    long long *out)
{
    double  d;

    if (!cJSON_IsNumber(v)) {
        return -1;
    }

    d = v->valuedouble;
    if (!(d >= (double) min && d <= (double) max) || d != (long long) d) {
        return -1;
    }

    *out = (long long) d;
    return 0;
}

static int
cc_queues_overflow(cc_queue_settings_t *q, const cJSON *o, char *err,
    size_t err_size)
{
    static const char *const  names[] = { "after", "queue" };
    long long                 after;
    const cJSON              *v;

    if (cc_queues_object(o, "\"overflow\"", names, 2, err, err_size) != 0) {
        return -1;
    }

    v = cJSON_GetObjectItemCaseSensitive(o, "after");
    if (cc_queues_integer(v, 1, CC_QUEUES_OVERFLOW_MAX, &after) != 0) {
        snprintf(err, err_size, "\"overflow\": \"after\" must be an integer "
                 "1 to %d (seconds)", CC_QUEUES_OVERFLOW_MAX);
        return -1;
    }

    v = cJSON_GetObjectItemCaseSensitive(o, "queue");
    if (!cJSON_IsString(v)
        || !cc_valid_queue(v->valuestring, strlen(v->valuestring)))
    {
        snprintf(err, err_size, "\"overflow\": \"queue\" must be a queue name "
                 "(1 to %d of a-z 0-9 _ -)", CC_QUEUE_MAX);
        return -1;
    }

    if (strcmp(v->valuestring, q->name) == 0) {
        snprintf(err, err_size, "\"overflow\": \"queue\" must be another "
                 "queue");
        return -1;
    }

    q->overflow_after = after * 1000;
    snprintf(q->overflow_queue, sizeof(q->overflow_queue), "%s",
             v->valuestring);
    return 0;
}

static int
cc_queues_hours(cc_queue_settings_t *q, const cJSON *o, char *err,
    size_t err_size)
{
    static const char *const  names[] = {
        "timezone", "mon", "tue", "wed", "thu", "fri", "sat", "sun"
    };
    int                       d;
    char                      why[128];
    const cJSON              *v;

    if (cc_queues_object(o, "\"hours\"", names, 8, err, err_size) != 0) {
        return -1;
    }

    v = cJSON_GetObjectItemCaseSensitive(o, "timezone");
    if (!cJSON_IsString(v) || !cc_hours_zone_ok(v->valuestring)) {
        snprintf(err, err_size, "\"hours\": \"timezone\" must name a time "
                 "zone of %s (such as \"Europe/Zurich\")", CC_ZONEINFO_DIR);
        return -1;
    }

    memset(&q->hours, 0, sizeof(q->hours));
    snprintf(q->hours.zone, sizeof(q->hours.zone), "%s", v->valuestring);

    for (d = 0; d < 7; d++) {
        v = cJSON_GetObjectItemCaseSensitive(o, cc_hours_days[d]);
        if (v == NULL) {
            continue;                 /* a day not named is closed */
        }

        if (!cJSON_IsString(v)) {
            snprintf(err, err_size, "\"hours\": \"%s\" must be a string",
                     cc_hours_days[d]);
            return -1;
        }

        if (cc_hours_parse_day(&q->hours, d, v->valuestring, why,
                               sizeof(why)) != 0)
        {
            snprintf(err, err_size, "\"hours\": \"%s\": %s",
                     cc_hours_days[d], why);
            return -1;
        }
    }

    q->has_hours = 1;
    return 0;
}

/* One queue's settings over the defaults already in q; 0 or -1. */
static int
cc_queues_settings(cc_queue_settings_t *q, const cJSON *in, char *err,
    size_t err_size)
{
    size_t        i;
    const char   *names[CC_QUEUES_NINTS + 3];
    const cJSON  *v;

    for (i = 0; i < CC_QUEUES_NINTS; i++) {
        names[i] = cc_queues_ints[i].name;
    }
    names[i++] = "strategy";
    names[i++] = "overflow";
    names[i++] = "hours";

    if (cc_queues_object(in, "the settings", names, i, err, err_size) != 0) {
        return -1;
    }

    v = cJSON_GetObjectItemCaseSensitive(in, "strategy");
    if (v != NULL) {
        q->strategy = cJSON_IsString(v) ? cc_queues_strategy(v->valuestring)
                                        : NULL;
        if (q->strategy == NULL) {
            snprintf(err, err_size, "\"strategy\" must be one of "
                     "longest-idle, round-robin, top-down, least-busy, "
                     "fewest-calls, random, ring-all");
            return -1;
        }
    }

    for (i = 0; i < CC_QUEUES_NINTS; i++) {
        v = cJSON_GetObjectItemCaseSensitive(in, cc_queues_ints[i].name);
        if (v == NULL) {
            continue;
        }

        if (cc_queues_integer(v, cc_queues_ints[i].min,
                              cc_queues_ints[i].max,
                              cc_queues_field(q, &cc_queues_ints[i])) != 0)
        {
            snprintf(err, err_size, "\"%s\" must be an integer %lld to "
                     "%lld%s", cc_queues_ints[i].name, cc_queues_ints[i].min,
                     cc_queues_ints[i].max,
                     cc_queues_ints[i].ms ? " (seconds)" : "");
            return -1;
        }

        if (cc_queues_ints[i].ms) {
            *cc_queues_field(q, &cc_queues_ints[i]) *= 1000;
        }
    }

    v = cJSON_GetObjectItemCaseSensitive(in, "overflow");
    if (v != NULL && cc_queues_overflow(q, v, err, err_size) != 0) {
        return -1;
    }

    v = cJSON_GetObjectItemCaseSensitive(in, "hours");
    if (v != NULL && cc_queues_hours(q, v, err, err_size) != 0) {
        return -1;
    }

    return 0;
}

/* Overflow must end somewhere: a -> b -> a would move calls for ever. */
static int
cc_queues_no_cycle(const cc_queues_file_t *f, char *err, size_t err_size)
{
    int     *next;
    size_t   i, j, steps;

    next = malloc((f->n + 1) * sizeof(int));
    if (next == NULL) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }

    for (i = 0; i < f->n; i++) {
        next[i] = -1;
        for (j = 0; j < f->n; j++) {
            if (strcmp(f->queue[i].overflow_queue, f->queue[j].name) == 0) {
                next[i] = (int) j;
                break;
            }
        }
    }

    for (i = 0; i < f->n; i++) {
        j = i;
        for (steps = 0; steps < f->n && next[j] >= 0; steps++) {
            j = (size_t) next[j];
            if (j == i) {
                snprintf(err, err_size, "queue \"%s\": \"overflow\" leads "
                         "back to it", f->queue[i].name);
                free(next);
                return -1;
            }
        }
    }

    free(next);
    return 0;
}

int
cc_queues_file_parse(const char *text, size_t len,
    const cc_queue_settings_t *defaults, cc_queues_file_t *f,
    char *err, size_t err_size)
{
    size_t               n;
    char                 why[256];
    cJSON               *doc;
    const char          *key;
    const cJSON         *in;
    cc_queue_settings_t *q;

    memset(f, 0, sizeof(*f));

    doc = cJSON_ParseWithLength(text, len);
    if (doc == NULL) {
        snprintf(err, err_size, "not valid JSON");
        return -1;
    }

    if (!cJSON_IsObject(doc)) {
        snprintf(err, err_size, "not a JSON object of queues");
        goto failed;
    }

    key = cc_queues_repeated(doc);
    if (key != NULL) {
        snprintf(err, err_size, "queue \"%s\" is named twice", key);
        goto failed;
    }

    n = (size_t) cJSON_GetArraySize(doc);
    if (n > CC_QUEUES_FILE_QUEUES) {
        snprintf(err, err_size, "more than %d queues",
                 CC_QUEUES_FILE_QUEUES);
        goto failed;
    }

    f->queue = calloc(n + 1, sizeof(cc_queue_settings_t));
    if (f->queue == NULL) {
        snprintf(err, err_size, "out of memory");
        goto failed;
    }

    cJSON_ArrayForEach(in, doc) {
        if (!cc_valid_queue(in->string, strlen(in->string))) {
            snprintf(err, err_size, "\"%.40s\" is not a queue name (1 to %d "
                     "of a-z 0-9 _ -)", in->string, CC_QUEUE_MAX);
            goto failed;
        }

        q = &f->queue[f->n++];
        *q = *defaults;
        snprintf(q->name, sizeof(q->name), "%s", in->string);

        if (cc_queues_settings(q, in, why, sizeof(why)) != 0) {
            snprintf(err, err_size, "queue \"%s\": %s", q->name, why);
            goto failed;
        }
    }

    if (cc_queues_no_cycle(f, err, err_size) != 0) {
        goto failed;
    }

    cJSON_Delete(doc);
    return 0;

failed:

    cc_queues_file_free(f);
    cJSON_Delete(doc);
    return -1;
}

int
cc_queues_file_read(const char *path,
    const cc_queue_settings_t *defaults, cc_queues_file_t *f,
    char *err, size_t err_size)
{
    int      rc;
    char    *text;
    size_t   len;
    char     why[300];

    text = cc_file_read(path, CC_QUEUES_FILE_MAX, &len, err, err_size);
    if (text == NULL) {
        return -1;
    }

    rc = cc_queues_file_parse(text, len, defaults, f, why, sizeof(why));
    if (rc != 0) {
        snprintf(err, err_size, "%s: %s", path, why);
    }

    free(text);
    return rc;
}

/* 1 when the file or one of the agents names queue */
static int
cc_queues_named(const cc_queues_file_t *f, const cJSON *agents,
    const char *queue)
{
    size_t        i;
    const cJSON  *a, *q;

    for (i = 0; i < f->n; i++) {
        if (strcmp(f->queue[i].name, queue) == 0) {
            return 1;
        }
    }

    cJSON_ArrayForEach(a, agents) {
        cJSON_ArrayForEach(q, cJSON_GetObjectItemCaseSensitive(a, "queues")) {
            if (cJSON_IsString(q) && strcmp(q->valuestring, queue) == 0) {
                return 1;
            }
        }
    }

    return 0;
}

int
cc_queues_file_known(const cc_queues_file_t *f, const char *agents_json,
    char *err, size_t err_size)
{
    int     rc;
    size_t  i;
    cJSON  *agents;

    agents = cJSON_Parse(agents_json);
    if (agents == NULL) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }

    rc = 0;

    for (i = 0; i < f->n; i++) {
        if (f->queue[i].overflow_queue[0] != '\0'
            && !cc_queues_named(f, agents, f->queue[i].overflow_queue))
        {
            snprintf(err, err_size, "queue \"%s\": \"overflow\": queue "
                     "\"%s\" is named neither by the queues file nor by an "
                     "agent", f->queue[i].name, f->queue[i].overflow_queue);
            rc = -1;
            break;
        }
    }

    cJSON_Delete(agents);
    return rc;
}

void
cc_queues_file_free(cc_queues_file_t *f)
{
    free(f->queue);
    f->queue = NULL;
    f->n = 0;
}

/* The hours of q at now as a JSON array, or null; NULL on failure. */
static cJSON *
cc_queues_hours_item(const cc_queue_settings_t *q, long long now_ms,
    long long *day_offset)
{
    long            i, n;
    cJSON          *a, *pair;
    cc_interval_t  *iv;

    *day_offset = 0;

    if (!q->has_hours) {
        return cJSON_CreateNull();
    }

    iv = malloc(CC_HOURS_MAX * sizeof(cc_interval_t));
    if (iv == NULL) {
        return NULL;
    }

    n = cc_hours_open(&q->hours, now_ms, iv, day_offset);
    a = n >= 0 ? cJSON_CreateArray() : NULL;

    for (i = 0; a != NULL && i < n; i++) {
        pair = cJSON_CreateArray();
        if (pair == NULL
            || !cJSON_AddItemToArray(pair, cJSON_CreateNumber(
                                         (double) iv[i].open))
            || !cJSON_AddItemToArray(pair, cJSON_CreateNumber(
                                         (double) iv[i].close))
            || !cJSON_AddItemToArray(a, pair))
        {
            cJSON_Delete(pair);
            cJSON_Delete(a);
            a = NULL;
        }
    }

    free(iv);
    return a;
}

/* One queue's normalized settings as an object; NULL on failure. */
static cJSON *
cc_queues_settings_item(const cc_queue_settings_t *q, long long now_ms)
{
    size_t      i;
    cJSON      *o, *hours;
    long long   offset;

    o = cJSON_CreateObject();
    hours = cc_queues_hours_item(q, now_ms, &offset);

    if (o == NULL || hours == NULL
        || !cJSON_AddStringToObject(o, "strategy", q->strategy))
    {
        goto failed;
    }

    for (i = 0; i < CC_QUEUES_NINTS; i++) {
        if (!cJSON_AddNumberToObject(o, cc_queues_ints[i].name,
                (double) *(const long long *) ((const char *) q
                                               + cc_queues_ints[i].off)))
        {
            goto failed;
        }
    }

    if (!cJSON_AddNumberToObject(o, "overflow_after",
                                 (double) q->overflow_after)
        || !cJSON_AddStringToObject(o, "overflow_queue", q->overflow_queue)
        || !cJSON_AddItemToObject(o, "hours", hours))
    {
        goto failed;
    }
    hours = NULL;

    if (!cJSON_AddNumberToObject(o, "day_offset", (double) offset)) {
        goto failed;
    }

    return o;

failed:

    cJSON_Delete(hours);
    cJSON_Delete(o);
    return NULL;
}

/* The compact text of item (deleted); NULL on failure. */
static char *
cc_queues_print(cJSON *item)
{
    char  *s;

    s = item != NULL ? cJSON_PrintUnformatted(item) : NULL;
    cJSON_Delete(item);
    return s;
}

char *
cc_queue_settings_json(const cc_queue_settings_t *q, long long now_ms)
{
    return cc_queues_print(cc_queues_settings_item(q, now_ms));
}

char *
cc_queues_file_json(const cc_queues_file_t *f, long long now_ms)
{
    size_t   i;
    cJSON   *o, *item;

    o = cJSON_CreateObject();

    for (i = 0; o != NULL && i < f->n; i++) {
        item = cc_queues_settings_item(&f->queue[i], now_ms);
        if (item == NULL
            || !cJSON_AddItemToObject(o, f->queue[i].name, item))
        {
            cJSON_Delete(item);
            cJSON_Delete(o);
            o = NULL;
        }
    }

    return cc_queues_print(o);
}

char *
cc_queue_hours_json(const cc_queue_settings_t *q, long long now_ms,
    long long *day_offset)
{
    return cc_queues_print(cc_queues_hours_item(q, now_ms, day_offset));
}
