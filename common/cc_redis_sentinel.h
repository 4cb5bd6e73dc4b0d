#ifndef CC_REDIS_SENTINEL_H
#define CC_REDIS_SENTINEL_H

#include <stddef.h>

#include "cc_redis_addr.h"
#include "cc_redis_handshake.h"

/*
 * Finding the master through Redis Sentinel, the same steps for the module
 * (asynchronous) and the router (blocking), as pure code:
 *
 * 1. Ask the current sentinel (cc_redis_sentinel_current) the request
 *    s->ask, SENTINEL get-master-addr-by-name NAME; its answer [ip, port]
 *    goes to cc_redis_sentinel_reply.  A sentinel that cannot be reached,
 *    does not know the master or answers anything else:
 *    cc_redis_sentinel_failed, which moves on to the next one.
 * 2. Connect to s->master with the handshake: in sentinel mode its ROLE
 *    step must answer "master" (a sentinel may lag behind a failover);
 *    else cc_redis_sentinel_failed too.
 * 3. Ready: cc_redis_sentinel_found.  The sentinel that answered is asked
 *    first the next time.
 *
 * When cc_redis_sentinel_failed says a whole round failed, the caller
 * backs off before asking again.  The master's address must be numeric:
 * the module never resolves a name in its event loop.
 */

/* the most backoff between rounds: asking is cheap, and a failover ends
 * when it ends */
#define CC_REDIS_SENTINEL_BACKOFF_MAX  1000     /* ms */

typedef struct {
    const cc_redis_addr_t  *addr;
    int                     current;    /* the sentinel asked next */
    int                     failed;     /* failures in a row */
    cc_redis_endpoint_t     master;     /* the last answer */
    cc_redis_step_t         ask;
} cc_redis_sentinel_t;

/* s points into a: a outlives s */
void cc_redis_sentinel_init(cc_redis_sentinel_t *s, const cc_redis_addr_t *a);

const cc_redis_endpoint_t *cc_redis_sentinel_current(
    const cc_redis_sentinel_t *s);

/*
 * The answer to s->ask: n elements (0 for a nil reply or an error), host
 * and port the first two when they are strings, else NULL.  NULL when it
 * names a master (in s->master), else the reason for the log.
 */
const char *cc_redis_sentinel_reply(cc_redis_sentinel_t *s, size_t n,
    const char *host, size_t hlen, const char *port, size_t plen);

/* the current sentinel or the master it named failed: 1 when a whole
 * round of sentinels has failed (back off), 0 to ask the next at once */
int cc_redis_sentinel_failed(cc_redis_sentinel_t *s);

void cc_redis_sentinel_found(cc_redis_sentinel_t *s);

/*
 * An error reply that means the link is not on a usable master: READONLY
 * (a replica: the master moved), MASTERDOWN (a replica lost its master),
 * LOADING (the data set is not loaded yet), UNBLOCKED (a blocking read cut
 * short: the master turned replica).  The link is dropped as if
 * lost and the master looked for again; the command did nothing.
 */
int cc_redis_reply_relink(const char *str, size_t len);

/*
 * A Redis Cluster redirection, "MOVED SLOT HOST:PORT" or "ASK SLOT
 * HOST:PORT" (the site's slot is on another node): the node into e and
 * CC_REDIS_MOVED or CC_REDIS_ASK; 0 for any other reply, or a HOST that is
 * no IP address (no DNS where none may wait).
 */
#define CC_REDIS_MOVED  1
#define CC_REDIS_ASK    2

int cc_redis_reply_moved(const char *str, size_t len,
    cc_redis_endpoint_t *e);

#endif /* CC_REDIS_SENTINEL_H */
