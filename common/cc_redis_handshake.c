#include "cc_redis_handshake.h"

#include <stdio.h>
#include <string.h>

#include "cc_functions.h"
#include "cc_redis_sentinel.h"

static void
cc_redis_step(cc_redis_handshake_t *h, const char *what, int argc,
    const char *arg0, const char *arg1, const char *arg2)
{
    int               i;
    cc_redis_step_t  *s;

    s = &h->step[h->n++];
    s->what = what;
    s->argc = argc;
    s->argv[0] = arg0;
    s->argv[1] = arg1;
    s->argv[2] = arg2;

    for (i = 0; i < argc; i++) {
        s->argvlen[i] = strlen(s->argv[i]);
    }
}

void
cc_redis_handshake(cc_redis_handshake_t *h, const cc_redis_addr_t *a,
    int link)
{
    h->n = 0;

    if (a->password[0] != '\0') {
        cc_redis_step(h, "AUTH", 2, "AUTH", a->password, NULL);
    }

    if (a->given & CC_REDIS_GIVEN_SENTINEL) {
        cc_redis_step(h, "ROLE", 1, "ROLE", NULL, NULL);
    }

    if (link == CC_REDIS_LINK_SUBSCRIBER) {
        return;
    }

    if (a->db != 0) {
        snprintf(h->db, sizeof(h->db), "%d", a->db);
        cc_redis_step(h, "SELECT", 2, "SELECT", h->db, NULL);
    }

    cc_redis_step(h, "FUNCTION LOAD", 3, "FUNCTION", "LOAD",
                  cc_functions_lua);
}

int
cc_redis_handshake_ok(const cc_redis_step_t *s, int error, const char *str,
    size_t len)
{
    static const char  exists[] = "already exists";
    size_t             n, i;

    if (strcmp(s->argv[0], "ROLE") == 0) {
        return !error && str != NULL && len == 6
               && memcmp(str, "master", 6) == 0;
    }

    if (!error) {
        return 1;
    }

    /* "ERR Library 'callcenter_V' already exists": same name, same text */
    if (s->argc != 3 || strcmp(s->argv[0], "FUNCTION") != 0) {
        return 0;
    }

    n = sizeof(exists) - 1;
    for (i = 0; i + n <= len; i++) {
        if (memcmp(str + i, exists, n) == 0) {
            return 1;
        }
    }

    return 0;
}

unsigned
cc_redis_backoff_next(const cc_redis_addr_t *a, unsigned ms)
{
    unsigned  max;

    max = (a->given & CC_REDIS_GIVEN_SENTINEL) ? CC_REDIS_SENTINEL_BACKOFF_MAX
                                                : CC_REDIS_BACKOFF_MAX;

    return ms >= max / 2 ? max : ms * 2;
}
