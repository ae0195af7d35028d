/* Unit tests of the command line (harness/cli): every command of the one table answers --help,
 * -h and `help CMD` with exit 0 and changes nothing; the man page's SYNOPSIS lists exactly the
 * table's commands; every long option of the table is in the man page and the README. Run from
 * the source tree (make unit). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "cli/cli.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* nb_cli_main(argv) in a child with stdout and stderr on /dev/null: its exit status. */
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
		dup2(fd, 1);
		dup2(fd, 2);
		_exit(nb_cli_main(argc, argv));
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
		for (const struct nb_cli_opt *o = c->opts; o && o->flag; o++) {
			for (const char *p = strstr(o->flag, "--"); p; p = strstr(p + 2, "--")) {
				char opt[64];
				size_t n = strcspn(p, " ,=");
				snprintf(opt, sizeof(opt), "%.*s", (int)n, p);
				if (!strstr(text, opt))
					fail_msg("%s does not mention %s %s", what, c->name, opt);
			}
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_command_answers_help),
	    cmocka_unit_test(test_man_synopsis_is_the_table),
	    cmocka_unit_test(test_options_documented),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
