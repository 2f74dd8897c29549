/* test_orders.c — crm/orders and crm/customer360: amounts as decimal strings, lines that add up
 * to the amount, the ERP's idempotent put by (source, external_ref), bulk feeds that are all or
 * nothing and name the bad order, the tier of accounts and contacts following their completed
 * revenue both ways across the thresholds, paging by amount, who may book orders, and the 360
 * figures agreeing with the rows they come from. */
#include "testdb.h"

#include "base/clock.h"
#include "base/money.h"
#include "crm/customer360.h"
#include "crm/orders.h"
#include "crm/records.h"

#define AT "2026-11-21T10:00:00+08:00" /* an ordered_at for orders whose time does not matter */

struct fixture {
	char dir[64];
	char path[128];
	struct store *store;
	struct config config;
	/* admin, manager; sales in team north (two) and south; service, marketing, finance */
	int64_t admin, manager, north, north2, south, service, marketing, finance;
	struct crm_ctx as_admin, as_manager, as_north, as_north2, as_south, as_service,
	    as_marketing, as_finance;
};

/* ---- fixture -------------------------------------------------------------------------- */

static int teardown(void **state)
{
	struct fixture *fx = *state;
	if (!fx)
		return 0;
	store_close(fx->store);
	testdb_remove_dir(fx->dir);
	free(fx);
	*state = NULL;
	return 0;
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof *fx);
	if (!fx)
		return -1;
	*state = fx;
	if (testdb_open(fx->dir, sizeof fx->dir, fx->path, sizeof fx->path, "orders", &fx->store) <
	    0) {
		free(fx);
		*state = NULL;
		return -1;
	}
	struct gx_error err = {0};
	config_defaults(&fx->config);
	fx->admin = testdb_insert_user(fx->store, "ada", "admin", NULL, 1);
	fx->manager = testdb_insert_user(fx->store, "mona", "manager", NULL, 1);
	fx->north = testdb_insert_user(fx->store, "nina", "sales", "north", 1);
	fx->north2 = testdb_insert_user(fx->store, "ned", "sales", "north", 1);
	fx->south = testdb_insert_user(fx->store, "sam", "sales", "south", 1);
	fx->service = testdb_insert_user(fx->store, "sven", "service", NULL, 1);
	fx->marketing = testdb_insert_user(fx->store, "mia", "marketing", NULL, 1);
	fx->finance = testdb_insert_user(fx->store, "fay", "finance", NULL, 1);
	if (testdb_ctx_init(fx->store, &fx->config, fx->admin, &fx->as_admin, &err) < 0 ||
	    testdb_ctx_init(fx->store, &fx->config, fx->manager, &fx->as_manager, &err) < 0 ||
	    testdb_ctx_init(fx->store, &fx->config, fx->north, &fx->as_north, &err) < 0 ||
	    testdb_ctx_init(fx->store, &fx->config, fx->north2, &fx->as_north2, &err) < 0 ||
	    testdb_ctx_init(fx->store, &fx->config, fx->south, &fx->as_south, &err) < 0 ||
	    testdb_ctx_init(fx->store, &fx->config, fx->service, &fx->as_service, &err) < 0 ||
	    testdb_ctx_init(fx->store, &fx->config, fx->marketing, &fx->as_marketing, &err) < 0 ||
	    testdb_ctx_init(fx->store, &fx->config, fx->finance, &fx->as_finance, &err) < 0) {
		teardown(state);
		return -1;
	}
	return 0;
}

static json_t *vjsonf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
static json_t *vjsonf(const char *fmt, va_list ap)
{
	char text[8192];
	int n = vsnprintf(text, sizeof text, fmt, ap);
	if (n < 0 || (size_t)n >= sizeof text)
		fail_msg("JSON in test too long: %s", fmt);
	json_error_t jerr;
	json_t *v = json_loads(text, JSON_DECODE_ANY, &jerr);
	if (!v)
		fail_msg("bad JSON in test: %s: %s", text, jerr.text);
	return v;
}

static json_t *jsonf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static json_t *jsonf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	json_t *v = vjsonf(fmt, ap);
	va_end(ap);
	return v;
}

/* What another connection sees: proves a change was committed (or not) and that this
 * connection holds no transaction open. */
static int64_t committed_int(struct fixture *fx, const char *sql)
{
	struct store *other = NULL;
	struct gx_error err = {0};
	if (store_open(&other, fx->path, &err) < 0)
		fail_msg("second connection: %s", err.message);
	int64_t v = query_int(other, sql);
	store_close(other);
	return v;
}

static int64_t id_of(const json_t *record)
{
	return json_integer_value(json_object_get(record, "id"));
}

static const char *text_of(const json_t *record, const char *key)
{
	const char *s = json_string_value(json_object_get(record, key));
	if (!s)
		fail_msg("\"%s\" is not a string", key);
	return s;
}

static int64_t create(struct crm_ctx *ctx, const struct record_kind *kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int64_t create(struct crm_ctx *ctx, const struct record_kind *kind, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	json_t *body = vjsonf(fmt, ap);
	va_end(ap);
	json_t *out = NULL;
	struct gx_error err = {0};
	int rc = records_create(ctx, kind, body, &out, &err);
	json_decref(body);
	if (rc < 0)
		fail_msg("creating %s: %d %s (%s)", kind->entity, rc, err.message, err.field);
	int64_t id = id_of(out);
	json_decref(out);
	assert_true(id > 0);
	return id;
}

static int64_t make_account(struct crm_ctx *ctx, const char *name)
{
	return create(ctx, &account_kind, "{\"name\": \"%s\"}", name);
}

static int64_t make_contact(struct crm_ctx *ctx, const char *name, int64_t account)
{
	if (account)
		return create(ctx, &contact_kind, "{\"name\": \"%s\", \"account_id\": %lld}", name,
		              (long long)account);
	return create(ctx, &contact_kind, "{\"name\": \"%s\"}", name);
}

/* orders_put that must succeed with the given created flag; returns the saved order. */
static json_t *put(struct crm_ctx *ctx, int want_created, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static json_t *put(struct crm_ctx *ctx, int want_created, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	json_t *body = vjsonf(fmt, ap);
	va_end(ap);
	json_t *out = NULL;
	struct gx_error err = {0};
	int created = -1;
	int rc = orders_put(ctx, body, &out, &created, &err);
	json_decref(body);
	if (rc != 0)
		fail_msg("orders_put: %d %s (field \"%s\")", rc, err.message, err.field);
	assert_non_null(out);
	if (created != want_created)
		fail_msg("orders_put: created = %d, want %d", created, want_created);
	return out;
}

static int64_t put_id(struct crm_ctx *ctx, int want_created, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int64_t put_id(struct crm_ctx *ctx, int want_created, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	json_t *body = vjsonf(fmt, ap);
	va_end(ap);
	char *text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	json_t *out = put(ctx, want_created, "%s", text);
	free(text);
	int64_t id = id_of(out);
	json_decref(out);
	assert_true(id > 0);
	return id;
}

/* orders_put that must fail with code and, unless field is NULL, that field. */
static void put_fails(struct crm_ctx *ctx, int code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void put_fails(struct crm_ctx *ctx, int code, const char *field, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	json_t *body = vjsonf(fmt, ap);
	va_end(ap);
	json_t *out = NULL;
	struct gx_error err = {0};
	int created = -1;
	int rc = orders_put(ctx, body, &out, &created, &err);
	char text[301];
	char *dumped = json_dumps(body, JSON_COMPACT);
	snprintf(text, sizeof text, "%s", dumped ? dumped : "?");
	free(dumped);
	json_decref(body);
	if (rc != code || (field && strcmp(err.field, field) != 0)) {
		json_decref(out);
		fail_msg("orders_put %s: got %d field \"%s\" (%s), want %d field \"%s\"", text, rc,
		         err.field, err.message, code, field ? field : "*");
	}
	assert_null(out);
	assert_int_equal(err.code, code);
}

static json_t *patch(struct crm_ctx *ctx, int64_t id, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static json_t *patch(struct crm_ctx *ctx, int64_t id, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	json_t *body = vjsonf(fmt, ap);
	va_end(ap);
	json_t *out = NULL;
	struct gx_error err = {0};
	int rc = records_update(ctx, &order_kind, id, body, &out, &err);
	json_decref(body);
	if (rc != 0)
		fail_msg("PATCH order %lld: %d %s", (long long)id, rc, err.message);
	return out;
}

static void patch_ok(struct crm_ctx *ctx, int64_t id, const char *body)
{
	json_decref(patch(ctx, id, "%s", body));
}

static json_t *get_order(struct crm_ctx *ctx, int64_t id)
{
	json_t *out = NULL;
	struct gx_error err = {0};
	if (records_get(ctx, &order_kind, id, &out, &err) != 0)
		fail_msg("order %lld: %s", (long long)id, err.message);
	return out;
}

static int64_t count_orders(struct fixture *fx)
{
	return query_int(fx->store, "SELECT COUNT(*) FROM orders");
}

static int64_t count_order_audit(struct fixture *fx)
{
	return query_int(fx->store, "SELECT COUNT(*) FROM audit WHERE entity = 'order'");
}

/* The stored tier of an account ("accounts") or contact ("contacts"). */
static void assert_tier(struct fixture *fx, const char *table, int64_t id, const char *want)
{
	struct gx_error err = {0};
	struct store_stmt *stmt =
	    store_prepare(fx->store,
	                  strcmp(table, "accounts") == 0 ? "SELECT tier FROM accounts WHERE id = ?"
	                                                 : "SELECT tier FROM contacts WHERE id = ?",
	                  &err);
	assert_non_null(stmt);
	store_bind_int(stmt, 1, id);
	assert_int_equal(store_step(stmt, &err), STORE_ROW);
	char got[16];
	snprintf(got, sizeof got, "%s", store_col_text(stmt, 0));
	store_done(stmt);
	if (strcmp(got, want) != 0)
		fail_msg("%s %lld is %s, want %s", table, (long long)id, got, want);
}

/* ---- creating ------------------------------------------------------------------------- */

static void test_put_creates_with_defaults(void **state)
{
	struct fixture *fx = *state;
	int64_t account = make_account(&fx->as_admin, "华信集团");
	json_t *order =
	    put(&fx->as_admin, 1,
	        "{\"account_id\": %lld, \"ordered_at\": \"2026-11-21T10:00:00+08:00\", \"amount\": "
	        "\"1299.5\"}",
	        (long long)account);
	assert_true(id_of(order) > 0);
	assert_int_equal(json_integer_value(json_object_get(order, "account_id")), account);
	assert_true(json_is_null(json_object_get(order, "contact_id")));
	assert_string_equal(text_of(order, "ordered_at"), "2026-11-21T02:00:00Z");
	assert_string_equal(text_of(order, "amount"), "1299.50");
	assert_true(json_is_null(json_object_get(order, "cost")));
	assert_string_equal(text_of(order, "currency"), "CNY");
	assert_string_equal(text_of(order, "source"), "api");
	assert_true(json_is_null(json_object_get(order, "external_ref")));
	assert_string_equal(text_of(order, "status"), "completed");
	assert_true(json_is_array(json_object_get(order, "lines")));
	assert_int_equal(json_array_size(json_object_get(order, "lines")), 0);
	assert_int_equal(json_integer_value(json_object_get(order, "version")), 1);
	assert_non_null(json_string_value(json_object_get(order, "created_at")));
	/* Stored in minor units, with its audit row. */
	assert_int_equal(query_int(fx->store, "SELECT amount_minor FROM orders"), 129950);
	assert_int_equal(query_int(fx->store, "SELECT COUNT(*) FROM audit WHERE entity = 'order' "
	                                      "AND action = 'create'"),
	                 1);
	json_decref(order);

	/* The default currency is the configured one. */
	snprintf(fx->config.currency, sizeof fx->config.currency, "USD");
	order = put(&fx->as_admin, 1,
	            "{\"account_id\": %lld, \"ordered_at\": \"%s\", \"amount\": \"1\", \"status\": "
	            "\"open\", \"cost\": \"0.40\"}",
	            (long long)account, AT);
	assert_string_equal(text_of(order, "currency"), "USD");
	assert_string_equal(text_of(order, "status"), "open");
	assert_string_equal(text_of(order, "amount"), "1.00");
	assert_string_equal(text_of(order, "cost"), "0.40");
	json_decref(order);

	/* Neither account nor contact: refused, naming account_id. */
	put_fails(&fx->as_admin, GX_EVALIDATION, "account_id",
	          "{\"ordered_at\": \"%s\", \"amount\": \"1.00\"}", AT);
	put_fails(&fx->as_admin, GX_EVALIDATION, "ordered_at",
	          "{\"account_id\": %lld, \"amount\": \"1.00\"}", (long long)account);
	put_fails(&fx->as_admin, GX_EVALIDATION, "status",
	          "{\"account_id\": %lld, \"ordered_at\": \"%s\", \"amount\": \"1.00\", "
	          "\"status\": \"shipped\"}",
	          (long long)account, AT);
	put_fails(&fx->as_admin, GX_EVALIDATION, "currency",
	          "{\"account_id\": %lld, \"ordered_at\": \"%s\", \"amount\": \"1.00\", "
	          "\"currency\": \"usd\"}",
	          (long long)account, AT);
	put_fails(&fx->as_admin, GX_EBADREQUEST, NULL, "[1, 2]");
	assert_int_equal(count_orders(fx), 2);
}

static void test_amount_must_be_a_decimal_string(void **state)
{
	struct fixture *fx = *state;
	int64_t account = make_account(&fx->as_admin, "Acme");
	const char *const bad[] = {"12.5",    "1299",         "\"12.345\"",
	                           "\"abc\"", "\"1,299.00\"", "\"\"",
	                           "true",    "[\"1.00\"]",   "\"1000000000000000.00\""};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		put_fails(&fx->as_admin, GX_EVALIDATION, "amount",
		          "{\"account_id\": %lld, \"ordered_at\": \"%s\", \"amount\": %s}",
		          (long long)account, AT, bad[i]);
		put_fails(&fx->as_admin, GX_EVALIDATION, "cost",
		          "{\"account_id\": %lld, \"ordered_at\": \"%s\", \"amount\": \"1.00\", "
		          "\"cost\": %s}",
		          (long long)account, AT, bad[i]);
	}
	/* Required: not null, not absent (without lines to compute it from). */
	put_fails(&fx->as_admin, GX_EVALIDATION, "amount",
	          "{\"account_id\": %lld, \"ordered_at\": \"%s\", \"amount\": null}",
	          (long long)account, AT);
	put_fails(&fx->as_admin, GX_EVALIDATION, "amount",
	          "{\"account_id\": %lld, \"ordered_at\": \"%s\"}", (long long)account, AT);
	put_fails(&fx->as_admin, GX_EVALIDATION, "amount",
	          "{\"account_id\": %lld, \"ordered_at\": \"%s\", \"lines\": []}",
	          (long long)account, AT);
	assert_int_equal(count_orders(fx), 0);

	/* Negative amounts (credit notes) and the largest amount are decimal strings too. */
	json_t *order = put(&fx->as_admin, 1,
	                    "{\"account_id\": %lld, \"ordered_at\": \"%s\", \"amount\": \"-3\", "
	                    "\"status\": \"returned\"}",
	                    (long long)account, AT);
	assert_string_equal(text_of(order, "amount"), "-3.00");
	json_decref(order);
	order = put(&fx->as_admin, 1,
	            "{\"account_id\": %lld, \"ordered_at\": \"%s\", \"amount\": "
	            "\"999999999999999.99\"}",
	            (long long)account, AT);
	assert_string_equal(text_of(order, "amount"), "999999999999999.99");
	assert_int_equal(query_int(fx->store, "SELECT MAX(amount_minor) FROM orders"),
	                 99999999999999999LL);
	json_decref(order);
}

static void test_lines_compute_the_amount(void **state)
{
	struct fixture *fx = *state;
	int64_t account = make_account(&fx->as_admin, "Acme");
	const char *lines = "[{\"sku\": \"ERP-STD\", \"name\": \"ERP 标准版\", \"qty\": 2, "
	                    "\"unit_price\": \"599.50\"}, {\"qty\": 3, \"unit_price\": \"0.01\"}]";
	json_t *order = put(&fx->as_admin, 1,
	                    "{\"account_id\": %lld, \"ordered_at\": \"%s\", \"source\": \"erp\", "
	                    "\"external_ref\": \"SO-1\", \"lines\": %s}",
	                    (long long)account, AT, lines);
	int64_t id = id_of(order);
	assert_string_equal(text_of(order, "amount"), "1199.03");
	json_t *want_lines = jsonf("%s", lines);
	assert_true(json_equal(json_object_get(order, "lines"), want_lines));
	json_decref(want_lines);
	json_decref(order);

	/* An amount that is given wins over the lines (a discount). */
	order = put(&fx->as_admin, 0,
	            "{\"source\": \"erp\", \"external_ref\": \"SO-1\", \"amount\": \"1099.00\"}");
	assert_int_equal(id_of(order), id);
	assert_string_equal(text_of(order, "amount"), "1099.00");
	assert_int_equal(json_array_size(json_object_get(order, "lines")), 2);
	json_decref(order);

	/* New lines without an amount: the amount follows them again. */
	order = put(&fx->as_admin, 0,
	            "{\"source\": \"erp\", \"external_ref\": \"SO-1\", \"lines\": [{\"qty\": 4, "
	            "\"unit_price\": \"2.25\"}]}");
	assert_string_equal(text_of(order, "amount"), "9.00");
	json_decref(order);

	/* New lines and a new amount: the amount as sent. */
	order =
	    patch(&fx->as_admin, id,
	          "{\"lines\": [{\"qty\": 1, \"unit_price\": \"5.00\"}], \"amount\": \"4.50\"}");
	assert_string_equal(text_of(order, "amount"), "4.50");
	json_decref(order);

	/* Changing something else leaves the amount alone. */
	order = patch(&fx->as_admin, id, "{\"status\": \"open\"}");
	assert_string_equal(text_of(order, "amount"), "4.50");
	json_decref(order);
	assert_int_equal(query_int(fx->store, "SELECT amount_minor FROM orders"), 450);

	/* A credit line makes a negative amount. */
	order = put(&fx->as_admin, 1,
	            "{\"account_id\": %lld, \"ordered_at\": \"%s\", \"lines\": [{\"qty\": 2, "
	            "\"unit_price\": \"-10.00\"}, {\"qty\": 1, \"unit_price\": \"5.5\"}]}",
	            (long long)account, AT);
	assert_string_equal(text_of(order, "amount"), "-14.50");
	json_decref(order);
}

static void test_bad_lines_name_the_line(void **state)
{
	struct fixture *fx = *state;
	int64_t account = make_account(&fx->as_admin, "Acme");
	struct {
		const char *lines, *field;
	} cases[] = {
	    {"\"two chairs\"", "lines"},
	    {"{\"qty\": 1, \"unit_price\": \"1.00\"}", "lines"},
	    {"[{\"qty\": 1, \"unit_price\": \"1.00\"}, 5]", "lines[1]"},
	    {"[null]", "lines[0]"},
	    {"[{\"qty\": 0, \"unit_price\": \"1.00\"}]", "lines[0].qty"},
	    {"[{\"qty\": -1, \"unit_price\": \"1.00\"}]", "lines[0].qty"},
	    {"[{\"qty\": 1.5, \"unit_price\": \"1.00\"}]", "lines[0].qty"},
	    {"[{\"qty\": \"2\", \"unit_price\": \"1.00\"}]", "lines[0].qty"},
	    {"[{\"unit_price\": \"1.00\"}]", "lines[0].qty"},
	    {"[{\"qty\": 1000000001, \"unit_price\": \"1.00\"}]", "lines[0].qty"},
	    {"[{\"qty\": 1, \"unit_price\": \"1.00\"}, {\"qty\": 1, \"unit_price\": 12}]",
	     "lines[1].unit_price"},
	    {"[{\"qty\": 1, \"unit_price\": \"1.234\"}]", "lines[0].unit_price"},
	    {"[{\"qty\": 1}]", "lines[0].unit_price"},
	    {"[{\"qty\": 1, \"unit_price\": null}]", "lines[0].unit_price"},
	    {"[{\"qty\": 1, \"unit_price\": \"1.00\", \"colour\": \"red\"}]", "lines[0].colour"},
	    {"[{\"qty\": 1, \"unit_price\": \"1.00\", \"sku\": 42}]", "lines[0].sku"},
	    {"[{\"qty\": 1, \"unit_price\": \"1.00\", \"name\": null}]", "lines[0].name"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		json_t *body =
		    jsonf("{\"account_id\": %lld, \"ordered_at\": \"%s\", \"lines\": %s}",
		          (long long)account, AT, cases[i].lines);
		json_t *out = NULL;
		struct gx_error err = {0};
		int created = 0;
		int rc = orders_put(&fx->as_admin, body, &out, &created, &err);
		json_decref(body);
		json_decref(out);
		if (rc != GX_EVALIDATION || strcmp(err.field, cases[i].field) != 0)
			fail_msg("lines %s: got %d field \"%s\", want field \"%s\"", cases[i].lines,
			         rc, err.field, cases[i].field);
		/* The message names the line for a person reading it too. */
		assert_non_null(strstr(err.message, cases[i].field));
	}

	/* 300-byte names and 1000 lines are the limits; one more of either is refused. */
	char name[302];
	memset(name, 'n', 301);
	name[301] = '\0';
	put_fails(&fx->as_admin, GX_EVALIDATION, "lines[0].name",
	          "{\"account_id\": %lld, \"ordered_at\": \"%s\", \"lines\": [{\"qty\": 1, "
	          "\"unit_price\": \"1.00\", \"name\": \"%s\"}]}",
	          (long long)account, AT, name);
	assert_int_equal(count_orders(fx), 0);
	name[300] = '\0';
	json_decref(put(&fx->as_admin, 1,
	                "{\"account_id\": %lld, \"ordered_at\": \"%s\", \"lines\": [{\"qty\": 1, "
	                "\"unit_price\": \"1.00\", \"name\": \"%s\"}]}",
	                (long long)account, AT, name));

	json_t *many = json_array();
	for (int i = 0; i < 1001; i++)
		json_array_append_new(many,
		                      json_pack("{s:i, s:s}", "qty", 1, "unit_price", "0.01"));
	json_t *body = json_pack("{s:I, s:s, s:O}", "account_id", (json_int_t)account, "ordered_at",
	                         AT, "lines", many);
	json_t *out = NULL;
	struct gx_error err = {0};
	int created = 0;
	assert_int_equal(orders_put(&fx->as_admin, body, &out, &created, &err), GX_EVALIDATION);
	assert_string_equal(err.field, "lines");
	assert_null(out);
	json_array_remove(many, 0);
	json_object_set(body, "lines", many);
	assert_int_equal(orders_put(&fx->as_admin, body, &out, &created, &err), 0);
	assert_string_equal(text_of(out, "amount"), "10.00");
	json_decref(out);
	json_decref(body);
	json_decref(many);
	assert_int_equal(count_orders(fx), 2);
}

static void test_line_totals_beyond_money_range_are_refused(void **state)
{
	struct fixture *fx = *state;
	int64_t account = make_account(&fx->as_admin, "Acme");
	/* qty x unit_price overflows 64 bits. */
	put_fails(
	    &fx->as_admin, GX_EVALIDATION, "lines[0]",
	    "{\"account_id\": %lld, \"ordered_at\": \"%s\", \"lines\": [{\"qty\": 1000000000, "
	    "\"unit_price\": \"999999999999999.99\"}]}",
	    (long long)account, AT);
	/* Each line fits; their sum passes the largest amount. */
	put_fails(
	    &fx->as_admin, GX_EVALIDATION, "lines[1]",
	    "{\"account_id\": %lld, \"ordered_at\": \"%s\", \"lines\": [{\"qty\": 1, "
	    "\"unit_price\": \"999999999999999.99\"}, {\"qty\": 1, \"unit_price\": \"0.01\"}]}",
	    (long long)account, AT);
	put_fails(
	    &fx->as_admin, GX_EVALIDATION, "lines[2]",
	    "{\"account_id\": %lld, \"ordered_at\": \"%s\", \"lines\": [{\"qty\": 1, "
	    "\"unit_price\": \"0.50\"}, {\"qty\": 1, \"unit_price\": \"999999999999999.00\"}, "
	    "{\"qty\": 1, \"unit_price\": \"0.50\"}]}",
	    (long long)account, AT);
	/* Fits in 64 bits but not in money, on the negative side. */
	put_fails(
	    &fx->as_admin, GX_EVALIDATION, "lines[0]",
	    "{\"account_id\": %lld, \"ordered_at\": \"%s\", \"lines\": [{\"qty\": 1000000000, "
	    "\"unit_price\": \"-1000000.00\"}]}",
	    (long long)account, AT);
	/* Even with an amount given, the lines must add up to something money can hold. */
	put_fails(&fx->as_admin, GX_EVALIDATION, "lines[1]",
	          "{\"account_id\": %lld, \"ordered_at\": \"%s\", \"amount\": \"1.00\", \"lines\": "
	          "[{\"qty\": 1, \"unit_price\": \"999999999999999.99\"}, {\"qty\": 1, "
	          "\"unit_price\": \"999999999999999.99\"}]}",
	          (long long)account, AT);
	assert_int_equal(count_orders(fx), 0);

	/* Exactly the largest amount is fine, and a later line may bring the total back. */
	json_t *order =
	    put(&fx->as_admin, 1,
	        "{\"account_id\": %lld, \"ordered_at\": \"%s\", \"lines\": [{\"qty\": 1, "
	        "\"unit_price\": \"999999999999999.98\"}, {\"qty\": 1, \"unit_price\": \"0.01\"}]}",
	        (long long)account, AT);
	assert_string_equal(text_of(order, "amount"), "999999999999999.99");
	json_decref(order);
	order =
	    put(&fx->as_admin, 1,
	        "{\"account_id\": %lld, \"ordered_at\": \"%s\", \"lines\": [{\"qty\": 1000000000, "
	        "\"unit_price\": \"-99999.99\"}]}",
	        (long long)account, AT);
	assert_string_equal(text_of(order, "amount"), "-99999990000000.00");
	json_decref(order);
}

static void test_contact_only_order_takes_the_contacts_account(void **state)
{
	struct fixture *fx = *state;
	int64_t account = make_account(&fx->as_admin, "Acme");
	int64_t other = make_account(&fx->as_admin, "Other");
	int64_t contact = make_contact(&fx->as_admin, "Jane Doe", account);
	int64_t loner = make_contact(&fx->as_admin, "张伟", 0);

	json_t *order = put(&fx->as_admin, 1,
	                    "{\"contact_id\": %lld, \"ordered_at\": \"%s\", \"amount\": \"10.00\"}",
	                    (long long)contact, AT);
	assert_int_equal(json_integer_value(json_object_get(order, "account_id")), account);
	assert_int_equal(json_integer_value(json_object_get(order, "contact_id")), contact);
	json_decref(order);

	/* An account that is given is kept, even another one. */
	order = put(&fx->as_admin, 1,
	            "{\"contact_id\": %lld, \"account_id\": %lld, \"ordered_at\": \"%s\", "
	            "\"amount\": \"10.00\"}",
	            (long long)contact, (long long)other, AT);
	assert_int_equal(json_integer_value(json_object_get(order, "account_id")), other);
	json_decref(order);

	/* A null account is the same as none. */
	order = put(&fx->as_admin, 1,
	            "{\"contact_id\": %lld, \"account_id\": null, \"ordered_at\": \"%s\", "
	            "\"amount\": \"10.00\"}",
	            (long long)contact, AT);
	assert_int_equal(json_integer_value(json_object_get(order, "account_id")), account);
	json_decref(order);

	/* A contact without an account: the order has none either. */
	order = put(&fx->as_admin, 1,
	            "{\"contact_id\": %lld, \"ordered_at\": \"%s\", \"amount\": \"10.00\"}",
	            (long long)loner, AT);
	assert_true(json_is_null(json_object_get(order, "account_id")));
	json_decref(order);

	/* A sales user's contact at an account owned by another team: the order is booked on the
	 * contact alone rather than linked to an account the user cannot see. */
	int64_t south_account = make_account(&fx->as_south, "South Co");
	int64_t mixed = create(&fx->as_admin, &contact_kind,
	                       "{\"name\": \"Li Lei\", \"account_id\": %lld, \"owner_id\": %lld}",
	                       (long long)south_account, (long long)fx->north);
	order = put(&fx->as_north, 1,
	            "{\"contact_id\": %lld, \"ordered_at\": \"%s\", \"amount\": \"10.00\"}",
	            (long long)mixed, AT);
	assert_true(json_is_null(json_object_get(order, "account_id")));
	json_decref(order);

	/* The contact must exist. */
	put_fails(&fx->as_admin, GX_EVALIDATION, "contact_id",
	          "{\"contact_id\": 99999, \"ordered_at\": \"%s\", \"amount\": \"10.00\"}", AT);
	assert_int_equal(count_orders(fx), 5);
}

/* ---- the ERP's put -------------------------------------------------------------------- */

static void test_put_is_idempotent_by_source_and_ref(void **state)
{
	struct fixture *fx = *state;
	int64_t account = make_account(&fx->as_admin, "Acme");
#define IDEMPOTENT_FMT                                                                             \
	"{\"account_id\": %lld, \"ordered_at\": \"%s\", \"amount\": \"%s\", \"source\": \"%s\", "  \
	"\"external_ref\": \"SO-2026-0001\"}"
	int64_t id =
	    put_id(&fx->as_admin, 1, IDEMPOTENT_FMT, (long long)account, AT, "100.00", "erp");

	/* Re-sent unchanged: same order, no new version, no audit row. */
	json_t *order =
	    put(&fx->as_admin, 0, IDEMPOTENT_FMT, (long long)account, AT, "100.00", "erp");
	assert_int_equal(id_of(order), id);
	assert_int_equal(json_integer_value(json_object_get(order, "version")), 1);
	json_decref(order);
	assert_int_equal(count_order_audit(fx), 1);

	/* Re-sent changed: updated in place. */
	order = put(&fx->as_admin, 0, IDEMPOTENT_FMT, (long long)account, AT, "90.00", "erp");
	assert_int_equal(id_of(order), id);
	assert_int_equal(json_integer_value(json_object_get(order, "version")), 2);
	assert_string_equal(text_of(order, "amount"), "90.00");
	json_decref(order);
	assert_int_equal(count_order_audit(fx), 2);
	assert_int_equal(query_int(fx->store, "SELECT COUNT(*) FROM audit WHERE entity = 'order' "
	                                      "AND action = 'update'"),
	                 1);

	/* Only the fields sent change. */
	order =
	    put(&fx->as_admin, 0,
	        "{\"source\": \"erp\", \"external_ref\": \"SO-2026-0001\", \"status\": \"open\"}");
	assert_int_equal(id_of(order), id);
	assert_string_equal(text_of(order, "amount"), "90.00");
	assert_string_equal(text_of(order, "status"), "open");
	assert_int_equal(json_integer_value(json_object_get(order, "account_id")), account);
	json_decref(order);

	/* The same reference from another source is another order. */
	int64_t pos =
	    put_id(&fx->as_admin, 1, IDEMPOTENT_FMT, (long long)account, AT, "5.00", "pos");
	assert_true(pos != id);
	/* Without a reference every put creates. */
	int64_t a = put_id(&fx->as_admin, 1,
	                   "{\"account_id\": %lld, \"ordered_at\": \"%s\", \"amount\": \"1.00\"}",
	                   (long long)account, AT);
	int64_t b = put_id(&fx->as_admin, 1,
	                   "{\"account_id\": %lld, \"ordered_at\": \"%s\", \"amount\": \"1.00\"}",
	                   (long long)account, AT);
	assert_true(a != b);
	assert_int_equal(count_orders(fx), 4);
	assert_int_equal(committed_int(fx, "SELECT COUNT(*) FROM orders"), 4);
	assert_int_equal(
	    query_int(fx->store, "SELECT COUNT(*) FROM orders WHERE external_ref = 'SO-2026-0001'"),
	    2);
}
#undef IDEMPOTENT_FMT

static void test_put_default_source_matches_api(void **state)
{
	struct fixture *fx = *state;
	int64_t account = make_account(&fx->as_admin, "Acme");
	int64_t id = put_id(&fx->as_admin, 1,
	                    "{\"account_id\": %lld, \"ordered_at\": \"%s\", \"amount\": \"1.00\", "
	                    "\"external_ref\": \"R-1\"}",
	                    (long long)account, AT);
	/* "api" spelt out finds the order that took the default. */
	json_t *order =
	    put(&fx->as_admin, 0,
	        "{\"source\": \"api\", \"external_ref\": \"R-1\", \"amount\": \"2.00\"}");
	assert_int_equal(id_of(order), id);
	assert_string_equal(text_of(order, "amount"), "2.00");
	json_decref(order);
	/* And a null source is the default again. */
	order = put(&fx->as_admin, 0,
	            "{\"source\": null, \"external_ref\": \"R-1\", \"amount\": \"3.00\"}");
	assert_int_equal(id_of(order), id);
	assert_string_equal(text_of(order, "source"), "api");
	assert_string_equal(text_of(order, "amount"), "3.00");
	json_decref(order);

	/* The other way round: created as "api", found without a source. */
	int64_t other =
	    put_id(&fx->as_admin, 1,
	           "{\"account_id\": %lld, \"ordered_at\": \"%s\", \"amount\": \"1.00\", "
	           "\"source\": \"api\", \"external_ref\": \"R-2\"}",
	           (long long)account, AT);
	order = put(&fx->as_admin, 0, "{\"external_ref\": \"R-2\", \"amount\": \"4.00\"}");
	assert_int_equal(id_of(order), other);
	json_decref(order);
	/* Another source with the same reference does not match. */
	put_id(&fx->as_admin, 1,
	       "{\"account_id\": %lld, \"ordered_at\": \"%s\", \"amount\": \"1.00\", \"source\": "
	       "\"erp\", \"external_ref\": \"R-2\"}",
	       (long long)account, AT);
	assert_int_equal(count_orders(fx), 3);
}

static void test_put_of_invisible_order_conflicts(void **state)
{
	struct fixture *fx = *state;
	int64_t south_account = make_account(&fx->as_south, "South Co");
	int64_t north_account = make_account(&fx->as_north, "North Co");
	int64_t south_order =
	    put_id(&fx->as_south, 1,
	           "{\"account_id\": %lld, \"ordered_at\": \"%s\", \"amount\": \"100.00\", "
	           "\"source\": \"erp\", \"external_ref\": \"SO-9\"}",
	           (long long)south_account, AT);
	int64_t audit_before = count_order_audit(fx);

	put_fails(&fx->as_north, GX_ECONFLICT, "external_ref",
	          "{\"account_id\": %lld, \"ordered_at\": \"%s\", \"amount\": \"5.00\", "
	          "\"source\": \"erp\", \"external_ref\": \"SO-9\"}",
	          (long long)north_account, AT);
	/* Nothing changed, nothing was added. */
	json_t *order = get_order(&fx->as_admin, south_order);
	assert_int_equal(json_integer_value(json_object_get(order, "account_id")), south_account);
	assert_string_equal(text_of(order, "amount"), "100.00");
	assert_int_equal(json_integer_value(json_object_get(order, "version")), 1);
	json_decref(order);
	assert_int_equal(count_orders(fx), 1);
	assert_int_equal(count_order_audit(fx), audit_before);

	/* A team mate's order is visible, so the put updates it. */
	int64_t north_order =
	    put_id(&fx->as_north2, 1,
	           "{\"account_id\": %lld, \"ordered_at\": \"%s\", \"amount\": \"7.00\", "
	           "\"source\": \"erp\", \"external_ref\": \"SO-10\"}",
	           (long long)north_account, AT);
	order = put(&fx->as_north, 0,
	            "{\"source\": \"erp\", \"external_ref\": \"SO-10\", \"amount\": \"8.00\"}");
	assert_int_equal(id_of(order), north_order);
	json_decref(order);

	/* Changing an order onto another order's pair is a conflict as well. */
	struct gx_error err = {0};
	json_t *body = jsonf("{\"external_ref\": \"SO-9\"}"), *out = NULL;
	assert_int_equal(records_update(&fx->as_admin, &order_kind, north_order, body, &out, &err),
	                 GX_ECONFLICT);
	json_decref(body);
	assert_null(out);
	order = get_order(&fx->as_admin, north_order);
	assert_string_equal(text_of(order, "external_ref"), "SO-10");
	json_decref(order);
	assert_int_equal(committed_int(fx, "SELECT COUNT(*) FROM orders"), 2);
}

static void test_who_may_book_orders(void **state)
{
	struct fixture *fx = *state;
	int64_t account = make_account(&fx->as_admin, "Acme");
	int64_t north_account = make_account(&fx->as_north, "North Co");
	int64_t south_account = make_account(&fx->as_south, "South Co");
#define BOOK_FMT "{\"account_id\": %lld, \"ordered_at\": \"%s\", \"amount\": \"1.00\"}"

	put_id(&fx->as_admin, 1, BOOK_FMT, (long long)account, AT);
	put_id(&fx->as_manager, 1, BOOK_FMT, (long long)account, AT);
	put_id(&fx->as_finance, 1, BOOK_FMT, (long long)account, AT);
	put_id(&fx->as_north, 1, BOOK_FMT, (long long)north_account, AT);
	put_id(&fx->as_north2, 1, BOOK_FMT, (long long)north_account,
	       AT); /* a team mate's account */
	assert_int_equal(count_orders(fx), 5);

	put_fails(&fx->as_service, GX_EFORBIDDEN, NULL, BOOK_FMT, (long long)account, AT);
	put_fails(&fx->as_marketing, GX_EFORBIDDEN, NULL, BOOK_FMT, (long long)account, AT);
	/* A sales user books on customers they see only; another team's reads as absent. */
	put_fails(&fx->as_north, GX_EVALIDATION, "account_id", BOOK_FMT, (long long)south_account,
	          AT);
	put_fails(&fx->as_north, GX_EVALIDATION, "account_id", BOOK_FMT, (long long)account, AT);
	assert_int_equal(count_orders(fx), 5);

	/* Nor may service re-send (update) an order it can read. */
	put_id(&fx->as_finance, 1,
	       "{\"account_id\": %lld, \"ordered_at\": \"%s\", \"amount\": \"1.00\", "
	       "\"external_ref\": \"F-1\"}",
	       (long long)account, AT);
	put_fails(&fx->as_service, GX_EFORBIDDEN, NULL,
	          "{\"external_ref\": \"F-1\", \"amount\": \"2.00\"}");
	put_fails(&fx->as_marketing, GX_EFORBIDDEN, NULL,
	          "{\"external_ref\": \"F-1\", \"amount\": \"2.00\"}");
	json_t *order =
	    put(&fx->as_manager, 0, "{\"external_ref\": \"F-1\", \"amount\": \"3.00\"}");
	assert_string_equal(text_of(order, "amount"), "3.00");
	json_decref(order);

	/* Finance books orders but does not edit customers. */
	json_t *body = jsonf("{\"name\": \"Finance Co\"}"), *out = NULL;
	struct gx_error err = {0};
	assert_int_equal(records_create(&fx->as_finance, &account_kind, body, &out, &err),
	                 GX_EFORBIDDEN);
	json_decref(body);
	assert_null(out);
	assert_int_equal(count_orders(fx), 6);
}
#undef BOOK_FMT

/* ---- bulk ----------------------------------------------------------------------------- */

static int bulk(struct crm_ctx *ctx, json_t **out, struct gx_error *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int bulk(struct crm_ctx *ctx, json_t **out, struct gx_error *err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	json_t *body = vjsonf(fmt, ap);
	va_end(ap);
	*out = NULL;
	int rc = orders_bulk(ctx, body, out, err);
	json_decref(body);
	return rc;
}

static void test_bulk_is_all_or_nothing(void **state)
{
	struct fixture *fx = *state;
	int64_t account = make_account(&fx->as_admin, "Acme");
	int64_t existing =
	    put_id(&fx->as_admin, 1,
	           "{\"account_id\": %lld, \"ordered_at\": \"%s\", \"amount\": \"100.00\", "
	           "\"source\": \"erp\", \"external_ref\": \"E-1\"}",
	           (long long)account, AT);
	int64_t audit_before = count_order_audit(fx);
	json_t *out = NULL;
	struct gx_error err = {0};

	/* The third is bad: the first two (a new one and an update) are not kept either. */
	int rc = bulk(&fx->as_admin, &out, &err,
	              "{\"orders\": ["
	              "{\"account_id\": %lld, \"ordered_at\": \"%s\", \"amount\": \"500000.00\", "
	              "\"source\": \"erp\", \"external_ref\": \"E-2\"},"
	              "{\"source\": \"erp\", \"external_ref\": \"E-1\", \"amount\": \"999.00\"},"
	              "{\"account_id\": %lld, \"ordered_at\": \"%s\", \"amount\": 100, "
	              "\"source\": \"erp\", \"external_ref\": \"E-3\"}]}",
	              (long long)account, AT, (long long)account, AT);
	assert_int_equal(rc, GX_EVALIDATION);
	assert_string_equal(err.field, "orders[2].amount");
	assert_null(out);
	assert_int_equal(count_orders(fx), 1);
	assert_int_equal(count_order_audit(fx), audit_before);
	json_t *order = get_order(&fx->as_admin, existing);
	assert_string_equal(text_of(order, "amount"), "100.00");
	json_decref(order);
	assert_tier(fx, "accounts", account, "bronze"); /* the rolled-back 500,000 left no trace */

	/* The error is optional for the caller: without one the code still comes back. */
	json_t *body = jsonf("{\"orders\": [{\"account_id\": %lld, \"ordered_at\": \"%s\", "
	                     "\"amount\": \"500000.00\"}, {\"amount\": \"1.00\"}]}",
	                     (long long)account, AT);
	assert_int_equal(orders_bulk(&fx->as_admin, body, &out, NULL), GX_EVALIDATION);
	json_decref(body);
	assert_null(out);
	assert_int_equal(count_orders(fx), 1);

	/* A bad line names the order and the line. */
	rc = bulk(&fx->as_admin, &out, &err,
	          "{\"orders\": ["
	          "{\"account_id\": %lld, \"ordered_at\": \"%s\", \"amount\": \"1.00\"},"
	          "{\"account_id\": %lld, \"ordered_at\": \"%s\", \"lines\": [{\"qty\": 1, "
	          "\"unit_price\": \"1.00\"}, {\"qty\": 0, \"unit_price\": \"1.00\"}]}]}",
	          (long long)account, AT, (long long)account, AT);
	assert_int_equal(rc, GX_EVALIDATION);
	assert_string_equal(err.field, "orders[1].lines[1].qty");

	/* An error without a field still names the order; so does a forbidden one. */
	rc = bulk(&fx->as_admin, &out, &err,
	          "{\"orders\": [{\"account_id\": %lld, \"ordered_at\": \"%s\", \"amount\": "
	          "\"1.00\"}, \"not an order\"]}",
	          (long long)account, AT);
	assert_int_equal(rc, GX_EBADREQUEST);
	assert_string_equal(err.field, "orders[1]");
	rc = bulk(&fx->as_service, &out, &err,
	          "{\"orders\": [{\"account_id\": %lld, \"ordered_at\": \"%s\", \"amount\": "
	          "\"1.00\"}]}",
	          (long long)account, AT);
	assert_int_equal(rc, GX_EFORBIDDEN);
	assert_string_equal(err.field, "orders[0]");
	/* The invisible pair of another team fails the batch too. */
	int64_t south_account = make_account(&fx->as_south, "South Co");
	int64_t north_account = make_account(&fx->as_north, "North Co");
	put_id(&fx->as_south, 1,
	       "{\"account_id\": %lld, \"ordered_at\": \"%s\", \"amount\": \"1.00\", "
	       "\"external_ref\": \"S-1\"}",
	       (long long)south_account, AT);
	rc = bulk(&fx->as_north, &out, &err,
	          "{\"orders\": [{\"account_id\": %lld, \"ordered_at\": \"%s\", \"amount\": "
	          "\"1.00\"}, {\"account_id\": %lld, \"ordered_at\": \"%s\", \"amount\": \"1.00\", "
	          "\"external_ref\": \"S-1\"}]}",
	          (long long)north_account, AT, (long long)north_account, AT);
	assert_int_equal(rc, GX_ECONFLICT);
	assert_string_equal(err.field, "orders[1].external_ref");
	assert_null(out);
	assert_int_equal(count_orders(fx), 2);

	/* Every failed batch left the connection outside any transaction: the next write commits
	 * and another connection sees exactly it. */
	put_id(&fx->as_admin, 1,
	       "{\"account_id\": %lld, \"ordered_at\": \"%s\", \"amount\": \"2.00\"}",
	       (long long)account, AT);
	assert_int_equal(committed_int(fx, "SELECT COUNT(*) FROM orders"), 3);
	assert_int_equal(committed_int(fx, "SELECT COUNT(*) FROM orders WHERE external_ref IN "
	                                   "('E-2', 'E-3')"),
	                 0);
}

static void test_bulk_creates_and_updates(void **state)
{
	struct fixture *fx = *state;
	int64_t account = make_account(&fx->as_admin, "Acme");
	int64_t contact = make_contact(&fx->as_admin, "Jane Doe", account);
	int64_t existing =
	    put_id(&fx->as_admin, 1,
	           "{\"account_id\": %lld, \"ordered_at\": \"%s\", \"amount\": \"100.00\", "
	           "\"source\": \"erp\", \"external_ref\": \"E-1\"}",
	           (long long)account, AT);
	json_t *out = NULL;
	struct gx_error err = {0};
	int rc = bulk(&fx->as_finance, &out, &err,
	              "{\"orders\": ["
	              "{\"source\": \"erp\", \"external_ref\": \"E-1\", \"amount\": \"52000.00\"},"
	              "{\"contact_id\": %lld, \"ordered_at\": \"%s\", \"amount\": \"48000.00\", "
	              "\"source\": \"erp\", \"external_ref\": \"E-2\"},"
	              "{\"account_id\": %lld, \"ordered_at\": \"%s\", \"amount\": \"1.00\"},"
	              "{\"source\": \"erp\", \"external_ref\": \"E-2\", \"status\": \"open\"}]}",
	              (long long)contact, AT, (long long)account, AT);
	if (rc != 0)
		fail_msg("bulk: %d %s (%s)", rc, err.message, err.field);
	assert_int_equal(json_integer_value(json_object_get(out, "created")), 2);
	assert_int_equal(json_integer_value(json_object_get(out, "updated")), 2);
	json_t *ids = json_object_get(out, "ids");
	assert_int_equal(json_array_size(ids), 4);
	int64_t e2 = json_integer_value(json_array_get(ids, 1));
	int64_t plain = json_integer_value(json_array_get(ids, 2));
	assert_int_equal(json_integer_value(json_array_get(ids, 0)), existing);
	assert_int_equal(json_integer_value(json_array_get(ids, 3)), e2); /* request order */
	assert_true(e2 != existing && plain != existing && plain != e2);
	json_decref(out);

	json_t *order = get_order(&fx->as_admin, existing);
	assert_string_equal(text_of(order, "amount"), "52000.00");
	json_decref(order);
	order = get_order(&fx->as_admin, e2);
	assert_string_equal(text_of(order, "status"), "open"); /* the later entry won */
	assert_int_equal(json_integer_value(json_object_get(order, "account_id")), account);
	json_decref(order);
	assert_int_equal(committed_int(fx, "SELECT COUNT(*) FROM orders"), 3);
	assert_int_equal(committed_int(fx, "SELECT SUM(amount_minor) FROM orders"), 10000100);

	/* An empty batch is fine and changes nothing. */
	rc = bulk(&fx->as_admin, &out, &err, "{\"orders\": []}");
	assert_int_equal(rc, 0);
	assert_int_equal(json_integer_value(json_object_get(out, "created")), 0);
	assert_int_equal(json_integer_value(json_object_get(out, "updated")), 0);
	assert_int_equal(json_array_size(json_object_get(out, "ids")), 0);
	json_decref(out);

	/* Re-sending the same batch updates, never duplicates. */
	const char *again = "{\"orders\": [{\"source\": \"erp\", \"external_ref\": \"E-1\"},"
	                    "{\"source\": \"erp\", \"external_ref\": \"E-2\"}]}";
	assert_int_equal(bulk(&fx->as_admin, &out, &err, "%s", again), 0);
	assert_int_equal(json_integer_value(json_object_get(out, "created")), 0);
	assert_int_equal(json_integer_value(json_object_get(out, "updated")), 2);
	json_decref(out);
	assert_int_equal(count_orders(fx), 3);
}

static void test_bulk_body_shape(void **state)
{
	struct fixture *fx = *state;
	const char *const shapes[] = {"[]",
	                              "{}",
	                              "{\"orders\": {}}",
	                              "{\"orders\": null}",
	                              "{\"orders\": \"[]\"}",
	                              "{\"orders\": [], \"dry_run\": true}",
	                              "{\"order\": []}",
	                              "42"};
	for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
		json_t *out = NULL;
		struct gx_error err = {0};
		int rc = bulk(&fx->as_admin, &out, &err, "%s", shapes[i]);
		if (rc != GX_EBADREQUEST || strcmp(err.field, "orders") != 0)
			fail_msg("bulk %s: %d field \"%s\"", shapes[i], rc, err.field);
		assert_null(out);
	}

	/* More than 10,000 is too large before any is looked at ... */
	json_t *many = json_array();
	for (int i = 0; i < 10001; i++)
		json_array_append_new(many, json_null());
	json_t *body = json_pack("{s:O}", "orders", many);
	json_t *out = NULL;
	struct gx_error err = {0};
	assert_int_equal(orders_bulk(&fx->as_admin, body, &out, &err), GX_ETOOLARGE);
	assert_string_equal(err.field, "orders");
	assert_null(out);
	/* ... 10,000 are allowed in (and here fail on the first, which is not an order). */
	json_array_remove(many, 0);
	assert_int_equal(orders_bulk(&fx->as_admin, body, &out, &err), GX_EBADREQUEST);
	assert_string_equal(err.field, "orders[0]");
	assert_null(out);
	json_decref(body);
	json_decref(many);
	assert_int_equal(count_orders(fx), 0);
}

/* ---- tiers ---------------------------------------------------------------------------- */

static void test_tier_thresholds(void **state)
{
	struct fixture *fx = *state;
	const struct config *config =
	    &fx->config; /* defaults: silver 100,000.00, gold 1,000,000.00 */
	assert_string_equal(orders_tier(config, 0), "bronze");
	assert_string_equal(orders_tier(config, -500), "bronze");
	assert_string_equal(orders_tier(config, INT64_MIN), "bronze");
	assert_string_equal(orders_tier(config, 9999999), "bronze");
	assert_string_equal(orders_tier(config, 10000000), "silver");
	assert_string_equal(orders_tier(config, 99999999), "silver");
	assert_string_equal(orders_tier(config, 100000000), "gold");
	assert_string_equal(orders_tier(config, INT64_MAX), "gold");

	struct config custom = fx->config;
	custom.tier_silver = 100;
	custom.tier_gold = 500;
	assert_string_equal(orders_tier(&custom, 99), "bronze");
	assert_string_equal(orders_tier(&custom, 100), "silver");
	assert_string_equal(orders_tier(&custom, 499), "silver");
	assert_string_equal(orders_tier(&custom, 500), "gold");
	custom.tier_silver = 0;
	custom.tier_gold = 0;
	assert_string_equal(orders_tier(&custom, 0), "gold");
	assert_string_equal(orders_tier(&custom, -1), "bronze");
}

static void test_tier_follows_completed_revenue(void **state)
{
	struct fixture *fx = *state;
	int64_t account = make_account(&fx->as_admin, "Acme");
	int64_t contact = make_contact(&fx->as_admin, "Jane Doe", account);
	int64_t bystander = make_contact(&fx->as_admin, "John Roe", account);
#define TIER_FMT                                                                                   \
	"{\"contact_id\": %lld, \"ordered_at\": \"%s\", \"amount\": \"%s\", \"status\": \"%s\", "  \
	"\"currency\": \"%s\"}"

	int64_t first = put_id(&fx->as_admin, 1, TIER_FMT, (long long)contact, AT, "99999.99",
	                       "completed", "CNY");
	assert_tier(fx, "accounts", account, "bronze");
	assert_tier(fx, "contacts", contact, "bronze");
	/* One cent more reaches silver exactly at the threshold. */
	int64_t cent =
	    put_id(&fx->as_admin, 1, TIER_FMT, (long long)contact, AT, "0.01", "completed", "CNY");
	assert_tier(fx, "accounts", account, "silver");
	assert_tier(fx, "contacts", contact, "silver");
	assert_tier(fx, "contacts", bystander, "bronze");
	/* Open orders, other currencies, cancelled and returned ones do not count. */
	int64_t big =
	    put_id(&fx->as_admin, 1, TIER_FMT, (long long)contact, AT, "900000.00", "open", "CNY");
	put_id(&fx->as_admin, 1, TIER_FMT, (long long)contact, AT, "5000000.00", "completed",
	       "USD");
	put_id(&fx->as_admin, 1, TIER_FMT, (long long)contact, AT, "5000000.00", "cancelled",
	       "CNY");
	put_id(&fx->as_admin, 1, TIER_FMT, (long long)contact, AT, "5000000.00", "returned", "CNY");
	assert_tier(fx, "accounts", account, "silver");
	assert_tier(fx, "contacts", contact, "silver");

	/* Completing the open order lifts both to gold at once (1,000,000.00 exactly) ... */
	patch_ok(&fx->as_admin, big, "{\"status\": \"completed\"}");
	assert_tier(fx, "accounts", account, "gold");
	assert_tier(fx, "contacts", contact, "gold");
	json_t *record = NULL;
	struct gx_error err = {0};
	assert_int_equal(records_get(&fx->as_admin, &account_kind, account, &record, &err), 0);
	assert_string_equal(text_of(record, "tier"), "gold");
	json_decref(record);

	/* ... and the way back down: cancelling, a smaller amount, another currency, deleting. */
	patch_ok(&fx->as_admin, big, "{\"status\": \"cancelled\"}");
	assert_tier(fx, "accounts", account, "silver");
	assert_tier(fx, "contacts", contact, "silver");
	patch_ok(&fx->as_admin, big, "{\"status\": \"completed\"}");
	assert_tier(fx, "accounts", account, "gold");
	patch_ok(&fx->as_admin, big, "{\"amount\": \"899999.99\"}");
	assert_tier(fx, "accounts", account, "silver");
	patch_ok(&fx->as_admin, big, "{\"amount\": \"900000.00\"}");
	assert_tier(fx, "accounts", account, "gold");
	patch_ok(&fx->as_admin, big, "{\"currency\": \"EUR\"}");
	assert_tier(fx, "accounts", account, "silver");
	assert_tier(fx, "contacts", contact, "silver");
	assert_int_equal(records_delete(&fx->as_admin, &order_kind, cent, &err), 0);
	assert_tier(fx, "accounts", account, "bronze");
	assert_tier(fx, "contacts", contact, "bronze");
	assert_int_equal(records_delete(&fx->as_admin, &order_kind, first, &err), 0);
	assert_tier(fx, "accounts", account, "bronze");

	/* The thresholds come from the settings. */
	fx->config.tier_silver = 100;
	fx->config.tier_gold = 200;
	put_id(&fx->as_admin, 1, TIER_FMT, (long long)bystander, AT, "1.50", "completed", "CNY");
	assert_tier(fx, "contacts", bystander, "silver");
	assert_tier(fx, "accounts", account, "silver"); /* recomputed from all its orders */
	assert_int_equal(committed_int(fx, "SELECT COUNT(*) FROM accounts WHERE tier = 'silver'"),
	                 1);
}
#undef TIER_FMT

static void test_moving_an_order_recomputes_both_accounts(void **state)
{
	struct fixture *fx = *state;
	int64_t a = make_account(&fx->as_admin, "Alpha");
	int64_t b = make_account(&fx->as_admin, "Beta");
	int64_t ca = make_contact(&fx->as_admin, "Ann", a);
	int64_t cb = make_contact(&fx->as_admin, "Bob", b);
	int64_t order = put_id(&fx->as_admin, 1,
	                       "{\"contact_id\": %lld, \"ordered_at\": \"%s\", \"amount\": "
	                       "\"100000.00\", \"source\": \"erp\", \"external_ref\": \"M-1\"}",
	                       (long long)ca, AT);
	assert_tier(fx, "accounts", a, "silver");
	assert_tier(fx, "contacts", ca, "silver");
	assert_tier(fx, "accounts", b, "bronze");

	/* Moved by a PATCH: the customer it left goes down, the one it joined goes up. */
	json_decref(patch(&fx->as_admin, order, "{\"account_id\": %lld, \"contact_id\": %lld}",
	                  (long long)b, (long long)cb));
	assert_tier(fx, "accounts", a, "bronze");
	assert_tier(fx, "contacts", ca, "bronze");
	assert_tier(fx, "accounts", b, "silver");
	assert_tier(fx, "contacts", cb, "silver");

	/* Moved back by the ERP re-sending it. */
	json_decref(put(&fx->as_admin, 0,
	                "{\"source\": \"erp\", \"external_ref\": \"M-1\", \"account_id\": %lld, "
	                "\"contact_id\": %lld}",
	                (long long)a, (long long)ca));
	assert_tier(fx, "accounts", a, "silver");
	assert_tier(fx, "contacts", ca, "silver");
	assert_tier(fx, "accounts", b, "bronze");
	assert_tier(fx, "contacts", cb, "bronze");

	/* Only the contact moves: the account keeps the revenue, the contacts swap tiers. */
	json_decref(patch(&fx->as_admin, order, "{\"contact_id\": %lld}", (long long)cb));
	assert_tier(fx, "accounts", a, "silver");
	assert_tier(fx, "accounts", b, "bronze");
	assert_tier(fx, "contacts", ca, "bronze");
	assert_tier(fx, "contacts", cb, "silver");

	/* Off the account entirely (contact only): the account drops. */
	json_decref(patch(&fx->as_admin, order, "{\"account_id\": null}"));
	assert_tier(fx, "accounts", a, "bronze");
	assert_tier(fx, "contacts", cb, "silver");
	assert_int_equal(committed_int(fx, "SELECT COUNT(*) FROM contacts WHERE tier = 'silver'"),
	                 1);
}

static void test_tier_write_failure_rolls_back_the_order(void **state)
{
	struct fixture *fx = *state;
	int64_t account = make_account(&fx->as_admin, "Acme");
	int64_t contact = make_contact(&fx->as_admin, "Jane Doe", account);
	must_exec(fx->store, "CREATE TRIGGER refuse_account_tier BEFORE UPDATE OF tier ON accounts "
	                     "BEGIN SELECT RAISE(ABORT, 'tier write refused'); END");
#define REFUSE_FMT                                                                                 \
	"{\"contact_id\": %lld, \"ordered_at\": \"%s\", \"amount\": \"%s\", \"status\": \"%s\"}"

	/* An order that leaves the tier as it is writes no tier, so it goes through. */
	put_id(&fx->as_admin, 1, REFUSE_FMT, (long long)contact, AT, "10.00", "completed");
	int64_t open =
	    put_id(&fx->as_admin, 1, REFUSE_FMT, (long long)contact, AT, "100000.00", "open");
	int64_t orders_before = count_orders(fx), audit_before = count_order_audit(fx);

	/* One that lifts the tier fails as a whole: no order, no audit row, no tier. */
	json_t *body = jsonf(REFUSE_FMT, (long long)contact, AT, "100000.00", "completed"),
	       *out = NULL;
	struct gx_error err = {0};
	int created = 0;
	assert_true(orders_put(&fx->as_admin, body, &out, &created, &err) < 0);
	json_decref(body);
	assert_null(out);
	assert_int_equal(count_orders(fx), orders_before);
	assert_int_equal(count_order_audit(fx), audit_before);
	assert_tier(fx, "accounts", account, "bronze");
	assert_tier(fx, "contacts", contact, "bronze");

	/* So does a change that would complete the open order. */
	body = jsonf("{\"status\": \"completed\"}");
	assert_true(records_update(&fx->as_admin, &order_kind, open, body, &out, &err) < 0);
	json_decref(body);
	assert_null(out);
	json_t *order = get_order(&fx->as_admin, open);
	assert_string_equal(text_of(order, "status"), "open");
	assert_int_equal(json_integer_value(json_object_get(order, "version")), 1);
	json_decref(order);

	/* And a batch whose second order fails takes the first down with it. */
	assert_true(bulk(&fx->as_admin, &out, &err,
	                 "{\"orders\": [{\"contact_id\": %lld, \"ordered_at\": \"%s\", \"amount\": "
	                 "\"1.00\"}, {\"contact_id\": %lld, \"ordered_at\": \"%s\", \"amount\": "
	                 "\"200000.00\"}]}",
	                 (long long)contact, AT, (long long)contact, AT) < 0);
	assert_string_equal(err.field, "orders[1]");
	assert_int_equal(count_orders(fx), orders_before);

	/* The contact's tier is written after the account's: when only that fails, the account's
	 * already-written tier must be rolled back with the order. */
	must_exec(fx->store, "DROP TRIGGER refuse_account_tier");
	must_exec(fx->store, "CREATE TRIGGER refuse_contact_tier BEFORE UPDATE OF tier ON contacts "
	                     "BEGIN SELECT RAISE(ABORT, 'tier write refused'); END");
	body = jsonf(REFUSE_FMT, (long long)contact, AT, "100000.00", "completed");
	assert_true(orders_put(&fx->as_admin, body, &out, &created, &err) < 0);
	json_decref(body);
	assert_null(out);
	assert_tier(fx, "accounts", account, "bronze");
	assert_tier(fx, "contacts", contact, "bronze");
	assert_int_equal(count_orders(fx), orders_before);
	assert_int_equal(committed_int(fx, "SELECT COUNT(*) FROM orders"), orders_before);
	assert_int_equal(committed_int(fx, "SELECT COUNT(*) FROM accounts WHERE tier <> 'bronze'"),
	                 0);

	/* Without the trigger the same order goes through and lifts both. */
	must_exec(fx->store, "DROP TRIGGER refuse_contact_tier");
	put_id(&fx->as_admin, 1, REFUSE_FMT, (long long)contact, AT, "100000.00", "completed");
	assert_tier(fx, "accounts", account, "silver");
	assert_tier(fx, "contacts", contact, "silver");
}
#undef REFUSE_FMT

/* ---- lists ---------------------------------------------------------------------------- */

/* Pages through orders of one account, appending "amount#id" per row to out; returns the
 * number of pages. */
static int list_all(struct crm_ctx *ctx, int64_t account, const char *sort, int limit, char *out,
                    size_t size)
{
	json_t *filters = json_object();
	char id_text[32];
	snprintf(id_text, sizeof id_text, "%lld", (long long)account);
	json_object_set_new(filters, "account_id", json_string(id_text));
	char *cursor = NULL;
	int pages = 0;
	size_t len = 0;
	out[0] = '\0';
	for (;;) {
		struct list_query lq = {
		    .sort = sort, .cursor = cursor, .limit = limit, .filters = filters};
		json_t *page = NULL;
		struct gx_error err = {0};
		int rc = records_list(ctx, &order_kind, &lq, &page, &err);
		if (rc != 0)
			fail_msg("records_list sort=%s: %d %s", sort, rc, err.message);
		pages++;
		json_t *data = json_object_get(page, "data"), *row;
		size_t i;
		assert_true(json_array_size(data) <= (size_t)limit);
		json_array_foreach(data, i, row)
		{
			len += (size_t)snprintf(out + len, size - len, "%s%s#%lld", len ? " " : "",
			                        text_of(row, "amount"), (long long)id_of(row));
			assert_true(len < size);
		}
		free(cursor);
		cursor = NULL;
		json_t *next = json_object_get(page, "next_cursor");
		if (json_is_string(next)) {
			assert_int_equal(json_array_size(data), limit); /* only full pages go on */
			cursor = strdup(json_string_value(next));
		} else {
			assert_true(json_is_null(next));
		}
		json_decref(page);
		if (!cursor)
			break;
		assert_true(pages < 100);
	}
	json_decref(filters);
	return pages;
}

static void test_list_pages_by_amount(void **state)
{
	struct fixture *fx = *state;
	int64_t account = make_account(&fx->as_admin, "Acme");
	int64_t other = make_account(&fx->as_admin, "Other");
	/* Numerically, not as text: "100.00" < "20.00" as strings. */
	const char *const amounts[] = {"5.00",  "100.00",  "20.00", "20.00",
	                               "-3.00", "1000.00", "20.00", "0.50"};
	int64_t ids[8];
	for (int i = 0; i < 8; i++)
		ids[i] =
		    put_id(&fx->as_admin, 1,
		           "{\"account_id\": %lld, \"ordered_at\": \"%s\", \"amount\": \"%s\"}",
		           (long long)account, AT, amounts[i]);
	put_id(&fx->as_admin, 1,
	       "{\"account_id\": %lld, \"ordered_at\": \"%s\", \"amount\": \"7.00\"}",
	       (long long)other, AT);

	char want_up[512], want_down[512], got[512];
	snprintf(want_up, sizeof want_up,
	         "-3.00#%lld 0.50#%lld 5.00#%lld 20.00#%lld 20.00#%lld 20.00#%lld 100.00#%lld "
	         "1000.00#%lld",
	         (long long)ids[4], (long long)ids[7], (long long)ids[0], (long long)ids[2],
	         (long long)ids[3], (long long)ids[6], (long long)ids[1], (long long)ids[5]);
	snprintf(want_down, sizeof want_down,
	         "1000.00#%lld 100.00#%lld 20.00#%lld 20.00#%lld 20.00#%lld 5.00#%lld 0.50#%lld "
	         "-3.00#%lld",
	         (long long)ids[5], (long long)ids[1], (long long)ids[6], (long long)ids[3],
	         (long long)ids[2], (long long)ids[0], (long long)ids[7], (long long)ids[4]);

	/* Page sizes that split the run of equal amounts and that do not. */
	const int limits[] = {1, 2, 3, 4, 8, 500};
	const int pages_up[] = {8, 4, 3, 2, 1, 1};
	for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
		int pages = list_all(&fx->as_admin, account, "amount", limits[i], got, sizeof got);
		if (strcmp(got, want_up) != 0)
			fail_msg("sort=amount limit=%d:\n got %s\nwant %s", limits[i], got,
			         want_up);
		assert_int_equal(pages, pages_up[i]);
		list_all(&fx->as_admin, account, "-amount", limits[i], got, sizeof got);
		if (strcmp(got, want_down) != 0)
			fail_msg("sort=-amount limit=%d:\n got %s\nwant %s", limits[i], got,
			         want_down);
	}

	/* An amount cursor does not fit another sort. */
	json_t *page = NULL;
	struct gx_error err = {0};
	struct list_query lq = {.sort = "amount", .limit = 2};
	assert_int_equal(records_list(&fx->as_admin, &order_kind, &lq, &page, &err), 0);
	char *cursor = strdup(json_string_value(json_object_get(page, "next_cursor")));
	json_decref(page);
	lq = (struct list_query){.sort = "ordered_at", .limit = 2, .cursor = cursor};
	page = NULL;
	assert_int_equal(records_list(&fx->as_admin, &order_kind, &lq, &page, &err),
	                 GX_EBADREQUEST);
	assert_string_equal(err.field, "cursor");
	assert_null(page);
	free(cursor);
	/* Nor can orders be sorted by what is not sortable. */
	lq = (struct list_query){.sort = "cost", .limit = 2};
	assert_int_equal(records_list(&fx->as_admin, &order_kind, &lq, &page, &err),
	                 GX_EBADREQUEST);
	assert_string_equal(err.field, "sort");
}

/* ---- the 360 view --------------------------------------------------------------------- */

/* RFC 3339 for a moment days and an hour before now. */
static void days_ago(int days, char *out, size_t size)
{
	clock_format(clock_now() - (int64_t)days * 86400 - 3600, out, size);
}

static int64_t interaction(struct crm_ctx *ctx, const char *who, int64_t id, int days)
{
	char at[32];
	days_ago(days, at, sizeof at);
	return create(ctx, &interaction_kind,
	              "{\"%s\": %lld, \"channel\": \"phone\", \"direction\": \"inbound\", "
	              "\"occurred_at\": \"%s\"}",
	              who, (long long)id, at);
}

static int64_t order_at(struct crm_ctx *ctx, int64_t contact, int days, const char *amount,
                        const char *cost, const char *status, const char *currency)
{
	char at[32];
	days_ago(days, at, sizeof at);
	return put_id(
	    ctx, 1,
	    "{\"contact_id\": %lld, \"ordered_at\": \"%s\", \"amount\": \"%s\", \"cost\": "
	    "%s, \"status\": \"%s\", \"currency\": \"%s\"}",
	    (long long)contact, at, amount, cost, status, currency);
}

static json_t *figures(struct crm_ctx *ctx, const char *by, int64_t id)
{
	json_t *out = NULL;
	struct gx_error err = {0};
	if (customer360_figures(ctx, by, id, &out, &err) != 0)
		fail_msg("figures %s=%lld: %s", by, (long long)id, err.message);
	return out;
}

/* The figures as the test computes them from the customer's interaction and order rows. */
static json_t *figures_from_rows(struct crm_ctx *ctx, const char *by, int64_t id)
{
	char id_text[32];
	snprintf(id_text, sizeof id_text, "%lld", (long long)id);
	json_t *filters = json_object();
	json_object_set_new(filters, by, json_string(id_text));
	struct gx_error err = {0};
	json_t *rows = NULL, *row;
	size_t i;

	struct list_query lq = {.sort = "occurred_at", .limit = 500, .filters = filters};
	assert_int_equal(records_list(ctx, &interaction_kind, &lq, &rows, &err), 0);
	json_t *data = json_object_get(rows, "data");
	size_t n = json_array_size(data);
	json_t *first = n ? json_object_get(json_array_get(data, 0), "occurred_at") : NULL;
	json_t *latest = n ? json_object_get(json_array_get(data, n - 1), "occurred_at") : NULL;
	json_t *want = json_object();
	json_object_set_new(want, "interaction_count", json_integer((json_int_t)n));
	json_object_set(want, "first_contact_at", first ? first : json_null());
	json_object_set(want, "last_contact_at", latest ? latest : json_null());
	json_decref(rows);

	lq = (struct list_query){.sort = "ordered_at", .limit = 500, .filters = filters};
	assert_int_equal(records_list(ctx, &order_kind, &lq, &rows, &err), 0);
	data = json_object_get(rows, "data");
	int64_t revenue = 0, margin = 0;
	json_array_foreach(data, i, row)
	{
		int64_t amount = 0, cost = 0;
		if (strcmp(text_of(row, "status"), "completed") != 0 ||
		    strcmp(text_of(row, "currency"), ctx->config->currency) != 0)
			continue;
		assert_int_equal(money_parse(text_of(row, "amount"), &amount), 0);
		revenue += amount;
		if (json_is_string(json_object_get(row, "cost"))) {
			assert_int_equal(money_parse(text_of(row, "cost"), &cost), 0);
			margin += amount - cost;
		}
	}
	char text[32];
	n = json_array_size(data);
	json_object_set_new(want, "order_count", json_integer((json_int_t)n));
	money_format(revenue, text, sizeof text);
	json_object_set_new(want, "lifetime_revenue", json_string(text));
	money_format(margin, text, sizeof text);
	json_object_set_new(want, "lifetime_margin", json_string(text));
	json_object_set_new(want, "currency", json_string(ctx->config->currency));
	json_t *last = n ? json_object_get(json_array_get(data, n - 1), "ordered_at") : NULL;
	json_object_set(want, "last_order_at", last ? last : json_null());
	if (last) {
		int64_t t = 0;
		assert_int_equal(clock_parse(json_string_value(last), &t), 0);
		json_object_set_new(want, "days_since_last_order",
		                    json_integer((clock_now() - t) / 86400));
	} else {
		json_object_set_new(want, "days_since_last_order", json_null());
	}
	json_decref(rows);
	json_decref(filters);
	return want;
}

static void assert_json_equal(json_t *got, json_t *want)
{
	if (!json_equal(got, want)) {
		char *g = json_dumps(got, JSON_SORT_KEYS | JSON_COMPACT);
		char *w = json_dumps(want, JSON_SORT_KEYS | JSON_COMPACT);
		fail_msg("\n got %s\nwant %s", g, w);
	}
}

static void test_figures_agree_with_the_records(void **state)
{
	struct fixture *fx = *state;
	struct crm_ctx *ctx = &fx->as_admin;
	int64_t account = make_account(ctx, "Acme");
	int64_t ann = make_contact(ctx, "Ann", account);
	int64_t bob = make_contact(ctx, "Bob", account);
	interaction(ctx, "contact_id", ann, 30);
	interaction(ctx, "contact_id", ann, 5);
	interaction(ctx, "contact_id", bob, 20);
	interaction(ctx, "account_id", account, 40);
	order_at(ctx, ann, 25, "1000.00", "\"600.00\"", "completed", "CNY");
	order_at(ctx, ann, 10, "500.00", "null", "completed", "CNY");
	order_at(ctx, ann, 3, "9999.00", "\"1.00\"", "cancelled", "CNY");
	order_at(ctx, bob, 2, "300.00", "\"100.00\"", "completed", "USD");
	order_at(ctx, bob, 15, "250.50", "\"300.00\"", "completed", "CNY"); /* sold at a loss */

	char at[32];
	json_t *got = figures(ctx, "contact_id", ann);
	assert_int_equal(json_integer_value(json_object_get(got, "interaction_count")), 2);
	days_ago(30, at, sizeof at);
	assert_string_equal(text_of(got, "first_contact_at"), at);
	days_ago(5, at, sizeof at);
	assert_string_equal(text_of(got, "last_contact_at"), at);
	assert_int_equal(json_integer_value(json_object_get(got, "order_count")), 3);
	assert_string_equal(text_of(got, "lifetime_revenue"), "1500.00");
	assert_string_equal(text_of(got, "lifetime_margin"), "400.00");
	assert_string_equal(text_of(got, "currency"), "CNY");
	days_ago(3, at, sizeof at);
	assert_string_equal(text_of(got, "last_order_at"), at); /* any status is an order */
	assert_int_equal(json_integer_value(json_object_get(got, "days_since_last_order")), 3);
	json_t *want = figures_from_rows(ctx, "contact_id", ann);
	assert_json_equal(got, want);
	json_decref(want);
	json_decref(got);

	got = figures(ctx, "contact_id", bob);
	assert_string_equal(text_of(got, "lifetime_revenue"), "250.50");
	assert_string_equal(text_of(got, "lifetime_margin"), "-49.50");
	assert_int_equal(json_integer_value(json_object_get(got, "order_count")), 2);
	assert_int_equal(json_integer_value(json_object_get(got, "days_since_last_order")), 2);
	want = figures_from_rows(ctx, "contact_id", bob);
	assert_json_equal(got, want);
	json_decref(want);
	json_decref(got);

	/* The account gathers its people's records and its own. */
	got = figures(ctx, "account_id", account);
	assert_int_equal(json_integer_value(json_object_get(got, "interaction_count")), 4);
	days_ago(40, at, sizeof at);
	assert_string_equal(text_of(got, "first_contact_at"), at);
	assert_int_equal(json_integer_value(json_object_get(got, "order_count")), 5);
	assert_string_equal(text_of(got, "lifetime_revenue"), "1750.50");
	assert_string_equal(text_of(got, "lifetime_margin"), "350.50");
	want = figures_from_rows(ctx, "account_id", account);
	assert_json_equal(got, want);
	json_decref(want);
	json_decref(got);

	/* More orders than the view lists: the view shows the latest ten, the figures count all. */
	for (int i = 0; i < 10; i++)
		order_at(ctx, ann, 50 + i, "1.00", "null", "open", "CNY");
	json_t *view = NULL;
	struct gx_error err = {0};
	assert_int_equal(customer360_contact(ctx, ann, &view, &err), 0);
	assert_int_equal(id_of(json_object_get(view, "contact")), ann);
	assert_int_equal(id_of(json_object_get(view, "account")), account);
	got = figures(ctx, "contact_id", ann);
	assert_json_equal(json_object_get(view, "figures"), got);
	assert_int_equal(json_integer_value(json_object_get(got, "order_count")), 13);
	assert_string_equal(text_of(got, "lifetime_revenue"), "1500.00");
	json_decref(got);
	json_t *orders = json_object_get(view, "orders");
	assert_int_equal(json_array_size(orders), 10);
	days_ago(3, at, sizeof at);
	assert_string_equal(text_of(json_array_get(orders, 0), "ordered_at"),
	                    at); /* newest first */
	for (size_t i = 1; i < json_array_size(orders); i++)
		assert_true(strcmp(text_of(json_array_get(orders, i - 1), "ordered_at"),
		                   text_of(json_array_get(orders, i), "ordered_at")) >= 0);
	json_t *interactions = json_object_get(view, "interactions");
	assert_int_equal(json_array_size(interactions), 2);
	days_ago(5, at, sizeof at);
	assert_string_equal(text_of(json_array_get(interactions, 0), "occurred_at"), at);
	json_decref(view);

	assert_int_equal(customer360_account(ctx, account, &view, &err), 0);
	assert_int_equal(id_of(json_object_get(view, "account")), account);
	assert_true(json_is_null(json_object_get(view, "parent")));
	assert_int_equal(json_integer_value(json_object_get(view, "people_count")), 2);
	json_t *people = json_object_get(view, "people");
	assert_int_equal(json_array_size(people), 2);
	assert_string_equal(text_of(json_array_get(people, 0), "name"), "Ann");
	assert_string_equal(text_of(json_array_get(people, 1), "name"), "Bob");
	assert_int_equal(json_array_size(json_object_get(view, "orders")), 10);
	assert_int_equal(json_array_size(json_object_get(view, "interactions")), 4);
	want = figures_from_rows(ctx, "account_id", account);
	assert_json_equal(json_object_get(view, "figures"), want);
	json_decref(want);
	json_decref(view);

	/* A sales user of another team cannot read the view at all. */
	view = NULL;
	assert_int_equal(customer360_contact(&fx->as_north, ann, &view, &err), GX_ENOTFOUND);
	assert_null(view);
	assert_int_equal(customer360_account(&fx->as_north, account, &view, &err), GX_ENOTFOUND);
	assert_null(view);
}

static void test_figures_of_a_new_customer(void **state)
{
	struct fixture *fx = *state;
	struct crm_ctx *ctx = &fx->as_north;
	int64_t contact = make_contact(ctx, "张伟", 0);
	json_t *want = jsonf("{\"interaction_count\": 0, \"first_contact_at\": null, "
	                     "\"last_contact_at\": null, \"order_count\": 0, \"lifetime_revenue\": "
	                     "\"0.00\", \"lifetime_margin\": \"0.00\", \"currency\": \"CNY\", "
	                     "\"last_order_at\": null, \"days_since_last_order\": null}");
	json_t *got = figures(ctx, "contact_id", contact);
	assert_json_equal(got, want);
	json_decref(got);

	json_t *view = NULL;
	struct gx_error err = {0};
	assert_int_equal(customer360_contact(ctx, contact, &view, &err), 0);
	assert_int_equal(id_of(json_object_get(view, "contact")), contact);
	assert_true(json_is_null(json_object_get(view, "account")));
	assert_json_equal(json_object_get(view, "figures"), want);
	assert_int_equal(json_array_size(json_object_get(view, "interactions")), 0);
	assert_int_equal(json_array_size(json_object_get(view, "orders")), 0);
	assert_true(json_is_array(json_object_get(view, "orders")));
	json_decref(view);

	int64_t parent = make_account(ctx, "Parent Co");
	int64_t account = create(
	    ctx, &account_kind, "{\"name\": \"Child Co\", \"parent_id\": %lld}", (long long)parent);
	assert_int_equal(customer360_account(ctx, account, &view, &err), 0);
	assert_int_equal(id_of(json_object_get(view, "parent")), parent);
	assert_int_equal(json_integer_value(json_object_get(view, "people_count")), 0);
	assert_int_equal(json_array_size(json_object_get(view, "people")), 0);
	assert_json_equal(json_object_get(view, "figures"), want);
	assert_string_equal(text_of(json_object_get(view, "account"), "tier"), "bronze");
	json_decref(view);

	/* An account that does not exist is not found, not empty. */
	view = NULL;
	assert_int_equal(customer360_account(ctx, 424242, &view, &err), GX_ENOTFOUND);
	assert_null(view);
	assert_int_equal(customer360_contact(ctx, 424242, &view, &err), GX_ENOTFOUND);
	assert_null(view);
	json_decref(want);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_put_creates_with_defaults),
	    T(test_amount_must_be_a_decimal_string),
	    T(test_lines_compute_the_amount),
	    T(test_bad_lines_name_the_line),
	    T(test_line_totals_beyond_money_range_are_refused),
	    T(test_contact_only_order_takes_the_contacts_account),
	    T(test_put_is_idempotent_by_source_and_ref),
	    T(test_put_default_source_matches_api),
	    T(test_put_of_invisible_order_conflicts),
	    T(test_who_may_book_orders),
	    T(test_bulk_is_all_or_nothing),
	    T(test_bulk_creates_and_updates),
	    T(test_bulk_body_shape),
	    T(test_tier_thresholds),
	    T(test_tier_follows_completed_revenue),
	    T(test_moving_an_order_recomputes_both_accounts),
	    T(test_tier_write_failure_rolls_back_the_order),
	    T(test_list_pages_by_amount),
	    T(test_figures_agree_with_the_records),
	    T(test_figures_of_a_new_customer),
	};
#undef T
	return cmocka_run_group_tests(tests, testdb_group_setup, NULL);
}
