#ifndef CC_ROUTER_REDIS_H
#define CC_ROUTER_REDIS_H

#include <hiredis/hiredis.h>

#include "cc_functions.h"       /* CC_FN: the name every FCALL uses */
#include "cc_keys.h"
#include "cc_redis_sentinel.h"
#include "options.h"

/*
 * The router's one Redis connection (hiredis, synchronous).  Connecting
 * means the handshake of common/cc_redis_handshake.h (AUTH, SELECT,
 * FUNCTION LOAD of this version's library).  A host name is resolved at
 * the first connect that succeeds in it, and every connect goes to that
 * numeric address.
 * With --sentinel, connecting asks the sentinels in turn (a short timeout
 * each) for the master, whose ROLE must be master (cc_redis_sentinel.h).
 * A command that fails at the connection level, or answers READONLY,
 * MASTERDOWN, LOADING or UNBLOCKED (cc_redis_reply_relink), drops the
 * connection; the caller reconnects
 * (asking the sentinels again) with cc_redis_connect after
 * cc_redis_backoff.  An outage is logged once, when it starts, and its end
 * once.
 */


typedef struct {
    const cc_options_t  *opts;
    cc_redis_addr_t      addr;         /* opts->redis, host numeric once
                                        * resolved */
    int                  resolved;
    unsigned             sentinels_resolved;   /* bit i: sentinels[i] */
    cc_redis_sentinel_t  sentinel;     /* with --sentinel */
    char                 master[CC_REDIS_ADDR_TEXT_MAX + 1];  /* logged */
    redisContext        *ctx;          /* NULL: not connected */
    int                  backoff_ms;
    int                  down;         /* the outage was logged */
    char                 site_key[CC_SITE_KEY_MAX + 1]; /* every FCALL's */
    char                 work_key[CC_SITE_KEY_MAX + sizeof(CC_KEY_WORK)];
} cc_redis_t;

void cc_redis_init(cc_redis_t *r, const cc_options_t *opts);

/* 0 when connected and ready, -1 (logged) otherwise: back off. */
int cc_redis_connect(cc_redis_t *r);

/*
 * Sleeps the current backoff (a signal cuts it short) and doubles it; any
 * reply that is not an error resets it.
 */
void cc_redis_backoff(cc_redis_t *r);

/*
 * Runs one command.  NULL when the connection failed (it is dropped);
 * otherwise a reply to freeReplyObject, possibly an error reply.
 * "FCALL NAME 0 ARGS..." goes as "FCALL NAME 1 SITE_KEY ARGS...": every
 * FCALL declares the site's anchor key, so that it names its Cluster slot.
 * A MOVED or ASK reply (Redis Cluster: the site's slot is on another node)
 * moves the connection to that node (a numeric address, no DNS) and runs
 * the command once more there; with one site per router every command
 * goes to that one node from then on.
 */
redisReply *cc_redis_command(cc_redis_t *r, int argc, const char **argv);

void cc_redis_close(cc_redis_t *r);

#endif /* CC_ROUTER_REDIS_H */
