#ifndef CC_ROUTER_ROUTE_H
#define CC_ROUTER_ROUTE_H

#include "options.h"
#include "queues.h"
#include "redis.h"

/*
 * Routing steps, each one FCALL or a few into the callcenter library.
 * Every function returns -1 when the connection was lost, 0 otherwise
 * (errors of the functions themselves are logged).  Nothing is kept from
 * one call to the next: correctness comes from cc_offer being atomic.
 */

#define CC_ROUTE_CALLS     50   /* calls read per round */
#define CC_ROUTE_ROUNDS    8    /* rounds per queue and step */
#define CC_ROUTE_EXPIRE    100  /* offers expired per step */

/* Withdraws offers that are over; adds the queues touched to q. */
int cc_route_expire(cc_redis_t *r, cc_queues_t *q);

/*
 * Ends the waiting calls whose caller left (reason abandoned) or that
 * waited longer than o->max_wait (reason timeout).
 */
int cc_route_expire_calls(cc_redis_t *r, const cc_options_t *o);

/* Adds the queues with waiting calls to q. */
int cc_route_active(cc_redis_t *r, cc_queues_t *q);

/* Offers the waiting calls of one queue to its agents. */
int cc_route_queue(cc_redis_t *r, const cc_options_t *o, const char *queue);

#endif /* CC_ROUTER_ROUTE_H */
