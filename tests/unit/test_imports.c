/* test_imports.c — crm/imports and crm/exports with the real-world files of tests/data: exact
 * counts and reasons of dry and real runs, idempotency (the same file twice changes nothing;
 * the same people in another encoding are duplicates), GBK and Big5 detected, vCard 2.1/3.0/4.0
 * with CJK, quoted-printable and folded lines, a broken CSV, and the round trip export ->
 * import into an empty database in CSV and XLSX. Also base/vcard and base/csvread directly. */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/csvread.h"
#include "base/log.h"
#include "base/vcard.h"
#include "crm/exports.h"
#include "crm/imports.h"
#include "crm/records.h"
#include "crm/users.h"

struct fixture {
	char dir[64];
	char path[128];
	struct config config;
	struct crm_ctx ctx;
};

/* A file of tests/data, or any file by its absolute path. */
static char *slurp(const char *name, size_t *len)
{
	char path[256];
	snprintf(path, sizeof path, "%s%s", name[0] == '/' ? "" : "tests/data/", name);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *data = malloc((size_t)n + 1);
	assert_int_equal(fread(data, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return data;
}

static int open_db(struct fixture *f, const char *name)
{
	snprintf(f->path, sizeof f->path, "%s/%s", f->dir, name);
	struct gx_error err = {0};
	f->ctx = (struct crm_ctx){.config = &f->config, .actor = access_system_actor()};
	if (store_open(&f->ctx.store, f->path, &err) < 0 || store_migrate(f->ctx.store, &err) < 0)
		return -1;
	return 0;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	snprintf(f->dir, sizeof f->dir, "/tmp/gx-imports-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	config_defaults(&f->config);
	log_set_level(LOG_WARN);
	*state = f;
	return open_db(f, "a.db");
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	store_close(f->ctx.store);
	char cmd[160];
	snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

/* Runs an import of a tests/data file; the report. */
static json_t *import(struct fixture *f, const char *file, const char *kind, int dry_run)
{
	size_t len;
	char *data = slurp(file, &len);
	struct import_options opt = {.kind = kind, .filename = file, .dry_run = dry_run};
	struct gx_error err = {0};
	json_t *report = NULL;
	int rc = imports_run(&f->ctx, data, len, &opt, 0, &report, &err);
	free(data);
	if (rc < 0)
		fail_msg("import of %s failed: %s (%s)", file, err.message, err.field);
	return report;
}

static void assert_counts(const json_t *r, long created, long updated, long duplicates,
                          long rejected)
{
	assert_int_equal(json_integer_value(json_object_get(r, "created")), created);
	assert_int_equal(json_integer_value(json_object_get(r, "updated")), updated);
	assert_int_equal(json_integer_value(json_object_get(r, "duplicates")), duplicates);
	assert_int_equal(json_integer_value(json_object_get(r, "rejected")), rejected);
}

static void assert_reject(const json_t *r, size_t i, long line, const char *field,
                          const char *message)
{
	const json_t *x = json_array_get(json_object_get(r, "rejects"), i);
	assert_non_null(x);
	assert_int_equal(json_integer_value(json_object_get(x, "line")), line);
	if (field)
		assert_string_equal(json_string_value(json_object_get(x, "field")), field);
	assert_string_equal(json_string_value(json_object_get(x, "message")), message);
}

static long count(struct fixture *f, const char *sql)
{
	struct store_stmt *stmt = store_prepare(f->ctx.store, sql, NULL);
	assert_non_null(stmt);
	assert_int_equal(store_step(stmt, NULL), STORE_ROW);
	long n = (long)store_col_int(stmt, 0);
	store_done(stmt);
	return n;
}

static void test_salesforce_dry_run_then_real_run_then_nothing(void **state)
{
	struct fixture *f = *state;
	json_t *r = import(f, "salesforce_contacts.csv", NULL, 1);
	assert_string_equal(json_string_value(json_object_get(r, "kind")), "contacts");
	assert_counts(r, 3, 0, 0, 3);
	assert_reject(r, 0, 5, "Mobile", "\"12345\" is not a phone number (region CN)");
	assert_reject(r, 1, 6, "Email", "\"not-an-email\" is not an email address");
	assert_reject(r, 2, 7, "name", "name is required");
	json_decref(r);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM contacts"), 0);
	r = import(f, "salesforce_contacts.csv", NULL, 0);
	assert_counts(r, 3, 0, 0, 3);
	json_decref(r);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM contacts"), 3);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM accounts"), 2);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM contact_phones"), 5);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM search_contacts"), 3);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM audit WHERE action = 'import'"), 5);
	r = import(f, "salesforce_contacts.csv", NULL, 0);
	assert_counts(r, 0, 0, 3, 3);
	json_decref(r);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM contacts"), 3);
}

static void test_gbk_and_utf8_are_the_same_people(void **state)
{
	struct fixture *f = *state;
	json_t *r = import(f, "chinese_contacts_gbk.csv", NULL, 0);
	assert_string_equal(json_string_value(json_object_get(r, "encoding")), "gb18030");
	assert_counts(r, 3, 0, 0, 0);
	json_decref(r);
	r = import(f, "chinese_contacts_utf8.csv", NULL, 0);
	assert_string_equal(json_string_value(json_object_get(r, "encoding")), "utf-8");
	assert_counts(r, 0, 0, 3, 0);
	json_decref(r);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM contacts WHERE name = '王芳' AND "
	                          "phones LIKE '%+8613700137000%'"),
	                 1);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM contacts WHERE birthday = '1985-03-08'"),
	                 1);
}

static void test_big5_is_detected(void **state)
{
	struct fixture *f = *state;
	snprintf(f->config.region, sizeof f->config.region, "TW");
	json_t *r = import(f, "taiwan_contacts_big5.csv", NULL, 0);
	assert_string_equal(json_string_value(json_object_get(r, "encoding")), "big5");
	assert_counts(r, 2, 0, 0, 0);
	json_decref(r);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM contacts WHERE name = '陳志明'"), 1);
	assert_int_equal(
	    count(f, "SELECT COUNT(*) FROM contact_phones WHERE e164 = '+886912345678'"), 1);
}

static void test_broken_csv_rejects_rows_with_reasons(void **state)
{
	struct fixture *f = *state;
	json_t *r = import(f, "broken.csv", NULL, 0);
	assert_counts(r, 2, 0, 0, 2);
	assert_reject(r, 0, 3, NULL, "the row has 4 fields but the header has 3");
	assert_reject(r, 1, 5, NULL, "a quoted field opened on line 5 is never closed");
	json_decref(r);
	assert_int_equal(
	    count(f, "SELECT COUNT(*) FROM contacts WHERE name = 'Quote \"Inside\" Co'"), 1);
}

static void test_vcards_of_three_versions(void **state)
{
	struct fixture *f = *state;
	json_t *r = import(f, "phone_export_v21.vcf", NULL, 0);
	assert_counts(r, 2, 0, 0, 0);
	json_decref(r);
	r = import(f, "apple_v30.vcf", NULL, 0);
	assert_counts(r, 2, 0, 0, 0);
	json_decref(r);
	r = import(f, "google_v40.vcf", NULL, 0);
	assert_counts(r, 1, 0, 0, 0);
	json_decref(r);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM contacts WHERE name = '张伟' AND notes = "
	                          "'老客户，喜欢喝茶。' AND json_array_length(phones) = 3"),
	                 1);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM contacts WHERE name = '李娜'"), 1);
	/* ORG:台湾电子股份有限公司;业务部 — the company and its department. */
	assert_int_equal(count(f,
	                       "SELECT COUNT(*) FROM contacts c JOIN accounts a ON a.id = "
	                       "c.account_id WHERE c.name = '陈志明' AND c.birthday = '1978-11-02' "
	                       "AND c.tags = '[\"VIP\",\"Taiwan\"]' AND c.department = '业务部' "
	                       "AND a.name = '台湾电子股份有限公司'"),
	                 1);
	assert_int_equal(
	    count(f, "SELECT COUNT(*) FROM contacts WHERE name = '王芳' AND "
	             "birthday = '1990-03-15' AND notes LIKE '%所以长文本会被折成好几行。'"),
	    1);
	r = import(f, "google_v40.vcf", NULL, 0);
	assert_counts(r, 0, 0, 1, 0);
	json_decref(r);
}

static void round_trip(struct fixture *f, enum export_format format)
{
	json_decref(import(f, "salesforce_contacts.csv", NULL, 0));
	json_decref(import(f, "apple_v30.vcf", NULL, 0));
	/* Values a spreadsheet would run as formulas travel guarded and come back as they were. */
	struct store_stmt *guard = store_prepare(
	    f->ctx.store,
	    "UPDATE contacts SET title = '=HYPERLINK(\"http://x.example\",\"y\")', notes = "
	    "'+cmd|calc' WHERE id = (SELECT MIN(id) FROM contacts)",
	    NULL);
	assert_int_equal(store_exec(guard, NULL), STORE_DONE);
	/* The org chart travels too: the first contact reports to the last (written after it in
	 * the file: the import puts managers first), and the second to the first. */
	struct store_stmt *chart = store_prepare(
	    f->ctx.store,
	    "UPDATE contacts SET department = '采购部', buying_role = 'decision_maker', "
	    "reports_to_id = CASE id WHEN (SELECT MIN(id) FROM contacts) THEN (SELECT MAX(id) FROM "
	    "contacts) ELSE (SELECT MIN(id) FROM contacts) END WHERE id IN (SELECT id FROM "
	    "contacts "
	    "ORDER BY id LIMIT 2)",
	    NULL);
	assert_int_equal(store_exec(chart, NULL), STORE_DONE);
	char out[160];
	snprintf(out, sizeof out, "%s/out.%s", f->dir, exports_extension(format));
	struct list_query lq = {.filters = json_object()};
	struct gx_error err = {0};
	int64_t rows = 0;
	assert_int_equal(exports_write(&f->ctx, &contact_kind, format, &lq, out, &rows, &err), 0);
	json_decref(lq.filters);
	assert_int_equal(rows, 5);
	static const char sql[] =
	    "SELECT group_concat(x, char(10)) FROM (SELECT c.name || '|' || IFNULL(a.name, '') || "
	    "'|' || IFNULL(c.title, '') || '|' || IFNULL(c.birthday, '') || '|' || c.phones || "
	    "'|' || c.emails || '|' || c.addresses || '|' || c.tags || '|' || IFNULL(c.notes, '') "
	    "|| '|' || IFNULL(c.department, '') || '|' || IFNULL(c.buying_role, '') || '|' || "
	    "IFNULL(m.name, '') AS x FROM contacts c LEFT JOIN accounts a ON a.id = c.account_id "
	    "LEFT JOIN contacts m ON m.id = c.reports_to_id ORDER BY c.name)";
	struct store_stmt *stmt = store_prepare(f->ctx.store, sql, NULL);
	assert_int_equal(store_step(stmt, NULL), STORE_ROW);
	char *before = strdup(store_col_text(stmt, 0));
	store_done(stmt);
	assert_non_null(strstr(before, "|采购部|decision_maker|"));
	store_close(f->ctx.store);
	assert_int_equal(open_db(f, "b.db"), 0);
	FILE *in = fopen(out, "rb");
	fseek(in, 0, SEEK_END);
	size_t len = (size_t)ftell(in);
	fseek(in, 0, SEEK_SET);
	char *data = malloc(len + 1);
	assert_int_equal(fread(data, 1, len, in), len);
	data[len] = '\0';
	fclose(in);
	if (format == EXPORT_CSV) {
		assert_non_null(strstr(data, "\"'=HYPERLINK("));
		assert_non_null(strstr(data, "'+cmd|calc"));
	}
	struct import_options opt = {.filename = out};
	json_t *r = NULL;
	assert_int_equal(imports_run(&f->ctx, data, len, &opt, 0, &r, &err), 0);
	free(data);
	assert_counts(r, 5, 0, 0, 0);
	json_decref(r);
	stmt = store_prepare(f->ctx.store, sql, NULL);
	assert_int_equal(store_step(stmt, NULL), STORE_ROW);
	assert_string_equal(store_col_text(stmt, 0), before);
	store_done(stmt);
	free(before);
}

static void test_round_trip_csv(void **state)
{
	round_trip(*state, EXPORT_CSV);
}

static void test_round_trip_xlsx(void **state)
{
	round_trip(*state, EXPORT_XLSX);
}

static void test_accounts_detected_and_updated(void **state)
{
	struct fixture *f = *state;
	json_decref(import(f, "salesforce_contacts.csv", NULL, 0));
	json_t *r = import(f, "accounts.csv", NULL, 0);
	assert_string_equal(json_string_value(json_object_get(r, "kind")), "accounts");
	/* Acme and Pearl River came with the contacts: they gain industry and website. */
	assert_counts(r, 1, 2, 0, 0);
	json_decref(r);
	assert_int_equal(
	    count(f, "SELECT COUNT(*) FROM accounts WHERE website = 'acme.example.com'"), 1);
}

static int card_count(void *arg, const struct vcard *card)
{
	(*(int *)arg)++;
	const struct vcard_prop *fn = vcard_get(card, "FN");
	assert_non_null(fn);
	return 0;
}

static void test_vcard_unfolds_and_decodes(void **state)
{
	(void)state;
	static const char text[] = "BEGIN:VCARD\r\nVERSION:2.1\r\nFN;ENCODING=QUOTED-PRINTABLE;"
	                           "CHARSET=UTF-8:=E5=BC=A0=\r\n=E4=BC=9F\r\nNOTE:a\r\n b\r\n"
	                           "END:VCARD\r\n";
	int n = 0;
	assert_int_equal(vcard_parse(text, strlen(text), NULL, card_count, &n, NULL), 0);
	assert_int_equal(n, 1);
	char value[] = "a\\;b;c\\nd";
	char *parts[3];
	assert_int_equal(vcard_split(value, ';', parts, 3), 2);
	assert_string_equal(parts[0], "a;b");
	assert_string_equal(parts[1], "c\nd");
}

/* Runs an import of text; the report. */
static json_t *import_text(struct fixture *f, const char *text, int dry_run)
{
	struct import_options opt = {.kind = "contacts", .filename = "in.csv", .dry_run = dry_run};
	struct gx_error err = {0};
	json_t *report = NULL;
	if (imports_run(&f->ctx, text, strlen(text), &opt, 0, &report, &err) < 0)
		fail_msg("import failed: %s (%s)", err.message, err.field);
	return report;
}

/* A first import into an empty database takes the fast path (ids given by the writer,
 * duplicates within the file found in memory); the dry run takes the ordinary one. Both count
 * the same, and the result is what the ordinary path writes. */
static void test_fast_path_counts_as_the_ordinary_path(void **state)
{
	struct fixture *f = *state;
	static const char text[] =
	    "姓名,手机,邮箱,公司\n"
	    "张伟,13800138000,zw@example.cn,华东贸易有限公司\n"
	    "张伟,13800138000,zw@example.cn,华东贸易有限公司\n" /* the same row */
	    "张伟,+86 138-0013-8000,,\n"                        /* the same number */
	    "李娜,13900139000,LN@Example.cn,华东贸易有限公司\n"
	    "李娜,,ln@example.cn,\n" /* the same email */
	    "王芳,13700137000,wf@example.cn,\n"
	    "王芳,13700137000,wf2@example.cn,\n" /* a new email for her */
	    "Bob,12345,,\n"
	    "Tom,0086 138 0013 8001,,东盛电子有限公司\n";
	json_t *r = import_text(f, text, 1);
	assert_counts(r, 4, 1, 3, 1);
	assert_reject(r, 0, 9, "手机", "\"12345\" is not a phone number (region CN)");
	json_decref(r);
	r = import_text(f, text, 0);
	assert_counts(r, 4, 1, 3, 1);
	json_decref(r);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM contacts"), 4);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM accounts"), 2);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM contact_phones"), 4);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM contact_emails"), 4);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM search_contacts"), 4);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM search_accounts"), 2);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM search_contacts_fts WHERE "
	                          "search_contacts_fts MATCH '8613800138001'"),
	                 1);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM audit WHERE action = 'import'"), 6);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM contacts c JOIN accounts a ON a.id = "
	                          "c.account_id WHERE a.name = '华东贸易有限公司'"),
	                 2);
	/* The deferred indexes are back. */
	assert_int_equal(count(f, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND "
	                          "name IN ('contacts_name', 'contacts_account')"),
	                 2);
	/* Again: nothing new. */
	r = import_text(f, text, 0);
	assert_counts(r, 0, 0, 8, 1);
	json_decref(r);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM contacts"), 4);
}

/* An update that brings the same number written another way adds no second entry for it. */
static void test_update_keeps_one_entry_per_number(void **state)
{
	struct fixture *f = *state;
	json_decref(import_text(f, "姓名,手机,邮箱\n张伟,13800138000,zw@example.cn\n", 0));
	json_t *r =
	    import_text(f, "姓名,手机,邮箱\n张伟,+86 138-0013-8000,zhang.wei@example.cn\n", 0);
	assert_counts(r, 0, 1, 0, 0);
	json_decref(r);
	assert_int_equal(count(f, "SELECT json_array_length(phones) FROM contacts"), 1);
	assert_int_equal(count(f, "SELECT json_array_length(emails) FROM contacts"), 2);
}

/* Runs an import of text as kind; the report, or NULL with *err when the file is refused. */
static json_t *import_kind(struct fixture *f, const char *kind, const char *text, int dry_run,
                           struct gx_error *err)
{
	struct import_options opt = {.kind = kind, .filename = "in.csv", .dry_run = dry_run};
	json_t *report = NULL;
	if (imports_run(&f->ctx, text, strlen(text), &opt, 0, &report, err) < 0)
		return NULL;
	return report;
}

static json_t *import_ok(struct fixture *f, const char *kind, const char *text, int dry_run)
{
	struct gx_error err = {0};
	json_t *r = import_kind(f, kind, text, dry_run, &err);
	if (!r)
		fail_msg("import failed: %s (%s)", err.message, err.field);
	return r;
}

/* tests/data/interactions_call_log.csv: a call and visit log with Chinese headers naming the
 * customers of chinese_contacts_utf8.csv by phone, email or name; durations as 06:12, 45 and
 * 5分30秒, directions as 呼入, 发出, 收到, and a visit without one. */
static void test_call_log_interactions(void **state)
{
	struct fixture *f = *state;
	json_decref(import(f, "chinese_contacts_utf8.csv", NULL, 0));
	json_t *r = import(f, "interactions_call_log.csv", NULL, 1);
	assert_string_equal(json_string_value(json_object_get(r, "kind")), "interactions");
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(r, "mapping"), "联系电话")),
	    "contact_phone");
	assert_counts(r, 5, 0, 0, 3);
	assert_reject(r, 0, 6, "联系电话", "no contact \"186 0000 9999\"");
	assert_reject(r, 1, 8, "沟通方式",
	              "\"传真\" is not a channel (phone, email, chat, sms, web, visit, meeting, "
	              "social, forum)");
	assert_reject(r, 2, 9, "方向", "direction is required: inbound or outbound (呼入, 呼出)");
	json_decref(r);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM interactions"), 0);

	r = import(f, "interactions_call_log.csv", NULL, 0);
	assert_counts(r, 5, 0, 0, 3);
	json_decref(r);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM interactions"), 5);
	/* 2025-03-03 09:15 in Beijing (the default zone) is 01:15 UTC. */
	assert_int_equal(count(f, "SELECT COUNT(*) FROM interactions i JOIN contacts c ON c.id = "
	                          "i.contact_id WHERE c.name = '张伟' AND i.channel = 'phone' AND "
	                          "i.direction = 'inbound' AND i.duration_s = 372 AND "
	                          "i.outcome = '已报价' AND i.account_id = c.account_id AND "
	                          "i.occurred_at = 1740964500"),
	                 1);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM interactions WHERE channel = 'phone' AND "
	                          "direction = 'outbound' AND duration_s = 330"),
	                 1);
	assert_int_equal(count(f,
	                       "SELECT COUNT(*) FROM interactions i JOIN contacts c ON c.id = "
	                       "i.contact_id WHERE c.name = '李娜' AND ((i.channel = 'email' AND "
	                       "i.direction = 'outbound') OR (i.channel = 'visit' AND "
	                       "i.direction = 'outbound' AND i.occurred_at = 1741132800))"),
	                 2);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM interactions i JOIN contacts c ON c.id = "
	                          "i.contact_id WHERE c.name = '王芳' AND i.channel = 'chat' AND "
	                          "i.direction = 'inbound'"),
	                 1);

	/* The same file again changes nothing. */
	r = import(f, "interactions_call_log.csv", NULL, 0);
	assert_counts(r, 0, 0, 5, 3);
	json_decref(r);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM interactions"), 5);

	/* The log sent again with one call's outcome changed, another's written another way:
	 * found by the record id, the first updated in place, the second unchanged. */
	r = import_ok(f, "interactions",
	              "记录编号,日期,联系电话,沟通方式,方向,结果,通话时长\n"
	              "HD-0001,2025-03-03T09:15:00+08:00,13800138000,phone,inbound,已成交,372\n"
	              "HD-0006,2025/3/7 11:00,+86 138 0013 8000,通话,去电,,330\n",
	              0);
	assert_counts(r, 0, 1, 1, 0);
	json_decref(r);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM interactions"), 5);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM interactions WHERE outcome = '已成交' AND "
	                          "subject = '询价：空气净化器' AND occurred_at = 1740964500"),
	                 1);

	/* Without record ids: a row that says what a stored interaction says is that one; one
	 * that says something else is another interaction. */
	r = import_ok(f, "interactions",
	              "日期,手机,渠道,方向,主题\n"
	              "2025-03-07 11:00,13800138000,电话,outgoing,跟进\n"
	              "2025-03-07 11:00,13800138000,电话,outgoing,另一通电话\n",
	              0);
	assert_counts(r, 1, 0, 1, 0);
	json_decref(r);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM interactions"), 6);
}

/* An import of text as kind with times read in zone; NULL with *err when refused. */
static json_t *import_zone(struct fixture *f, const char *zone, const char *text,
                           struct gx_error *err)
{
	struct import_options opt = {
	    .kind = "interactions", .filename = "in.csv", .timezone = zone};
	json_t *report = NULL;
	if (imports_run(&f->ctx, text, strlen(text), &opt, 0, &report, err) < 0)
		return NULL;
	return report;
}

static long at_of(struct fixture *f, const char *subject)
{
	char sql[200];
	snprintf(sql, sizeof sql, "SELECT occurred_at FROM interactions WHERE subject = '%s'",
	         subject);
	return count(f, sql);
}

/* Times without an offset are wall-clock times in the import's zone (the timezone setting,
 * Asia/Shanghai by default, or the option); an offset or Z keeps its own; a date alone is
 * midnight UTC. Daylight saving time: New York in July is UTC-4, in January UTC-5. */
static void test_times_in_a_time_zone(void **state)
{
	struct fixture *f = *state;
	json_decref(import(f, "chinese_contacts_utf8.csv", NULL, 0));
	struct gx_error err = {0};
	json_t *r = import_zone(f, NULL,
	                        "时间,手机,渠道,方向,主题\n"
	                        "2025-03-03 09:15,13800138000,电话,呼入,sh-space\n"
	                        "2025-03-03T09:15:00,13800138000,电话,呼入,sh-t\n"
	                        "2025/3/3 9:15,13800138000,电话,呼入,sh-slash\n"
	                        "2025-03-03 09:15:00Z,13800138000,电话,呼入,utc-z\n"
	                        "2025-03-03,13800138000,电话,呼入,date-only\n",
	                        &err);
	assert_non_null(r);
	assert_string_equal(json_string_value(json_object_get(r, "timezone")), "Asia/Shanghai");
	assert_counts(r, 5, 0, 0, 0);
	json_decref(r);
	assert_int_equal(at_of(f, "sh-space"), 1740964500); /* 2025-03-03T01:15:00Z */
	assert_int_equal(at_of(f, "sh-t"), 1740964500);
	assert_int_equal(at_of(f, "sh-slash"), 1740964500);
	assert_int_equal(at_of(f, "utc-z"), 1740964500 + 8 * 3600);
	assert_int_equal(at_of(f, "date-only"), 1740960000);

	r = import_zone(f, "America/New_York",
	                "time,phone,channel,direction,subject\n"
	                "2025-07-01 09:15,13800138000,call,in,ny-july\n"
	                "2025-01-15 09:15,13800138000,call,in,ny-january\n"
	                "7/1/2025 09:15,13800138000,call,in,ny-us-order\n"
	                "2025-07-01T09:15:00+08:00,13800138000,call,in,ny-offset\n"
	                "45839.5,13800138000,call,in,ny-excel\n"
	                "45839.29,13800138000,call,in,ny-excel-8\n"
	                "2025-03-09 02:30,13800138000,call,in,ny-skipped\n"
	                "2025-11-02 01:30,13800138000,call,in,ny-twice\n"
	                "2025-02-29 09:15,13800138000,call,in,ny-no-such-day\n",
	                &err);
	assert_non_null(r);
	assert_string_equal(json_string_value(json_object_get(r, "timezone")), "America/New_York");
	assert_counts(r, 8, 0, 0, 1);
	assert_reject(r, 0, 10, "time", "\"2025-02-29 09:15\" is not a date and time");
	json_decref(r);
	assert_int_equal(at_of(f, "ny-july"), 1751375700);    /* 13:15Z: EDT, UTC-4 */
	assert_int_equal(at_of(f, "ny-january"), 1736950500); /* 14:15Z: EST, UTC-5 */
	assert_int_equal(at_of(f, "ny-us-order"), 1751375700);
	assert_int_equal(at_of(f, "ny-offset"), 1751332500);  /* 01:15Z: its own offset */
	assert_int_equal(at_of(f, "ny-excel"), 1751385600);   /* 12:00 EDT */
	assert_int_equal(at_of(f, "ny-excel-8"), 1751367456); /* 06:57:36 EDT, not YYYYMMDD */
	assert_int_equal(at_of(f, "ny-skipped"), 1741505400); /* 02:30 EST = 03:30 EDT */
	assert_int_equal(at_of(f, "ny-twice"), 1762065000);   /* the later 01:30, EST */

	r = import_zone(f, "UTC",
	                "时间,手机,渠道,方向,主题\n2025-07-01 09:15,13800138000,电话,呼入,utc\n",
	                &err);
	assert_non_null(r);
	json_decref(r);
	assert_int_equal(at_of(f, "utc"), 1751361300);

	/* An unknown zone refuses the file, before anything is read or written. */
	static const char text[] =
	    "时间,手机,渠道,方向,主题\n2025-07-01 09:15,13800138000,电话,呼入,x\n";
	static const char *const bad[] = {"Mars/Olympus_Mons", "GMT+8", "", "asia/shanghai x"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		memset(&err, 0, sizeof err);
		assert_null(import_zone(f, bad[i], text, &err));
		assert_int_equal(err.code, GX_EVALIDATION);
		assert_string_equal(err.field, "timezone");
	}
	memset(&err, 0, sizeof err);
	assert_null(import_zone(f, "Mars/Olympus_Mons", text, &err));
	assert_string_equal(err.message, "\"Mars/Olympus_Mons\" is not a time zone; use an IANA "
	                                 "name such as Asia/Shanghai or America/New_York");
	struct import_options opt = {.kind = "interactions", .timezone = "Mars/Olympus_Mons"};
	json_t *proposal = NULL;
	assert_int_equal(imports_propose(&f->ctx, text, strlen(text), &opt, &proposal, &err),
	                 GX_EVALIDATION);
	assert_null(proposal);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM interactions WHERE subject = 'x'"), 0);
}

/* Stops a run after its first batch: the progress callback sees the start, then each batch. */
struct stopper {
	atomic_int stop;
	int started;
	int64_t first;
};

static void stop_after_a_batch(void *arg, const struct import_progress *p)
{
	struct stopper *s = arg;
	if (!s->started) {
		s->started = 1;
		s->first = p->rows_done;
	} else if (p->rows_done > s->first) {
		atomic_store(&s->stop, 1);
	}
}

/* A run of the call log, a row a batch, in zone (NULL: none given), stopped after one batch
 * when stopper is set; the report, or NULL with *err. */
static json_t *run_calls(struct fixture *f, const char *zone, struct stopper *stopper,
                         struct gx_error *err)
{
	static const char text[] = "time,phone,channel,direction,subject\n"
	                           "2025-07-01 09:15,13800138000,call,in,resume-1\n"
	                           "2025-07-01 10:15,13800138000,call,in,resume-2\n"
	                           "2025-01-15 09:15,13800138000,call,in,resume-3\n";
	struct import_options opt = {.kind = "interactions",
	                             .filename = "calls.csv",
	                             .timezone = zone,
	                             .batch_rows = 1,
	                             .threads = 1,
	                             .progress = stopper ? stop_after_a_batch : NULL,
	                             .progress_arg = stopper,
	                             .cancel = stopper ? &stopper->stop : NULL};
	json_t *report = NULL;
	memset(err, 0, sizeof *err);
	if (imports_run(&f->ctx, text, sizeof text - 1, &opt, 0, &report, err) < 0)
		return NULL;
	return report;
}

/* A resumed import reads its times in the zone of the job it resumes, whatever the timezone
 * setting of the new run; the same zone given again is fine, another one is refused (422 on
 * timezone) and writes nothing. */
static void test_resume_keeps_the_jobs_time_zone(void **state)
{
	struct fixture *f = *state;
	json_decref(import(f, "chinese_contacts_utf8.csv", NULL, 0));
	struct gx_error err;
	struct stopper first = {0};
	json_t *r = run_calls(f, "America/New_York", &first, &err);
	assert_non_null(r);
	assert_string_equal(json_string_value(json_object_get(r, "status")), "cancelled");
	assert_int_equal(json_integer_value(json_object_get(r, "rows_done")), 1);
	json_int_t id = json_integer_value(json_object_get(r, "id"));
	json_decref(r);
	assert_int_equal(at_of(f, "resume-1"), 1751375700); /* 09:15 EDT = 13:15Z */

	/* Another zone, explicitly: refused, nothing read or written, the job still resumable. */
	assert_null(run_calls(f, "Asia/Shanghai", NULL, &err));
	assert_int_equal(err.code, GX_EVALIDATION);
	assert_string_equal(err.field, "timezone");
	char want[300];
	snprintf(want, sizeof want,
	         "this file's unfinished import %lld reads times in America/New_York: it resumes "
	         "in that zone, not in Asia/Shanghai (give no time zone, or America/New_York, or "
	         "--restart for a new import)",
	         (long long)id);
	assert_string_equal(err.message, want);
	assert_int_equal(
	    count(f, "SELECT COUNT(*) FROM interactions WHERE subject LIKE 'resume-%'"), 1);

	/* The same zone, explicitly: resumed (one more batch, then stopped again). */
	struct stopper second = {0};
	r = run_calls(f, "America/New_York", &second, &err);
	assert_non_null(r);
	assert_int_equal(json_integer_value(json_object_get(r, "id")), id);
	assert_string_equal(json_string_value(json_object_get(r, "status")), "cancelled");
	assert_int_equal(json_integer_value(json_object_get(r, "rows_done")), 2);
	json_decref(r);
	assert_int_equal(at_of(f, "resume-2"), 1751379300); /* 10:15 EDT = 14:15Z */

	/* No zone given, and the setting changed since (GUANXI_TIMEZONE): the job's zone. */
	snprintf(f->config.timezone, sizeof f->config.timezone, "Europe/London");
	r = run_calls(f, NULL, NULL, &err);
	if (!r)
		fail_msg("resume failed: %s (%s)", err.message, err.field);
	assert_int_equal(json_integer_value(json_object_get(r, "id")), id);
	assert_string_equal(json_string_value(json_object_get(r, "status")), "done");
	assert_string_equal(json_string_value(json_object_get(r, "timezone")), "America/New_York");
	assert_counts(r, 3, 0, 0, 0);
	json_decref(r);
	assert_int_equal(at_of(f, "resume-3"), 1736950500); /* 09:15 EST = 14:15Z */
	assert_int_equal(
	    count(f, "SELECT COUNT(*) FROM interactions WHERE subject LIKE 'resume-%'"), 3);

	/* Finished: nothing to resume, so any zone is a new run (its times other instants). */
	r = run_calls(f, "Asia/Shanghai", NULL, &err);
	assert_non_null(r);
	assert_true(json_integer_value(json_object_get(r, "id")) != id);
	assert_string_equal(json_string_value(json_object_get(r, "timezone")), "Asia/Shanghai");
	assert_counts(r, 3, 0, 0, 0);
	json_decref(r);
}

/* Interactions exported and imported back into the same database are the same records. */
static void test_interactions_export_imported_back_are_duplicates(void **state)
{
	struct fixture *f = *state;
	json_decref(import(f, "chinese_contacts_utf8.csv", NULL, 0));
	json_decref(import(f, "interactions_call_log.csv", NULL, 0));
	char out[160];
	snprintf(out, sizeof out, "%s/interactions.csv", f->dir);
	struct list_query lq = {.filters = json_object()};
	struct gx_error err = {0};
	int64_t rows = 0;
	assert_int_equal(
	    exports_write(&f->ctx, &interaction_kind, EXPORT_CSV, &lq, out, &rows, &err), 0);
	json_decref(lq.filters);
	assert_int_equal(rows, 5);
	FILE *in = fopen(out, "rb");
	assert_non_null(in);
	char data[8192];
	size_t len = fread(data, 1, sizeof data - 1, in);
	fclose(in);
	data[len] = '\0';
	json_t *r = import_ok(f, NULL, data, 0);
	assert_string_equal(json_string_value(json_object_get(r, "kind")), "interactions");
	assert_counts(r, 0, 0, 5, 0);
	json_decref(r);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM interactions"), 5);
}

/* Durations and directions as call logs write them. */
static void test_call_log_words(void **state)
{
	struct fixture *f = *state;
	json_decref(import(f, "chinese_contacts_utf8.csv", NULL, 0));
	json_t *r = import_ok(f, "interactions",
	                      "time,phone,channel,direction,duration\n"
	                      "2025-01-01 10:00,13800138000,call,Incoming,1:02:03\n"
	                      "2025-01-01 11:00,13800138000,call,来电,90s\n"
	                      "2025-01-01 12:00,13800138000,call,外呼,2 min\n"
	                      "2025-01-01 13:00,13800138000,call,去电,1小时5分\n"
	                      "2025-01-01 14:00,13800138000,call,未接来电,5分30\n"
	                      "2025-01-01 15:00,13800138000,call,sideways,10\n"
	                      "2025-01-01 16:00,13800138000,call,out,05:75\n"
	                      "2025-01-01 17:00,13800138000,call,out,a while\n"
	                      "2025-01-01 18:00,13800138000,call,out,9999999999999999:59:59\n",
	                      0);
	assert_counts(r, 5, 0, 0, 4);
	assert_reject(r, 0, 7, "direction", "\"sideways\" is not a direction (inbound, outbound)");
	assert_reject(r, 1, 8, "duration", "\"05:75\" is not a duration (seconds, 05:30, 5分30秒)");
	assert_reject(r, 2, 9, "duration",
	              "\"a while\" is not a duration (seconds, 05:30, 5分30秒)");
	assert_reject(r, 3, 10, "duration",
	              "\"9999999999999999:59:59\" is not a duration (seconds, 05:30, 5分30秒)");
	json_decref(r);
	struct store_stmt *stmt =
	    store_prepare(f->ctx.store,
	                  "SELECT group_concat(x, ',') FROM (SELECT duration_s || ':' || direction "
	                  "AS x FROM interactions ORDER BY occurred_at)",
	                  NULL);
	assert_int_equal(store_step(stmt, NULL), STORE_ROW);
	assert_string_equal(store_col_text(stmt, 0), "3723:inbound,90:inbound,120:outbound,"
	                                             "3900:outbound,330:inbound");
	store_done(stmt);
}

/* tests/data/orders_erp_export.csv: an ERP's sales orders (单号, 单据日期, 客户名称, 价税合计
 * in ¥ and $, RMB, statuses in Chinese) for the customers of chinese_contacts_utf8.csv. */
static void test_erp_orders(void **state)
{
	struct fixture *f = *state;
	json_decref(import(f, "chinese_contacts_utf8.csv", NULL, 0));
	json_t *r = import(f, "orders_erp_export.csv", NULL, 1);
	assert_string_equal(json_string_value(json_object_get(r, "kind")), "orders");
	json_t *m = json_object_get(r, "mapping");
	assert_string_equal(json_string_value(json_object_get(m, "单据日期")), "ordered_at");
	assert_string_equal(json_string_value(json_object_get(m, "客户名称")), "account");
	assert_string_equal(json_string_value(json_object_get(m, "价税合计")), "amount");
	assert_true(json_is_null(json_object_get(m, "备注")));
	assert_counts(r, 4, 0, 0, 3);
	assert_reject(r, 0, 6, "客户名称", "no account \"明远贸易\"");
	assert_reject(r, 1, 7, "价税合计", "\"待定\" is not an amount of money");
	assert_reject(r, 2, 8, "单据日期", "\"2025-02-30\" is not a date and time");
	json_decref(r);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM orders"), 0);

	r = import(f, "orders_erp_export.csv", NULL, 0);
	assert_counts(r, 4, 0, 0, 3);
	json_decref(r);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM orders WHERE source = 'import'"), 4);
	assert_int_equal(count(f,
	                       "SELECT COUNT(*) FROM orders o JOIN contacts c ON c.id = "
	                       "o.contact_id JOIN accounts a ON a.id = o.account_id WHERE "
	                       "o.external_ref = 'XS-2025-0101' AND c.name = '张伟' AND a.name = "
	                       "'华东贸易有限公司' AND o.amount_minor = 1280000 AND o.cost_minor = "
	                       "960000 AND o.currency = 'CNY' AND o.status = 'completed' AND "
	                       "o.ordered_at = 1740960000"),
	                 1);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM orders WHERE external_ref = 'XS-2025-0103' "
	                          "AND currency = 'USD' AND amount_minor = 125000 AND status = "
	                          "'open' AND contact_id IS NULL"),
	                 1);
	assert_int_equal(count(f, "SELECT amount_minor FROM orders WHERE external_ref = "
	                          "'XS-2025-0104' AND status = 'returned'"),
	                 -80000);

	r = import(f, "orders_erp_export.csv", NULL, 0);
	assert_counts(r, 0, 0, 4, 3);
	json_decref(r);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM orders"), 4);
	long versions = count(f, "SELECT SUM(version) FROM orders");

	/* The ERP sends two orders again: one now completed, one only written another way. */
	r = import_ok(f, "orders",
	              "单号,订单日期,公司,币种,金额,状态\n"
	              "XS-2025-0103,2025/3/15,华东贸易有限公司,USD,1250,已完成\n"
	              "XS-2025-0101,2025年3月3日,华东贸易有限公司,rmb,12800,completed\n",
	              0);
	assert_counts(r, 0, 1, 1, 0);
	json_decref(r);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM orders WHERE external_ref = 'XS-2025-0103' "
	                          "AND status = 'completed'"),
	                 1);
	assert_int_equal(count(f, "SELECT SUM(version) FROM orders"), versions + 1);
}

/* A query's one text value ("" for NULL), for comparing and for asserting. */
static char *query_text(struct fixture *f, const char *sql)
{
	struct store_stmt *stmt = store_prepare(f->ctx.store, sql, NULL);
	assert_non_null(stmt);
	assert_int_equal(store_step(stmt, NULL), STORE_ROW);
	char *text = strdup(store_col_text(stmt, 0) ? store_col_text(stmt, 0) : "");
	store_done(stmt);
	return text;
}

static void assert_text(struct fixture *f, const char *sql, const char *expected)
{
	char *text = query_text(f, sql);
	assert_string_equal(text, expected);
	free(text);
}

/* tests/data/orders_erp_lines.csv: an ERP's sales order lines in GBK with CRLF (单据编号,
 * 物料编码, 物料名称, 数量, 含税单价, 成本单价): one row per line, the rows of an order share its
 * number. Five orders of one to four lines: one with a continuation row that leaves the order
 * columns empty, one with a line without unit cost, one whose second row has another date
 * (rejected on that row's line), one with a quantity in words (rejected). */
static void test_erp_order_lines(void **state)
{
	struct fixture *f = *state;
	json_decref(import(f, "chinese_contacts_utf8.csv", NULL, 0));
	json_t *r = import(f, "orders_erp_lines.csv", NULL, 1);
	assert_string_equal(json_string_value(json_object_get(r, "kind")), "orders");
	assert_string_equal(json_string_value(json_object_get(r, "encoding")), "gb18030");
	json_t *m = json_object_get(r, "mapping");
	assert_string_equal(json_string_value(json_object_get(m, "单据编号")), "external_ref");
	assert_string_equal(json_string_value(json_object_get(m, "物料编码")), "sku");
	assert_string_equal(json_string_value(json_object_get(m, "物料名称")), "product");
	assert_string_equal(json_string_value(json_object_get(m, "数量")), "qty");
	assert_string_equal(json_string_value(json_object_get(m, "含税单价")), "unit_price");
	assert_string_equal(json_string_value(json_object_get(m, "成本单价")), "unit_cost");
	/* Counted in orders, not rows: 12 rows, 5 orders. */
	assert_int_equal(json_integer_value(json_object_get(r, "rows_total")), 5);
	assert_int_equal(json_integer_value(json_object_get(r, "rows_done")), 5);
	assert_counts(r, 3, 0, 0, 2);
	assert_reject(r, 0, 7, "单据日期",
	              "order XS-2025-0303: \"2025-03-09\" here but \"2025-03-08\" on line 6");
	assert_reject(r, 1, 13, "数量", "\"两个\" is not a quantity (a whole number above 0)");
	json_decref(r);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM orders"), 0);

	r = import(f, "orders_erp_lines.csv", NULL, 0);
	assert_counts(r, 3, 0, 0, 2);
	json_decref(r);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM orders"), 3);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM orders o JOIN contacts c ON c.id = "
	                          "o.contact_id JOIN accounts a ON a.id = o.account_id WHERE "
	                          "o.external_ref = 'XS-2025-0301' AND c.name = '张伟' AND "
	                          "a.name = '华东贸易有限公司' AND o.amount_minor = 339700 AND "
	                          "o.cost_minor = 200000 AND o.currency = 'CNY' AND "
	                          "o.status = 'completed' AND o.ordered_at = 1740960000 AND "
	                          "o.source = 'import'"),
	                 1);
	assert_text(
	    f, "SELECT lines FROM orders WHERE external_ref = 'XS-2025-0301'",
	    "[{\"qty\":2,\"unit_price\":\"1299.00\",\"sku\":\"AP-100\",\"name\":\"空气净化器 "
	    "AP100\"},{\"qty\":10,\"unit_price\":\"59.90\",\"sku\":\"FL-20\",\"name\":\"滤网 "
	    "FL20\"},{\"qty\":1,\"unit_price\":\"200.00\",\"sku\":\"SV-1\",\"name\":\"上门安装\"}"
	    "]");
	assert_int_equal(count(f,
	                       "SELECT COUNT(*) FROM orders o JOIN accounts a ON a.id = "
	                       "o.account_id WHERE o.external_ref = 'XS-2025-0302' AND a.name = "
	                       "'鑫达科技' AND o.amount_minor = 249900 AND o.cost_minor = 150000 "
	                       "AND json_array_length(o.lines) = 1 AND o.contact_id IS NULL"),
	                 1);
	/* Four lines, one of them without a unit cost: the order's cost is unknown. */
	assert_int_equal(count(f, "SELECT COUNT(*) FROM orders WHERE external_ref = 'XS-2025-0304' "
	                          "AND amount_minor = 179300 AND cost_minor IS NULL AND "
	                          "status = 'open' AND json_array_length(lines) = 4 AND "
	                          "lines ->> '$[3].unit_price' = '0.00'"),
	                 1);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM orders WHERE external_ref IN "
	                          "('XS-2025-0303', 'XS-2025-0305')"),
	                 0);
	long versions = count(f, "SELECT SUM(version) FROM orders");

	/* The same file again changes nothing; a dry run says so in orders. */
	r = import(f, "orders_erp_lines.csv", NULL, 1);
	assert_counts(r, 0, 0, 3, 2);
	json_decref(r);
	r = import(f, "orders_erp_lines.csv", NULL, 0);
	assert_counts(r, 0, 0, 3, 2);
	json_decref(r);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM orders"), 3);
	assert_int_equal(count(f, "SELECT SUM(version) FROM orders"), versions);

	/* English headers, the rows of an order apart in the file, an order total given, and
	 * XS-2025-0302 sent again with a second line: updated, its amount follows its lines. */
	r = import_ok(f, "orders",
	              "Order No,Order Date,Company,SKU,Product,Qty,Unit Price,Total\n"
	              "E-1,2025-04-01,鑫达科技,A,Widget,2,10.00,25.00\n"
	              "XS-2025-0302,2025-03-05,鑫达科技,AP-200,空气净化器 AP200,1,2499.00,\n"
	              "E-1,2025-04-01,鑫达科技,B,Gadget,1,5.00,25.00\n"
	              "XS-2025-0302,2025-03-05,鑫达科技,FL-20,滤网 FL20,2,59.90,\n",
	              0);
	assert_int_equal(json_integer_value(json_object_get(r, "rows_total")), 2);
	assert_counts(r, 1, 1, 0, 0);
	json_decref(r);
	assert_int_equal(count(f, "SELECT amount_minor FROM orders WHERE external_ref = 'E-1'"),
	                 2500);
	assert_text(f, "SELECT lines FROM orders WHERE external_ref = 'E-1'",
	            "[{\"qty\":2,\"unit_price\":\"10.00\",\"sku\":\"A\",\"name\":\"Widget\"},"
	            "{\"qty\":1,\"unit_price\":\"5.00\",\"sku\":\"B\",\"name\":\"Gadget\"}]");
	assert_int_equal(count(f, "SELECT amount_minor FROM orders WHERE external_ref = "
	                          "'XS-2025-0302' AND json_array_length(lines) = 2"),
	                 261880);

	/* Line columns without a unit price: refused as a whole. */
	struct gx_error err = {0};
	assert_null(import_kind(
	    f, "orders", "单号,日期,公司,物料编码,数量,金额\nQ-1,2025-01-02,鑫达科技,A,1,5\n", 0,
	    &err));
	assert_string_equal(err.field, "mapping");
	assert_string_equal(err.message,
	                    "no column is mapped to unit_price, which order lines need");
}

/* An owner column names a user by username or by display name (what other CRMs export, any
 * case); a display name two users share, or nobody has, rejects the row. */
static void test_owner_by_username_or_display_name(void **state)
{
	struct fixture *f = *state;
	static const char *const users[] = {
	    "{\"username\": \"kevin.liu\", \"display_name\": \"Kevin Liu\"}",
	    "{\"username\": \"amy.zhou\", \"display_name\": \"Amy Zhou\"}",
	    "{\"username\": \"amy.zhou2\", \"display_name\": \"Amy Zhou\"}",
	};
	for (size_t i = 0; i < sizeof users / sizeof users[0]; i++) {
		json_t *body = json_loads(users[i], 0, NULL), *out = NULL;
		json_object_set_new(body, "password", json_string("correct horse 1"));
		json_object_set_new(body, "role", json_string("sales"));
		struct gx_error err = {0};
		assert_int_equal(users_create(&f->ctx, body, &out, &err), 0);
		json_decref(body);
		json_decref(out);
	}
	json_t *r = import_ok(f, "contacts",
	                      "Name,Mobile,Contact Owner\n"
	                      "A,13800000001,kevin.liu\n"
	                      "B,13800000002,KEVIN LIU\n"
	                      "C,13800000003,Amy Zhou\n"
	                      "D,13800000004,nobody\n",
	                      0);
	assert_counts(r, 2, 0, 0, 2);
	assert_reject(r, 0, 4, "Contact Owner",
	              "no active user has the username or the display name \"Amy Zhou\"");
	assert_reject(r, 1, 5, "Contact Owner",
	              "no active user has the username or the display name \"nobody\"");
	json_decref(r);
	assert_int_equal(count(f,
	                       "SELECT COUNT(*) FROM contacts c JOIN users u ON u.id = c.owner_id "
	                       "WHERE u.username = 'kevin.liu'"),
	                 2);
}

/* Orders and interactions through XLSX, whose numbers are binary doubles (9098.70 comes back
 * as 9098.700000000001) and whose times have no zone (written as wall-clock times in the
 * configured zone, read back in it): the same amounts, costs and instants. */
static void test_round_trip_orders_and_interactions_xlsx(void **state)
{
	struct fixture *f = *state;
	json_decref(import(f, "chinese_contacts_utf8.csv", NULL, 0));
	json_decref(import_ok(f, "orders",
	                      "单号,日期,手机,金额,成本\n"
	                      "R-1,2025-03-03 09:15:07,13800138000,9098.70,73.15\n"
	                      "R-2,2025-07-01 23:59:59,13800138000,0.10,0.20\n"
	                      "R-3,2025-12-31,13800138000,1234567.89,1000000.01\n",
	                      0));
	json_decref(import_ok(
	    f, "interactions",
	    "时间,手机,渠道,方向,主题\n2025-03-03 09:15:07,13800138000,电话,呼入,a\n", 0));
	static const char orders_sql[] =
	    "SELECT group_concat(external_ref || '|' || amount_minor || '|' || cost_minor || '|' "
	    "|| ordered_at, ' ') FROM (SELECT * FROM orders ORDER BY external_ref)";
	static const char calls_sql[] =
	    "SELECT group_concat(subject || '|' || occurred_at, ' ') FROM interactions";
	char *orders = query_text(f, orders_sql), *calls = query_text(f, calls_sql);
	assert_string_equal(orders, "R-1|909870|7315|1740964507 R-2|10|20|1751385599 "
	                            "R-3|123456789|100000001|1767139200");
	char out[2][160];
	const struct record_kind *kinds_[2] = {&order_kind, &interaction_kind};
	for (int i = 0; i < 2; i++) {
		snprintf(out[i], sizeof out[i], "%s/out%d.xlsx", f->dir, i);
		struct list_query lq = {.filters = json_object()};
		struct gx_error err = {0};
		assert_int_equal(
		    exports_write(&f->ctx, kinds_[i], EXPORT_XLSX, &lq, out[i], NULL, &err), 0);
		json_decref(lq.filters);
	}
	store_close(f->ctx.store);
	assert_int_equal(open_db(f, "b.db"), 0);
	json_decref(import(f, "chinese_contacts_utf8.csv", NULL, 0));
	for (int i = 0; i < 2; i++) {
		json_t *r = import(f, out[i], NULL, 0);
		assert_int_equal(json_integer_value(json_object_get(r, "rejected")), 0);
		json_decref(r);
	}
	char *orders_after = query_text(f, orders_sql), *calls_after = query_text(f, calls_sql);
	assert_string_equal(orders_after, orders);
	assert_string_equal(calls_after, calls);
	free(orders);
	free(calls);
	free(orders_after);
	free(calls_after);
}

/* Rows that name other rows: 上级 (reports to) is found among the file's rows whatever their
 * order (managers are written first), by phone when given, else by name in the row's own
 * company first; a name nobody has, or several have, rejects the row. 上级公司 likewise for
 * accounts. Buying roles are read in Chinese. */
static void test_links_between_rows(void **state)
{
	struct fixture *f = *state;
	json_t *r = import_ok(
	    f, "contacts", "姓名,手机,公司\n刘洋,13900000001,甲公司\n刘洋,13900000002,乙公司\n", 0);
	assert_counts(r, 2, 0, 0, 0);
	json_decref(r);
	r = import_ok(f, "contacts",
	              "姓名,手机,公司,部门,角色,上级,上级电话\n"
	              "王芳,13800000001,鑫达科技,销售部,决策者,李强,\n"
	              "陈晨,13800000004,鑫达科技,,使用者,王芳,\n"
	              "李强,13800000002,鑫达科技,管理层,,,\n"
	              "赵敏,13800000003,鑫达科技,,影响者,张三,\n"
	              "周杰,13800000005,鑫达科技,,,刘洋,\n"
	              "吴磊,13800000006,鑫达科技,,,刘洋,13900000002\n",
	              0);
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(r, "mapping"), "上级")),
	    "reports_to");
	assert_counts(r, 4, 0, 0, 2);
	assert_reject(r, 0, 5, "上级", "no contact called \"张三\"");
	assert_reject(r, 1, 6, "上级",
	              "2 contacts are called \"刘洋\": a reports_to_phone column tells them apart");
	json_decref(r);
	assert_int_equal(count(f,
	                       "SELECT COUNT(*) FROM contacts c JOIN contacts m ON m.id = "
	                       "c.reports_to_id WHERE (c.name = '王芳' AND m.name = '李强' AND "
	                       "c.department = '销售部' AND c.buying_role = 'decision_maker') OR "
	                       "(c.name = '陈晨' AND m.name = '王芳' AND c.buying_role = 'user') "
	                       "OR (c.name = '吴磊' AND m.name = '刘洋' AND m.phones LIKE "
	                       "'%13900000002%')"),
	                 3);
	r = import_ok(f, "accounts", "公司名称,上级公司\n华东分公司,华东集团\n华东集团,\n", 0);
	assert_counts(r, 2, 0, 0, 0);
	json_decref(r);
	assert_int_equal(count(f,
	                       "SELECT COUNT(*) FROM accounts a JOIN accounts p ON p.id = "
	                       "a.parent_id WHERE a.name = '华东分公司' AND p.name = '华东集团'"),
	                 1);
}

/* tests/data/orders_erp_line_amounts.csv (UTF-8 with a BOM): a 金额 column that is each line's
 * amount, not the order's total. SO-1's amounts differ (one line discounted): their sum.
 * SO-2's are equal, but each is its own line's qty x price: their sum too. SO-3 has one line
 * at a discount: the total. SO-4 states its total on a header row and its lines add up to it;
 * SO-5's header row states another (rejected on that row); SO-6 has an amount in words. */
static void test_erp_line_amounts(void **state)
{
	struct fixture *f = *state;
	json_decref(import(f, "chinese_contacts_utf8.csv", NULL, 0));
	json_t *r = import(f, "orders_erp_line_amounts.csv", NULL, 0);
	json_t *m = json_object_get(r, "mapping");
	assert_string_equal(json_string_value(json_object_get(m, "销售订单号")), "external_ref");
	assert_string_equal(json_string_value(json_object_get(m, "金额")), "amount");
	assert_counts(r, 4, 0, 0, 2);
	assert_reject(r, 0, 11, "金额",
	              "the order's total 600.00 is not the sum of its lines, 500.00");
	assert_reject(r, 1, 15, "金额", "\"七十九\" is not an amount of money");
	json_decref(r);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM orders WHERE "
	                          "(external_ref = 'SO-1' AND amount_minor = 334800 AND "
	                          "json_array_length(lines) = 3) OR "
	                          "(external_ref = 'SO-2' AND amount_minor = 20000 AND "
	                          "json_array_length(lines) = 2) OR "
	                          "(external_ref = 'SO-3' AND amount_minor = 2700) OR "
	                          "(external_ref = 'SO-4' AND amount_minor = 50000 AND "
	                          "json_array_length(lines) = 2)"),
	                 4);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM orders"), 4);
	r = import(f, "orders_erp_line_amounts.csv", NULL, 0);
	assert_counts(r, 0, 0, 4, 2);
	json_decref(r);

	/* A later row of an order cut short rejects the order (and leaks nothing). */
	r = import_ok(f, "orders",
	              "Order No,Date,Company,SKU,Qty,Unit Price\n"
	              "A-1,2025-01-01,鑫达科技,S,1,2.00\n"
	              "A-1,2025-01-01,鑫达科技,T,1\n",
	              0);
	assert_counts(r, 0, 0, 0, 1);
	assert_reject(r, 0, 3, NULL, "the row has 5 fields but the header has 6");
	json_decref(r);
}

/* An order needs an amount or lines to add up, and a date: a file without such a column is
 * refused as a whole; the mapping is still proposed, for the user to complete. */
static void test_orders_need_an_amount_or_lines_and_a_date(void **state)
{
	struct fixture *f = *state;
	json_decref(import(f, "accounts.csv", NULL, 0));
	json_t *r =
	    import_ok(f, "orders",
	              "order no,date,company,lines\n"
	              "L-1,2025-01-02,Acme Trading Co.,\"[{\"\"sku\"\":\"\"A\"\",\"\"qty\"\":2,"
	              "\"\"unit_price\"\":\"\"10.00\"\"}]\"\n",
	              0);
	assert_counts(r, 1, 0, 0, 0);
	json_decref(r);
	assert_int_equal(count(f, "SELECT amount_minor FROM orders WHERE external_ref = 'L-1'"),
	                 2000);
	struct gx_error err = {0};
	assert_null(
	    import_kind(f, "orders", "order no,company,amount\nL-2,Acme Trading Co.,5\n", 0, &err));
	assert_string_equal(err.field, "mapping");
	assert_string_equal(err.message, "no column is mapped to ordered_at, which orders need");
	memset(&err, 0, sizeof err);
	assert_null(
	    import_kind(f, "orders", "order no,date,company\nL-3,2025-01-02,Acme\n", 0, &err));
	assert_string_equal(err.message,
	                    "no column is mapped to amount or lines, which orders need");
	static const char text[] = "单号,交易发生于,公司,金额\nL-4,2025-01-02,Acme Trading Co.,5\n";
	struct import_options opt = {.kind = "orders", .filename = "in.csv"};
	json_t *proposal = NULL;
	assert_int_equal(imports_propose(&f->ctx, text, strlen(text), &opt, &proposal, &err), 0);
	assert_true(
	    json_is_null(json_object_get(json_object_get(proposal, "mapping"), "交易发生于")));
	json_decref(proposal);
	json_t *mapping = json_pack("{s:s}", "交易发生于", "ordered_at");
	opt.mapping = mapping;
	r = NULL;
	assert_int_equal(imports_run(&f->ctx, text, strlen(text), &opt, 0, &r, &err), 0);
	assert_counts(r, 1, 0, 0, 0);
	json_decref(r);
	json_decref(mapping);
}

static void test_csv_delimiters_and_lines(void **state)
{
	(void)state;
	static const char text[] = "a;b\n\"x\ny\";2\n\n3;4\n";
	assert_int_equal(csvread_detect_delimiter(text, strlen(text)), ';');
	struct table t = {0};
	long open = 0;
	assert_int_equal(csvread_parse(text, strlen(text), 0, &t, &open), 0);
	assert_int_equal(t.nrows, 3);
	assert_int_equal(t.lines[1], 2);
	assert_int_equal(t.lines[2], 5);
	assert_string_equal(table_cell(&t, 1, 0), "x\ny");
	assert_int_equal(open, 0);
	table_free(&t);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_salesforce_dry_run_then_real_run_then_nothing,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_gbk_and_utf8_are_the_same_people, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_big5_is_detected, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_broken_csv_rejects_rows_with_reasons, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_vcards_of_three_versions, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_update_keeps_one_entry_per_number, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_round_trip_csv, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_round_trip_xlsx, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_accounts_detected_and_updated, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_links_between_rows, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_owner_by_username_or_display_name, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_round_trip_orders_and_interactions_xlsx, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_fast_path_counts_as_the_ordinary_path, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_call_log_interactions, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_interactions_export_imported_back_are_duplicates,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_call_log_words, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_times_in_a_time_zone, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_resume_keeps_the_jobs_time_zone, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_erp_orders, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_erp_order_lines, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_erp_line_amounts, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_orders_need_an_amount_or_lines_and_a_date, setup,
	                                    teardown),
	    cmocka_unit_test(test_vcard_unfolds_and_decodes),
	    cmocka_unit_test(test_csv_delimiters_and_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
