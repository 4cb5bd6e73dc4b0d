#ifndef CC_ROUTER_RECORD_H
#define CC_ROUTER_RECORD_H

#include "engine.h"

/*
 * The routing record of a decision, as PROTOCOL "Queues and routing"
 * shows it and the library keeps it with the call:
 *     {"at": MS, "router": NAME, "strategy": S, "agent": A | null,
 *      "reason": TEXT, "candidates": [{"agent", "eligible", "why"}]}
 * At most CC_RECORD_MAX bytes: candidates are dropped from the end, the
 * chosen agents last.  "agent" is null unless one agent is offered the
 * call (ring-all: every candidate that rings has why "rings").
 */

#define CC_RECORD_MAX  8192

/* A new compact JSON string to free(), NULL out of memory. */
char *cc_record_json(const cc_decision_t *d, long long at,
    const char *router);

#endif /* CC_ROUTER_RECORD_H */
