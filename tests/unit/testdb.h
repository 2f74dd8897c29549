/* testdb.h — fixture mechanisms shared by the unit tests that need a database: a fresh migrated
 * store in a temporary directory and its removal, users inserted straight into the table with a
 * placeholder password hash (nobody logs in; hashing costs ~0.1 s a user), a crm_ctx acting as a
 * user, SQL and JSON helpers that fail the test on error, and the usual group setup. Each test
 * file keeps its own fixture struct and decides which users it makes. Included by each test
 * file; everything is static. */
#ifndef GX_TEST_TESTDB_H
#define GX_TEST_TESTDB_H

#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE /* mkdtemp, strdup, setenv also without the Makefile's -D flags */
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "crm/users.h"
#include "store/store.h"

#define TESTDB_UNUSED __attribute__((unused))

/* Removes the files of dir (not recursive) and dir itself. */
TESTDB_UNUSED static void testdb_remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	char path[512];
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

/* Makes the directory /tmp/gx-<name>-XXXXXX in dir, then opens and migrates the database
 * <dir>/guanxi.db (its name left in path) into *store. 0, or -1 with nothing left behind. */
TESTDB_UNUSED static int testdb_open(char *dir, size_t dir_size, char *path, size_t path_size,
                                     const char *name, struct store **store)
{
	snprintf(dir, dir_size, "/tmp/gx-%s-XXXXXX", name);
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, path_size, "%s/guanxi.db", dir);
	struct gx_error err = {0};
	if (store_open(store, path, &err) < 0 || store_migrate(*store, &err) < 0) {
		store_close(*store);
		*store = NULL;
		testdb_remove_dir(dir);
		return -1;
	}
	return 0;
}

/* A user with a placeholder password hash; the id, or -1. team may be NULL. */
TESTDB_UNUSED static int64_t testdb_insert_user(struct store *store, const char *username,
                                                const char *role, const char *team, int active)
{
	struct gx_error err = {0};
	struct store_stmt *stmt =
	    store_prepare(store,
	                  "INSERT INTO users(username, password_hash, role, team, active, "
	                  "created_at, updated_at) "
	                  "VALUES (?, '$argon2id$placeholder', ?, ?, ?, 1, 1)",
	                  &err);
	if (!stmt)
		return -1;
	store_bind_text(stmt, 1, username);
	store_bind_text(stmt, 2, role);
	store_bind_text(stmt, 3, team);
	store_bind_int(stmt, 4, active);
	if (store_exec(stmt, &err) < 0)
		return -1;
	return store_last_insert_id(store);
}

/* The same, active; fails the test on error. */
TESTDB_UNUSED static int64_t testdb_add_user(struct store *store, const char *username,
                                             const char *role, const char *team)
{
	int64_t id = testdb_insert_user(store, username, role, team, 1);
	if (id <= 0)
		fail_msg("insert user %s failed", username);
	return id;
}

/* Fills *ctx to act as user_id (users_actor); 0, or < 0 with err filled when user_id > 0. */
TESTDB_UNUSED static int testdb_ctx_init(struct store *store, struct config *config,
                                         int64_t user_id, struct crm_ctx *ctx, struct gx_error *err)
{
	*ctx = (struct crm_ctx){.store = store, .config = config};
	return user_id > 0 ? users_actor(store, user_id, &ctx->actor, err) : -1;
}

/* A crm_ctx acting as user_id; fails the test when the user cannot act. */
TESTDB_UNUSED static struct crm_ctx testdb_ctx(struct store *store, struct config *config,
                                               int64_t user_id)
{
	struct crm_ctx ctx;
	struct gx_error err = {0};
	if (testdb_ctx_init(store, config, user_id, &ctx, &err) < 0)
		fail_msg("users_actor(%lld): %s", (long long)user_id, err.message);
	return ctx;
}

TESTDB_UNUSED static int testdb_group_setup(void **state)
{
	(void)state;
	log_set_level(LOG_ERROR); /* "migrated database to schema N" on every test is noise */
	return sodium_init() < 0 ? -1 : 0;
}

/* Runs one statement; its store_exec result (GX_EINTERNAL when it does not prepare). err may
 * be NULL. */
TESTDB_UNUSED static int testdb_exec(struct store *store, const char *sql, struct gx_error *err)
{
	struct gx_error local = {0};
	if (!err)
		err = &local;
	struct store_stmt *stmt = store_prepare(store, sql, err);
	if (!stmt)
		return GX_EINTERNAL;
	return store_exec(stmt, err);
}

/* Runs one statement; fails the test on error. */
TESTDB_UNUSED static void must_exec(struct store *store, const char *sql)
{
	struct gx_error err = {0};
	int rc = testdb_exec(store, sql, &err);
	if (rc != 0)
		fail_msg("%s: %d %s", sql, rc, err.message);
}

TESTDB_UNUSED static struct store_stmt *testdb_prepare(struct store *store, const char *sql)
{
	struct gx_error err = {0};
	struct store_stmt *stmt = store_prepare(store, sql, &err);
	if (!stmt)
		fail_msg("%s: %s", sql, err.message);
	return stmt;
}

TESTDB_UNUSED static int64_t testdb_first_int(struct store_stmt *stmt)
{
	struct gx_error err = {0};
	assert_int_equal(store_step(stmt, &err), STORE_ROW);
	int64_t v = store_col_int(stmt, 0);
	store_done(stmt);
	return v;
}

/* The integer in the first column of the first row; fails the test when there is no row. */
TESTDB_UNUSED static int64_t query_int(struct store *store, const char *sql)
{
	return testdb_first_int(testdb_prepare(store, sql));
}

/* The same with id bound to the one placeholder. */
TESTDB_UNUSED static int64_t query_int_id(struct store *store, const char *sql, int64_t id)
{
	struct store_stmt *stmt = testdb_prepare(store, sql);
	store_bind_int(stmt, 1, id);
	return testdb_first_int(stmt);
}

/* JSON text; fails the test when it does not parse. Caller frees. */
TESTDB_UNUSED static json_t *parse(const char *text)
{
	json_error_t jerr;
	json_t *v = json_loads(text, 0, &jerr);
	if (!v)
		fail_msg("bad JSON in test: %s: %s", text, jerr.text);
	return v;
}

/* JSON text with %lld (or any printf) substitutions. */
static json_t *parsef(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
TESTDB_UNUSED static json_t *parsef(const char *fmt, ...)
{
	char text[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	return parse(text);
}

TESTDB_UNUSED static const char *str(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

TESTDB_UNUSED static int64_t num(const json_t *obj, const char *key)
{
	return json_integer_value(json_object_get(obj, key));
}

#endif
