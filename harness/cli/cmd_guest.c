/* numabench guest: its command line (options, usage); the run itself is nb_guest_run. */
#include "guest.h"
#include "nb.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#define G_MAX_ARGS 256

static const char guest_usage[] =
    "usage: numabench guest [--arch x86_64|arm64] [--kernel 6.1|6.12|PATH] [--topology NAME|FILE]\n"
    "                       [--append ARGS] [--icount] [--timeout SEC] [--keep] [-o FILE]\n"
    "                       -- ARGS...\n"
    "\n"
    "Boot a QEMU NUMA guest and run `numabench ARGS` inside it (default ARGS: run quick).\n"
    "  --arch       x86_64 (default: qemu-system-x86_64 -M q35) or arm64 (qemu-system-aarch64\n"
    "               -M virt -cpu max, device-tree NUMA, the PMU of -cpu max; the guest runs\n"
    "               build/arm64/numabench, see make ARCH=arm64)\n"
    "  --kernel     6.1 or 6.12 (Debian bookworm packages, fetched once with apt-get download\n"
    "               into the cache, never installed), or the path of a bzImage (x86_64) or an\n"
    "               arm64 Image (default 6.1)\n"
    "  --icount     arm64: -icount shift=0, one instruction per emulated ns: the PMU's\n"
    "               instructions count is exact (the default TCG counts none)\n"
    "  --topology   NAME of configs/guests/NAME.json, or a FILE (default 2node)\n"
    "  --append     extra kernel command line, e.g. numa_balancing=disable (repeatable)\n"
    "  --timeout    seconds before a hung guest is killed (default 600)\n"
    "  --keep       keep the work folder (initrd, channel, QEMU log) and print its path\n"
    "  --script F   run the shell script F inside the guest (sh F ARGS, in numabench's folder)\n"
    "               instead of numabench; the JSON files it writes come back as results\n"
    "  -o FILE      the JSON the guest run wrote (default results/guest-TOPO-KERNEL-STAMP.json);\n"
    "               the guest console goes to FILE.console.log\n"
    "Exit status: the guest run's; 2 bad arguments; 6 the guest did not boot, hung or\n"
    "returned no results. Environment: NUMABENCH_CACHE, NUMABENCH_ACCEL=tcg|kvm|auto,\n"
    "NUMABENCH_QEMU, NUMABENCH_DATA, NUMABENCH_GUEST_BINARY.\n";

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

static int opt_bad(int c, char **argv)
{
	nb_err("guest: %s %s (valid: --arch, --kernel, --topology, --append, --icount, --timeout, "
	       "--keep, -o, then -- ARGS)",
	       c == ':' ? "missing value for" : "unknown option", argv[optind - 1]);
	return NB_EXIT_USAGE;
}

/* Returns -1 to go on, or an exit code. */
static int parse_opts(int argc, char **argv, struct nb_guest_opts *o)
{
	static const struct option lo[] = {
	    {"kernel", required_argument, NULL, 'k'}, {"topology", required_argument, NULL, 't'},
	    {"append", required_argument, NULL, 'a'}, {"timeout", required_argument, NULL, 'T'},
	    {"keep", no_argument, NULL, 'K'},	      {"script", required_argument, NULL, 'S'},
	    {"output", required_argument, NULL, 'o'}, {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},	      {"arch", required_argument, NULL, 'A'},
	    {"icount", no_argument, NULL, 'I'},	      {NULL, 0, NULL, 0}};
	int c;
	*o = (struct nb_guest_opts){
	    .kernel = "6.1", .topology = "2node", .timeout = NB_GUEST_DEFAULT_TIMEOUT};
	optind = 0; /* GNU: full reinitialization, main may have used getopt */
	opterr = 0;
	/* '+': the guest's arguments start at the first non-option (or after --). */
	while ((c = getopt_long(argc, argv, "+:o:vh", lo, NULL)) != -1) {
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
			fputs(guest_usage, stdout);
			return NB_EXIT_OK;
		default:
			return opt_bad(c, argv);
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
