/* numabench: the data and suites folders (paths.h), one resolver for every command. */
#include "paths.h"
#include "nb.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef NB_DATADIR
#define NB_DATADIR "/usr/local/share/numabench"
#endif

/* The folder of the running binary, or "". */
static void exe_dir(char *out, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", out, len - 1);
	out[n > 0 ? n : 0] = 0;
	char *slash = strrchr(out, '/');
	if (slash)
		*slash = 0;
}

static bool is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *nb_data_dir(void)
{
	static char dir[PATH_MAX];
	char exe[PATH_MAX], cand[5][PATH_MAX];
	exe_dir(exe, sizeof(exe));
	const char *env = getenv("NUMABENCH_DATA");
	snprintf(cand[0], PATH_MAX, "%s", env && *env ? env : "");
	snprintf(cand[1], PATH_MAX, "%s", exe);
	snprintf(cand[2], PATH_MAX, "%.4000s/../share/numabench", exe);
	snprintf(cand[3], PATH_MAX, "%s", NB_DATADIR);
	snprintf(cand[4], PATH_MAX, ".");
	for (int i = 0; i < 5; i++) {
		char guests[PATH_MAX + 32];
		snprintf(guests, sizeof(guests), "%s/configs/guests", cand[i]);
		if (cand[i][0] && is_dir(guests) && realpath(cand[i], dir))
			return dir;
	}
	return NULL;
}

const char *nb_configs_dir(void)
{
	static char dir[PATH_MAX + 16];
	char exe[PATH_MAX];
	const char *env = getenv("NUMABENCH_CONFIGS"), *data;
	if (env && *env)
		return env;
	env = getenv("NUMABENCH_DATA");
	if (env && *env && (data = nb_data_dir())) {
		snprintf(dir, sizeof(dir), "%s/configs", data);
		return dir;
	}
	exe_dir(exe, sizeof(exe));
	snprintf(dir, sizeof(dir), "%s/configs", exe);
	if (exe[0] && access(dir, R_OK) == 0)
		return dir;
	if ((data = nb_data_dir())) {
		snprintf(dir, sizeof(dir), "%s/configs", data);
		return dir;
	}
	return NB_DATADIR "/configs";
}
