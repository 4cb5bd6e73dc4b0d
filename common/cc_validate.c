#include "cc_validate.h"

static int
cc_valid_chars(const char *s, size_t len, size_t max, int upper)
{
    size_t i;

    if (len == 0 || len > max) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        char c = s[i];

        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
            || c == '_' || c == '-' || (upper && c >= 'A' && c <= 'Z'))
        {
            continue;
        }

        return 0;
    }

    return 1;
}

int
cc_valid_id(const char *s, size_t len)
{
    return cc_valid_chars(s, len, CC_ID_MAX, 1);
}

int
cc_valid_queue(const char *s, size_t len)
{
    return cc_valid_chars(s, len, CC_QUEUE_MAX, 0);
}
