/* numabench: main(): signals, then the command table (commands.c). */
#include "child.h"
#include "cli.h"
#include "tunables.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

static void on_signal(int sig)
{
	(void)sig;
	if (nb_interrupted) /* second signal: give up at once, tunables already put back */
		_exit(NB_EXIT_INTERRUPTED);
	nb_interrupted = 1;
	nb_tunables_restore_signal();
	nb_children_kill_all();
}

static void install_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

int main(int argc, char **argv)
{
	nb_process_start_ns = nb_now_ns();
	install_signals();
	return nb_cli_main(argc, argv);
}
