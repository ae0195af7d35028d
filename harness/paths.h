/* numabench: where numabench finds its data (configs/, configs/guests/, harness/initramfs/). */
#ifndef NB_PATHS_H
#define NB_PATHS_H

/*
 * The data folder: the first of these that holds configs/guests/
 *   1. $NUMABENCH_DATA
 *   2. the folder of the numabench binary (a source or build tree)
 *   3. BINDIR/../share/numabench (an installed tree, wherever it was moved)
 *   4. NB_DATADIR (PREFIX/share/numabench, fixed at build time)
 *   5. the current folder
 * as an absolute path (static storage), or NULL when none does.
 */
const char *nb_data_dir(void);

/*
 * The suites folder (configs/NAME.json): $NUMABENCH_CONFIGS when set; else configs/ of
 * $NUMABENCH_DATA when that is a data folder; else configs/ beside the binary when readable;
 * else configs/ of nb_data_dir(); else NB_DATADIR/configs. `run`, `list`
 * and the guest runner (which copies the suites into the guest) all use this one.
 */
const char *nb_configs_dir(void);

#endif
