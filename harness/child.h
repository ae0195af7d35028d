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

#endif
