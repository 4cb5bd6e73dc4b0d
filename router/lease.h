#ifndef CC_ROUTER_LEASE_H
#define CC_ROUTER_LEASE_H

#include "redis.h"

/*
 * The routing lease (common/lua/lease.lua): one router steps at a time,
 * and a router that finds the lease taken has the holder step once more.
 */

#define CC_LEASE_TTL_MS  2000

/* 1 taken, 0 another router holds it (it will step again), -1 link lost. */
int cc_lease_take(cc_redis_t *r, const char *name);

/* 1 another router asked for a step meanwhile, 0 not, -1 link lost. */
int cc_lease_release(cc_redis_t *r, const char *name);

#endif /* CC_ROUTER_LEASE_H */
