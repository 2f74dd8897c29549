/* audit.c — the audit trail. */
#include "crm/audit.h"

#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "crm/records.h"

int audit_record(struct crm_ctx *ctx, const char *entity, int64_t id, const char *action,
                 const json_t *changes, struct gx_error *err)
{
	char *text = json_dumps(changes, JSON_COMPACT | JSON_SORT_KEYS);
	if (!text)
		return gx_fail(err, GX_EINTERNAL, NULL, "out of memory");
	struct store_stmt *stmt =
	    store_prepare(ctx->store,
	                  "INSERT INTO audit(at, user_id, entity, entity_id, action, changes) "
	                  "VALUES (?, ?, ?, ?, ?, ?)",
	                  err);
	int rc = GX_EINTERNAL;
	if (stmt) {
		store_bind_int(stmt, 1, clock_now());
		if (ctx->actor.user_id > 0)
			store_bind_int(stmt, 2, ctx->actor.user_id);
		else
			store_bind_null(stmt, 2);
		store_bind_text(stmt, 3, entity);
		store_bind_int(stmt, 4, id);
		store_bind_text(stmt, 5, action);
		store_bind_text(stmt, 6, text);
		rc = store_exec(stmt, err);
	}
	free(text);
	return rc;
}

static const struct record_kind *kind_of(const char *entity)
{
	static const struct record_kind *const kinds[] = {
	    &account_kind, &contact_kind, &interaction_kind, &order_kind, &relationship_kind};
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (strcmp(kinds[i]->entity, entity) == 0)
			return kinds[i];
	return NULL;
}

/* A live record must be visible; a deleted one has no owner left to check, so only roles that
 * see everything may read what it was. */
static int check_access(struct crm_ctx *ctx, const struct record_kind *kind, int64_t id,
                        struct gx_error *err)
{
	int visible = records_visible(ctx, kind, id, err);
	if (visible < 0)
		return visible;
	if (visible || !access_team_limited(&ctx->actor))
		return 0;
	return gx_fail(err, GX_ENOTFOUND, NULL, "no %s with id %lld", kind->entity, (long long)id);
}

static json_t *audit_row(struct store_stmt *stmt)
{
	char at[32];
	clock_format(store_col_int(stmt, 1), at, sizeof at);
	json_t *user = json_null();
	if (!store_col_is_null(stmt, 2))
		user = json_pack("{s:I, s:s?}", "id", (json_int_t)store_col_int(stmt, 2),
		                 "username", store_col_text(stmt, 5));
	json_t *changes = json_loads(store_col_text(stmt, 4), 0, NULL);
	return json_pack("{s:I, s:s, s:o, s:s, s:o}", "id", (json_int_t)store_col_int(stmt, 0),
	                 "at", at, "user", user, "action", store_col_text(stmt, 3), "changes",
	                 changes ? changes : json_object());
}

int audit_list(struct crm_ctx *ctx, const char *entity, int64_t id, json_t **out,
               struct gx_error *err)
{
	const struct record_kind *kind = kind_of(entity);
	if (!kind)
		return gx_fail(
		    err, GX_EBADREQUEST, "entity",
		    "entity must be account, contact, interaction, order or relationship");
	int rc = check_access(ctx, kind, id, err);
	if (rc < 0)
		return rc;
	struct store_stmt *stmt = store_prepare(
	    ctx->store,
	    "SELECT a.id, a.at, a.user_id, a.action, a.changes, u.username FROM audit a "
	    "LEFT JOIN users u ON u.id = a.user_id WHERE a.entity = ? AND a.entity_id = ? "
	    "ORDER BY a.id",
	    err);
	if (!stmt)
		return GX_EINTERNAL;
	store_bind_text(stmt, 1, entity);
	store_bind_int(stmt, 2, id);
	json_t *data = json_array();
	while ((rc = store_step(stmt, err)) == STORE_ROW)
		json_array_append_new(data, audit_row(stmt));
	store_done(stmt);
	if (rc < 0) {
		json_decref(data);
		return rc;
	}
	*out = json_pack("{s:o}", "data", data);
	return 0;
}
