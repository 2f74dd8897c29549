/* positions.c — the org chart fields of a contact and the history of its positions. */
#include "crm/positions.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "crm/records.h"
#include "crm/sql.h"

const char *const positions_buying_roles[] = {"decision_maker", "influencer", "buyer",   "user",
                                              "gatekeeper",     "champion",   "blocker", NULL};

static const char *const tracked[] = {"account_id", "title", "department", "buying_role"};
#define NTRACKED (sizeof tracked / sizeof tracked[0])

static int64_t id_of(const json_t *record, const char *key)
{
	return json_integer_value(json_object_get(record, key));
}

/* The account of contact id (0 for none), or a negative code. */
static int64_t account_of(struct crm_ctx *ctx, int64_t id, struct gx_error *err)
{
	struct store_stmt *stmt =
	    store_prepare(ctx->store, "SELECT account_id FROM contacts WHERE id = ?", err);
	if (!stmt)
		return GX_EINTERNAL;
	store_bind_int(stmt, 1, id);
	int rc = store_step(stmt, err);
	int64_t account =
	    rc == STORE_ROW && !store_col_is_null(stmt, 0) ? store_col_int(stmt, 0) : 0;
	store_done(stmt);
	return rc < 0 ? rc : account;
}

static int64_t manager_of(struct crm_ctx *ctx, int64_t id, struct gx_error *err)
{
	struct store_stmt *stmt =
	    store_prepare(ctx->store, "SELECT reports_to_id FROM contacts WHERE id = ?", err);
	if (!stmt)
		return GX_EINTERNAL;
	store_bind_int(stmt, 1, id);
	int rc = store_step(stmt, err);
	int64_t manager =
	    rc == STORE_ROW && !store_col_is_null(stmt, 0) ? store_col_int(stmt, 0) : 0;
	store_done(stmt);
	return rc < 0 ? rc : manager;
}

int positions_normalise(struct crm_ctx *ctx, json_t *record, const json_t *old,
                        struct gx_error *err)
{
	json_t *manager = json_object_get(record, "reports_to_id");
	if (!json_is_integer(manager))
		return 0;
	int64_t self = old ? id_of(old, "id") : 0, boss = json_integer_value(manager);
	json_t *account = json_object_get(record, "account_id");
	/* Moving to another company leaves the old manager behind. */
	if (old && !json_equal(account, json_object_get(old, "account_id")) &&
	    json_equal(manager, json_object_get(old, "reports_to_id"))) {
		json_object_set_new(record, "reports_to_id", json_null());
		return 0;
	}
	if (boss == self)
		return gx_fail(err, GX_EVALIDATION, "reports_to_id",
		               "a contact cannot report to itself");
	int visible = records_visible(ctx, &contact_kind, boss, err);
	if (visible <= 0)
		return visible < 0 ? visible
		                   : gx_fail(err, GX_EVALIDATION, "reports_to_id",
		                             "no contact with id %lld", (long long)boss);
	int64_t boss_account = account_of(ctx, boss, err);
	if (boss_account < 0)
		return (int)boss_account;
	if (!json_is_integer(account) || boss_account != json_integer_value(account))
		return gx_fail(err, GX_EVALIDATION, "reports_to_id",
		               "reports_to_id must be a contact of the same account");
	/* Walking up from the new manager may not come back to the contact. */
	for (int depth = 0; self && boss > 0 && depth < 1000; depth++) {
		if (boss == self)
			return gx_fail(err, GX_EVALIDATION, "reports_to_id",
			               "a contact cannot report to itself through others");
		boss = manager_of(ctx, boss, err);
	}
	return boss < 0 ? (int)boss : 0;
}

static void bind_text_or_null(struct store_stmt *stmt, int idx, const json_t *v)
{
	if (json_is_string(v))
		store_bind_text(stmt, idx, json_string_value(v));
	else
		store_bind_null(stmt, idx);
}

int positions_track(struct crm_ctx *ctx, int64_t contact_id, const json_t *record,
                    const json_t *old, struct gx_error *err)
{
	int changed = 0, present = 0;
	for (size_t i = 0; i < NTRACKED; i++) {
		json_t *now = json_object_get(record, tracked[i]);
		json_t *before = old ? json_object_get(old, tracked[i]) : NULL;
		present |= now && !json_is_null(now);
		changed |= !json_equal(now ? now : json_null(), before ? before : json_null());
	}
	if (!changed)
		return 0;
	int64_t at = clock_now();
	int rc = 0;
	struct store_stmt *stmt;
	if (old) {
		stmt =
		    store_prepare(ctx->store,
		                  "UPDATE contact_positions SET valid_to = ? WHERE contact_id = ? "
		                  "AND valid_to IS NULL",
		                  err);
		if (!stmt)
			return GX_EINTERNAL;
		store_bind_int(stmt, 1, at);
		store_bind_int(stmt, 2, contact_id);
		rc = store_exec(stmt, err);
	}
	if (rc < 0 || !present) /* a person who left and holds no title: no open row */
		return rc;
	stmt = store_prepare(
	    ctx->store,
	    "INSERT INTO contact_positions(contact_id, account_id, title, department, "
	    "buying_role, valid_from, user_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
	    err);
	if (!stmt)
		return GX_EINTERNAL;
	store_bind_int(stmt, 1, contact_id);
	json_t *account = json_object_get(record, "account_id");
	if (json_is_integer(account))
		store_bind_int(stmt, 2, json_integer_value(account));
	else
		store_bind_null(stmt, 2);
	bind_text_or_null(stmt, 3, json_object_get(record, "title"));
	bind_text_or_null(stmt, 4, json_object_get(record, "department"));
	bind_text_or_null(stmt, 5, json_object_get(record, "buying_role"));
	store_bind_int(stmt, 6, at);
	if (ctx->actor.user_id > 0)
		store_bind_int(stmt, 7, ctx->actor.user_id);
	else
		store_bind_null(stmt, 7);
	return store_exec(stmt, err);
}

static json_t *time_or_null(struct store_stmt *stmt, int col)
{
	if (store_col_is_null(stmt, col))
		return json_null();
	char text[32];
	clock_format(store_col_int(stmt, col), text, sizeof text);
	return json_string(text);
}

/* Columns 0..6: id, title, department, buying_role, valid_from, valid_to, then the other
 * party's id and name in 6 and 7. */
static json_t *position_row(struct store_stmt *stmt, const char *party)
{
	json_t *who = store_col_is_null(stmt, 6)
	                  ? json_null()
	                  : json_pack("{s:I, s:s?}", "id", (json_int_t)store_col_int(stmt, 6),
	                              "name", store_col_text(stmt, 7));
	return json_pack("{s:I, s:o, s:s?, s:s?, s:s?, s:o, s:o}", "id",
	                 (json_int_t)store_col_int(stmt, 0), party, who ? who : json_null(),
	                 "title", store_col_text(stmt, 1), "department", store_col_text(stmt, 2),
	                 "buying_role", store_col_text(stmt, 3), "valid_from",
	                 time_or_null(stmt, 4), "valid_to", time_or_null(stmt, 5));
}

int positions_of_contact(struct crm_ctx *ctx, int64_t contact_id, json_t **out,
                         struct gx_error *err)
{
	int visible = records_visible(ctx, &contact_kind, contact_id, err);
	if (visible <= 0)
		return visible < 0 ? visible
		                   : gx_fail(err, GX_ENOTFOUND, NULL, "no contact with id %lld",
		                             (long long)contact_id);
	/* An account the actor may not see shows as its id without a name, like a contact's own
	 * account_id does. */
	struct sql q = {0};
	sql_add(&q, "SELECT p.id, p.title, p.department, p.buying_role, p.valid_from, p.valid_to, "
	            "p.account_id, (SELECT r.name FROM accounts r WHERE r.id = p.account_id AND ");
	sql_visible(&q, &ctx->actor, ACCESS_ACCOUNT);
	sql_add(&q, ") FROM contact_positions p WHERE p.contact_id = ");
	sql_int(&q, contact_id);
	sql_add(&q, " ORDER BY p.id DESC LIMIT 1000");
	struct store_stmt *stmt = sql_prepare(&q, ctx->store, err);
	sql_free(&q);
	if (!stmt)
		return GX_EINTERNAL;
	json_t *data = json_array();
	int rc;
	while ((rc = store_step(stmt, err)) == STORE_ROW)
		json_array_append_new(data, position_row(stmt, "account"));
	store_done(stmt);
	if (rc < 0) {
		json_decref(data);
		return rc;
	}
	*out = json_pack("{s:o}", "data", data);
	return 0;
}

int positions_of_account(struct crm_ctx *ctx, int64_t account_id, int limit, const char *cursor,
                         json_t **out, struct gx_error *err)
{
	int visible = records_visible(ctx, &account_kind, account_id, err);
	if (visible <= 0)
		return visible < 0 ? visible
		                   : gx_fail(err, GX_ENOTFOUND, NULL, "no account with id %lld",
		                             (long long)account_id);
	long long after = 0;
	if (cursor) {
		char *end;
		after = strtoll(cursor, &end, 10);
		if (!*cursor || *end || after <= 0)
			return gx_fail(err, GX_EBADREQUEST, "cursor",
			               "the cursor is not one this server gave");
	}
	struct sql q = {0};
	sql_add(&q, "SELECT p.id, p.title, p.department, p.buying_role, p.valid_from, p.valid_to, "
	            "r.id, r.name FROM contact_positions p JOIN contacts r ON r.id = p.contact_id "
	            "WHERE p.account_id = ");
	sql_int(&q, account_id);
	if (after) {
		sql_add(&q, " AND p.id < ");
		sql_int(&q, after);
	}
	sql_add(&q, " AND ");
	sql_visible(&q, &ctx->actor, ACCESS_CONTACT);
	sql_add(&q, " ORDER BY p.id DESC LIMIT ");
	sql_int(&q, limit + 1);
	struct store_stmt *stmt = sql_prepare(&q, ctx->store, err);
	sql_free(&q);
	if (!stmt)
		return GX_EINTERNAL;
	json_t *data = json_array();
	int rc;
	while ((rc = store_step(stmt, err)) == STORE_ROW && (int)json_array_size(data) < limit)
		json_array_append_new(data, position_row(stmt, "contact"));
	int more = rc == STORE_ROW;
	store_done(stmt);
	if (rc < 0) {
		json_decref(data);
		return rc;
	}
	char next[32];
	snprintf(next, sizeof next, "%lld",
	         (long long)json_integer_value(
	             json_object_get(json_array_get(data, json_array_size(data) - 1), "id")));
	*out = json_pack("{s:o, s:s?}", "data", data, "next_cursor", more ? next : NULL);
	return 0;
}
