#ifndef CC_ROUTER_HOURS_H
#define CC_ROUTER_HOURS_H

#include <stddef.h>

/*
 * Business hours: a weekly schedule in a time zone of the system's tzdata,
 * turned into the open intervals around now (the library only compares
 * epoch milliseconds).  Wall clock to UTC is mktime()'s, under TZ set to
 * the zone for the time of one call, so DST days come out right.
 */

#define CC_HOURS_ZONE_MAX    64
#define CC_HOURS_DAY_RANGES  8       /* ranges per day */
#define CC_HOURS_BEFORE      (24LL * 3600 * 1000)        /* ms before now */
#define CC_HOURS_AFTER       (8LL * 24 * 3600 * 1000)    /* ms after now */
/* 12 local dates cover the window with room for DST: at most that many
 * intervals, fewer once merged */
#define CC_HOURS_MAX         (12 * CC_HOURS_DAY_RANGES)

#define CC_ZONEINFO_DIR      "/usr/share/zoneinfo"

typedef struct {
    short  from;                     /* minutes since midnight, 0..1439 */
    short  to;                       /* from < to <= 1440 (24:00) */
} cc_hours_range_t;

typedef struct {
    char              zone[CC_HOURS_ZONE_MAX + 1];
    size_t            n[7];          /* ranges of mon .. sun; 0: closed */
    cc_hours_range_t  r[7][CC_HOURS_DAY_RANGES];
} cc_hours_t;

typedef struct {
    long long  open;                 /* epoch ms */
    long long  close;                /* epoch ms, open < close */
} cc_interval_t;

/* "mon" .. "sun" */
extern const char *const cc_hours_days[7];

/*
 * Parses one day of the schedule, "HH:MM-HH:MM" ranges separated by
 * commas (spaces allowed around them), in order and not overlapping;
 * 24:00 is allowed as an end.  0 with h->n[day] and h->r[day] set, -1
 * with err.  Pure.
 */
int cc_hours_parse_day(cc_hours_t *h, int day, const char *s,
    char *err, size_t err_size);

/* Days since 1970-01-01 of a date of the proleptic Gregorian calendar. */
long long cc_hours_days_from_civil(long long y, int m, int d);

/*
 * 1 when zone names a tzdata file under CC_ZONEINFO_DIR: [A-Za-z0-9_+-]
 * parts separated by '/', no "..", no leading '/', and the file a TZif.
 */
int cc_hours_zone_ok(const char *zone);

/*
 * The open intervals of h from now - CC_HOURS_BEFORE to now +
 * CC_HOURS_AFTER (clipped to that window), sorted, disjoint, touching
 * ones merged (sun 22:00-24:00 and mon 00:00-06:00 give one), into out
 * (room for CC_HOURS_MAX); their count, or -1 when the zone could not be
 * used.  *offset_ms: the zone's UTC offset at now.  Sets TZ and restores
 * it: not for threads.
 */
long cc_hours_open(const cc_hours_t *h, long long now_ms, cc_interval_t *out,
    long long *offset_ms);

#endif /* CC_ROUTER_HOURS_H */
