/* numabench counters: one counter's state that every part sets (why it is unavailable).
 * The parts depend on each other in one direction: counter <- perf <- set <- view, listing. */
#include "counters_int.h"

#include <stdarg.h>
#include <stdio.h>

void counter_unavailable(struct counter *k, int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(k->reason, sizeof(k->reason), fmt, ap);
	va_end(ap);
	k->err = err;
}
