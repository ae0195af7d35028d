/* numabench: child process control. */
#include "child.h"
#include "tunables.h"

#include <errno.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_CHILDREN 64
static pid_t children[MAX_CHILDREN];

static void track(pid_t pid, bool add)
{
	for (int i = 0; i < MAX_CHILDREN; i++)
		if (add ? children[i] == 0 : children[i] == pid) {
			children[i] = add ? pid : 0;
			return;
		}
}

pid_t nb_child_spawn(int (*fn)(void *arg), void *arg)
{
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent) /* parent died before the prctl took effect */
			_exit(127);
		nb_tunables_forget();
		signal(SIGINT, SIG_IGN); /* the parent decides when the child ends */
		signal(SIGHUP, SIG_IGN);
		_exit(fn(arg));
	}
	track(pid, true);
	return pid;
}

int nb_child_kill(pid_t pid)
{
	int st = 0;
	if (pid <= 0)
		return -1;
	kill(pid, SIGKILL);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	track(pid, false);
	return st;
}

int nb_child_wait(pid_t pid)
{
	int st = 0;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	track(pid, false);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

void nb_children_kill_all(void)
{
	for (int i = 0; i < MAX_CHILDREN; i++)
		if (children[i] > 0)
			nb_child_kill(children[i]);
}
