#ifndef CC_ROUTER_QUEUES_H
#define CC_ROUTER_QUEUES_H

#include <stddef.h>

#include "cc_validate.h"

/* A set of distinct, valid queue names to route in one step.  Pure. */

#define CC_QUEUES_MAX  1024

typedef struct {
    size_t  n;
    char    names[CC_QUEUES_MAX][CC_QUEUE_MAX + 1];
} cc_queues_t;

/* 0 added or already there; -1 not a queue name or the set is full. */
int cc_queues_add(cc_queues_t *q, const char *name, size_t len);

#endif /* CC_ROUTER_QUEUES_H */
