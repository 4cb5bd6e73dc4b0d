/* The Redis address grammar and the handshake: fed strings, no server. */

#include <stdio.h>
#include <string.h>

#include "cc_functions.h"
#include "cc_redis_addr.h"
#include "cc_redis_handshake.h"
#include "cc_redis_sentinel.h"
#include "cc_test.h"


#define S(s)  s, strlen(s)

static cc_redis_addr_t  a;


/* an address alone: NULL when it parses */
static const char *
addr(const char *s)
{
    cc_redis_addr_init(&a);
    return cc_redis_addr_parse(&a, S(s));
}

static const char *
param(const char *s)
{
    cc_redis_addr_init(&a);
    return cc_redis_addr_param(&a, S(s));
}

static void
test_forms(void)
{
    char  text[CC_REDIS_ADDR_TEXT_MAX + 1];

    cc_redis_addr_init(&a);
    CC_CHECK(strcmp(a.tcp.host, "127.0.0.1") == 0 && a.tcp.port == 6379);
    CC_CHECK(cc_redis_addr_check(&a) == NULL);

    CC_CHECK(addr("10.0.0.5:6380") == NULL);
    CC_CHECK(strcmp(a.tcp.host, "10.0.0.5") == 0 && a.tcp.port == 6380);
    CC_CHECK(a.unix_path[0] == '\0');
    cc_redis_addr_format(&a, text);
    CC_CHECK(strcmp(text, "10.0.0.5:6380") == 0);

    CC_CHECK(addr("redis-1.example.com") == NULL);
    CC_CHECK(strcmp(a.tcp.host, "redis-1.example.com") == 0
             && a.tcp.port == 6379);

    CC_CHECK(addr("localhost:1") == NULL && a.tcp.port == 1);
    CC_CHECK(addr("h:65535") == NULL && a.tcp.port == 65535);
    CC_CHECK(addr("my_redis") == NULL);

    CC_CHECK(addr("[::1]:7000") == NULL);
    CC_CHECK(strcmp(a.tcp.host, "::1") == 0 && a.tcp.port == 7000);
    cc_redis_addr_format(&a, text);
    CC_CHECK(strcmp(text, "[::1]:7000") == 0);
    CC_CHECK(addr("[fe80::1:2]") == NULL && a.tcp.port == 6379);
    CC_CHECK(addr("[::ffff:10.0.0.1]:1") == NULL);

    CC_CHECK(addr("unix:/run/redis.sock") == NULL);
    CC_CHECK(strcmp(a.unix_path, "/run/redis.sock") == 0);
    cc_redis_addr_format(&a, text);
    CC_CHECK(strcmp(text, "unix:/run/redis.sock") == 0);
    CC_CHECK(addr("unix:/a b") == NULL);

    CC_CHECK(addr(cc_test_repeat('h', 253)) == NULL);
    strcpy(text, "unix:/");
    strcat(text, cc_test_repeat('p', 106));
    CC_CHECK(addr(text) == NULL && strlen(a.unix_path) == 107);
    cc_redis_addr_format(&a, text);
    CC_CHECK(strlen(text) == 5 + 107);
}

static void
test_bad_addresses(void)
{
    char  text[512];

    CC_CHECK(addr("") != NULL);
    CC_CHECK(addr(":6379") != NULL);
    CC_CHECK(addr("h:") != NULL);
    CC_CHECK(addr("h:0") != NULL);
    CC_CHECK(addr("h:65536") != NULL);
    CC_CHECK(addr("h:000001") != NULL);       /* 5 digits at most */
    CC_CHECK(addr("h:63x9") != NULL);
    CC_CHECK(addr("h:+1") != NULL);
    CC_CHECK(addr("h:-1") != NULL);
    CC_CHECK(addr("h: 1") != NULL);
    CC_CHECK(addr("h:1:2") != NULL);
    CC_CHECK(addr("::1") != NULL);            /* IPv6 needs brackets */
    CC_CHECK(addr("::1:6379") != NULL);
    CC_CHECK(addr("-h") != NULL);
    CC_CHECK(addr(".h") != NULL);
    CC_CHECK(addr("h/x") != NULL);
    CC_CHECK(addr("h x") != NULL);
    CC_CHECK(addr("h=1") != NULL);
    CC_CHECK(addr("h\xc3\xa9") != NULL);
    CC_CHECK(addr(cc_test_repeat('h', 254)) != NULL);

    CC_CHECK(addr("[") != NULL);
    CC_CHECK(addr("[]") != NULL);
    CC_CHECK(addr("[]:1") != NULL);
    CC_CHECK(addr("[::1") != NULL);
    CC_CHECK(addr("[1]") != NULL);            /* no ':' */
    CC_CHECK(addr("[::g]") != NULL);
    CC_CHECK(addr("[::1]x") != NULL);
    CC_CHECK(addr("[::1]:") != NULL);
    CC_CHECK(addr("[::1]:0") != NULL);
    CC_CHECK(addr("[::1]]:1") != NULL);
    strcpy(text, "[");
    strcat(text, cc_test_repeat(':', 46));
    strcat(text, "]");
    CC_CHECK(addr(text) != NULL);

    CC_CHECK(addr("unix") != NULL);     /* "unix:6379" once formatted */
    CC_CHECK(addr("unix:") != NULL);
    CC_CHECK(addr("unix:relative") != NULL);
    CC_CHECK(addr("unix:/a\nb") != NULL);
    CC_CHECK(addr("unix:/a\x7f") != NULL);
    strcpy(text, "unix:/");
    strcat(text, cc_test_repeat('p', 107));
    CC_CHECK(addr(text) != NULL);

    /* an embedded NUL is not the end */
    cc_redis_addr_init(&a);
    CC_CHECK(cc_redis_addr_parse(&a, "h\0x", 3) != NULL);
    CC_CHECK(cc_redis_addr_parse(&a, "unix:/a\0b", 9) != NULL);

    /* twice */
    CC_CHECK(addr("h") == NULL);
    CC_CHECK(cc_redis_addr_parse(&a, S("h")) != NULL);
}

static void
test_params(void)
{
    char  text[600];

    CC_CHECK(param("password=s3cret x") == NULL);
    CC_CHECK(strcmp(a.password, "s3cret x") == 0);
    CC_CHECK(param("password=") != NULL);
    CC_CHECK(param("password=a\tb") != NULL);
    CC_CHECK(param("password=a\rb") != NULL);
    strcpy(text, "password=");
    strcat(text, cc_test_repeat('p', 512));
    CC_CHECK(param(text) == NULL && strlen(a.password) == 512);
    strcat(text, "p");
    CC_CHECK(param(text) != NULL);
    CC_CHECK(cc_redis_addr_param(&a, "password=a\0b", 11) != NULL);

    CC_CHECK(param("db=0") == NULL && a.db == 0);
    CC_CHECK(param("db=15") == NULL && a.db == 15);
    CC_CHECK(param("db=1000000") == NULL && a.db == 1000000);
    CC_CHECK(param("db=1000001") != NULL);
    CC_CHECK(param("db=") != NULL);
    CC_CHECK(param("db=-1") != NULL);
    CC_CHECK(param("db=x") != NULL);
    CC_CHECK(param("db=99999999999999999999") != NULL);

    CC_CHECK(param("sentinel=a:1,[::1]:2,b") == NULL);
    CC_CHECK(a.nsentinels == 3);
    CC_CHECK(strcmp(a.sentinels[0].host, "a") == 0
             && a.sentinels[0].port == 1);
    CC_CHECK(strcmp(a.sentinels[1].host, "::1") == 0
             && a.sentinels[1].port == 2);
    CC_CHECK(a.sentinels[2].port == 26379);
    CC_CHECK(param("sentinel=a,b,c,d,e,f,g,h") == NULL && a.nsentinels == 8);
    CC_CHECK(param("sentinel=a,b,c,d,e,f,g,h,i") != NULL);
    CC_CHECK(param("sentinel=") != NULL);
    CC_CHECK(param("sentinel=a,") != NULL);
    CC_CHECK(param("sentinel=,a") != NULL);
    CC_CHECK(param("sentinel=a:0") != NULL);
    CC_CHECK(param("sentinel=unix:/x") != NULL);

    CC_CHECK(param("master=mymaster") == NULL
             && strcmp(a.master, "mymaster") == 0);
    CC_CHECK(param("master=") != NULL);
    CC_CHECK(param("master=a b") != NULL);
    CC_CHECK(param("master=-a") != NULL);
    CC_CHECK(param(strcat(strcpy(text, "master="), cc_test_repeat('m', 65))) != NULL);

    CC_CHECK(param("replicas=0") == NULL && a.replicas == 0);
    CC_CHECK(param("replicas=64") == NULL && a.replicas == 64);
    CC_CHECK(param("replicas=65") != NULL);
    CC_CHECK(param("replicas=x") != NULL);

    CC_CHECK(param("bogus=1") != NULL);
    CC_CHECK(param("=1") != NULL);
    CC_CHECK(param("password") != NULL);
    CC_CHECK(param("passwordpassword=1") != NULL);
    CC_CHECK(param("Password=1") != NULL);

    /* twice, even with the same value */
    CC_CHECK(param("db=1") == NULL);
    CC_CHECK(cc_redis_addr_param(&a, S("db=1")) != NULL);
    CC_CHECK(param("password=a") == NULL);
    CC_CHECK(cc_redis_addr_param(&a, S("password=b")) != NULL);
    CC_CHECK(strcmp(a.password, "a") == 0);
}

static void
test_check(void)
{
    cc_redis_addr_init(&a);
    CC_CHECK(cc_redis_addr_parse(&a, S("h:1")) == NULL);
    CC_CHECK(cc_redis_addr_param(&a, S("password=p")) == NULL);
    CC_CHECK(cc_redis_addr_param(&a, S("db=2")) == NULL);
    CC_CHECK(cc_redis_addr_param(&a, S("replicas=0")) == NULL);
    CC_CHECK(cc_redis_addr_check(&a) == NULL);

    CC_CHECK(cc_redis_addr_param(&a, S("sentinel=s")) == NULL);
    CC_CHECK(cc_redis_addr_check(&a) != NULL);      /* with an address */

    cc_redis_addr_init(&a);
    CC_CHECK(cc_redis_addr_param(&a, S("sentinel=s")) == NULL);
    CC_CHECK(strstr(cc_redis_addr_check(&a), "go together") != NULL);
    CC_CHECK(cc_redis_addr_param(&a, S("master=m")) == NULL);
    CC_CHECK(cc_redis_addr_param(&a, S("replicas=1")) == NULL);
    CC_CHECK(cc_redis_addr_check(&a) == NULL);

    cc_redis_addr_init(&a);
    CC_CHECK(cc_redis_addr_param(&a, S("master=m")) == NULL);
    CC_CHECK(strstr(cc_redis_addr_check(&a), "go together") != NULL);

    cc_redis_addr_init(&a);
    CC_CHECK(cc_redis_addr_param(&a, S("replicas=1")) == NULL);
    CC_CHECK(cc_redis_addr_check(&a) == NULL);
}

static void
test_handshake(void)
{
    cc_redis_handshake_t  h;

    /* nothing to log in: the library only */
    cc_redis_addr_init(&a);
    cc_redis_handshake(&h, &a, CC_REDIS_LINK_COMMANDS);
    CC_CHECK(h.n == 1);
    CC_CHECK(h.step[0].argc == 3);
    CC_CHECK(strcmp(h.step[0].argv[0], "FUNCTION") == 0);
    CC_CHECK(strcmp(h.step[0].argv[1], "LOAD") == 0);  /* not REPLACE */
    CC_CHECK(h.step[0].argv[2] == cc_functions_lua);
    CC_CHECK(h.step[0].argvlen[2] == strlen(cc_functions_lua));

    cc_redis_handshake(&h, &a, CC_REDIS_LINK_SUBSCRIBER);
    CC_CHECK(h.n == 0);

    CC_CHECK(cc_redis_addr_param(&a, S("password=pw")) == NULL);
    CC_CHECK(cc_redis_addr_param(&a, S("db=12")) == NULL);
    cc_redis_handshake(&h, &a, CC_REDIS_LINK_COMMANDS);
    CC_CHECK(h.n == 3);
    CC_CHECK(h.step[0].argc == 2 && strcmp(h.step[0].argv[0], "AUTH") == 0);
    CC_CHECK(strcmp(h.step[0].argv[1], "pw") == 0
             && h.step[0].argvlen[1] == 2);
    CC_CHECK(h.step[1].argc == 2
             && strcmp(h.step[1].argv[0], "SELECT") == 0);
    CC_CHECK(strcmp(h.step[1].argv[1], "12") == 0
             && h.step[1].argvlen[1] == 2);
    CC_CHECK(strcmp(h.step[2].what, "FUNCTION LOAD") == 0);

    cc_redis_handshake(&h, &a, CC_REDIS_LINK_SUBSCRIBER);
    CC_CHECK(h.n == 1 && strcmp(h.step[0].argv[0], "AUTH") == 0);

    /* replies: errors fail, but for this very library being there */
    cc_redis_handshake(&h, &a, CC_REDIS_LINK_COMMANDS);
    CC_CHECK(cc_redis_handshake_ok(&h.step[0], 0, S("OK")));
    CC_CHECK(!cc_redis_handshake_ok(&h.step[0], 1,
                                    S("WRONGPASS invalid password")));
    CC_CHECK(!cc_redis_handshake_ok(&h.step[0], 1, S("already exists")));
    CC_CHECK(!cc_redis_handshake_ok(&h.step[1], 1,
                                    S("ERR DB index is out of range")));
    CC_CHECK(cc_redis_handshake_ok(&h.step[2], 0, S(CC_FUNCTIONS_LIBRARY)));
    CC_CHECK(cc_redis_handshake_ok(&h.step[2], 1,
                 S("ERR Library '" CC_FUNCTIONS_LIBRARY "' already exists")));
    CC_CHECK(!cc_redis_handshake_ok(&h.step[2], 1,
                                    S("ERR Error compiling function")));
    CC_CHECK(!cc_redis_handshake_ok(&h.step[2], 1, S("already exist")));
}

static void
test_names(void)
{
    size_t  i;

    /* Redis function names: [A-Za-z0-9_] */
    CC_CHECK(strlen(CC_FUNCTIONS_VERSION) == 12);
    for (i = 0; CC_FUNCTIONS_VERSION[i] != '\0'; i++) {
        CC_CHECK((CC_FUNCTIONS_VERSION[i] >= '0'
                  && CC_FUNCTIONS_VERSION[i] <= '9')
                 || (CC_FUNCTIONS_VERSION[i] >= 'a'
                     && CC_FUNCTIONS_VERSION[i] <= 'f'));
    }

    CC_CHECK(strcmp(CC_FN("cc_offer"), "cc_offer_" CC_FUNCTIONS_VERSION)
             == 0);
    CC_CHECK(strncmp(cc_functions_lua,
                     "#!lua name=" CC_FUNCTIONS_LIBRARY "\n",
                     strlen("#!lua name=" CC_FUNCTIONS_LIBRARY "\n"))
             == 0);
    CC_CHECK(strstr(cc_functions_lua,
                    "local CC_VERSION = '" CC_FUNCTIONS_VERSION "'")
             != NULL);
}

/* doubled from the first wait, up to the plain or the Sentinel maximum */
static void
test_backoff(void)
{
    unsigned          ms, n;
    cc_redis_addr_t   plain, sentinel;
    const char       *sentinels = "127.0.0.1:26379";

    cc_redis_addr_init(&plain);
    CC_CHECK(cc_redis_addr_parse(&plain, "127.0.0.1:6379", 14) == NULL);
    cc_redis_addr_init(&sentinel);
    CC_CHECK(cc_redis_addr_set(&sentinel, "sentinel", sentinels,
                               strlen(sentinels)) == NULL);

    CC_CHECK(cc_redis_backoff_next(&plain, CC_REDIS_BACKOFF_MIN)
             == 2 * CC_REDIS_BACKOFF_MIN);

    for (ms = CC_REDIS_BACKOFF_MIN, n = 0; n < 20; n++) {
        ms = cc_redis_backoff_next(&plain, ms);
    }
    CC_CHECK(ms == CC_REDIS_BACKOFF_MAX);

    for (ms = CC_REDIS_BACKOFF_MIN, n = 0; n < 20; n++) {
        ms = cc_redis_backoff_next(&sentinel, ms);
    }
    CC_CHECK(ms == CC_REDIS_SENTINEL_BACKOFF_MAX);
}

int
main(void)
{
    test_backoff();
    test_forms();
    test_bad_addresses();
    test_params();
    test_check();
    test_handshake();
    test_names();
    return CC_TEST_DONE();
}
