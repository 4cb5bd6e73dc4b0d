#include <string.h>

#include "queues.h"

int
cc_queues_add(cc_queues_t *q, const char *name, size_t len)
{
    size_t  i;

    if (!cc_valid_queue(name, len)) {
        return -1;
    }

    for (i = 0; i < q->n; i++) {
        if (strlen(q->names[i]) == len && memcmp(q->names[i], name, len) == 0)
        {
            return 0;
        }
    }

    if (q->n == CC_QUEUES_MAX) {
        return -1;
    }

    memcpy(q->names[q->n], name, len);
    q->names[q->n][len] = '\0';
    q->n++;
    return 0;
}
