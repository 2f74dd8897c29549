/* customer360.c — the 360-degree view of a contact or an account. */
#include "crm/customer360.h"

#include <string.h>

#include "base/clock.h"
#include "base/money.h"
#include "crm/records.h"
#include "crm/relationships.h"
#include "crm/sql.h"

static json_t *time_or_null(struct store_stmt *stmt, int col)
{
	if (store_col_is_null(stmt, col))
		return json_null();
	char text[32];
	clock_format(store_col_int(stmt, col), text, sizeof text);
	return json_string(text);
}

static json_t *money_json(int64_t minor)
{
	char text[32];
	money_format(minor, text, sizeof text);
	return json_string(text);
}

static int interaction_figures(struct crm_ctx *ctx, int contact, int64_t id, json_t *figures,
                               struct gx_error *err)
{
	struct store_stmt *stmt = store_prepare(
	    ctx->store,
	    contact ? "SELECT COUNT(*), MIN(occurred_at), MAX(occurred_at) FROM interactions "
	              "WHERE contact_id = ?"
	            : "SELECT COUNT(*), MIN(occurred_at), MAX(occurred_at) FROM interactions "
	              "WHERE account_id = ?",
	    err);
	if (!stmt)
		return GX_EINTERNAL;
	store_bind_int(stmt, 1, id);
	int rc = store_step(stmt, err);
	if (rc == STORE_ROW) {
		json_object_set_new(figures, "interaction_count",
		                    json_integer(store_col_int(stmt, 0)));
		json_object_set_new(figures, "first_contact_at", time_or_null(stmt, 1));
		json_object_set_new(figures, "last_contact_at", time_or_null(stmt, 2));
	}
	store_done(stmt);
	return rc < 0 ? rc : 0;
}

/* Revenue counts completed orders in the default currency; margin only those with a cost.
 * TOTAL, not SUM: SUM fails on 64-bit overflow, TOTAL sums in floating point (exact to 2^53
 * minor units, 90 trillion in major units) and the column read clamps. */
static int order_figures(struct crm_ctx *ctx, int contact, int64_t id, json_t *figures,
                         struct gx_error *err)
{
	static const char *const sql[] = {
	    "SELECT COUNT(*), TOTAL(CASE WHEN status = 'completed' AND currency = ? THEN "
	    "amount_minor END), TOTAL(CASE WHEN status = 'completed' AND currency = ? "
	    "AND cost_minor IS NOT NULL THEN amount_minor - cost_minor END), MAX(ordered_at) "
	    "FROM orders WHERE account_id = ?",
	    "SELECT COUNT(*), TOTAL(CASE WHEN status = 'completed' AND currency = ? THEN "
	    "amount_minor END), TOTAL(CASE WHEN status = 'completed' AND currency = ? "
	    "AND cost_minor IS NOT NULL THEN amount_minor - cost_minor END), MAX(ordered_at) "
	    "FROM orders WHERE contact_id = ?",
	};
	struct store_stmt *stmt = store_prepare(ctx->store, sql[contact], err);
	if (!stmt)
		return GX_EINTERNAL;
	store_bind_text(stmt, 1, ctx->config->currency);
	store_bind_text(stmt, 2, ctx->config->currency);
	store_bind_int(stmt, 3, id);
	int rc = store_step(stmt, err);
	if (rc == STORE_ROW) {
		json_object_set_new(figures, "order_count", json_integer(store_col_int(stmt, 0)));
		json_object_set_new(figures, "lifetime_revenue",
		                    money_json(store_col_int(stmt, 1)));
		json_object_set_new(figures, "lifetime_margin", money_json(store_col_int(stmt, 2)));
		json_object_set_new(figures, "currency", json_string(ctx->config->currency));
		json_object_set_new(figures, "last_order_at", time_or_null(stmt, 3));
		json_object_set_new(
		    figures, "days_since_last_order",
		    store_col_is_null(stmt, 3)
		        ? json_null()
		        : json_integer((clock_now() - store_col_int(stmt, 3)) / 86400));
	}
	store_done(stmt);
	return rc < 0 ? rc : 0;
}

int customer360_figures(struct crm_ctx *ctx, const char *by, int64_t id, json_t **out,
                        struct gx_error *err)
{
	int contact = strcmp(by, "contact_id") == 0;
	json_t *figures = json_object();
	int rc = interaction_figures(ctx, contact, id, figures, err);
	if (rc == 0)
		rc = order_figures(ctx, contact, id, figures, err);
	if (rc < 0) {
		json_decref(figures);
		return rc;
	}
	*out = figures;
	return 0;
}

/* The latest rows of a kind for one customer. Interactions and orders of a visible customer
 * are visible, so no further filter applies. */
static int latest(struct crm_ctx *ctx, const struct record_kind *kind, const char *by,
                  const char *order, int64_t id, int limit, json_t **out, struct gx_error *err)
{
	struct sql q = {0};
	sql_add(&q, "SELECT ");
	sql_add(&q, records_columns(kind));
	sql_add(&q, " FROM ");
	sql_add(&q, kind->table);
	sql_add(&q, " r WHERE r.");
	sql_add(&q, by);
	sql_add(&q, " = ");
	sql_int(&q, id);
	sql_add(&q, " ORDER BY r.");
	sql_add(&q, order);
	sql_add(&q, " DESC, r.id DESC LIMIT ");
	sql_int(&q, limit);
	struct store_stmt *stmt = sql_prepare(&q, ctx->store, err);
	sql_free(&q);
	if (!stmt)
		return GX_EINTERNAL;
	json_t *rows = json_array();
	int rc;
	while ((rc = store_step(stmt, err)) == STORE_ROW)
		json_array_append_new(rows, records_row(kind, stmt));
	store_done(stmt);
	if (rc < 0) {
		json_decref(rows);
		return rc;
	}
	*out = rows;
	return 0;
}

/* Adds key: the record of kind with the id found in from[ref_key], or null; a related record the
 * actor may not see shows as null rather than failing the whole view. */
static int related(struct crm_ctx *ctx, const struct record_kind *kind, const json_t *from,
                   const char *ref_key, json_t *view, const char *key, struct gx_error *err)
{
	json_t *ref = json_object_get(from, ref_key), *record = NULL;
	if (json_is_integer(ref)) {
		int rc = records_get(ctx, kind, json_integer_value(ref), &record, err);
		if (rc < 0 && rc != GX_ENOTFOUND)
			return rc;
	}
	json_object_set_new(view, key, record ? record : json_null());
	return 0;
}

/* Figures, interactions and orders of a customer, added to view. */
static int history(struct crm_ctx *ctx, const char *by, int64_t id, json_t *view,
                   struct gx_error *err)
{
	json_t *figures = NULL, *interactions = NULL, *orders = NULL;
	int rc = customer360_figures(ctx, by, id, &figures, err);
	if (rc == 0)
		rc = latest(ctx, &interaction_kind, by, "occurred_at", id, 20, &interactions, err);
	if (rc == 0)
		rc = latest(ctx, &order_kind, by, "ordered_at", id, 10, &orders, err);
	json_object_set_new(view, "figures", figures ? figures : json_null());
	json_object_set_new(view, "interactions", interactions ? interactions : json_array());
	json_object_set_new(view, "orders", orders ? orders : json_array());
	return rc;
}

/* The customer's relationships (latest 50, both directions, both ends visible). */
static int relationships(struct crm_ctx *ctx, const char *kind, int64_t id, json_t *view,
                         struct gx_error *err)
{
	json_t *list = NULL;
	int rc = relationships_of(ctx, kind, id, 50, &list, err);
	json_object_set_new(view, "relationships", list ? list : json_array());
	return rc;
}

static int finish(json_t *view, int rc, json_t **out)
{
	if (rc < 0) {
		json_decref(view);
		return rc;
	}
	*out = view;
	return 0;
}

int customer360_contact(struct crm_ctx *ctx, int64_t id, json_t **out, struct gx_error *err)
{
	json_t *contact = NULL;
	int rc = records_get(ctx, &contact_kind, id, &contact, err);
	if (rc < 0)
		return rc;
	json_t *view = json_pack("{s:o}", "contact", contact);
	rc = related(ctx, &account_kind, contact, "account_id", view, "account", err);
	if (rc == 0)
		rc = history(ctx, "contact_id", id, view, err);
	if (rc == 0)
		rc = relationships(ctx, "contact", id, view, err);
	return finish(view, rc, out);
}

static int people(struct crm_ctx *ctx, int64_t id, json_t *view, struct gx_error *err)
{
	struct sql q = {0};
	sql_add(&q, "SELECT ");
	sql_add(&q, records_columns(&contact_kind));
	sql_add(&q, ", COUNT(*) OVER () FROM contacts r WHERE r.account_id = ");
	sql_int(&q, id);
	sql_add(&q, " AND ");
	sql_visible(&q, &ctx->actor, ACCESS_CONTACT);
	sql_add(&q, " ORDER BY r.name, r.id LIMIT 200");
	struct store_stmt *stmt = sql_prepare(&q, ctx->store, err);
	sql_free(&q);
	if (!stmt)
		return GX_EINTERNAL;
	json_t *rows = json_array();
	int64_t count = 0;
	int rc;
	while ((rc = store_step(stmt, err)) == STORE_ROW) {
		json_array_append_new(rows, records_row(&contact_kind, stmt));
		count = store_col_int(stmt, (int)contact_kind.nfields + 4);
	}
	store_done(stmt);
	json_object_set_new(view, "people", rows);
	json_object_set_new(view, "people_count", json_integer(count));
	return rc < 0 ? rc : 0;
}

int customer360_account(struct crm_ctx *ctx, int64_t id, json_t **out, struct gx_error *err)
{
	json_t *account = NULL;
	int rc = records_get(ctx, &account_kind, id, &account, err);
	if (rc < 0)
		return rc;
	json_t *view = json_pack("{s:o}", "account", account);
	rc = related(ctx, &account_kind, account, "parent_id", view, "parent", err);
	if (rc == 0)
		rc = people(ctx, id, view, err);
	if (rc == 0)
		rc = history(ctx, "account_id", id, view, err);
	if (rc == 0)
		rc = relationships(ctx, "account", id, view, err);
	return finish(view, rc, out);
}
