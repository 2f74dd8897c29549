/* csvread.h — CSV (RFC 4180 and what spreadsheets really write) into a struct table, with
 * libcsv doing the quoting. Any one-byte delimiter; detected from the first lines when not
 * given. Lenient: a stray quote inside an unquoted field is kept as text, an unterminated
 * quoted field runs to the end of the file (its row then has too few cells and is reported by
 * the caller). Input must already be UTF-8 (base/encoding.h). No domain knowledge. */
#ifndef GX_CSVREAD_H
#define GX_CSVREAD_H

#include <stddef.h>

#include "base/table.h"

/* The delimiter the first lines use most consistently: ',', ';', '\t' or '|' (',' when none). */
char csvread_detect_delimiter(const char *text, size_t len);

/* Parses len bytes into t (rows in file order, header included, empty lines skipped), each row
 * with the line it starts on. delimiter 0: detect. Returns 0, or -1 out of memory. *open_quote
 * (may be NULL) is set to the line of an unterminated quoted field, or 0. */
int csvread_parse(const char *text, size_t len, char delimiter, struct table *t, long *open_quote);

#endif
