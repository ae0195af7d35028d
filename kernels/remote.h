/* numabench: remote-access inner loops. A reader touches another process's pages through one
 * of the kernel's get_user_pages paths, one page at a time, over a page list. No policy: the
 * caller holds the rights, has frozen (or ptrace-stopped) the target and chose the pages. */
#ifndef NB_REMOTE_H
#define NB_REMOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum nb_rpath {
	NB_RP_PVM_READ,	 /* process_vm_readv */
	NB_RP_PVM_WRITE, /* process_vm_writev */
	NB_RP_MEM_READ,	 /* pread on /proc/PID/mem */
	NB_RP_MEM_WRITE, /* pwrite on /proc/PID/mem */
	NB_RP_PEEK,	 /* PTRACE_PEEKDATA */
	NB_RP_POKE,	 /* PTRACE_POKEDATA */
	NB_RP_COUNT
};

struct nb_rpath_desc {
	const char *name; /* JSON name of the path */
	bool write;
	bool memfd;  /* needs /proc/PID/mem open (O_RDWR) in nb_remote.memfd */
	bool ptrace; /* needs an attached, ptrace-stopped tracee */
	/* Bytes moved per page access: 0 means a whole page; ptrace moves one word. */
	size_t bytes;
};
extern const struct nb_rpath_desc nb_rpaths[NB_RP_COUNT];

struct nb_remote {
	pid_t pid;
	int memfd;     /* /proc/PID/mem, or -1 */
	char *scratch; /* page-sized local buffer: sink of reads, source of writes */
	size_t page;   /* base page size */
};

/* A transfer that moved fewer bytes than asked, without an errno. */
#define NB_RSHORT (-1)

/* Bytes one access of path p moves on r. */
size_t nb_remote_bytes(enum nb_rpath p, const struct nb_remote *r);
/* One access at addr: 0, an errno value, or NB_RSHORT. errno is preserved. */
int nb_remote_access(enum nb_rpath p, const struct nb_remote *r, uintptr_t addr);
/*
 * Access each page of addrs[0..n) in order. When ns is not NULL, ns[i] is clock() after
 * minus before page i (the caller supplies the clock: kernels hold no timing policy).
 * Stops at the first failing page: returns the number of pages done and sets *err to the
 * failure (as nb_remote_access), or to 0 when every page was done.
 */
size_t nb_remote_pass(enum nb_rpath p, const struct nb_remote *r, const uintptr_t *addrs, size_t n,
		      uint64_t (*clock)(void), uint64_t *ns, int *err);

#endif
