#ifndef CC_REDIS_HANDSHAKE_H
#define CC_REDIS_HANDSHAKE_H

#include <stddef.h>

#include "cc_redis_addr.h"

/*
 * What a new Redis connection sends before anything else, the same for
 * the module (asynchronous, pipelined) and the router (blocking), as a
 * pure description: AUTH when there is a password, ROLE with Sentinel (the
 * server must be the master: never a write to a replica), SELECT when
 * db != 0, FUNCTION LOAD of the library (commands link only: not REPLACE,
 * so that another version's library is never touched; this version's
 * being there already is success).  Each step must succeed, in order.
 */

#define CC_REDIS_LINK_COMMANDS    0
#define CC_REDIS_LINK_SUBSCRIBER  1     /* AUTH only: channels ignore db */

#define CC_REDIS_STEPS_MAX        4

typedef struct {
    const char  *what;                  /* for logs */
    int          argc;
    const char  *argv[3];
    size_t       argvlen[3];
} cc_redis_step_t;

typedef struct {
    cc_redis_step_t  step[CC_REDIS_STEPS_MAX];
    int              n;
    char             db[16];            /* SELECT's argument */
} cc_redis_handshake_t;

/*
 * Waiting between attempts to connect: from CC_REDIS_BACKOFF_MIN, doubled
 * after each failure, up to CC_REDIS_BACKOFF_MAX (with Sentinel at most a
 * second: a failover must be followed fast).
 */
#define CC_REDIS_BACKOFF_MIN   100      /* ms */
#define CC_REDIS_BACKOFF_MAX   5000     /* ms */

/* The wait after one of ms ms: doubled, at most the address's maximum. */
unsigned cc_redis_backoff_next(const cc_redis_addr_t *a, unsigned ms);

/* Fills h (which points into a and itself: not to be copied). */
void cc_redis_handshake(cc_redis_handshake_t *h, const cc_redis_addr_t *a,
    int link);

/* Whether a reply to step s is success; error: an error reply, str its
 * text; for ROLE, whose answer is an array, str is its first element
 * (NULL when it is none). */
int cc_redis_handshake_ok(const cc_redis_step_t *s, int error,
    const char *str, size_t len);

#endif /* CC_REDIS_HANDSHAKE_H */
