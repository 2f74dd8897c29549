/* quality_fixture.h — the fixture shared by the data-quality tests (test_duplicates, test_merge,
 * test_quality, test_privacy): a fresh migrated database in a temporary directory, users of two
 * sales teams, a manager and finance, a crm_ctx for each, and helpers that fail the test on
 * error. Included by each test file; everything is static. */
#ifndef GX_TEST_QUALITY_FIXTURE_H
#define GX_TEST_QUALITY_FIXTURE_H

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
#include "crm/records.h"
#include "crm/users.h"

struct fixture {
	char dir[64];
	char path[128];
	struct store *store;
	struct config config;
	int64_t admin, alice, carol, mona, fiona;
	struct crm_ctx system;
	struct crm_ctx as_admin;   /* admin */
	struct crm_ctx as_alice;   /* sales, team north */
	struct crm_ctx as_carol;   /* sales, team south */
	struct crm_ctx as_manager; /* mona, manager */
	struct crm_ctx as_finance; /* fiona, finance */
};

static void fx_remove_dir(const char *dir)
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

static int64_t fx_insert_user(struct store *store, const char *username, const char *role,
                              const char *team)
{
	struct gx_error err = {0};
	struct store_stmt *stmt =
	    store_prepare(store,
	                  "INSERT INTO users(username, password_hash, role, team, active, "
	                  "created_at, updated_at) "
	                  "VALUES (?, '$argon2id$placeholder', ?, ?, 1, 1, 1)",
	                  &err);
	if (!stmt)
		return -1;
	store_bind_text(stmt, 1, username);
	store_bind_text(stmt, 2, role);
	store_bind_text(stmt, 3, team);
	if (store_exec(stmt, &err) < 0)
		return -1;
	return store_last_insert_id(store);
}

static struct crm_ctx fx_ctx(struct fixture *fx, int64_t user_id)
{
	struct crm_ctx ctx = {.store = fx->store, .config = &fx->config};
	struct gx_error err = {0};
	if (users_actor(fx->store, user_id, &ctx.actor, &err) < 0)
		fail_msg("users_actor(%lld): %s", (long long)user_id, err.message);
	return ctx;
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof *fx);
	if (!fx)
		return -1;
	snprintf(fx->dir, sizeof fx->dir, "/tmp/gx-quality-XXXXXX");
	if (!mkdtemp(fx->dir)) {
		free(fx);
		return -1;
	}
	snprintf(fx->path, sizeof fx->path, "%s/guanxi.db", fx->dir);
	struct gx_error err = {0};
	if (store_open(&fx->store, fx->path, &err) < 0 || store_migrate(fx->store, &err) < 0) {
		store_close(fx->store);
		fx_remove_dir(fx->dir);
		free(fx);
		return -1;
	}
	config_defaults(&fx->config);
	fx->admin = fx_insert_user(fx->store, "admin", "admin", NULL);
	fx->alice = fx_insert_user(fx->store, "alice", "sales", "north");
	fx->carol = fx_insert_user(fx->store, "carol", "sales", "south");
	fx->mona = fx_insert_user(fx->store, "mona", "manager", NULL);
	fx->fiona = fx_insert_user(fx->store, "fiona", "finance", NULL);
	if (fx->admin <= 0 || fx->alice <= 0 || fx->carol <= 0 || fx->mona <= 0 || fx->fiona <= 0)
		return -1;
	fx->system = (struct crm_ctx){
	    .store = fx->store, .config = &fx->config, .actor = access_system_actor()};
	fx->as_admin = fx_ctx(fx, fx->admin);
	fx->as_alice = fx_ctx(fx, fx->alice);
	fx->as_carol = fx_ctx(fx, fx->carol);
	fx->as_manager = fx_ctx(fx, fx->mona);
	fx->as_finance = fx_ctx(fx, fx->fiona);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	store_close(fx->store);
	fx_remove_dir(fx->dir);
	free(fx);
	return 0;
}

static int group_setup(void **state)
{
	(void)state;
	log_set_level(LOG_ERROR);
	return sodium_init() < 0 ? -1 : 0;
}

static json_t *parse(const char *text)
{
	json_error_t jerr;
	json_t *v = json_loads(text, 0, &jerr);
	if (!v)
		fail_msg("bad JSON in test: %s: %s", text, jerr.text);
	return v;
}

static json_t *parsef(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
__attribute__((unused)) static json_t *parsef(const char *fmt, ...)
{
	char text[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	return parse(text);
}

static int64_t num(const json_t *obj, const char *key)
{
	return json_integer_value(json_object_get(obj, key));
}

__attribute__((unused)) static const char *str(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/* Creates (takes body); fails the test on error; returns the id. */
static int64_t create(struct crm_ctx *ctx, const struct record_kind *kind, json_t *body)
{
	json_t *out = NULL;
	struct gx_error err = {0};
	int rc = records_create(ctx, kind, body, &out, &err);
	if (rc != 0) {
		char *text = json_dumps(body, JSON_COMPACT);
		fail_msg("create %s %s: %d field \"%s\": %s", kind->entity, text, rc, err.field,
		         err.message);
	}
	json_decref(body);
	int64_t id = num(out, "id");
	json_decref(out);
	return id;
}

__attribute__((unused)) static json_t *get(struct crm_ctx *ctx, const struct record_kind *kind,
                                           int64_t id)
{
	json_t *out = NULL;
	struct gx_error err = {0};
	if (records_get(ctx, kind, id, &out, &err) != 0)
		fail_msg("get %s %lld: %s", kind->entity, (long long)id, err.message);
	return out;
}

__attribute__((unused)) static int64_t query_int(struct store *store, const char *sql, int64_t id)
{
	struct gx_error err = {0};
	struct store_stmt *stmt = store_prepare(store, sql, &err);
	if (!stmt)
		fail_msg("%s: %s", sql, err.message);
	if (id)
		store_bind_int(stmt, 1, id);
	assert_int_equal(store_step(stmt, &err), STORE_ROW);
	int64_t v = store_col_int(stmt, 0);
	store_done(stmt);
	return v;
}

/* 1 when the JSON list of reasons has one with this code. */
__attribute__((unused)) static int has_reason(const json_t *reasons, const char *code)
{
	size_t i;
	const json_t *r;
	json_array_foreach(reasons, i, r)
	{
		if (strcmp(str(r, "code"), code) == 0)
			return 1;
	}
	return 0;
}

#endif
