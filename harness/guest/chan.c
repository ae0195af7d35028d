/* numabench guest runner: the results channel (ttyS1), frames written by
 * harness/initramfs/init.sh: "NB1 BOOT", "NB1 FILE <bytes> <sha256> <name>" + base64 lines +
 * "NB1 END", "NB1 EXIT <code>", "NB1 DONE". Parsing is pure. */
#include "guest_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int b64_val(int ch)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = ch ? strchr(tab, ch) : NULL;
	return p ? (int)(p - tab) : -1;
}

/* Base64 into out, skipping line ends (CR, LF, and the NULs next_line leaves); the
 * length, or -1 on a bad character. */
long b64_decode(const char *in, size_t len, unsigned char *out)
{
	uint32_t acc = 0;
	int bits = 0;
	long n = 0;
	for (size_t i = 0; i < len && in[i] != '='; i++) {
		if (in[i] == '\n' || in[i] == '\r' || in[i] == 0)
			continue;
		int v = b64_val((unsigned char)in[i]);
		if (v < 0)
			return -1;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (unsigned char)(acc >> bits);
		}
	}
	return n;
}

/* Line at *p (CR stripped, NUL-terminated in place); advances *p past it. */
static char *next_line(char **p, char *end)
{
	if (*p >= end)
		return NULL;
	char *line = *p, *nl = memchr(line, '\n', (size_t)(end - line));
	char *stop = nl ? nl : end;
	*p = nl ? nl + 1 : end;
	*stop = 0;
	if (stop > line && stop[-1] == '\r')
		stop[-1] = 0;
	return line;
}

/* "NB1 FILE <bytes> <sha256> <name>", base64 lines, "NB1 END": decode and verify. */
static void chan_file(struct chan *c, const char *hdr, char **p, char *end)
{
	unsigned long long size = 0;
	char sum[65] = "", got[65];
	int off = 0;
	if (sscanf(hdr, "NB1 FILE %llu %64s %n", &size, sum, &off) < 2 || !off ||
	    size > G_CHAN_MAX || c->nfiles == G_MAX_FILES) {
		snprintf(c->error, sizeof(c->error), "bad frame header \"%.100s\"", hdr);
		return;
	}
	struct gfile *f = &c->files[c->nfiles];
	snprintf(f->name, sizeof(f->name), "%s", hdr + off);
	char *body = *p, *line, *stop = NULL;
	while (!stop && (line = next_line(p, end)))
		if (!strcmp(line, "NB1 END"))
			stop = line;
	f->data = malloc(size + 4 + (stop ? (size_t)(stop - body) : 0));
	long n = f->data && stop ? b64_decode(body, (size_t)(stop - body), (unsigned char *)f->data)
				 : -1;
	struct sha256 s;
	sha256_init(&s);
	if (n >= 0)
		sha256_update(&s, f->data, (size_t)n);
	sha256_hex(&s, got);
	if (n < 0 || (unsigned long long)n != size || strcmp(got, sum)) {
		snprintf(c->error, sizeof(c->error),
			 "%s arrived corrupt or cut (%ld of %llu bytes)", f->name, n, size);
		free(f->data);
		return;
	}
	f->data[n] = 0;
	f->len = (size_t)n;
	c->nfiles++;
}

void chan_parse(const char *path, struct chan *c)
{
	size_t len = 0;
	char *buf = nb_read_all(path, G_CHAN_MAX, &len), *p = buf, *line;
	memset(c, 0, sizeof(*c));
	c->exit_code = -1;
	while (buf && (line = next_line(&p, buf + len))) {
		if (!strcmp(line, "NB1 BOOT"))
			c->boot = true;
		else if (!strcmp(line, "NB1 DONE"))
			c->done = true;
		else if (!strncmp(line, "NB1 EXIT ", 9))
			c->exit_code = atoi(line + 9);
		else if (!strncmp(line, "NB1 FILE ", 9))
			chan_file(c, line, &p, buf + len);
	}
	free(buf);
}

void chan_free(struct chan *c)
{
	for (int i = 0; i < c->nfiles; i++)
		free(c->files[i].data);
	c->nfiles = 0;
}

const struct gfile *chan_get(const struct chan *c, const char *name)
{
	for (int i = 0; i < c->nfiles; i++)
		if (!strcmp(c->files[i].name, name))
			return &c->files[i];
	return NULL;
}
