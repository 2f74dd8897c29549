/* orders.c — the order kind, ERP-style idempotent upserts and bulk feeds, and the derived tier
 * of accounts and contacts, recomputed in the same transaction as every order change. */
#include "crm/orders.h"

#include <stdio.h>
#include <string.h>

#include "base/money.h"
#include "crm/contacts.h"
#include "crm/records.h"

static const char *const statuses[] = {"open", "completed", "cancelled", "returned", NULL};

static const struct field order_fields[] = {
    {"account_id", NULL, F_REF, FIELD_FILTER, 0, NULL, &account_kind},
    {"contact_id", NULL, F_REF, FIELD_FILTER, 0, NULL, &contact_kind},
    {"ordered_at", NULL, F_TIME, FIELD_REQUIRED | FIELD_SORTABLE, 0, NULL, NULL},
    {"amount", "amount_minor", F_MONEY, FIELD_REQUIRED | FIELD_SORTABLE, 0, NULL, NULL},
    {"cost", "cost_minor", F_MONEY, 0, 0, NULL, NULL},
    {"currency", NULL, F_CURRENCY, FIELD_FILTER, 0, NULL, NULL},
    {"source", NULL, F_TEXT, FIELD_FILTER, 64, NULL, NULL},
    {"external_ref", NULL, F_TEXT, FIELD_FILTER, 200, NULL, NULL},
    {"status", NULL, F_ENUM, FIELD_FILTER, 0, statuses, NULL},
    {"lines", NULL, F_JSON, 0, 0, NULL, NULL},
};

const char *orders_tier(const struct config *config, int64_t revenue)
{
	if (revenue >= config->tier_gold)
		return "gold";
	return revenue >= config->tier_silver ? "silver" : "bronze";
}

static void set_default(json_t *record, const char *name, json_t *value)
{
	json_t *v = json_object_get(record, name);
	if (!v || json_is_null(v))
		json_object_set_new(record, name, value);
	else
		json_decref(value);
}

static int line_error(struct gx_error *err, size_t i, const char *key, const char *what)
{
	char path[64];
	snprintf(path, sizeof path, "lines[%zu]%s%s", i, key ? "." : "", key ? key : "");
	return gx_fail(err, GX_EVALIDATION, path, "%s %s", path, what);
}

/* Lines: [{"sku", "name", "qty" (whole, > 0), "unit_price" ("12.00")}]. Returns their total. */
static int check_lines(json_t *lines, int64_t *total, struct gx_error *err)
{
	if (!json_is_array(lines) || json_array_size(lines) > 1000)
		return gx_fail(err, GX_EVALIDATION, "lines",
		               "lines must be a list of at most 1000");
	*total = 0;
	size_t i;
	json_t *line;
	json_array_foreach(lines, i, line)
	{
		if (!json_is_object(line))
			return line_error(err, i, NULL, "must be an object");
		const char *key;
		json_t *v;
		json_object_foreach(line, key, v)
		{
			int text = strcmp(key, "sku") == 0 || strcmp(key, "name") == 0;
			if (!text && strcmp(key, "qty") != 0 && strcmp(key, "unit_price") != 0)
				return line_error(err, i, key, "is not a line field");
			if (text && (!json_is_string(v) || strlen(json_string_value(v)) > 300))
				return line_error(err, i, key,
				                  "must be a string of at most 300 bytes");
		}
		json_t *qty = json_object_get(line, "qty");
		int64_t price;
		const char *unit = json_string_value(json_object_get(line, "unit_price"));
		if (!json_is_integer(qty) || json_integer_value(qty) <= 0 ||
		    json_integer_value(qty) > 1000000000)
			return line_error(err, i, "qty", "must be a whole number above 0");
		if (!unit || money_parse(unit, &price) < 0)
			return line_error(err, i, "unit_price",
			                  "must be a decimal string like \"12.00\"");
		int64_t sum;
		if (__builtin_mul_overflow(price, json_integer_value(qty), &sum) ||
		    __builtin_add_overflow(*total, sum, total) || *total > MONEY_MAX_MINOR ||
		    *total < -MONEY_MAX_MINOR)
			return line_error(err, i, NULL,
			                  "makes the order total larger than money allows");
	}
	return 0;
}

static int normalise_order(struct crm_ctx *ctx, json_t *record, const json_t *old,
                           struct gx_error *err)
{
	if (!json_is_integer(json_object_get(record, "contact_id")) &&
	    !json_is_integer(json_object_get(record, "account_id")))
		return gx_fail(err, GX_EVALIDATION, "account_id",
		               "an order needs an account_id or a contact_id");
	int rc = old ? 0 : contacts_default_account(ctx, record, err);
	if (rc < 0)
		return rc;
	set_default(record, "currency", json_string(ctx->config->currency));
	set_default(record, "source", json_string("api"));
	set_default(record, "status", json_string("completed"));
	set_default(record, "lines", json_array());
	int64_t total = 0;
	rc = check_lines(json_object_get(record, "lines"), &total, err);
	json_t *amount = json_object_get(record, "amount"),
	       *lines = json_object_get(record, "lines");
	/* The amount follows the lines unless given: on create when absent, on update when the
	 * lines changed and the amount did not. */
	int follow = !amount || json_is_null(amount) ||
	             (old && json_equal(amount, json_object_get(old, "amount")) &&
	              !json_equal(lines, json_object_get(old, "lines")));
	if (rc == 0 && follow && json_array_size(lines)) {
		char text[32];
		money_format(total, text, sizeof text);
		json_object_set_new(record, "amount", json_string(text));
	}
	return rc;
}

/* Revenue and tier of one account or contact, from its orders (TOTAL: see customer360.c). */
static int recompute_tier(struct crm_ctx *ctx, const char *table, json_t *id, struct gx_error *err)
{
	if (!json_is_integer(id))
		return 0;
	static const char *const sums[] = {
	    "SELECT TOTAL(amount_minor) FROM orders WHERE account_id = ? AND "
	    "status = 'completed' AND currency = ?",
	    "SELECT TOTAL(amount_minor) FROM orders WHERE contact_id = ? AND "
	    "status = 'completed' AND currency = ?",
	};
	static const char *const updates[] = {
	    "UPDATE accounts SET tier = ? WHERE id = ? AND tier <> ?",
	    "UPDATE contacts SET tier = ? WHERE id = ? AND tier <> ?",
	};
	int which = strcmp(table, "accounts") != 0;
	struct store_stmt *stmt = store_prepare(ctx->store, sums[which], err);
	if (!stmt)
		return GX_EINTERNAL;
	store_bind_int(stmt, 1, json_integer_value(id));
	store_bind_text(stmt, 2, ctx->config->currency);
	int rc = store_step(stmt, err);
	int64_t revenue = rc == STORE_ROW ? store_col_int(stmt, 0) : 0;
	store_done(stmt);
	if (rc < 0)
		return rc;
	const char *tier = orders_tier(ctx->config, revenue);
	if (!(stmt = store_prepare(ctx->store, updates[which], err)))
		return GX_EINTERNAL;
	store_bind_text(stmt, 1, tier);
	store_bind_int(stmt, 2, json_integer_value(id));
	store_bind_text(stmt, 3, tier);
	return store_exec(stmt, err);
}

static int order_after_write(struct crm_ctx *ctx, int64_t id, const json_t *record,
                             const json_t *old, struct gx_error *err)
{
	(void)id;
	const json_t *versions[2] = {record, old};
	for (int i = 0; i < 2; i++) {
		if (!versions[i])
			continue;
		int rc = recompute_tier(ctx, "accounts", json_object_get(versions[i], "account_id"),
		                        err);
		if (rc == 0)
			rc = recompute_tier(ctx, "contacts",
			                    json_object_get(versions[i], "contact_id"), err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

const struct record_kind order_kind = {
    .entity = "order",
    .table = "orders",
    .access = ACCESS_ORDER,
    .fields = order_fields,
    .nfields = sizeof order_fields / sizeof order_fields[0],
    .default_sort = "-ordered_at",
    .normalise = normalise_order,
    .after_write = order_after_write,
};

/* The id of the order the ERP already sent under this source and reference, or 0. */
static int find_external(struct crm_ctx *ctx, const json_t *body, int64_t *id, struct gx_error *err)
{
	*id = 0;
	const char *ref = json_string_value(json_object_get(body, "external_ref"));
	if (!ref)
		return 0;
	const char *source = json_string_value(json_object_get(body, "source"));
	struct store_stmt *stmt = store_prepare(
	    ctx->store, "SELECT id FROM orders WHERE source = ? AND external_ref = ?", err);
	if (!stmt)
		return GX_EINTERNAL;
	store_bind_text(stmt, 1, source ? source : "api");
	store_bind_text(stmt, 2, ref);
	int rc = store_step(stmt, err);
	if (rc == STORE_ROW)
		*id = store_col_int(stmt, 0);
	store_done(stmt);
	return rc < 0 ? rc : 0;
}

int orders_put(struct crm_ctx *ctx, const json_t *body, json_t **out, int *created,
               struct gx_error *err)
{
	int64_t id;
	int rc = store_begin(ctx->store, err);
	if (rc < 0)
		return rc;
	rc = json_is_object(body) ? find_external(ctx, body, &id, err) : (id = 0);
	*created = id == 0;
	if (rc == 0 && id) {
		rc = records_update(ctx, &order_kind, id, body, out, err);
		if (rc ==
		    GX_ENOTFOUND) /* it exists, but belongs to a customer this user cannot see */
			rc = gx_fail(err, GX_ECONFLICT, "external_ref",
			             "another order already has this source and external_ref");
	} else if (rc == 0) {
		rc = records_create(ctx, &order_kind, body, out, err);
	}
	if (rc < 0) {
		store_rollback(ctx->store);
		return rc;
	}
	return store_commit(ctx->store, err);
}

/* Prefixes the field of an error with the position of the order in the batch. */
static int in_batch(struct gx_error *err, size_t i, int rc)
{
	if (!err) /* the caller did not ask why */
		return rc;
	char inner[sizeof err->field];
	memcpy(inner, err->field, sizeof inner);
	/* Field paths are short ("lines[3].unit_price"); a cut-off one still names the order. */
	int n = snprintf(err->field, sizeof err->field, "orders[%zu]", i);
	if (inner[0] && n > 0 && (size_t)n + 1 < sizeof err->field)
		snprintf(err->field + n, sizeof err->field - (size_t)n, ".%.80s", inner);
	return rc;
}

int orders_bulk(struct crm_ctx *ctx, const json_t *body, json_t **out, struct gx_error *err)
{
	json_t *orders = json_object_get(body, "orders");
	if (!json_is_object(body) || json_object_size(body) != 1 || !json_is_array(orders))
		return gx_fail(err, GX_EBADREQUEST, "orders",
		               "the body must be {\"orders\": [...]}");
	if (json_array_size(orders) > 10000)
		return gx_fail(err, GX_ETOOLARGE, "orders", "at most 10000 orders per request");
	int rc = store_begin(ctx->store, err);
	if (rc < 0)
		return rc;
	json_t *ids = json_array();
	int counts[2] = {0, 0};
	size_t i;
	json_t *order;
	json_array_foreach(orders, i, order)
	{
		json_t *saved = NULL;
		int created = 0;
		if ((rc = orders_put(ctx, order, &saved, &created, err)) < 0)
			break;
		counts[created]++;
		json_array_append(ids, json_object_get(saved, "id"));
		json_decref(saved);
	}
	if (rc < 0) {
		json_decref(ids);
		store_rollback(ctx->store);
		return in_batch(err, i, rc);
	}
	if ((rc = store_commit(ctx->store, err)) < 0) {
		json_decref(ids);
		return rc;
	}
	*out = json_pack("{s:i, s:i, s:o}", "created", counts[1], "updated", counts[0], "ids", ids);
	return 0;
}
