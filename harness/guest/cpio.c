/* numabench guest runner: the newc (SVR4, "070701") cpio writer the kernel unpacks as an
 * initramfs. Directories are emitted once, before the first entry beneath them. */
#include "guest_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void cpio_pad(FILE *f, long upto)
{
	long pos = ftell(f);
	while (pos++ % upto)
		fputc(0, f);
}

static void cpio_hdr(struct cpio *c, const char *name, uint32_t mode, uint32_t size)
{
	uint32_t nlen = (uint32_t)strlen(name) + 1;
	fprintf(c->f, "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X", ++c->ino, mode,
		0u, 0u, S_ISDIR(mode) ? 2u : 1u, 0u, size, 0u, 0u, 0u, 0u, nlen, 0u);
	fwrite(name, 1, nlen, c->f);
	cpio_pad(c->f, 4);
}

static void cpio_dirs(struct cpio *c, const char *name)
{
	char dir[256];
	for (const char *p = strchr(name, '/'); p; p = strchr(p + 1, '/')) {
		snprintf(dir, sizeof(dir), "%.*s", (int)(p - name), name);
		bool seen = false;
		for (int i = 0; i < c->ndirs && !seen; i++)
			seen = !strcmp(c->dirs[i], dir);
		if (seen || c->ndirs == 64)
			continue;
		snprintf(c->dirs[c->ndirs++], sizeof(c->dirs[0]), "%s", dir);
		cpio_hdr(c, dir, S_IFDIR | 0755, 0);
	}
}

static int cpio_file(struct cpio *c, const char *name, const char *src, unsigned perm)
{
	int fd = open(src, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) || st.st_size > UINT32_MAX) {
		if (fd >= 0)
			close(fd);
		nb_err("guest: cannot read %s: %s", src, strerror(errno));
		return -1;
	}
	cpio_hdr(c, name, S_IFREG | perm, (uint32_t)st.st_size);
	fflush(c->f);
	int rc = copy_fd(fd, fileno(c->f));
	close(fd);
	fseek(c->f, 0, SEEK_END);
	cpio_pad(c->f, 4);
	return rc;
}

int cpio_ent(struct cpio *c, const struct ent *e)
{
	cpio_dirs(c, e->name);
	if (e->kind == ENT_FILE)
		return cpio_file(c, e->name, e->src, e->perm);
	uint32_t mode = (e->kind == ENT_LINK ? S_IFLNK : S_IFREG) | e->perm;
	cpio_hdr(c, e->name, mode, (uint32_t)strlen(e->data));
	fputs(e->data, c->f);
	cpio_pad(c->f, 4);
	return 0;
}

int cpio_finish(struct cpio *c)
{
	cpio_hdr(c, "TRAILER!!!", 0, 0);
	cpio_pad(c->f, 512);
	int rc = ferror(c->f) ? -1 : 0;
	return fclose(c->f) || rc ? -1 : 0;
}

int cpio_write(const char *path, const struct manifest *m)
{
	struct cpio c = {.f = fopen(path, "wbe")};
	if (!c.f)
		return -1;
	for (int i = 0; i < m->n; i++) {
		if (cpio_ent(&c, &m->v[i])) {
			fclose(c.f);
			return -1;
		}
	}
	return cpio_finish(&c);
}
