/* numabench: the progress line on stderr, shown only on a terminal. */
#include "bench.h"

#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

static int progress_shown;

void nb_progress(const char *fmt, ...)
{
	if (!isatty(STDERR_FILENO))
		return;
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(stderr, "\r\033[K%s", buf);
	progress_shown = 1;
}

void nb_progress_done(void)
{
	if (progress_shown)
		fprintf(stderr, "\r\033[K");
	progress_shown = 0;
}
