/* numabench: child processes that never outlive numabench. */
#ifndef NB_CHILD_H
#define NB_CHILD_H

#include "nb.h"
#include <sys/types.h>

/*
 * Fork a child that runs fn(arg) and _exits with its return value. The child gets
 * PR_SET_PDEATHSIG(SIGKILL) (checked against a parent that died before the prctl) and is
 * recorded, so nb_children_kill_all() (called on every exit path) reaps it.
 * Returns the pid or -1.
 */
pid_t nb_child_spawn(int (*fn)(void *arg), void *arg);
/* SIGKILL + waitpid one child; returns its wait status. */
int nb_child_kill(pid_t pid);
/* Wait for a child to exit; returns its exit code, or -1 (killed by a signal). */
int nb_child_wait(pid_t pid);
void nb_children_kill_all(void);
/* The child pid has exited (or is no child of ours) without reaping it: waitid WNOWAIT, so a
 * later nb_child_wait or nb_child_kill still gets its status. */
bool nb_child_gone(pid_t pid);

/* Wait for any child; its exit code, 128+signal when a signal ended it, -1 on error. */
int nb_child_wait_status(pid_t pid);
/*
 * Run the program argv (execvp, never a shell) in cwd (NULL: here) and wait for it; its stdout
 * and stderr go into out (truncated to outlen-1 bytes, NUL-ended), stdin is /dev/null.
 * Returns the exit status, 128+signal, 126 when cwd failed, 127 when it could not start, -1
 * when fork or pipe failed.
 */
int nb_run_capture(char *const argv[], const char *cwd, char *out, size_t outlen);
/*
 * Start the program argv in a process group of its own, with PR_SET_PDEATHSIG(SIGKILL) (it dies
 * with numabench), stdin /dev/null, stdout and stderr into the file log. Not tracked by
 * nb_children_kill_all: the caller reaps it (waitpid, nb_child_kill_group). Pid or -1.
 */
pid_t nb_child_exec_group(char *const argv[], const char *log);
/* SIGTERM the group of pid, SIGKILL it after grace_ms, and reap pid. */
void nb_child_kill_group(pid_t pid, unsigned grace_ms);

#endif
