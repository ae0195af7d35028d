/* numabench guest runner: files and folders (checked path formatting, mkdir -p, rm -rf,
 * copies) and the cache folder with its lock. */
#include "guest_int.h"
#include "paths.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <ftw.h>
#include <sys/file.h>
#include <time.h>

int path_fmt(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* snprintf that reports truncation, for paths. */
int path_fmt(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len) {
		nb_err("path too long: %.80s...", buf);
		return -1;
	}
	return 0;
}

bool nb_guest_is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

bool is_file(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

int mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -1;
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(buf, mode) && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(buf, mode) && errno != EEXIST ? -1 : 0;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)ftw;
	return flag == FTW_DP ? rmdir(p) : unlink(p);
}

void rm_rf(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int copy_fd(int in, int out)
{
	char buf[1 << 16];
	ssize_t r;
	while ((r = read(in, buf, sizeof(buf))) > 0)
		if (nb_write_all(out, buf, (size_t)r))
			return -1;
	return r < 0 ? -1 : 0;
}

int copy_file(const char *from, const char *to, int oflags)
{
	int in = open(from, O_RDONLY | O_CLOEXEC);
	int out = open(to, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | oflags, 0644);
	int rc = in < 0 || out < 0 ? -1 : copy_fd(in, out);
	if (in >= 0)
		close(in);
	if (out >= 0 && close(out))
		rc = -1;
	return rc;
}

void first_line(const char *s, char *out, size_t len)
{
	while (*s == '\n' || *s == ' ' || *s == '\t')
		s++;
	snprintf(out, len, "%.*s", (int)strcspn(s, "\n"), s);
}

void utc_stamp(char *buf, size_t len, const char *fmt)
{
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(buf, len, fmt, &tm);
}

int write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int rc = fd < 0 ? -1 : nb_write_all(fd, text, strlen(text));
	if (fd >= 0 && close(fd))
		rc = -1;
	return rc;
}

/* NUMABENCH_CACHE, else .cache/numabench in a source tree, else the XDG cache. */
int cache_dir(char *out, size_t len)
{
	const char *env = getenv("NUMABENCH_CACHE"), *d = nb_data_dir();
	char src[PATH_MAX + 32] = "";
	int rc;
	if (d)
		snprintf(src, sizeof(src), "%s/harness/initramfs", d);
	if (env && *env)
		rc = path_fmt(out, len, "%s", env);
	else if (d && nb_guest_is_dir(src)) /* a source tree */
		rc = path_fmt(out, len, "%s/.cache/numabench", d);
	else if (getenv("XDG_CACHE_HOME"))
		rc = path_fmt(out, len, "%s/numabench", getenv("XDG_CACHE_HOME"));
	else
		rc = path_fmt(out, len, "%s/.cache/numabench",
			      getenv("HOME") ? getenv("HOME") : "/tmp");
	if (rc == 0 && mkdir_p(out, 0755)) {
		nb_err("guest: cannot create the cache folder %s: %s (set NUMABENCH_CACHE)", out,
		       strerror(errno));
		return -1;
	}
	return rc;
}

/* Serializes cache writers (kernel fetch, initramfs build, KVM probe). */
int cache_lock(const char *cache)
{
	char p[PATH_MAX + 16];
	snprintf(p, sizeof(p), "%s/.lock", cache);
	int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0 && flock(fd, LOCK_EX)) {
		close(fd);
		fd = -1;
	}
	return fd;
}
