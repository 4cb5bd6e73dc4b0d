#include <stdarg.h>
#include <string.h>

#include "cc_test.h"
#include "options.h"

static cc_options_t  opts;
static char          err[256];

/* Parses a NULL-terminated list of arguments after the program name. */
static int
parse(const char *first, ...)
{
    char        *argv[32];
    int          argc;
    const char  *a;
    va_list      ap;

    argc = 0;
    argv[argc++] = "callcenter-router";

    va_start(ap, first);
    for (a = first; a != NULL && argc < 31; a = va_arg(ap, const char *)) {
        argv[argc++] = (char *) a;
    }
    va_end(ap);

    err[0] = '\0';
    return cc_options_parse(&opts, argc, argv, err, sizeof(err));
}

static void
test_defaults(void)
{
    CC_CHECK(parse(NULL) == CC_OPTIONS_OK);
    CC_CHECK(strcmp(opts.redis.tcp.host, "127.0.0.1") == 0);
    CC_CHECK(opts.redis.tcp.port == 6379);
    CC_CHECK(opts.redis.unix_path[0] == '\0');
    CC_CHECK(opts.redis.password[0] == '\0');
    CC_CHECK(opts.redis.db == 0);
    CC_CHECK(opts.agents == NULL);
    CC_CHECK(opts.queues == NULL);
    CC_CHECK(opts.offer_timeout == 20);
    CC_CHECK(opts.max_wait == 3600);
    CC_CHECK(opts.message_wait == 86400);
    CC_CHECK(opts.tick_ms == 1000);
    CC_CHECK(opts.name == NULL);
    CC_CHECK(opts.site == NULL);
    CC_CHECK(opts.strategy != NULL
             && strcmp(opts.strategy->name, "longest-idle") == 0);
    CC_CHECK(strcmp(opts.strategy_name, "longest-idle") == 0);
}

static void
test_all(void)
{
    CC_CHECK(parse("--redis", "10.0.0.5:6380", "--agents", "conf/a.json",
                   "--queues", "conf/q.json",
                   "--password", "s3cret", "--db", "3", "--offer-timeout",
                   "45", "--max-wait", "0", "--message-wait=600",
                   "--tick=250", "--name", "r1", "--site", "eu-1_a",
                   "--strategy",
                   "longest-idle", NULL) == CC_OPTIONS_OK);
    CC_CHECK(strcmp(opts.redis.tcp.host, "10.0.0.5") == 0);
    CC_CHECK(opts.redis.tcp.port == 6380);
    CC_CHECK(strcmp(opts.agents, "conf/a.json") == 0);
    CC_CHECK(strcmp(opts.queues, "conf/q.json") == 0);
    CC_CHECK(strcmp(opts.redis.password, "s3cret") == 0);
    CC_CHECK(opts.redis.db == 3);
    CC_CHECK(opts.offer_timeout == 45);
    CC_CHECK(opts.max_wait == 0);
    CC_CHECK(opts.message_wait == 600);
    CC_CHECK(opts.tick_ms == 250);
    CC_CHECK(strcmp(opts.name, "r1") == 0);
    CC_CHECK(strcmp(opts.site, "eu-1_a") == 0);
}

/* --strategy takes the seven names: the default of the queues */
static void
test_strategies(void)
{
    static const char  *names[] = {
        "longest-idle", "round-robin", "top-down", "least-busy",
        "fewest-calls", "random", "ring-all"
    };
    size_t              i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        CC_CHECK(parse("--strategy", names[i], NULL) == CC_OPTIONS_OK);
        CC_CHECK(strcmp(opts.strategy_name, names[i]) == 0);
        CC_CHECK(opts.strategy != NULL);
    }

    CC_CHECK(parse("--strategy=Ring-all", NULL) == CC_OPTIONS_ERROR);
    CC_CHECK(parse("--strategy", "", NULL) == CC_OPTIONS_ERROR);
}

static void
test_addresses(void)
{
    CC_CHECK(parse("--redis", "unix:/run/redis.sock", NULL) == CC_OPTIONS_OK);
    CC_CHECK(strcmp(opts.redis.unix_path, "/run/redis.sock") == 0);

    CC_CHECK(parse("--redis=[::1]:7000", NULL) == CC_OPTIONS_OK);
    CC_CHECK(strcmp(opts.redis.tcp.host, "::1") == 0
             && opts.redis.tcp.port == 7000);

    CC_CHECK(parse("--redis", "localhost:1", NULL) == CC_OPTIONS_OK);
    CC_CHECK(strcmp(opts.redis.tcp.host, "localhost") == 0
             && opts.redis.tcp.port == 1);

    /* the grammar of common/cc_redis_addr.h: the port is optional */
    CC_CHECK(parse("--redis", "localhost", NULL) == CC_OPTIONS_OK);
    CC_CHECK(opts.redis.tcp.port == 6379);

    CC_CHECK(parse("--redis", "::1:6379", NULL) == CC_OPTIONS_ERROR);
    CC_CHECK(parse("--redis", "h:0", NULL) == CC_OPTIONS_ERROR);
    CC_CHECK(strstr(err, "h:0") != NULL && strstr(err, "invalid port"));
    CC_CHECK(parse("--password", "a\tsecret", NULL) == CC_OPTIONS_ERROR);
    CC_CHECK(strstr(err, "secret") == NULL
             && strstr(err, "invalid password") != NULL);
    CC_CHECK(parse("--redis", "a", "--redis", "b", NULL)
             == CC_OPTIONS_ERROR);
    CC_CHECK(parse("--password", "", NULL) == CC_OPTIONS_ERROR);
    CC_CHECK(parse("--db", "1", "--db", "2", NULL) == CC_OPTIONS_ERROR);
    CC_CHECK(parse("--sentinel", "h:1,[::1]", "--master", "m", NULL)
             == CC_OPTIONS_OK);
    CC_CHECK(opts.redis.nsentinels == 2
             && opts.redis.sentinels[1].port == 26379);
    CC_CHECK(parse("--sentinel", "h:1", NULL) == CC_OPTIONS_ERROR);
    CC_CHECK(parse("--sentinel", "h:1", "--master", "m", "--redis", "h",
                   NULL)
             == CC_OPTIONS_ERROR);
    CC_CHECK(parse("--replicas", "1", NULL) == CC_OPTIONS_ERROR);
    CC_CHECK(strstr(err, "callcenter_redis only") != NULL);
    CC_CHECK(parse("--redis", "localhost:0", NULL) == CC_OPTIONS_ERROR);
    CC_CHECK(parse("--redis", "localhost:65536", NULL) == CC_OPTIONS_ERROR);
    CC_CHECK(parse("--redis", ":6379", NULL) == CC_OPTIONS_ERROR);
    CC_CHECK(parse("--redis", "unix:", NULL) == CC_OPTIONS_ERROR);
    CC_CHECK(parse("--redis", "h:63x9", NULL) == CC_OPTIONS_ERROR);
}

static void
test_help(void)
{
    CC_CHECK(parse("--help", NULL) == CC_OPTIONS_HELP);
    CC_CHECK(parse("-h", NULL) == CC_OPTIONS_HELP);

    /* every option is in the usage text */
    CC_CHECK(strstr(cc_options_usage, "--redis") != NULL);
    CC_CHECK(strstr(cc_options_usage, "--password") != NULL);
    CC_CHECK(strstr(cc_options_usage, "--db") != NULL);
    CC_CHECK(strstr(cc_options_usage, "--agents") != NULL);
    CC_CHECK(strstr(cc_options_usage, "--queues") != NULL);
    CC_CHECK(strstr(cc_options_usage, "ring-all") != NULL);
    CC_CHECK(strstr(cc_options_usage, "--offer-timeout") != NULL);
    CC_CHECK(strstr(cc_options_usage, "--max-wait") != NULL);
    CC_CHECK(strstr(cc_options_usage, "--message-wait") != NULL);
    CC_CHECK(strstr(cc_options_usage, "--tick") != NULL);
    CC_CHECK(strstr(cc_options_usage, "--name") != NULL);
    CC_CHECK(strstr(cc_options_usage, "--site") != NULL);
    CC_CHECK(strstr(cc_options_usage, "--strategy") != NULL);
    CC_CHECK(strstr(cc_options_usage, "--help") != NULL);
}

static void
test_bad(void)
{
    CC_CHECK(parse("--bogus", "1", NULL) == CC_OPTIONS_ERROR);
    CC_CHECK(strstr(err, "--bogus") != NULL);

    CC_CHECK(parse("stray", NULL) == CC_OPTIONS_ERROR);
    CC_CHECK(parse("--agents", NULL) == CC_OPTIONS_ERROR);
    CC_CHECK(strstr(err, "needs a value") != NULL);
    CC_CHECK(parse("--agents=", NULL) == CC_OPTIONS_ERROR);
    CC_CHECK(parse("--queues", NULL) == CC_OPTIONS_ERROR);
    CC_CHECK(parse("--queues=", NULL) == CC_OPTIONS_ERROR);

    CC_CHECK(parse("--db", "-1", NULL) == CC_OPTIONS_ERROR);
    CC_CHECK(parse("--db", "x", NULL) == CC_OPTIONS_ERROR);
    CC_CHECK(parse("--offer-timeout", "0", NULL) == CC_OPTIONS_ERROR);
    CC_CHECK(parse("--offer-timeout", "3601", NULL) == CC_OPTIONS_ERROR);
    CC_CHECK(parse("--offer-timeout", "", NULL) == CC_OPTIONS_ERROR);
    CC_CHECK(parse("--max-wait", "-1", NULL) == CC_OPTIONS_ERROR);
    CC_CHECK(parse("--max-wait", "604801", NULL) == CC_OPTIONS_ERROR);
    CC_CHECK(parse("--message-wait", "0", NULL) == CC_OPTIONS_ERROR);
    CC_CHECK(parse("--message-wait", "604801", NULL) == CC_OPTIONS_ERROR);
    CC_CHECK(parse("--tick", "9", NULL) == CC_OPTIONS_ERROR);
    CC_CHECK(parse("--tick", "60001", NULL) == CC_OPTIONS_ERROR);
    CC_CHECK(parse("--tick", "99999999999999999999", NULL)
             == CC_OPTIONS_ERROR);
    CC_CHECK(parse("--name", "", NULL) == CC_OPTIONS_ERROR);
    CC_CHECK(parse("--name", "has space", NULL) == CC_OPTIONS_ERROR);
    CC_CHECK(parse("--site", "", NULL) == CC_OPTIONS_ERROR);
    CC_CHECK(parse("--site", "Upper", NULL) == CC_OPTIONS_ERROR);
    CC_CHECK(parse("--site", "a{b}", NULL) == CC_OPTIONS_ERROR);
    CC_CHECK(parse("--site", "a23456789012345678901234567890123", NULL)
             == CC_OPTIONS_ERROR);
    CC_CHECK(parse("--strategy", "coin-toss", NULL) == CC_OPTIONS_ERROR);
    CC_CHECK(strstr(err, "coin-toss") != NULL);
}

int
main(void)
{
    test_defaults();
    test_all();
    test_strategies();
    test_addresses();
    test_help();
    test_bad();
    return CC_TEST_DONE();
}
