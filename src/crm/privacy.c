/* privacy.c — a person's complete data as one document, and erasure on request. Erasure keeps
 * what the business counts (the contact row with its id, owner, account and tier; orders and
 * their amounts; interactions with their channel, time and direction) and removes what says who
 * the person is. Relies on merge.c's generic rows for tables it does not own. */
#include "crm/privacy.h"

#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "crm/audit.h"
#include "crm/merge.h"
#include "crm/records.h"
#include "crm/sql.h"

#define ERASED "[erased]"

static int table_exists(struct crm_ctx *ctx, const char *name, struct gx_error *err)
{
	struct store_stmt *stmt = store_prepare(
	    ctx->store, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", err);
	if (!stmt)
		return GX_EINTERNAL;
	store_bind_text(stmt, 1, name);
	int rc = store_step(stmt, err);
	store_done(stmt);
	return rc < 0 ? rc : rc == STORE_ROW;
}

/* The records of kind whose column equals id, as API objects. */
static int rows_of(struct crm_ctx *ctx, const struct record_kind *kind, const char *column,
                   int64_t id, json_t *list, struct gx_error *err)
{
	struct sql q = {0};
	sql_add(&q, "SELECT ");
	sql_add(&q, records_columns(kind));
	sql_add(&q, " FROM ");
	sql_add(&q, kind->table);
	sql_add(&q, " r WHERE r.");
	sql_add(&q, column);
	sql_add(&q, " = ");
	sql_int(&q, id);
	sql_add(&q, " ORDER BY r.id");
	struct store_stmt *stmt = sql_prepare(&q, ctx->store, err);
	sql_free(&q);
	if (!stmt)
		return GX_EINTERNAL;
	int rc;
	while ((rc = store_step(stmt, err)) == STORE_ROW)
		json_array_append_new(list, records_row(kind, stmt));
	store_done(stmt);
	return rc < 0 ? rc : 0;
}

/* Whole rows of a table we do not own, by a query for their rowids with one bound id. */
static int generic_rows(struct crm_ctx *ctx, const char *table, const char *ids_sql, int64_t id,
                        int binds, json_t *list, struct gx_error *err)
{
	int exists = table_exists(ctx, table, err);
	if (exists <= 0)
		return exists;
	struct store_stmt *stmt = store_prepare(ctx->store, ids_sql, err);
	if (!stmt)
		return GX_EINTERNAL;
	for (int i = 1; i <= binds; i++)
		store_bind_int(stmt, i, id);
	json_t *ids = json_array();
	int rc;
	while ((rc = store_step(stmt, err)) == STORE_ROW)
		json_array_append_new(ids, json_integer(store_col_int(stmt, 0)));
	store_done(stmt);
	size_t i;
	json_t *v;
	json_array_foreach(ids, i, v)
	{
		json_t *row = NULL;
		if (rc < 0 ||
		    (rc = merge_row_snapshot(ctx, table, json_integer_value(v), &row, err)) < 0)
			break;
		json_array_append_new(list, row);
	}
	json_decref(ids);
	return rc < 0 ? rc : 0;
}

int privacy_export(struct crm_ctx *ctx, int64_t id, json_t **out, struct gx_error *err)
{
	json_t *contact = NULL, *account = NULL, *audit = NULL;
	int rc = records_get(ctx, &contact_kind, id, &contact, err);
	if (rc < 0)
		return rc;
	json_t *interactions = json_array(), *orders = json_array(), *relationships = json_array();
	json_t *positions = json_array(), *merges = json_array();
	json_t *account_id = json_object_get(contact, "account_id");
	if (json_is_integer(account_id) &&
	    records_get(ctx, &account_kind, json_integer_value(account_id), &account, err) < 0)
		account = NULL; /* an account the actor may not see is not part of the export */
	rc = rows_of(ctx, &interaction_kind, "contact_id", id, interactions, err);
	if (rc == 0)
		rc = rows_of(ctx, &order_kind, "contact_id", id, orders, err);
	if (rc == 0)
		rc = generic_rows(ctx, "relationships",
		                  "SELECT id FROM relationships WHERE (from_kind = 'contact' AND "
		                  "from_id = ?) OR (to_kind = 'contact' AND to_id = ?) ORDER BY id",
		                  id, 2, relationships, err);
	if (rc == 0)
		rc = generic_rows(
		    ctx, "contact_positions",
		    "SELECT id FROM contact_positions WHERE contact_id = ? ORDER BY id", id, 1,
		    positions, err);
	if (rc == 0)
		rc = generic_rows(
		    ctx, "merges",
		    "SELECT id FROM merges WHERE kind = 'contact' AND (survivor_id = ? "
		    "OR merged_id = ?) ORDER BY id",
		    id, 2, merges, err);
	if (rc == 0)
		rc = audit_list(ctx, "contact", id, &audit, err);
	if (rc == 0) {
		char now[32];
		clock_format(clock_now(), now, sizeof now);
		*out = json_pack("{s:s, s:O, s:O, s:O, s:O, s:O, s:O, s:O, s:O}", "exported_at",
		                 now, "contact", contact, "account",
		                 account
		                     ? json_pack("{s:O, s:O}", "id", json_object_get(account, "id"),
		                                 "name", json_object_get(account, "name"))
		                     : json_null(),
		                 "interactions", interactions, "orders", orders, "relationships",
		                 relationships, "positions", positions, "audit",
		                 json_object_get(audit, "data"), "merges", merges);
		/* s:O on a fresh object took a second reference: drop ours. */
		json_decref(json_object_get(*out, "account"));
	}
	json_decref(contact);
	json_decref(account);
	json_decref(audit);
	json_decref(interactions);
	json_decref(orders);
	json_decref(relationships);
	json_decref(positions);
	json_decref(merges);
	return rc;
}

/* ---- erasure -------------------------------------------------------------------------- */

/* Fields of a contact (and of an interaction) that say who the person is. */
static const char *const personal[] = {
    "name",          "title",           "birthday",      "phones",     "emails",  "addresses",
    "tags",          "consent",         "notes",         "department", "subject", "body",
    "merged_record", "survivor_fields", "relationships", NULL};

static int is_personal(const char *key)
{
	for (const char *const *p = personal; *p; p++)
		if (strcmp(*p, key) == 0)
			return 1;
	return 0;
}

/* Rewrites the changes of the audit rows the query selects (rowids, `binds` copies of id):
 * every personal value becomes "[erased]"; who, when and what kind of change stay. */
static int scrub_audit(struct crm_ctx *ctx, const char *ids_sql, int64_t id, int binds,
                       int64_t *count, struct gx_error *err)
{
	struct store_stmt *stmt = store_prepare(ctx->store, ids_sql, err);
	if (!stmt)
		return GX_EINTERNAL;
	for (int i = 1; i <= binds; i++)
		store_bind_int(stmt, i, id);
	json_t *rows = json_array();
	int rc;
	while ((rc = store_step(stmt, err)) == STORE_ROW) {
		json_t *changes = json_loads(store_col_text(stmt, 1), 0, NULL);
		json_array_append_new(rows, json_pack("[I, o]", (json_int_t)store_col_int(stmt, 0),
		                                      changes ? changes : json_object()));
	}
	store_done(stmt);
	size_t i;
	json_t *row;
	json_array_foreach(rows, i, row)
	{
		json_t *changes = json_array_get(row, 1);
		const char *key;
		json_t *v;
		int dirty = 0;
		json_object_foreach(changes, key, v)
		{
			if (!is_personal(key) || !json_is_object(v))
				continue;
			const char *sides[] = {"old", "new"};
			for (int s = 0; s < 2; s++) {
				json_t *side = json_object_get(v, sides[s]);
				if (side && !json_is_null(side)) {
					json_object_set_new(v, sides[s], json_string(ERASED));
					dirty = 1;
				}
			}
		}
		if (!dirty || rc < 0)
			continue;
		char *text = json_dumps(changes, JSON_COMPACT | JSON_SORT_KEYS);
		stmt = store_prepare(ctx->store, "UPDATE audit SET changes = ? WHERE id = ?", err);
		rc = GX_EINTERNAL;
		if (stmt && text) {
			store_bind_text(stmt, 1, text);
			store_bind_int(stmt, 2, json_integer_value(json_array_get(row, 0)));
			rc = store_exec(stmt, err);
			(*count)++;
		}
		free(text);
	}
	json_decref(rows);
	return rc < 0 ? rc : 0;
}

static int exec_id(struct crm_ctx *ctx, const char *sql, int64_t id, int binds, int64_t *changed,
                   struct gx_error *err)
{
	struct store_stmt *stmt = store_prepare(ctx->store, sql, err);
	if (!stmt)
		return GX_EINTERNAL;
	for (int i = 1; i <= binds; i++)
		store_bind_int(stmt, i, id);
	int rc = store_exec(stmt, err);
	if (rc == 0 && changed)
		*changed += store_changes(ctx->store);
	return rc;
}

static int erase_in_tx(struct crm_ctx *ctx, int64_t id, json_t **out, struct gx_error *err)
{
	json_t *contact = NULL;
	int rc = records_get(ctx, &contact_kind, id, &contact, err);
	json_decref(contact);
	if (rc < 0)
		return rc;
	char name[48];
	snprintf(name, sizeof name, "Erased %lld", (long long)id);
	struct store_stmt *stmt = store_prepare(
	    ctx->store,
	    "UPDATE contacts SET name = ?, title = NULL, birthday = NULL, phones = '[]', "
	    "emails = '[]', addresses = '[]', tags = '[]', consent = '{}', notes = NULL, "
	    "updated_at = ?, version = version + 1 WHERE id = ?",
	    err);
	if (!stmt)
		return GX_EINTERNAL;
	store_bind_text(stmt, 1, name);
	store_bind_int(stmt, 2, clock_now());
	store_bind_int(stmt, 3, id);
	if ((rc = store_exec(stmt, err)) < 0)
		return rc;
	int64_t interactions = 0, relationships = 0, audit_rows = 0, merges = 0;
	int has_positions = table_exists(ctx, "contact_positions", err);
	int has_relationships = table_exists(ctx, "relationships", err);
	if (has_positions < 0 || has_relationships < 0)
		return GX_EINTERNAL;
	if (has_positions)
		rc = exec_id(ctx, "UPDATE contacts SET department = NULL WHERE id = ?", id, 1, NULL,
		             err);
	if (rc == 0 && has_positions)
		rc = exec_id(ctx,
		             "UPDATE contact_positions SET title = NULL, department = NULL "
		             "WHERE contact_id = ?",
		             id, 1, NULL, err);
	if (rc == 0)
		rc = exec_id(ctx, "DELETE FROM contact_phones WHERE contact_id = ?", id, 1, NULL,
		             err);
	if (rc == 0)
		rc = store_search_put(ctx->store, STORE_INDEX_CONTACTS, id, NULL, err);
	if (rc == 0)
		rc = exec_id(
		    ctx,
		    "UPDATE interactions SET subject = CASE WHEN subject IS NULL THEN NULL "
		    "ELSE '" ERASED "' END, body = CASE WHEN body IS NULL THEN NULL ELSE '" ERASED
		    "' END WHERE contact_id = ?",
		    id, 1, &interactions, err);
	if (rc == 0 && has_relationships)
		rc = exec_id(
		    ctx,
		    "DELETE FROM relationships WHERE (from_kind = 'contact' AND from_id = ?) "
		    "OR (to_kind = 'contact' AND to_id = ?)",
		    id, 2, &relationships, err);
	if (rc == 0)
		rc = exec_id(
		    ctx,
		    "DELETE FROM duplicate_pairs WHERE kind = 'contact' AND (a_id = ? OR b_id = ?)",
		    id, 2, NULL, err);
	if (rc == 0)
		rc = scrub_audit(
		    ctx, "SELECT id, changes FROM audit WHERE entity = 'contact' AND entity_id = ?",
		    id, 1, &audit_rows, err);
	if (rc == 0)
		rc = scrub_audit(
		    ctx,
		    "SELECT a.id, a.changes FROM audit a JOIN interactions i ON "
		    "i.id = a.entity_id WHERE a.entity = 'interaction' AND i.contact_id = ?",
		    id, 1, &audit_rows, err);
	/* A merge's undo data about this person lives on the other record's audit row. */
	if (rc == 0)
		rc = scrub_audit(
		    ctx,
		    "SELECT a.id, a.changes FROM merges m JOIN audit a ON a.id = m.audit_id "
		    "WHERE m.kind = 'contact' AND (m.survivor_id = ? OR m.merged_id = ?)",
		    id, 2, &audit_rows, err);
	/* Records merged into this person were this person too. */
	if (rc == 0)
		rc = scrub_audit(
		    ctx,
		    "SELECT a.id, a.changes FROM merges m JOIN audit a ON a.entity = "
		    "'contact' AND a.entity_id = m.merged_id WHERE m.kind = 'contact' AND "
		    "m.survivor_id = ?",
		    id, 1, &audit_rows, err);
	if (rc == 0)
		rc = exec_id(ctx,
		             "UPDATE merges SET undoable = 0 WHERE kind = 'contact' AND "
		             "(survivor_id = ? OR merged_id = ?)",
		             id, 2, &merges, err);
	if (rc == 0) {
		json_t *note =
		    json_pack("{s:{s:n, s:s}}", "erasure", "old", "new", "erased on request");
		rc = audit_record(ctx, "contact", id, "update", note, err);
		json_decref(note);
	}
	if (rc == 0) {
		char now[32];
		clock_format(clock_now(), now, sizeof now);
		*out = json_pack("{s:I, s:s, s:I, s:I, s:I, s:I}", "id", (json_int_t)id,
		                 "erased_at", now, "interactions_redacted",
		                 (json_int_t)interactions, "relationships_removed",
		                 (json_int_t)relationships, "audit_rows_scrubbed",
		                 (json_int_t)audit_rows, "merges_made_final", (json_int_t)merges);
	}
	return rc;
}

int privacy_erase(struct crm_ctx *ctx, int64_t id, json_t **out, struct gx_error *err)
{
	*out = NULL;
	if (!access_is_admin(&ctx->actor))
		return gx_fail(err, GX_EFORBIDDEN, NULL, "only admins may erase a person");
	int rc = store_begin(ctx->store, err);
	if (rc < 0)
		return rc;
	rc = erase_in_tx(ctx, id, out, err);
	if (rc < 0) {
		store_rollback(ctx->store);
		json_decref(*out);
		*out = NULL;
		return rc;
	}
	return store_commit(ctx->store, err);
}
