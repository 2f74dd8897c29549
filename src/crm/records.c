/* records.c — create, read, update, delete and list for every record kind, from its field
 * table. Every write is one transaction: the row, what derives from it (after_write) and its
 * audit row commit together or not at all. */
#include "crm/records.h"

#include <pthread.h>
#include <stdio.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/money.h"
#include "crm/audit.h"
#include "crm/search.h"
#include "crm/sql.h"

static const struct record_kind *const all_kinds[] = {
    &account_kind, &contact_kind, &interaction_kind, &order_kind, &relationship_kind};
#define NKINDS (sizeof all_kinds / sizeof all_kinds[0])

const struct record_kind *records_kind(const char *plural)
{
	for (size_t i = 0; i < NKINDS; i++)
		if (strcmp(all_kinds[i]->table, plural) == 0)
			return all_kinds[i];
	return NULL;
}

static const char *column_of(const struct field *f)
{
	return f->column ? f->column : f->name;
}

/* ---- columns and rows ---------------------------------------------------------------- */

static char *column_lists[NKINDS];
static pthread_once_t columns_once = PTHREAD_ONCE_INIT;

static void build_column_lists(void)
{
	for (size_t k = 0; k < NKINDS; k++) {
		struct buf b = {0};
		buf_append(&b, "r.id, r.created_at, r.updated_at, r.version");
		for (size_t i = 0; i < all_kinds[k]->nfields; i++)
			buf_printf(&b, ", r.%s", column_of(&all_kinds[k]->fields[i]));
		column_lists[k] = b.data; /* lives as long as the program, like the kinds */
	}
}

const char *records_columns(const struct record_kind *kind)
{
	pthread_once(&columns_once, build_column_lists);
	for (size_t k = 0; k < NKINDS; k++)
		if (all_kinds[k] == kind)
			return column_lists[k] ? column_lists[k] : "r.id";
	return "r.id";
}

static json_t *time_json(int64_t t)
{
	char text[32];
	clock_format(t, text, sizeof text);
	return json_string(text);
}

static json_t *value_json(const struct field *f, struct store_stmt *stmt, int col)
{
	if (store_col_is_null(stmt, col))
		return json_null();
	switch (f->type) {
	case F_COUNT:
	case F_REF:
	case F_USER: return json_integer(store_col_int(stmt, col));
	case F_TIME: return time_json(store_col_int(stmt, col));
	case F_MONEY: {
		char text[32];
		money_format(store_col_int(stmt, col), text, sizeof text);
		return json_string(text);
	}
	case F_TAGS:
	case F_JSON: {
		const char *text = store_col_text(stmt, col);
		if (strcmp(text, "[]") == 0) /* most tags and lists: skip the parser's set-up */
			return json_array();
		json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);
		return v ? v : json_null();
	}
	default: return json_string(store_col_text(stmt, col));
	}
}

json_t *records_row(const struct record_kind *kind, struct store_stmt *stmt)
{
	json_t *row = json_object();
	json_object_set_new(row, "id", json_integer(store_col_int(stmt, 0)));
	for (size_t i = 0; i < kind->nfields; i++)
		json_object_set_new(row, kind->fields[i].name,
		                    value_json(&kind->fields[i], stmt, (int)i + 4));
	json_object_set_new(row, "created_at", time_json(store_col_int(stmt, 1)));
	json_object_set_new(row, "updated_at", time_json(store_col_int(stmt, 2)));
	json_object_set_new(row, "version", json_integer(store_col_int(stmt, 3)));
	return row;
}

/* Reads one record; with check_visible the actor's visibility applies. */
static int load(struct crm_ctx *ctx, const struct record_kind *kind, int64_t id, json_t **out,
                struct gx_error *err)
{
	struct sql q = {0};
	sql_add(&q, "SELECT ");
	sql_add(&q, records_columns(kind));
	sql_add(&q, " FROM ");
	sql_add(&q, kind->table);
	sql_add(&q, " r WHERE r.id = ");
	sql_int(&q, id);
	sql_add(&q, " AND ");
	sql_visible(&q, &ctx->actor, kind->access);
	struct store_stmt *stmt = sql_prepare(&q, ctx->store, err);
	sql_free(&q);
	if (!stmt)
		return GX_EINTERNAL;
	int rc = store_step(stmt, err);
	if (rc == STORE_ROW)
		*out = records_row(kind, stmt);
	store_done(stmt);
	if (rc == STORE_DONE)
		return gx_fail(err, GX_ENOTFOUND, NULL, "no %s with id %lld", kind->entity,
		               (long long)id);
	return rc < 0 ? rc : 0;
}

int records_get(struct crm_ctx *ctx, const struct record_kind *kind, int64_t id, json_t **out,
                struct gx_error *err)
{
	return load(ctx, kind, id, out, err);
}

int records_visible(struct crm_ctx *ctx, const struct record_kind *kind, int64_t id,
                    struct gx_error *err)
{
	struct sql q = {0};
	sql_add(&q, "SELECT 1 FROM ");
	sql_add(&q, kind->table);
	sql_add(&q, " r WHERE r.id = ");
	sql_int(&q, id);
	sql_add(&q, " AND ");
	sql_visible(&q, &ctx->actor, kind->access);
	struct store_stmt *stmt = sql_prepare(&q, ctx->store, err);
	sql_free(&q);
	if (!stmt)
		return GX_EINTERNAL;
	int rc = store_step(stmt, err);
	store_done(stmt);
	return rc < 0 ? rc : rc == STORE_ROW;
}

/* ---- validation ---------------------------------------------------------------------- */

static const struct field *find_field(const struct record_kind *kind, const char *name)
{
	for (size_t i = 0; i < kind->nfields; i++)
		if (strcmp(kind->fields[i].name, name) == 0)
			return &kind->fields[i];
	return NULL;
}

static int is_choice(const char *const *choices, const char *value)
{
	for (; *choices; choices++)
		if (strcmp(*choices, value) == 0)
			return 1;
	return 0;
}

static int check_tags(const struct field *f, json_t *tags, struct gx_error *err)
{
	if (!json_is_array(tags))
		return gx_fail(err, GX_EVALIDATION, f->name, "%s must be a list of strings",
		               f->name);
	size_t i;
	json_t *tag;
	json_array_foreach(tags, i, tag)
	{
		const char *t = json_string_value(tag);
		if (!t || !*t || strlen(t) > 64)
			return gx_fail(err, GX_EVALIDATION, f->name,
			               "each tag must be a non-empty string of at most 64 bytes");
		for (size_t j = 0; j < i; j++)
			if (json_equal(json_array_get(tags, j), tag))
				return gx_fail(err, GX_EVALIDATION, f->name,
				               "tag \"%s\" is listed twice", t);
	}
	return 0;
}

static int check_value(const struct field *f, json_t *v, struct gx_error *err)
{
	const char *s = json_string_value(v);
	int64_t n;
	switch (f->type) {
	case F_TEXT:
		if (!s)
			return gx_fail(err, GX_EVALIDATION, f->name, "%s must be a string",
			               f->name);
		if (strlen(s) > f->max_len)
			return gx_fail(err, GX_EVALIDATION, f->name, "%s is longer than %zu bytes",
			               f->name, f->max_len);
		return 0;
	case F_COUNT:
		if (!json_is_integer(v) || json_integer_value(v) < 0)
			return gx_fail(err, GX_EVALIDATION, f->name,
			               "%s must be a whole number >= 0", f->name);
		return 0;
	case F_REF:
	case F_USER:
		if (!json_is_integer(v) || json_integer_value(v) <= 0)
			return gx_fail(err, GX_EVALIDATION, f->name, "%s must be a positive id",
			               f->name);
		return 0;
	case F_DATE:
		if (!s || clock_check_date(s) < 0)
			return gx_fail(err, GX_EVALIDATION, f->name, "%s must be a date YYYY-MM-DD",
			               f->name);
		return 0;
	case F_TIME:
		if (!s || clock_parse(s, &n) < 0)
			return gx_fail(err, GX_EVALIDATION, f->name,
			               "%s must be an RFC 3339 time like 2026-11-22T08:30:00Z",
			               f->name);
		return 0;
	case F_MONEY:
		if (!s || money_parse(s, &n) < 0)
			return gx_fail(
			    err, GX_EVALIDATION, f->name,
			    "%s must be a decimal string with at most two places, like \"1299.00\"",
			    f->name);
		return 0;
	case F_CURRENCY:
		if (!s || !money_valid_currency(s))
			return gx_fail(err, GX_EVALIDATION, f->name,
			               "%s must be an ISO 4217 code like CNY", f->name);
		return 0;
	case F_ENUM:
		if (!s || !is_choice(f->choices, s)) {
			struct buf list = {0};
			for (const char *const *c = f->choices; *c; c++)
				buf_printf(&list, "%s%s", c == f->choices ? "" : ", ", *c);
			gx_fail(err, GX_EVALIDATION, f->name, "%s must be one of: %s", f->name,
			        buf_text(&list) ? buf_text(&list) : "");
			buf_free(&list);
			return GX_EVALIDATION;
		}
		return 0;
	case F_TAGS: return check_tags(f, v, err);
	case F_JSON:
		if (!json_is_array(v) && !json_is_object(v))
			return gx_fail(err, GX_EVALIDATION, f->name, "%s has the wrong shape",
			               f->name);
		return 0;
	}
	return 0;
}

/* Shape and types of a POST or PATCH body: every key a writable field of the right type. */
static int check_body(const struct record_kind *kind, const json_t *body, int is_create,
                      struct gx_error *err)
{
	if (!json_is_object(body))
		return gx_fail(err, GX_EBADREQUEST, NULL, "the body must be a JSON object");
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)body, key, v)
	{
		if (!is_create && strcmp(key, "version") == 0) {
			if (!json_is_integer(v))
				return gx_fail(err, GX_EVALIDATION, "version",
				               "version must be an integer");
			continue;
		}
		const struct field *f = find_field(kind, key);
		if (!f)
			return gx_fail(err, GX_EVALIDATION, key, "%s has no field \"%s\"",
			               kind->entity, key);
		if (f->flags & FIELD_READONLY)
			return gx_fail(err, GX_EVALIDATION, key, "%s is derived and cannot be set",
			               key);
		if (json_is_null(v)) {
			if (f->flags & FIELD_REQUIRED)
				return gx_fail(err, GX_EVALIDATION, key, "%s is required", key);
			continue;
		}
		int rc = check_value(f, v, err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int records_check_body(const struct record_kind *kind, const json_t *body, int is_create,
                       struct gx_error *err)
{
	return check_body(kind, body, is_create, err);
}

static int check_required(const struct record_kind *kind, const json_t *record,
                          struct gx_error *err)
{
	for (size_t i = 0; i < kind->nfields; i++) {
		const struct field *f = &kind->fields[i];
		json_t *v = json_object_get(record, f->name);
		if (!(f->flags & FIELD_REQUIRED))
			continue;
		const char *s = json_string_value(v);
		if (!v || json_is_null(v) || (s && strspn(s, " \t\r\n") == strlen(s)))
			return gx_fail(err, GX_EVALIDATION, f->name, "%s is required", f->name);
	}
	return 0;
}

static int check_user(struct crm_ctx *ctx, const struct field *f, int64_t id, struct gx_error *err)
{
	struct store_stmt *stmt =
	    store_prepare(ctx->store, "SELECT team FROM users WHERE id = ? AND active = 1", err);
	if (!stmt)
		return GX_EINTERNAL;
	store_bind_int(stmt, 1, id);
	int rc = store_step(stmt, err);
	int same_team = rc == STORE_ROW && ctx->actor.team[0] && store_col_text(stmt, 0) &&
	                strcmp(store_col_text(stmt, 0), ctx->actor.team) == 0;
	store_done(stmt);
	if (rc < 0)
		return rc;
	if (rc == STORE_DONE)
		return gx_fail(err, GX_EVALIDATION, f->name, "no active user with id %lld",
		               (long long)id);
	/* A sales user who hands a record outside the team would lose sight of it. */
	if (strcmp(f->name, "owner_id") == 0 && access_team_limited(&ctx->actor) &&
	    id != ctx->actor.user_id && !same_team)
		return gx_fail(err, GX_EVALIDATION, f->name,
		               "owner_id must be you or a member of your team");
	return 0;
}

/* References must point at records the actor may see, so nobody links to what they cannot
 * read (and nobody learns that an id exists by linking to it). */
static int check_refs(struct crm_ctx *ctx, const struct record_kind *kind, const json_t *record,
                      const json_t *old, struct gx_error *err)
{
	for (size_t i = 0; i < kind->nfields; i++) {
		const struct field *f = &kind->fields[i];
		json_t *v = json_object_get(record, f->name);
		/* A sales user who leaves a record without owner would lose sight of it. */
		if (strcmp(f->name, "owner_id") == 0 && !json_is_integer(v) &&
		    access_team_limited(&ctx->actor))
			return gx_fail(err, GX_EVALIDATION, f->name,
			               "owner_id must be you or a member of your team");
		if ((f->type != F_REF && f->type != F_USER) || !json_is_integer(v))
			continue;
		if (old && json_equal(v, json_object_get(old, f->name)))
			continue;
		int64_t id = json_integer_value(v);
		if (f->type == F_USER) {
			int rc = check_user(ctx, f, id, err);
			if (rc < 0)
				return rc;
			continue;
		}
		int visible = records_visible(ctx, f->ref, id, err);
		if (visible < 0)
			return visible;
		if (!visible)
			return gx_fail(err, GX_EVALIDATION, f->name, "no %s with id %lld",
			               f->ref->entity, (long long)id);
	}
	return 0;
}

/* ---- writing ------------------------------------------------------------------------- */

static void bind_value(struct store_stmt *stmt, int idx, const struct field *f, json_t *v)
{
	int64_t n = 0;
	if (!v || json_is_null(v)) {
		store_bind_null(stmt, idx);
		return;
	}
	switch (f->type) {
	case F_COUNT:
	case F_REF:
	case F_USER: store_bind_int(stmt, idx, json_integer_value(v)); return;
	case F_TIME:
		clock_parse(json_string_value(v), &n);
		store_bind_int(stmt, idx, n);
		return;
	case F_MONEY:
		money_parse(json_string_value(v), &n);
		store_bind_int(stmt, idx, n);
		return;
	case F_TAGS:
	case F_JSON: {
		char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		store_bind_text(stmt, idx, text);
		free(text);
		return;
	}
	default: store_bind_text(stmt, idx, json_string_value(v)); return;
	}
}

static int writable(const struct field *f)
{
	return !(f->flags & FIELD_READONLY);
}

static int insert_row(struct crm_ctx *ctx, const struct record_kind *kind, json_t *record,
                      int64_t *id, struct gx_error *err)
{
	struct buf sql = {0};
	buf_printf(&sql, "INSERT INTO %s (created_at, updated_at, version", kind->table);
	int n = 0;
	for (size_t i = 0; i < kind->nfields; i++)
		if (writable(&kind->fields[i]) && ++n)
			buf_printf(&sql, ", %s", column_of(&kind->fields[i]));
	buf_append(&sql, ") VALUES (?, ?, 1");
	for (int i = 0; i < n; i++)
		buf_append(&sql, ", ?");
	buf_append(&sql, ")");
	struct store_stmt *stmt = buf_text(&sql) ? store_prepare(ctx->store, sql.data, err) : NULL;
	buf_free(&sql);
	if (!stmt)
		return GX_EINTERNAL;
	int64_t now = clock_now();
	store_bind_int(stmt, 1, now);
	store_bind_int(stmt, 2, now);
	int idx = 3;
	for (size_t i = 0; i < kind->nfields; i++)
		if (writable(&kind->fields[i]))
			bind_value(stmt, idx++, &kind->fields[i],
			           json_object_get(record, kind->fields[i].name));
	int rc = store_exec(stmt, err);
	*id = store_last_insert_id(ctx->store);
	return rc;
}

static int update_row(struct crm_ctx *ctx, const struct record_kind *kind, int64_t id,
                      int64_t version, json_t *record, struct gx_error *err)
{
	struct buf sql = {0};
	buf_printf(&sql, "UPDATE %s SET updated_at = ?, version = version + 1", kind->table);
	for (size_t i = 0; i < kind->nfields; i++)
		if (writable(&kind->fields[i]))
			buf_printf(&sql, ", %s = ?", column_of(&kind->fields[i]));
	buf_append(&sql, " WHERE id = ? AND version = ?");
	struct store_stmt *stmt = buf_text(&sql) ? store_prepare(ctx->store, sql.data, err) : NULL;
	buf_free(&sql);
	if (!stmt)
		return GX_EINTERNAL;
	store_bind_int(stmt, 1, clock_now());
	int idx = 2;
	for (size_t i = 0; i < kind->nfields; i++)
		if (writable(&kind->fields[i]))
			bind_value(stmt, idx++, &kind->fields[i],
			           json_object_get(record, kind->fields[i].name));
	store_bind_int(stmt, idx++, id);
	store_bind_int(stmt, idx, version);
	int rc = store_exec(stmt, err);
	if (rc == 0 && store_changes(ctx->store) == 0)
		return gx_fail(err, GX_ECONFLICT, "version",
		               "someone else changed this %s; reload it and try again",
		               kind->entity);
	return rc;
}

/* {"field": {"old": .., "new": ..}} for the writable fields that differ. */
static json_t *diff(const struct record_kind *kind, const json_t *old, const json_t *record)
{
	json_t *changes = json_object();
	for (size_t i = 0; i < kind->nfields; i++) {
		const char *name = kind->fields[i].name;
		json_t *a = old ? json_object_get(old, name) : NULL;
		json_t *b = record ? json_object_get(record, name) : NULL;
		a = a ? a : json_null();
		b = b ? b : json_null();
		if (!json_equal(a, b))
			json_object_set_new(changes, name,
			                    json_pack("{s:O, s:O}", "old", a, "new", b));
	}
	return changes;
}

/* Lists are never null in storage: an absent or null tag list is empty. */
static int normalise(struct crm_ctx *ctx, const struct record_kind *kind, json_t *record,
                     const json_t *old, struct gx_error *err)
{
	for (size_t i = 0; i < kind->nfields; i++) {
		const struct field *f = &kind->fields[i];
		json_t *v = json_object_get(record, f->name);
		if (f->type == F_TAGS && (!v || json_is_null(v)))
			json_object_set_new(record, f->name, json_array());
		/* Times in the form they are shown (UTC, Z), so the diff and the audit compare
		 * instants, not spellings: "16:00:00+08:00" is no change from "08:00:00Z". */
		int64_t t;
		if (f->type == F_TIME && json_is_string(v) &&
		    clock_parse(json_string_value(v), &t) == 0)
			json_object_set_new(record, f->name, time_json(t));
	}
	return kind->normalise ? kind->normalise(ctx, record, old, err) : 0;
}

static int finish_tx(struct crm_ctx *ctx, int rc, struct gx_error *err)
{
	if (rc < 0) {
		store_rollback(ctx->store);
		return rc;
	}
	return store_commit(ctx->store, err);
}

static int check_can_write(struct crm_ctx *ctx, const struct record_kind *kind,
                           struct gx_error *err)
{
	if (access_can_write(&ctx->actor, kind->access))
		return 0;
	return gx_fail(err, GX_EFORBIDDEN, NULL, "the %s role may not change %ss",
	               access_role_name(ctx->actor.role), kind->entity);
}

static int create_in_tx(struct crm_ctx *ctx, const struct record_kind *kind, json_t *record,
                        int64_t *id, struct gx_error *err)
{
	if (find_field(kind, "owner_id") && !json_object_get(record, "owner_id") &&
	    ctx->actor.user_id > 0)
		json_object_set_new(record, "owner_id", json_integer(ctx->actor.user_id));
	int rc = normalise(ctx, kind, record, NULL, err);
	if (rc == 0)
		rc = check_required(kind, record, err);
	if (rc == 0)
		rc = check_refs(ctx, kind, record, NULL, err);
	if (rc == 0)
		rc = insert_row(ctx, kind, record, id, err);
	if (rc == 0 && kind->after_write)
		rc = kind->after_write(ctx, *id, record, NULL, err);
	if (rc == 0) {
		json_t *changes = diff(kind, NULL, record);
		rc = audit_record(ctx, kind->entity, *id, "create", changes, err);
		json_decref(changes);
	}
	return rc;
}

int records_create(struct crm_ctx *ctx, const struct record_kind *kind, const json_t *body,
                   json_t **out, struct gx_error *err)
{
	int rc = check_can_write(ctx, kind, err);
	if (rc == 0)
		rc = check_body(kind, body, 1, err);
	if (rc < 0)
		return rc;
	json_t *record = json_deep_copy(body);
	int64_t id = 0;
	rc = store_begin(ctx->store, err);
	if (rc == 0)
		rc = finish_tx(ctx, create_in_tx(ctx, kind, record, &id, err), err);
	json_decref(record);
	return rc < 0 ? rc : load(ctx, kind, id, out, err);
}

static int update_in_tx(struct crm_ctx *ctx, const struct record_kind *kind, int64_t id,
                        const json_t *body, struct gx_error *err)
{
	/* Visibility first, permission second: an invisible record reads as absent. */
	json_t *old = NULL;
	int rc = load(ctx, kind, id, &old, err);
	if (rc == 0 && (rc = check_can_write(ctx, kind, err)) < 0)
		json_decref(old);
	if (rc < 0)
		return rc;
	int64_t version = json_integer_value(json_object_get(old, "version"));
	json_t *want = json_object_get(body, "version");
	if (want && json_integer_value(want) != version) {
		json_decref(old);
		return gx_fail(err, GX_ECONFLICT, "version",
		               "someone else changed this %s (version %lld, yours %lld); reload it "
		               "and try again",
		               kind->entity, (long long)version,
		               (long long)json_integer_value(want));
	}
	json_t *record = json_deep_copy(old);
	json_object_update(record, (json_t *)body);
	json_object_del(record, "version");
	rc = normalise(ctx, kind, record, old, err);
	if (rc == 0)
		rc = check_required(kind, record, err);
	if (rc == 0)
		rc = check_refs(ctx, kind, record, old, err);
	json_t *changes = rc == 0 ? diff(kind, old, record) : NULL;
	if (changes && json_object_size(changes) > 0) {
		rc = update_row(ctx, kind, id, version, record, err);
		if (rc == 0 && kind->after_write)
			rc = kind->after_write(ctx, id, record, old, err);
		if (rc == 0)
			rc = audit_record(ctx, kind->entity, id, "update", changes, err);
	}
	json_decref(changes);
	json_decref(record);
	json_decref(old);
	return rc;
}

int records_update(struct crm_ctx *ctx, const struct record_kind *kind, int64_t id,
                   const json_t *body, json_t **out, struct gx_error *err)
{
	int rc = check_body(kind, body, 0, err);
	if (rc < 0)
		return rc;
	rc = store_begin(ctx->store, err);
	if (rc == 0)
		rc = finish_tx(ctx, update_in_tx(ctx, kind, id, body, err), err);
	return rc < 0 ? rc : load(ctx, kind, id, out, err);
}

static int delete_in_tx(struct crm_ctx *ctx, const struct record_kind *kind, int64_t id,
                        struct gx_error *err)
{
	json_t *old = NULL;
	int rc = load(ctx, kind, id, &old, err);
	if (rc == 0 && (rc = check_can_write(ctx, kind, err)) < 0)
		json_decref(old);
	if (rc < 0)
		return rc;
	struct buf sql = {0};
	buf_printf(&sql, "DELETE FROM %s WHERE id = ?", kind->table);
	struct store_stmt *stmt = buf_text(&sql) ? store_prepare(ctx->store, sql.data, err) : NULL;
	buf_free(&sql);
	rc = GX_EINTERNAL;
	if (stmt) {
		store_bind_int(stmt, 1, id);
		rc = store_exec(stmt, err);
	}
	if (rc == GX_EVALIDATION)
		rc = gx_fail(err, GX_ECONFLICT, NULL,
		             "this %s is still referred to by other records (interactions, orders, "
		             "contacts); move or delete those first",
		             kind->entity);
	if (rc == 0 && kind->after_write)
		rc = kind->after_write(ctx, id, NULL, old, err);
	if (rc == 0) {
		json_t *changes = diff(kind, old, NULL);
		rc = audit_record(ctx, kind->entity, id, "delete", changes, err);
		json_decref(changes);
	}
	json_decref(old);
	return rc;
}

int records_delete(struct crm_ctx *ctx, const struct record_kind *kind, int64_t id,
                   struct gx_error *err)
{
	int rc = store_begin(ctx->store, err);
	if (rc == 0)
		rc = finish_tx(ctx, delete_in_tx(ctx, kind, id, err), err);
	return rc;
}

/* ---- listing ------------------------------------------------------------------------- */

struct sort {
	const struct field *field; /* NULL: by id */
	int desc;
};

static int parse_sort(const struct record_kind *kind, const char *text, struct sort *sort,
                      struct gx_error *err)
{
	sort->desc = text[0] == '-';
	const char *name = text + sort->desc;
	sort->field = NULL;
	if (strcmp(name, "id") == 0)
		return 0;
	sort->field = find_field(kind, name);
	if (sort->field && (sort->field->flags & FIELD_SORTABLE))
		return 0;
	return gx_fail(err, GX_EBADREQUEST, "sort", "cannot sort %ss by \"%s\"", kind->entity,
	               name);
}

/* A cursor is base64url(JSON [sort value, id]) of the last row of the previous page. */
static char *encode_cursor(const struct sort *sort, const json_t *row)
{
	json_t *key = json_pack("[O, O]",
	                        sort->field ? json_object_get(row, sort->field->name)
	                                    : json_object_get(row, "id"),
	                        json_object_get(row, "id"));
	char *text = key ? json_dumps(key, JSON_COMPACT) : NULL;
	json_decref(key);
	if (!text)
		return NULL;
	size_t len = strlen(text);
	size_t cap = sodium_base64_encoded_len(len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	char *out = malloc(cap);
	if (out)
		sodium_bin2base64(out, cap, (const unsigned char *)text, len,
		                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	free(text);
	return out;
}

static json_t *decode_cursor(const char *cursor)
{
	size_t len = strlen(cursor);
	unsigned char *bin = malloc(len + 1);
	size_t n = 0;
	json_t *key = NULL;
	if (bin && sodium_base642bin(bin, len, cursor, len, NULL, &n, NULL,
	                             sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0)
		key = json_loadb((const char *)bin, n, 0, NULL);
	free(bin);
	if (key && (!json_is_array(key) || json_array_size(key) != 2 ||
	            !json_is_integer(json_array_get(key, 1)))) {
		json_decref(key);
		key = NULL;
	}
	return key;
}

/* Binds a sort value from a cursor in the column's stored form. */
static int bind_sort_value(struct sql *q, const struct field *f, json_t *v)
{
	int64_t n;
	const char *s = json_string_value(v);
	if (!f || f->type == F_COUNT || f->type == F_REF || f->type == F_USER) {
		if (!json_is_integer(v))
			return -1;
		sql_int(q, json_integer_value(v));
	} else if (f->type == F_TIME) {
		if (!s || clock_parse(s, &n) < 0)
			return -1;
		sql_int(q, n);
	} else if (f->type == F_MONEY) {
		if (!s || money_parse(s, &n) < 0)
			return -1;
		sql_int(q, n);
	} else {
		if (!s)
			return -1;
		sql_text(q, s);
	}
	return 0;
}

static int add_keyset(struct sql *q, const struct sort *sort, const char *cursor,
                      struct gx_error *err)
{
	json_t *key = decode_cursor(cursor);
	const char *col = sort->field ? column_of(sort->field) : "id";
	const char *cmp = sort->desc ? " < " : " > ";
	int rc = 0;
	if (!key)
		return gx_fail(err, GX_EBADREQUEST, "cursor",
		               "the cursor is not one this server gave");
	sql_add(q, " AND (r.");
	sql_add(q, col);
	sql_add(q, cmp);
	rc |= bind_sort_value(q, sort->field, json_array_get(key, 0));
	sql_add(q, " OR (r.");
	sql_add(q, col);
	sql_add(q, " = ");
	rc |= bind_sort_value(q, sort->field, json_array_get(key, 0));
	sql_add(q, " AND r.id");
	sql_add(q, cmp);
	sql_int(q, json_integer_value(json_array_get(key, 1)));
	sql_add(q, "))");
	json_decref(key);
	if (rc)
		return gx_fail(err, GX_EBADREQUEST, "cursor",
		               "the cursor does not belong to this sort order");
	return 0;
}

/* "Last contact older than": records without any interaction at or after `value` (a date,
 * meaning midnight UTC, or an RFC 3339 time); never-contacted records match too. The probe walks
 * the (contact_id, occurred_at) or (account_id, occurred_at) index of interactions. */
static int add_last_contact_before(struct sql *q, const struct record_kind *kind, const char *value,
                                   struct gx_error *err)
{
	int64_t t;
	char text[32];
	if (clock_check_date(value) == 0) {
		snprintf(text, sizeof text, "%.10sT00:00:00Z", value);
		value = text;
	}
	if (clock_parse(value, &t) < 0)
		return gx_fail(err, GX_EBADREQUEST, "last_contact_before",
		               "last_contact_before must be a date YYYY-MM-DD or an RFC 3339 time");
	sql_add(q, " AND NOT EXISTS (SELECT 1 FROM interactions i WHERE i.");
	sql_add(q, kind->interaction_key);
	sql_add(q, " = r.id AND i.occurred_at >= ");
	sql_int(q, t);
	sql_add(q, ")");
	return 0;
}

static int add_filter(struct sql *q, const struct record_kind *kind, const char *name,
                      const char *value, struct gx_error *err)
{
	if (strcmp(name, "last_contact_before") == 0 && kind->interaction_key)
		return add_last_contact_before(q, kind, value, err);
	if (strcmp(name, "tag") == 0 && find_field(kind, "tags")) {
		sql_add(q, " AND EXISTS (SELECT 1 FROM json_each(r.tags) WHERE json_each.value = ");
		sql_text(q, value);
		sql_add(q, ")");
		return 0;
	}
	const struct field *f = find_field(kind, name);
	if (!f || !(f->flags & FIELD_FILTER))
		return gx_fail(err, GX_EBADREQUEST, name, "cannot filter %ss by \"%s\"",
		               kind->entity, name);
	sql_add(q, " AND r.");
	sql_add(q, column_of(f));
	if (strcmp(value, "null") == 0) {
		sql_add(q, " IS NULL");
		return 0;
	}
	sql_add(q, " = ");
	if (f->type == F_REF || f->type == F_USER || f->type == F_COUNT) {
		char *end;
		long long n = strtoll(value, &end, 10);
		if (!*value || *end || n <= 0)
			return gx_fail(err, GX_EBADREQUEST, name, "%s must be an id or null", name);
		sql_int(q, n);
		return 0;
	}
	if (f->type == F_ENUM && !is_choice(f->choices, value))
		return gx_fail(err, GX_EBADREQUEST, name, "%s=\"%s\" is not one of its values",
		               name, value);
	sql_text(q, value);
	return 0;
}

static int add_search(struct crm_ctx *ctx, struct sql *q, const struct record_kind *kind,
                      const char *text, struct gx_error *err)
{
	if (!kind->has_search)
		return gx_fail(err, GX_EBADREQUEST, "q", "%ss cannot be searched", kind->entity);
	char *needles[2];
	int n = search_needles(text, ctx->config->region, needles);
	if (n == 0) {
		sql_add(q, " AND 0 = 1"); /* nothing searchable: nothing matches */
		return 0;
	}
	sql_add(q, " AND (");
	for (int i = 0; i < n; i++) {
		sql_add(q, i ? " OR " : "");
		sql_search(q, "r.id", kind->search_index, needles[i]);
	}
	sql_add(q, ")");
	search_needles_free(needles);
	return 0;
}

static int build_list(struct crm_ctx *ctx, const struct record_kind *kind,
                      const struct list_query *lq, const struct sort *sort, struct sql *q,
                      struct gx_error *err)
{
	sql_add(q, "SELECT ");
	sql_add(q, records_columns(kind));
	sql_add(q, " FROM ");
	sql_add(q, kind->table);
	sql_add(q, " r WHERE ");
	sql_visible(q, &ctx->actor, kind->access);
	int rc = 0;
	const char *name;
	json_t *value;
	json_object_foreach(lq->filters, name, value)
	{
		if ((rc = add_filter(q, kind, name, json_string_value(value), err)) < 0)
			return rc;
	}
	if (lq->q && (rc = add_search(ctx, q, kind, lq->q, err)) < 0)
		return rc;
	if (lq->cursor && (rc = add_keyset(q, sort, lq->cursor, err)) < 0)
		return rc;
	const char *dir = sort->desc ? " DESC" : "";
	sql_add(q, " ORDER BY r.");
	sql_add(q, sort->field ? column_of(sort->field) : "id");
	sql_add(q, dir);
	if (sort->field) {
		sql_add(q, ", r.id");
		sql_add(q, dir);
	}
	sql_add(q, " LIMIT ");
	sql_int(q, lq->limit + 1); /* one more tells whether a next page exists */
	return 0;
}

int records_list(struct crm_ctx *ctx, const struct record_kind *kind, const struct list_query *lq,
                 json_t **out, struct gx_error *err)
{
	struct sort sort;
	int rc = parse_sort(kind, lq->sort ? lq->sort : kind->default_sort, &sort, err);
	if (rc < 0)
		return rc;
	struct sql q = {0};
	rc = build_list(ctx, kind, lq, &sort, &q, err);
	struct store_stmt *stmt = rc == 0 ? sql_prepare(&q, ctx->store, err) : NULL;
	sql_free(&q);
	if (!stmt)
		return rc < 0 ? rc : GX_EINTERNAL;
	json_t *data = json_array();
	while ((rc = store_step(stmt, err)) == STORE_ROW && (int)json_array_size(data) < lq->limit)
		json_array_append_new(data, records_row(kind, stmt));
	int more = rc == STORE_ROW;
	store_done(stmt);
	if (rc < 0) {
		json_decref(data);
		return rc;
	}
	char *next =
	    more ? encode_cursor(&sort, json_array_get(data, json_array_size(data) - 1)) : NULL;
	*out = json_pack("{s:o, s:s?}", "data", data, "next_cursor", next);
	free(next);
	return 0;
}
