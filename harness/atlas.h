/* numabench: the kernel atlas (`numabench atlas`); its run is harness/guest/atlas.c, its
 * report analysis/atlas_report.c (`numabench atlas-report`). */
#ifndef NB_ATLAS_H
#define NB_ATLAS_H

#include <jansson.h>
#include <stdbool.h>

struct nb_atlas_opts {
	const char *kernels; /* 6.1,6.12 | all | PACKAGE,... | PATH,... */
	const char *out;     /* NULL: results/atlas-STAMP.json */
	const char *cache;   /* NULL: the guest runner's cache */
	const char *force;   /* proc_mem.force_override modes, "always" by default */
	unsigned timeout;    /* per guest, seconds */
	bool no_tier, fresh;
};

/* Boot every selected kernel, write the atlas. An enum nb_exit: NB_EXIT_OK when the atlas
 * was written (kernels that failed are entries with their reason), NB_EXIT_USAGE, NB_EXIT_ENV,
 * NB_EXIT_INTERRUPTED. */
int nb_atlas_run(const struct nb_atlas_opts *o);

/* For tests: config-* facts (NULL text: NULL), and whether the console shows the kernel knows
 * a boot parameter (1; 0 it named it unknown; -1 cannot tell). */
json_t *nb_atlas_config_facts(const char *text);
int nb_atlas_console_has_param(const char *console, const char *param);

#endif
