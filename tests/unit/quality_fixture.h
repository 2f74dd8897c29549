/* quality_fixture.h — the fixture shared by the data-quality tests (test_duplicates, test_merge,
 * test_quality, test_privacy): a fresh migrated database in a temporary directory, users of two
 * sales teams, a manager and finance, a crm_ctx for each, and helpers that fail the test on
 * error. The generic mechanisms come from testdb.h. Included by each test file; everything is
 * static. */
#ifndef GX_TEST_QUALITY_FIXTURE_H
#define GX_TEST_QUALITY_FIXTURE_H

#include "testdb.h"

#include "crm/records.h"

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

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof *fx);
	if (!fx)
		return -1;
	if (testdb_open(fx->dir, sizeof fx->dir, fx->path, sizeof fx->path, "quality", &fx->store) <
	    0) {
		free(fx);
		return -1;
	}
	config_defaults(&fx->config);
	fx->admin = testdb_insert_user(fx->store, "admin", "admin", NULL, 1);
	fx->alice = testdb_insert_user(fx->store, "alice", "sales", "north", 1);
	fx->carol = testdb_insert_user(fx->store, "carol", "sales", "south", 1);
	fx->mona = testdb_insert_user(fx->store, "mona", "manager", NULL, 1);
	fx->fiona = testdb_insert_user(fx->store, "fiona", "finance", NULL, 1);
	if (fx->admin <= 0 || fx->alice <= 0 || fx->carol <= 0 || fx->mona <= 0 || fx->fiona <= 0)
		return -1;
	fx->system = (struct crm_ctx){
	    .store = fx->store, .config = &fx->config, .actor = access_system_actor()};
	fx->as_admin = testdb_ctx(fx->store, &fx->config, fx->admin);
	fx->as_alice = testdb_ctx(fx->store, &fx->config, fx->alice);
	fx->as_carol = testdb_ctx(fx->store, &fx->config, fx->carol);
	fx->as_manager = testdb_ctx(fx->store, &fx->config, fx->mona);
	fx->as_finance = testdb_ctx(fx->store, &fx->config, fx->fiona);
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
