#ifndef CC_FUNCTIONS_H
#define CC_FUNCTIONS_H

/*
 * The Redis function library (common/callcenter.lua), loaded with FUNCTION
 * LOAD by every module worker and every router when it connects.  Every
 * exclusive step of the system is one FCALL into it.  embed.sh versions it
 * by its text: library "callcenter_V", functions "NAME_V", so that the old
 * and the new code of a rolling upgrade each call their own.
 */

#include "cc_functions_version.h"   /* generated: CC_FUNCTIONS_VERSION */

#define CC_FUNCTIONS_LIBRARY  "callcenter_" CC_FUNCTIONS_VERSION

/* the name to FCALL for the library's function NAME (a string literal) */
#define CC_FN(name)  name "_" CC_FUNCTIONS_VERSION

/* a function name's most bytes: NAME, "_" and the version */
#define CC_FN_MAX  (64 + sizeof("_" CC_FUNCTIONS_VERSION))

extern const char cc_functions_lua[];

#endif /* CC_FUNCTIONS_H */
