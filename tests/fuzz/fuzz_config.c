/* libFuzzer target: suite (config) parsing, parameters included. */
#include "bench.h"
#include "cli.h"

#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	nb_suite_parse((const char *)data, size);
	return 0;
}
