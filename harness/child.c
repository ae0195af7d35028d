/* numabench: child processes, the one place that forks: functions run in a tracked child
 * (benches), programs run through fork/execvp with an argv array and never a shell (the guest
 * runner's apt-get, dpkg, ldd, QEMU), their reaping and their exit statuses. */
#include "child.h"
#include "tunables.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
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

int nb_child_wait_status(pid_t pid)
{
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* In a forked child: stdin from /dev/null, stdout and stderr into out_fd. */
static void child_stdio(int out_fd)
{
	int nul = open("/dev/null", O_RDONLY);
	if (nul >= 0)
		dup2(nul, 0);
	dup2(out_fd, 1);
	dup2(out_fd, 2);
}

int nb_run_capture(char *const argv[], const char *cwd, char *out, size_t outlen)
{
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC))
		return -1;
	pid_t pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (pid == 0) {
		child_stdio(pfd[1]);
		if (cwd && chdir(cwd))
			_exit(126);
		execvp(argv[0], argv);
		dprintf(2, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	size_t n = 0;
	char buf[4096];
	ssize_t r;
	while ((r = read(pfd[0], buf, sizeof(buf))) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break;
		size_t take = n + (size_t)r < outlen ? (size_t)r : outlen - 1 - n;
		memcpy(out + n, buf, take);
		n += take;
	}
	out[n] = 0;
	close(pfd[0]);
	return nb_child_wait_status(pid);
}

pid_t nb_child_exec_group(char *const argv[], const char *log)
{
	pid_t pid = fork();
	if (pid == 0) {
		setpgid(0, 0);
		/* If numabench dies, so does this child. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd >= 0)
			child_stdio(fd);
		execvp(argv[0], argv);
		dprintf(2, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	if (pid > 0)
		setpgid(pid, pid); /* also here: no window where the group does not exist */
	return pid;
}

void nb_child_kill_group(pid_t pid, unsigned grace_ms)
{
	kill(-pid, SIGTERM);
	for (unsigned waited = 0; waited < grace_ms; waited += 100) {
		if (waitpid(pid, NULL, WNOHANG) == pid) {
			kill(-pid, SIGKILL); /* anything it left in its group */
			return;
		}
		struct timespec ts = {0, 100000000};
		nanosleep(&ts, NULL);
	}
	kill(-pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

bool nb_child_gone(pid_t pid)
{
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT))
		return errno == ECHILD;
	return si.si_pid == pid;
}
