/* numabench: messages, strict parsing, time, small file reads. */
#include "nb.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int nb_verbose;
volatile int nb_interrupted;
bool nb_timing_emulated;
uint64_t nb_process_start_ns;

static void vmsg(const char *tag, const char *fmt, va_list ap)
{
	fprintf(stderr, "numabench: %s", tag);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void nb_err(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg("error: ", fmt, ap);
	va_end(ap);
}

void nb_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg("warning: ", fmt, ap);
	va_end(ap);
}

void nb_info(const char *fmt, ...)
{
	va_list ap;
	if (!nb_verbose)
		return;
	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
}

const char *nb_status_name(enum nb_status s)
{
	static const char *const names[] = {"ok", "skipped", "untrustworthy", "failed"};
	return (unsigned)s < 4 ? names[s] : "failed";
}

int nb_parse_u64(const char *s, uint64_t *out)
{
	char *end;
	if (!s || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

int nb_parse_size(const char *s, uint64_t *out)
{
	char *end;
	if (!s || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	unsigned shift = 0;
	switch (toupper((unsigned char)*end)) {
	case 0:
		break;
	case 'K':
		shift = 10;
		break;
	case 'M':
		shift = 20;
		break;
	case 'G':
		shift = 30;
		break;
	case 'T':
		shift = 40;
		break;
	default:
		return -1;
	}
	if (*end) {
		end++;
		if (toupper((unsigned char)*end) == 'I')
			end++;
		if (toupper((unsigned char)*end) == 'B')
			end++;
		if (*end)
			return -1;
	}
	if (shift && v > (UINT64_MAX >> shift))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

int nb_parse_duration(const char *s, double *seconds)
{
	char num[64];
	size_t n = s ? strlen(s) : 0;
	double mul = 1, v;
	if (!n || n >= sizeof(num))
		return -1;
	memcpy(num, s, n + 1);
	if (strchr("smh", num[n - 1])) {
		mul = num[n - 1] == 'h' ? 3600 : num[n - 1] == 'm' ? 60 : 1;
		num[--n] = 0;
	}
	if (nb_parse_double(num, &v) || !(v > 0) || v * mul > 7 * 86400.0)
		return -1;
	*seconds = v * mul;
	return 0;
}

int nb_parse_double(const char *s, double *out)
{
	char *end;
	if (!s || !*s || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || *end || !isfinite(v))
		return -1;
	*out = v;
	return 0;
}

json_t *nb_json_count(int64_t v)
{
	return v < 0 ? json_null() : json_integer((json_int_t)v);
}

void nb_fmt_size(uint64_t v, char *buf, size_t len)
{
	static const char sfx[] = "KMGT";
	int i = -1;
	while (v && v % 1024 == 0 && i < 3) {
		v /= 1024;
		i++;
	}
	if (i < 0)
		snprintf(buf, len, "%llu", (unsigned long long)v);
	else
		snprintf(buf, len, "%llu%c", (unsigned long long)v, sfx[i]);
}

uint64_t nb_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

const char *nb_fsroot(void)
{
	const char *r = getenv("NUMABENCH_FSROOT");
	return r ? r : "";
}

const char *nb_sys_path(const char *path, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s", nb_fsroot(), path);
	return buf;
}

int nb_sys_access(const char *path, int mode)
{
	char full[4096];
	return access(nb_sys_path(path, full, sizeof(full)), mode);
}

bool nb_sys_is_dir(const char *path)
{
	char full[4096];
	struct stat st;
	return stat(nb_sys_path(path, full, sizeof(full)), &st) == 0 && S_ISDIR(st.st_mode);
}

FILE *nb_sys_fopen(const char *path)
{
	char full[4096];
	return fopen(nb_sys_path(path, full, sizeof(full)), "re");
}

int nb_sys_open(const char *path, int flags)
{
	char full[4096];
	return open(nb_sys_path(path, full, sizeof(full)), flags | O_CLOEXEC);
}

int nb_read_file(const char *path, char *buf, size_t len)
{
	int fd = nb_sys_open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, len - 1);
	int e = errno;
	close(fd);
	if (n < 0) {
		errno = e;
		return -1;
	}
	buf[n] = 0;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = 0;
	return 0;
}

int nb_read_long(const char *path, long *out)
{
	char buf[64], *end;
	if (nb_read_file(path, buf, sizeof(buf)))
		return -1;
	errno = 0;
	long v = strtol(buf, &end, 10);
	if (errno || end == buf)
		return -1;
	*out = v;
	return 0;
}

void *nb_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p) {
		nb_err("out of memory (%zu x %zu bytes)", n, size);
		abort();
	}
	return p;
}

char *nb_read_all(const char *path, size_t max, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK), e = 0;
	struct stat st;
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st))
		e = errno;
	else if (!S_ISREG(st.st_mode))
		e = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
	else if ((uint64_t)st.st_size > max)
		e = EFBIG;
	/* Read to EOF, not to st_size: /proc files say 0 and a file may grow. One byte more
	 * than max shows a file that grew too big; one more holds the NUL. */
	size_t n = 0, cap = e ? 0 : (size_t)st.st_size + 2;
	char *buf = e ? NULL : malloc(cap);
	if (!e && !buf)
		e = ENOMEM;
	while (!e) {
		if (n + 1 == cap) {
			size_t nc = cap * 2 > max + 2 ? max + 2 : cap * 2;
			char *nb = n > max ? NULL : realloc(buf, nc);
			if (!nb) {
				e = n > max ? EFBIG : ENOMEM;
				break;
			}
			buf = nb;
			cap = nc;
		}
		ssize_t r = read(fd, buf + n, cap - 1 - n);
		if (r < 0 && errno != EINTR)
			e = errno;
		else if (r == 0)
			break;
		else if (r > 0)
			n += (size_t)r;
	}
	close(fd);
	if (e) {
		free(buf);
		errno = e;
		return NULL;
	}
	buf[n] = 0;
	*len = n;
	return buf;
}

int nb_write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	while (n) {
		ssize_t w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

int nb_write_atomic(const char *path, const char *buf, size_t len)
{
	struct stat st;
	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
		errno = ELOOP;
		return -1;
	}
	char tmp[PATH_MAX], dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int dirlen = slash ? (int)(slash - path + 1) : 0;
	if (snprintf(tmp, sizeof(tmp), "%.*s.%s.XXXXXX", dirlen, path, path + dirlen) >=
	    (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	snprintf(dir, sizeof(dir), "%.*s", dirlen ? dirlen : 1, dirlen ? path : ".");
	int fd = mkstemp(tmp);
	if (fd < 0)
		return -1;
	mode_t mask = umask(0);
	umask(mask);
	int rc = fchmod(fd, 0666 & ~mask) || nb_write_all(fd, buf, len) || fsync(fd) ? -1 : 0;
	int e = errno;
	if (close(fd) && !rc)
		rc = -1, e = errno;
	if (!rc && rename(tmp, path))
		rc = -1, e = errno;
	if (rc) {
		unlink(tmp);
		errno = e;
		return -1;
	}
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) { /* the rename itself survives a crash */
		fsync(dfd);
		close(dfd);
	}
	return 0;
}
