/* numabench analysis: the document model and its three renderings. */
#include "an_doc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Print CSS included: charts and tables do not split across pages. The CSP forbids every
 * fetch and every script, so the file cannot reach the network when opened. */
static const char html_head[] =
    "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n"
    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
    "style-src 'unsafe-inline'\"/>\n"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n"
    "<style>\n"
    "body{font:14px/1.45 system-ui,sans-serif;color:#1a1a1a;margin:0 auto;max-width:1180px;"
    "padding:16px 24px}\n"
    "h1{font-size:1.6em;border-bottom:2px solid #333}\n"
    "h2{font-size:1.3em;border-bottom:1px solid #bbb;margin-top:1.8em}\n"
    "h3{font-size:1.05em;margin-top:1.2em}\n"
    ".tbl{overflow-x:auto}\n"
    "table{border-collapse:collapse;margin:.4em 0 1em;font-size:13px}\n"
    "th,td{border:1px solid #ccc;padding:2px 8px;text-align:left;vertical-align:top}\n"
    "td{white-space:nowrap}\n"
    "th{background:#f0f0f0}\n"
    "td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}\n"
    ".good{color:#1b7f3b}\n.bad{color:#b00020;font-weight:bold}\n"
    ".warn{color:#9a5b00;font-weight:bold}\n"
    "nav.toc{background:#f6f6f6;border:1px solid #ddd;padding:4px 12px;margin:.6em 0}\n"
    "nav.toc ol{margin:.2em 0;columns:2}\n"
    "figure.chart{margin:.6em 0 1.2em}\nsvg{max-width:100%;height:auto}\n"
    "@media print{body{max-width:none;padding:0;font-size:10pt}h2,h3{break-after:avoid}"
    "figure.chart,table{break-inside:avoid}.tbl{overflow:visible}table{font-size:8pt}"
    "td{white-space:normal}}\n"
    "</style>\n";

#define AN_TEXT_WIDTH 120

static int line_len(const char *s, int w);

static const char *const ansi[] = {"", "\033[32m", "\033[31m", "\033[33m"};
static const char *const css_class[] = {"", "good", "bad", "warn"};

int an_fmt_parse(const char *name, enum an_fmt *out)
{
	static const char *const names[] = {"text", "md", "html", "csv", "json"};
	for (int i = 0; i < 5; i++)
		if (!strcmp(name, names[i])) {
			*out = (enum an_fmt)i;
			return 0;
		}
	return -1;
}

static bool alnum(char c)
{
	return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

/* Whether Markdown (GFM) could read c as markup here: so latency_ns and "p < 0.05" stay
 * readable in the raw text of a pull request, while *, |, <tag and _word_ are escaped. */
static bool md_special(const char *start, const char *s)
{
	char prev = s > start ? s[-1] : ' ', next = s[1];
	switch (*s) {
	case '_':
		return !alnum(prev) || !alnum(next);
	case '<':
		return alnum(next) || (next && strchr("/!?", next));
	case '#':
	case '>':
		return s == start;
	default:
		return strchr("\\`*[]|", *s) != NULL;
	}
}

void an_put(struct an_doc *d, const char *s)
{
	for (const char *start = s; *s; s++) {
		char c = (unsigned char)*s < 0x20 || *s == 0x7f ? ' ' : *s;
		if (d->fmt == AN_MD && md_special(start, s))
			fputc('\\', d->f);
		if (d->fmt != AN_HTML || !strchr("&<>\"'", c))
			fputc(c, d->f);
		else
			fprintf(d->f, "&#%d;", c);
	}
}

/* Display width: UTF-8 continuation bytes take no column. */
static int width(const char *s)
{
	int w = 0;
	for (; *s; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

int an_doc_open(struct an_doc *d, enum an_fmt fmt, bool color, const char *title)
{
	*d = (struct an_doc){.fmt = fmt, .color = color && fmt == AN_TEXT, .toc_at = -1};
	d->f = open_memstream(&d->buf, &d->len);
	if (!d->f)
		return -1;
	if (fmt == AN_CSV || fmt == AN_JSON)
		return 0;
	if (fmt == AN_HTML) {
		fputs(html_head, d->f);
		fputs("<title>", d->f);
		an_put(d, title);
		fputs("</title>\n</head>\n<body>\n<main>\n", d->f);
	}
	an_h(d, 1, "%s", title);
	return 0;
}

static void vtext(char **out, const char *fmt, va_list ap)
{
	if (vasprintf(out, fmt, ap) < 0)
		abort();
}

static void underline(FILE *f, char c, int n)
{
	for (int i = 0; i < n; i++)
		fputc(c, f);
	fputc('\n', f);
}

/* A paragraph within AN_TEXT_WIDTH columns, broken at spaces. */
static void wrap_put(struct an_doc *d, const char *s)
{
	while (width(s) > AN_TEXT_WIDTH) {
		int n = line_len(s, AN_TEXT_WIDTH);
		char *part = strndup(s, n);
		if (!part)
			abort();
		for (int e = n; e > 0 && part[e - 1] == ' '; e--)
			part[e - 1] = 0;
		an_put(d, part);
		fputc('\n', d->f);
		free(part);
		for (s += n; *s == ' '; s++)
			;
	}
	an_put(d, s);
}

void an_h(struct an_doc *d, int level, const char *fmt, ...)
{
	va_list ap;
	char *s;
	va_start(ap, fmt);
	vtext(&s, fmt, ap);
	va_end(ap);
	if (level == 2) {
		d->toc = realloc(d->toc, sizeof(*d->toc) * (d->ntoc + 1));
		if (!d->toc || !(d->toc[d->ntoc++] = strdup(s)))
			abort();
	}
	if (d->fmt == AN_HTML && level == 2) {
		fprintf(d->f, "<h2 id=\"s%d\">", d->ntoc);
		an_put(d, s);
		fputs("</h2>\n", d->f);
	} else if (d->fmt == AN_HTML) {
		fprintf(d->f, "<h%d>", level);
		an_put(d, s);
		fprintf(d->f, "</h%d>\n", level);
	} else if (d->fmt == AN_MD) {
		fprintf(d->f, "%.*s ", level, "######");
		an_put(d, s);
		fputs("\n\n", d->f);
	} else {
		wrap_put(d, s);
		fputc('\n', d->f);
		underline(d->f, "=-~~~~"[level - 1],
			  width(s) < AN_TEXT_WIDTH ? width(s) : AN_TEXT_WIDTH);
		fputc('\n', d->f);
	}
	free(s);
}

void an_p(struct an_doc *d, enum an_style st, const char *fmt, ...)
{
	va_list ap;
	char *s;
	va_start(ap, fmt);
	vtext(&s, fmt, ap);
	va_end(ap);
	if (d->fmt == AN_HTML && st)
		fprintf(d->f, "<p class=\"%s\">", css_class[st]);
	else if (d->fmt == AN_HTML)
		fputs("<p>", d->f);
	else if (d->fmt == AN_MD && st != AN_PLAIN && st != AN_GOOD)
		fputs("**", d->f);
	else if (d->color)
		fputs(ansi[st], d->f);
	if (d->fmt == AN_TEXT)
		wrap_put(d, s);
	else
		an_put(d, s);
	if (d->fmt == AN_HTML)
		fputs("</p>\n", d->f);
	else if (d->fmt == AN_MD && st != AN_PLAIN && st != AN_GOOD)
		fputs("**\n\n", d->f);
	else
		fprintf(d->f, "%s\n\n", d->color && st ? "\033[0m" : "");
	free(s);
}

struct an_cell {
	char *s;
	enum an_style st;
};

struct an_table {
	int ncols, nrows, fill;
	char **head;
	struct an_cell *cells; /* nrows * ncols */
};

struct an_table *an_table_new(void)
{
	struct an_table *t = calloc(1, sizeof(*t));
	if (!t)
		abort();
	return t;
}

void an_table_col(struct an_table *t, const char *name)
{
	t->head = realloc(t->head, sizeof(*t->head) * (t->ncols + 1));
	if (!t->head)
		abort();
	t->head[t->ncols++] = strdup(name);
}

void an_table_row(struct an_table *t)
{
	t->cells = realloc(t->cells, sizeof(*t->cells) * (size_t)(t->nrows + 1) * t->ncols);
	if (!t->cells)
		abort();
	for (int c = 0; c < t->ncols; c++)
		t->cells[t->nrows * t->ncols + c] = (struct an_cell){strdup(""), AN_PLAIN};
	t->nrows++;
	t->fill = 0;
}

void an_table_cell(struct an_table *t, enum an_style st, const char *fmt, ...)
{
	va_list ap;
	if (!t->nrows || t->fill >= t->ncols)
		abort(); /* more cells than columns: a programming error */
	struct an_cell *c = &t->cells[(t->nrows - 1) * t->ncols + t->fill++];
	free(c->s);
	va_start(ap, fmt);
	vtext(&c->s, fmt, ap);
	va_end(ap);
	c->st = st;
}

int an_table_rows(const struct an_table *t)
{
	return t->nrows;
}

/* "12", "-3.5%", "+1.0%", "<0.001", "[1.2, 3.4]", "inf": starts like a number. */
static bool numeric(const char *s)
{
	s += *s == '<' || *s == '[';
	s += *s == '+' || *s == '-';
	s += *s == '.';
	return (*s >= '0' && *s <= '9') || !strncmp(s, "inf", 3);
}

/* Right-align a column when every cell is a number or "-" (and one at least is a number). */
static bool right_aligned(const struct an_table *t, int c)
{
	bool any = false;
	for (int r = 0; r < t->nrows; r++) {
		const char *s = t->cells[r * t->ncols + c].s;
		if (!*s || !strcmp(s, "-"))
			continue;
		if (!numeric(s))
			return false;
		any = true;
	}
	return any;
}

static void text_cell(struct an_doc *d, const char *s, enum an_style st, int w, bool right,
		      bool last)
{
	int pad = w - width(s);
	if (right)
		fprintf(d->f, "%*s", pad, "");
	fputs(d->color ? ansi[st] : "", d->f);
	an_put(d, s);
	fputs(d->color && st ? "\033[0m" : "", d->f);
	if (!right && !last)
		fprintf(d->f, "%*s", pad, "");
	fputs(last ? "\n" : "  ", d->f);
}

/* Text tables stay within AN_TEXT_WIDTH columns: the widest columns are narrowed and their
 * cells wrap onto more lines (at a space, '=', ',' or '_' where one is near). */

static int total_width(const struct an_table *t, const int *w)
{
	int total = 2 * (t->ncols - 1);
	for (int c = 0; c < t->ncols; c++)
		total += w[c];
	return total;
}

/* Narrow the widest columns (to 12 at least) when that makes the table fit; when it cannot,
 * the table is cut into blocks of columns instead and only columns over 60 are narrowed. */
static void fit_widths(const struct an_table *t, int *w)
{
	int *n = malloc(sizeof(int) * (t->ncols + 1));
	if (!n)
		abort();
	memcpy(n, w, sizeof(int) * t->ncols);
	while (total_width(t, n) > AN_TEXT_WIDTH) {
		int wide = 0;
		for (int c = 0; c < t->ncols; c++)
			if (n[c] > n[wide])
				wide = c;
		if (n[wide] <= 12)
			break;
		n[wide]--;
	}
	for (int c = 0; c < t->ncols; c++)
		w[c] = total_width(t, n) <= AN_TEXT_WIDTH ? n[c] : w[c] > 60 ? 60 : w[c];
	free(n);
}

/* The bytes of s that fit in w columns, breaking after a separator when one is in the
 * second half; the rest continues on the next line. */
static int line_len(const char *s, int w)
{
	int cols = 0, i = 0, space = -1, other = -1;
	for (; s[i]; i++) {
		if (((unsigned char)s[i] & 0xc0) != 0x80) {
			if (cols == w)
				break;
			cols++;
		}
		if (s[i] == ' ' && cols > w / 3)
			space = i + 1;
		else if (strchr("=,_", s[i]) && cols > w / 2)
			other = i + 1;
	}
	return !s[i] ? i : space > 0 ? space : other > 0 ? other : i;
}

static void text_row(struct an_doc *d, const struct an_table *t, int r, const int *w,
		     const bool *right, const int *sel, int nsel)
{
	const char **rest = calloc(t->ncols, sizeof(char *));
	if (!rest)
		abort();
	for (int c = 0; c < t->ncols; c++)
		rest[c] = r < 0 ? t->head[c] : t->cells[r * t->ncols + c].s;
	for (bool more = true; more;) {
		more = false;
		int last = 0;
		for (int k = 0; k < nsel; k++)
			if (*rest[sel[k]])
				last = k;
		for (int k = 0; k <= last; k++) {
			int c = sel[k], n = line_len(rest[c], w[c]);
			char *part = strndup(rest[c], n);
			if (!part)
				abort();
			for (int e = n; e > 0 && part[e - 1] == ' '; e--)
				part[e - 1] = 0;
			rest[c] += n;
			while (*rest[c] == ' ')
				rest[c]++;
			more = more || *rest[c];
			text_cell(d, part, r < 0 ? AN_PLAIN : t->cells[r * t->ncols + c].st, w[c],
				  right[c], k == last);
			free(part);
		}
	}
	free(rest);
}

/* One block of columns: the header, a rule and every row. */
static void text_block(struct an_doc *d, const struct an_table *t, const int *w, const bool *right,
		       const int *sel, int nsel)
{
	bool color = d->color;
	d->color = false;
	text_row(d, t, -1, w, right, sel, nsel);
	d->color = color;
	for (int k = 0; k < nsel; k++) {
		for (int i = 0; i < w[sel[k]]; i++)
			fputc('-', d->f);
		fputs(k == nsel - 1 ? "\n" : "  ", d->f);
	}
	for (int r = 0; r < t->nrows; r++)
		text_row(d, t, r, w, right, sel, nsel);
	fputc('\n', d->f);
}

/* A table too wide even narrowed is cut into blocks of columns, each repeating the first
 * (key) column. */
static void emit_text(struct an_doc *d, const struct an_table *t, const bool *right)
{
	int *w = calloc(t->ncols, sizeof(int)), *sel = calloc(t->ncols + 1, sizeof(int));
	if (!w || !sel)
		abort();
	for (int c = 0; c < t->ncols; c++) {
		w[c] = width(t->head[c]);
		for (int r = 0; r < t->nrows; r++)
			if (width(t->cells[r * t->ncols + c].s) > w[c])
				w[c] = width(t->cells[r * t->ncols + c].s);
	}
	fit_widths(t, w);
	for (int c = 0; c < t->ncols;) {
		int nsel = 0, total = 0;
		if (c > 0) {
			sel[nsel++] = 0;
			total = w[0];
		}
		for (; c < t->ncols && (nsel <= 1 || total + 2 + w[c] <= AN_TEXT_WIDTH); c++) {
			total += (nsel ? 2 : 0) + w[c];
			sel[nsel++] = c;
		}
		text_block(d, t, w, right, sel, nsel);
	}
	free(sel);
	free(w);
}

static void md_cell(struct an_doc *d, const struct an_cell *x)
{
	bool bold = x->st == AN_BAD || x->st == AN_WARN;
	fputs(bold && *x->s ? " **" : " ", d->f);
	an_put(d, x->s);
	fputs(bold && *x->s ? "** |" : " |", d->f);
}

static void emit_md(struct an_doc *d, const struct an_table *t, const bool *right)
{
	fputc('|', d->f);
	for (int c = 0; c < t->ncols; c++)
		md_cell(d, &(struct an_cell){t->head[c], AN_PLAIN});
	fputs("\n|", d->f);
	for (int c = 0; c < t->ncols; c++)
		fputs(right[c] ? " ---: |" : " --- |", d->f);
	fputc('\n', d->f);
	for (int r = 0; r < t->nrows; r++) {
		fputc('|', d->f);
		for (int c = 0; c < t->ncols; c++)
			md_cell(d, &t->cells[r * t->ncols + c]);
		fputc('\n', d->f);
	}
	fputc('\n', d->f);
}

/* Long field names (hint_faults_local) may wrap after an underscore; values never wrap. */
static void put_breakable(struct an_doc *d, const char *s)
{
	char part[512];
	for (const char *u; (u = strchr(s, '_')); s = u + 1) {
		snprintf(part, sizeof(part), "%.*s", (int)(u - s + 1), s);
		an_put(d, part);
		fputs("<wbr/>", d->f);
	}
	an_put(d, s);
}

static void html_cell(struct an_doc *d, const char *tag, const struct an_cell *x, bool right)
{
	const char *cls = css_class[x->st];
	if (right || *cls)
		fprintf(d->f, "<%s class=\"%s%s%s\">", tag, right ? "num" : "",
			right && *cls ? " " : "", cls);
	else
		fprintf(d->f, "<%s>", tag);
	if (*tag == 't' && tag[1] == 'h')
		put_breakable(d, x->s);
	else
		an_put(d, x->s);
	fprintf(d->f, "</%s>", tag);
}

static void emit_html(struct an_doc *d, const struct an_table *t, const bool *right)
{
	fputs("<div class=\"tbl\"><table>\n<thead><tr>", d->f);
	for (int c = 0; c < t->ncols; c++)
		html_cell(d, "th", &(struct an_cell){t->head[c], AN_PLAIN}, right[c]);
	fputs("</tr></thead>\n<tbody>\n", d->f);
	for (int r = 0; r < t->nrows; r++) {
		fputs("<tr>", d->f);
		for (int c = 0; c < t->ncols; c++)
			html_cell(d, "td", &t->cells[r * t->ncols + c], right[c]);
		fputs("</tr>\n", d->f);
	}
	fputs("</tbody>\n</table></div>\n", d->f);
}

void an_table_free(struct an_table *t)
{
	for (int c = 0; c < t->ncols; c++)
		free(t->head[c]);
	for (int i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i].s);
	free(t->head);
	free(t->cells);
	free(t);
}

void an_table_emit(struct an_doc *d, struct an_table *t)
{
	bool *right = calloc(t->ncols + 1, sizeof(bool));
	if (!right)
		abort();
	for (int c = 0; c < t->ncols; c++)
		right[c] = right_aligned(t, c);
	if (d->fmt == AN_TEXT)
		emit_text(d, t, right);
	else if (d->fmt == AN_MD)
		emit_md(d, t, right);
	else
		emit_html(d, t, right);
	free(right);
	an_table_free(t);
}

void an_toc_here(struct an_doc *d)
{
	fflush(d->f);
	d->toc_at = ftell(d->f);
}

/* The contents as the format writes them: links in HTML and Markdown, a list in text. */
static void toc_write(struct an_doc *d)
{
	if (d->fmt == AN_HTML)
		fputs("<nav class=\"toc\"><b>Contents</b><ol>", d->f);
	else
		an_h(d, 3, "Contents");
	for (int i = 0; i < d->ntoc; i++) {
		if (d->fmt == AN_HTML) {
			fprintf(d->f, "<li><a href=\"#s%d\">", i + 1);
			an_put(d, d->toc[i]);
			fputs("</a></li>", d->f);
		} else if (d->fmt == AN_MD) { /* GitHub's heading anchors */
			fprintf(d->f, "%d. [", i + 1);
			an_put(d, d->toc[i]);
			fputs("](#", d->f);
			for (const char *c = d->toc[i]; *c; c++)
				if (alnum(*c) || *c == '-' || *c == '_')
					fputc(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c, d->f);
				else if (*c == ' ')
					fputc('-', d->f);
			fputs(")\n", d->f);
		} else {
			fprintf(d->f, "%d. ", i + 1);
			an_put(d, d->toc[i]);
			fputc('\n', d->f);
		}
	}
	fputs(d->fmt == AN_HTML ? "</ol></nav>\n" : "\n", d->f);
}

/* Splice the contents in at toc_at: the headings are only known at the end. */
static int toc_splice(struct an_doc *d)
{
	char *buf;
	size_t len;
	if (d->toc_at < 0 || !d->ntoc)
		return 0;
	struct an_doc t = *d;
	t.f = open_memstream(&buf, &len);
	if (!t.f)
		return -1;
	t.ntoc = d->ntoc; /* "Contents" is a level-3 heading: the list does not grow */
	t.toc = d->toc;
	toc_write(&t);
	if (fclose(t.f))
		return -1;
	char *all = malloc(d->len + len + 1);
	if (!all)
		abort();
	memcpy(all, d->buf, (size_t)d->toc_at);
	memcpy(all + d->toc_at, buf, len);
	memcpy(all + d->toc_at + len, d->buf + d->toc_at, d->len - (size_t)d->toc_at);
	free(buf);
	free(d->buf);
	d->buf = all;
	d->len += len;
	return 0;
}

int an_doc_close(struct an_doc *d, const char *path)
{
	if (d->fmt == AN_HTML)
		fputs("</main>\n</body>\n</html>\n", d->f);
	int bad = fclose(d->f) || toc_splice(d);
	for (int i = 0; i < d->ntoc; i++)
		free(d->toc[i]);
	free(d->toc);
	if (bad) {
		nb_err("cannot build the document: %s", strerror(errno));
		free(d->buf);
		return NB_EXIT_ENV;
	}
	int rc = NB_EXIT_OK;
	if (path && nb_write_atomic(path, d->buf, d->len)) {
		nb_err("cannot write %s: %s", path,
		       errno == ELOOP ? "it is a symlink; refusing to write through it"
				      : strerror(errno));
		rc = NB_EXIT_ENV;
	} else if (!path && (fwrite(d->buf, 1, d->len, stdout) != d->len || fflush(stdout))) {
		nb_err("cannot write to standard output: %s", strerror(errno));
		rc = NB_EXIT_ENV;
	}
	free(d->buf);
	return rc;
}
