/* search.c — search documents and the one search box over accounts and contacts. */
#include "crm/search.h"

#include <stdlib.h>
#include <string.h>

#include "base/phone.h"
#include "base/text.h"
#include "crm/sql.h"

static void add_folded(struct buf *doc, char *folded)
{
	if (folded && *folded) {
		buf_append(doc, "|");
		buf_append(doc, folded);
	}
	free(folded);
}

void search_doc_add_text(struct buf *doc, const char *text)
{
	if (text)
		add_folded(doc, text_fold(text));
}

void search_doc_add_name(struct buf *doc, const char *name)
{
	if (!name)
		return;
	add_folded(doc, text_fold(name));
	char *full, *initials;
	if (text_pinyin(name, &full, &initials) < 0)
		return;
	/* Latin names fold to their own pinyin key; adding it again would only grow the index. */
	if (strcmp(full, doc->data ? strrchr(doc->data, '|') + 1 : "") != 0)
		add_folded(doc, full);
	else
		free(full);
	add_folded(doc, initials);
}

void search_doc_add_phone(struct buf *doc, const char *typed, const char *e164)
{
	search_doc_add_text(doc, typed);
	if (e164 && e164[0] == '+') {
		buf_append(doc, "|");
		buf_append(doc, e164 + 1);
	}
}

static void add_list(struct buf *doc, const json_t *list, const char *key)
{
	size_t i;
	const json_t *item;
	json_array_foreach(list, i, item)
	{
		if (key)
			search_doc_add_text(doc, json_string_value(json_object_get(item, key)));
		else
			search_doc_add_text(doc, json_string_value(item));
	}
}

static char *finish(struct buf *doc)
{
	if (doc->failed || !doc->data) {
		buf_free(doc);
		return strdup("");
	}
	return doc->data;
}

char *search_contact_doc(const json_t *contact, const char *account_name)
{
	struct buf doc = {0};
	search_doc_add_name(&doc, json_string_value(json_object_get(contact, "name")));
	search_doc_add_text(&doc, account_name);
	size_t i;
	const json_t *phone;
	json_array_foreach(json_object_get(contact, "phones"), i, phone)
	{
		search_doc_add_phone(&doc, json_string_value(json_object_get(phone, "number")),
		                     json_string_value(json_object_get(phone, "e164")));
	}
	add_list(&doc, json_object_get(contact, "emails"), "address");
	add_list(&doc, json_object_get(contact, "tags"), NULL);
	return finish(&doc);
}

char *search_account_doc(const json_t *account)
{
	struct buf doc = {0};
	search_doc_add_name(&doc, json_string_value(json_object_get(account, "name")));
	search_doc_add_text(&doc, json_string_value(json_object_get(account, "website")));
	add_list(&doc, json_object_get(account, "tags"), NULL);
	return finish(&doc);
}

/* Reads what a document is made of and stores it. */
static int index_one(struct crm_ctx *ctx, enum store_index index, int64_t id, const char *sql,
                     struct gx_error *err)
{
	struct store_stmt *stmt = store_prepare(ctx->store, sql, err);
	if (!stmt)
		return GX_EINTERNAL;
	store_bind_int(stmt, 1, id);
	int rc = store_step(stmt, err);
	if (rc != STORE_ROW) {
		store_done(stmt);
		return rc < 0 ? rc : 0;
	}
	json_t *record = json_object();
	static const char *const keys[] = {"name", "website", "phones", "emails", "tags"};
	for (int i = 0; i < 5; i++) {
		const char *text = store_col_text(stmt, i);
		json_t *v = text ? (i < 2 ? json_string(text) : json_loads(text, 0, NULL)) : NULL;
		if (v)
			json_object_set_new(record, keys[i], v);
	}
	char *doc = index == STORE_INDEX_CONTACTS
	                ? search_contact_doc(record, store_col_text(stmt, 5))
	                : search_account_doc(record);
	store_done(stmt);
	json_decref(record);
	rc = store_search_put(ctx->store, index, id, doc, err);
	free(doc);
	return rc;
}

int search_index_contact(struct crm_ctx *ctx, int64_t id, struct gx_error *err)
{
	return index_one(ctx, STORE_INDEX_CONTACTS, id,
	                 "SELECT c.name, NULL, c.phones, c.emails, c.tags, a.name FROM contacts c "
	                 "LEFT JOIN accounts a ON a.id = c.account_id WHERE c.id = ?",
	                 err);
}

int search_index_account(struct crm_ctx *ctx, int64_t id, struct gx_error *err)
{
	return index_one(ctx, STORE_INDEX_ACCOUNTS, id,
	                 "SELECT name, website, NULL, NULL, tags, NULL FROM accounts WHERE id = ?",
	                 err);
}

/* A query reads as a phone number when it is mostly digits (with the usual +()- and spaces). */
static int looks_like_phone(const char *q)
{
	int digits = 0;
	for (const unsigned char *p = (const unsigned char *)q; *p; p++) {
		if (*p >= '0' && *p <= '9')
			digits++;
		else if (*p == 0xEF && p[1] == 0xBC && p[2] >= 0x90 && p[2] <= 0x99) /* ０-９ */
			digits++, p += 2;
		else if (*p == 0xE3 && p[1] == 0x80 && p[2] == 0x80) /* ideographic space */
			p += 2;
		else if (!strchr(" +-().\t", *p))
			return 0;
	}
	return digits >= 5;
}

int search_needles(const char *q, const char *region, char *needles[2])
{
	needles[0] = needles[1] = NULL;
	char *folded = q ? text_fold(q) : NULL;
	if (!folded || !*folded) {
		free(folded);
		return 0;
	}
	needles[0] = folded;
	char e164[PHONE_E164_MAX];
	if (looks_like_phone(q) && phone_to_e164(q, region, e164, sizeof e164) == 0 &&
	    strcmp(e164 + 1, folded) != 0)
		needles[1] = strdup(e164 + 1);
	return needles[1] ? 2 : 1;
}

void search_needles_free(char *needles[2])
{
	free(needles[0]);
	free(needles[1]);
	needles[0] = needles[1] = NULL;
}

/* Hits ranked per kind: a common needle (李, 有限公司, gmail) matches hundreds of thousands of
 * customers, and sorting them all cost half a second; the first this many visible hits are
 * ranked instead, which is what a search box shows while the user types on. */
#define SEARCH_CANDIDATES 1000

/* One kind's hits, best first: shorter names (the needle is more of them), then by name. */
static int search_kind(struct crm_ctx *ctx, enum store_index index, char *needles[2], int n,
                       int limit, json_t *data, struct gx_error *err)
{
	int contacts = index == STORE_INDEX_CONTACTS;
	struct sql q = {0};
	/* The index drives: ids from the search source, each row fetched by its key. Written as
	 * "id IN (source)", SQLite would first collect every match. */
	sql_add(&q,
	        contacts
	            ? "SELECT * FROM (SELECT r.id, r.name, r.tier, r.account_id, "
	              "a.name AS account_name, r.phones, r.emails FROM "
	            : "SELECT * FROM (SELECT r.id, r.name, r.tier, NULL, NULL, NULL, NULL FROM ");
	sql_add(&q, n > 1 ? "(SELECT id FROM " : "");
	for (int i = 0; i < n; i++) {
		sql_add(&q, i ? " UNION SELECT id FROM " : "");
		sql_search_ids(&q, index, needles[i]);
	}
	sql_add(&q, n > 1 ? ")" : "");
	sql_add(&q, contacts ? " h JOIN contacts r ON r.id = h.id "
	                       "LEFT JOIN accounts a ON a.id = r.account_id WHERE "
	                     : " h JOIN accounts r ON r.id = h.id WHERE ");
	sql_visible(&q, &ctx->actor, contacts ? ACCESS_CONTACT : ACCESS_ACCOUNT);
	sql_add(&q, " LIMIT ");
	sql_int(&q, SEARCH_CANDIDATES);
	sql_add(&q, ") ORDER BY length(name), name, id LIMIT ");
	sql_int(&q, limit);
	struct store_stmt *stmt = sql_prepare(&q, ctx->store, err);
	sql_free(&q);
	if (!stmt)
		return GX_EINTERNAL;
	int rc;
	while ((rc = store_step(stmt, err)) == STORE_ROW) {
		json_t *hit =
		    json_pack("{s:s, s:I, s:s, s:s}", "kind", contacts ? "contact" : "account",
		              "id", (json_int_t)store_col_int(stmt, 0), "name",
		              store_col_text(stmt, 1), "tier", store_col_text(stmt, 2));
		if (contacts) {
			json_object_set_new(hit, "account_id",
			                    store_col_is_null(stmt, 3)
			                        ? json_null()
			                        : json_integer(store_col_int(stmt, 3)));
			json_object_set_new(hit, "account_name",
			                    store_col_text(stmt, 4)
			                        ? json_string(store_col_text(stmt, 4))
			                        : json_null());
			json_object_set_new(hit, "phones",
			                    json_loads(store_col_text(stmt, 5), 0, NULL));
			json_object_set_new(hit, "emails",
			                    json_loads(store_col_text(stmt, 6), 0, NULL));
		}
		json_array_append_new(data, hit);
	}
	store_done(stmt);
	return rc < 0 ? rc : 0;
}

int search_run(struct crm_ctx *ctx, const char *q, int limit, json_t **out, struct gx_error *err)
{
	char *needles[2];
	int n = search_needles(q, ctx->config->region, needles);
	json_t *data = json_array();
	int rc = 0;
	if (n > 0) {
		rc = search_kind(ctx, STORE_INDEX_ACCOUNTS, needles, n, limit, data, err);
		if (rc == 0)
			rc = search_kind(ctx, STORE_INDEX_CONTACTS, needles, n, limit, data, err);
	}
	search_needles_free(needles);
	if (rc < 0) {
		json_decref(data);
		return rc;
	}
	*out = json_pack("{s:o}", "data", data);
	return 0;
}
