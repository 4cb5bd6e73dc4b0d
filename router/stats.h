#ifndef CC_ROUTER_STATS_H
#define CC_ROUTER_STATS_H

#include "redis.h"

/*
 * The router's own figures.  A router has no HTTP port: it adds its counts
 * to its hash in Redis (FCALL cc_router_stats, cc:router:NAME:stats) once
 * a step, and the status page's Prometheus answer reports them.  The
 * counts are those since the last report; the router is single-threaded.
 */

typedef struct {
    long long  offers;      /* calls offered to one agent */
    long long  rings;       /* calls rung at several at once */
    long long  conflicts;   /* decisions refused: the state had changed */
    long long  claims;      /* work entries claimed (XAUTOCLAIM) */
    long long  sweeps;
} cc_stats_t;

extern cc_stats_t  cc_stats;

/*
 * FCALL cc_router_stats with the counts, then zero; nothing is sent when
 * every count is zero unless force (a sweep says the router lives).
 * -1 when the link was lost (the counts wait for the next report).
 */
int cc_stats_report(cc_redis_t *r, const char *router, int force);

#endif /* CC_ROUTER_STATS_H */
