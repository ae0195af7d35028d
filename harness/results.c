/* numabench: results documents, atomic writes and a schema-checking reader. */
#include "results.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#ifndef NB_GIT_COMMIT
#define NB_GIT_COMMIT "unknown"
#endif

json_t *nb_result_host(void)
{
	struct utsname u;
	char cmdline[4096] = "", model[256] = "", line[512], host[256] = "";
	uname(&u);
	gethostname(host, sizeof(host) - 1);
	nb_read_file("/proc/cmdline", cmdline, sizeof(cmdline));
	FILE *f = nb_sys_fopen("/proc/cpuinfo");
	while (f && fgets(line, sizeof(line), f)) {
		char *c = strchr(line, ':');
		if (!strncmp(line, "model name", 10) && c) {
			snprintf(model, sizeof(model), "%s", c + 2);
			model[strcspn(model, "\n")] = 0;
			break;
		}
	}
	if (f)
		fclose(f);
	return json_pack("{s:s,s:s,s:s,s:s,s:s}", "hostname", host, "kernel", u.release,
			 "kernel_version", u.version, "cmdline", cmdline, "cpu_model", model);
}

static json_t *tool_json(int argc, char **argv)
{
	json_t *args = json_array();
	for (int i = 0; i < argc; i++)
		json_array_append_new(args, json_string(argv[i]));
	return json_pack("{s:s,s:s,s:s,s:o}", "version", NB_VERSION, "git_commit", NB_GIT_COMMIT,
			 "compiler", __VERSION__, "argv", args);
}

json_t *nb_result_new(const struct nb_topo *t, const struct nb_caps *c, int argc, char **argv)
{
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_t *host = nb_result_host();
	json_object_set_new(host, "virtualization", json_string(c->virt));
	/* Whether timings are measurements (nb_timing_detect); the runner sets the flag too. */
	json_object_set_new(host, "accel", json_string(c->accel));
	json_object_set_new(host, "timing_emulated", json_boolean(c->timing_emulated));
	json_object_set_new(host, "timing_source", json_string(c->timing_source));
	json_object_set_new(host, "timing_reason", json_string(c->timing_reason));
	return json_pack("{s:s,s:o,s:o,s:o,s:o,s:s,s:o,s:o}", "schema", NB_SCHEMA, "tool",
			 tool_json(argc, argv), "host", host, "capabilities", nb_caps_json(c),
			 "topology", nb_topo_json(t), "started", stamp, "runs", json_array(),
			 "tunables", json_object());
}

int nb_result_write(const char *path, json_t *doc, char *err, size_t errlen)
{
	char *text = json_dumps(doc, JSON_INDENT(1) | JSON_SORT_KEYS | JSON_REAL_PRECISION(10));
	if (!text) {
		snprintf(err, errlen, "cannot write results to %s: %s", path, strerror(ENOMEM));
		return -1;
	}
	size_t len = strlen(text);
	char *full = realloc(text, len + 2);
	if (full) {
		memcpy(full + len, "\n", 2);
		len++;
	} else
		full = text;
	int rc = nb_write_atomic(path, full, len);
	int e = errno;
	free(full);
	if (rc && e == ELOOP)
		snprintf(err, errlen, "results path %s is a symlink: refusing to write through it",
			 path);
	else if (rc)
		snprintf(err, errlen, "cannot write results to %s: %s", path, strerror(e));
	return rc;
}

static json_t *check_schema(json_t *doc, const char *what, char *err, size_t errlen)
{
	const char *schema = json_string_value(json_object_get(doc, "schema"));
	if (!json_is_object(doc) || !schema) {
		snprintf(err, errlen, "%s: not a numabench result (no \"schema\" field)", what);
		json_decref(doc);
		return NULL;
	}
	const char *slash = strrchr(schema, '/');
	char *end = NULL;
	long major = slash ? strtol(slash + 1, &end, 10) : -1;
	if (!slash || strncmp(schema, "numabench.result/", 17) || end == slash + 1 ||
	    (*end && *end != '.')) {
		snprintf(err, errlen, "%s: unknown schema \"%s\" (expected %s)", what, schema,
			 NB_SCHEMA);
		json_decref(doc);
		return NULL;
	}
	if (major < NB_SCHEMA_OLDEST_MAJOR || major > NB_SCHEMA_MAJOR) {
		snprintf(
		    err, errlen,
		    "%s: schema \"%s\" has major version %ld; this numabench reads majors %d-%d",
		    what, schema, major, NB_SCHEMA_OLDEST_MAJOR, NB_SCHEMA_MAJOR);
		json_decref(doc);
		return NULL;
	}
	if (!json_is_array(json_object_get(doc, "runs"))) {
		snprintf(err, errlen, "%s: \"runs\" is missing or not an array", what);
		json_decref(doc);
		return NULL;
	}
	return doc;
}

json_t *nb_result_parse(const char *buf, size_t len, char *err, size_t errlen)
{
	json_error_t je;
	json_t *doc = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	if (!doc) {
		snprintf(err, errlen, "input: invalid JSON at line %d column %d: %s", je.line,
			 je.column, je.text);
		return NULL;
	}
	return check_schema(doc, "input", err, errlen);
}

json_t *nb_json_load(const char *path, size_t cap, char *err, size_t errlen)
{
	size_t len;
	char *buf = nb_read_all(path, cap, &len);
	if (!buf) {
		int e = errno;
		struct stat st;
		char s[32], c[32];
		nb_fmt_size(cap, c, sizeof(c));
		if (e == EFBIG && stat(path, &st) == 0) {
			nb_fmt_size((uint64_t)st.st_size, s, sizeof(s));
			snprintf(err, errlen, "%s is %s; numabench reads JSON files up to %s", path,
				 s, c);
		} else
			snprintf(err, errlen, "cannot read %s: %s", path,
				 e == EISDIR   ? "it is a directory"
				 : e == EINVAL ? "not a regular file"
					       : strerror(e));
		return NULL;
	}
	json_error_t je;
	json_t *doc = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	free(buf);
	if (!doc)
		snprintf(err, errlen, "%s: invalid JSON at line %d column %d: %s", path, je.line,
			 je.column, je.text);
	return doc;
}

json_t *nb_result_read(const char *path, char *err, size_t errlen)
{
	json_t *doc = nb_json_load(path, NB_RESULT_MAX_BYTES, err, errlen);
	return doc ? check_schema(doc, path, err, errlen) : NULL;
}

void nb_result_default_path(char *buf, size_t len)
{
	char host[128] = "host", stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	gethostname(host, sizeof(host) - 1);
	for (char *p = host; *p; p++)
		if (*p == '/' || *p == '.')
			*p = '_';
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(buf, len, "results/%s-%s.json", host, stamp);
}
