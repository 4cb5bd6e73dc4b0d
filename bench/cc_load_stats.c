/*
 * cc-load's figures: latency percentiles (nearest rank) and the one-line
 * JSON report.
 */

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>

#include "cc_load.h"


uint64_t
cc_load_percentile(const uint64_t *v, size_t n, double p)
{
    double  rank;
    size_t  k;

    if (n == 0) {
        return 0;
    }

    /* the smallest value with at least p% of them at or below it */
    rank = ceil(p / 100.0 * (double) n);
    k = rank < 1.0 ? 1 : (size_t) rank;
    if (k > n) {
        k = n;
    }

    return v[k - 1];
}


static int
cc_load_u64_cmp(const void *a, const void *b)
{
    uint64_t  x, y;

    x = *(const uint64_t *) a;
    y = *(const uint64_t *) b;

    return x < y ? -1 : x > y;
}


void
cc_load_latencies(cc_load_report_t *r, uint64_t *v, size_t n)
{
    qsort(v, n, sizeof(uint64_t), cc_load_u64_cmp);

    r->p50_ms = (double) cc_load_percentile(v, n, 50) / 1e6;
    r->p90_ms = (double) cc_load_percentile(v, n, 90) / 1e6;
    r->p99_ms = (double) cc_load_percentile(v, n, 99) / 1e6;
    r->max_ms = n ? (double) v[n - 1] / 1e6 : 0;
}


void
cc_load_report_print(FILE *f, const cc_load_report_t *r)
{
    int       first;
    unsigned  code;
    double    rate;

    rate = r->publish_seconds > 0
           ? (double) r->accepted / r->publish_seconds : 0;

    fprintf(f, "{\"streams\": %" PRIu64 ", \"opened\": %" PRIu64
            ", \"failed\": %" PRIu64 ", \"published\": %" PRIu64
            ", \"accepted\": %" PRIu64 ", \"rejected\": %" PRIu64
            ", \"expected\": %" PRIu64 ", \"delivered\": %" PRIu64
            ", \"lost\": %" PRIu64 ", \"duplicated\": %" PRIu64
            ", \"publish_seconds\": %.6f, \"accepted_per_second\": %.1f"
            ", \"p50_ms\": %.3f, \"p90_ms\": %.3f, \"p99_ms\": %.3f"
            ", \"max_ms\": %.3f, \"status_codes\": {",
            r->streams, r->opened, r->failed, r->published, r->accepted,
            r->rejected, r->expected, r->delivered, r->lost, r->duplicated,
            r->publish_seconds, rate, r->p50_ms, r->p90_ms, r->p99_ms,
            r->max_ms);

    first = 1;
    for (code = 0; code < CC_LOAD_STATUS_MAX; code++) {
        if (r->status_codes[code]) {
            fprintf(f, "%s\"%u\": %" PRIu64, first ? "" : ", ", code,
                    r->status_codes[code]);
            first = 0;
        }
    }

    fprintf(f, "}, \"publish_failed\": %" PRIu64 ", \"unexpected\": %" PRIu64
            ", \"reconnected\": %" PRIu64 ", \"closed\": %" PRIu64
            ", \"events\": %" PRIu64 ", \"open_seconds\": %.6f"
            ", \"cpu_seconds\": %.3f}\n",
            r->publish_failed, r->unexpected, r->reconnected, r->closed,
            r->events, r->open_seconds, r->cpu_seconds);
}
