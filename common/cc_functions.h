#ifndef CC_FUNCTIONS_H
#define CC_FUNCTIONS_H

/*
 * The Redis function library "callcenter" (common/callcenter.lua), loaded
 * with FUNCTION LOAD REPLACE by every module worker and every router when
 * it connects. Every exclusive step of the system is one FCALL into it.
 */
extern const char cc_functions_lua[];

#endif /* CC_FUNCTIONS_H */
