/* test_store.c — store/sqlite: migrations (fresh, repeated, refused when the file is newer than
 * the binary), nested transactions, the statement cache, constraint errors mapped to GX_E* codes,
 * online backup, the search sources (the guanxi_short index below three code points, FTS5
 * trigram from three, in Chinese too), bulk mode and unjournaled loads. Every test gets a fresh
 * database file in its own temp directory. */
#include "testdb.h"

#include <sys/stat.h>

#include "store/migrations.h"

struct fixture {
	char dir[64];
	char path[128];
	struct store *store;
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof *fx);
	if (!fx)
		return -1;
	if (testdb_open(fx->dir, sizeof fx->dir, fx->path, sizeof fx->path, "store", &fx->store) <
	    0) {
		free(fx);
		return -1;
	}
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

static int64_t count_rows(struct store *store, const char *table)
{
	char sql[128];
	snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM %s", table);
	return query_int(store, sql);
}

static void insert_user(struct store *store, const char *username)
{
	testdb_add_user(store, username, "sales", NULL);
}

/* ---- migrations ----------------------------------------------------------------------- */

static void test_migrate_reaches_latest_version(void **state)
{
	struct fixture *fx = *state;
	struct gx_error err = {0};
	int version = -1;
	assert_int_equal(store_schema_version(fx->store, &version, &err), 0);
	assert_int_equal(version, store_schema_latest());
	assert_true(store_migration_count >= 1);
	assert_int_equal(store_schema_latest(),
	                 store_migrations[store_migration_count - 1].version);
	/* The schema is there. */
	assert_int_equal(query_int(fx->store, "SELECT COUNT(*) FROM sqlite_master WHERE type = "
	                                      "'table' AND name IN ('users', 'tokens', 'accounts', "
	                                      "'contacts', 'interactions', 'orders', 'audit', "
	                                      "'search_contacts', 'search_accounts')"),
	                 9);
	assert_int_equal(query_int(fx->store, "PRAGMA foreign_keys"), 1);
}

static void test_fresh_file_has_version_zero(void **state)
{
	struct fixture *fx = *state;
	char path[192];
	snprintf(path, sizeof path, "%s/fresh.db", fx->dir);
	struct store *fresh = NULL;
	struct gx_error err = {0};
	assert_int_equal(store_open(&fresh, path, &err), 0);
	int version = -1;
	assert_int_equal(store_schema_version(fresh, &version, &err), 0);
	assert_int_equal(version, 0);
	assert_int_equal(query_int(fresh, "SELECT COUNT(*) FROM sqlite_master"), 0);
	store_close(fresh);
}

static void test_reopening_migrated_file_is_noop(void **state)
{
	struct fixture *fx = *state;
	struct gx_error err = {0};
	insert_user(fx->store, "alice");
	int64_t objects = query_int(fx->store, "SELECT COUNT(*) FROM sqlite_master");
	store_close(fx->store);

	assert_int_equal(store_open(&fx->store, fx->path, &err), 0);
	assert_int_equal(store_migrate(fx->store, &err), 0);
	assert_int_equal(store_migrate(fx->store, &err), 0);
	int version = -1;
	assert_int_equal(store_schema_version(fx->store, &version, &err), 0);
	assert_int_equal(version, store_schema_latest());
	assert_int_equal(query_int(fx->store, "SELECT COUNT(*) FROM sqlite_master"), objects);
	assert_int_equal(count_rows(fx->store, "users"), 1); /* nothing was re-created */
}

static void test_newer_file_is_refused(void **state)
{
	struct fixture *fx = *state;
	char sql[64];
	int newer = store_schema_latest() + 1;
	snprintf(sql, sizeof sql, "PRAGMA user_version = %d", newer);
	must_exec(fx->store, sql);
	store_close(fx->store);

	struct gx_error err = {0};
	assert_int_equal(store_open(&fx->store, fx->path, &err), 0);
	assert_int_equal(store_migrate(fx->store, &err), GX_ECONFLICT);
	assert_int_equal(err.code, GX_ECONFLICT);
	char want[32];
	snprintf(want, sizeof want, "version %d", newer);
	assert_non_null(strstr(err.message, want));
	assert_non_null(strstr(err.message, "newer guanxi"));
	int version = -1;
	assert_int_equal(store_schema_version(fx->store, &version, &err), 0);
	assert_int_equal(version, newer); /* left as it was */
}

static void test_open_fails_cleanly_for_bad_path(void **state)
{
	(void)state;
	struct store *store = (struct store *)&state; /* stale pointer that must be cleared */
	struct gx_error err = {0};
	assert_int_equal(store_open(&store, "/nonexistent-dir/x/y.db", &err), GX_EINTERNAL);
	assert_null(store);
	assert_int_equal(err.code, GX_EINTERNAL);
	assert_non_null(strstr(err.message, "/nonexistent-dir/x/y.db"));
}

/* ---- transactions --------------------------------------------------------------------- */

static void test_commit_keeps_rows(void **state)
{
	struct fixture *fx = *state;
	struct gx_error err = {0};
	assert_int_equal(store_begin(fx->store, &err), 0);
	insert_user(fx->store, "a");
	assert_int_equal(store_begin(fx->store, &err), 0);
	insert_user(fx->store, "b");
	assert_int_equal(store_commit(fx->store, &err), 0);
	assert_int_equal(store_commit(fx->store, &err), 0);
	assert_int_equal(count_rows(fx->store, "users"), 2);
	store_close(fx->store); /* and they are on disk */
	assert_int_equal(store_open(&fx->store, fx->path, &err), 0);
	assert_int_equal(count_rows(fx->store, "users"), 2);
}

static void test_inner_rollback_fails_outer_commit(void **state)
{
	struct fixture *fx = *state;
	struct gx_error err = {0};
	assert_int_equal(store_begin(fx->store, &err), 0);
	insert_user(fx->store, "outer");
	assert_int_equal(store_begin(fx->store, &err), 0);
	insert_user(fx->store, "inner");
	store_rollback(fx->store);
	insert_user(fx->store, "after");
	err = (struct gx_error){0};
	assert_int_equal(store_commit(fx->store, &err), GX_EINTERNAL);
	assert_int_equal(err.code, GX_EINTERNAL);
	assert_int_equal(count_rows(fx->store, "users"), 0);
	/* The next transaction starts clean. */
	assert_int_equal(store_begin(fx->store, &err), 0);
	insert_user(fx->store, "next");
	assert_int_equal(store_commit(fx->store, &err), 0);
	assert_int_equal(count_rows(fx->store, "users"), 1);
}

static void test_rollback_at_depth_three(void **state)
{
	struct fixture *fx = *state;
	struct gx_error err = {0};
	assert_int_equal(store_begin(fx->store, &err), 0);
	assert_int_equal(store_begin(fx->store, &err), 0);
	assert_int_equal(store_begin(fx->store, &err), 0);
	insert_user(fx->store, "deep");
	store_rollback(fx->store);
	assert_int_equal(store_commit(fx->store, &err), 0); /* middle level: deferred */
	assert_int_equal(store_commit(fx->store, &err), GX_EINTERNAL);
	assert_int_equal(count_rows(fx->store, "users"), 0);
}

static void test_outer_rollback_discards_inner_commit(void **state)
{
	struct fixture *fx = *state;
	struct gx_error err = {0};
	assert_int_equal(store_begin(fx->store, &err), 0);
	assert_int_equal(store_begin(fx->store, &err), 0);
	insert_user(fx->store, "inner");
	assert_int_equal(store_commit(fx->store, &err), 0);
	store_rollback(fx->store);
	assert_int_equal(count_rows(fx->store, "users"), 0);
}

static void test_unbalanced_commit_and_rollback(void **state)
{
	struct fixture *fx = *state;
	struct gx_error err = {0};
	assert_int_equal(store_commit(fx->store, &err), GX_EINTERNAL);
	store_rollback(fx->store); /* nothing to roll back: harmless */
	insert_user(fx->store, "autocommit");
	assert_int_equal(count_rows(fx->store, "users"), 1);
}

/* ---- statements ----------------------------------------------------------------------- */

static void test_statement_cache_returns_same_working_statement(void **state)
{
	struct fixture *fx = *state;
	struct gx_error err = {0};
	const char *sql = "SELECT ? + 1";
	struct store_stmt *first = store_prepare(fx->store, sql, &err);
	assert_non_null(first);
	for (int i = 0; i < 100; i++) {
		struct store_stmt *stmt = store_prepare(fx->store, sql, &err);
		assert_ptr_equal(stmt, first);
		store_bind_int(stmt, 1, i);
		assert_int_equal(store_step(stmt, &err), STORE_ROW);
		assert_int_equal(store_col_int(stmt, 0), i + 1);
		assert_int_equal(store_step(stmt, &err), STORE_DONE);
		/* No store_done(): the next prepare resets it. */
	}
}

static void test_statement_cache_resets_and_clears_bindings(void **state)
{
	struct fixture *fx = *state;
	struct gx_error err = {0};
	for (int i = 0; i < 3; i++) {
		char name[16];
		snprintf(name, sizeof name, "u%d", i);
		insert_user(fx->store, name);
	}
	const char *sql = "SELECT username, ? FROM users ORDER BY id";
	struct store_stmt *stmt = store_prepare(fx->store, sql, &err);
	store_bind_text(stmt, 1, "bound");
	assert_int_equal(store_step(stmt, &err), STORE_ROW);
	assert_string_equal(store_col_text(stmt, 0), "u0");
	assert_int_equal(store_step(stmt, &err), STORE_ROW);
	assert_string_equal(store_col_text(stmt, 1), "bound");
	/* Half way through: asking again starts over, with the old binding gone. */
	stmt = store_prepare(fx->store, sql, &err);
	assert_int_equal(store_step(stmt, &err), STORE_ROW);
	assert_string_equal(store_col_text(stmt, 0), "u0");
	assert_true(store_col_is_null(stmt, 1));
	assert_null(store_col_text(stmt, 1));
	store_done(stmt);
}

static void test_statement_cache_survives_growth(void **state)
{
	struct fixture *fx = *state;
	struct gx_error err = {0};
	struct store_stmt *first = store_prepare(fx->store, "SELECT 'first'", &err);
	assert_non_null(first);
	/* Many distinct texts force the table to grow several times. */
	for (int i = 0; i < 300; i++) {
		char sql[64];
		snprintf(sql, sizeof sql, "SELECT %d * 2", i);
		struct store_stmt *stmt = store_prepare(fx->store, sql, &err);
		assert_non_null(stmt);
		assert_int_equal(store_step(stmt, &err), STORE_ROW);
		assert_int_equal(store_col_int(stmt, 0), i * 2);
		store_done(stmt);
	}
	for (int i = 299; i >= 0; i -= 37) {
		char sql[64];
		snprintf(sql, sizeof sql, "SELECT %d * 2", i);
		struct store_stmt *stmt = store_prepare(fx->store, sql, &err);
		assert_int_equal(store_step(stmt, &err), STORE_ROW);
		assert_int_equal(store_col_int(stmt, 0), i * 2);
		store_done(stmt);
	}
	struct store_stmt *again = store_prepare(fx->store, "SELECT 'first'", &err);
	assert_ptr_equal(again, first);
	assert_int_equal(store_step(again, &err), STORE_ROW);
	assert_string_equal(store_col_text(again, 0), "first");
	store_done(again);
}

static void test_prepare_syntax_error(void **state)
{
	struct fixture *fx = *state;
	struct gx_error err = {0};
	assert_null(store_prepare(fx->store, "SELEC 1", &err));
	assert_int_equal(err.code, GX_EINTERNAL);
	/* The message never carries internals. */
	assert_null(strstr(err.message, "SELEC"));
	assert_null(store_prepare(fx->store, "SELECT * FROM no_such_table", &err));
	assert_int_equal(err.code, GX_EINTERNAL);
}

static void test_binding_kinds_and_columns(void **state)
{
	struct fixture *fx = *state;
	struct gx_error err = {0};
	struct store_stmt *stmt = store_prepare(fx->store, "SELECT ?, ?, ?, ?", &err);
	store_bind_int(stmt, 1, INT64_MIN);
	store_bind_text(stmt, 2, "张伟 ünïcode");
	store_bind_text(stmt, 3, NULL);
	store_bind_null(stmt, 4);
	assert_int_equal(store_step(stmt, &err), STORE_ROW);
	assert_int_equal(store_col_int(stmt, 0), INT64_MIN);
	assert_string_equal(store_col_text(stmt, 1), "张伟 ünïcode");
	assert_true(store_col_is_null(stmt, 2));
	assert_true(store_col_is_null(stmt, 3));
	assert_false(store_col_is_null(stmt, 0));
	store_done(stmt);
}

static void test_text_binding_is_copied(void **state)
{
	struct fixture *fx = *state;
	struct gx_error err = {0};
	char name[16] = "copied";
	struct store_stmt *stmt = store_prepare(
	    fx->store,
	    "INSERT INTO users(username, password_hash, role, created_at, updated_at) "
	    "VALUES (?, '!', 'admin', 1, 1)",
	    &err);
	store_bind_text(stmt, 1, name);
	memcpy(name, "garbage", 8);
	assert_int_equal(store_exec(stmt, &err), 0);
	assert_int_equal(
	    query_int(fx->store, "SELECT COUNT(*) FROM users WHERE username = 'copied'"), 1);
}

static void test_last_insert_id_and_changes(void **state)
{
	struct fixture *fx = *state;
	insert_user(fx->store, "one");
	int64_t first = store_last_insert_id(fx->store);
	insert_user(fx->store, "two");
	assert_int_equal(store_last_insert_id(fx->store), first + 1);
	assert_int_equal(store_changes(fx->store), 1);
	must_exec(fx->store, "UPDATE users SET display_name = 'x'");
	assert_int_equal(store_changes(fx->store), 2);
	must_exec(fx->store, "DELETE FROM users WHERE id < 0");
	assert_int_equal(store_changes(fx->store), 0);
}

/* ---- constraint errors ---------------------------------------------------------------- */

static void test_unique_violation_is_conflict(void **state)
{
	struct fixture *fx = *state;
	insert_user(fx->store, "dup");
	struct gx_error err = {0};
	assert_int_equal(testdb_exec(fx->store,
	                             "INSERT INTO users(username, password_hash, role, created_at, "
	                             "updated_at) VALUES ('dup', '!', 'sales', 1, 1)",
	                             &err),
	                 GX_ECONFLICT);
	assert_int_equal(err.code, GX_ECONFLICT);
	/* A primary key too. */
	int64_t id = store_last_insert_id(fx->store);
	char sql[200];
	snprintf(sql, sizeof sql,
	         "INSERT INTO users(id, username, password_hash, role, created_at, updated_at) "
	         "VALUES (%lld, 'other', '!', 'sales', 1, 1)",
	         (long long)id);
	assert_int_equal(testdb_exec(fx->store, sql, &err), GX_ECONFLICT);
	assert_int_equal(count_rows(fx->store, "users"), 1);
}

static void test_foreign_key_violation_is_validation(void **state)
{
	struct fixture *fx = *state;
	struct gx_error err = {0};
	assert_int_equal(
	    testdb_exec(fx->store,
	                "INSERT INTO contacts(name, account_id, created_at, updated_at) "
	                "VALUES ('x', 999, 1, 1)",
	                &err),
	    GX_EVALIDATION);
	assert_int_equal(err.code, GX_EVALIDATION);
	assert_int_equal(count_rows(fx->store, "contacts"), 0);
	/* Deleting a referenced row too. */
	must_exec(fx->store,
	          "INSERT INTO accounts(id, name, created_at, updated_at) VALUES (7, 'a', 1, 1)");
	must_exec(
	    fx->store,
	    "INSERT INTO contacts(name, account_id, created_at, updated_at) VALUES ('c', 7, 1, 1)");
	assert_int_equal(testdb_exec(fx->store, "DELETE FROM accounts WHERE id = 7", &err),
	                 GX_EVALIDATION);
	assert_int_equal(count_rows(fx->store, "accounts"), 1);
}

static void test_check_and_not_null_violation_is_validation(void **state)
{
	struct fixture *fx = *state;
	struct gx_error err = {0};
	assert_int_equal(testdb_exec(fx->store,
	                             "INSERT INTO users(username, password_hash, role, created_at, "
	                             "updated_at) VALUES ('k', '!', 'king', 1, 1)",
	                             &err),
	                 GX_EVALIDATION);
	assert_int_equal(
	    testdb_exec(fx->store,
	                "INSERT INTO accounts(name, created_at, updated_at) VALUES (NULL, 1, 1)",
	                &err),
	    GX_EVALIDATION);
	assert_int_equal(testdb_exec(fx->store,
	                             "INSERT INTO interactions(channel, direction, occurred_at, "
	                             "created_at, updated_at) VALUES ('phone', 'inbound', 1, 1, 1)",
	                             &err),
	                 GX_EVALIDATION); /* neither contact nor account */
}

/* ---- backup --------------------------------------------------------------------------- */

static void test_backup_copies_rows(void **state)
{
	struct fixture *fx = *state;
	struct gx_error err = {0};
	insert_user(fx->store, "kept");
	must_exec(
	    fx->store,
	    "INSERT INTO accounts(name, created_at, updated_at) VALUES ('上海华东贸易', 1, 2)");
	must_exec(fx->store, "INSERT INTO search_accounts(id, doc) VALUES (1, '|上海华东贸易')");
	char dest[192];
	snprintf(dest, sizeof dest, "%s/backup.db", fx->dir);
	assert_int_equal(store_backup(fx->store, dest, &err), 0);
	/* Later changes do not reach the copy. */
	insert_user(fx->store, "later");

	struct store *copy = NULL;
	assert_int_equal(store_open(&copy, dest, &err), 0);
	int version = -1;
	assert_int_equal(store_schema_version(copy, &version, &err), 0);
	assert_int_equal(version, store_schema_latest());
	assert_int_equal(count_rows(copy, "users"), 1);
	struct store_stmt *stmt =
	    store_prepare(copy, "SELECT name, updated_at FROM accounts", &err);
	assert_int_equal(store_step(stmt, &err), STORE_ROW);
	assert_string_equal(store_col_text(stmt, 0), "上海华东贸易");
	assert_int_equal(store_col_int(stmt, 1), 2);
	store_done(stmt);
	/* The search index came along and answers. */
	assert_int_equal(query_int(copy, "SELECT COUNT(*) FROM search_accounts_fts WHERE "
	                                 "search_accounts_fts MATCH '\"华东贸\"'"),
	                 1);
	store_close(copy);
}

static void test_backup_refuses_existing_file(void **state)
{
	struct fixture *fx = *state;
	struct gx_error err = {0};
	assert_int_equal(store_backup(fx->store, fx->path, &err), GX_ECONFLICT);
	assert_int_equal(err.code, GX_ECONFLICT);
	char bad[192];
	snprintf(bad, sizeof bad, "%s/missing-dir/backup.db", fx->dir);
	assert_int_equal(store_backup(fx->store, bad, &err), GX_EINTERNAL);
}

/* ---- search sources ------------------------------------------------------------------- */

/* The ids whose document contains needle, as a comma-separated list. */
static void search_ids(struct store *store, enum store_index index, const char *needle, char *out,
                       size_t size)
{
	struct gx_error err = {0};
	char sql[512];
	snprintf(sql, sizeof sql, "SELECT id FROM %s ORDER BY id",
	         store_search_source(index, needle));
	struct store_stmt *stmt = store_prepare(store, sql, &err);
	assert_non_null(stmt);
	store_search_bind(stmt, 1, needle);
	out[0] = '\0';
	int rc;
	while ((rc = store_step(stmt, &err)) == STORE_ROW)
		snprintf(out + strlen(out), size - strlen(out), "%s%lld", out[0] ? "," : "",
		         (long long)store_col_int(stmt, 0));
	assert_int_equal(rc, STORE_DONE);
	store_done(stmt);
}

static void assert_found(struct store *store, enum store_index index, const char *needle,
                         const char *want)
{
	char got[256];
	search_ids(store, index, needle, got, sizeof got);
	if (strcmp(got, want) != 0)
		fail_msg("needle \"%s\": ids [%s], want [%s]", needle, got, want);
}

static void put_doc(struct store *store, enum store_index index, int64_t id, const char *doc)
{
	struct gx_error err = {0};
	assert_int_equal(store_search_put(store, index, id, doc, &err), 0);
}

static void seed_contact_docs(struct store *store)
{
	put_doc(store, STORE_INDEX_CONTACTS, 1,
	        "|张伟|zhangwei|zw|上海华东贸易有限公司|13800138000|8613800138000");
	put_doc(store, STORE_INDEX_CONTACTS, 2, "|王小明|wangxiaoming|wxm|janewang@example.com");
	put_doc(store, STORE_INDEX_CONTACTS, 3, "|janedoe|jd|vip");
	put_doc(store, STORE_INDEX_CONTACTS, 10, "|张小伟|zhangxiaowei|zxw");
}

static void test_search_source_picks_short_or_trigram(void **state)
{
	(void)state;
	/* Code points, not bytes: 张伟 is six bytes but two characters. */
	assert_non_null(strstr(store_search_source(STORE_INDEX_CONTACTS, "张伟"), "_short"));
	assert_non_null(strstr(store_search_source(STORE_INDEX_CONTACTS, "zw"), "_short"));
	assert_non_null(
	    strstr(store_search_source(STORE_INDEX_ACCOUNTS, "a"), "search_accounts_short"));
	assert_non_null(strstr(store_search_source(STORE_INDEX_CONTACTS, "张小伟"), "MATCH"));
	assert_non_null(strstr(store_search_source(STORE_INDEX_CONTACTS, "abc"), "MATCH"));
	assert_non_null(
	    strstr(store_search_source(STORE_INDEX_ACCOUNTS, "abc"), "search_accounts_fts"));
	for (int i = 0; i < 2; i++) {
		const char *needles[] = {"z", "张伟", "zhangwei"};
		for (size_t j = 0; j < 3; j++) {
			const char *src = store_search_source((enum store_index)i, needles[j]);
			const char *q = strchr(src, '?');
			assert_non_null(q);
			assert_null(strchr(q + 1, '?')); /* exactly one placeholder */
		}
	}
}

static void test_search_short_needles_find_substrings(void **state)
{
	struct fixture *fx = *state;
	seed_contact_docs(fx->store);
	assert_found(fx->store, STORE_INDEX_CONTACTS, "张", "1,10");
	assert_found(fx->store, STORE_INDEX_CONTACTS, "张伟", "1");
	assert_found(fx->store, STORE_INDEX_CONTACTS, "小伟", "10");
	assert_found(fx->store, STORE_INDEX_CONTACTS, "zw", "1");
	assert_found(fx->store, STORE_INDEX_CONTACTS, "jd", "3");
	assert_found(fx->store, STORE_INDEX_CONTACTS, "ja", "2,3");
	assert_found(fx->store, STORE_INDEX_CONTACTS, "13", "1"); /* a phone number's start */
	assert_found(fx->store, STORE_INDEX_CONTACTS, "q", "");
	/* Latin letters and digits: the start of a field only, not inside a word. */
	assert_found(fx->store, STORE_INDEX_CONTACTS, "w", "2");
	assert_found(fx->store, STORE_INDEX_CONTACTS, "an", "");
	assert_found(fx->store, STORE_INDEX_CONTACTS, "00", "");
	/* A two-character phrase needs its characters adjacent, in order. */
	assert_found(fx->store, STORE_INDEX_CONTACTS, "伟张", "");
}

static void test_search_long_needles_find_substrings(void **state)
{
	struct fixture *fx = *state;
	seed_contact_docs(fx->store);
	assert_found(fx->store, STORE_INDEX_CONTACTS, "zhangwei", "1");
	assert_found(fx->store, STORE_INDEX_CONTACTS, "angw", "1"); /* mid-word */
	assert_found(fx->store, STORE_INDEX_CONTACTS, "wei", "1,10");
	assert_found(fx->store, STORE_INDEX_CONTACTS, "华东贸易", "1");
	assert_found(fx->store, STORE_INDEX_CONTACTS, "张小伟", "10");
	assert_found(fx->store, STORE_INDEX_CONTACTS, "有限公司", "1");
	assert_found(fx->store, STORE_INDEX_CONTACTS, "0013800", "1");
	assert_found(fx->store, STORE_INDEX_CONTACTS, "8613800138000", "1");
	assert_found(fx->store, STORE_INDEX_CONTACTS, "example", "2");
	assert_found(fx->store, STORE_INDEX_CONTACTS, "jane", "2,3");
	assert_found(fx->store, STORE_INDEX_CONTACTS, "张大伟", "");
	assert_found(fx->store, STORE_INDEX_CONTACTS, "zhangweix", "");
}

static void test_search_needle_with_quote_or_fts_syntax(void **state)
{
	struct fixture *fx = *state;
	seed_contact_docs(fx->store);
	put_doc(fx->store, STORE_INDEX_CONTACTS, 4, "|say\"hi\"now|a OR b");
	assert_found(fx->store, STORE_INDEX_CONTACTS, "y\"hi", "4");
	assert_found(fx->store, STORE_INDEX_CONTACTS, "a OR b", "4");
	assert_found(fx->store, STORE_INDEX_CONTACTS, "NOT", ""); /* a word, not an operator */
	assert_found(fx->store, STORE_INDEX_CONTACTS, "wei*", "");
}

static void test_search_put_replaces_and_removes(void **state)
{
	struct fixture *fx = *state;
	seed_contact_docs(fx->store);
	put_doc(fx->store, STORE_INDEX_CONTACTS, 1, "|李娜|lina|ln");
	assert_found(fx->store, STORE_INDEX_CONTACTS, "zhangwei", "");
	assert_found(fx->store, STORE_INDEX_CONTACTS, "张伟", "");
	assert_found(fx->store, STORE_INDEX_CONTACTS, "lina", "1");
	assert_found(fx->store, STORE_INDEX_CONTACTS, "李娜", "1");
	put_doc(fx->store, STORE_INDEX_CONTACTS, 1, NULL);
	assert_found(fx->store, STORE_INDEX_CONTACTS, "lina", "");
	assert_found(fx->store, STORE_INDEX_CONTACTS, "李", "");
	assert_int_equal(count_rows(fx->store, "search_contacts"), 3);
	/* Removing what is not there is fine. */
	put_doc(fx->store, STORE_INDEX_CONTACTS, 999, NULL);
}

static void test_search_indexes_are_separate(void **state)
{
	struct fixture *fx = *state;
	seed_contact_docs(fx->store);
	put_doc(fx->store, STORE_INDEX_ACCOUNTS, 5, "|上海华东贸易有限公司|shanghaihuadongmaoyi");
	assert_found(fx->store, STORE_INDEX_ACCOUNTS, "华东", "5");
	assert_found(fx->store, STORE_INDEX_ACCOUNTS, "华东贸易", "5");
	assert_found(fx->store, STORE_INDEX_ACCOUNTS, "zhangwei", "");
	assert_found(fx->store, STORE_INDEX_ACCOUNTS, "张", "");
	assert_found(fx->store, STORE_INDEX_CONTACTS, "huadong", "");
}

/* ---- bulk mode ------------------------------------------------------------------------ */

static void test_bulk_mode_toggles_durability(void **state)
{
	struct fixture *fx = *state;
	struct gx_error err = {0};
	assert_int_equal(query_int(fx->store, "PRAGMA synchronous"), 2); /* FULL */
	assert_int_equal(store_bulk_mode(fx->store, 1, &err), 0);
	assert_int_equal(query_int(fx->store, "PRAGMA synchronous"), 1); /* NORMAL */
	assert_int_equal(store_begin(fx->store, &err), 0);
	for (int i = 0; i < 50; i++) {
		char name[16];
		snprintf(name, sizeof name, "bulk%d", i);
		insert_user(fx->store, name);
	}
	assert_int_equal(store_commit(fx->store, &err), 0);
	assert_int_equal(store_bulk_mode(fx->store, 0, &err), 0);
	assert_int_equal(query_int(fx->store, "PRAGMA synchronous"), 2);
	/* Off checkpoints: the WAL is folded into the main file and truncated. */
	char wal[192];
	snprintf(wal, sizeof wal, "%s-wal", fx->path);
	struct stat st;
	assert_int_equal(stat(wal, &st), 0);
	assert_int_equal(st.st_size, 0);
	store_close(fx->store);
	assert_int_equal(store_open(&fx->store, fx->path, &err), 0);
	assert_int_equal(count_rows(fx->store, "users"), 50);
	struct store_stmt *stmt = store_prepare(fx->store, "PRAGMA journal_mode", &err);
	assert_int_equal(store_step(stmt, &err), STORE_ROW);
	assert_string_equal(store_col_text(stmt, 0), "wal");
	store_done(stmt);
}

static const char *journal_mode(struct store *store)
{
	static char mode[16];
	struct gx_error err = {0};
	struct store_stmt *stmt = store_prepare(store, "PRAGMA journal_mode", &err);
	assert_int_equal(store_step(stmt, &err), STORE_ROW);
	snprintf(mode, sizeof mode, "%s", store_col_text(stmt, 0));
	store_done(stmt);
	return mode;
}

static void test_unjournaled_load_ends_durable_in_wal(void **state)
{
	struct fixture *fx = *state;
	struct gx_error err = {0};
	assert_int_equal(store_unjournaled_load(fx->store, 1, &err), 0);
	assert_string_equal(journal_mode(fx->store), "off");
	assert_int_equal(query_int(fx->store, "PRAGMA synchronous"), 0);
	assert_int_not_equal(query_int(fx->store, "PRAGMA application_id"), 0);
	assert_int_equal(store_begin(fx->store, &err), 0);
	insert_user(fx->store, "loaded");
	assert_int_equal(store_commit(fx->store, &err), 0);
	assert_int_equal(store_unjournaled_load(fx->store, 0, &err), 0);
	assert_string_equal(journal_mode(fx->store), "wal");
	assert_int_equal(query_int(fx->store, "PRAGMA synchronous"), 2);
	assert_int_equal(query_int(fx->store, "PRAGMA application_id"), 0);
	store_close(fx->store);
	assert_int_equal(store_open(&fx->store, fx->path, &err), 0);
	assert_int_equal(count_rows(fx->store, "users"), 1);
}

/* The mark of a load that never finished (what a crash leaves): the file is refused. */
static void test_unfinished_unjournaled_load_is_refused(void **state)
{
	struct fixture *fx = *state;
	struct gx_error err = {0};
	assert_int_equal(store_unjournaled_load(fx->store, 1, &err), 0);
	store_close(fx->store);
	fx->store = NULL;
	assert_int_equal(store_open(&fx->store, fx->path, &err), GX_ECONFLICT);
	assert_null(fx->store);
	assert_non_null(strstr(err.message, "interrupted"));
	assert_non_null(strstr(err.message, fx->path));
}

/* Another connection to the file: the journal cannot go, and nothing is left marked. */
static void test_unjournaled_load_needs_the_only_connection(void **state)
{
	struct fixture *fx = *state;
	struct gx_error err = {0};
	struct store *other = NULL;
	assert_int_equal(store_open(&other, fx->path, &err), 0);
	assert_int_equal(count_rows(other, "users"), 0); /* holds its view of the WAL */
	assert_int_equal(store_unjournaled_load(fx->store, 1, &err), GX_ECONFLICT);
	assert_string_equal(journal_mode(fx->store), "wal");
	assert_int_equal(query_int(fx->store, "PRAGMA application_id"), 0);
	store_close(other);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_migrate_reaches_latest_version),
	    T(test_fresh_file_has_version_zero),
	    T(test_reopening_migrated_file_is_noop),
	    T(test_newer_file_is_refused),
	    cmocka_unit_test(test_open_fails_cleanly_for_bad_path),
	    T(test_commit_keeps_rows),
	    T(test_inner_rollback_fails_outer_commit),
	    T(test_rollback_at_depth_three),
	    T(test_outer_rollback_discards_inner_commit),
	    T(test_unbalanced_commit_and_rollback),
	    T(test_statement_cache_returns_same_working_statement),
	    T(test_statement_cache_resets_and_clears_bindings),
	    T(test_statement_cache_survives_growth),
	    T(test_prepare_syntax_error),
	    T(test_binding_kinds_and_columns),
	    T(test_text_binding_is_copied),
	    T(test_last_insert_id_and_changes),
	    T(test_unique_violation_is_conflict),
	    T(test_foreign_key_violation_is_validation),
	    T(test_check_and_not_null_violation_is_validation),
	    T(test_backup_copies_rows),
	    T(test_backup_refuses_existing_file),
	    cmocka_unit_test(test_search_source_picks_short_or_trigram),
	    T(test_search_short_needles_find_substrings),
	    T(test_search_long_needles_find_substrings),
	    T(test_search_needle_with_quote_or_fts_syntax),
	    T(test_search_put_replaces_and_removes),
	    T(test_search_indexes_are_separate),
	    T(test_bulk_mode_toggles_durability),
	    T(test_unjournaled_load_ends_durable_in_wal),
	    T(test_unfinished_unjournaled_load_is_refused),
	    T(test_unjournaled_load_needs_the_only_connection),
	};
#undef T
	return cmocka_run_group_tests(tests, testdb_group_setup, NULL);
}
