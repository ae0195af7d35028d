/* libFuzzer target: the `run` command line (options, --set, targets), parsed, never run.
 * The input is split on NUL bytes into arguments. */
#include "bench.h"
#include "cli.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *argv[34];
	memcpy(buf, data, size);
	buf[size] = 0;
	int argc = 0;
	argv[argc++] = "run";
	for (size_t i = 0; i < size && argc < 33;) {
		argv[argc++] = buf + i;
		i += strlen(buf + i) + 1;
	}
	argv[argc] = NULL;
	nb_run_parse(argc, argv);
	free(buf);
	return 0;
}
