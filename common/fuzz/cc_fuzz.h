#ifndef CC_FUZZ_H
#define CC_FUZZ_H

#include <stddef.h>
#include <stdlib.h>

/*
 * What the harnesses share: a failed check aborts (libFuzzer counts it as
 * a crash and keeps the input), and the first input byte picks one of the
 * harness's entry points, which gets the rest exactly sized (no
 * terminator, so an over-read is an ASan report).
 */

#define CC_FUZZ_CHECK(cond)  if (!(cond)) abort()

typedef void (*cc_fuzz_entry_pt)(const char *s, size_t len);

static inline int
cc_fuzz_dispatch(const cc_fuzz_entry_pt *entries, size_t n,
    const unsigned char *data, size_t size)
{
    if (size > 0) {
        entries[data[0] % n]((const char *) data + 1, size - 1);
    }

    return 0;
}

#endif /* CC_FUZZ_H */
