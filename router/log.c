#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "log.h"

static const char *cc_log_name = "router";

void
cc_log_init(const char *name)
{
    cc_log_name = name;
}

void
cc_log(const char *fmt, ...)
{
    struct timespec  ts;
    struct tm        tm;
    char             stamp[32];
    char             line[1024];
    va_list          ap;

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);

    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);

    /* one fprintf per line: lines of concurrent routers do not interleave */
    fprintf(stderr, "%s.%03ldZ %s %s\n", stamp, ts.tv_nsec / 1000000L,
            cc_log_name, line);
}
