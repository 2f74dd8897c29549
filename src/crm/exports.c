/* exports.c — CSV, XLSX and vCard 4.0 out (exports.h). Records are read page by page through
 * records_list, so an export sees exactly what the list endpoint would, visibility included;
 * libxlsxwriter writes workbooks in its constant-memory mode. */
#include "crm/exports.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <xlsxwriter.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/money.h"
#include "base/tz.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

enum col_type { C_TEXT, C_INT, C_DATE, C_TIME, C_MONEY };

/* A column: its header and how to get and type the value. */
struct column {
	const char *header;
	const char *field; /* the record's field; NULL for a lookup below */
	enum col_type type;
};

static const struct column contact_columns[] = {
    {"id", "id", C_INT},
    {"name", "name", C_TEXT},
    {"account", NULL, C_TEXT},
    {"title", "title", C_TEXT},
    {"birthday", "birthday", C_DATE},
    {"phones", "phones", C_TEXT},
    {"emails", "emails", C_TEXT},
    {"addresses", "addresses", C_TEXT},
    {"tags", "tags", C_TEXT},
    {"consent", "consent", C_TEXT},
    {"notes", "notes", C_TEXT},
    {"owner", NULL, C_TEXT},
    {"department", "department", C_TEXT},
    {"buying_role", "buying_role", C_TEXT},
    {"reports_to", NULL, C_TEXT},
    {"reports_to_phone", NULL, C_TEXT},
    {"tier", "tier", C_TEXT},
    {"created_at", "created_at", C_TIME},
    {"updated_at", "updated_at", C_TIME},
};

static const struct column account_columns[] = {
    {"id", "id", C_INT},
    {"name", "name", C_TEXT},
    {"industry", "industry", C_TEXT},
    {"website", "website", C_TEXT},
    {"tags", "tags", C_TEXT},
    {"notes", "notes", C_TEXT},
    {"owner", NULL, C_TEXT},
    {"parent", NULL, C_TEXT},
    {"tier", "tier", C_TEXT},
    {"created_at", "created_at", C_TIME},
    {"updated_at", "updated_at", C_TIME},
};

static const struct column interaction_columns[] = {
    {"id", "id", C_INT},
    {"contact", NULL, C_TEXT},
    {"contact_phone", NULL, C_TEXT},
    {"account", NULL, C_TEXT},
    {"channel", "channel", C_TEXT},
    {"direction", "direction", C_TEXT},
    {"occurred_at", "occurred_at", C_TIME},
    {"duration_s", "duration_s", C_INT},
    {"subject", "subject", C_TEXT},
    {"body", "body", C_TEXT},
    {"outcome", "outcome", C_TEXT},
    {"created_at", "created_at", C_TIME},
};

static const struct column order_columns[] = {
    {"id", "id", C_INT},
    {"external_ref", "external_ref", C_TEXT},
    {"source", "source", C_TEXT},
    {"ordered_at", "ordered_at", C_TIME},
    {"amount", "amount", C_MONEY},
    {"cost", "cost", C_MONEY},
    {"currency", "currency", C_TEXT},
    {"status", "status", C_TEXT},
    {"lines", "lines", C_TEXT},
    {"contact", NULL, C_TEXT},
    {"contact_phone", NULL, C_TEXT},
    {"account", NULL, C_TEXT},
    {"created_at", "created_at", C_TIME},
};

int exports_format(const char *name)
{
	if (!name || strcasecmp(name, "csv") == 0)
		return EXPORT_CSV;
	if (strcasecmp(name, "xlsx") == 0)
		return EXPORT_XLSX;
	if (strcasecmp(name, "vcf") == 0 || strcasecmp(name, "vcard") == 0)
		return EXPORT_VCARD;
	return -1;
}

const char *exports_content_type(enum export_format format)
{
	switch (format) {
	case EXPORT_XLSX:
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
	case EXPORT_VCARD: return "text/vcard; charset=utf-8";
	default: return "text/csv; charset=utf-8";
	}
}

const char *exports_extension(enum export_format format)
{
	return format == EXPORT_XLSX ? "xlsx" : format == EXPORT_VCARD ? "vcf" : "csv";
}

/* ---- values -------------------------------------------------------------------------------- */

struct exporter {
	struct crm_ctx *ctx;
	const struct column *columns;
	size_t ncolumns;
	enum export_format format;
	FILE *out;
	lxw_workbook *workbook;
	lxw_worksheet *sheet;
	lxw_format *date_format, *time_format, *money_format;
	struct tz_zone *zone; /* XLSX: times as wall-clock times in the configured zone */
	uint32_t row;
	struct buf cell;
};

static const char *lookup_text(struct exporter *x, const char *sql, const json_t *id)
{
	static _Thread_local char value[512];
	if (!json_is_integer(id))
		return NULL;
	struct store_stmt *stmt = store_prepare(x->ctx->store, sql, NULL);
	if (!stmt)
		return NULL;
	store_bind_int(stmt, 1, json_integer_value(id));
	int found = store_step(stmt, NULL) == STORE_ROW && store_col_text(stmt, 0);
	if (found)
		snprintf(value, sizeof value, "%s", store_col_text(stmt, 0));
	store_done(stmt);
	return found ? value : NULL;
}

/* "mobile: 138 0013 8000; work: 010 6552 9988" — the form imports.c reads back. */
static void listed(struct buf *b, const json_t *list, const char *key)
{
	size_t i;
	const json_t *item;
	json_array_foreach(list, i, item)
	{
		buf_printf(b, "%s%s: %s", i ? "; " : "",
		           json_string_value(json_object_get(item, "kind"))
		               ? json_string_value(json_object_get(item, "kind"))
		               : "other",
		           json_string_value(json_object_get(item, key))
		               ? json_string_value(json_object_get(item, key))
		               : "");
	}
}

/* The cell's text in x->cell; NULL when empty. */
static const char *cell_text(struct exporter *x, const json_t *record, const struct column *c)
{
	struct buf *b = &x->cell;
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
	const json_t *v = c->field ? json_object_get(record, c->field) : NULL;
	const char *h = c->header;
	if (!c->field) {
		static const char name_of_contact[] = "SELECT name FROM contacts WHERE id = ?",
		                  phone_of_contact[] = "SELECT e164 FROM contact_phones WHERE "
		                                       "contact_id = ? ORDER BY e164 LIMIT 1",
		                  name_of_account[] = "SELECT name FROM accounts WHERE id = ?";
		/* Columns that name another record the way an import finds it again. */
		static const struct {
			const char *header, *sql, *id;
		} lookups[] = {
		    {"account", name_of_account, "account_id"},
		    {"parent", name_of_account, "parent_id"},
		    {"owner", "SELECT username FROM users WHERE id = ?", "owner_id"},
		    {"contact", name_of_contact, "contact_id"},
		    {"contact_phone", phone_of_contact, "contact_id"},
		    {"reports_to", name_of_contact, "reports_to_id"},
		    {"reports_to_phone", phone_of_contact, "reports_to_id"},
		};
		const char *s = NULL;
		for (size_t i = 0; i < COUNT(lookups) && !s; i++)
			if (strcmp(h, lookups[i].header) == 0)
				s = lookup_text(x, lookups[i].sql,
				                json_object_get(record, lookups[i].id));
		if (s)
			buf_append(b, s);
	} else if (strcmp(h, "phones") == 0) {
		listed(b, v, "number");
	} else if (strcmp(h, "emails") == 0) {
		listed(b, v, "address");
	} else if (strcmp(h, "tags") == 0) {
		size_t i;
		const json_t *tag;
		json_array_foreach(v, i, tag)
		{
			buf_printf(b, "%s%s", i ? "; " : "", json_string_value(tag));
		}
	} else if (json_is_array(v) || json_is_object(v)) {
		if (json_array_size(v) > 0 || json_object_size(v) > 0) {
			char *text = json_dumps(v, JSON_COMPACT);
			buf_append(b, text ? text : "");
			free(text);
		}
	} else if (json_is_string(v)) {
		buf_append(b, json_string_value(v));
	} else if (json_is_integer(v)) {
		buf_printf(b, "%lld", (long long)json_integer_value(v));
	}
	return b->len ? buf_text(b) : NULL;
}

/* ---- CSV ---------------------------------------------------------------------------------- */

/* A value a spreadsheet would run as a formula (=, @, or + and - before anything but a number:
 * "=HYPERLINK(...)", "+cmd|..."); phone numbers and amounts ("+86 138...", "-12.50") are not. */
static int looks_like_formula(const char *s)
{
	if (*s == '=' || *s == '@' || *s == '\t' || *s == '\r')
		return 1;
	return (*s == '+' || *s == '-') && s[strspn(s, "+-0123456789 ().")] != '\0';
}

static void csv_field(FILE *out, const char *s)
{
	if (!s)
		return;
	/* Values are written as they are (a round trip must give them back unchanged), except that
	 * a formula gets a leading ' (CSV injection), which the importer takes off again. */
	int quoted = strpbrk(s, ",\"\r\n;") || *s == ' ';
	if (quoted)
		fputc('"', out);
	if (looks_like_formula(s))
		fputc('\'', out);
	for (; *s; s++) {
		if (quoted && *s == '"')
			fputc('"', out);
		fputc(*s, out);
	}
	if (quoted)
		fputc('"', out);
}

static int csv_row(struct exporter *x, const json_t *record)
{
	for (size_t i = 0; i < x->ncolumns; i++) {
		if (i)
			fputc(',', x->out);
		csv_field(x->out,
		          record ? cell_text(x, record, &x->columns[i]) : x->columns[i].header);
	}
	fputs("\r\n", x->out);
	return ferror(x->out) ? -1 : 0;
}

/* ---- XLSX --------------------------------------------------------------------------------- */

static double serial_of(int64_t unix_seconds)
{
	return (double)unix_seconds / 86400.0 + 25569.0;
}

/* A spreadsheet's date and time has no zone: it is written as the wall-clock time in the
 * configured zone, which is what its readers expect and how imports read one back. */
static double local_serial_of(struct exporter *x, int64_t unix_seconds)
{
	int offset = 0;
	if (x->zone && tz_offset(x->zone, unix_seconds, &offset) < 0)
		offset = 0;
	return serial_of(unix_seconds + offset);
}

static int xlsx_row(struct exporter *x, const json_t *record)
{
	for (size_t i = 0; i < x->ncolumns; i++) {
		const struct column *c = &x->columns[i];
		lxw_col_t col = (lxw_col_t)i;
		if (!record) {
			worksheet_write_string(x->sheet, 0, col, c->header, NULL);
			continue;
		}
		const char *text = cell_text(x, record, c);
		if (!text)
			continue;
		int64_t n = 0;
		if (c->type == C_INT) {
			worksheet_write_number(x->sheet, x->row, col, strtod(text, NULL), NULL);
		} else if (c->type == C_MONEY && money_parse(text, &n) == 0) {
			worksheet_write_number(x->sheet, x->row, col, (double)n / 100.0,
			                       x->money_format);
		} else if (c->type == C_TIME && clock_parse(text, &n) == 0) {
			worksheet_write_number(x->sheet, x->row, col, local_serial_of(x, n),
			                       x->time_format);
		} else if (c->type == C_DATE && clock_check_date(text) == 0) {
			char iso[40];
			snprintf(iso, sizeof iso, "%sT00:00:00Z", text);
			clock_parse(iso, &n);
			worksheet_write_number(x->sheet, x->row, col, serial_of(n), x->date_format);
		} else {
			worksheet_write_string(x->sheet, x->row, col, text, NULL);
		}
	}
	return 0;
}

/* ---- vCard 4.0 ---------------------------------------------------------------------------- */

/* Appends text escaped for a vCard value (\\, \, \; \n). */
static void vc_escape(struct buf *b, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '\\' || *s == ',' || *s == ';')
			buf_append_n(b, "\\", 1);
		if (*s == '\n')
			buf_append(b, "\\n");
		else if (*s != '\r')
			buf_append_n(b, s, 1);
	}
}

/* Writes one content line folded at 75 octets, never inside a UTF-8 sequence. */
static void vc_line(FILE *out, const char *line)
{
	size_t len = strlen(line), at = 0, width = 75;
	while (len - at > width) {
		size_t n = width;
		while (n > 0 && ((unsigned char)line[at + n] & 0xC0) == 0x80)
			n--;
		fwrite(line + at, 1, n, out);
		fputs("\r\n ", out);
		at += n;
		width = 74;
	}
	fputs(line + at, out);
	fputs("\r\n", out);
}

static void vc_prop(FILE *out, struct buf *b, const char *head, const char *value)
{
	if (!value || !*value)
		return;
	b->len = 0;
	buf_append(b, head);
	buf_append(b, ":");
	vc_escape(b, value);
	vc_line(out, buf_text(b) ? buf_text(b) : "");
}

static const char *tel_type(const char *kind)
{
	if (!kind || strcmp(kind, "mobile") == 0)
		return "cell";
	return strcmp(kind, "other") == 0 ? "voice" : kind;
}

static int vcard_row(struct exporter *x, const json_t *c)
{
	FILE *out = x->out;
	struct buf b = {0};
	const char *name = json_string_value(json_object_get(c, "name"));
	vc_line(out, "BEGIN:VCARD");
	vc_line(out, "VERSION:4.0");
	vc_prop(out, &b, "FN", name);
	/* N: Han names split after the first character (the usual one-character surname),
	 * others before the last word. */
	b.len = 0;
	buf_append(&b, "N:");
	const char *space = name ? strrchr(name, ' ') : NULL;
	if (name && (unsigned char)name[0] >= 0xE3 && !space) {
		char family[8] = {0};
		memcpy(family, name, 3);
		vc_escape(&b, family);
		buf_append(&b, ";");
		vc_escape(&b, name + 3);
	} else if (space) {
		vc_escape(&b, space + 1);
		buf_append(&b, ";");
		char *given = strndup(name, (size_t)(space - name));
		vc_escape(&b, given);
		free(given);
	} else {
		vc_escape(&b, name);
		buf_append(&b, ";");
	}
	buf_append(&b, ";;;");
	vc_line(out, buf_text(&b) ? buf_text(&b) : "N:;;;;");
	size_t i;
	const json_t *item;
	json_array_foreach(json_object_get(c, "phones"), i, item)
	{
		char head[80];
		const char *e164 = json_string_value(json_object_get(item, "e164"));
		snprintf(head, sizeof head, "TEL;VALUE=uri;TYPE=%s",
		         tel_type(json_string_value(json_object_get(item, "kind"))));
		b.len = 0;
		buf_printf(&b, "%s:tel:%s", head, e164 ? e164 : "");
		vc_line(out, buf_text(&b) ? buf_text(&b) : "");
	}
	json_array_foreach(json_object_get(c, "emails"), i, item)
	{
		char head[64];
		const char *kind = json_string_value(json_object_get(item, "kind"));
		snprintf(head, sizeof head, "EMAIL%s%s",
		         kind && strcmp(kind, "other") ? ";TYPE=" : "",
		         kind && strcmp(kind, "other") ? kind : "");
		vc_prop(out, &b, head, json_string_value(json_object_get(item, "address")));
	}
	json_array_foreach(json_object_get(c, "addresses"), i, item)
	{
		static const char *const parts[] = {"street", "city", "region", "postcode",
		                                    "country"};
		const char *kind = json_string_value(json_object_get(item, "kind"));
		b.len = 0;
		buf_printf(&b, "ADR;TYPE=%s:;;",
		           kind && strcmp(kind, "home") == 0 ? "home" : "work");
		for (size_t p = 0; p < COUNT(parts); p++) {
			if (p)
				buf_append(&b, ";");
			vc_escape(&b, json_string_value(json_object_get(item, parts[p])));
		}
		vc_line(out, buf_text(&b) ? buf_text(&b) : "");
	}
	/* ORG: the company, then the department as its first unit. */
	const char *account = lookup_text(x, "SELECT name FROM accounts WHERE id = ?",
	                                  json_object_get(c, "account_id")),
	           *department = json_string_value(json_object_get(c, "department"));
	if (account || department) {
		b.len = 0;
		buf_append(&b, "ORG:");
		vc_escape(&b, account);
		if (department) {
			buf_append(&b, ";");
			vc_escape(&b, department);
		}
		vc_line(out, buf_text(&b) ? buf_text(&b) : "");
	}
	vc_prop(out, &b, "TITLE", json_string_value(json_object_get(c, "title")));
	const char *birthday = json_string_value(json_object_get(c, "birthday"));
	if (birthday) {
		b.len = 0;
		buf_printf(&b, "BDAY:%s", birthday);
		vc_line(out, buf_text(&b) ? buf_text(&b) : "");
	}
	vc_prop(out, &b, "NOTE", json_string_value(json_object_get(c, "notes")));
	if (json_array_size(json_object_get(c, "tags"))) {
		b.len = 0;
		buf_append(&b, "CATEGORIES:");
		json_array_foreach(json_object_get(c, "tags"), i, item)
		{
			if (i)
				buf_append(&b, ",");
			vc_escape(&b, json_string_value(item));
		}
		vc_line(out, buf_text(&b) ? buf_text(&b) : "");
	}
	vc_line(out, "END:VCARD");
	int failed = b.failed;
	buf_free(&b);
	return failed || ferror(out) ? -1 : 0;
}

/* ---- the export ------------------------------------------------------------------------- */

static int write_row(struct exporter *x, const json_t *record)
{
	switch (x->format) {
	case EXPORT_XLSX: return xlsx_row(x, record);
	case EXPORT_VCARD: return record ? vcard_row(x, record) : 0;
	default: return csv_row(x, record);
	}
}

static int open_output(struct exporter *x, const char *path, struct gx_error *err)
{
	if (x->format == EXPORT_XLSX) {
		lxw_workbook_options options = {.constant_memory = LXW_TRUE, .tmpdir = NULL};
		x->workbook = workbook_new_opt(path, &options);
		x->sheet = x->workbook ? workbook_add_worksheet(x->workbook, NULL) : NULL;
		if (!x->sheet)
			return gx_fail(err, GX_EINTERNAL, NULL, "cannot write %s", path);
		x->date_format = workbook_add_format(x->workbook);
		format_set_num_format(x->date_format, "yyyy-mm-dd");
		x->time_format = workbook_add_format(x->workbook);
		format_set_num_format(x->time_format, "yyyy-mm-dd hh:mm:ss");
		x->money_format = workbook_add_format(x->workbook);
		format_set_num_format(x->money_format, "#,##0.00");
		x->zone = tz_open(x->ctx->config->timezone);
		return 0;
	}
	x->out = fopen(path, "wb");
	if (!x->out)
		return gx_fail(err, GX_EVALIDATION, "output", "cannot write %s", path);
	if (x->format == EXPORT_CSV)
		fputs("\xEF\xBB\xBF", x->out); /* Excel reads BOM-less CSV as the local code page */
	return 0;
}

static int close_output(struct exporter *x, int rc, struct gx_error *err)
{
	if (x->workbook) {
		lxw_error e = workbook_close(x->workbook);
		if (e != LXW_NO_ERROR && rc == 0)
			rc = gx_fail(err, GX_EINTERNAL, NULL, "writing the workbook failed: %s",
			             lxw_strerror(e));
	}
	if (x->out && fclose(x->out) != 0 && rc == 0)
		rc = gx_fail(err, GX_EINTERNAL, NULL, "writing the file failed");
	tz_close(x->zone);
	return rc;
}

int exports_write(struct crm_ctx *ctx, const struct record_kind *kind, enum export_format format,
                  const struct list_query *lq, const char *path, int64_t *rows,
                  struct gx_error *err)
{
	struct exporter x = {.ctx = ctx, .format = format};
	if (kind == &contact_kind) {
		x.columns = contact_columns;
		x.ncolumns = COUNT(contact_columns);
	} else if (kind == &account_kind) {
		x.columns = account_columns;
		x.ncolumns = COUNT(account_columns);
	} else if (kind == &interaction_kind) {
		x.columns = interaction_columns;
		x.ncolumns = COUNT(interaction_columns);
	} else {
		x.columns = order_columns;
		x.ncolumns = COUNT(order_columns);
	}
	if (format == EXPORT_VCARD && kind != &contact_kind)
		return gx_fail(err, GX_EVALIDATION, "format", "only contacts export to vCard");
	int rc = open_output(&x, path, err);
	if (rc == 0)
		rc = write_row(&x, NULL);
	x.row = 1;
	int64_t n = 0;
	char *cursor = NULL;
	struct list_query page = *lq;
	page.limit = 500;
	while (rc == 0) {
		page.cursor = cursor;
		json_t *out = NULL;
		rc = records_list(ctx, kind, &page, &out, err);
		if (rc < 0)
			break;
		size_t i;
		json_t *record;
		json_array_foreach(json_object_get(out, "data"), i, record)
		{
			if (rc == 0 && (rc = write_row(&x, record)) < 0)
				rc = gx_fail(err, GX_EINTERNAL, NULL, "writing the file failed");
			x.row++;
			n++;
		}
		const char *next = json_string_value(json_object_get(out, "next_cursor"));
		free(cursor);
		cursor = next ? strdup(next) : NULL;
		json_decref(out);
		if (!cursor)
			break;
	}
	free(cursor);
	buf_free(&x.cell);
	rc = close_output(&x, rc, err);
	if (rows)
		*rows = n;
	return rc;
}
