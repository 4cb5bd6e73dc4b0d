#include <stdio.h>
#include <string.h>

#include "log.h"
#include "stats.h"

cc_stats_t  cc_stats;

int
cc_stats_report(cc_redis_t *r, const char *router, int force)
{
    int          i;
    char         n[5][24];
    redisReply  *reply;
    const char  *argv[9];
    long long    counts[5];

    counts[0] = cc_stats.offers;
    counts[1] = cc_stats.rings;
    counts[2] = cc_stats.conflicts;
    counts[3] = cc_stats.claims;
    counts[4] = cc_stats.sweeps;

    if (!force && (counts[0] | counts[1] | counts[2] | counts[3] | counts[4])
                  == 0)
    {
        return 0;
    }

    argv[0] = "FCALL";
    argv[1] = CC_FN("cc_router_stats");
    argv[2] = "0";
    argv[3] = router;

    for (i = 0; i < 5; i++) {
        snprintf(n[i], sizeof(n[i]), "%lld", counts[i]);
        argv[4 + i] = n[i];
    }

    reply = cc_redis_command(r, 9, argv);
    if (reply == NULL) {
        return -1;
    }

    /* an error answer is logged, and its counts dropped: never a pile */
    if (reply->type == REDIS_REPLY_ERROR) {
        cc_log("cc_router_stats: %s", reply->str);
    }

    freeReplyObject(reply);
    memset(&cc_stats, 0, sizeof(cc_stats));
    return 0;
}
