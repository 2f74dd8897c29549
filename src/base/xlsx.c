/* xlsx.c — reading .xlsx with libzip and expat (xlsx.h). */
#include "base/xlsx.h"

#include <expat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#include "base/buf.h"

#define XLSX_MAX_PART (512u << 20) /* an uncompressed part larger than this is refused */
#define XLSX_MAX_COLUMNS 16384

int xlsx_sniff(const char *data, size_t len)
{
	return len >= 4 && memcmp(data, "PK\x03\x04", 4) == 0;
}

/* The whole of one part, NUL-terminated, or NULL (absent, too large, out of memory). */
static char *read_part(zip_t *zip, const char *name, size_t *len)
{
	zip_stat_t st;
	if (zip_stat(zip, name, 0, &st) != 0 || !(st.valid & ZIP_STAT_SIZE) ||
	    st.size > XLSX_MAX_PART)
		return NULL;
	zip_file_t *f = zip_fopen(zip, name, 0);
	if (!f)
		return NULL;
	char *data = malloc(st.size + 1);
	zip_int64_t n = data ? zip_fread(f, data, st.size) : -1;
	zip_fclose(f);
	if (n < 0 || (zip_uint64_t)n != st.size) {
		free(data);
		return NULL;
	}
	data[n] = '\0';
	*len = (size_t)n;
	return data;
}

/* ---- shared strings: <sst><si><t>..</t></si> or <si><r><t>..</t></r>..</si> --------------- */

struct strings {
	struct buf text; /* strings back to back, NUL-separated */
	size_t *offsets;
	size_t n, cap;
	int in_si, in_t, in_rph, failed;
	size_t start;
};

static const char *local(const char *name)
{
	const char *colon = strrchr(name, ':');
	return colon ? colon + 1 : name;
}

static void XMLCALL strings_start(void *arg, const XML_Char *name, const XML_Char **attrs)
{
	(void)attrs;
	struct strings *s = arg;
	name = local(name);
	if (strcmp(name, "si") == 0) {
		s->in_si = 1;
		s->start = s->text.len;
	} else if (strcmp(name, "t") == 0 && s->in_si && !s->in_rph) {
		s->in_t = 1;
	} else if (strcmp(name, "rPh") == 0) {
		s->in_rph = 1; /* phonetic runs (furigana) are not the cell's text */
	}
}

static void XMLCALL strings_end(void *arg, const XML_Char *name)
{
	struct strings *s = arg;
	name = local(name);
	if (strcmp(name, "t") == 0) {
		s->in_t = 0;
	} else if (strcmp(name, "rPh") == 0) {
		s->in_rph = 0;
	} else if (strcmp(name, "si") == 0) {
		if (s->n == s->cap) {
			size_t cap = s->cap ? s->cap * 2 : 256;
			size_t *grown = realloc(s->offsets, cap * sizeof *grown);
			if (!grown) {
				s->failed = 1;
				return;
			}
			s->offsets = grown;
			s->cap = cap;
		}
		s->offsets[s->n++] = s->start;
		buf_append_n(&s->text, "", 1);
		s->in_si = 0;
	}
}

static void XMLCALL strings_text(void *arg, const XML_Char *text, int len)
{
	struct strings *s = arg;
	if (s->in_t)
		buf_append_n(&s->text, text, (size_t)len);
}

/* ---- the sheet ------------------------------------------------------------------------ */

struct sheet {
	struct table *t;
	const struct strings *strings;
	long row;      /* the r of the row being read */
	int col;       /* next column to fill */
	int cell_col;  /* the column of the cell being read */
	char type[16]; /* the cell's t attribute */
	int in_v, in_is_t, in_cell, has_row;
	struct buf value;
	int failed;
};

/* "BC12" -> 54 (0-based column), or -1. */
static int column_of(const char *ref)
{
	int col = 0, n = 0;
	for (; *ref >= 'A' && *ref <= 'Z' && n < 4; ref++, n++)
		col = col * 26 + (*ref - 'A' + 1);
	return n && col <= XLSX_MAX_COLUMNS ? col - 1 : -1;
}

static void XMLCALL sheet_start(void *arg, const XML_Char *name, const XML_Char **attrs)
{
	struct sheet *s = arg;
	name = local(name);
	if (strcmp(name, "row") == 0) {
		s->row++;
		for (int i = 0; attrs[i]; i += 2)
			if (strcmp(attrs[i], "r") == 0)
				s->row = strtol(attrs[i + 1], NULL, 10);
		s->col = 0;
		s->has_row = 1;
	} else if (strcmp(name, "c") == 0 && s->has_row) {
		s->cell_col = s->col;
		s->type[0] = '\0';
		for (int i = 0; attrs[i]; i += 2) {
			if (strcmp(attrs[i], "r") == 0) {
				int c = column_of(attrs[i + 1]);
				if (c >= s->col)
					s->cell_col = c;
			} else if (strcmp(attrs[i], "t") == 0) {
				snprintf(s->type, sizeof s->type, "%s", attrs[i + 1]);
			}
		}
		s->in_cell = 1;
		s->value.len = 0;
		if (s->value.data)
			s->value.data[0] = '\0';
	} else if (strcmp(name, "v") == 0 && s->in_cell) {
		s->in_v = 1;
	} else if (strcmp(name, "t") == 0 && s->in_cell) {
		s->in_is_t = 1;
	}
}

static void XMLCALL sheet_end(void *arg, const XML_Char *name)
{
	struct sheet *s = arg;
	name = local(name);
	if (strcmp(name, "v") == 0) {
		s->in_v = 0;
	} else if (strcmp(name, "t") == 0) {
		s->in_is_t = 0;
	} else if (strcmp(name, "c") == 0 && s->in_cell) {
		s->in_cell = 0;
		while (s->col < s->cell_col) {
			table_add_cell(s->t, "", 0);
			s->col++;
		}
		const char *v = s->value.data ? s->value.data : "";
		size_t vlen = s->value.len;
		if (strcmp(s->type, "s") == 0) {
			char *end;
			long i = strtol(v, &end, 10);
			if (end != v && i >= 0 && (size_t)i < s->strings->n) {
				v = s->strings->text.data + s->strings->offsets[i];
				vlen = strlen(v);
			} else {
				v = "";
				vlen = 0;
			}
		} else if (strcmp(s->type, "b") == 0) {
			v = strcmp(v, "1") == 0 ? "TRUE" : "FALSE";
			vlen = strlen(v);
		} else if (strcmp(s->type, "e") == 0) {
			v = "";
			vlen = 0;
		}
		table_add_cell(s->t, v, vlen);
		s->col++;
	} else if (strcmp(name, "row") == 0 && s->has_row) {
		table_end_row(s->t, s->row);
		s->has_row = 0;
	}
}

static void XMLCALL sheet_text(void *arg, const XML_Char *text, int len)
{
	struct sheet *s = arg;
	if (s->in_v || s->in_is_t)
		buf_append_n(&s->value, text, (size_t)len);
}

static int parse_xml(const char *data, size_t len, void *arg, XML_StartElementHandler start,
                     XML_EndElementHandler end, XML_CharacterDataHandler text)
{
	XML_Parser p = XML_ParserCreate("UTF-8");
	if (!p)
		return -1;
	XML_SetUserData(p, arg);
	XML_SetElementHandler(p, start, end);
	XML_SetCharacterDataHandler(p, text);
	int ok = XML_Parse(p, data, (int)len, 1) == XML_STATUS_OK;
	XML_ParserFree(p);
	return ok ? 0 : -1;
}

/* The first worksheet: the workbook's first <sheet> through its relationships would be
 * exact; every writer we know names it sheet1.xml, so that first, else any worksheet. */
static char *first_sheet(zip_t *zip, size_t *len)
{
	char *data = read_part(zip, "xl/worksheets/sheet1.xml", len);
	zip_int64_t n = zip_get_num_entries(zip, 0);
	for (zip_int64_t i = 0; !data && i < n; i++) {
		const char *name = zip_get_name(zip, (zip_uint64_t)i, 0);
		if (name && strncmp(name, "xl/worksheets/", 14) == 0 && !strchr(name + 14, '/') &&
		    strstr(name, ".xml"))
			data = read_part(zip, name, len);
	}
	return data;
}

int xlsx_read(const char *data, size_t len, struct table *t, char *message, size_t message_size)
{
	zip_error_t zerr;
	zip_error_init(&zerr);
	zip_source_t *src = zip_source_buffer_create(data, len, 0, &zerr);
	zip_t *zip = src ? zip_open_from_source(src, ZIP_RDONLY, &zerr) : NULL;
	zip_error_fini(&zerr);
	if (!zip) {
		if (src)
			zip_source_free(src);
		snprintf(message, message_size,
		         "not an .xlsx workbook (the zip archive cannot be read)");
		return -1;
	}
	struct strings strings = {0};
	struct sheet sheet = {.t = t, .strings = &strings};
	size_t n = 0;
	int rc = 0;
	char *part = read_part(zip, "xl/sharedStrings.xml", &n);
	if (part && parse_xml(part, n, &strings, strings_start, strings_end, strings_text) < 0) {
		snprintf(message, message_size, "xl/sharedStrings.xml is not well-formed XML");
		rc = -1;
	}
	free(part);
	part = rc == 0 ? first_sheet(zip, &n) : NULL;
	if (rc == 0 && !part) {
		snprintf(message, message_size, "the workbook has no worksheet");
		rc = -1;
	}
	if (rc == 0 && parse_xml(part, n, &sheet, sheet_start, sheet_end, sheet_text) < 0) {
		snprintf(message, message_size, "the worksheet is not well-formed XML");
		rc = -1;
	}
	if (rc == 0 && (strings.failed || strings.text.failed || sheet.value.failed || t->failed)) {
		snprintf(message, message_size, "out of memory");
		rc = -1;
	}
	free(part);
	free(strings.offsets);
	buf_free(&strings.text);
	buf_free(&sheet.value);
	zip_close(zip);
	return rc;
}
