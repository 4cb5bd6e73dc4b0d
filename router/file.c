#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "file.h"

char *
cc_file_read(const char *path, size_t max, size_t *len, char *err,
    size_t err_size)
{
    FILE  *f;
    char  *text;

    f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(err, err_size, "%s: %s", path, strerror(errno));
        return NULL;
    }

    text = malloc(max + 1);
    if (text == NULL) {
        snprintf(err, err_size, "%s: out of memory", path);
        fclose(f);
        return NULL;
    }

    /* one byte more than max tells a file too large */
    *len = fread(text, 1, max + 1, f);

    if (ferror(f)) {
        snprintf(err, err_size, "%s: read error", path);

    } else if (*len > max) {
        snprintf(err, err_size, "%s: larger than %zu bytes", path, max);

    } else {
        fclose(f);
        return text;
    }

    free(text);
    fclose(f);
    return NULL;
}
