/* test_sessions.c — crm/users and crm/sessions: creating users (username charset, password
 * length, role, locale, duplicates, admins only), passwords never shown and checked alike for
 * unknown, wrong and inactive, who may read and change whom, sessions from a password that
 * authenticate until logout, expiry, a password change or deactivation, login throttling (slowed
 * from the third failure, refused from the tenth, per username and per client), and API tokens
 * (admin only, secret shown once, expiry, deletion). One database for the group; users are made
 * once, since every password hash costs ~0.1 s. */
#include "testdb.h"

#include <pthread.h>
#include <time.h>

#include "base/clock.h"
#include "crm/sessions.h"

#define ROOT_PASSWORD "root password 1"
#define ALICE_PASSWORD "alice-secret-42"

struct fixture {
	char dir[64];
	char path[128];
	struct store *store;
	struct config config;
	int64_t root, alice, bob; /* admin; sales north; inactive (alice's password) */
	struct crm_ctx system, as_root, as_alice;
};

/* ---- fixture -------------------------------------------------------------------------- */

static int64_t make_user(struct crm_ctx *ctx, const char *username, const char *password,
                         const char *role, const char *team)
{
	json_t *body = json_pack("{s:s, s:s, s:s, s:s?}", "username", username, "password",
	                         password, "role", role, "team", team);
	json_t *out = NULL;
	struct gx_error err = {0};
	int rc = users_create(ctx, body, &out, &err);
	json_decref(body);
	if (rc < 0)
		return rc;
	int64_t id = json_integer_value(json_object_get(out, "id"));
	json_decref(out);
	return id;
}

/* A user with alice's password hash, made without hashing again. */
static int64_t clone_user(struct fixture *fx, const char *username, const char *role, int active)
{
	struct gx_error err = {0};
	struct store_stmt *stmt = store_prepare(
	    fx->store,
	    "INSERT INTO users(username, password_hash, role, active, created_at, updated_at) "
	    "SELECT ?, password_hash, ?, ?, 1, 1 FROM users WHERE username = 'alice'",
	    &err);
	store_bind_text(stmt, 1, username);
	store_bind_text(stmt, 2, role);
	store_bind_int(stmt, 3, active);
	if (store_exec(stmt, &err) < 0)
		return -1;
	return store_last_insert_id(fx->store);
}

static int group_setup(void **state)
{
	if (testdb_group_setup(state) < 0)
		return -1;
	struct fixture *fx = calloc(1, sizeof *fx);
	if (!fx)
		return -1;
	if (testdb_open(fx->dir, sizeof fx->dir, fx->path, sizeof fx->path, "sessions",
	                &fx->store) < 0) {
		free(fx);
		return -1;
	}
	config_defaults(&fx->config);
	fx->system = (struct crm_ctx){
	    .store = fx->store, .config = &fx->config, .actor = access_system_actor()};
	fx->root = make_user(&fx->system, "root", ROOT_PASSWORD, "admin", NULL);
	fx->alice = make_user(&fx->system, "alice", ALICE_PASSWORD, "sales", "north");
	fx->bob = clone_user(fx, "bob", "sales", 0);
	if (fx->root <= 0 || fx->alice <= 0 || fx->bob <= 0)
		return -1;
	fx->as_root = testdb_ctx(fx->store, &fx->config, fx->root);
	fx->as_alice = testdb_ctx(fx->store, &fx->config, fx->alice);
	*state = fx;
	return 0;
}

static int group_teardown(void **state)
{
	struct fixture *fx = *state;
	store_close(fx->store);
	testdb_remove_dir(fx->dir);
	free(fx);
	sessions_reset_throttle();
	return 0;
}

static int reset_throttle(void **state)
{
	(void)state;
	sessions_reset_throttle();
	return 0;
}

/* ---- helpers -------------------------------------------------------------------------- */

static void create_fails(struct crm_ctx *ctx, const char *text, int code, const char *field)
{
	json_t *body = parse(text), *out = NULL;
	struct gx_error err = {0};
	int rc = users_create(ctx, body, &out, &err);
	json_decref(body);
	if (rc != code || (field && strcmp(err.field, field) != 0)) {
		json_decref(out);
		fail_msg("users_create %s: got %d field \"%s\" (%s), want %d field \"%s\"", text,
		         rc, err.field, err.message, code, field ? field : "*");
	}
	assert_null(out);
}

/* Logs in; returns the token (malloc'd) or NULL with *rc set. */
static char *login(struct fixture *fx, const char *username, const char *password,
                   const char *client, int *rc_out)
{
	json_t *body = json_pack("{s:s, s:s}", "username", username, "password", password);
	json_t *out = NULL;
	struct gx_error err = {0};
	int retry_after = -1;
	int rc = sessions_login(&fx->system, body, client, &out, &retry_after, &err);
	json_decref(body);
	if (rc_out)
		*rc_out = rc;
	if (rc < 0)
		return NULL;
	char *token = strdup(json_string_value(json_object_get(out, "token")));
	json_decref(out);
	return token;
}

static char *login_ok(struct fixture *fx, const char *username, const char *password)
{
	int rc = 0;
	char *token = login(fx, username, password, "127.0.0.1", &rc);
	if (!token)
		fail_msg("login %s: %d", username, rc);
	return token;
}

static int authenticate(struct fixture *fx, const char *token, struct actor *actor)
{
	struct gx_error err = {0};
	struct actor scratch;
	return sessions_authenticate(fx->store, token, actor ? actor : &scratch, &err);
}

static int has_key_anywhere(const json_t *v, const char *key)
{
	if (json_is_object(v)) {
		const char *k;
		json_t *child;
		json_object_foreach((json_t *)v, k, child)
		{
			if (strcmp(k, key) == 0 || has_key_anywhere(child, key))
				return 1;
		}
	} else if (json_is_array(v)) {
		size_t i;
		json_t *child;
		json_array_foreach(v, i, child)
		{
			if (has_key_anywhere(child, key))
				return 1;
		}
	}
	return 0;
}

static int mentions(const json_t *v, const char *text)
{
	char *dump = json_dumps(v, JSON_COMPACT);
	int found = dump && strstr(dump, text) != NULL;
	free(dump);
	return found;
}

/* ---- users ---------------------------------------------------------------------------- */

static void test_users_create_and_read(void **state)
{
	struct fixture *fx = *state;
	json_t *body =
	    parse("{\"username\": \"j.doe-1_x\", \"password\": \"0123456789\", \"role\": "
	          "\"manager\", \"team\": \"north\", \"display_name\": \"张伟\", "
	          "\"locale\": \"zh-CN\"}");
	json_t *out = NULL;
	struct gx_error err = {0};
	assert_int_equal(users_create(&fx->as_root, body, &out, &err), 0); /* exactly 10 */
	json_decref(body);
	int64_t id = json_integer_value(json_object_get(out, "id"));
	assert_true(id > 0);
	assert_string_equal(json_string_value(json_object_get(out, "username")), "j.doe-1_x");
	assert_string_equal(json_string_value(json_object_get(out, "role")), "manager");
	assert_string_equal(json_string_value(json_object_get(out, "team")), "north");
	assert_string_equal(json_string_value(json_object_get(out, "display_name")), "张伟");
	assert_string_equal(json_string_value(json_object_get(out, "locale")), "zh-CN");
	assert_true(json_is_true(json_object_get(out, "active")));
	assert_false(has_key_anywhere(out, "password"));
	assert_false(has_key_anywhere(out, "password_hash"));
	assert_false(mentions(out, "0123456789"));
	assert_false(mentions(out, "argon2"));
	json_decref(out);
	/* Stored hashed (argon2id), never in clear. */
	assert_int_equal(query_int(fx->store, "SELECT COUNT(*) FROM users WHERE password_hash NOT "
	                                      "LIKE '$argon2id$%'"),
	                 0);
	assert_int_equal(query_int(fx->store, "SELECT COUNT(*) FROM users WHERE password_hash LIKE "
	                                      "'%0123456789%'"),
	                 0);

	json_t *all = NULL;
	assert_int_equal(users_list(&fx->as_root, &all, &err), 0);
	assert_true(json_array_size(json_object_get(all, "data")) >= 4);
	assert_false(has_key_anywhere(all, "password_hash"));
	assert_false(mentions(all, "argon2"));
	json_decref(all);
	int64_t count = 0;
	assert_int_equal(users_count(fx->store, &count, &err), 0);
	assert_int_equal(count, query_int(fx->store, "SELECT COUNT(*) FROM users"));
	/* Defaults: locale en, no team. */
	json_t *user = NULL;
	assert_int_equal(users_get(&fx->as_root, fx->root, &user, &err), 0);
	assert_string_equal(json_string_value(json_object_get(user, "locale")), "en");
	assert_true(json_is_null(json_object_get(user, "team")));
	json_decref(user);
}

static void test_users_create_validation(void **state)
{
	struct fixture *fx = *state;
	struct crm_ctx *ctx = &fx->as_root;
	const struct {
		const char *body, *field;
	} cases[] = {
	    {"{\"username\": \"Alice2\", \"password\": \"long enough pw\", \"role\": \"sales\"}",
	     "username"},
	    {"{\"username\": \"a b\", \"password\": \"long enough pw\", \"role\": \"sales\"}",
	     "username"},
	    {"{\"username\": \"\", \"password\": \"long enough pw\", \"role\": \"sales\"}",
	     "username"},
	    {"{\"username\": \"张伟\", \"password\": \"long enough pw\", \"role\": \"sales\"}",
	     "username"},
	    {"{\"username\": \"a/b\", \"password\": \"long enough pw\", \"role\": \"sales\"}",
	     "username"},
	    {"{\"username\": \"a@b\", \"password\": \"long enough pw\", \"role\": \"sales\"}",
	     "username"},
	    {"{\"password\": \"long enough pw\", \"role\": \"sales\"}", "username"},
	    {"{\"username\": 7, \"password\": \"long enough pw\", \"role\": \"sales\"}",
	     "username"},
	    {"{\"username\": \"ok\", \"password\": \"123456789\", \"role\": \"sales\"}",
	     "password"},
	    {"{\"username\": \"ok\", \"role\": \"sales\"}", "password"},
	    {"{\"username\": \"ok\", \"password\": 1234567890, \"role\": \"sales\"}", "password"},
	    {"{\"username\": \"ok\", \"password\": \"long enough pw\"}", "role"},
	    {"{\"username\": \"ok\", \"password\": \"long enough pw\", \"role\": \"king\"}",
	     "role"},
	    {"{\"username\": \"ok\", \"password\": \"long enough pw\", \"role\": \"Admin\"}",
	     "role"},
	    {"{\"username\": \"ok\", \"password\": \"long enough pw\", \"role\": \"sales\", "
	     "\"locale\": \"fr\"}",
	     "locale"},
	    {"{\"username\": \"ok\", \"password\": \"long enough pw\", \"role\": \"sales\", "
	     "\"email\": \"a@b.c\"}",
	     "email"},
	    {"{\"username\": \"ok\", \"password\": \"long enough pw\", \"role\": \"sales\", "
	     "\"team\": 5}",
	     "team"},
	    {"{\"username\": \"ok\", \"password\": \"long enough pw\", \"role\": \"sales\", "
	     "\"active\": false}",
	     "active"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		create_fails(ctx, cases[i].body, GX_EVALIDATION, cases[i].field);
	/* Length limits: 64 characters of username, 1024 of password. */
	char name[80];
	memset(name, 'a', 65);
	name[65] = '\0';
	json_t *body = json_pack("{s:s, s:s, s:s}", "username", name, "password", "long enough pw",
	                         "role", "sales"),
	       *out = NULL;
	struct gx_error err = {0};
	assert_int_equal(users_create(ctx, body, &out, &err), GX_EVALIDATION);
	assert_string_equal(err.field, "username");
	json_decref(body);
	char *huge = malloc(1100);
	memset(huge, 'p', 1025);
	huge[1025] = '\0';
	body = json_pack("{s:s, s:s, s:s}", "username", "ok", "password", huge, "role", "sales");
	assert_int_equal(users_create(ctx, body, &out, &err), GX_EVALIDATION);
	assert_string_equal(err.field, "password");
	json_decref(body);
	free(huge);
	create_fails(ctx, "[]", GX_EBADREQUEST, NULL);
	assert_int_equal(query_int(fx->store, "SELECT COUNT(*) FROM users WHERE username = 'ok'"),
	                 0);
}

static void test_users_duplicate_username_conflicts(void **state)
{
	struct fixture *fx = *state;
	create_fails(
	    &fx->as_root,
	    "{\"username\": \"alice\", \"password\": \"another password\", \"role\": \"admin\"}",
	    GX_ECONFLICT, "username");
	/* The original is untouched. */
	struct gx_error err = {0};
	int64_t id = 0;
	assert_int_equal(users_check_password(fx->store, "alice", ALICE_PASSWORD, &id, &err), 0);
	assert_int_equal(id, fx->alice);
	assert_int_equal(
	    query_int(fx->store, "SELECT COUNT(*) FROM users WHERE username = 'alice'"), 1);
}

static void test_users_admin_only(void **state)
{
	struct fixture *fx = *state;
	create_fails(
	    &fx->as_alice,
	    "{\"username\": \"mallory\", \"password\": \"long enough pw\", \"role\": \"admin\"}",
	    GX_EFORBIDDEN, NULL);
	json_t *out = NULL;
	struct gx_error err = {0};
	assert_int_equal(users_list(&fx->as_alice, &out, &err), GX_EFORBIDDEN);
	/* The directory is everyone's: active users, named, without their settings. */
	assert_int_equal(users_directory(&fx->as_alice, &out, &err), 0);
	json_t *people = json_object_get(out, "data"), *person;
	size_t i;
	int saw_root = 0;
	json_array_foreach(people, i, person)
	{
		const char *name = json_string_value(json_object_get(person, "username"));
		assert_string_not_equal(name, "bob"); /* inactive */
		saw_root |= strcmp(name, "root") == 0;
		assert_null(json_object_get(person, "locale"));
		assert_non_null(json_object_get(person, "role"));
	}
	assert_true(saw_root);
	json_decref(out);
	/* Others read themselves only; someone else reads as absent. */
	assert_int_equal(users_get(&fx->as_alice, fx->alice, &out, &err), 0);
	assert_string_equal(json_string_value(json_object_get(out, "username")), "alice");
	json_decref(out);
	assert_int_equal(users_get(&fx->as_alice, fx->root, &out, &err), GX_ENOTFOUND);
	assert_int_equal(users_get(&fx->as_root, 99999, &out, &err), GX_ENOTFOUND);
	json_t *body = parse("{\"display_name\": \"pwned\"}");
	assert_int_equal(users_update(&fx->as_alice, fx->root, body, &out, &err), GX_ENOTFOUND);
	json_decref(body);
	/* Nor may they give themselves a role or a team. */
	body = parse("{\"role\": \"admin\"}");
	assert_int_equal(users_update(&fx->as_alice, fx->alice, body, &out, &err), GX_EVALIDATION);
	assert_string_equal(err.field, "role");
	json_decref(body);
	body = parse("{\"team\": \"south\"}");
	assert_int_equal(users_update(&fx->as_alice, fx->alice, body, &out, &err), GX_EVALIDATION);
	json_decref(body);
	struct actor a;
	assert_int_equal(users_actor(fx->store, fx->alice, &a, &err), 0);
	assert_int_equal(a.role, ROLE_SALES);
	assert_string_equal(a.team, "north");
	/* Their display name and locale are theirs to change. */
	body = parse("{\"display_name\": \"Alice A.\", \"locale\": \"zh-TW\"}");
	assert_int_equal(users_update(&fx->as_alice, fx->alice, body, &out, &err), 0);
	json_decref(body);
	assert_string_equal(json_string_value(json_object_get(out, "display_name")), "Alice A.");
	assert_string_equal(json_string_value(json_object_get(out, "locale")), "zh-TW");
	json_decref(out);
}

static void test_users_check_password(void **state)
{
	struct fixture *fx = *state;
	struct gx_error err = {0};
	int64_t id = -1;
	assert_int_equal(users_check_password(fx->store, "alice", ALICE_PASSWORD, &id, &err), 0);
	assert_int_equal(id, fx->alice);
	/* Wrong password, unknown user and inactive user all read the same. */
	char wrong[256], unknown[256], inactive[256];
	assert_int_equal(users_check_password(fx->store, "alice", "alice-secret-43", &id, &err),
	                 GX_EUNAUTHORIZED);
	assert_int_equal(id, 0);
	snprintf(wrong, sizeof wrong, "%s", err.message);
	assert_int_equal(users_check_password(fx->store, "nobody", ALICE_PASSWORD, &id, &err),
	                 GX_EUNAUTHORIZED);
	snprintf(unknown, sizeof unknown, "%s", err.message);
	assert_int_equal(users_check_password(fx->store, "bob", ALICE_PASSWORD, &id, &err),
	                 GX_EUNAUTHORIZED);
	snprintf(inactive, sizeof inactive, "%s", err.message);
	assert_string_equal(wrong, unknown);
	assert_string_equal(wrong, inactive);
	assert_int_equal(users_check_password(fx->store, "alice", "", &id, &err), GX_EUNAUTHORIZED);
	assert_int_equal(users_check_password(fx->store, "ALICE", ALICE_PASSWORD, &id, &err),
	                 GX_EUNAUTHORIZED);
	/* A user with the unusable hash "!" (demo data) cannot log in at all. */
	assert_int_equal(testdb_exec(fx->store,
	                             "INSERT INTO users(username, password_hash, role, "
	                             "created_at, updated_at) VALUES ('demo', '!', 'sales', 1, 1)",
	                             NULL),
	                 0);
	assert_int_equal(users_check_password(fx->store, "demo", "!", &id, &err), GX_EUNAUTHORIZED);
	assert_int_equal(users_check_password(fx->store, "demo", "", &id, &err), GX_EUNAUTHORIZED);
}

static void test_users_actor(void **state)
{
	struct fixture *fx = *state;
	struct actor a;
	struct gx_error err = {0};
	assert_int_equal(users_actor(fx->store, fx->root, &a, &err), 0);
	assert_int_equal(a.user_id, fx->root);
	assert_int_equal(a.role, ROLE_ADMIN);
	assert_string_equal(a.username, "root");
	assert_string_equal(a.team, "");
	assert_int_equal(users_actor(fx->store, fx->bob, &a, &err), GX_EUNAUTHORIZED);
	assert_int_equal(users_actor(fx->store, 4242, &a, &err), GX_EUNAUTHORIZED);
}

/* ---- sessions ------------------------------------------------------------------------- */

static void test_login_authenticate_logout(void **state)
{
	struct fixture *fx = *state;
	json_t *body = json_pack("{s:s, s:s}", "username", "alice", "password", ALICE_PASSWORD);
	json_t *out = NULL;
	struct gx_error err = {0};
	int retry = -1;
	assert_int_equal(sessions_login(&fx->system, body, "10.1.1.1", &out, &retry, &err), 0);
	json_decref(body);
	const char *token = json_string_value(json_object_get(out, "token"));
	assert_non_null(token);
	assert_int_equal(strlen(token), 43); /* base64url of 32 bytes */
	json_t *user = json_object_get(out, "user");
	assert_int_equal(json_integer_value(json_object_get(user, "id")), fx->alice);
	assert_false(has_key_anywhere(out, "password_hash"));
	assert_false(mentions(out, ALICE_PASSWORD));
	char *saved = strdup(token);
	json_decref(out);

	struct actor a;
	assert_int_equal(authenticate(fx, saved, &a), 0);
	assert_int_equal(a.user_id, fx->alice);
	assert_int_equal(a.role, ROLE_SALES);
	assert_string_equal(a.username, "alice");
	assert_string_equal(a.team, "north");
	/* Only a hash is stored. */
	struct store_stmt *stmt = store_prepare(
	    fx->store, "SELECT COUNT(*) FROM tokens WHERE token_hash = ? OR name = ?", &err);
	store_bind_text(stmt, 1, saved);
	store_bind_text(stmt, 2, saved);
	assert_int_equal(store_step(stmt, &err), STORE_ROW);
	assert_int_equal(store_col_int(stmt, 0), 0);
	store_done(stmt);
	/* Sessions last a week. */
	int64_t expires =
	    query_int(fx->store, "SELECT MAX(expires_at) FROM tokens WHERE kind = 'session'");
	assert_in_range(expires - clock_now(), SESSION_SECONDS - 60, SESSION_SECONDS);

	/* A second session is independent of the first. */
	char *second = login_ok(fx, "alice", ALICE_PASSWORD);
	assert_string_not_equal(saved, second);
	assert_int_equal(sessions_logout(&fx->as_alice, saved, &err), 0);
	assert_int_equal(authenticate(fx, saved, NULL), GX_EUNAUTHORIZED);
	assert_int_equal(authenticate(fx, second, NULL), 0);
	assert_int_equal(sessions_logout(&fx->as_alice, second, &err), 0);
	assert_int_equal(authenticate(fx, second, NULL), GX_EUNAUTHORIZED);
	free(saved);
	free(second);
}

static void test_authenticate_rejects_garbage(void **state)
{
	struct fixture *fx = *state;
	struct gx_error err = {0};
	struct actor a;
	assert_int_equal(sessions_authenticate(fx->store, NULL, &a, &err), GX_EUNAUTHORIZED);
	assert_int_equal(sessions_authenticate(fx->store, "", &a, &err), GX_EUNAUTHORIZED);
	assert_int_equal(sessions_authenticate(fx->store, "not-a-token", &a, &err),
	                 GX_EUNAUTHORIZED);
	char longer[200];
	memset(longer, 'A', sizeof longer - 1);
	longer[sizeof longer - 1] = '\0';
	assert_int_equal(sessions_authenticate(fx->store, longer, &a, &err), GX_EUNAUTHORIZED);
	assert_int_equal(err.code, GX_EUNAUTHORIZED);
}

static void test_login_body_shape(void **state)
{
	struct fixture *fx = *state;
	const char *bad[] = {
	    "[]",
	    "{\"username\": \"alice\"}",
	    "{\"password\": \"" ALICE_PASSWORD "\"}",
	    "{\"username\": \"alice\", \"password\": 5}",
	    "{\"username\": \"alice\", \"password\": \"" ALICE_PASSWORD "\", \"remember\": true}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		json_t *body = parse(bad[i]), *out = NULL;
		struct gx_error err = {0};
		int retry = -1;
		assert_int_equal(sessions_login(&fx->system, body, "10.1.1.2", &out, &retry, &err),
		                 GX_EBADREQUEST);
		json_decref(body);
		assert_null(out);
	}
}

static void test_inactive_or_wrong_login_refused(void **state)
{
	struct fixture *fx = *state;
	int rc = 0;
	assert_null(login(fx, "bob", ALICE_PASSWORD, "10.1.1.3", &rc));
	assert_int_equal(rc, GX_EUNAUTHORIZED);
	assert_null(login(fx, "alice", "wrong password", "10.1.1.3", &rc));
	assert_int_equal(rc, GX_EUNAUTHORIZED);
	assert_null(login(fx, "nobody", "wrong password", "10.1.1.3", &rc));
	assert_int_equal(rc, GX_EUNAUTHORIZED);
}

static void test_expired_session_refused(void **state)
{
	struct fixture *fx = *state;
	char *token = login_ok(fx, "alice", ALICE_PASSWORD);
	assert_int_equal(authenticate(fx, token, NULL), 0);
	assert_int_equal(testdb_exec(fx->store,
	                             "UPDATE tokens SET expires_at = 1000 WHERE kind = 'session'",
	                             NULL),
	                 0);
	assert_int_equal(authenticate(fx, token, NULL), GX_EUNAUTHORIZED);
	/* The next login sweeps expired sessions away. */
	char *fresh = login_ok(fx, "alice", ALICE_PASSWORD);
	assert_int_equal(
	    query_int(fx->store, "SELECT COUNT(*) FROM tokens WHERE expires_at = 1000"), 0);
	assert_int_equal(authenticate(fx, fresh, NULL), 0);
	struct gx_error err = {0};
	assert_int_equal(sessions_logout(&fx->as_alice, fresh, &err), 0);
	free(token);
	free(fresh);
}

static void test_password_change_ends_sessions(void **state)
{
	struct fixture *fx = *state;
	int64_t dave = clone_user(fx, "dave", "service", 1);
	char *one = login_ok(fx, "dave", ALICE_PASSWORD);
	char *two = login_ok(fx, "dave", ALICE_PASSWORD);
	char *other = login_ok(fx, "alice", ALICE_PASSWORD);
	struct crm_ctx as_dave = testdb_ctx(fx->store, &fx->config, dave);
	/* A bad new password changes nothing, not even the rest of the body. */
	json_t *body = parse("{\"display_name\": \"Dave\", \"password\": \"short\"}"), *out = NULL;
	struct gx_error err = {0};
	assert_int_equal(users_update(&as_dave, dave, body, &out, &err), GX_EVALIDATION);
	assert_string_equal(err.field, "password");
	json_decref(body);
	assert_int_equal(query_int(fx->store, "SELECT COUNT(*) FROM users WHERE username = 'dave' "
	                                      "AND display_name IS NULL"),
	                 1);
	assert_int_equal(authenticate(fx, one, NULL), 0);
	/* Dave changes his own password: both his sessions end, alice's does not. */
	body = parse("{\"password\": \"a brand new password\"}");
	assert_int_equal(users_update(&as_dave, dave, body, &out, &err), 0);
	json_decref(body);
	assert_false(has_key_anywhere(out, "password"));
	json_decref(out);
	assert_int_equal(authenticate(fx, one, NULL), GX_EUNAUTHORIZED);
	assert_int_equal(authenticate(fx, two, NULL), GX_EUNAUTHORIZED);
	assert_int_equal(authenticate(fx, other, NULL), 0);
	int64_t id = 0;
	assert_int_equal(users_check_password(fx->store, "dave", ALICE_PASSWORD, &id, &err),
	                 GX_EUNAUTHORIZED);
	assert_int_equal(users_check_password(fx->store, "dave", "a brand new password", &id, &err),
	                 0);
	assert_int_equal(id, dave);
	assert_int_equal(sessions_logout(&fx->as_alice, other, &err), 0);
	free(one);
	free(two);
	free(other);
}

static void test_deactivation_ends_sessions(void **state)
{
	struct fixture *fx = *state;
	int64_t erin = clone_user(fx, "erin", "marketing", 1);
	char *token = login_ok(fx, "erin", ALICE_PASSWORD);
	json_t *body = parse("{\"active\": false}"), *out = NULL;
	struct gx_error err = {0};
	assert_int_equal(users_update(&fx->as_root, erin, body, &out, &err), 0);
	json_decref(body);
	assert_true(json_is_false(json_object_get(out, "active")));
	json_decref(out);
	assert_int_equal(authenticate(fx, token, NULL), GX_EUNAUTHORIZED);
	assert_int_equal(query_int(fx->store,
	                           "SELECT COUNT(*) FROM tokens t JOIN users u ON u.id = "
	                           "t.user_id WHERE u.username = 'erin'"),
	                 0);
	int rc = 0;
	assert_null(login(fx, "erin", ALICE_PASSWORD, "10.1.1.4", &rc));
	assert_int_equal(rc, GX_EUNAUTHORIZED);
	/* The admin's own type checks. */
	body = parse("{\"active\": \"no\"}");
	assert_int_equal(users_update(&fx->as_root, erin, body, &out, &err), GX_EVALIDATION);
	assert_string_equal(err.field, "active");
	json_decref(body);
	body = parse("{\"username\": \"erin2\"}");
	assert_int_equal(users_update(&fx->as_root, erin, body, &out, &err), GX_EVALIDATION);
	assert_string_equal(err.field, "username");
	json_decref(body);
	free(token);
}

/* ---- throttling ----------------------------------------------------------------------- */

struct attempt {
	const char *path, *username, *password;
	char client[32];
	int rc;
};

/* One login attempt on a connection of its own (a store belongs to one thread). */
static void *attempt_login(void *arg)
{
	struct attempt *a = arg;
	struct config config;
	config_defaults(&config);
	struct crm_ctx ctx = {.config = &config, .actor = access_system_actor()};
	struct gx_error err = {0};
	a->rc = GX_EINTERNAL;
	if (store_open(&ctx.store, a->path, &err) < 0)
		return NULL;
	json_t *body = json_pack("{s:s, s:s}", "username", a->username, "password", a->password);
	json_t *out = NULL;
	int retry = 0;
	a->rc = sessions_login(&ctx, body, a->client, &out, &retry, &err);
	json_decref(body);
	json_decref(out);
	store_close(ctx.store);
	return NULL;
}

static double seconds_since(const struct timespec *start)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

/* Ten failed attempts: three at full speed, then seven at once (each of those waits a second,
 * so together they take about one). usernames[i] / clients[i] name attempt i. */
static void fail_ten_times(struct fixture *fx, const char *const usernames[10],
                           const char *const clients[10], const char *password)
{
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (int i = 0; i < 3; i++) {
		int rc = 0;
		assert_null(login(fx, usernames[i], password, clients[i], &rc));
		assert_int_equal(rc, GX_EUNAUTHORIZED);
	}
	/* Not slowed yet: a wait from the second attempt on would take two seconds or more. */
	assert_true(seconds_since(&start) < 1.9);
	struct attempt attempts[7];
	pthread_t threads[7];
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (int i = 0; i < 7; i++) {
		attempts[i] = (struct attempt){
		    .path = fx->path, .username = usernames[3 + i], .password = password};
		snprintf(attempts[i].client, sizeof attempts[i].client, "%s", clients[3 + i]);
		assert_int_equal(pthread_create(&threads[i], NULL, attempt_login, &attempts[i]), 0);
	}
	for (int i = 0; i < 7; i++) {
		assert_int_equal(pthread_join(threads[i], NULL), 0);
		assert_int_equal(attempts[i].rc, GX_EUNAUTHORIZED);
	}
	assert_true(seconds_since(&start) >= 0.99); /* from the fourth attempt on: slowed */
}

static void test_throttle_per_username(void **state)
{
	struct fixture *fx = *state;
	const char *const users[10] = {"alice", "alice", "alice", "alice", "alice",
	                               "alice", "alice", "alice", "alice", "alice"};
	const char *const clients[10] = {"10.2.0.0", "10.2.0.1", "10.2.0.2", "10.2.0.3",
	                                 "10.2.0.4", "10.2.0.5", "10.2.0.6", "10.2.0.7",
	                                 "10.2.0.8", "10.2.0.9"};
	fail_ten_times(fx, users, clients, "not her password");
	int64_t sessions = query_int(fx->store, "SELECT COUNT(*) FROM tokens");
	/* Now even the right password is refused, from anywhere, at once. */
	json_t *body = json_pack("{s:s, s:s}", "username", "alice", "password", ALICE_PASSWORD);
	json_t *out = NULL;
	struct gx_error err = {0};
	int retry = -1;
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	assert_int_equal(sessions_login(&fx->system, body, "10.2.1.1", &out, &retry, &err),
	                 GX_ERATELIMITED);
	assert_true(seconds_since(&start) < 0.9); /* refused without the wait */
	json_decref(body);
	assert_null(out);
	assert_int_equal(err.code, GX_ERATELIMITED);
	assert_int_equal(retry, 900);
	assert_int_equal(query_int(fx->store, "SELECT COUNT(*) FROM tokens"), sessions);
	/* Another user from one of the same clients is fine (each client failed once). */
	char *token = login(fx, "root", ROOT_PASSWORD, "10.2.0.5", NULL);
	assert_non_null(token);
	assert_int_equal(sessions_logout(&fx->as_root, token, &err), 0);
	free(token);
	/* Forgetting the state lets alice in again. */
	sessions_reset_throttle();
	token = login(fx, "alice", ALICE_PASSWORD, "10.2.1.1", NULL);
	assert_non_null(token);
	assert_int_equal(sessions_logout(&fx->as_alice, token, &err), 0);
	free(token);
}

static void test_throttle_per_client(void **state)
{
	struct fixture *fx = *state;
	const char *const users[10] = {"ghost0", "ghost1", "ghost2", "ghost3", "ghost4",
	                               "ghost5", "ghost6", "ghost7", "ghost8", "ghost9"};
	const char *const clients[10] = {"10.3.3.3", "10.3.3.3", "10.3.3.3", "10.3.3.3",
	                                 "10.3.3.3", "10.3.3.3", "10.3.3.3", "10.3.3.3",
	                                 "10.3.3.3", "10.3.3.3"};
	fail_ten_times(fx, users, clients, "guess");
	int rc = 0;
	assert_null(login(fx, "root", ROOT_PASSWORD, "10.3.3.3", &rc));
	assert_int_equal(rc, GX_ERATELIMITED);
	/* The same user from elsewhere is fine. */
	struct gx_error err = {0};
	char *token = login(fx, "root", ROOT_PASSWORD, "10.3.3.4", &rc);
	assert_non_null(token);
	assert_int_equal(sessions_logout(&fx->as_root, token, &err), 0);
	free(token);
}

/* ---- API tokens ----------------------------------------------------------------------- */

static void test_tokens_create_list_delete(void **state)
{
	struct fixture *fx = *state;
	struct gx_error err = {0};
	json_t *body = parse("{\"name\": \"ERP feed\"}"), *out = NULL;
	assert_int_equal(tokens_create(&fx->as_root, body, &out, &err), 0);
	json_decref(body);
	const char *secret = json_string_value(json_object_get(out, "token"));
	assert_non_null(secret);
	assert_int_equal(strlen(secret), 43);
	char *erp = strdup(secret);
	int64_t erp_id = json_integer_value(json_object_get(out, "id"));
	assert_string_equal(json_string_value(json_object_get(out, "name")), "ERP feed");
	assert_int_equal(json_integer_value(json_object_get(out, "user_id")), fx->root);
	assert_string_equal(json_string_value(json_object_get(out, "username")), "root");
	assert_true(json_is_null(json_object_get(out, "expires_at")));
	json_decref(out);
	struct actor a;
	assert_int_equal(authenticate(fx, erp, &a), 0);
	assert_int_equal(a.user_id, fx->root);

	/* For another user, with an expiry. */
	char when[32];
	clock_format(clock_now() + 3600, when, sizeof when);
	body = json_pack("{s:s, s:I, s:s}", "name", "alice's script", "user_id",
	                 (json_int_t)fx->alice, "expires_at", when);
	assert_int_equal(tokens_create(&fx->as_root, body, &out, &err), 0);
	json_decref(body);
	char *script = strdup(json_string_value(json_object_get(out, "token")));
	assert_string_equal(json_string_value(json_object_get(out, "expires_at")), when);
	json_decref(out);
	assert_int_equal(authenticate(fx, script, &a), 0);
	assert_int_equal(a.user_id, fx->alice);
	assert_int_equal(a.role, ROLE_SALES);

	/* Listed without secrets. */
	assert_int_equal(tokens_list(&fx->as_root, &out, &err), 0);
	json_t *data = json_object_get(out, "data");
	assert_int_equal(json_array_size(data), 2);
	assert_false(has_key_anywhere(out, "token"));
	assert_false(has_key_anywhere(out, "token_hash"));
	assert_false(mentions(out, erp));
	assert_false(mentions(out, script));
	assert_string_equal(json_string_value(json_object_get(json_array_get(data, 0), "name")),
	                    "ERP feed");
	json_decref(out);

	/* Logging "out" an API token does nothing; deleting it does. */
	assert_int_equal(sessions_logout(&fx->as_root, erp, &err), 0);
	assert_int_equal(authenticate(fx, erp, NULL), 0);
	assert_int_equal(tokens_delete(&fx->as_root, erp_id, &err), 0);
	assert_int_equal(authenticate(fx, erp, NULL), GX_EUNAUTHORIZED);
	assert_int_equal(tokens_delete(&fx->as_root, erp_id, &err), GX_ENOTFOUND);
	/* Sessions are not API tokens. */
	char *session = login_ok(fx, "alice", ALICE_PASSWORD);
	int64_t session_id =
	    query_int(fx->store, "SELECT MAX(id) FROM tokens WHERE kind = 'session'");
	assert_int_equal(tokens_delete(&fx->as_root, session_id, &err), GX_ENOTFOUND);
	assert_int_equal(authenticate(fx, session, NULL), 0);
	assert_int_equal(sessions_logout(&fx->as_alice, session, &err), 0);
	/* Expired tokens stop working. */
	assert_int_equal(
	    testdb_exec(fx->store, "UPDATE tokens SET expires_at = 1000 WHERE kind = 'api'", NULL),
	    0);
	assert_int_equal(authenticate(fx, script, NULL), GX_EUNAUTHORIZED);
	assert_int_equal(testdb_exec(fx->store, "DELETE FROM tokens WHERE kind = 'api'", NULL), 0);
	free(erp);
	free(script);
	free(session);
}

static void test_tokens_admin_only(void **state)
{
	struct fixture *fx = *state;
	struct gx_error err = {0};
	json_t *body = parse("{\"name\": \"mine\"}"), *out = NULL;
	assert_int_equal(tokens_create(&fx->as_alice, body, &out, &err), GX_EFORBIDDEN);
	assert_null(out);
	assert_int_equal(tokens_list(&fx->as_alice, &out, &err), GX_EFORBIDDEN);
	assert_null(out);
	assert_int_equal(tokens_create(&fx->as_root, body, &out, &err), 0);
	json_decref(body);
	int64_t id = json_integer_value(json_object_get(out, "id"));
	json_decref(out);
	assert_int_equal(tokens_delete(&fx->as_alice, id, &err), GX_EFORBIDDEN);
	assert_int_equal(query_int(fx->store, "SELECT COUNT(*) FROM tokens WHERE kind = 'api'"), 1);
	assert_int_equal(tokens_delete(&fx->as_root, id, &err), 0);
}

static void test_tokens_body_validation(void **state)
{
	struct fixture *fx = *state;
	const struct {
		const char *body, *field;
		int code;
	} cases[] = {
	    {"[]", "", GX_EBADREQUEST},
	    {"{}", "name", GX_EVALIDATION},
	    {"{\"name\": 5}", "name", GX_EVALIDATION},
	    {"{\"name\": \"x\", \"scope\": \"all\"}", "scope", GX_EVALIDATION},
	    {"{\"name\": \"x\", \"user_id\": \"2\"}", "user_id", GX_EVALIDATION},
	    {"{\"name\": \"x\", \"user_id\": 99999}", "user_id", GX_EVALIDATION},
	    {"{\"name\": \"x\", \"expires_at\": \"tomorrow\"}", "expires_at", GX_EVALIDATION},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		json_t *body = parse(cases[i].body), *out = NULL;
		struct gx_error err = {0};
		int rc = tokens_create(&fx->as_root, body, &out, &err);
		json_decref(body);
		if (rc != cases[i].code || strcmp(err.field, cases[i].field) != 0)
			fail_msg("tokens_create %s: %d \"%s\"", cases[i].body, rc, err.field);
		assert_null(out);
	}
	/* Not for an inactive user. */
	json_t *body = json_pack("{s:s, s:I}", "name", "x", "user_id", (json_int_t)fx->bob),
	       *out = NULL;
	struct gx_error err = {0};
	assert_int_equal(tokens_create(&fx->as_root, body, &out, &err), GX_EVALIDATION);
	assert_string_equal(err.field, "user_id");
	json_decref(body);
	assert_int_equal(query_int(fx->store, "SELECT COUNT(*) FROM tokens WHERE kind = 'api'"), 0);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup(name, reset_throttle)
	const struct CMUnitTest tests[] = {
	    T(test_users_create_and_read),
	    T(test_users_create_validation),
	    T(test_users_duplicate_username_conflicts),
	    T(test_users_admin_only),
	    T(test_users_check_password),
	    T(test_users_actor),
	    T(test_login_authenticate_logout),
	    T(test_authenticate_rejects_garbage),
	    T(test_login_body_shape),
	    T(test_inactive_or_wrong_login_refused),
	    T(test_expired_session_refused),
	    T(test_password_change_ends_sessions),
	    T(test_deactivation_ends_sessions),
	    T(test_throttle_per_username),
	    T(test_throttle_per_client),
	    T(test_tokens_create_list_delete),
	    T(test_tokens_admin_only),
	    T(test_tokens_body_validation),
	};
#undef T
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
