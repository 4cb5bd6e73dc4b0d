#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cc_validate.h"
#include "options.h"
#include "queues_file.h"

const char cc_options_usage[] =
    "usage: callcenter-router [options]\n"
    "  --redis ADDRESS         host[:port], [ipv6][:port] or unix:/path\n"
    "                          (default 127.0.0.1:6379); a host name is\n"
    "                          resolved once, at the first connect\n"
    "  --password PASSWORD     AUTH with this password\n"
    "  --db N                  SELECT this database (default 0)\n"
    "  --sentinel HOST[:PORT],...  with --master NAME, instead of --redis:\n"
    "                          the master as Redis Sentinel names it\n"
    "                          (sentinel port 26379 unless given), followed\n"
    "                          through a failover\n"
    "  --master NAME           the master's name in the sentinels\n"
    "  --agents FILE           JSON agent profiles, loaded at start, after\n"
    "                          each reconnect and on SIGHUP (default: none,\n"
    "                          the profiles another router loaded)\n"
    "  --queues FILE           JSON queue settings (strategy, timers,\n"
    "                          priority, overflow, hours...), loaded with\n"
    "                          the agents (default: none, every queue\n"
    "                          with the defaults below)\n"
    "  --offer-timeout SECONDS how long an agent has to accept an offer,\n"
    "                          1..3600 (default 20; the default of a\n"
    "                          queue's offer_timeout)\n"
    "  --max-wait SECONDS      a call waiting longer ends with reason\n"
    "                          timeout, 0..604800, 0: never (default 3600;\n"
    "                          the default of a queue's max_wait)\n"
    "  --message-wait SECONDS  a call whose caller left a message waits\n"
    "                          this long instead, then ends with reason\n"
    "                          timeout, 1..604800 (default 86400)\n"
    "  --tick MS               work read timeout and full sweep period,\n"
    "                          10..60000 (default 1000)\n"
    "  --site NAME             the site, [a-z0-9_-]{1,32}: its keys are\n"
    "                          cc:{NAME}:..., one Redis Cluster slot\n"
    "                          (default: none, keys cc:...)\n"
    "  --name NAME             consumer name in the routers group\n"
    "                          (default HOSTNAME-PID)\n"
    "  --strategy NAME         the default of a queue's strategy:\n"
    "                          longest-idle (default), round-robin,\n"
    "                          top-down, least-busy, fewest-calls, random,\n"
    "                          ring-all\n"
    "  --help                  this text\n"
    "SIGHUP reloads the agents and queues files, SIGTERM and SIGINT stop.\n";

static int
cc_options_int(const char *s, int min, int max, int *out)
{
    char  *end;
    long   v;

    errno = 0;
    v = strtol(s, &end, 10);

    if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
        return -1;
    }

    *out = (int) v;
    return 0;
}

/*
 * The Redis options, in the grammar of callcenter_redis (cc_redis_addr.h):
 * 1 when key is one of them, with *why set when its value is bad.
 */
static int
cc_options_redis(cc_options_t *opts, const char *key, const char *value,
    const char **why)
{
    static const char  *keys[] = {
        "password", "db", "sentinel", "master", "replicas"
    };
    size_t              i;

    if (strcmp(key, "redis") == 0) {
        *why = cc_redis_addr_parse(&opts->redis, value, strlen(value));
        return 1;
    }

    for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        if (strcmp(key, keys[i]) == 0) {
            *why = cc_redis_addr_set(&opts->redis, key, value,
                                     strlen(value));
            return 1;
        }
    }

    return 0;
}

static int
cc_options_name(const char *s)
{
    size_t  i, len;

    len = strlen(s);
    if (len == 0 || len > CC_CONSUMER_MAX) {
        return -1;
    }

    for (i = 0; i < len; i++) {
        if (s[i] <= ' ' || s[i] > '~') {
            return -1;
        }
    }

    return 0;
}

/* Applies one option; -1 when its value is bad. */
static int
cc_options_set(cc_options_t *opts, const char *key, const char *value)
{
    if (strcmp(key, "agents") == 0) {
        opts->agents = value;
        return value[0] == '\0' ? -1 : 0;
    }
    if (strcmp(key, "queues") == 0) {
        opts->queues = value;
        return value[0] == '\0' ? -1 : 0;
    }
    if (strcmp(key, "offer-timeout") == 0) {
        return cc_options_int(value, 1, 3600, &opts->offer_timeout);
    }
    if (strcmp(key, "max-wait") == 0) {
        return cc_options_int(value, 0, 604800, &opts->max_wait);
    }
    if (strcmp(key, "message-wait") == 0) {
        return cc_options_int(value, 1, 604800, &opts->message_wait);
    }
    if (strcmp(key, "tick") == 0) {
        return cc_options_int(value, 10, 60000, &opts->tick_ms);
    }
    if (strcmp(key, "site") == 0) {
        opts->site = value;
        return cc_valid_site(value, strlen(value)) ? 0 : -1;
    }
    if (strcmp(key, "name") == 0) {
        opts->name = value;
        return cc_options_name(value);
    }
    /* "strategy": the caller checked the key */
    opts->strategy_name = cc_queues_strategy(value);
    if (opts->strategy_name == NULL) {
        return -1;
    }
    opts->strategy = cc_strategy_find(value);
    if (opts->strategy == NULL) {
        opts->strategy = cc_strategy_find(NULL);
    }
    return 0;
}

static int
cc_options_known(const char *key)
{
    static const char  *keys[] = {
        "redis", "password", "db", "sentinel", "master", "replicas",
        "agents", "queues", "offer-timeout", "max-wait", "message-wait",
        "tick",
        "name", "site", "strategy"
    };
    size_t              i;

    for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        if (strcmp(key, keys[i]) == 0) {
            return 1;
        }
    }

    return 0;
}

int
cc_options_parse(cc_options_t *opts, int argc, char **argv,
    char *err, size_t err_size)
{
    int          i;
    char         key[32];
    const char  *arg, *eq, *value, *why;
    size_t       len;

    memset(opts, 0, sizeof(*opts));
    cc_redis_addr_init(&opts->redis);
    opts->offer_timeout = 20;
    opts->max_wait = 3600;
    opts->message_wait = 86400;
    opts->tick_ms = 1000;
    opts->strategy = cc_strategy_find(NULL);
    opts->strategy_name = cc_queues_strategy("longest-idle");

    for (i = 1; i < argc; i++) {
        arg = argv[i];

        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            return CC_OPTIONS_HELP;
        }

        if (strncmp(arg, "--", 2) != 0) {
            snprintf(err, err_size, "unexpected argument \"%s\"", arg);
            return CC_OPTIONS_ERROR;
        }

        /* --key value or --key=value */
        eq = strchr(arg, '=');
        len = eq != NULL ? (size_t) (eq - arg - 2) : strlen(arg + 2);

        if (len >= sizeof(key)) {
            len = sizeof(key) - 1;
        }
        memcpy(key, arg + 2, len);
        key[len] = '\0';

        if (!cc_options_known(key)) {
            snprintf(err, err_size, "unknown option \"%s\"", arg);
            return CC_OPTIONS_ERROR;
        }

        if (eq != NULL) {
            value = eq + 1;

        } else if (i + 1 < argc) {
            value = argv[++i];

        } else {
            snprintf(err, err_size, "option --%s needs a value", key);
            return CC_OPTIONS_ERROR;
        }

        if (cc_options_redis(opts, key, value, &why)) {
            if (why != NULL) {
                /* a password is not repeated in logs */
                snprintf(err, err_size, "bad value \"%s\" for --%s: %s",
                         strcmp(key, "password") == 0 ? "..." : value, key,
                         why);
                return CC_OPTIONS_ERROR;
            }

            continue;
        }

        if (cc_options_set(opts, key, value) != 0) {
            snprintf(err, err_size, "bad value \"%s\" for --%s", value, key);
            return CC_OPTIONS_ERROR;
        }
    }

    value = cc_redis_addr_check(&opts->redis);
    if (value != NULL) {
        snprintf(err, err_size, "redis: %s", value);
        return CC_OPTIONS_ERROR;
    }

    /* the writes that wait are those nginx answers to clients */
    if (opts->redis.given & CC_REDIS_GIVEN_REPLICAS) {
        snprintf(err, err_size, "--replicas: for callcenter_redis only");
        return CC_OPTIONS_ERROR;
    }

    return CC_OPTIONS_OK;
}
