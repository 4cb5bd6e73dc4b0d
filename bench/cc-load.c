/*
 * cc-load: the benchmarks' load client.  One process, one thread, epoll,
 * loopback only, at most 30,000 sockets, every buffer bounded.
 *
 *     cc-load --plan FILE [--messages M] [--publishers P] [--timeout SEC]
 *             [--idle] [--ready-file PATH] [--connect-rate N]
 *
 * The plan, one item a line, fields separated by TAB:
 *
 *     S  label  host:port  path  headers
 *     P  host:port  method  path  headers  body  labels
 *
 * S opens an SSE stream (GET, HTTP/1.1, kept open).  P is a publish
 * target: each of the M rounds (--messages, default 1) sends it one
 * request whose body has every "%T" replaced by the token
 * "cct<TARGET>x<SEQ>x" (TARGET the P line's index from 0, SEQ the round
 * from 0) and its Content-Length computed; each stream named in labels (a
 * comma list, "-" for none) must receive that token once.  headers: extra
 * header lines joined by the two characters "\n", or "-"; Host (and
 * Accept: text/event-stream on S) are added unless given.  Empty lines and
 * lines starting with # are skipped.
 *
 * It opens every stream (at most --connect-rate a second), then P
 * keep-alive publishers (default 4) take the requests round-robin over the
 * targets, one out at a time each.  It ends once every token expected
 * arrived or --timeout seconds (default 30) after the last answer (also
 * the most a stream's head or a request's answer is waited for), and
 * prints one JSON line (cc_load_report_print).  A token is expected on its
 * labels once its request was answered 2xx; its latency runs from the
 * request's last byte written to its arrival (CLOCK_MONOTONIC).  rejected
 * = published - accepted.  Beyond the interface the line also says:
 * publish_failed (published, no answer at all), unexpected (tokens where
 * none was expected: another stream's, a rejected request's, or one seen
 * before its request was sent, from a stream's history), reconnected (a
 * stream lost once open is resumed with Last-Event-ID, up to 16 times),
 * closed (open once, not at the end), events (SSE events parsed),
 * open_seconds and cpu_seconds (this process, user + system).  Failures
 * are summed up by kind on stderr.  With --idle it only opens the
 * streams, writes "ready N" (N opened) to --ready-file or stdout and holds
 * them until SIGTERM or SIGINT (a --ready-file is written without --idle
 * too).  Exit 2: a bad plan or usage, or more sockets than the limits.
 */

#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "cc_load.h"

#define CC_USAGE                                                             \
    "usage: cc-load --plan FILE [--messages M] [--publishers P] "            \
    "[--timeout SEC]\n"                                                      \
    "               [--idle] [--ready-file PATH] [--connect-rate N]\n"


static int
cc_number(const char *s, double min, double max, double *v)
{
    char  *end;

    errno = 0;
    *v = strtod(s, &end);

    return errno == 0 && end != s && *end == '\0' && *v >= min && *v <= max
           ? 0 : -1;
}


/* the whole file, bounded; NULL with a message */
static char *
cc_read_plan(const char *path, size_t *len)
{
    char    *text;
    FILE    *f;
    size_t   n;

    f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "cc-load: %s: %s\n", path, strerror(errno));
        return NULL;
    }

    text = malloc(CC_LOAD_PLAN_MAX + 1);
    if (text == NULL) {
        fclose(f);
        fprintf(stderr, "cc-load: out of memory\n");
        return NULL;
    }

    n = fread(text, 1, CC_LOAD_PLAN_MAX + 1, f);

    if (ferror(f) || n > CC_LOAD_PLAN_MAX) {
        fprintf(stderr, "cc-load: %s: %s\n", path,
                ferror(f) ? "read error" : "over 64 MiB");
        fclose(f);
        free(text);
        return NULL;
    }

    fclose(f);
    *len = n;

    return text;
}


/* descriptors for every socket, or a message why not */
static int
cc_raise_nofile(uint64_t sockets)
{
    rlim_t         need;
    struct rlimit  rl;

    /* stdio, epoll, the ready file */
    need = (rlim_t) sockets + 8;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
        fprintf(stderr, "cc-load: getrlimit: %s\n", strerror(errno));
        return -1;
    }

    if (rl.rlim_cur >= need) {
        return 0;
    }

    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need) {
        fprintf(stderr, "cc-load: %" PRIu64 " sockets need %llu descriptors,"
                " the hard limit is %llu: split the plan over processes\n",
                sockets, (unsigned long long) need,
                (unsigned long long) rl.rlim_max);
        return -1;
    }

    rl.rlim_cur = need;

    if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
        fprintf(stderr, "cc-load: setrlimit: %s\n", strerror(errno));
        return -1;
    }

    return 0;
}


int
main(int argc, char **argv)
{
    int                c, rc;
    char              *text;
    double             v;
    size_t             len;
    uint64_t           sockets;
    const char        *plan_file;
    cc_load_plan_t     plan;
    cc_load_report_t   report;
    cc_load_options_t  opt;

    static const struct option  options[] = {
        { "plan",         required_argument, NULL, 'f' },
        { "messages",     required_argument, NULL, 'm' },
        { "publishers",   required_argument, NULL, 'p' },
        { "timeout",      required_argument, NULL, 't' },
        { "idle",         no_argument,       NULL, 'i' },
        { "ready-file",   required_argument, NULL, 'r' },
        { "connect-rate", required_argument, NULL, 'c' },
        { "help",         no_argument,       NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };

    memset(&opt, 0, sizeof(opt));
    opt.messages = 1;
    opt.publishers = 4;
    opt.timeout = 30;
    plan_file = NULL;

    while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (c) {
        case 'f':
            plan_file = optarg;
            break;
        case 'm':
            if (cc_number(optarg, 0, 1 << 24, &v) != 0 || v != (uint32_t) v) {
                fprintf(stderr, "cc-load: --messages 0..16777216\n");
                return 2;
            }
            opt.messages = (uint32_t) v;
            break;
        case 'p':
            if (cc_number(optarg, 1, 1000, &v) != 0 || v != (unsigned) v) {
                fprintf(stderr, "cc-load: --publishers 1..1000\n");
                return 2;
            }
            opt.publishers = (unsigned) v;
            break;
        case 't':
            if (cc_number(optarg, 0.001, 86400, &v) != 0) {
                fprintf(stderr, "cc-load: --timeout is seconds, 0 < SEC <= "
                        "86400\n");
                return 2;
            }
            opt.timeout = v;
            break;
        case 'i':
            opt.idle = 1;
            break;
        case 'r':
            opt.ready_file = optarg;
            break;
        case 'c':
            if (cc_number(optarg, 0, 1e6, &v) != 0) {
                fprintf(stderr, "cc-load: --connect-rate 0..1000000 a second "
                        "(0: unlimited)\n");
                return 2;
            }
            opt.connect_rate = v;
            break;
        case 'h':
            fputs(CC_USAGE, stdout);
            return 0;
        default:
            fputs(CC_USAGE, stderr);
            return 2;
        }
    }

    if (plan_file == NULL || optind != argc) {
        fputs(CC_USAGE, stderr);
        return 2;
    }

    text = cc_read_plan(plan_file, &len);
    if (text == NULL) {
        return 2;
    }

    rc = cc_load_plan_parse(&plan, text, len);
    free(text);

    if (rc != 0) {
        fprintf(stderr, "cc-load: %s: %s\n", plan_file, plan.err);
        cc_load_plan_free(&plan);
        return 2;
    }

    sockets = cc_load_sockets(&plan, &opt);

    if (plan.nlabels * opt.messages > CC_LOAD_PAIRS_MAX
        || (uint64_t) plan.ntargets * opt.messages > CC_LOAD_PAIRS_MAX)
    {
        fprintf(stderr, "cc-load: more than %u tokens to follow\n",
                CC_LOAD_PAIRS_MAX);
        rc = 2;

    } else if (sockets > CC_LOAD_SOCKETS_MAX) {
        fprintf(stderr, "cc-load: %" PRIu64 " sockets, at most %d\n",
                sockets, CC_LOAD_SOCKETS_MAX);
        rc = 2;

    } else if (cc_raise_nofile(sockets) != 0) {
        rc = 2;

    } else if (cc_load_run(&plan, &opt, &report) != 0) {
        rc = 1;

    } else {
        cc_load_report_print(stdout, &report);
        rc = fflush(stdout) == 0 ? 0 : 1;
    }

    cc_load_plan_free(&plan);

    return rc;
}
