/* table.h — rows of text cells as spreadsheet readers produce them (csvread.c, xlsx.c): one
 * arena of NUL-terminated UTF-8 cells, each row with the line (CSV) or row number (XLSX) it
 * started on, so a message can point at it. No domain knowledge. */
#ifndef GX_TABLE_H
#define GX_TABLE_H

#include <stddef.h>

struct table {
	char *text; /* the cells, NUL-terminated, back to back */
	size_t text_len, text_cap;
	size_t *cells; /* offset of each cell in text */
	size_t ncells, cells_cap;
	size_t *rows; /* index of each row's first cell; rows[nrows] == ncells */
	long *lines;  /* where each row starts in the file (1-based) */
	size_t nrows, rows_cap;
	int failed; /* out of memory: the table is incomplete */
};

/* Appends a cell to the row being built (started by the first cell after table_end_row). */
void table_add_cell(struct table *t, const char *text, size_t len);
/* Ends the row being built, which started at `line`. A row without cells is kept empty. */
void table_end_row(struct table *t, long line);
size_t table_width(const struct table *t, size_t row);
/* The cell, or "" beyond the row's end. */
const char *table_cell(const struct table *t, size_t row, size_t col);
void table_free(struct table *t);

#endif
