/*
 * libFuzzer harness for cc_redis_addr: the address and NAME=VALUE grammar
 * of `callcenter_redis` and the router's --redis.  The first byte picks
 * the entry point.  Besides the sanitizers' checks: an accepted address
 * formats to text that parses back to the same address, and every part
 * set stays within its grammar's bounds.
 */

#include <string.h>

#include "cc_fuzz.h"
#include "cc_redis_addr.h"

static int
cc_fuzz_endpoint_eq(const cc_redis_endpoint_t *a, const cc_redis_endpoint_t *b)
{
    return strcmp(a->host, b->host) == 0 && a->port == b->port;
}

static void
cc_fuzz_endpoint_bounded(const cc_redis_endpoint_t *e)
{
    size_t  n;

    n = strlen(e->host);
    CC_FUZZ_CHECK(n >= 1 && n <= CC_REDIS_HOST_MAX);
    CC_FUZZ_CHECK(e->port >= 1 && e->port <= 65535);
}

/* what _format writes parses back to the same address */
static void
cc_fuzz_reformat(const cc_redis_addr_t *a)
{
    char             text[CC_REDIS_ADDR_TEXT_MAX + 1];
    size_t           n;
    cc_redis_addr_t  again;

    cc_redis_addr_format(a, text);
    n = strlen(text);
    CC_FUZZ_CHECK(n <= CC_REDIS_ADDR_TEXT_MAX);

    cc_redis_addr_init(&again);
    CC_FUZZ_CHECK(cc_redis_addr_parse(&again, text, n) == NULL);
    CC_FUZZ_CHECK(strcmp(again.unix_path, a->unix_path) == 0);

    if (a->unix_path[0] == '\0') {
        CC_FUZZ_CHECK(cc_fuzz_endpoint_eq(&again.tcp, &a->tcp));
    }
}

static void
cc_fuzz_address(const char *s, size_t len)
{
    cc_redis_addr_t  a;

    cc_redis_addr_init(&a);

    if (cc_redis_addr_parse(&a, s, len) != NULL) {
        CC_FUZZ_CHECK(!(a.given & CC_REDIS_GIVEN_ADDRESS));
        return;
    }

    CC_FUZZ_CHECK(a.given == CC_REDIS_GIVEN_ADDRESS);

    if (a.unix_path[0] != '\0') {
        CC_FUZZ_CHECK(a.unix_path[0] == '/'
                      && strlen(a.unix_path) <= CC_REDIS_PATH_MAX);

    } else {
        cc_fuzz_endpoint_bounded(&a.tcp);
    }

    cc_fuzz_reformat(&a);

    /* one address only */
    CC_FUZZ_CHECK(cc_redis_addr_parse(&a, s, len) != NULL);
    CC_FUZZ_CHECK(cc_redis_addr_check(&a) == NULL);
}

/*
 * A whole directive: words split at spaces, the first the address unless
 * it has a '=', the others NAME=VALUE; each part accepted is bounded and
 * a second one of it refused.
 */
static void
cc_fuzz_directive(const char *s, size_t len)
{
    int              i;
    unsigned         given;
    const char      *end, *word, *sp;
    cc_redis_addr_t  a;

    cc_redis_addr_init(&a);
    end = s + len;

    for (word = s; word <= end; word = sp + 1) {
        sp = memchr(word, ' ', (size_t) (end - word));
        if (sp == NULL) {
            sp = end;
        }

        given = a.given;

        if (word == s && memchr(word, '=', (size_t) (sp - word)) == NULL) {
            if (cc_redis_addr_parse(&a, word, (size_t) (sp - word)) == NULL) {
                cc_fuzz_reformat(&a);
            }

        } else if (cc_redis_addr_param(&a, word, (size_t) (sp - word))
                   == NULL)
        {
            CC_FUZZ_CHECK(a.given != given);
            given = a.given;
            CC_FUZZ_CHECK(cc_redis_addr_param(&a, word, (size_t) (sp - word))
                          != NULL);
            CC_FUZZ_CHECK(a.given == given);
        }

        if (sp == end) {
            break;
        }
    }

    CC_FUZZ_CHECK(strlen(a.password) <= CC_REDIS_PASSWORD_MAX);
    CC_FUZZ_CHECK(strlen(a.master) <= CC_REDIS_MASTER_MAX);
    CC_FUZZ_CHECK(a.db >= 0 && a.db <= CC_REDIS_DB_MAX);
    CC_FUZZ_CHECK(a.replicas >= 0 && a.replicas <= CC_REDIS_REPLICAS_MAX);
    CC_FUZZ_CHECK(a.nsentinels >= 0
                  && a.nsentinels <= CC_REDIS_SENTINELS_MAX);

    if (a.given & CC_REDIS_GIVEN_SENTINEL) {
        CC_FUZZ_CHECK(a.nsentinels >= 1);

        for (i = 0; i < a.nsentinels; i++) {
            cc_fuzz_endpoint_bounded(&a.sentinels[i]);
        }
    }

    /* sentinel= and master= go together, and exclude an address */
    if (a.given & (CC_REDIS_GIVEN_SENTINEL | CC_REDIS_GIVEN_MASTER)) {
        CC_FUZZ_CHECK((cc_redis_addr_check(&a) == NULL)
                      == ((a.given & CC_REDIS_GIVEN_SENTINEL)
                          && (a.given & CC_REDIS_GIVEN_MASTER)
                          && !(a.given & CC_REDIS_GIVEN_ADDRESS)));
    }
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    static const cc_fuzz_entry_pt  entries[] = {
        cc_fuzz_address, cc_fuzz_directive
    };

    return cc_fuzz_dispatch(entries, sizeof(entries) / sizeof(entries[0]),
                            data, size);
}
