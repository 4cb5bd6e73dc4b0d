#define _POSIX_C_SOURCE 200809L

#include <stdlib.h>
#include <string.h>

#include "cc_test.h"
#include "hours.h"

static char           err[256];
static cc_hours_t     h;
static cc_interval_t  iv[CC_HOURS_MAX];
static long long      offset;

/* Epoch ms of a UTC date and time, computed without any time zone. */
static long long
utc(int y, int mo, int d, int hh, int mm)
{
    return (cc_hours_days_from_civil(y, mo, d) * 86400 + hh * 3600
            + mm * 60) * 1000;
}

#define H(n)  ((n) * 3600000LL)

/* The interval i found is [open, close). */
static int
iv_is(int i, long long open, long long close)
{
    if (iv[i].open == open && iv[i].close == close) {
        return 1;
    }

    fprintf(stderr, "  interval %d: [%lld, %lld), expected [%lld, %lld)\n",
            i, iv[i].open, iv[i].close, open, close);
    return 0;
}

/* A schedule in zone: days[0..6] mon..sun, NULL closed. */
static void
schedule(const char *zone, const char *const days[7])
{
    int  d;

    memset(&h, 0, sizeof(h));
    snprintf(h.zone, sizeof(h.zone), "%s", zone);

    for (d = 0; d < 7; d++) {
        if (days[d] != NULL) {
            CC_CHECK(cc_hours_parse_day(&h, d, days[d], err, sizeof(err))
                     == 0);
        }
    }
}

static int
day_bad(const char *s, const char *why)
{
    cc_hours_t  x;

    err[0] = '\0';
    if (cc_hours_parse_day(&x, 0, s, err, sizeof(err)) != -1) {
        fprintf(stderr, "  \"%s\" accepted\n", s);
        return 0;
    }
    if (strstr(err, why) == NULL) {
        fprintf(stderr, "  \"%s\" -> \"%s\", expected \"%s\"\n", s, err, why);
        return 0;
    }
    return 1;
}

static void
test_parse(void)
{
    memset(&h, 0, sizeof(h));
    CC_CHECK(cc_hours_parse_day(&h, 2, "08:00-12:00, 13:30-24:00",
                                err, sizeof(err)) == 0);
    CC_CHECK(h.n[2] == 2);
    CC_CHECK(h.r[2][0].from == 480 && h.r[2][0].to == 720);
    CC_CHECK(h.r[2][1].from == 810 && h.r[2][1].to == 1440);
    CC_CHECK(cc_hours_parse_day(&h, 0, "00:00-24:00", err, sizeof(err))
             == 0);
    CC_CHECK(h.n[0] == 1);
    CC_CHECK(cc_hours_parse_day(&h, 1, "09:00-10:00,10:00-11:00",
                                err, sizeof(err)) == 0);
    CC_CHECK(h.n[1] == 2);
    CC_CHECK(cc_hours_parse_day(&h, 3, "00:00-00:01,1:00-2:00", err,
                                sizeof(err)) == -1);
    CC_CHECK(h.n[3] == 0);    /* untouched when refused */
    CC_CHECK(cc_hours_parse_day(&h, 4,
             "00:00-01:00,02:00-03:00,04:00-05:00,06:00-07:00,"
             "08:00-09:00,10:00-11:00,12:00-13:00,14:00-15:00",
             err, sizeof(err)) == 0);

    CC_CHECK(day_bad("", "HH:MM-HH:MM"));
    CC_CHECK(day_bad("closed", "HH:MM-HH:MM"));
    CC_CHECK(day_bad("8:00-12:00", "HH:MM-HH:MM"));
    CC_CHECK(day_bad("08:00-12:00,", "HH:MM-HH:MM"));
    CC_CHECK(day_bad("08:00-12:00;13:00-14:00", "HH:MM-HH:MM"));
    CC_CHECK(day_bad("08:00-12:00 x", "HH:MM-HH:MM"));
    CC_CHECK(day_bad("08:00 - 12:00", "HH:MM-HH:MM"));
    CC_CHECK(day_bad("08:60-12:00", "HH:MM-HH:MM"));
    CC_CHECK(day_bad("25:00-26:00", "HH:MM-HH:MM"));
    CC_CHECK(day_bad("08:00-24:01", "HH:MM-HH:MM"));
    CC_CHECK(day_bad("24:00-24:00", "ends before it starts"));
    CC_CHECK(day_bad("12:00-08:00", "ends before it starts"));
    CC_CHECK(day_bad("08:00-08:00", "ends before it starts"));
    CC_CHECK(day_bad("08:00-12:00,11:00-13:00", "overlaps"));
    CC_CHECK(day_bad("13:00-14:00,08:00-12:00", "overlaps"));
    CC_CHECK(day_bad("00:00-01:00,02:00-03:00,04:00-05:00,06:00-07:00,"
                     "08:00-09:00,10:00-11:00,12:00-13:00,14:00-15:00,"
                     "16:00-17:00", "more than 8 ranges"));
}

static void
test_civil(void)
{
    CC_CHECK(utc(1970, 1, 1, 0, 0) == 0);
    CC_CHECK(utc(2026, 3, 29, 0, 0) == 1774742400000LL);
    CC_CHECK(utc(2000, 2, 29, 12, 0) == 951825600000LL);
    CC_CHECK(utc(1969, 12, 31, 0, 0) == -86400000LL);
}

static void
test_zones(void)
{
    CC_CHECK(cc_hours_zone_ok("Europe/Zurich"));
    CC_CHECK(cc_hours_zone_ok("UTC"));
    CC_CHECK(cc_hours_zone_ok("America/Argentina/Buenos_Aires"));
    CC_CHECK(cc_hours_zone_ok("Etc/GMT+5"));
    CC_CHECK(!cc_hours_zone_ok(""));
    CC_CHECK(!cc_hours_zone_ok("Europe"));              /* a directory */
    CC_CHECK(!cc_hours_zone_ok("Europe/"));
    CC_CHECK(!cc_hours_zone_ok("Europe//Zurich"));
    CC_CHECK(!cc_hours_zone_ok("Mars/Olympus_Mons"));
    CC_CHECK(!cc_hours_zone_ok("zone.tab"));
    CC_CHECK(!cc_hours_zone_ok("../../../etc/passwd"));
    CC_CHECK(!cc_hours_zone_ok("Europe/../UTC"));
    CC_CHECK(!cc_hours_zone_ok("/usr/share/zoneinfo/UTC"));
    CC_CHECK(!cc_hours_zone_ok("Europe/Zurich\n"));
    CC_CHECK(!cc_hours_zone_ok("CET-1CEST"));         /* a POSIX rule */
}

/* A range 01:00-04:00 on the Sundays of the DST changes of 2026. */
static void
test_dst(void)
{
    static const char *const  sun[7] = {
        NULL, NULL, NULL, NULL, NULL, NULL, "01:00-04:00"
    };

    schedule("Europe/Zurich", sun);

    /* spring: 02:00 CET is 03:00 CEST, the range is 2 hours long */
    CC_CHECK(cc_hours_open(&h, utc(2026, 3, 28, 12, 0), iv, &offset) == 2);
    CC_CHECK(iv_is(0, utc(2026, 3, 29, 0, 0), utc(2026, 3, 29, 2, 0)));
    CC_CHECK(iv_is(1, utc(2026, 4, 4, 23, 0), utc(2026, 4, 5, 2, 0)));
    CC_CHECK(offset == H(1));

    CC_CHECK(cc_hours_open(&h, utc(2026, 3, 29, 1, 30), iv, &offset) == 2);
    CC_CHECK(offset == H(2));

    /* autumn: 03:00 CEST is 02:00 CET, the range is 4 hours long */
    CC_CHECK(cc_hours_open(&h, utc(2026, 10, 20, 12, 0), iv, &offset) == 1);
    CC_CHECK(iv_is(0, utc(2026, 10, 24, 23, 0), utc(2026, 10, 25, 3, 0)));
    CC_CHECK(offset == H(2));

    /* the window starts inside the range: clipped */
    CC_CHECK(cc_hours_open(&h, utc(2026, 10, 26, 1, 0), iv, &offset) == 2);
    CC_CHECK(iv_is(0, utc(2026, 10, 25, 1, 0), utc(2026, 10, 25, 3, 0)));
    CC_CHECK(iv_is(1, utc(2026, 11, 1, 0, 0), utc(2026, 11, 1, 3, 0)));
    CC_CHECK(offset == H(1));
}

/* A time the clock skips (DST starts) is the moment of the jump, one it
 * shows twice (DST ends) its first occurrence. */
static void
test_dst_edges(void)
{
    static const char *const  sun[7] = {
        NULL, NULL, NULL, NULL, NULL, NULL, "02:00-02:30,02:45-03:30"
    };

    schedule("Europe/Zurich", sun);

    /* 2026-03-29: 02:00-02:30 never shown, 02:45 is the jump (01:00Z) */
    CC_CHECK(cc_hours_open(&h, utc(2026, 3, 28, 12, 0), iv, &offset) == 3);
    CC_CHECK(iv_is(0, utc(2026, 3, 29, 1, 0), utc(2026, 3, 29, 1, 30)));
    CC_CHECK(iv_is(1, utc(2026, 4, 5, 0, 0), utc(2026, 4, 5, 0, 30)));
    CC_CHECK(iv[2].open == utc(2026, 4, 5, 0, 45));

    /* 2026-10-25: 02:00 and 02:30 CEST; 02:45 CEST to 03:30 CET */
    CC_CHECK(cc_hours_open(&h, utc(2026, 10, 24, 12, 0), iv, &offset) == 4);
    CC_CHECK(iv_is(0, utc(2026, 10, 25, 0, 0), utc(2026, 10, 25, 0, 30)));
    CC_CHECK(iv_is(1, utc(2026, 10, 25, 0, 45), utc(2026, 10, 25, 2, 30)));
}

/* Monday to Friday 08:00-18:00 in New York, seen on a Wednesday. */
static void
test_week(void)
{
    static const char *const  week[7] = {
        "08:00-18:00", "08:00-18:00", "08:00-18:00", "08:00-18:00",
        "08:00-12:00,13:00-18:00", NULL, NULL
    };
    long       n;
    long long  now;

    schedule("America/New_York", week);

    /* Wednesday 2026-06-10 15:00Z (11:00 EDT): open since 12:00Z */
    now = utc(2026, 6, 10, 15, 0);
    n = cc_hours_open(&h, now, iv, &offset);
    CC_CHECK(offset == -H(4));
    /* Tue 9th (clipped at now - 1 day), Wed, Thu, Fri x2, Mon 15th,
     * Tue 16th, Wed 17th, Thu 18th (clipped at now + 8 days) */
    CC_CHECK(n == 9);
    CC_CHECK(iv[0].open == now - H(24) && iv[0].close == utc(2026, 6, 9,
                                                              22, 0));
    CC_CHECK(iv_is(1, utc(2026, 6, 10, 12, 0), utc(2026, 6, 10, 22, 0)));
    CC_CHECK(iv_is(3, utc(2026, 6, 12, 12, 0), utc(2026, 6, 12, 16, 0)));
    CC_CHECK(iv_is(4, utc(2026, 6, 12, 17, 0), utc(2026, 6, 12, 22, 0)));
    /* Saturday and Sunday, not named: closed */
    CC_CHECK(iv[5].open == utc(2026, 6, 15, 12, 0));
    CC_CHECK(iv[7].open == utc(2026, 6, 17, 12, 0));
    CC_CHECK(iv[8].open == utc(2026, 6, 18, 12, 0));
    CC_CHECK(iv[8].close == now + 8 * H(24));
}

/* Adjacent ranges across midnight and across days become one. */
static void
test_merge(void)
{
    static const char *const  night[7] = {
        "00:00-06:00,22:00-24:00", NULL, NULL, NULL, NULL, NULL,
        "22:00-24:00"
    };
    static const char *const  always[7] = {
        "00:00-24:00", "00:00-24:00", "00:00-24:00", "00:00-24:00",
        "00:00-24:00", "00:00-24:00", "00:00-24:00"
    };
    static const char *const  closed[7] = { NULL };
    long long                 now;

    /* Thursday 2026-01-01 */
    now = utc(2026, 1, 1, 0, 0);

    schedule("UTC", night);
    CC_CHECK(cc_hours_open(&h, now, iv, &offset) == 2);
    CC_CHECK(iv[0].open == utc(2026, 1, 4, 22, 0));     /* Sunday */
    CC_CHECK(iv[0].close == utc(2026, 1, 5, 6, 0));     /* Monday */
    CC_CHECK(iv_is(1, utc(2026, 1, 5, 22, 0), utc(2026, 1, 6, 0, 0)));
    CC_CHECK(offset == 0);

    schedule("Europe/Zurich", always);
    CC_CHECK(cc_hours_open(&h, now, iv, &offset) == 1);
    CC_CHECK(iv[0].open == now - H(24) && iv[0].close == now + 8 * H(24));

    schedule("Asia/Tokyo", closed);
    CC_CHECK(cc_hours_open(&h, now, iv, &offset) == 0);
    CC_CHECK(offset == H(9));
}

/* The caller's TZ is put back, set or not. */
static void
test_tz_restored(void)
{
    static const char *const  sun[7] = {
        NULL, NULL, NULL, NULL, NULL, NULL, "01:00-04:00"
    };
    const char               *tz;

    schedule("Europe/Zurich", sun);

    setenv("TZ", "America/New_York", 1);
    CC_CHECK(cc_hours_open(&h, utc(2026, 3, 28, 12, 0), iv, &offset) == 2);
    tz = getenv("TZ");
    CC_CHECK(tz != NULL && strcmp(tz, "America/New_York") == 0);

    unsetenv("TZ");
    CC_CHECK(cc_hours_open(&h, utc(2026, 3, 28, 12, 0), iv, &offset) == 2);
    CC_CHECK(getenv("TZ") == NULL);
}

int
main(void)
{
    /* whatever the machine's zone: the results must not depend on it */
    setenv("TZ", "Pacific/Kiritimati", 1);

    test_civil();
    test_parse();
    test_zones();
    test_dst();
    test_dst_edges();
    test_week();
    test_merge();
    test_tz_restored();

    return CC_TEST_DONE();
}
