/* libFuzzer target: the results reader (schema check) and the report/compare input path. */
#include "results.h"

#include <stdint.h>
#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];
	json_t *doc = nb_result_parse((const char *)data, size, err, sizeof(err));
	json_decref(doc);
	return 0;
}
