/* numabench: results files (schema numabench.result/2; /1 read too). */
#ifndef NB_RESULTS_H
#define NB_RESULTS_H

#include "nb.h"
#include "topo.h"

/* A new result document: schema, tool, host, capabilities, topology; empty runs[]. */
/* {hostname, kernel, kernel_version, cmdline, cpu_model} of this host. */
json_t *nb_result_host(void);
json_t *nb_result_new(const struct nb_topo *t, const struct nb_caps *c, int argc, char **argv);
/* Atomic write: temp file in the same folder, fsync, rename; sorted keys.
 * Refuses to write through a symlink. 0 or -1 with a message in err. */
int nb_result_write(const char *path, json_t *doc, char *err, size_t errlen);
/* Largest results and config files read: a full suite's results are a few MB; configs
 * (suites, guest topologies) a few KB. */
#define NB_RESULT_MAX_BYTES (256ull << 20)
#define NB_CONFIG_MAX_BYTES (1ull << 20)
/* Parse the JSON file at path (regular files only, at most cap bytes, duplicate keys
 * refused). NULL with a one-line message in err. */
json_t *nb_json_load(const char *path, size_t cap, char *err, size_t errlen);
/* Read and validate the schema's major version. NULL with a message in err. */
json_t *nb_result_read(const char *path, char *err, size_t errlen);
/* Same on a buffer (fuzzing, tests). */
json_t *nb_result_parse(const char *buf, size_t len, char *err, size_t errlen);
/* Default output path results/HOST-UTCSTAMP.json (into buf). */
void nb_result_default_path(char *buf, size_t len);

#endif
