/* csvread.c — CSV through libcsv (csvread.h). The input is fed one physical line at a time so
 * every row knows the line it starts on, even after quoted fields that span lines. */
#include "base/csvread.h"

#include <csv.h>
#include <string.h>

char csvread_detect_delimiter(const char *text, size_t len)
{
	static const char candidates[] = {',', ';', '\t', '|'};
	long counts[4][20] = {{0}};
	int lines = 0, quoted = 0, empty = 1;
	for (size_t i = 0; i < len && lines < 20; i++) {
		char c = text[i];
		if (c == '"')
			quoted = !quoted;
		if (c == '\n' && !quoted) {
			lines += !empty; /* blank lines say nothing */
			empty = 1;
			continue;
		}
		if (c != '\r')
			empty = 0;
		if (c == '"')
			continue;
		else if (!quoted)
			for (int k = 0; k < 4; k++)
				if (c == candidates[k])
					counts[k][lines]++;
	}
	if (lines < 20 && !empty)
		lines++;
	/* The candidate present on every line with the most per line; ties keep the earlier. */
	int best = 0;
	long best_min = 0;
	for (int k = 0; k < 4; k++) {
		long min = -1;
		for (int l = 0; l < lines && l < 20; l++)
			if (min < 0 || counts[k][l] < min)
				min = counts[k][l];
		if (min > best_min) {
			best_min = min;
			best = k;
		}
	}
	return candidates[best];
}

struct reader {
	struct table *t;
	long line;      /* the physical line being fed */
	long row_start; /* the line the current row started on */
};

static void on_field(void *data, size_t len, void *arg)
{
	struct reader *r = arg;
	table_add_cell(r->t, data ? data : "", data ? len : 0);
}

static void on_row(int terminator, void *arg)
{
	(void)terminator;
	struct reader *r = arg;
	table_end_row(r->t, r->row_start);
}

static int space(unsigned char c)
{
	(void)c;
	return 0; /* spaces are data: "  张伟" keeps its spaces until the caller trims */
}

static int term(unsigned char c)
{
	return c == '\n' || c == '\r';
}

int csvread_parse(const char *text, size_t len, char delimiter, struct table *t, long *open_quote)
{
	struct csv_parser p;
	if (csv_init(&p, 0) != 0)
		return -1;
	csv_set_delim(&p,
	              (unsigned char)(delimiter ? delimiter : csvread_detect_delimiter(text, len)));
	csv_set_space_func(&p, space);
	csv_set_term_func(&p, term);
	struct reader r = {.t = t, .line = 0, .row_start = 1};
	size_t at = 0;
	int rc = 0;
	while (at < len && rc == 0) {
		const char *nl = memchr(text + at, '\n', len - at);
		size_t n = nl ? (size_t)(nl - (text + at)) + 1 : len - at;
		r.line++;
		if (p.pstate == 0) /* libcsv's ROW_NOT_BEGUN: this line starts a row */
			r.row_start = r.line;
		if (csv_parse(&p, text + at, n, on_field, on_row, &r) != n)
			rc = -1;
		at += n;
	}
	long quote_line = 0;
	if (rc == 0 && p.pstate == 2 && p.quoted) /* FIELD_BEGUN */
		quote_line = r.row_start;         /* still inside a quoted field at the end */
	if (rc == 0)
		csv_fini(&p, on_field, on_row, &r);
	csv_free(&p);
	if (open_quote)
		*open_quote = quote_line;
	return rc == 0 && !t->failed ? 0 : -1;
}
