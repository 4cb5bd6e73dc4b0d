#ifndef CC_VALIDATE_H
#define CC_VALIDATE_H

#include <stddef.h>

/*
 * Validation of everything that comes from the network or from files,
 * shared by the module and the router.  Pure functions: no I/O.
 */

#define CC_ID_MAX      64   /* call, agent and connection ids */
#define CC_QUEUE_MAX   32

/* [A-Za-z0-9_-]{1,CC_ID_MAX} */
int cc_valid_id(const char *s, size_t len);

/* [a-z0-9_-]{1,CC_QUEUE_MAX} */
int cc_valid_queue(const char *s, size_t len);

#endif /* CC_VALIDATE_H */
