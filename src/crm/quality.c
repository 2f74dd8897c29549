/* quality.c — warnings on suspicious values and the data-quality report. The report's queries
 * carry the visibility rule, so a sales user's report covers their team's customers only. */
#include "crm/quality.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "base/clock.h"
#include "base/phone.h"
#include "crm/duplicates.h"
#include "crm/sql.h"

/* ---- warnings ------------------------------------------------------------------------- */

static void warn(json_t *list, const char *field, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void warn(json_t *list, const char *field, const char *code, const char *fmt, ...)
{
	char message[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(message, sizeof message, fmt, ap);
	va_end(ap);
	json_t *w = json_pack("{s:s, s:s, s:s}", "field", field, "code", code, "message", message);
	if (!w) /* a message quoting text that is not UTF-8 cannot happen: input was checked */
		w = json_pack("{s:s, s:s}", "field", field, "code", code);
	json_array_append_new(list, w);
}

static int has_letter(const char *s)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	utf8proc_ssize_t len = (utf8proc_ssize_t)strlen(s), at = 0;
	while (at < len) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t n = utf8proc_iterate(p + at, len - at, &cp);
		if (n <= 0)
			return 0;
		utf8proc_category_t c = utf8proc_category(cp);
		if (c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_LO)
			return 1;
		at += n;
	}
	return 0;
}

/* Domains that never reach a customer: reserved for examples (RFC 2606) and throwaway mail. */
static const char *const fake_domains[] = {
    "example.com",       "example.org",      "example.net", "test.com",        "mailinator.com",
    "guerrillamail.com", "10minutemail.com", "yopmail.com", "tempmail.com",    "trashmail.com",
    "sharklasers.com",   "getnada.com",      "maildrop.cc", "dispostable.com", NULL};
static const char *const fake_suffixes[] = {".example", ".test", ".invalid", ".localhost", NULL};

static int fake_domain(const char *address)
{
	const char *at = strrchr(address, '@');
	if (!at)
		return 0;
	const char *domain = at + 1;
	size_t len = strlen(domain);
	for (const char *const *d = fake_domains; *d; d++)
		if (strcasecmp(domain, *d) == 0)
			return 1;
	for (const char *const *s = fake_suffixes; *s; s++) {
		size_t n = strlen(*s);
		if (len >= n && strcasecmp(domain + len - n, *s) == 0)
			return 1;
	}
	return 0;
}

static void name_warnings(json_t *list, const json_t *record)
{
	const char *name = json_string_value(json_object_get(record, "name"));
	if (!name)
		return;
	if (!has_letter(name))
		warn(list, "name", "name_without_letters", "the name \"%s\" has no letters", name);
	else if (strchr(name, '@'))
		warn(list, "name", "name_looks_like_email",
		     "the name \"%s\" looks like an email address", name);
}

static void contact_warnings(json_t *list, const json_t *record, const char *region)
{
	name_warnings(list, record);
	const char *birthday = json_string_value(json_object_get(record, "birthday"));
	if (birthday && strlen(birthday) == 10) {
		char today[32], oldest[48];
		clock_format(clock_now(), today, sizeof today);
		snprintf(oldest, sizeof oldest, "%04ld%.6s", strtol(today, NULL, 10) - 120,
		         today + 4);
		if (strncmp(birthday, today, 10) > 0)
			warn(list, "birthday", "birthday_in_future",
			     "the birthday %s is in the future", birthday);
		else if (strcmp(birthday, oldest) < 0)
			warn(list, "birthday", "birthday_too_old",
			     "the birthday %s is more than 120 years ago", birthday);
	}
	size_t i, j;
	const json_t *item, *other;
	const json_t *phones = json_object_get(record, "phones");
	json_array_foreach(phones, i, item)
	{
		char field[48];
		snprintf(field, sizeof field, "phones[%zu].number", i);
		const char *number = json_string_value(json_object_get(item, "number"));
		const char *e164 = json_string_value(json_object_get(item, "e164"));
		if (number && !phone_is_valid(number, region))
			warn(list, field, "phone_not_valid",
			     "%s is possible but not a number in use (region %s)", number, region);
		json_array_foreach(phones, j, other)
		{
			if (j < i && e164 &&
			    json_equal(json_object_get(other, "e164"),
			               json_object_get(item, "e164"))) {
				warn(list, field, "phone_repeated", "%s is listed twice", number);
				break;
			}
		}
	}
	json_array_foreach(json_object_get(record, "emails"), i, item)
	{
		char field[48];
		snprintf(field, sizeof field, "emails[%zu].address", i);
		const char *address = json_string_value(json_object_get(item, "address"));
		if (address && fake_domain(address))
			warn(list, field, "email_unreachable_domain",
			     "%s is at an example or disposable domain", address);
	}
}

json_t *quality_warnings(const struct record_kind *kind, const json_t *record, const char *region)
{
	json_t *list = json_array();
	if (kind == &contact_kind)
		contact_warnings(list, record, region);
	else if (kind == &account_kind) {
		name_warnings(list, record);
		const char *site = json_string_value(json_object_get(record, "website"));
		if (site && *site && !strchr(site, '.'))
			warn(list, "website", "website_without_domain",
			     "\"%s\" is not a web address", site);
	}
	return list;
}

/* ---- the report ----------------------------------------------------------------------- */

static double percent(int64_t part, int64_t whole)
{
	return whole ? (double)(part * 1000 / whole) / 10.0 : 0.0;
}

static int completeness(struct crm_ctx *ctx, const char *table, enum access_kind access,
                        const char *const *names, const char *const *exprs, int n, json_t *section,
                        struct gx_error *err)
{
	struct sql q = {0};
	sql_add(&q, "SELECT COUNT(*)");
	for (int i = 0; i < n; i++) {
		sql_add(&q, ", TOTAL(");
		sql_add(&q, exprs[i]);
		sql_add(&q, ")");
	}
	sql_add(&q, " FROM ");
	sql_add(&q, table);
	sql_add(&q, " r WHERE ");
	sql_visible(&q, &ctx->actor, access);
	struct store_stmt *stmt = sql_prepare(&q, ctx->store, err);
	sql_free(&q);
	if (!stmt)
		return GX_EINTERNAL;
	int rc = store_step(stmt, err);
	if (rc == STORE_ROW) {
		int64_t total = store_col_int(stmt, 0);
		json_t *fields = json_object();
		for (int i = 0; i < n; i++)
			json_object_set_new(fields, names[i],
			                    json_real(percent(store_col_int(stmt, i + 1), total)));
		json_object_set_new(section, "total", json_integer(total));
		json_object_set_new(section, "completeness", fields);
	}
	store_done(stmt);
	return rc < 0 ? rc : 0;
}

static int count_stale(struct crm_ctx *ctx, const char *table, enum access_kind access,
                       const char *key, int64_t cutoff, json_t *section, struct gx_error *err)
{
	struct sql q = {0};
	sql_add(&q, "SELECT COUNT(*) FROM ");
	sql_add(&q, table);
	sql_add(&q, " r WHERE ");
	sql_visible(&q, &ctx->actor, access);
	sql_add(&q, " AND NOT EXISTS (SELECT 1 FROM interactions i WHERE i.");
	sql_add(&q, key);
	sql_add(&q, " = r.id AND i.occurred_at >= ");
	sql_int(&q, cutoff);
	sql_add(&q, ")");
	struct store_stmt *stmt = sql_prepare(&q, ctx->store, err);
	sql_free(&q);
	if (!stmt)
		return GX_EINTERNAL;
	int rc = store_step(stmt, err);
	if (rc == STORE_ROW)
		json_object_set_new(section, "stale", json_integer(store_col_int(stmt, 0)));
	store_done(stmt);
	return rc < 0 ? rc : 0;
}

static json_t *owner_entry(json_t *owners, int64_t owner_id, const char *username)
{
	char key[24];
	snprintf(key, sizeof key, "%lld", (long long)owner_id);
	json_t *o = json_object_get(owners, key);
	if (!o) {
		o = json_pack("{s:o, s:o, s:i, s:i, s:i, s:i, s:i}", "owner_id",
		              owner_id ? json_integer(owner_id) : json_null(), "username",
		              username ? json_string(username) : json_null(), "contacts", 0,
		              "stale", 0, "unreachable", 0, "invalid_phones", 0, "invalid_emails",
		              0);
		json_object_set_new(owners, key, o);
	}
	return o;
}

static void bump(json_t *o, const char *key, int64_t by)
{
	json_object_set_new(o, key, json_integer(json_integer_value(json_object_get(o, key)) + by));
}

/* Per owner: contacts, stale, no phone and no email; and the invalid values, checked in C. */
static int per_owner(struct crm_ctx *ctx, int64_t cutoff, json_t *owners, json_t *invalid,
                     struct gx_error *err)
{
	struct sql q = {0};
	sql_add(&q, "SELECT r.owner_id, u.username, COUNT(*), TOTAL(NOT EXISTS (SELECT 1 FROM "
	            "interactions i WHERE i.contact_id = r.id AND i.occurred_at >= ");
	sql_int(&q, cutoff);
	sql_add(&q,
	        ")), TOTAL(r.phones = '[]' AND r.emails = '[]') FROM contacts r LEFT JOIN users u "
	        "ON u.id = r.owner_id WHERE ");
	sql_visible(&q, &ctx->actor, ACCESS_CONTACT);
	sql_add(&q, " GROUP BY r.owner_id ORDER BY r.owner_id");
	struct store_stmt *stmt = sql_prepare(&q, ctx->store, err);
	sql_free(&q);
	if (!stmt)
		return GX_EINTERNAL;
	int rc;
	while ((rc = store_step(stmt, err)) == STORE_ROW) {
		json_t *o =
		    owner_entry(owners, store_col_is_null(stmt, 0) ? 0 : store_col_int(stmt, 0),
		                store_col_text(stmt, 1));
		bump(o, "contacts", store_col_int(stmt, 2));
		bump(o, "stale", store_col_int(stmt, 3));
		bump(o, "unreachable", store_col_int(stmt, 4));
	}
	store_done(stmt);
	if (rc < 0)
		return rc;
	/* Every phone checked against libphonenumber's metadata, every email against the shape
	 * contacts.c requires and the unreachable domains. */
	struct sql p = {0};
	sql_add(&p, "SELECT r.owner_id, 'p', json_extract(x.value, '$.e164') FROM contacts r, "
	            "json_each(r.phones) x WHERE ");
	sql_visible(&p, &ctx->actor, ACCESS_CONTACT);
	sql_add(&p, " UNION ALL SELECT r.owner_id, 'e', json_extract(x.value, '$.address') FROM "
	            "contacts r, json_each(r.emails) x WHERE ");
	sql_visible(&p, &ctx->actor, ACCESS_CONTACT);
	stmt = sql_prepare(&p, ctx->store, err);
	sql_free(&p);
	if (!stmt)
		return GX_EINTERNAL;
	int64_t phones = 0, emails = 0;
	while ((rc = store_step(stmt, err)) == STORE_ROW) {
		const char *kind = store_col_text(stmt, 1), *value = store_col_text(stmt, 2);
		int bad;
		if (kind[0] == 'p')
			bad = !value || !phone_is_valid(value, NULL);
		else {
			const char *at = value ? strchr(value, '@') : NULL;
			bad = !at || at == value || !strchr(at, '.') || fake_domain(value);
		}
		if (!bad)
			continue;
		json_t *o = owner_entry(
		    owners, store_col_is_null(stmt, 0) ? 0 : store_col_int(stmt, 0), NULL);
		bump(o, kind[0] == 'p' ? "invalid_phones" : "invalid_emails", 1);
		*(kind[0] == 'p' ? &phones : &emails) += 1;
	}
	store_done(stmt);
	if (rc < 0)
		return rc;
	json_object_set_new(invalid, "phones", json_integer(phones));
	json_object_set_new(invalid, "emails", json_integer(emails));
	return 0;
}

static int invalid_birthdays(struct crm_ctx *ctx, json_t *invalid, struct gx_error *err)
{
	struct sql q = {0};
	sql_add(&q, "SELECT COUNT(*) FROM contacts r WHERE r.birthday IS NOT NULL AND "
	            "(r.birthday > date('now') OR r.birthday < date('now', '-120 years')) AND ");
	sql_visible(&q, &ctx->actor, ACCESS_CONTACT);
	struct store_stmt *stmt = sql_prepare(&q, ctx->store, err);
	sql_free(&q);
	if (!stmt)
		return GX_EINTERNAL;
	int rc = store_step(stmt, err);
	if (rc == STORE_ROW)
		json_object_set_new(invalid, "birthdays", json_integer(store_col_int(stmt, 0)));
	store_done(stmt);
	return rc < 0 ? rc : 0;
}

/* section.duplicates: {"pairs", "clusters", "records"} of the open pairs the actor may see. */
static int duplicate_figures(struct crm_ctx *ctx, const struct record_kind *kind, json_t *section,
                             struct gx_error *err)
{
	int64_t pairs = 0, clusters = 0, records = 0;
	int rc = duplicates_clusters(ctx, kind, &pairs, &clusters, &records, err);
	if (rc == 0)
		json_object_set_new(section, "duplicates",
		                    json_pack("{s:I, s:I, s:I}", "pairs", (json_int_t)pairs,
		                              "clusters", (json_int_t)clusters, "records",
		                              (json_int_t)records));
	return rc;
}

int quality_report(struct crm_ctx *ctx, int stale_months, json_t **out, struct gx_error *err)
{
	if (stale_months == 0)
		stale_months = 12;
	if (stale_months < 1 || stale_months > 240)
		return gx_fail(err, GX_EBADREQUEST, "stale_months",
		               "stale_months must be 1 to 240");
	int64_t cutoff = clock_now() - (int64_t)stale_months * 30 * 86400;
	static const char *const contact_names[] = {"name",      "account_id", "title",
	                                            "birthday",  "phones",     "emails",
	                                            "addresses", "owner_id",   "tags"};
	static const char *const contact_exprs[] = {
	    "r.name <> ''",           "r.account_id IS NOT NULL", "COALESCE(r.title, '') <> ''",
	    "r.birthday IS NOT NULL", "r.phones <> '[]'",         "r.emails <> '[]'",
	    "r.addresses <> '[]'",    "r.owner_id IS NOT NULL",   "r.tags <> '[]'"};
	static const char *const account_names[] = {"name", "industry", "website", "owner_id",
	                                            "tags"};
	static const char *const account_exprs[] = {
	    "r.name <> ''", "COALESCE(r.industry, '') <> ''", "COALESCE(r.website, '') <> ''",
	    "r.owner_id IS NOT NULL", "r.tags <> '[]'"};
	json_t *contacts = json_object(), *accounts = json_object(), *invalid = json_object();
	json_t *owners = json_object();
	int rc = completeness(ctx, "contacts", ACCESS_CONTACT, contact_names, contact_exprs, 9,
	                      contacts, err);
	if (rc == 0)
		rc = completeness(ctx, "accounts", ACCESS_ACCOUNT, account_names, account_exprs, 5,
		                  accounts, err);
	if (rc == 0)
		rc = count_stale(ctx, "contacts", ACCESS_CONTACT, "contact_id", cutoff, contacts,
		                 err);
	if (rc == 0)
		rc = count_stale(ctx, "accounts", ACCESS_ACCOUNT, "account_id", cutoff, accounts,
		                 err);
	if (rc == 0)
		rc = per_owner(ctx, cutoff, owners, invalid, err);
	if (rc == 0)
		rc = invalid_birthdays(ctx, invalid, err);
	if (rc == 0)
		rc = duplicate_figures(ctx, &contact_kind, contacts, err);
	if (rc == 0)
		rc = duplicate_figures(ctx, &account_kind, accounts, err);
	if (rc == 0) {
		json_object_set(contacts, "invalid", invalid);
		json_t *list = json_array();
		const char *key;
		json_t *o;
		json_object_foreach(owners, key, o)
		{
			json_array_append(list, o);
		}
		char now[32];
		clock_format(clock_now(), now, sizeof now);
		/* Top-level "duplicates" is the contacts' figures, as before accounts had them. */
		*out = json_pack("{s:s, s:i, s:O, s:O, s:O, s:o}", "generated_at", now,
		                 "stale_months", stale_months, "contacts", contacts, "accounts",
		                 accounts, "duplicates", json_object_get(contacts, "duplicates"),
		                 "owners", list);
	}
	json_decref(contacts);
	json_decref(accounts);
	json_decref(invalid);
	json_decref(owners);
	return rc;
}
