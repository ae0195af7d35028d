/* libFuzzer target: `report` and `compare` on an arbitrary results file, rendered in every
 * format. The first byte picks the format and the command; the rest is the file (a memfd, so
 * the real path through nb_json_load, the schema check, the analysis checks and the
 * renderers is taken). The rendered document goes to standard output (closed by
 * -close_fd_mask). */
#include "analysis.h"
#include "cli.h"
#include "nb.h"

#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const fmts[] = {"text", "md", "html"};
	if (size < 1)
		return 0;
	int fd = memfd_create("fuzz-results", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	if (write(fd, data + 1, size - 1) == (ssize_t)(size - 1)) {
		char path[64];
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		char *fmt = (char *)fmts[data[0] % 3];
		if (data[0] & 0x80) {
			char *argv[] = {"compare", path, path, "--format", fmt, NULL};
			nb_cmd_compare(5, argv);
		} else {
			char *argv[] = {"report", path, "--format", fmt, NULL};
			nb_cmd_report(4, argv);
		}
	}
	close(fd);
	return 0;
}
