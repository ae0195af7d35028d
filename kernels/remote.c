/* numabench: remote-access inner loops (process_vm_readv/writev, /proc/PID/mem, ptrace).
 *
 * Each path reaches the target's pages through get_user_pages in the kernel, with its own
 * flags (Linux 6.1 and 6.12): process_vm_rw_pages() uses pin_user_pages_remote() without
 * FOLL_FORCE (mm/process_vm_access.c); mem_rw() uses access_remote_vm() with FOLL_FORCE
 * unless proc_mem.force_override says otherwise (fs/proc/base.c); PTRACE_PEEKDATA/POKEDATA use
 * ptrace_access_vm() with FOLL_FORCE (kernel/ptrace.c). What that does to NUMA hinting is
 * what the caller measures; this file only makes the accesses.
 */
#include "remote.h"

#include <errno.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <unistd.h>

const struct nb_rpath_desc nb_rpaths[NB_RP_COUNT] = {
    [NB_RP_PVM_READ] = {"process_vm_readv", false, false, false, 0},
    [NB_RP_PVM_WRITE] = {"process_vm_writev", true, false, false, 0},
    [NB_RP_MEM_READ] = {"proc_mem_pread", false, true, false, 0},
    [NB_RP_MEM_WRITE] = {"proc_mem_pwrite", true, true, false, 0},
    [NB_RP_PEEK] = {"ptrace_peek", false, false, true, sizeof(long)},
    [NB_RP_POKE] = {"ptrace_poke", true, false, true, sizeof(long)},
};

size_t nb_remote_bytes(enum nb_rpath p, const struct nb_remote *r)
{
	return nb_rpaths[p].bytes ? nb_rpaths[p].bytes : r->page;
}

/* 0 when n bytes of want moved, else an errno value or NB_RSHORT. */
static int moved(ssize_t n, size_t want)
{
	if (n < 0)
		return errno ? errno : EIO;
	return (size_t)n == want ? 0 : NB_RSHORT;
}

static int pvm(const struct nb_remote *r, uintptr_t addr, size_t len, bool write)
{
	struct iovec local = {r->scratch, len}, remote = {(void *)addr, len};
	ssize_t n = write ? process_vm_writev(r->pid, &local, 1, &remote, 1, 0)
			  : process_vm_readv(r->pid, &local, 1, &remote, 1, 0);
	return moved(n, len);
}

static int mem(const struct nb_remote *r, uintptr_t addr, size_t len, bool write)
{
	ssize_t n = write ? pwrite(r->memfd, r->scratch, len, (off_t)addr)
			  : pread(r->memfd, r->scratch, len, (off_t)addr);
	return moved(n, len);
}

/* PEEKDATA returns the word, so -1 is only an error when errno says so. */
static int peek(const struct nb_remote *r, uintptr_t addr)
{
	errno = 0;
	long v = ptrace(PTRACE_PEEKDATA, r->pid, (void *)addr, NULL);
	if (v == -1 && errno)
		return errno;
	memcpy(r->scratch, &v, sizeof(v));
	return 0;
}

static int poke(const struct nb_remote *r, uintptr_t addr)
{
	long v;
	memcpy(&v, r->scratch, sizeof(v));
	return ptrace(PTRACE_POKEDATA, r->pid, (void *)addr, (void *)v) ? errno : 0;
}

int nb_remote_access(enum nb_rpath p, const struct nb_remote *r, uintptr_t addr)
{
	int e = errno, rc;
	size_t len = nb_remote_bytes(p, r);
	switch (p) {
	case NB_RP_PVM_READ:
	case NB_RP_PVM_WRITE:
		rc = pvm(r, addr, len, nb_rpaths[p].write);
		break;
	case NB_RP_MEM_READ:
	case NB_RP_MEM_WRITE:
		rc = mem(r, addr, len, nb_rpaths[p].write);
		break;
	case NB_RP_PEEK:
		rc = peek(r, addr);
		break;
	case NB_RP_POKE:
		rc = poke(r, addr);
		break;
	default:
		rc = EINVAL;
	}
	errno = e;
	return rc;
}

size_t nb_remote_pass(enum nb_rpath p, const struct nb_remote *r, const uintptr_t *addrs, size_t n,
		      uint64_t (*clock)(void), uint64_t *ns, int *err)
{
	*err = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t t0 = ns ? clock() : 0;
		int rc = nb_remote_access(p, r, addrs[i]);
		if (ns)
			ns[i] = clock() - t0;
		if (rc) {
			*err = rc;
			return i;
		}
	}
	return n;
}
