#ifndef CC_ROUTER_ROUTE_H
#define CC_ROUTER_ROUTE_H

#include "options.h"
#include "redis.h"

/*
 * Routing steps, each one FCALL or a few into the callcenter library.
 * Every function returns -1 when the connection was lost, 0 otherwise
 * (errors of the functions themselves are logged).  Nothing of Redis is
 * kept from one call to the next: correctness comes from cc_offer and
 * cc_ring being atomic.
 */

#define CC_ROUTE_ROUNDS    8    /* rounds per step */
#define CC_ROUTE_STEPS     16   /* steps in a row others may ask for */
#define CC_ROUTE_EXPIRE    100  /* offers, agents, calls expired per step */
#define CC_ROUTE_STATE_CALLS  128  /* most calls cc_routing_state gives */

/*
 * Ends the waiting calls whose caller left (reason abandoned) or that
 * waited longer than o->max_wait (reason timeout).
 */
int cc_route_expire_calls(cc_redis_t *r, const cc_options_t *o);

/*
 * One routing step over every active queue, under the routing lease (one
 * router steps at a time; one that finds it taken has the holder step
 * again instead, router/lease.h): offers and wrap-ups that are over
 * expire, then up to CC_ROUTE_ROUNDS rounds of cc_routing_state, the
 * engine, and one FCALL per decision (a CONFLICT starts a new round).
 * router: the name in the routing records and the lease.
 */
int cc_route_step(cc_redis_t *r, const cc_options_t *o, const char *router);

#endif /* CC_ROUTER_ROUTE_H */
