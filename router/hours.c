/* tm_gmtoff */
#define _DEFAULT_SOURCE

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hours.h"

const char *const cc_hours_days[7] = {
    "mon", "tue", "wed", "thu", "fri", "sat", "sun"
};

/* H. Hinnant's days_from_civil */
long long
cc_hours_days_from_civil(long long y, int m, int d)
{
    long long  era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

    return era * 146097 + doe - 719468;
}

/* "HH:MM" at s, 00:00..23:59 or 24:00; minutes since midnight or -1 */
static int
cc_hours_time(const char *s)
{
    int  i, h, m;

    for (i = 0; i < 5; i++) {
        if (i == 2 ? s[i] != ':' : (s[i] < '0' || s[i] > '9')) {
            return -1;
        }
    }

    h = (s[0] - '0') * 10 + (s[1] - '0');
    m = (s[3] - '0') * 10 + (s[4] - '0');

    if (m > 59 || h > 24 || (h == 24 && m != 0)) {
        return -1;
    }

    return h * 60 + m;
}

int
cc_hours_parse_day(cc_hours_t *h, int day, const char *s,
    char *err, size_t err_size)
{
    int                from, to;
    size_t             n;
    cc_hours_range_t  *r;

    r = h->r[day];
    n = 0;

    for ( ;; ) {
        s += strspn(s, " ");

        from = cc_hours_time(s);
        to = from >= 0 && s[5] == '-' ? cc_hours_time(s + 6) : -1;

        if (from < 0 || to < 0) {
            snprintf(err, err_size, "must be ranges HH:MM-HH:MM separated "
                     "by commas");
            return -1;
        }

        if (from >= to) {
            snprintf(err, err_size, "range %.11s ends before it starts", s);
            return -1;
        }

        if (n > 0 && from < r[n - 1].to) {
            snprintf(err, err_size, "range %.11s overlaps or precedes the "
                     "one before", s);
            return -1;
        }

        if (n == CC_HOURS_DAY_RANGES) {
            snprintf(err, err_size, "more than %d ranges",
                     CC_HOURS_DAY_RANGES);
            return -1;
        }

        r[n].from = (short) from;
        r[n].to = (short) to;
        n++;

        s += 11 + strspn(s + 11, " ");

        if (*s == '\0') {
            break;
        }

        if (*s++ != ',') {
            snprintf(err, err_size, "must be ranges HH:MM-HH:MM separated "
                     "by commas");
            return -1;
        }
    }

    h->n[day] = n;
    return 0;
}

int
cc_hours_zone_ok(const char *zone)
{
    FILE    *f;
    char     path[sizeof(CC_ZONEINFO_DIR) + CC_HOURS_ZONE_MAX + 1];
    char     magic[4];
    size_t   i, len, got;

    len = strlen(zone);
    if (len == 0 || len > CC_HOURS_ZONE_MAX || zone[0] == '/'
        || zone[len - 1] == '/' || strstr(zone, "..") != NULL
        || strstr(zone, "//") != NULL)
    {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                   "0123456789_+-/", zone[i]) == NULL)
        {
            return 0;
        }
    }

    snprintf(path, sizeof(path), "%s/%s", CC_ZONEINFO_DIR, zone);

    /* a directory or zone.tab is no zone: tzdata files start "TZif" */
    f = fopen(path, "rb");
    if (f == NULL) {
        return 0;
    }

    got = fread(magic, 1, sizeof(magic), f);
    fclose(f);

    return got == sizeof(magic) && memcmp(magic, "TZif", 4) == 0;
}

static int
cc_hours_cmp(const void *a, const void *b)
{
    const cc_interval_t  *x = a, *y = b;

    return x->open < y->open ? -1 : x->open > y->open;
}

/* Local wall time of t in minutes since 1970-01-01 00:00 on the wall. */
static long long
cc_hours_wall(time_t t)
{
    struct tm  tm;

    if (localtime_r(&t, &tm) == NULL) {
        return -1;
    }

    return cc_hours_days_from_civil(tm.tm_year + 1900, tm.tm_mon + 1,
                                    tm.tm_mday) * 1440
           + tm.tm_hour * 60 + tm.tm_min;
}

static time_t
cc_hours_mktime(const struct tm *day, int m, int isdst)
{
    struct tm  tm;

    tm = *day;
    tm.tm_hour = m / 60;              /* 24: mktime makes it the next day */
    tm.tm_min = m % 60;
    tm.tm_sec = 0;
    tm.tm_isdst = isdst;

    return mktime(&tm);
}

/*
 * Epoch ms of the first instant the wall clock shows minute m (0..1440)
 * of the local date day, or later: a time the clock shows twice (DST
 * ends) is its first occurrence, a time it skips (DST starts) the moment
 * of the jump.  -1 if mktime fails.
 */
static long long
cc_hours_at(const struct tm *day, int m)
{
    time_t     t, alt, lo, mid;
    struct tm  tm;
    long long  want;

    want = cc_hours_days_from_civil(day->tm_year + 1900, day->tm_mon + 1,
                                    day->tm_mday) * 1440 + m;

    t = cc_hours_mktime(day, m, -1);
    if (t == (time_t) -1 || localtime_r(&t, &tm) == NULL) {
        return -1;
    }

    if (cc_hours_wall(t) == want) {
        /* shown twice? then the other offset gives the same wall time */
        alt = cc_hours_mktime(day, m, !tm.tm_isdst);
        if (alt != (time_t) -1 && alt < t && cc_hours_wall(alt) == want) {
            t = alt;
        }

        return (long long) t * 1000;
    }

    /* skipped: mktime went past it; the jump is within hours before */
    lo = t - 6 * 3600;
    while (t - lo > 1) {
        mid = lo + (t - lo) / 2;
        if (cc_hours_wall(mid) >= want) {
            t = mid;

        } else {
            lo = mid;
        }
    }

    return (long long) t * 1000;
}

/* The intervals of the local dates around now, unsorted; count or -1. */
static long
cc_hours_collect(const cc_hours_t *h, long long now_ms, cc_interval_t *out,
    long long *offset_ms)
{
    int        k, wd;
    long       n;
    size_t     i;
    time_t     t;
    struct tm  first, day;
    long long  open, close;

    t = (time_t) (now_ms / 1000);
    if (localtime_r(&t, &day) == NULL) {
        return -1;
    }
    *offset_ms = (long long) day.tm_gmtoff * 1000;

    t = (time_t) ((now_ms - CC_HOURS_BEFORE) / 1000);
    if (localtime_r(&t, &first) == NULL) {
        return -1;
    }

    n = 0;

    /* the date before the window's first to two after its last */
    for (k = -1; k < 11; k++) {
        day = first;
        day.tm_mday += k;
        day.tm_hour = 12;             /* noon: never in a DST change */
        day.tm_min = 0;
        day.tm_sec = 0;
        day.tm_isdst = -1;

        if (mktime(&day) == (time_t) -1) {
            return -1;
        }

        wd = (day.tm_wday + 6) % 7;   /* tm_wday 0 is Sunday */

        for (i = 0; i < h->n[wd]; i++) {
            open = cc_hours_at(&day, h->r[wd][i].from);
            close = cc_hours_at(&day, h->r[wd][i].to);

            if (open < 0 || close < 0) {
                return -1;
            }

            /* a range inside a DST gap may come out empty */
            if (open < close) {
                out[n].open = open;
                out[n].close = close;
                n++;
            }
        }
    }

    return n;
}

long
cc_hours_open(const cc_hours_t *h, long long now_ms, cc_interval_t *out,
    long long *offset_ms)
{
    long        i, n, m;
    char       *saved, tz[CC_HOURS_ZONE_MAX + 2];
    long long   lo, hi;
    const char *env;

    env = getenv("TZ");
    saved = NULL;
    if (env != NULL) {
        saved = strdup(env);
        if (saved == NULL) {
            return -1;
        }
    }

    /* ':' : a file of tzdata, never a POSIX TZ rule */
    snprintf(tz, sizeof(tz), ":%s", h->zone);
    setenv("TZ", tz, 1);
    tzset();

    n = cc_hours_collect(h, now_ms, out, offset_ms);

    if (saved != NULL) {
        setenv("TZ", saved, 1);
        free(saved);

    } else {
        unsetenv("TZ");
    }
    tzset();

    if (n <= 0) {
        return n;
    }

    qsort(out, (size_t) n, sizeof(cc_interval_t), cc_hours_cmp);

    lo = now_ms - CC_HOURS_BEFORE;
    hi = now_ms + CC_HOURS_AFTER;
    m = 0;

    for (i = 0; i < n; i++) {
        if (out[i].open < lo) {
            out[i].open = lo;
        }
        if (out[i].close > hi) {
            out[i].close = hi;
        }
        if (out[i].open >= out[i].close) {
            continue;
        }

        if (m > 0 && out[i].open <= out[m - 1].close) {
            if (out[i].close > out[m - 1].close) {
                out[m - 1].close = out[i].close;
            }
            continue;
        }

        out[m++] = out[i];
    }

    return m;
}
