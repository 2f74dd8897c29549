/* test_sql.c — crm/sql: the statement builder keeps text and bound values in step (values are
 * bound, never spliced; NULL; the bind limit; search sources with their own placeholder in the
 * middle of a query), and the visibility clause answers "who sees what" for every role: sales see
 * their own and their team's records, a sales user without a team only their own, unowned records
 * nobody on sales, interactions and orders through their contact or their account, and every
 * other role everything. */
#include "testdb.h"

#include "crm/sql.h"

struct fixture {
	char dir[64];
	struct store *store;
	/* user ids */
	int64_t north1, north2, south1, loner, boss;
};

/* Records: accounts 1..5 and contacts 1..5 owned by north1, north2, south1, loner and nobody;
 * interactions (and orders, the same) 1..5:
 *   1: contact 1 (north1) only        2: account 3 (south1) only
 *   3: contact 3 (south1), account 1 (north1)   4: contact 1 (north1), account 3 (south1)
 *   5: contact 5 (unowned), account 5 (unowned) */
static void seed(struct fixture *fx)
{
	char sql[256];
	int64_t owners[5] = {fx->north1, fx->north2, fx->south1, fx->loner, 0};
	for (int i = 0; i < 5; i++) {
		char owner[24] = "NULL";
		if (owners[i])
			snprintf(owner, sizeof owner, "%lld", (long long)owners[i]);
		snprintf(sql, sizeof sql,
		         "INSERT INTO accounts(id, name, owner_id, created_at, updated_at) "
		         "VALUES (%d, 'a%d', %s, 1, 1)",
		         i + 1, i + 1, owner);
		must_exec(fx->store, sql);
		snprintf(sql, sizeof sql,
		         "INSERT INTO contacts(id, name, owner_id, created_at, updated_at) "
		         "VALUES (%d, 'c%d', %s, 1, 1)",
		         i + 1, i + 1, owner);
		must_exec(fx->store, sql);
	}
	static const char *const links[5] = {"1, NULL", "NULL, 3", "3, 1", "1, 3", "5, 5"};
	for (int i = 0; i < 5; i++) {
		snprintf(
		    sql, sizeof sql,
		    "INSERT INTO interactions(id, contact_id, account_id, channel, direction, "
		    "occurred_at, created_at, updated_at) VALUES (%d, %s, 'phone', 'inbound', 1, "
		    "1, 1)",
		    i + 1, links[i]);
		must_exec(fx->store, sql);
		snprintf(sql, sizeof sql,
		         "INSERT INTO orders(id, contact_id, account_id, ordered_at, amount_minor, "
		         "currency, created_at, updated_at) VALUES (%d, %s, 1, 100, 'CNY', 1, 1)",
		         i + 1, links[i]);
		must_exec(fx->store, sql);
	}
}

static int setup(void **state)
{
	log_set_level(LOG_ERROR);
	struct fixture *fx = calloc(1, sizeof *fx);
	if (!fx)
		return -1;
	char path[128];
	if (testdb_open(fx->dir, sizeof fx->dir, path, sizeof path, "sql", &fx->store) < 0)
		return -1;
	fx->north1 = testdb_add_user(fx->store, "north1", "sales", "north");
	fx->north2 = testdb_add_user(fx->store, "north2", "sales", "north");
	fx->south1 = testdb_add_user(fx->store, "south1", "sales", "south");
	fx->loner = testdb_add_user(fx->store, "loner", "sales", NULL);
	fx->boss = testdb_add_user(fx->store, "boss", "manager", "north");
	seed(fx);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	store_close(fx->store);
	testdb_remove_dir(fx->dir);
	free(fx);
	return 0;
}

static struct actor make_actor(int64_t id, enum role role, const char *username, const char *team)
{
	struct actor a = {.user_id = id, .role = role};
	snprintf(a.username, sizeof a.username, "%s", username);
	snprintf(a.team, sizeof a.team, "%s", team);
	return a;
}

/* The ids of `table` the actor sees, as "1,2,3". */
static void visible_ids(struct fixture *fx, const struct actor *actor, const char *table,
                        enum access_kind kind, char *out, size_t size)
{
	struct sql q = {0};
	sql_add(&q, "SELECT r.id FROM ");
	sql_add(&q, table);
	sql_add(&q, " r WHERE ");
	sql_visible(&q, actor, kind);
	sql_add(&q, " ORDER BY r.id");
	struct gx_error err = {0};
	struct store_stmt *stmt = sql_prepare(&q, fx->store, &err);
	sql_free(&q);
	assert_non_null(stmt);
	out[0] = '\0';
	int rc;
	while ((rc = store_step(stmt, &err)) == STORE_ROW)
		snprintf(out + strlen(out), size - strlen(out), "%s%lld", out[0] ? "," : "",
		         (long long)store_col_int(stmt, 0));
	store_done(stmt);
	assert_int_equal(rc, STORE_DONE);
}

static void assert_sees(struct fixture *fx, const struct actor *actor, const char *want_accounts,
                        const char *want_contacts, const char *want_interactions)
{
	char got[128];
	visible_ids(fx, actor, "accounts", ACCESS_ACCOUNT, got, sizeof got);
	assert_string_equal(got, want_accounts);
	visible_ids(fx, actor, "contacts", ACCESS_CONTACT, got, sizeof got);
	assert_string_equal(got, want_contacts);
	visible_ids(fx, actor, "interactions", ACCESS_INTERACTION, got, sizeof got);
	assert_string_equal(got, want_interactions);
	visible_ids(fx, actor, "orders", ACCESS_ORDER, got, sizeof got);
	assert_string_equal(got, want_interactions); /* orders are linked the same way */
}

/* ---- the builder ---------------------------------------------------------------------- */

static void test_values_are_bound_in_order(void **state)
{
	struct fixture *fx = *state;
	struct sql q = {0};
	sql_add(&q, "SELECT ");
	sql_int(&q, -42);
	sql_add(&q, ", ");
	sql_text(&q, "张伟");
	sql_add(&q, ", ");
	sql_text(&q, NULL);
	sql_add(&q, ", ");
	sql_int(&q, INT64_MAX);
	assert_string_equal(buf_text(&q.text), "SELECT ?, ?, ?, ?");
	assert_int_equal(q.nbinds, 4);
	struct gx_error err = {0};
	struct store_stmt *stmt = sql_prepare(&q, fx->store, &err);
	sql_free(&q);
	assert_non_null(stmt);
	assert_int_equal(store_step(stmt, &err), STORE_ROW);
	assert_int_equal(store_col_int(stmt, 0), -42);
	assert_string_equal(store_col_text(stmt, 1), "张伟");
	assert_true(store_col_is_null(stmt, 2));
	assert_int_equal(store_col_int(stmt, 3), INT64_MAX);
	store_done(stmt);
}

static void test_text_is_never_spliced(void **state)
{
	struct fixture *fx = *state;
	const char *evil = "x' OR 1=1; DROP TABLE users; --";
	struct sql q = {0};
	sql_add(&q, "SELECT COUNT(*) FROM users WHERE username = ");
	sql_text(&q, evil);
	assert_null(strstr(buf_text(&q.text), "DROP"));
	struct gx_error err = {0};
	struct store_stmt *stmt = sql_prepare(&q, fx->store, &err);
	sql_free(&q);
	assert_non_null(stmt);
	assert_int_equal(store_step(stmt, &err), STORE_ROW);
	assert_int_equal(store_col_int(stmt, 0), 0);
	store_done(stmt);
}

static void test_value_is_copied(void **state)
{
	struct fixture *fx = *state;
	char name[16] = "north1";
	struct sql q = {0};
	sql_add(&q, "SELECT id FROM users WHERE username = ");
	sql_text(&q, name);
	memcpy(name, "south1", 7);
	struct gx_error err = {0};
	struct store_stmt *stmt = sql_prepare(&q, fx->store, &err);
	sql_free(&q);
	assert_int_equal(store_step(stmt, &err), STORE_ROW);
	assert_int_equal(store_col_int(stmt, 0), fx->north1);
	store_done(stmt);
}

static void test_bind_limit(void **state)
{
	struct fixture *fx = *state;
	struct gx_error err = {0};
	/* Exactly the limit works. */
	struct sql q = {0};
	sql_add(&q, "SELECT 0");
	for (int i = 0; i < SQL_MAX_BINDS; i++) {
		sql_add(&q, " + ");
		sql_int(&q, i);
	}
	struct store_stmt *stmt = sql_prepare(&q, fx->store, &err);
	sql_free(&q);
	assert_non_null(stmt);
	assert_int_equal(store_step(stmt, &err), STORE_ROW);
	assert_int_equal(store_col_int(stmt, 0), SQL_MAX_BINDS * (SQL_MAX_BINDS - 1) / 2);
	store_done(stmt);
	/* One more fails the whole query instead of running it with a value missing. */
	struct sql over = {0};
	sql_add(&over, "SELECT 0");
	for (int i = 0; i <= SQL_MAX_BINDS; i++) {
		sql_add(&over, " || ");
		sql_text(&over, "v");
	}
	assert_true(over.failed);
	assert_null(sql_prepare(&over, fx->store, &err));
	assert_int_equal(err.code, GX_EINTERNAL);
	sql_free(&over);
	assert_int_equal(over.nbinds, 0);
}

static void test_prepare_reports_bad_sql(void **state)
{
	struct fixture *fx = *state;
	struct sql q = {0};
	sql_add(&q, "SELECT FROM WHERE ");
	sql_int(&q, 1);
	struct gx_error err = {0};
	assert_null(sql_prepare(&q, fx->store, &err));
	assert_int_equal(err.code, GX_EINTERNAL);
	sql_free(&q);
}

static void test_search_source_between_other_binds(void **state)
{
	struct fixture *fx = *state;
	struct gx_error err = {0};
	assert_int_equal(
	    store_search_put(fx->store, STORE_INDEX_CONTACTS, 1, "|张伟|zhangwei|zw", &err), 0);
	assert_int_equal(
	    store_search_put(fx->store, STORE_INDEX_CONTACTS, 2, "|张小伟|zhangxiaowei|zxw", &err),
	    0);
	assert_int_equal(
	    store_search_put(fx->store, STORE_INDEX_CONTACTS, 3, "|李娜|lina|ln", &err), 0);
	const char *needles[] = {"张", "zhang"}; /* a scan and a trigram match */
	for (size_t i = 0; i < 2; i++) {
		struct sql q = {0};
		sql_add(&q, "SELECT r.id, ");
		sql_text(&q, "before");
		sql_add(&q, " FROM contacts r WHERE r.id >= ");
		sql_int(&q, 2);
		sql_add(&q, " AND ");
		sql_search(&q, "r.id", STORE_INDEX_CONTACTS, needles[i]);
		sql_add(&q, " AND r.name <> ");
		sql_text(&q, "nobody");
		sql_add(&q, " ORDER BY r.id");
		assert_int_equal(q.nbinds, 4);
		assert_non_null(strstr(buf_text(&q.text), "r.id IN ("));
		struct store_stmt *stmt = sql_prepare(&q, fx->store, &err);
		sql_free(&q);
		assert_non_null(stmt);
		assert_int_equal(store_step(stmt, &err), STORE_ROW);
		assert_int_equal(store_col_int(stmt, 0), 2);
		assert_string_equal(store_col_text(stmt, 1), "before");
		assert_int_equal(store_step(stmt, &err), STORE_DONE);
		store_done(stmt);
	}
}

/* ---- visibility ----------------------------------------------------------------------- */

static void test_unlimited_roles_see_everything(void **state)
{
	struct fixture *fx = *state;
	const enum role roles[] = {ROLE_ADMIN, ROLE_MANAGER, ROLE_SERVICE, ROLE_MARKETING,
	                           ROLE_FINANCE};
	for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++) {
		struct actor a = make_actor(fx->boss, roles[i], "boss", "north");
		assert_sees(fx, &a, "1,2,3,4,5", "1,2,3,4,5", "1,2,3,4,5");
		struct sql q = {0};
		sql_visible(&q, &a, ACCESS_CONTACT);
		assert_string_equal(buf_text(&q.text), "1 = 1");
		assert_int_equal(q.nbinds, 0);
		sql_free(&q);
	}
	struct actor system = access_system_actor();
	assert_sees(fx, &system, "1,2,3,4,5", "1,2,3,4,5", "1,2,3,4,5");
}

static void test_sales_sees_own_and_team(void **state)
{
	struct fixture *fx = *state;
	struct actor north1 = make_actor(fx->north1, ROLE_SALES, "north1", "north");
	/* Accounts/contacts 1 (own) and 2 (teammate); interactions via contact 1 or account 1. */
	assert_sees(fx, &north1, "1,2", "1,2", "1,3,4");
	struct actor north2 = make_actor(fx->north2, ROLE_SALES, "north2", "north");
	assert_sees(fx, &north2, "1,2", "1,2", "1,3,4");
}

static void test_sales_other_team(void **state)
{
	struct fixture *fx = *state;
	struct actor south1 = make_actor(fx->south1, ROLE_SALES, "south1", "south");
	/* Interaction 2 has account 3 only; 3 has contact 3; 4 has account 3. */
	assert_sees(fx, &south1, "3", "3", "2,3,4");
}

static void test_sales_without_team_sees_only_own(void **state)
{
	struct fixture *fx = *state;
	struct actor loner = make_actor(fx->loner, ROLE_SALES, "loner", "");
	assert_sees(fx, &loner, "4", "4", "");
	struct sql q = {0};
	sql_visible(&q, &loner, ACCESS_ACCOUNT);
	assert_string_equal(buf_text(&q.text), "r.owner_id = ?");
	assert_int_equal(q.nbinds, 1);
	assert_int_equal(q.binds[0].i, fx->loner);
	sql_free(&q);
}

static void test_sales_team_moves_with_the_users_table(void **state)
{
	struct fixture *fx = *state;
	struct actor north1 = make_actor(fx->north1, ROLE_SALES, "north1", "north");
	/* south1 joins north: their records become visible to north at once. */
	must_exec(fx->store, "UPDATE users SET team = 'north' WHERE username = 'south1'");
	assert_sees(fx, &north1, "1,2,3", "1,2,3", "1,2,3,4");
}

static void test_sales_with_unknown_team_sees_own_only(void **state)
{
	struct fixture *fx = *state;
	/* The actor's team is what the session said; a team nobody else has gives only own rows,
	 * and unowned rows stay hidden. */
	struct actor odd = make_actor(fx->north1, ROLE_SALES, "north1", "o'brien \"team\"");
	assert_sees(fx, &odd, "1", "1", "1,3,4");
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_values_are_bound_in_order),
	    T(test_text_is_never_spliced),
	    T(test_value_is_copied),
	    T(test_bind_limit),
	    T(test_prepare_reports_bad_sql),
	    T(test_search_source_between_other_binds),
	    T(test_unlimited_roles_see_everything),
	    T(test_sales_sees_own_and_team),
	    T(test_sales_other_team),
	    T(test_sales_without_team_sees_only_own),
	    T(test_sales_team_moves_with_the_users_table),
	    T(test_sales_with_unknown_team_sees_own_only),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
