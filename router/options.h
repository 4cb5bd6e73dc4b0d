#ifndef CC_ROUTER_OPTIONS_H
#define CC_ROUTER_OPTIONS_H

#include <stddef.h>

#include "cc_redis_addr.h"
#include "strategy.h"

#define CC_CONSUMER_MAX    64

#define CC_OPTIONS_OK      0
#define CC_OPTIONS_HELP    1
#define CC_OPTIONS_ERROR   (-1)

/* Strings point into argv, except redis (--redis, --password, --db). */
typedef struct {
    const char                *agents;       /* NULL: load no profiles */
    const char                *queues;       /* NULL: defaults only */
    cc_redis_addr_t            redis;
    int                        offer_timeout; /* seconds */
    int                        max_wait;     /* seconds, 0: no limit */
    int                        message_wait; /* seconds, a left message */
    int                        tick_ms;
    const char                *name;         /* NULL: hostname-pid */
    const char                *site;         /* NULL: no site (cc_keys.h) */
    const char                *strategy_name; /* of queues by default */
    /* the engine's for strategy_name if it has one, else its default */
    const cc_strategy_t       *strategy;
} cc_options_t;

extern const char cc_options_usage[];

/*
 * Parses argv (argv[0] is the program) into opts, with defaults for what
 * is not given.  CC_OPTIONS_HELP for --help; CC_OPTIONS_ERROR with a
 * message in err.  Pure: no I/O.
 */
int cc_options_parse(cc_options_t *opts, int argc, char **argv,
    char *err, size_t err_size);

#endif /* CC_ROUTER_OPTIONS_H */
