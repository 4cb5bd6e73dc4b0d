#ifndef CC_ROUTER_FILE_H
#define CC_ROUTER_FILE_H

#include <stddef.h>

/*
 * The whole text of the file at path (free() it), at most max bytes, its
 * length in *len; NULL with "path: problem" in err.
 */
char *cc_file_read(const char *path, size_t max, size_t *len, char *err,
    size_t err_size);

#endif /* CC_ROUTER_FILE_H */
