#ifndef CC_ROUTER_LOG_H
#define CC_ROUTER_LOG_H

/*
 * One line per event to stderr:
 *     2024-05-01T12:00:00.123Z NAME what key=value...
 */

void cc_log_init(const char *name);

#if defined(__GNUC__)
__attribute__((format(printf, 1, 2)))
#endif
void cc_log(const char *fmt, ...);

#endif /* CC_ROUTER_LOG_H */
