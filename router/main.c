#include <stdio.h>
#include "cc_functions.h"
int main(void) { puts(cc_functions_lua); return 0; }
