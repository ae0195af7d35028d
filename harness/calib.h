/* numabench: the plan's estimates calibrated by this host's own earlier results. */
#ifndef NB_CALIB_H
#define NB_CALIB_H

#include <jansson.h>

/*
 * What earlier runs on this host measured: the newest results files (at most 16, by mtime) of
 * dir (NUMABENCH_CALIBRATION, default "results"; "off": none) whose host (hostname, kernel,
 * cpu model) is this one and whose topology is live. Returns an array of {bench,
 * params_canonical, duration_s, estimate_model_s, file}, newest first: runs that were neither
 * skipped nor failed nor cut by a budget nor interrupted. Never NULL; reads only.
 */
json_t *nb_calib_load(const char *dir);
/* The directory nb_calib_load reads by default, NULL when calibration is off. */
const char *nb_calib_dir(void);

/*
 * The estimate of one bench with these canonical parameters: with a plan (model_s >= 0),
 * model_s x (measured / model) of the newest matching run; without one (model_s < 0), that
 * run's measured duration. Where three runs match, the median of the newest three's figures
 * instead (one run on a busy machine does not set the estimate). *info (new reference, or NULL
 * when nothing matched, then the model's figure, or -1, comes back): {file, measured_s,
 * model_s (of the newest), factor (the one used), runs (how many figures)}.
 */
double nb_calib_estimate(json_t *calib, const char *bench, json_t *canon, double model_s,
			 json_t **info);

#endif
