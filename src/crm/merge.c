/* merge.c — merge two contacts or two accounts into one, and undo it. The rows that point at
 * the merged record are found from the schema (every foreign key to its table), so tables added
 * later (cases, calls, imports) move too without a change here; relationships, which have no
 * foreign keys, are handled by name. The survivor's fields change through records_update, so
 * validation, the caller-id index, search documents and its audit row are the usual ones.
 * SQLite-isms: pragma_table_info and pragma_foreign_key_list (see docs/decisions.md). */
#include "crm/merge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "crm/audit.h"
#include "crm/orders.h"
#include "crm/search.h"

/* ---- generic rows --------------------------------------------------------------------- */

static int table_columns(struct crm_ctx *ctx, const char *table, json_t **out, struct gx_error *err)
{
	struct store_stmt *stmt =
	    store_prepare(ctx->store, "SELECT name FROM pragma_table_info(?) ORDER BY cid", err);
	if (!stmt)
		return GX_EINTERNAL;
	store_bind_text(stmt, 1, table);
	json_t *cols = json_array();
	int rc;
	while ((rc = store_step(stmt, err)) == STORE_ROW)
		json_array_append_new(cols, json_string(store_col_text(stmt, 0)));
	store_done(stmt);
	if (rc < 0 || json_array_size(cols) == 0) {
		json_decref(cols);
		return rc < 0 ? rc : gx_fail(err, GX_EINTERNAL, NULL, "no table %s", table);
	}
	*out = cols;
	return 0;
}

int merge_row_snapshot(struct crm_ctx *ctx, const char *table, int64_t id, json_t **out,
                       struct gx_error *err)
{
	json_t *cols = NULL;
	int rc = table_columns(ctx, table, &cols, err);
	if (rc < 0)
		return rc;
	struct buf sql = {0};
	buf_append(&sql, "SELECT json_object(");
	size_t i;
	json_t *c;
	json_array_foreach(cols, i, c)
	{
		buf_printf(&sql, "%s'%s', \"%s\"", i ? ", " : "", json_string_value(c),
		           json_string_value(c));
	}
	buf_printf(&sql, ") FROM \"%s\" WHERE rowid = ?", table);
	json_decref(cols);
	struct store_stmt *stmt = buf_text(&sql) ? store_prepare(ctx->store, sql.data, err) : NULL;
	buf_free(&sql);
	if (!stmt)
		return GX_EINTERNAL;
	store_bind_int(stmt, 1, id);
	rc = store_step(stmt, err);
	json_t *row = rc == STORE_ROW ? json_loads(store_col_text(stmt, 0), 0, NULL) : NULL;
	store_done(stmt);
	if (rc < 0)
		return rc;
	if (!row)
		return gx_fail(err, GX_ENOTFOUND, NULL, "no row %lld in %s", (long long)id, table);
	*out = row;
	return 0;
}

int merge_row_insert(struct crm_ctx *ctx, const char *table, const json_t *row,
                     struct gx_error *err)
{
	json_t *cols = NULL;
	int rc = table_columns(ctx, table, &cols, err);
	if (rc < 0)
		return rc;
	struct buf sql = {0}, marks = {0};
	buf_printf(&sql, "INSERT INTO \"%s\" (", table);
	json_t *values = json_array();
	size_t i;
	json_t *c;
	json_array_foreach(cols, i, c)
	{
		json_t *v = json_object_get(row, json_string_value(c));
		if (!v)
			continue;
		buf_printf(&sql, "%s\"%s\"", json_array_size(values) ? ", " : "",
		           json_string_value(c));
		buf_append(&marks, json_array_size(values) ? ", ?" : "?");
		json_array_append(values, v);
	}
	buf_printf(&sql, ") VALUES (%s)", buf_text(&marks) ? buf_text(&marks) : "");
	buf_free(&marks);
	json_decref(cols);
	struct store_stmt *stmt = buf_text(&sql) ? store_prepare(ctx->store, sql.data, err) : NULL;
	buf_free(&sql);
	if (!stmt) {
		json_decref(values);
		return GX_EINTERNAL;
	}
	json_array_foreach(values, i, c)
	{
		int idx = (int)i + 1;
		if (json_is_integer(c))
			store_bind_int(stmt, idx, json_integer_value(c));
		else if (json_is_string(c))
			store_bind_text(stmt, idx, json_string_value(c));
		else if (json_is_real(c)) {
			char text[64];
			snprintf(text, sizeof text, "%.17g", json_real_value(c));
			store_bind_text(stmt, idx, text);
		} else
			store_bind_null(stmt, idx);
	}
	json_decref(values);
	return store_exec(stmt, err);
}

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

/* ---- moving what points at a record --------------------------------------------------- */

/* Every (table, column) with a foreign key to table: [["interactions", "contact_id"], ...].
 * WITHOUT ROWID tables are left out: they are derived indexes (caller id, emails) that the
 * contact's own write and triggers keep, and go with the merged row by ON DELETE CASCADE. */
static int references_to(struct crm_ctx *ctx, const char *table, json_t **out, struct gx_error *err)
{
	struct store_stmt *stmt = store_prepare(
	    ctx->store,
	    "SELECT m.name, f.\"from\" FROM sqlite_master m, pragma_foreign_key_list(m.name) f "
	    "WHERE m.type = 'table' AND f.\"table\" = ? AND m.sql NOT LIKE '%WITHOUT ROWID%' "
	    "ORDER BY m.name, f.\"from\"",
	    err);
	if (!stmt)
		return GX_EINTERNAL;
	store_bind_text(stmt, 1, table);
	json_t *refs = json_array();
	int rc;
	while ((rc = store_step(stmt, err)) == STORE_ROW)
		json_array_append_new(
		    refs, json_pack("[s, s]", store_col_text(stmt, 0), store_col_text(stmt, 1)));
	store_done(stmt);
	if (rc < 0) {
		json_decref(refs);
		return rc;
	}
	*out = refs;
	return 0;
}

/* Points column of table from `from` to `to` on the rows listed (NULL: all rows that point at
 * from), and returns the rowids changed. */
static int repoint(struct crm_ctx *ctx, const char *table, const char *column, int64_t from,
                   int64_t to, const json_t *only, json_t **moved, struct gx_error *err)
{
	char sql[256];
	json_t *ids = json_array();
	int rc = 0;
	if (only) {
		json_array_extend(ids, (json_t *)only);
	} else {
		snprintf(sql, sizeof sql, "SELECT rowid FROM \"%s\" WHERE \"%s\" = ?", table,
		         column);
		struct store_stmt *stmt = store_prepare(ctx->store, sql, err);
		if (!stmt) {
			json_decref(ids);
			return GX_EINTERNAL;
		}
		store_bind_int(stmt, 1, from);
		while ((rc = store_step(stmt, err)) == STORE_ROW)
			json_array_append_new(ids, json_integer(store_col_int(stmt, 0)));
		store_done(stmt);
	}
	snprintf(sql, sizeof sql, "UPDATE \"%s\" SET \"%s\" = ? WHERE rowid = ? AND \"%s\" = ?",
	         table, column, column);
	size_t i;
	json_t *id;
	json_array_foreach(ids, i, id)
	{
		if (rc < 0)
			break;
		struct store_stmt *stmt = store_prepare(ctx->store, sql, err);
		if (!stmt) {
			rc = GX_EINTERNAL;
			break;
		}
		store_bind_int(stmt, 1, to);
		store_bind_int(stmt, 2, json_integer_value(id));
		store_bind_int(stmt, 3, from);
		rc = store_exec(stmt, err);
	}
	if (rc < 0) {
		json_decref(ids);
		return rc;
	}
	*moved = ids;
	return 0;
}

static int recompute_tier(struct crm_ctx *ctx, const struct record_kind *kind, int64_t id,
                          struct gx_error *err)
{
	int contact = kind == &contact_kind;
	struct store_stmt *stmt = store_prepare(
	    ctx->store,
	    contact ? "SELECT TOTAL(amount_minor) FROM orders WHERE contact_id = ? AND "
	              "status = 'completed' AND currency = ?"
	            : "SELECT TOTAL(amount_minor) FROM orders WHERE account_id = ? AND "
	              "status = 'completed' AND currency = ?",
	    err);
	if (!stmt)
		return GX_EINTERNAL;
	store_bind_int(stmt, 1, id);
	store_bind_text(stmt, 2, ctx->config->currency);
	int rc = store_step(stmt, err);
	int64_t revenue = rc == STORE_ROW ? store_col_int(stmt, 0) : 0;
	store_done(stmt);
	if (rc < 0)
		return rc;
	stmt = store_prepare(ctx->store,
	                     contact ? "UPDATE contacts SET tier = ? WHERE id = ?"
	                             : "UPDATE accounts SET tier = ? WHERE id = ?",
	                     err);
	if (!stmt)
		return GX_EINTERNAL;
	store_bind_text(stmt, 1, orders_tier(ctx->config, revenue));
	store_bind_int(stmt, 2, id);
	return store_exec(stmt, err);
}

/* Relationships of the merged record move to the survivor: all rows are kept as they were for
 * the undo, deleted, and written again pointing at the survivor (unless that would relate the
 * survivor to itself or repeat one it has). */
static int move_relationships(struct crm_ctx *ctx, const char *entity, int64_t merged,
                              int64_t survivor, json_t *undo, struct gx_error *err)
{
	int exists = table_exists(ctx, "relationships", err);
	if (exists <= 0)
		return exists;
	struct store_stmt *stmt =
	    store_prepare(ctx->store,
	                  "SELECT id FROM relationships WHERE (from_kind = ? AND from_id = ?) OR "
	                  "(to_kind = ? AND to_id = ?) ORDER BY id",
	                  err);
	if (!stmt)
		return GX_EINTERNAL;
	store_bind_text(stmt, 1, entity);
	store_bind_int(stmt, 2, merged);
	store_bind_text(stmt, 3, entity);
	store_bind_int(stmt, 4, merged);
	json_t *ids = json_array();
	int rc;
	while ((rc = store_step(stmt, err)) == STORE_ROW)
		json_array_append_new(ids, json_integer(store_col_int(stmt, 0)));
	store_done(stmt);
	json_t *old_rows = json_array(), *new_ids = json_array();
	size_t i;
	json_t *id;
	json_array_foreach(ids, i, id)
	{
		json_t *row = NULL;
		if (rc < 0 || (rc = merge_row_snapshot(ctx, "relationships", json_integer_value(id),
		                                       &row, err)) < 0)
			break;
		json_array_append_new(old_rows, row);
		stmt = store_prepare(ctx->store, "DELETE FROM relationships WHERE id = ?", err);
		rc = stmt ? (store_bind_int(stmt, 1, json_integer_value(id)), store_exec(stmt, err))
		          : GX_EINTERNAL;
	}
	json_t *row;
	json_array_foreach(old_rows, i, row)
	{
		if (rc < 0)
			break;
		json_t *moved = json_deep_copy(row);
		json_object_del(moved, "id");
		if (json_integer_value(json_object_get(moved, "from_id")) == merged)
			json_object_set_new(moved, "from_id", json_integer(survivor));
		if (json_integer_value(json_object_get(moved, "to_id")) == merged)
			json_object_set_new(moved, "to_id", json_integer(survivor));
		if (!json_equal(json_object_get(moved, "from_id"),
		                json_object_get(moved, "to_id"))) {
			rc = merge_row_insert(ctx, "relationships", moved, err);
			if (rc == GX_ECONFLICT) /* the survivor already has this relationship */
				rc = 0;
			else if (rc == 0)
				json_array_append_new(
				    new_ids, json_integer(store_last_insert_id(ctx->store)));
		}
		json_decref(moved);
	}
	json_decref(ids);
	json_object_set_new(undo, "relationships", old_rows);
	json_object_set_new(undo, "relationships_new", new_ids);
	return rc < 0 ? rc : 0;
}

/* ---- choosing the survivor's values --------------------------------------------------- */

static int is_empty(const json_t *v)
{
	return !v || json_is_null(v) || (json_is_string(v) && !*json_string_value(v)) ||
	       (json_is_array(v) && json_array_size(v) == 0) ||
	       (json_is_object(v) && json_object_size(v) == 0);
}

/* The identity of a list item for the union: phones by E.164, emails by folded address. */
static int same_item(const char *field, const json_t *a, const json_t *b)
{
	if (strcmp(field, "phones") == 0)
		return json_equal(json_object_get(a, "e164"), json_object_get(b, "e164"));
	if (strcmp(field, "emails") == 0) {
		const char *x = json_string_value(json_object_get(a, "address"));
		const char *y = json_string_value(json_object_get(b, "address"));
		return x && y && strcasecmp(x, y) == 0;
	}
	return json_equal(a, b);
}

static json_t *both(const char *field, const json_t *s, const json_t *m)
{
	if (json_is_array(s) || json_is_array(m)) {
		json_t *list = json_is_array(s) ? json_deep_copy(s) : json_array();
		size_t i, j;
		json_t *item, *have;
		json_array_foreach(m, i, item)
		{
			int dup = 0;
			json_array_foreach(list, j, have)
			{
				dup |= same_item(field, have, item);
			}
			if (!dup && json_array_size(list) < 50)
				json_array_append(list, item);
		}
		/* E.164 is computed by the contact's normalise hook, never taken as given. */
		json_array_foreach(list, i, item)
		{
			if (json_is_object(item))
				json_object_del(item, "e164");
		}
		return list;
	}
	if (json_is_object(s) && json_is_object(m)) {
		json_t *o = json_deep_copy(m);
		json_object_update(o, (json_t *)s);
		return o;
	}
	if (json_is_string(s) && json_is_string(m) &&
	    strcmp(json_string_value(s), json_string_value(m)))
		return json_sprintf("%s\n\n%s", json_string_value(s), json_string_value(m));
	return json_incref(is_empty(s) ? (json_t *)m : (json_t *)s);
}

/* The patch for the survivor from the choices; NULL with err on a bad choice. */
static json_t *survivor_patch(const struct record_kind *kind, const json_t *survivor,
                              const json_t *merged, const json_t *choices, struct gx_error *err)
{
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)choices, key, v)
	{
		const char *c = json_string_value(v);
		size_t i;
		for (i = 0; i < kind->nfields; i++)
			if (strcmp(kind->fields[i].name, key) == 0 &&
			    !(kind->fields[i].flags & FIELD_READONLY))
				break;
		if (i == kind->nfields) {
			gx_fail(err, GX_EVALIDATION, "fields", "%s has no field \"%s\" to choose",
			        kind->entity, key);
			return NULL;
		}
		if (!c || (strcmp(c, "survivor") && strcmp(c, "merged") && strcmp(c, "both"))) {
			gx_fail(err, GX_EVALIDATION, "fields",
			        "fields.%s must be \"survivor\", \"merged\" or \"both\"", key);
			return NULL;
		}
	}
	json_t *patch = json_object();
	for (size_t i = 0; i < kind->nfields; i++) {
		const struct field *f = &kind->fields[i];
		if (f->flags & FIELD_READONLY)
			continue;
		json_t *s = json_object_get(survivor, f->name),
		       *m = json_object_get(merged, f->name);
		const char *c = json_string_value(json_object_get(choices, f->name));
		int list = f->type == F_TAGS || (f->type == F_JSON && json_is_array(s));
		if (!c) /* lists unite; a value the survivor lacks comes from the merged record */
			c = list ? "both" : is_empty(s) ? "merged" : "survivor";
		json_t *value = strcmp(c, "survivor") == 0 ? json_incref(s ? s : json_null())
		                : strcmp(c, "merged") == 0 ? json_incref(m ? m : json_null())
		                                           : both(f->name, s, m);
		json_t *plain = json_deep_copy(s ? s : json_null());
		if (json_is_array(plain)) { /* compare without the computed e164 */
			size_t j;
			json_t *item;
			json_array_foreach(plain, j, item)
			{
				if (json_is_object(item))
					json_object_del(item, "e164");
			}
		}
		if (!json_equal(value, plain) && !(is_empty(value) && is_empty(s)))
			json_object_set(patch, f->name, value);
		json_decref(plain);
		json_decref(value);
	}
	return patch;
}

/* ---- merge ---------------------------------------------------------------------------- */

static int delete_row(struct crm_ctx *ctx, const struct record_kind *kind, int64_t id,
                      struct gx_error *err)
{
	char sql[96];
	snprintf(sql, sizeof sql, "DELETE FROM %s WHERE id = ?", kind->table);
	struct store_stmt *stmt = store_prepare(ctx->store, sql, err);
	if (!stmt)
		return GX_EINTERNAL;
	store_bind_int(stmt, 1, id);
	int rc = store_exec(stmt, err);
	if (rc == GX_EVALIDATION)
		rc = gx_fail(err, GX_ECONFLICT, NULL,
		             "the merged %s is still referred to by rows that cannot move",
		             kind->entity);
	return rc;
}

static int forget_pairs(struct crm_ctx *ctx, const struct record_kind *kind, int64_t id,
                        struct gx_error *err)
{
	struct store_stmt *stmt = store_prepare(
	    ctx->store, "DELETE FROM duplicate_pairs WHERE kind = ? AND (a_id = ? OR b_id = ?)",
	    err);
	if (!stmt)
		return GX_EINTERNAL;
	store_bind_text(stmt, 1, kind->entity);
	store_bind_int(stmt, 2, id);
	store_bind_int(stmt, 3, id);
	return store_exec(stmt, err);
}

/* Contacts carry their account's name in their search documents. */
static int reindex_people(struct crm_ctx *ctx, const json_t *moved, struct gx_error *err)
{
	const json_t *ids = json_object_get(moved, "contacts.account_id");
	size_t i;
	json_t *id;
	json_array_foreach(ids, i, id)
	{
		int rc = search_index_contact(ctx, json_integer_value(id), err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int merge_in_tx(struct crm_ctx *ctx, const struct record_kind *kind, int64_t survivor_id,
                       int64_t merged_id, const json_t *choices, json_t **out, struct gx_error *err)
{
	json_t *survivor = NULL, *merged = NULL, *snapshot = NULL, *patch = NULL, *refs = NULL;
	json_t *after = NULL, *undo = json_object(), *moved = json_object();
	int rc = records_get(ctx, kind, survivor_id, &survivor, err);
	if (rc == 0)
		rc = records_get(ctx, kind, merged_id, &merged, err);
	if (rc == 0)
		rc = merge_row_snapshot(ctx, kind->table, merged_id, &snapshot, err);
	if (rc == 0 && !(patch = survivor_patch(kind, survivor, merged, choices, err)))
		rc = GX_EVALIDATION;
	if (rc == 0)
		rc = references_to(ctx, kind->table, &refs, err);
	/* Rows first, so the survivor's derived figures and checks see them. */
	size_t i;
	json_t *ref;
	json_array_foreach(refs, i, ref)
	{
		const char *table = json_string_value(json_array_get(ref, 0));
		const char *column = json_string_value(json_array_get(ref, 1));
		json_t *ids = NULL;
		if (rc < 0 ||
		    (rc = repoint(ctx, table, column, merged_id, survivor_id, NULL, &ids, err)) < 0)
			break;
		char key[160];
		snprintf(key, sizeof key, "%s.%s", table, column);
		if (json_array_size(ids))
			json_object_set(moved, key, ids);
		json_decref(ids);
	}
	/* A survivor that reported to (or was the parent of) the merged one would now point at
	 * itself: such links are dropped (the undo puts them back through the moved list). */
	if (rc == 0) {
		char sql[160];
		snprintf(sql, sizeof sql, "UPDATE %s SET %s = NULL WHERE id = ? AND %s = id",
		         kind->table, kind == &contact_kind ? "reports_to_id" : "parent_id",
		         kind == &contact_kind ? "reports_to_id" : "parent_id");
		struct store_stmt *stmt =
		    json_object_get(survivor, kind == &contact_kind ? "reports_to_id" : "parent_id")
		        ? store_prepare(ctx->store, sql, err)
		        : NULL;
		if (stmt) {
			store_bind_int(stmt, 1, survivor_id);
			rc = store_exec(stmt, err);
		}
	}
	if (rc == 0)
		rc = move_relationships(ctx, kind->entity, merged_id, survivor_id, undo, err);
	if (rc == 0)
		rc = forget_pairs(ctx, kind, merged_id, err);
	if (rc == 0)
		rc = delete_row(ctx, kind, merged_id, err);
	if (rc == 0 && kind->after_write)
		rc = kind->after_write(ctx, merged_id, NULL, merged, err);
	if (rc == 0)
		rc = recompute_tier(ctx, kind, survivor_id, err);
	if (rc == 0 && json_object_size(patch))
		rc = records_update(ctx, kind, survivor_id, patch, &after, err);
	if (rc == 0 && !after)
		rc = records_get(ctx, kind, survivor_id, &after, err);
	if (rc == 0 && kind == &account_kind)
		rc = reindex_people(ctx, moved, err);
	int64_t audit_id = 0;
	if (rc == 0) {
		/* Everything the undo needs, in the audit's {"old", "new"} shape. */
		json_t *before = json_object(), *now = json_object();
		const char *key;
		json_t *v;
		json_object_foreach(patch, key, v)
		{
			json_object_set(before, key, json_object_get(survivor, key));
			json_object_set(now, key, json_object_get(after, key));
		}
		json_t *changes = json_pack(
		    "{s:{s:n, s:I}, s:{s:O, s:n}, s:{s:o, s:o}, s:{s:n, s:O}, s:{s:O, s:O}}",
		    "merged_id", "old", "new", (json_int_t)merged_id, "merged_record", "old",
		    snapshot, "new", "survivor_fields", "old", before, "new", now, "moved", "old",
		    "new", moved, "relationships", "old", json_object_get(undo, "relationships"),
		    "new", json_object_get(undo, "relationships_new"));
		rc = audit_record(ctx, kind->entity, survivor_id, "merge", changes, err);
		audit_id = store_last_insert_id(ctx->store);
		json_decref(changes);
		if (rc == 0) {
			json_t *note = json_pack("{s:{s:n, s:I}}", "merged_into", "old", "new",
			                         (json_int_t)survivor_id);
			rc = audit_record(ctx, kind->entity, merged_id, "merge", note, err);
			json_decref(note);
		}
	}
	int64_t merge_id = 0;
	if (rc == 0) {
		struct store_stmt *stmt = store_prepare(
		    ctx->store,
		    "INSERT INTO merges(kind, survivor_id, merged_id, audit_id, user_id, at) "
		    "VALUES (?, ?, ?, ?, ?, ?)",
		    err);
		rc = GX_EINTERNAL;
		if (stmt) {
			store_bind_text(stmt, 1, kind->entity);
			store_bind_int(stmt, 2, survivor_id);
			store_bind_int(stmt, 3, merged_id);
			store_bind_int(stmt, 4, audit_id);
			if (ctx->actor.user_id > 0)
				store_bind_int(stmt, 5, ctx->actor.user_id);
			else
				store_bind_null(stmt, 5);
			store_bind_int(stmt, 6, clock_now());
			rc = store_exec(stmt, err);
			merge_id = store_last_insert_id(ctx->store);
		}
	}
	if (rc == 0) {
		json_t *counts = json_object();
		const char *key;
		json_t *v;
		json_object_foreach(moved, key, v)
		{
			json_object_set_new(counts, key,
			                    json_integer((json_int_t)json_array_size(v)));
		}
		json_object_set_new(counts, "relationships",
		                    json_integer((json_int_t)json_array_size(
		                        json_object_get(undo, "relationships"))));
		*out = json_pack("{s:I, s:O, s:o}", "merge_id", (json_int_t)merge_id, "survivor",
		                 after, "moved", counts);
	}
	json_decref(survivor);
	json_decref(merged);
	json_decref(snapshot);
	json_decref(patch);
	json_decref(refs);
	json_decref(after);
	json_decref(undo);
	json_decref(moved);
	return rc;
}

int merge_records(struct crm_ctx *ctx, const struct record_kind *kind, const json_t *body,
                  json_t **out, struct gx_error *err)
{
	*out = NULL;
	if (kind != &contact_kind && kind != &account_kind)
		return gx_fail(err, GX_EBADREQUEST, NULL, "only contacts and accounts merge");
	json_t *s = json_object_get(body, "survivor"), *m = json_object_get(body, "merged");
	json_t *choices = json_object_get(body, "fields");
	if (!json_is_object(body))
		return gx_fail(err, GX_EBADREQUEST, NULL, "the body must be a JSON object");
	if (!json_is_integer(s) || json_integer_value(s) <= 0)
		return gx_fail(err, GX_EVALIDATION, "survivor", "survivor must be an id");
	if (!json_is_integer(m) || json_integer_value(m) <= 0)
		return gx_fail(err, GX_EVALIDATION, "merged", "merged must be an id");
	if (json_equal(s, m))
		return gx_fail(err, GX_EVALIDATION, "merged", "a record cannot merge with itself");
	if (choices && !json_is_object(choices))
		return gx_fail(err, GX_EVALIDATION, "fields",
		               "fields must be an object like {\"email\": \"merged\"}");
	if (!access_can_write(&ctx->actor, kind->access))
		return gx_fail(err, GX_EFORBIDDEN, NULL, "the %s role may not change %ss",
		               access_role_name(ctx->actor.role), kind->entity);
	json_t *empty = json_object();
	int rc = store_begin(ctx->store, err);
	if (rc == 0) {
		rc = merge_in_tx(ctx, kind, json_integer_value(s), json_integer_value(m),
		                 choices ? choices : empty, out, err);
		if (rc < 0)
			store_rollback(ctx->store);
		else
			rc = store_commit(ctx->store, err);
	}
	json_decref(empty);
	if (rc < 0 && *out) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}

/* ---- undo ----------------------------------------------------------------------------- */

static int load_merge(struct crm_ctx *ctx, int64_t merge_id, const struct record_kind **kind,
                      int64_t *survivor, int64_t *merged, json_t **changes, struct gx_error *err)
{
	struct store_stmt *stmt = store_prepare(
	    ctx->store,
	    "SELECT m.kind, m.survivor_id, m.merged_id, m.undone_at, m.undoable, a.changes "
	    "FROM merges m JOIN audit a ON a.id = m.audit_id WHERE m.id = ?",
	    err);
	if (!stmt)
		return GX_EINTERNAL;
	store_bind_int(stmt, 1, merge_id);
	int rc = store_step(stmt, err);
	if (rc == STORE_ROW) {
		*kind =
		    strcmp(store_col_text(stmt, 0), "contact") == 0 ? &contact_kind : &account_kind;
		*survivor = store_col_int(stmt, 1);
		*merged = store_col_int(stmt, 2);
		if (!store_col_is_null(stmt, 3))
			rc = gx_fail(err, GX_ECONFLICT, NULL, "merge %lld was undone already",
			             (long long)merge_id);
		else if (!store_col_int(stmt, 4))
			rc = gx_fail(
			    err, GX_ECONFLICT, NULL,
			    "merge %lld cannot be undone: a record in it was erased on request",
			    (long long)merge_id);
		else
			*changes = json_loads(store_col_text(stmt, 5), 0, NULL);
	}
	store_done(stmt);
	if (rc == STORE_DONE)
		return gx_fail(err, GX_ENOTFOUND, NULL, "no merge with id %lld",
		               (long long)merge_id);
	if (rc >= 0 && !*changes)
		return gx_fail(err, GX_EINTERNAL, NULL, "the merge's audit row is unreadable");
	return rc < 0 ? rc : 0;
}

static const json_t *change_side(const json_t *changes, const char *key, const char *side)
{
	return json_object_get(json_object_get(changes, key), side);
}

static int restore_relationships(struct crm_ctx *ctx, const json_t *changes, struct gx_error *err)
{
	const json_t *new_ids = change_side(changes, "relationships", "new");
	const json_t *old_rows = change_side(changes, "relationships", "old");
	size_t i;
	json_t *v;
	int rc = 0;
	json_array_foreach(new_ids, i, v)
	{
		struct store_stmt *stmt =
		    store_prepare(ctx->store, "DELETE FROM relationships WHERE id = ?", err);
		if (!stmt)
			return GX_EINTERNAL;
		store_bind_int(stmt, 1, json_integer_value(v));
		if ((rc = store_exec(stmt, err)) < 0)
			return rc;
	}
	json_array_foreach(old_rows, i, v)
	{
		rc = merge_row_insert(ctx, "relationships", v, err);
		if (rc == GX_ECONFLICT)
			rc = 0; /* made again by hand meanwhile */
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int undo_in_tx(struct crm_ctx *ctx, int64_t merge_id, json_t **out, struct gx_error *err)
{
	const struct record_kind *kind = NULL;
	int64_t survivor_id = 0, merged_id = 0;
	json_t *changes = NULL, *survivor = NULL, *restored = NULL, *after = NULL;
	int rc = load_merge(ctx, merge_id, &kind, &survivor_id, &merged_id, &changes, err);
	if (rc == 0 && !access_can_write(&ctx->actor, kind->access))
		rc = gx_fail(err, GX_EFORBIDDEN, NULL, "the %s role may not change %ss",
		             access_role_name(ctx->actor.role), kind->entity);
	if (rc == 0)
		rc = records_get(ctx, kind, survivor_id, &survivor, err);
	if (rc == GX_ENOTFOUND)
		rc = gx_fail(err, GX_ENOTFOUND, NULL, "no merge with id %lld", (long long)merge_id);
	const json_t *snapshot = change_side(changes, "merged_record", "old");
	if (rc == 0 && !json_is_object(snapshot))
		rc = gx_fail(err, GX_ECONFLICT, NULL, "merge %lld cannot be undone",
		             (long long)merge_id);
	if (rc == 0) {
		rc = merge_row_insert(ctx, kind->table, snapshot, err);
		if (rc == GX_EVALIDATION || rc == GX_ECONFLICT)
			rc =
			    gx_fail(err, GX_ECONFLICT, NULL,
			            "the merged %s cannot come back: a record it refers to is gone",
			            kind->entity);
	}
	const json_t *moved = change_side(changes, "moved", "new");
	const char *key;
	json_t *ids;
	json_object_foreach((json_t *)moved, key, ids)
	{
		char table[128];
		const char *dot = strchr(key, '.');
		if (rc < 0 || !dot || (size_t)(dot - key) >= sizeof table)
			continue;
		snprintf(table, sizeof table, "%.*s", (int)(dot - key), key);
		json_t *back = NULL;
		/* The survivor's own self-link was set to NULL, not to itself: put it back. */
		int self = 0;
		size_t k;
		json_t *one;
		json_array_foreach(ids, k, one)
		{
			self |= json_integer_value(one) == survivor_id;
		}
		if (self && strcmp(table, kind->table) == 0) {
			char sql[160];
			snprintf(sql, sizeof sql,
			         "UPDATE %s SET \"%s\" = ? WHERE id = ? AND \"%s\" IS NULL",
			         kind->table, dot + 1, dot + 1);
			struct store_stmt *stmt = store_prepare(ctx->store, sql, err);
			if (!stmt) {
				rc = GX_EINTERNAL;
				continue;
			}
			store_bind_int(stmt, 1, merged_id);
			store_bind_int(stmt, 2, survivor_id);
			if ((rc = store_exec(stmt, err)) < 0)
				continue;
		}
		rc = repoint(ctx, table, dot + 1, survivor_id, merged_id, ids, &back, err);
		json_decref(back);
	}
	if (rc == 0 && kind == &account_kind)
		rc = reindex_people(ctx, moved, err);
	if (rc == 0)
		rc = restore_relationships(ctx, changes, err);
	/* Fields the merge changed and nobody changed since go back. */
	if (rc == 0) {
		json_t *patch = json_object();
		const json_t *old = change_side(changes, "survivor_fields", "old");
		const json_t *now = change_side(changes, "survivor_fields", "new");
		json_t *v;
		json_object_foreach((json_t *)old, key, v)
		{
			if (json_equal(json_object_get(survivor, key), json_object_get(now, key)))
				json_object_set(patch, key, v);
		}
		if (json_object_size(patch))
			rc = records_update(ctx, kind, survivor_id, patch, &after, err);
		json_decref(patch);
	}
	if (rc == 0)
		rc = records_get(ctx, kind, merged_id, &restored, err);
	if (rc == 0 && kind->after_write)
		rc = kind->after_write(ctx, merged_id, restored, NULL, err);
	if (rc == 0)
		rc = recompute_tier(ctx, kind, survivor_id, err);
	if (rc == 0)
		rc = recompute_tier(ctx, kind, merged_id, err);
	if (rc == 0) {
		json_t *note =
		    json_pack("{s:{s:I, s:n}}", "merge_undone", "old", (json_int_t)merge_id, "new");
		rc = audit_record(ctx, kind->entity, survivor_id, "merge", note, err);
		json_decref(note);
		note = json_pack("{s:{s:n, s:I}}", "restored_from_merge", "old", "new",
		                 (json_int_t)merge_id);
		if (rc == 0)
			rc = audit_record(ctx, kind->entity, merged_id, "merge", note, err);
		json_decref(note);
	}
	if (rc == 0) {
		struct store_stmt *stmt = store_prepare(
		    ctx->store, "UPDATE merges SET undone_at = ?, undone_by = ? WHERE id = ?", err);
		rc = GX_EINTERNAL;
		if (stmt) {
			store_bind_int(stmt, 1, clock_now());
			if (ctx->actor.user_id > 0)
				store_bind_int(stmt, 2, ctx->actor.user_id);
			else
				store_bind_null(stmt, 2);
			store_bind_int(stmt, 3, merge_id);
			rc = store_exec(stmt, err);
		}
	}
	if (rc == 0) {
		json_decref(after);
		after = NULL;
		json_decref(restored);
		restored = NULL;
		rc = records_get(ctx, kind, survivor_id, &after, err);
		if (rc == 0)
			rc = records_get(ctx, kind, merged_id, &restored, err);
	}
	if (rc == 0)
		*out = json_pack("{s:I, s:O, s:O}", "merge_id", (json_int_t)merge_id, "survivor",
		                 after, "restored", restored);
	json_decref(changes);
	json_decref(survivor);
	json_decref(restored);
	json_decref(after);
	return rc;
}

int merge_undo(struct crm_ctx *ctx, int64_t merge_id, json_t **out, struct gx_error *err)
{
	int rc = store_begin(ctx->store, err);
	if (rc < 0)
		return rc;
	*out = NULL;
	rc = undo_in_tx(ctx, merge_id, out, err);
	if (rc < 0) {
		store_rollback(ctx->store);
		json_decref(*out);
		*out = NULL;
		return rc;
	}
	return store_commit(ctx->store, err);
}
