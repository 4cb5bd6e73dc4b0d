#ifndef CC_ROUTER_QUEUES_FILE_H
#define CC_ROUTER_QUEUES_FILE_H

#include <stddef.h>

#include "cc_validate.h"
#include "hours.h"

/*
 * The queues file (--queues): a JSON object of queue settings
 *     {"sales": {"strategy": "round-robin", "offer_timeout": 20,
 *                "overflow": {"after": 120, "queue": "support"},
 *                "hours": {"timezone": "Europe/Zurich",
 *                          "mon": "08:00-18:00"}, ...}}
 * (PROTOCOL.md, "Queues and routing"): every field optional, times in
 * seconds, no other fields.  It reaches FCALL cc_queues_load normalized,
 * every field present, times in milliseconds, the hours as the open
 * intervals around now.
 */

#define CC_QUEUES_FILE_MAX     (1024 * 1024)
#define CC_QUEUES_FILE_QUEUES  1024

typedef struct {
    char         name[CC_QUEUE_MAX + 1];
    const char  *strategy;               /* static */
    long long    offer_timeout;          /* ms */
    long long    max_no_answer;
    long long    wrapup;                 /* ms */
    long long    reject_delay;           /* ms */
    long long    priority;               /* -100..100 */
    long long    priority_aging;         /* ms, 0: none */
    long long    tier_wait;              /* ms */
    long long    max_wait;               /* ms, 0: never */
    long long    sticky;                 /* ms, 0: off */
    long long    service_level;          /* ms */
    long long    overflow_after;         /* ms, 0: no overflow */
    char         overflow_queue[CC_QUEUE_MAX + 1];   /* "": none */
    int          has_hours;              /* 0: always open */
    cc_hours_t   hours;
} cc_queue_settings_t;

typedef struct {
    size_t                n;
    cc_queue_settings_t  *queue;         /* in the file's order */
} cc_queues_file_t;

/* The canonical (static) name of a strategy, NULL if it is none. */
const char *cc_queues_strategy(const char *name);

/*
 * The settings of a queue the file does not name: strategy,
 * offer_timeout and max_wait (seconds) from the options, service level
 * 20 s, everything else 0 or off.
 */
void cc_queues_defaults(cc_queue_settings_t *q, const char *strategy,
    int offer_timeout, int max_wait);

/*
 * Checks the text of a queues file; fields not given come from defaults.
 * 0 with f filled (cc_queues_file_free it), -1 with a message naming the
 * problem.  Reads tzdata to check time zones, nothing else.
 */
int cc_queues_file_parse(const char *text, size_t len,
    const cc_queue_settings_t *defaults, cc_queues_file_t *f,
    char *err, size_t err_size);

/* cc_queues_file_parse of the file at path. */
int cc_queues_file_read(const char *path,
    const cc_queue_settings_t *defaults, cc_queues_file_t *f,
    char *err, size_t err_size);

/*
 * Refuses an overflow to a queue neither f nor the agents (the JSON of
 * cc_agents_parse) name: such a queue is unknown, and the library would
 * refuse the whole file.  0 or -1 with err.
 */
int cc_queues_file_known(const cc_queues_file_t *f, const char *agents_json,
    char *err, size_t err_size);

void cc_queues_file_free(cc_queues_file_t *f);

/*
 * The compact JSON (free() it) of one queue's settings, its hours and
 * day_offset computed at now: DEFAULTS_JSON of cc_queues_load for the
 * defaults.  NULL out of memory or when the zone cannot be used.
 */
char *cc_queue_settings_json(const cc_queue_settings_t *q, long long now_ms);

/* SETTINGS_JSON of cc_queues_load: {"QUEUE": settings, ...}. */
char *cc_queues_file_json(const cc_queues_file_t *f, long long now_ms);

/*
 * HOURS_JSON of cc_queue_hours, "[[OPEN_MS, CLOSE_MS], ...]" or "null",
 * and the zone's offset now; NULL as cc_queue_settings_json.
 */
char *cc_queue_hours_json(const cc_queue_settings_t *q, long long now_ms,
    long long *day_offset);

#endif /* CC_ROUTER_QUEUES_FILE_H */
