#ifndef CC_ROUTER_WORK_H
#define CC_ROUTER_WORK_H

#include "redis.h"

/*
 * The work stream cc:work, read through the consumer group "routers":
 * entries "queue Q" say that something may be routed now (which queue
 * does not matter: a step routes every queue).  An entry is acknowledged
 * once a step ran after it; entries left pending by a router that died
 * are claimed by another one after CC_WORK_CLAIM_IDLE.
 */

#define CC_WORK_COUNT       100
#define CC_WORK_CLAIM_IDLE  5000    /* ms */
#define CC_WORK_ID_MAX      48

typedef struct {
    size_t       nids;
    char         ids[CC_WORK_COUNT * 2][CC_WORK_ID_MAX];
} cc_work_t;

/* Creates the group (and the stream) unless it exists; 0 or -1. */
int cc_work_group(cc_redis_t *r);

/* Reads new entries into w, blocking up to block_ms; 0 or -1. */
int cc_work_read(cc_redis_t *r, const char *consumer, int block_ms,
    cc_work_t *w);

/* Claims into w the entries other consumers left pending; 0 or -1. */
int cc_work_claim(cc_redis_t *r, const char *consumer, cc_work_t *w);

/* Acknowledges and forgets the entries of w; 0 or -1. */
int cc_work_ack(cc_redis_t *r, cc_work_t *w);

#endif /* CC_ROUTER_WORK_H */
