#ifndef CC_REDIS_ADDR_H
#define CC_REDIS_ADDR_H

#include <stddef.h>

/*
 * Where Redis is and how to log in: one grammar for the module's
 * `callcenter_redis ADDRESS [NAME=VALUE ...]` and the router's --redis
 * ADDRESS --password P --db N.  Pure functions: no I/O, no resolving.
 *
 *     ADDRESS    host[:port] | [ipv6][:port] | unix:/path   (port 6379)
 *     host       [A-Za-z0-9_.-]{1,253}, starting with a letter or digit,
 *                not "unix" (it would read as the socket prefix)
 *     ipv6       [0-9A-Fa-f:.]{2,45}, with at least one ':'
 *     port       [0-9]{1,5}, 1..65535
 *     /path      1..107 bytes (sun_path), no control character
 *     password=  1..512 bytes, no control character
 *     db=        0..CC_REDIS_DB_MAX
 *
 * Redis Sentinel instead of an ADDRESS: sentinel=ENDPOINT,... (1..8, port
 * 26379 unless given) and master=[A-Za-z0-9_.-]{1,64}, the master's name
 * (cc_redis_sentinel.h).  replicas=0..64: the writes answered to clients
 * wait for that many replicas (the module's WAIT).
 *
 * The functions return NULL on success, else a reason for the
 * configuration error message.  A parameter given twice is an error.
 */

#define CC_REDIS_HOST_MAX       253
#define CC_REDIS_PATH_MAX       107
#define CC_REDIS_PASSWORD_MAX   512
#define CC_REDIS_MASTER_MAX     64
#define CC_REDIS_SENTINELS_MAX  8
#define CC_REDIS_DB_MAX         1000000
#define CC_REDIS_REPLICAS_MAX   64
#define CC_REDIS_PORT           6379
#define CC_REDIS_SENTINEL_PORT  26379

/* "unix:" CC_REDIS_PATH_MAX, or "[" ipv6 "]:" port: what _format writes */
#define CC_REDIS_ADDR_TEXT_MAX  (CC_REDIS_HOST_MAX + 16)

typedef struct {
    char         host[CC_REDIS_HOST_MAX + 1];   /* no brackets */
    int          port;
} cc_redis_endpoint_t;

typedef struct {
    cc_redis_endpoint_t  tcp;                   /* unless unix_path[0] */
    char                 unix_path[CC_REDIS_PATH_MAX + 1];
    cc_redis_endpoint_t  sentinels[CC_REDIS_SENTINELS_MAX];
    int                  nsentinels;
    char                 master[CC_REDIS_MASTER_MAX + 1];
    char                 password[CC_REDIS_PASSWORD_MAX + 1]; /* "": none */
    int                  db;
    int                  replicas;
    unsigned             given;                 /* CC_REDIS_GIVEN_* */
} cc_redis_addr_t;

#define CC_REDIS_GIVEN_ADDRESS   0x01
#define CC_REDIS_GIVEN_PASSWORD  0x02
#define CC_REDIS_GIVEN_DB        0x04
#define CC_REDIS_GIVEN_SENTINEL  0x08
#define CC_REDIS_GIVEN_MASTER    0x10
#define CC_REDIS_GIVEN_REPLICAS  0x20

/* 127.0.0.1:6379, no password, db 0, nothing given */
void cc_redis_addr_init(cc_redis_addr_t *a);

/* ADDRESS */
const char *cc_redis_addr_parse(cc_redis_addr_t *a, const char *s,
    size_t len);

/* one parameter: name "password", "db", "sentinel", "master", "replicas" */
const char *cc_redis_addr_set(cc_redis_addr_t *a, const char *name,
    const char *value, size_t len);

/* one NAME=VALUE word */
const char *cc_redis_addr_param(cc_redis_addr_t *a, const char *s,
    size_t len);

/* port [0-9]{1,5}, 1..65535: 0, else -1 */
int cc_redis_addr_port(const char *s, size_t len, int *port);

/* after every part: whether they go together */
const char *cc_redis_addr_check(const cc_redis_addr_t *a);

/* "unix:/path", "host:port", "[ipv6]:port" or "master NAME
 * sentinel=host:port,...", for logs; out holds CC_REDIS_ADDR_TEXT_MAX + 1
 * bytes (a long list of sentinels is cut) */
void cc_redis_addr_format(const cc_redis_addr_t *a, char *out);

#endif /* CC_REDIS_ADDR_H */
