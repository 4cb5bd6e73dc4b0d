/* Sentinel discovery and the ROLE step: fed strings, no server. */

#include <stdio.h>
#include <string.h>

#include "cc_redis_addr.h"
#include "cc_redis_handshake.h"
#include "cc_redis_sentinel.h"
#include "cc_test.h"


#define S(s)  s, strlen(s)

static cc_redis_addr_t      a;
static cc_redis_sentinel_t  s;


static void
setup(const char *sentinels, const char *more)
{
    char  param[2300];

    cc_redis_addr_init(&a);
    snprintf(param, sizeof(param), "sentinel=%s", sentinels);
    CC_CHECK(cc_redis_addr_param(&a, S(param)) == NULL);
    CC_CHECK(cc_redis_addr_param(&a, S("master=mymaster")) == NULL);
    if (more != NULL) {
        CC_CHECK(cc_redis_addr_param(&a, S(more)) == NULL);
    }
    CC_CHECK(cc_redis_addr_check(&a) == NULL);

    cc_redis_sentinel_init(&s, &a);
}

static void
test_ask(void)
{
    setup("10.0.0.1:26380", NULL);

    CC_CHECK(s.ask.argc == 3);
    CC_CHECK(strcmp(s.ask.argv[0], "SENTINEL") == 0);
    CC_CHECK(strcmp(s.ask.argv[1], "get-master-addr-by-name") == 0);
    CC_CHECK(strcmp(s.ask.argv[2], "mymaster") == 0
             && s.ask.argvlen[2] == 8);
    CC_CHECK(strcmp(cc_redis_sentinel_current(&s)->host, "10.0.0.1") == 0);
    CC_CHECK(cc_redis_sentinel_current(&s)->port == 26380);
}

static void
test_format(void)
{
    char  text[CC_REDIS_ADDR_TEXT_MAX + 1];
    char  many[2200];
    int   i;

    setup("10.0.0.1:26380,[::1],b", NULL);
    cc_redis_addr_format(&a, text);
    CC_CHECK(strcmp(text, "master mymaster sentinel=10.0.0.1:26380,"
                    "[::1]:26379,b:26379") == 0);

    /* cut, not overrun */
    strcpy(many, "");
    for (i = 0; i < 8; i++) {
        strcat(many, i ? "," : "");
        strcat(many, cc_test_repeat('h', 250));
    }
    setup(many, NULL);
    cc_redis_addr_format(&a, text);
    CC_CHECK(strlen(text) == CC_REDIS_ADDR_TEXT_MAX);
}

static void
test_moved(void)
{
    cc_redis_endpoint_t  e;

    CC_CHECK(cc_redis_reply_moved(S("MOVED 3999 127.0.0.1:7002"), &e)
             == CC_REDIS_MOVED);
    CC_CHECK(strcmp(e.host, "127.0.0.1") == 0 && e.port == 7002);
    CC_CHECK(cc_redis_reply_moved(S("ASK 1 ::1:6380"), &e) == CC_REDIS_ASK);
    CC_CHECK(strcmp(e.host, "::1") == 0 && e.port == 6380);

    /* no DNS, no junk, nothing else */
    CC_CHECK(cc_redis_reply_moved(S("MOVED 1 redis.example:6379"), &e) == 0);
    CC_CHECK(cc_redis_reply_moved(S("MOVED 1 127.0.0.1:0"), &e) == 0);
    CC_CHECK(cc_redis_reply_moved(S("MOVED 1 127.0.0.1:"), &e) == 0);
    CC_CHECK(cc_redis_reply_moved(S("MOVED 1 127.0.0.1"), &e) == 0);
    CC_CHECK(cc_redis_reply_moved(S("MOVED 1"), &e) == 0);
    CC_CHECK(cc_redis_reply_moved(S("MOVED "), &e) == 0);
    CC_CHECK(cc_redis_reply_moved(S(":1"), &e) == 0);
    CC_CHECK(cc_redis_reply_moved(S("READONLY You can't write"), &e) == 0);
}

static void
test_reply(void)
{
    setup("a,b", NULL);

    CC_CHECK(cc_redis_sentinel_reply(&s, 2, S("127.0.0.1"), S("6380"))
             == NULL);
    CC_CHECK(strcmp(s.master.host, "127.0.0.1") == 0
             && s.master.port == 6380);
    CC_CHECK(cc_redis_sentinel_reply(&s, 2, S("::1"), S("1")) == NULL);
    CC_CHECK(strcmp(s.master.host, "::1") == 0 && s.master.port == 1);
    CC_CHECK(cc_redis_sentinel_reply(&s, 2, S("fe80::1:2"), S("65535"))
             == NULL);

    /* nil: unknown master */
    CC_CHECK(strstr(cc_redis_sentinel_reply(&s, 0, NULL, 0, NULL, 0),
                    "does not know") != NULL);
    CC_CHECK(cc_redis_sentinel_reply(&s, 1, S("127.0.0.1"), NULL, 0)
             != NULL);
    CC_CHECK(cc_redis_sentinel_reply(&s, 3, S("127.0.0.1"), S("1"))
             != NULL);
    CC_CHECK(cc_redis_sentinel_reply(&s, 2, NULL, 0, S("1")) != NULL);

    /* names are not resolved; junk is refused, the last master kept */
    CC_CHECK(cc_redis_sentinel_reply(&s, 2, S("redis.example"), S("1"))
             != NULL);
    CC_CHECK(cc_redis_sentinel_reply(&s, 2, S(""), S("1")) != NULL);
    CC_CHECK(cc_redis_sentinel_reply(&s, 2, S("1.2.3.4 "), S("1")) != NULL);
    CC_CHECK(cc_redis_sentinel_reply(&s, 2, "1.2.3.4\0x", 9, S("1"))
             != NULL);
    CC_CHECK(cc_redis_sentinel_reply(&s, 2, S(cc_test_repeat('1', 300)),
                                     S("1"))
             != NULL);
    CC_CHECK(cc_redis_sentinel_reply(&s, 2, S("1.2.3.4"), S("0")) != NULL);
    CC_CHECK(cc_redis_sentinel_reply(&s, 2, S("1.2.3.4"), S("65536"))
             != NULL);
    CC_CHECK(cc_redis_sentinel_reply(&s, 2, S("1.2.3.4"), S("")) != NULL);
    CC_CHECK(cc_redis_sentinel_reply(&s, 2, S("1.2.3.4"), S("-1")) != NULL);
    CC_CHECK(cc_redis_sentinel_reply(&s, 2, S("1.2.3.4"), S("12a")) != NULL);
    CC_CHECK(strcmp(s.master.host, "fe80::1:2") == 0
             && s.master.port == 65535);
}

static void
test_rotation(void)
{
    setup("a:1,b:2,c:3", NULL);

    CC_CHECK(strcmp(cc_redis_sentinel_current(&s)->host, "a") == 0);
    CC_CHECK(cc_redis_sentinel_failed(&s) == 0);
    CC_CHECK(strcmp(cc_redis_sentinel_current(&s)->host, "b") == 0);
    CC_CHECK(cc_redis_sentinel_failed(&s) == 0);
    CC_CHECK(strcmp(cc_redis_sentinel_current(&s)->host, "c") == 0);
    CC_CHECK(cc_redis_sentinel_failed(&s) == 1);     /* a whole round */
    CC_CHECK(strcmp(cc_redis_sentinel_current(&s)->host, "a") == 0);
    CC_CHECK(cc_redis_sentinel_failed(&s) == 0);
    CC_CHECK(cc_redis_sentinel_failed(&s) == 0);
    CC_CHECK(cc_redis_sentinel_failed(&s) == 1);

    /* the one that answered stays first; a round counts from it */
    CC_CHECK(cc_redis_sentinel_failed(&s) == 0);
    CC_CHECK(strcmp(cc_redis_sentinel_current(&s)->host, "b") == 0);
    cc_redis_sentinel_found(&s);
    CC_CHECK(strcmp(cc_redis_sentinel_current(&s)->host, "b") == 0);
    CC_CHECK(cc_redis_sentinel_failed(&s) == 0);
    CC_CHECK(cc_redis_sentinel_failed(&s) == 0);
    CC_CHECK(cc_redis_sentinel_failed(&s) == 1);
    CC_CHECK(strcmp(cc_redis_sentinel_current(&s)->host, "b") == 0);

    setup("only", NULL);
    CC_CHECK(cc_redis_sentinel_current(&s)->port == 26379);
    CC_CHECK(cc_redis_sentinel_failed(&s) == 1);
    CC_CHECK(strcmp(cc_redis_sentinel_current(&s)->host, "only") == 0);
}

static void
test_role(void)
{
    cc_redis_handshake_t  h;

    /* the ROLE step: after AUTH, before SELECT and the library */
    setup("a", "password=pw");
    CC_CHECK(cc_redis_addr_param(&a, S("db=3")) == NULL);
    cc_redis_handshake(&h, &a, CC_REDIS_LINK_COMMANDS);
    CC_CHECK(h.n == 4);
    CC_CHECK(strcmp(h.step[0].argv[0], "AUTH") == 0);
    CC_CHECK(h.step[1].argc == 1 && strcmp(h.step[1].argv[0], "ROLE") == 0
             && h.step[1].argvlen[0] == 4);
    CC_CHECK(strcmp(h.step[2].argv[0], "SELECT") == 0);
    CC_CHECK(strcmp(h.step[3].argv[0], "FUNCTION") == 0);

    cc_redis_handshake(&h, &a, CC_REDIS_LINK_SUBSCRIBER);
    CC_CHECK(h.n == 2 && strcmp(h.step[1].argv[0], "ROLE") == 0);

    setup("a", NULL);
    cc_redis_handshake(&h, &a, CC_REDIS_LINK_SUBSCRIBER);
    CC_CHECK(h.n == 1);
    CC_CHECK(cc_redis_handshake_ok(&h.step[0], 0, S("master")));
    CC_CHECK(!cc_redis_handshake_ok(&h.step[0], 0, S("slave")));
    CC_CHECK(!cc_redis_handshake_ok(&h.step[0], 0, S("sentinel")));
    CC_CHECK(!cc_redis_handshake_ok(&h.step[0], 0, S("masters")));
    CC_CHECK(!cc_redis_handshake_ok(&h.step[0], 0, NULL, 0));
    CC_CHECK(!cc_redis_handshake_ok(&h.step[0], 1, S("master")));

    /* no ROLE without Sentinel */
    cc_redis_addr_init(&a);
    cc_redis_handshake(&h, &a, CC_REDIS_LINK_SUBSCRIBER);
    CC_CHECK(h.n == 0);
}

static void
test_relink(void)
{
    CC_CHECK(cc_redis_reply_relink(
                 S("READONLY You can't write against a read only replica.")));
    CC_CHECK(cc_redis_reply_relink(
                 S("MASTERDOWN Link with MASTER is down")));
    CC_CHECK(cc_redis_reply_relink(
                 S("LOADING Redis is loading the dataset in memory")));
    CC_CHECK(cc_redis_reply_relink(S("LOADING")));
    CC_CHECK(cc_redis_reply_relink(
                 S("UNBLOCKED force unblock from blocking operation, "
                   "instance state changed (master -> replica?)")));
    CC_CHECK(!cc_redis_reply_relink(S("READONLYX")));
    CC_CHECK(!cc_redis_reply_relink(S("ERR READONLY")));
    CC_CHECK(!cc_redis_reply_relink(S("CONFLICT offered")));
    CC_CHECK(!cc_redis_reply_relink(S("")));
}

int
main(void)
{
    test_ask();
    test_format();
    test_reply();
    test_moved();
    test_rotation();
    test_role();
    test_relink();
    return CC_TEST_DONE();
}
