#ifndef CC_ROUTER_AGENTS_H
#define CC_ROUTER_AGENTS_H

#include <stddef.h>

/*
 * The agents file: a JSON array of profiles
 *     {"id": "alice", "name": "Alice",
 *      "queues": ["sales", {"queue": "support", "tier": 2}],
 *      "skills": ["fr"], "capacity": 2}
 * id [A-Za-z0-9_-]{1,64}, unique; name 1..100 bytes without control
 * characters (default: the id); queues [a-z0-9_-]{1,32} (required, no
 * repeats), each a name (tier 1) or {"queue", "tier" 1..10}; skills
 * [A-Za-z0-9_-]{1,32} (default none, no repeats); capacity an integer
 * 1..100 (default 1).  No other fields.  Normalized:
 *     {"id", "name", "queues": [names], "tiers": {queue: tier over 1},
 *      "skills", "capacity"}
 */

#define CC_AGENTS_FILE_MAX   (16 * 1024 * 1024)
#define CC_AGENT_NAME_MAX    100
#define CC_SKILL_MAX         32
#define CC_CAPACITY_MAX      100
#define CC_TIER_MAX          10

/*
 * Checks the text of an agents file.  On success *json is the normalized
 * array, every field present (free() it), for FCALL cc_agents_load, and
 * *count the number of agents.  -1 with a message naming the problem.
 * Pure.
 */
int cc_agents_parse(const char *text, size_t len, char **json, size_t *count,
    char *err, size_t err_size);

/* cc_agents_parse of the file at path. */
int cc_agents_read(const char *path, char **json, size_t *count,
    char *err, size_t err_size);

#endif /* CC_ROUTER_AGENTS_H */
