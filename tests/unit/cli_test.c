/* Unit tests of the command line (cli): every command of the one table answers --help,
 * -h and `help CMD` with exit 0 and changes nothing; the man page's SYNOPSIS lists exactly the
 * table's commands; the man page's OPTIONS of each command are exactly its option table; every
 * option of every command is read by getopt in each spelling (-x V, -xV, --long V, --long=V),
 * and -h anywhere among a command's options is help, never a value or an operand, and restores
 * no journal. Run from the source tree (make unit). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "cli.h"

#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char cli_stdout[] = "/tmp/nb-cli-test-stdout.XXXXXX";
/* Whether cli_stdout names a made file (mkstemp may end the name with an X: 1 in 62). */
static bool cli_stdout_made;

/* nb_cli_main(argv) in a child with stdout in cli_stdout (when set up) and stderr on
 * /dev/null: its exit status. */
static int run_cli(char **argv)
{
	int argc = 0;
	while (argv[argc])
		argc++;
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);
		int out = cli_stdout_made ? open(cli_stdout, O_WRONLY | O_TRUNC) : fd;
		dup2(out, 1);
		dup2(fd, 2);
		int rc = nb_cli_main(argc, argv);
		fflush(NULL);
		_exit(rc);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void test_every_command_answers_help(void **state)
{
	(void)state;
	char journal[] = "/tmp/nb-cli-test-journal.XXXXXX";
	int fd = mkstemp(journal);
	assert_true(fd >= 0);
	close(fd);
	unlink(journal); /* a path with nothing at it: --help must not create it */
	setenv("NUMABENCH_JOURNAL", journal, 1);
	int n = 0;
	for (const struct nb_cli_cmd *c = nb_cli_cmds; c->name; c++, n++) {
		char *name = (char *)c->name;
		char *help[] = {"numabench", name, "--help", NULL};
		char *h[] = {"numabench", name, "-h", NULL};
		char *helpcmd[] = {"numabench", "help", name, NULL};
		char *late[] = {"numabench", name, "x.json", "--help", NULL};
		assert_int_equal(run_cli(help), 0);
		assert_int_equal(run_cli(h), 0);
		assert_int_equal(run_cli(helpcmd), 0);
		if (!(c->flags & NB_CLI_PASSTHRU))
			assert_int_equal(run_cli(late), 0);
		assert_int_equal(access(journal, F_OK), -1);
	}
	assert_true(n >= 11);
	char *bare[] = {"numabench", NULL};
	char *ver[] = {"numabench", "--version", NULL};
	char *unknown[] = {"numabench", "frobnicate", NULL};
	char *norun[] = {"numabench", "run", NULL};
	assert_int_equal(run_cli(bare), 0);
	assert_int_equal(run_cli(ver), 0);
	assert_int_equal(run_cli(unknown), 2);
	assert_int_equal(run_cli(norun), 2);
	unsetenv("NUMABENCH_JOURNAL");
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	static char buf[1 << 18];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	/* roff escapes: "\-" is "-", "\fB" and friends go */
	char *out = strdup(buf), *o = out;
	for (const char *p = buf; *p; p++) {
		if (p[0] == '\\' && p[1] == '-') {
			*o++ = '-';
			p++;
		} else if (p[0] == '\\' && p[1] == 'f' && p[2]) {
			p += 2;
		} else {
			*o++ = *p;
		}
	}
	*o = 0;
	return out;
}

static void test_man_synopsis_is_the_table(void **state)
{
	(void)state;
	char *man = slurp("man/numabench.1");
	char *syn = strstr(man, ".SH SYNOPSIS\n");
	assert_non_null(syn);
	char *end = strstr(syn + 1, "\n.SH ");
	assert_non_null(end);
	*end = 0;
	bool seen[64] = {0};
	int listed = 0;
	for (char *l = strtok(syn, "\n"); l; l = strtok(NULL, "\n")) {
		char word[64];
		if (sscanf(l, ".B numabench %63s", word) != 1)
			continue;
		const struct nb_cli_cmd *c = nb_cli_find(word);
		if (!c)
			fail_msg("man SYNOPSIS lists \"%s\", which is not in the command table",
				 word);
		seen[c - nb_cli_cmds] = true;
		listed++;
	}
	for (const struct nb_cli_cmd *c = nb_cli_cmds; c->name; c++)
		if (!seen[c - nb_cli_cmds])
			fail_msg("man SYNOPSIS does not list \"%s\"", c->name);
	assert_true(listed > 0);
	free(man);
}

/* Each "--long" of the table's option spellings is in text. */
static void check_options_in(const char *what, const char *text)
{
	for (const struct nb_cli_cmd *c = nb_cli_cmds; c->name; c++) {
		for (const struct nb_cli_opt *o = c->opts; o && o->key; o++) {
			char opt[64];
			snprintf(opt, sizeof(opt), "--%s", o->lng ? o->lng : "");
			if (o->lng && !strstr(text, opt))
				fail_msg("%s does not mention %s %s", what, c->name, opt);
		}
		char sub[64];
		snprintf(sub, sizeof(sub), "numabench %s", c->name);
		if (!strstr(text, sub))
			fail_msg("%s does not mention \"%s\"", what, sub);
	}
}

static void test_options_documented(void **state)
{
	(void)state;
	char *man = slurp("man/numabench.1");
	check_options_in("man/numabench.1", man);
	assert_non_null(strstr(man, ".SH OPTIONS"));
	assert_non_null(strstr(man, ".SH ENVIRONMENT"));
	assert_non_null(strstr(man, ".SH EXAMPLES"));
	free(man);
	char *readme = slurp("README.md");
	check_options_in("README.md", readme);
	free(readme);
}

/* The spellings of option o with value "V" (or none), as argv words: up to 4 lines of 2. */
static int spellings(const struct nb_cli_opt *o, char lines[4][2][96])
{
	int n = 0;
	memset(lines, 0, 4 * 2 * 96);
	if (o->shrt && o->metavar) {
		snprintf(lines[n][0], 96, "-%c", o->key);
		snprintf(lines[n++][1], 96, "V");
		snprintf(lines[n++][0], 96, "-%cV", o->key);
	} else if (o->shrt) {
		snprintf(lines[n++][0], 96, "-%c", o->key);
	}
	if (o->lng && o->metavar) {
		snprintf(lines[n][0], 96, "--%s", o->lng);
		snprintf(lines[n++][1], 96, "V");
		snprintf(lines[n++][0], 96, "--%s=V", o->lng);
	} else if (o->lng) {
		snprintf(lines[n++][0], 96, "--%s", o->lng);
	}
	return n;
}

/* getopt with the tables built from each command's option table reads every spelling of every
 * option as that option with value V, and a following -h as help (not as an operand). */
static void test_every_option_spelling_parses(void **state)
{
	(void)state;
	int checked = 0;
	for (const struct nb_cli_cmd *c = nb_cli_cmds; c->name; c++) {
		struct nb_cli_getopt g;
		nb_cli_getopt_init(&g, c);
		for (const struct nb_cli_opt *o = c->opts; o && o->key; o++) {
			char lines[4][2][96];
			int n = spellings(o, lines);
			assert_true(n > 0);
			for (int i = 0; i < n; i++) {
				char *argv[5] = {(char *)c->name, lines[i][0], NULL, NULL, NULL};
				int argc = 2;
				if (lines[i][1][0])
					argv[argc++] = lines[i][1];
				argv[argc++] = "-h";
				nb_cli_getopt_reset();
				int k = getopt_long(argc, argv, g.optstring, g.lo, NULL);
				if (k != o->key)
					fail_msg("%s %s: getopt returned %d, not %d", c->name,
						 lines[i][0], k, o->key);
				if (o->metavar)
					assert_string_equal(optarg, "V");
				assert_int_equal(getopt_long(argc, argv, g.optstring, g.lo, NULL),
						 'h');
				assert_int_equal(getopt_long(argc, argv, g.optstring, g.lo, NULL),
						 -1);
				assert_int_equal(optind, argc);
				checked++;
			}
		}
		/* an option that is not in the table is refused */
		char *bad[] = {(char *)c->name, "--no-such-option", NULL};
		nb_cli_getopt_reset();
		assert_int_equal(getopt_long(2, bad, g.optstring, g.lo, NULL), '?');
	}
	nb_cli_getopt_reset();
	assert_true(checked >= 60);
}

/* numabench CMD [spelling] -h and -h [spelling] through the dispatcher: help on stdout, exit 0,
 * and a pending (empty) journal is neither restored nor touched. `restore` does remove it: the
 * probe can see a restore. */
static void test_help_anywhere_restores_nothing(void **state)
{
	(void)state;
	char journal[] = "/tmp/nb-cli-test-pending.XXXXXX";
	int fd = mkstemp(journal);
	assert_true(fd >= 0);
	close(fd);
	fd = mkstemp(cli_stdout);
	assert_true(fd >= 0);
	cli_stdout_made = true;
	close(fd);
	setenv("NUMABENCH_JOURNAL", journal, 1);
	for (const struct nb_cli_cmd *c = nb_cli_cmds; c->name; c++) {
		char want[64];
		snprintf(want, sizeof(want), "usage: numabench %s", c->name);
		for (const struct nb_cli_opt *o = c->opts; o && o->key; o++) {
			char lines[4][2][96];
			int n = spellings(o, lines);
			for (int i = 0; i < n; i++) {
				for (int where = 0; where < 2; where++) {
					char *argv[6] = {"numabench", (char *)c->name};
					int argc = 2;
					if (where == 0)
						argv[argc++] = "-h";
					argv[argc++] = lines[i][0];
					if (lines[i][1][0])
						argv[argc++] = lines[i][1];
					if (where == 1)
						argv[argc++] = "-h";
					argv[argc] = NULL;
					if (run_cli(argv) != 0)
						fail_msg("numabench %s %s ... -h: not exit 0",
							 c->name, lines[i][0]);
					char *out = slurp(cli_stdout);
					if (strncmp(out, want, strlen(want)))
						fail_msg("numabench %s %s -h: no help on stdout",
							 c->name, lines[i][0]);
					free(out);
					assert_int_equal(access(journal, F_OK), 0);
				}
			}
		}
	}
	char *restore[] = {"numabench", "restore", NULL};
	assert_int_equal(run_cli(restore), 0);
	assert_int_equal(access(journal, F_OK), -1);
	unlink(journal);
	unlink(cli_stdout);
	cli_stdout_made = false;
	memcpy(cli_stdout + sizeof(cli_stdout) - 7, "XXXXXX", 6);
	unsetenv("NUMABENCH_JOURNAL");
}

/* Does command c's option table hold the option spelled opt ("-o" or "--output")? */
static bool table_has(const struct nb_cli_cmd *c, const char *opt)
{
	if (!strcmp(opt, "-h") || !strcmp(opt, "--help"))
		return true;
	for (const struct nb_cli_opt *o = c->opts; o && o->key; o++) {
		if (opt[1] != '-' && o->shrt && opt[1] == o->key && !opt[2])
			return true;
		if (opt[1] == '-' && o->lng && !strcmp(opt + 2, o->lng))
			return true;
	}
	return false;
}

/* The man page's OPTIONS: a ".SS cmd, cmd" per group of commands, a ".TP" and a ".B/.BI/.BR"
 * line per option. Each option there is in the table of one of the section's commands, and each
 * option of every table is in a section that names its command. */
static void test_man_options_are_the_tables(void **state)
{
	(void)state;
	char *man = slurp("man/numabench.1");
	char *sec = strstr(man, ".SH OPTIONS\n");
	assert_non_null(sec);
	char *end = strstr(sec + 1, "\n.SH ");
	assert_non_null(end);
	*end = 0;
	static char found[64][32][40]; /* per command, the spellings the man page gives it */
	int nfound[64] = {0}, ncmd = 0;
	const struct nb_cli_cmd *in[64];
	int nin = 0;
	bool after_tp = false;
	for (const struct nb_cli_cmd *c = nb_cli_cmds; c->name; c++)
		ncmd++;
	for (char *l = strtok(sec, "\n"); l; l = strtok(NULL, "\n")) {
		if (!strncmp(l, ".SS ", 4)) {
			char *save;
			nin = 0;
			if (!strcmp(l + 4, "every command")) {
				for (const struct nb_cli_cmd *c = nb_cli_cmds; c->name; c++)
					in[nin++] = c;
				continue;
			}
			for (char *w = strtok_r(l + 4, ", ", &save); w;
			     w = strtok_r(NULL, ", ", &save)) {
				const struct nb_cli_cmd *c = nb_cli_find(w);
				if (!c)
					fail_msg("man OPTIONS: section for \"%s\", not a command",
						 w);
				in[nin++] = c;
			}
			continue;
		}
		if (!strcmp(l, ".TP")) {
			after_tp = true;
			continue;
		}
		if (!after_tp)
			continue;
		after_tp = false;
		assert_true(!strncmp(l, ".B", 2));
		for (char *p = strchr(l, '-'); p; p = strchr(p, '-')) {
			if (p > l && p[-1] != ' ' && p[-1] != '"')
				break; /* a dash inside a value: no more options */
			char opt[40];
			size_t n = strcspn(p, " \",=");
			snprintf(opt, sizeof(opt), "%.*s", (int)n, p);
			bool any = false;
			for (int i = 0; i < nin; i++)
				if (table_has(in[i], opt)) {
					any = true;
					int k = (int)(in[i] - nb_cli_cmds);
					if (nfound[k] < 32)
						snprintf(found[k][nfound[k]++], 40, "%s", opt);
				}
			if (!any)
				fail_msg("man OPTIONS lists %s for %s, not in its option table",
					 opt, in[0]->name);
			p += n;
		}
	}
	for (int k = 0; k < ncmd; k++) {
		const struct nb_cli_cmd *c = &nb_cli_cmds[k];
		for (const struct nb_cli_opt *o = c->opts; o && o->key; o++) {
			char lng[40], sh[4];
			snprintf(lng, sizeof(lng), "--%s", o->lng ? o->lng : "");
			snprintf(sh, sizeof(sh), "-%c", o->key);
			bool hl = !o->lng, hs = !o->shrt;
			for (int i = 0; i < nfound[k]; i++) {
				hl |= !strcmp(found[k][i], lng);
				hs |= !strcmp(found[k][i], sh);
			}
			if (!hl || !hs)
				fail_msg("man OPTIONS does not give %s %s", c->name, hl ? sh : lng);
		}
	}
	free(man);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_command_answers_help),
	    cmocka_unit_test(test_man_synopsis_is_the_table),
	    cmocka_unit_test(test_options_documented),
	    cmocka_unit_test(test_every_option_spelling_parses),
	    cmocka_unit_test(test_help_anywhere_restores_nothing),
	    cmocka_unit_test(test_man_options_are_the_tables),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
