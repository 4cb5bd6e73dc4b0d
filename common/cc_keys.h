#ifndef CC_KEYS_H
#define CC_KEYS_H

#include <stdio.h>

/*
 * Every Redis key and channel name of callcenter, in one place.  embed.sh
 * turns each CC_* string below into a Lua local of the same name at the top
 * of the function library, so C and Lua share these very lines.  "%s" is an
 * id (call, agent) or a queue name, filled with snprintf / string.format
 * (CC_KEY_QUEUE_READY: a queue, then a skill set key).
 * The pub/sub channel of a stream is the stream's own key.
 */

#define CC_KEY_CALL             "cc:call:%s"           /* hash: the call */
#define CC_KEY_CALL_EVENTS      "cc:call:%s:events"    /* stream: caller's */
#define CC_KEY_CALL_OFFERED     "cc:call:%s:offered"   /* set: agents offered */
#define CC_KEY_CALL_DECLINED    "cc:call:%s:declined"  /* set: said no */
#define CC_KEY_CALL_CONNS       "cc:call:%s:conns"     /* zset: streams */
#define CC_KEY_CALLERS_LEAVING  "cc:callers:leaving"   /* zset: call by when
                                                        * its caller is gone */
#define CC_KEY_CALLERS_STREAMS  "cc:callers:streams"   /* zset: call by when
                                                        * its streams' last
                                                        * refresh runs out */
#define CC_KEY_OLD_WAITING      "cc:calls:waiting"     /* zset: where the
                                                        * library before
                                                        * queue settings put a
                                                        * call entering its
                                                        * queue (adopted) */
#define CC_KEY_OLD_MESSAGES     "cc:calls:messages"    /* zset: likewise, a
                                                        * message left */
#define CC_KEY_CALL_RING        "cc:call:%s:ring"      /* set: agents it rings
                                                        * now */
#define CC_KEY_CALL_ROUTING     "cc:call:%s:routing"   /* list: decisions */
#define CC_KEY_QUEUE            "cc:queue:%s"          /* hash: settings */
#define CC_KEY_QUEUES_DEFAULTS  "cc:queues:defaults"   /* hash: settings of
                                                        * queues not named */
#define CC_KEY_QUEUE_WAITING    "cc:queue:%s:waiting"  /* zset: id by rank
                                                        * (priority, arrival) */
#define CC_KEY_QUEUE_ARRIVALS   "cc:queue:%s:arrivals" /* zset: id by arrival,
                                                        * no message left */
#define CC_KEY_QUEUE_MESSAGES   "cc:queue:%s:messages" /* zset: id by arrival,
                                                        * a message left */
#define CC_KEY_QUEUE_PROFILES   "cc:queue:%s:profiles" /* hash: skill set key
                                                        * -> its agents' skills */
#define CC_KEY_QUEUE_READY      "cc:queue:%s:ready:%s" /* zset: id by rank, the
                                                        * calls ready to ring
                                                        * that a skill set
                                                        * covers */
#define CC_KEY_QUEUE_AGENTS     "cc:queue:%s:agents"   /* set: agent ids */
#define CC_KEY_QUEUE_STATS      "cc:queue:%s:stats"    /* hash: counters */
#define CC_KEY_QUEUES           "cc:queues"            /* set: queue names */
#define CC_KEY_AGENTS           "cc:agents"            /* set: agent ids */
#define CC_KEY_AGENT            "cc:agent:%s"          /* hash: profile+state */
#define CC_KEY_AGENT_OFFERS     "cc:agent:%s:offers"   /* set: call ids */
#define CC_KEY_AGENT_CALLS      "cc:agent:%s:calls"    /* set: call ids */
#define CC_KEY_AGENT_CONNS      "cc:agent:%s:conns"    /* zset: streams */
#define CC_KEY_AGENT_EVENTS     "cc:agent:%s:events"   /* stream: agent's */
#define CC_KEY_AGENTS_WRAPUP    "cc:agents:wrapup"     /* zset: agent by when
                                                        * its wrap-up ends */
#define CC_KEY_STATUS_AGENTS   "cc:status:agents"     /* hash: agent -> its
                                                        * status figures; "~"
                                                        * once built */
#define CC_KEY_STATUS_PARTS    "cc:status:parts"      /* zset: each agent's
                                                        * part of the status
                                                        * answers, by text */
#define CC_KEY_STATUS_DUE      "cc:status:due"        /* zset: agent by when
                                                        * its figures change
                                                        * with time alone */
#define CC_KEY_STATUS_SHOWN    "cc:status:shown"      /* hash: a or q + id or
                                                        * queue -> its record
                                                        * of the answers by
                                                        * difference */
#define CC_KEY_STATUS_QUEUES_DUE "cc:status:queues:due" /* zset: queue by when
                                                        * its record is to be
                                                        * made again */
#define CC_KEY_STATUS_VERSION  "cc:status:version"    /* hash: epoch, n (the
                                                        * changes), floor */
#define CC_KEY_STATUS_LOG      "cc:status:log"        /* zset: record key by
                                                        * n at its last
                                                        * change */
#define CC_KEY_STATUS_GONE     "cc:status:gone"       /* zset: record key
                                                        * removed, by when */
#define CC_KEY_CUSTOMER         "cc:customer:%s"       /* hash: a caller's last
                                                        * agent (SHA-1 of who) */
#define CC_KEY_OFFERS           "cc:offers"            /* zset: by expiry */
#define CC_KEY_ROUTER_STATS     "cc:router:%s:stats"   /* hash: a router's
                                                        * counters, expire
                                                        * unless refreshed */
#define CC_KEY_ROUTERS          "cc:routers"           /* zset: router name
                                                        * by last report */
#define CC_KEY_ROUTING_LEASE    "cc:routing:lease"     /* string: the router
                                                        * stepping now */
#define CC_KEY_ROUTING_AGAIN    "cc:routing:again"     /* string: a step was
                                                        * asked for meanwhile */
#define CC_KEY_WORK             "cc:work"              /* stream: to route */
#define CC_WORK_GROUP           "routers"              /* its consumer group */

/*
 * Subscribed by every nginx subscriber link for its whole life and never
 * published to: the subscription count never drops to zero, so hiredis 0.14
 * never leaves subscribed mode while other (UN)SUBSCRIBE replies are due.
 */
#define CC_CHANNEL_ANCHOR       "cc:nginx:anchor"

/*
 * Sites (callcenter_site, --site; docs/DESIGN.md "Sites and Cluster"):
 * with a site every CC_KEY_* above is "cc:{SITE}:..." in place of "cc:...",
 * one hash tag, so a site's keys share one Redis Cluster slot.  Every FCALL
 * declares one key, the site's anchor "cc:{SITE}" ("cc:" with no site),
 * from which the library takes the prefix (register(), callcenter.lua).
 */
#define CC_SITE_MAX             32      /* [a-z0-9_-]: cc_valid_site() */
#define CC_SITE_KEY_MAX         (sizeof("cc:{}:") - 1 + CC_SITE_MAX)

/* the anchor of site (NULL or "": none) into buf: its length, or -1 */
static inline int
cc_site_anchor(char *buf, size_t size, const char *site)
{
    int  n;

    n = site == NULL || site[0] == '\0' ? snprintf(buf, size, "cc:")
                                        : snprintf(buf, size, "cc:{%s}", site);
    return n < 0 || (size_t) n >= size ? -1 : n;
}

/* name, a key above (filled), as site's: its length, or -1 */
static inline int
cc_site_key(char *buf, size_t size, const char *site, const char *name)
{
    int  n;

    n = site == NULL || site[0] == '\0'
        ? snprintf(buf, size, "%s", name)
        : snprintf(buf, size, "cc:{%s}:%s", site, name + sizeof("cc:") - 1);
    return n < 0 || (size_t) n >= size ? -1 : n;
}

#endif /* CC_KEYS_H */
