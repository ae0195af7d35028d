/* libFuzzer target: `fleet` over up to four arbitrary results files, rendered in every format.
 * The first byte picks the format; the rest is split into files at each "\x01\x01" (memfds,
 * so the real path through nb_json_load, the checks, the summaries, the classes, the
 * z-scores, the trends and the renderers is taken). Output goes to standard output (closed
 * by -close_fd_mask). */
#include "analysis.h"
#include "cli.h"
#include "nb.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MAX_FILES 4

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const fmts[] = {"text", "md", "html", "csv", "json"};
	char paths[MAX_FILES][64];
	char *argv[MAX_FILES + 4];
	int fds[MAX_FILES], n = 0, argc = 0;
	if (size < 1)
		return 0;
	const uint8_t *p = data + 1, *end = data + size;
	argv[argc++] = "fleet";
	while (n < MAX_FILES && p <= end) {
		const uint8_t *q = p;
		while (q + 1 < end && !(q[0] == 1 && q[1] == 1))
			q++;
		if (q + 1 >= end || n == MAX_FILES - 1)
			q = end;
		if ((fds[n] = memfd_create("fuzz-fleet", MFD_CLOEXEC)) < 0)
			break;
		if (write(fds[n], p, (size_t)(q - p)) != (ssize_t)(q - p)) {
			close(fds[n]);
			break;
		}
		snprintf(paths[n], sizeof(paths[n]), "/proc/self/fd/%d", fds[n]);
		argv[argc++] = paths[n];
		n++;
		p = q + 2;
	}
	argv[argc++] = "--format";
	argv[argc++] = (char *)fmts[data[0] % 5];
	argv[argc] = NULL;
	nb_cmd_fleet(argc, argv);
	for (int i = 0; i < n; i++)
		close(fds[i]);
	return 0;
}
