#ifndef CC_TEST_H
#define CC_TEST_H

#include <stdio.h>
#include <string.h>

/*
 * The unit tests' checks (common/tests and router/tests): each test_*.c
 * counts its failures and returns CC_TEST_DONE() from main.
 */

static int  cc_test_failures;

#define CC_CHECK(cond)                                                        \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, \
                    #cond);                                                   \
            cc_test_failures++;                                               \
        }                                                                     \
    } while (0)

#define CC_TEST_DONE()                                                        \
    (fprintf(stderr, "%s\n", cc_test_failures ? "FAILED" : "ok"),             \
     cc_test_failures != 0)

/* n (< 8192) times c, in a buffer the next call overwrites */
static inline char *
cc_test_repeat(char c, size_t n)
{
    static char  buf[8192];

    memset(buf, c, n);
    buf[n] = '\0';

    return buf;
}

#endif /* CC_TEST_H */
