/* numabench guest: its command line (options, usage); the run itself is nb_guest_run. */
#include "cli.h"
#include "guest.h"
#include "nb.h"

#include <stdio.h>
#include <string.h>

#define G_MAX_ARGS 256

static int opt_timeout(const char *s, unsigned *out)
{
	uint64_t v;
	if (nb_parse_u64(s, &v) || v < 1 || v > 86400) {
		nb_err("guest: --timeout %s is not valid (valid: 1..86400 seconds)", s);
		return -1;
	}
	*out = (unsigned)v;
	return 0;
}

static int opt_append(const char *s, char *buf, size_t len)
{
	size_t used = strlen(buf);
	if (strpbrk(s, "\n\r") || used + strlen(s) + 2 > len) {
		nb_err("guest: --append \"%.60s\" is not valid (valid: one line, %zu characters in "
		       "all)",
		       s, len - 2);
		return -1;
	}
	snprintf(buf + used, len - used, "%s%s", used ? " " : "", s);
	return 0;
}

/* The guest's arguments travel one per line in /nb/args: no newlines. */
static int check_gargs(int argc, char **argv)
{
	size_t total = 0;
	for (int i = 0; i < argc; i++) {
		total += strlen(argv[i]) + 1;
		if (strchr(argv[i], '\n')) {
			nb_err("guest: guest argument %d contains a newline (not valid)", i + 1);
			return -1;
		}
	}
	if (argc > G_MAX_ARGS || total > 65536) {
		nb_err("guest: too many guest arguments (valid: at most %d, 64K in all)",
		       G_MAX_ARGS);
		return -1;
	}
	return 0;
}

/* Returns -1 to go on, or an exit code. */
static int parse_opts(int argc, char **argv, struct nb_guest_opts *o)
{
	const struct nb_cli_cmd *cmd = nb_cli_find("guest");
	struct nb_cli_getopt g;
	nb_cli_getopt_init(&g, cmd);
	int c;
	*o = (struct nb_guest_opts){
	    .kernel = "6.1", .topology = "2node", .timeout = NB_GUEST_DEFAULT_TIMEOUT};
	nb_cli_getopt_reset();
	/* '+' (PASSTHRU): the guest's arguments start at the first non-option (or after --). */
	while ((c = getopt_long(argc, argv, g.optstring, g.lo, NULL)) != -1) {
		switch (c) {
		case 'k':
			o->kernel = optarg;
			break;
		case 't':
			o->topology = optarg;
			break;
		case 'o':
			o->out = optarg;
			break;
		case 'a':
			if (opt_append(optarg, o->append, sizeof(o->append)))
				return NB_EXIT_USAGE;
			break;
		case 'T':
			if (opt_timeout(optarg, &o->timeout))
				return NB_EXIT_USAGE;
			break;
		case 'K':
			o->keep = true;
			break;
		case 'A':
			if (strcmp(optarg, "x86_64") && strcmp(optarg, "arm64")) {
				nb_err("guest: --arch %s is not valid (valid: x86_64, arm64)",
				       optarg);
				return NB_EXIT_USAGE;
			}
			o->arm64 = !strcmp(optarg, "arm64");
			break;
		case 'I':
			o->icount = true;
			break;
		case 'S':
			o->script = optarg;
			break;
		case 'v':
			nb_verbose++;
			break;
		case 'h':
			nb_cli_help(cmd, stdout);
			return NB_EXIT_OK;
		default:
			return nb_cli_bad_opt(cmd, &g, c, argv);
		}
	}
	if (o->icount && !o->arm64) {
		nb_err("guest: --icount is not valid with --arch x86_64 (valid: with --arch arm64, "
		       "whose emulated PMU counts instructions)");
		return NB_EXIT_USAGE;
	}
	o->gargc = argc - optind;
	o->gargv = argv + optind;
	return check_gargs(o->gargc, o->gargv) ? NB_EXIT_USAGE : -1;
}

int nb_cmd_guest(int argc, char **argv)
{
	struct nb_guest_opts o;
	int rc = parse_opts(argc, argv, &o);
	return rc < 0 ? nb_guest_run(&o) : rc;
}
