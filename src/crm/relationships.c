/* relationships.c — the relationship kind: its fields, the rules the record layer cannot know
 * (ends of one kind, types per kind, strength 1..5, dates in order, ends that do not change) and
 * the lists a customer's page shows. The graph questions over relationships live in network.c. */
#include "crm/relationships.h"

#include <stdlib.h>
#include <string.h>

#include "crm/audit.h"
#include "crm/records.h"
#include "crm/sql.h"

static const char *const end_kinds[] = {"account", "contact", NULL};
static const char *const account_types[] = {"parent",   "subsidiary",  "partner",     "competitor",
                                            "supplier", "customer_of", "referred_by", NULL};
static const char *const contact_types[] = {"reports_to",  "colleague",        "family", "friend",
                                            "referred_by", "former_colleague", NULL};
/* Every type of either kind, for the field table; normalise checks the kind's own list. */
static const char *const all_types[] = {
    "parent",           "subsidiary",  "partner",    "competitor", "supplier",
    "customer_of",      "referred_by", "reports_to", "colleague",  "family",
    "former_colleague", "friend",      NULL};
/* Types that read the same both ways: A-B and B-A are one relationship. */
static const char *const symmetric_types[] = {"partner", "competitor",       "colleague", "family",
                                              "friend",  "former_colleague", NULL};

static const struct field relationship_fields[] = {
    {"from_kind", NULL, F_ENUM, FIELD_REQUIRED | FIELD_FILTER, 0, end_kinds, NULL},
    {"from_id", NULL, F_COUNT, FIELD_REQUIRED | FIELD_FILTER, 0, NULL, NULL},
    {"to_kind", NULL, F_ENUM, FIELD_FILTER, 0, end_kinds, NULL},
    {"to_id", NULL, F_COUNT, FIELD_REQUIRED | FIELD_FILTER, 0, NULL, NULL},
    {"type", NULL, F_ENUM, FIELD_REQUIRED | FIELD_FILTER | FIELD_SORTABLE, 0, all_types, NULL},
    {"strength", NULL, F_COUNT, FIELD_FILTER | FIELD_SORTABLE, 0, NULL, NULL},
    {"note", NULL, F_TEXT, 0, 2000, NULL, NULL},
    {"valid_from", NULL, F_DATE, 0, 0, NULL, NULL},
    {"valid_to", NULL, F_DATE, 0, 0, NULL, NULL},
};

static int in_list(const char *const *list, const char *value)
{
	for (; value && *list; list++)
		if (strcmp(*list, value) == 0)
			return 1;
	return 0;
}

int relationships_kind_valid(const char *kind)
{
	return in_list(end_kinds, kind);
}

static const struct record_kind *end_kind(const char *kind)
{
	return strcmp(kind, "contact") == 0 ? &contact_kind : &account_kind;
}

static const char *text(const json_t *record, const char *key)
{
	const char *s = json_string_value(json_object_get(record, key));
	return s ? s : "";
}

static int64_t id_of(const json_t *record, const char *key)
{
	return json_integer_value(json_object_get(record, key));
}

/* An end the actor may see: a link to an invisible customer reads as a link to none. */
static int check_end(struct crm_ctx *ctx, const char *kind, int64_t id, const char *field,
                     struct gx_error *err)
{
	if (id <= 0)
		return gx_fail(err, GX_EVALIDATION, field, "%s must be a positive id", field);
	int visible = records_visible(ctx, end_kind(kind), id, err);
	if (visible < 0)
		return visible;
	return visible
	           ? 0
	           : gx_fail(err, GX_EVALIDATION, field, "no %s with id %lld", kind, (long long)id);
}

/* A symmetric relationship already recorded the other way round is the same relationship. */
static int check_reverse(struct crm_ctx *ctx, const json_t *record, struct gx_error *err)
{
	if (!in_list(symmetric_types, text(record, "type")))
		return 0;
	struct store_stmt *stmt = store_prepare(
	    ctx->store,
	    "SELECT 1 FROM relationships WHERE from_kind = ? AND from_id = ? AND to_id = ? AND "
	    "type = ?",
	    err);
	if (!stmt)
		return GX_EINTERNAL;
	store_bind_text(stmt, 1, text(record, "from_kind"));
	store_bind_int(stmt, 2, id_of(record, "to_id"));
	store_bind_int(stmt, 3, id_of(record, "from_id"));
	store_bind_text(stmt, 4, text(record, "type"));
	int rc = store_step(stmt, err);
	store_done(stmt);
	if (rc < 0)
		return rc;
	return rc == STORE_ROW
	           ? gx_fail(err, GX_ECONFLICT, "type",
	                     "this %s relationship is already recorded the other way round",
	                     text(record, "type"))
	           : 0;
}

static int normalise_ends(struct crm_ctx *ctx, json_t *record, struct gx_error *err)
{
	const char *from_kind = text(record, "from_kind");
	json_t *to_kind = json_object_get(record, "to_kind");
	if (!json_is_string(to_kind))
		json_object_set_new(record, "to_kind", json_string(from_kind));
	else if (strcmp(json_string_value(to_kind), from_kind) != 0)
		return gx_fail(
		    err, GX_EVALIDATION, "to_kind",
		    "a relationship joins two accounts or two contacts, not one of each");
	if (!*from_kind) /* check_required names the field */
		return 0;
	int64_t from = id_of(record, "from_id"), to = id_of(record, "to_id");
	if (from == to && from > 0)
		return gx_fail(err, GX_EVALIDATION, "to_id",
		               "a relationship joins two different customers");
	int rc = check_end(ctx, from_kind, from, "from_id", err);
	if (rc == 0 && json_is_integer(json_object_get(record, "to_id")))
		rc = check_end(ctx, from_kind, to, "to_id", err);
	return rc;
}

static int normalise_relationship(struct crm_ctx *ctx, json_t *record, const json_t *old,
                                  struct gx_error *err)
{
	static const char *const ends[] = {"from_kind", "from_id", "to_kind", "to_id"};
	int rc = 0;
	if (old) {
		for (size_t i = 0; i < sizeof ends / sizeof ends[0]; i++)
			if (!json_equal(json_object_get(old, ends[i]),
			                json_object_get(record, ends[i])))
				return gx_fail(
				    err, GX_EVALIDATION, ends[i],
				    "the ends of a relationship cannot change; delete it "
				    "and record a new one");
	} else if ((rc = normalise_ends(ctx, record, err)) < 0) {
		return rc;
	}
	const char *kind = text(record, "from_kind"), *type = text(record, "type");
	const char *const *types = strcmp(kind, "contact") == 0 ? contact_types : account_types;
	if (*kind && *type && !in_list(types, type)) {
		struct buf list = {0};
		for (const char *const *t = types; *t; t++)
			buf_printf(&list, "%s%s", t == types ? "" : ", ", *t);
		gx_fail(err, GX_EVALIDATION, "type", "between %ss, type must be one of: %s", kind,
		        buf_text(&list) ? buf_text(&list) : "");
		buf_free(&list);
		return GX_EVALIDATION;
	}
	json_t *strength = json_object_get(record, "strength");
	if (!strength || json_is_null(strength))
		json_object_set_new(record, "strength", json_integer(3));
	else if (json_integer_value(strength) < 1 || json_integer_value(strength) > 5)
		return gx_fail(err, GX_EVALIDATION, "strength",
		               "strength must be a whole number from 1 (weak) to 5 (strong)");
	const char *from = json_string_value(json_object_get(record, "valid_from"));
	const char *to = json_string_value(json_object_get(record, "valid_to"));
	if (from && to && strcmp(from, to) > 0) /* YYYY-MM-DD compares as text */
		return gx_fail(err, GX_EVALIDATION, "valid_to", "valid_to is before valid_from");
	if (!old && *type)
		rc = check_reverse(ctx, record, err);
	return rc;
}

const struct record_kind relationship_kind = {
    .entity = "relationship",
    .table = "relationships",
    .access = ACCESS_RELATIONSHIP,
    .fields = relationship_fields,
    .nfields = sizeof relationship_fields / sizeof relationship_fields[0],
    .default_sort = "id",
    .normalise = normalise_relationship,
};

/* Either end is (kind, id); written so that each side probes its own index. */
static void sql_ends(struct sql *q, const char *kind, int64_t id)
{
	sql_add(q, "((r.from_kind = ");
	sql_text(q, kind);
	sql_add(q, " AND r.from_id = ");
	sql_int(q, id);
	sql_add(q, ") OR (r.to_kind = ");
	sql_text(q, kind);
	sql_add(q, " AND r.to_id = ");
	sql_int(q, id);
	sql_add(q, "))");
}

int relationships_of(struct crm_ctx *ctx, const char *kind, int64_t id, int limit, json_t **out,
                     struct gx_error *err)
{
	/* The other end's name comes with the row; both ends are visible (sql_visible). */
	struct sql q = {0};
	sql_add(&q, "SELECT ");
	sql_add(&q, records_columns(&relationship_kind));
	sql_add(&q, ", CASE WHEN r.from_id = ");
	sql_int(&q, id);
	sql_add(&q, " THEN 'out' ELSE 'in' END, (SELECT name FROM ");
	sql_add(&q, end_kind(kind)->table);
	sql_add(&q, " o WHERE o.id = CASE WHEN r.from_id = ");
	sql_int(&q, id);
	sql_add(&q, " THEN r.to_id ELSE r.from_id END) FROM relationships r WHERE ");
	sql_ends(&q, kind, id);
	sql_add(&q, " AND ");
	sql_visible(&q, &ctx->actor, ACCESS_RELATIONSHIP);
	sql_add(&q, " ORDER BY r.id DESC LIMIT ");
	sql_int(&q, limit);
	struct store_stmt *stmt = sql_prepare(&q, ctx->store, err);
	sql_free(&q);
	if (!stmt)
		return GX_EINTERNAL;
	json_t *rows = json_array();
	int rc, col = (int)relationship_kind.nfields + 4;
	while ((rc = store_step(stmt, err)) == STORE_ROW) {
		json_t *row = records_row(&relationship_kind, stmt);
		int outward = strcmp(store_col_text(stmt, col), "out") == 0;
		json_object_set_new(row, "direction", json_string(outward ? "out" : "in"));
		json_object_set_new(row, "other",
		                    json_pack("{s:s, s:I, s:s?}", "kind", kind, "id",
		                              (json_int_t)id_of(row, outward ? "to_id" : "from_id"),
		                              "name", store_col_text(stmt, col + 1)));
		json_array_append_new(rows, row);
	}
	store_done(stmt);
	if (rc < 0) {
		json_decref(rows);
		return rc;
	}
	*out = rows;
	return 0;
}

int relationships_list_of(struct crm_ctx *ctx, const char *kind, int64_t id, int limit,
                          json_t **out, struct gx_error *err)
{
	int visible = records_visible(ctx, end_kind(kind), id, err);
	if (visible <= 0)
		return visible < 0 ? visible
		                   : gx_fail(err, GX_ENOTFOUND, NULL, "no %s with id %lld", kind,
		                             (long long)id);
	json_t *data = NULL;
	int rc = relationships_of(ctx, kind, id, limit, &data, err);
	if (rc == 0)
		*out = json_pack("{s:o}", "data", data);
	return rc;
}

int relationships_forget(struct crm_ctx *ctx, const char *kind, int64_t id, struct gx_error *err)
{
	/* Rows first, then deletes: the select's statement is not reused while deleting. */
	struct sql q = {0};
	sql_add(&q, "SELECT ");
	sql_add(&q, records_columns(&relationship_kind));
	sql_add(&q, " FROM relationships r WHERE ");
	sql_ends(&q, kind, id);
	struct store_stmt *stmt = sql_prepare(&q, ctx->store, err);
	sql_free(&q);
	if (!stmt)
		return GX_EINTERNAL;
	json_t *rows = json_array();
	int rc;
	while ((rc = store_step(stmt, err)) == STORE_ROW)
		json_array_append_new(rows, records_row(&relationship_kind, stmt));
	store_done(stmt);
	size_t i;
	json_t *row;
	json_array_foreach(rows, i, row)
	{
		if (rc < 0)
			break;
		stmt = store_prepare(ctx->store, "DELETE FROM relationships WHERE id = ?", err);
		if (!stmt) {
			rc = GX_EINTERNAL;
			break;
		}
		store_bind_int(stmt, 1, id_of(row, "id"));
		rc = store_exec(stmt, err);
		json_t *changes = json_object();
		const char *key;
		json_t *v;
		json_object_foreach(row, key, v)
		{
			if (strcmp(key, "id") && strcmp(key, "created_at") &&
			    strcmp(key, "updated_at") && strcmp(key, "version") && !json_is_null(v))
				json_object_set_new(changes, key,
				                    json_pack("{s:O, s:n}", "old", v, "new"));
		}
		if (rc == 0)
			rc = audit_record(ctx, "relationship", id_of(row, "id"), "delete", changes,
			                  err);
		json_decref(changes);
	}
	json_decref(rows);
	return rc < 0 ? rc : 0;
}
