/* table.c — rows of text cells (table.h). */
#include "base/table.h"

#include <stdlib.h>
#include <string.h>

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return 0;
	size_t n = *cap ? *cap : 64;
	while (n < need)
		n *= 2;
	void *q = realloc(*p, n * size);
	if (!q)
		return -1;
	*p = q;
	*cap = n;
	return 0;
}

void table_add_cell(struct table *t, const char *text, size_t len)
{
	if (t->failed)
		return;
	if (grow((void **)&t->text, &t->text_cap, t->text_len + len + 1, 1) < 0 ||
	    grow((void **)&t->cells, &t->cells_cap, t->ncells + 1, sizeof *t->cells) < 0) {
		t->failed = 1;
		return;
	}
	if (len)
		memcpy(t->text + t->text_len, text, len);
	t->text[t->text_len + len] = '\0';
	t->cells[t->ncells++] = t->text_len;
	t->text_len += len + 1;
}

void table_end_row(struct table *t, long line)
{
	if (t->failed)
		return;
	size_t cap = t->rows_cap;
	if (grow((void **)&t->rows, &t->rows_cap, t->nrows + 2, sizeof *t->rows) < 0 ||
	    grow((void **)&t->lines, &cap, t->nrows + 2, sizeof *t->lines) < 0) {
		t->failed = 1;
		return;
	}
	if (t->nrows == 0)
		t->rows[0] = 0;
	t->lines[t->nrows] = line;
	t->rows[++t->nrows] = t->ncells;
}

size_t table_width(const struct table *t, size_t row)
{
	return row < t->nrows ? t->rows[row + 1] - t->rows[row] : 0;
}

const char *table_cell(const struct table *t, size_t row, size_t col)
{
	if (row >= t->nrows || col >= table_width(t, row))
		return "";
	return t->text + t->cells[t->rows[row] + col];
}

void table_free(struct table *t)
{
	free(t->text);
	free(t->cells);
	free(t->rows);
	free(t->lines);
	memset(t, 0, sizeof *t);
}
