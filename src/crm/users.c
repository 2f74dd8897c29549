/* users.c — user accounts and their passwords. */
#include "crm/users.h"

#include <pthread.h>
#include <sodium.h>
#include <string.h>

#include "base/clock.h"
#include <stdio.h>

#define PASSWORD_MIN 10
static const char *const locales[] = {"en", "zh-CN", "zh-TW", NULL};

static json_t *user_row(struct store_stmt *stmt)
{
	return json_pack("{s:I, s:s, s:s, s:s?, s:s?, s:s, s:b}", "id",
	                 (json_int_t)store_col_int(stmt, 0), "username", store_col_text(stmt, 1),
	                 "role", store_col_text(stmt, 2), "team", store_col_text(stmt, 3),
	                 "display_name", store_col_text(stmt, 4), "locale", store_col_text(stmt, 5),
	                 "active", (int)store_col_int(stmt, 6));
}

#define USER_COLUMNS "id, username, role, team, display_name, locale, active"

static int hash_password(const char *password, char out[crypto_pwhash_STRBYTES],
                         struct gx_error *err)
{
	if (!password || strlen(password) < PASSWORD_MIN || strlen(password) > 1024)
		return gx_fail(err, GX_EVALIDATION, "password",
		               "the password needs at least %d characters", PASSWORD_MIN);
	if (crypto_pwhash_str(out, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
	                      crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
		return gx_fail(err, GX_EINTERNAL, NULL, "out of memory");
	return 0;
}

static int in_list(const char *const *list, const char *value)
{
	for (; value && *list; list++)
		if (strcmp(*list, value) == 0)
			return 1;
	return 0;
}

/* Each key of body must be one of allowed, with a string value (or null where nullable). */
static int check_user_body(const json_t *body, const char *const *allowed, struct gx_error *err)
{
	if (!json_is_object(body))
		return gx_fail(err, GX_EBADREQUEST, NULL, "the body must be a JSON object");
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)body, key, v)
	{
		if (!in_list(allowed, key))
			return gx_fail(err, GX_EVALIDATION, key,
			               "user has no field \"%s\" you may set", key);
		int nullable = strcmp(key, "team") == 0 || strcmp(key, "display_name") == 0;
		if (strcmp(key, "active") == 0
		        ? !json_is_boolean(v)
		        : !(json_is_string(v) || (nullable && json_is_null(v))))
			return gx_fail(err, GX_EVALIDATION, key, "%s has the wrong type", key);
		/* Teams are compared as struct actor holds them (63 bytes): longer would be cut. */
		size_t max = strcmp(key, "team") == 0 ? 63 : 200;
		if (json_is_string(v) && strlen(json_string_value(v)) > max)
			return gx_fail(err, GX_EVALIDATION, key, "%s is longer than %zu bytes", key,
			               max);
	}
	enum role role;
	const char *r = json_string_value(json_object_get(body, "role"));
	if (r && access_role_parse(r, &role) < 0)
		return gx_fail(err, GX_EVALIDATION, "role",
		               "role must be admin, manager, sales, service, marketing or finance");
	const char *locale = json_string_value(json_object_get(body, "locale"));
	if (locale && !in_list(locales, locale))
		return gx_fail(err, GX_EVALIDATION, "locale", "locale must be en, zh-CN or zh-TW");
	return 0;
}

static int username_ok(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	if (n == 0 || n > 63)
		return 0;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || strchr("._-", *p)))
			return 0;
	return 1;
}

static int require_admin(struct crm_ctx *ctx, struct gx_error *err)
{
	return access_is_admin(&ctx->actor)
	           ? 0
	           : gx_fail(err, GX_EFORBIDDEN, NULL, "only an admin may manage users");
}

int users_create(struct crm_ctx *ctx, const json_t *body, json_t **out, struct gx_error *err)
{
	static const char *const allowed[] = {"username",     "password", "role", "team",
	                                      "display_name", "locale",   NULL};
	int rc = require_admin(ctx, err);
	if (rc == 0)
		rc = check_user_body(body, allowed, err);
	if (rc < 0)
		return rc;
	const char *username = json_string_value(json_object_get(body, "username"));
	const char *role = json_string_value(json_object_get(body, "role"));
	if (!username_ok(username))
		return gx_fail(err, GX_EVALIDATION, "username",
		               "username must be 1-63 of a-z, 0-9, '.', '_', '-'");
	if (!role)
		return gx_fail(err, GX_EVALIDATION, "role", "role is required");
	char hash[crypto_pwhash_STRBYTES];
	if ((rc = hash_password(json_string_value(json_object_get(body, "password")), hash, err)) <
	    0)
		return rc;
	const char *locale = json_string_value(json_object_get(body, "locale"));
	struct store_stmt *stmt = store_prepare(
	    ctx->store,
	    "INSERT INTO users(username, password_hash, role, team, display_name, locale, "
	    "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
	    err);
	if (!stmt)
		return GX_EINTERNAL;
	int64_t now = clock_now();
	store_bind_text(stmt, 1, username);
	store_bind_text(stmt, 2, hash);
	store_bind_text(stmt, 3, role);
	store_bind_text(stmt, 4, json_string_value(json_object_get(body, "team")));
	store_bind_text(stmt, 5, json_string_value(json_object_get(body, "display_name")));
	store_bind_text(stmt, 6, locale ? locale : "en");
	store_bind_int(stmt, 7, now);
	store_bind_int(stmt, 8, now);
	rc = store_exec(stmt, err);
	if (rc == GX_ECONFLICT)
		return gx_fail(err, GX_ECONFLICT, "username", "the username %s is taken", username);
	return rc < 0 ? rc : users_get(ctx, store_last_insert_id(ctx->store), out, err);
}

/* The rows of sql (USER_COLUMNS) as {"data": [...], "next_cursor": null}; with names_only, the
 * fields that name a user and nothing else. */
static int user_rows(struct crm_ctx *ctx, const char *sql, int names_only, json_t **out,
                     struct gx_error *err)
{
	struct store_stmt *stmt = store_prepare(ctx->store, sql, err);
	if (!stmt)
		return GX_EINTERNAL;
	json_t *data = json_array();
	int rc;
	while ((rc = store_step(stmt, err)) == STORE_ROW) {
		json_t *row = user_row(stmt);
		if (names_only) {
			json_object_del(row, "locale");
			json_object_del(row, "active");
		}
		json_array_append_new(data, row);
	}
	store_done(stmt);
	if (rc < 0) {
		json_decref(data);
		return rc;
	}
	*out = json_pack("{s:o, s:n}", "data", data, "next_cursor");
	return 0;
}

int users_list(struct crm_ctx *ctx, json_t **out, struct gx_error *err)
{
	int rc = require_admin(ctx, err);
	return rc ? rc
	          : user_rows(ctx, "SELECT " USER_COLUMNS " FROM users ORDER BY username", 0, out,
	                      err);
}

int users_directory(struct crm_ctx *ctx, json_t **out, struct gx_error *err)
{
	return user_rows(ctx,
	                 "SELECT " USER_COLUMNS " FROM users WHERE active = 1 ORDER BY username", 1,
	                 out, err);
}

int users_get(struct crm_ctx *ctx, int64_t id, json_t **out, struct gx_error *err)
{
	if (!access_is_admin(&ctx->actor) && id != ctx->actor.user_id)
		return gx_fail(err, GX_ENOTFOUND, NULL, "no user with id %lld", (long long)id);
	struct store_stmt *stmt =
	    store_prepare(ctx->store, "SELECT " USER_COLUMNS " FROM users WHERE id = ?", err);
	if (!stmt)
		return GX_EINTERNAL;
	store_bind_int(stmt, 1, id);
	int rc = store_step(stmt, err);
	if (rc == STORE_ROW)
		*out = user_row(stmt);
	store_done(stmt);
	if (rc == STORE_DONE)
		return gx_fail(err, GX_ENOTFOUND, NULL, "no user with id %lld", (long long)id);
	return rc < 0 ? rc : 0;
}

static int set_column(struct crm_ctx *ctx, int64_t id, const char *sql, const json_t *v,
                      struct gx_error *err)
{
	struct store_stmt *stmt = store_prepare(ctx->store, sql, err);
	if (!stmt)
		return GX_EINTERNAL;
	if (json_is_boolean(v))
		store_bind_int(stmt, 1, json_is_true(v));
	else
		store_bind_text(stmt, 1, json_string_value(v));
	store_bind_int(stmt, 2, clock_now());
	store_bind_int(stmt, 3, id);
	return store_exec(stmt, err);
}

static int apply_user_change(struct crm_ctx *ctx, int64_t id, const char *key, json_t *v,
                             struct gx_error *err)
{
	static const char *const updates[][2] = {
	    {"role",
	     "UPDATE users SET role = ?, updated_at = ?, version = version + 1 WHERE id = ?"},
	    {"team",
	     "UPDATE users SET team = ?, updated_at = ?, version = version + 1 WHERE id = ?"},
	    {"display_name", "UPDATE users SET display_name = ?, updated_at = ?, version = version "
	                     "+ 1 WHERE id = ?"},
	    {"locale",
	     "UPDATE users SET locale = ?, updated_at = ?, version = version + 1 WHERE id = ?"},
	    {"active",
	     "UPDATE users SET active = ?, updated_at = ?, version = version + 1 WHERE id = ?"},
	    {"password",
	     "UPDATE users SET password_hash = ?, updated_at = ?, version = version + 1 "
	     "WHERE id = ?"},
	};
	for (size_t i = 0; i < sizeof updates / sizeof updates[0]; i++) {
		if (strcmp(key, updates[i][0]) != 0)
			continue;
		if (strcmp(key, "password") != 0)
			return set_column(ctx, id, updates[i][1], v, err);
		char hash[crypto_pwhash_STRBYTES];
		int rc = hash_password(json_string_value(v), hash, err);
		json_t *hashed = json_string(hash);
		if (rc == 0)
			rc = set_column(ctx, id, updates[i][1], hashed, err);
		json_decref(hashed);
		return rc;
	}
	return 0;
}

/* A changed password or a deactivation ends the user's sessions. */
static int end_sessions(struct crm_ctx *ctx, int64_t id, struct gx_error *err)
{
	struct store_stmt *stmt = store_prepare(
	    ctx->store, "DELETE FROM tokens WHERE user_id = ? AND kind = 'session'", err);
	if (!stmt)
		return GX_EINTERNAL;
	store_bind_int(stmt, 1, id);
	return store_exec(stmt, err);
}

int users_update(struct crm_ctx *ctx, int64_t id, const json_t *body, json_t **out,
                 struct gx_error *err)
{
	static const char *const admin_fields[] = {"password", "role",   "team", "display_name",
	                                           "locale",   "active", NULL};
	static const char *const own_fields[] = {"password", "display_name", "locale", NULL};
	json_t *current = NULL;
	int rc = users_get(ctx, id, &current, err);
	json_decref(current);
	/* An admin who demotes or deactivates themselves could leave nobody to undo it. */
	if (rc == 0 && id == ctx->actor.user_id && access_is_admin(&ctx->actor) &&
	    ((json_is_string(json_object_get(body, "role")) &&
	      strcmp(json_string_value(json_object_get(body, "role")), "admin") != 0) ||
	     json_is_false(json_object_get(body, "active"))))
		return gx_fail(err, GX_EVALIDATION,
		               json_object_get(body, "role") ? "role" : "active",
		               "you cannot remove your own admin role or deactivate yourself; ask "
		               "another admin");
	if (rc == 0)
		rc = check_user_body(body, access_is_admin(&ctx->actor) ? admin_fields : own_fields,
		                     err);
	if (rc == 0)
		rc = store_begin(ctx->store, err);
	if (rc < 0)
		return rc;
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)body, key, v)
	{
		if (rc == 0)
			rc = apply_user_change(ctx, id, key, v, err);
	}
	if (rc == 0 &&
	    (json_object_get(body, "password") || json_is_false(json_object_get(body, "active"))))
		rc = end_sessions(ctx, id, err);
	if (rc < 0) {
		store_rollback(ctx->store);
		return rc;
	}
	rc = store_commit(ctx->store, err);
	return rc < 0 ? rc : users_get(ctx, id, out, err);
}

void users_actor_row(struct store_stmt *stmt, struct actor *actor)
{
	*actor = (struct actor){.user_id = store_col_int(stmt, 0)};
	snprintf(actor->username, sizeof actor->username, "%s", store_col_text(stmt, 1));
	access_role_parse(store_col_text(stmt, 2), &actor->role);
	const char *team = store_col_text(stmt, 3);
	snprintf(actor->team, sizeof actor->team, "%s", team ? team : "");
}

int users_actor(struct store *store, int64_t id, struct actor *actor, struct gx_error *err)
{
	struct store_stmt *stmt = store_prepare(
	    store, "SELECT id, username, role, team FROM users WHERE id = ? AND active = 1", err);
	if (!stmt)
		return GX_EINTERNAL;
	store_bind_int(stmt, 1, id);
	int rc = store_step(stmt, err);
	if (rc == STORE_ROW)
		users_actor_row(stmt, actor);
	store_done(stmt);
	if (rc == STORE_DONE)
		return gx_fail(err, GX_EUNAUTHORIZED, NULL, "the user is unknown or inactive");
	return rc < 0 ? rc : 0;
}

/* A hash to verify against when the user does not exist, so an unknown name costs as much time as
 * a wrong password and timing does not tell which usernames exist. */
static char dummy_hash[crypto_pwhash_STRBYTES];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

static void make_dummy_hash(void)
{
	unsigned char secret[16];
	randombytes_buf(secret, sizeof secret);
	if (crypto_pwhash_str(dummy_hash, (const char *)secret, sizeof secret,
	                      crypto_pwhash_OPSLIMIT_INTERACTIVE,
	                      crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
		dummy_hash[0] = '\0';
}

int users_check_password(struct store *store, const char *username, const char *password,
                         int64_t *id, struct gx_error *err)
{
	struct store_stmt *stmt = store_prepare(
	    store, "SELECT id, password_hash FROM users WHERE username = ? AND active = 1", err);
	if (!stmt)
		return GX_EINTERNAL;
	store_bind_text(stmt, 1, username);
	int rc = store_step(stmt, err);
	int ok = rc == STORE_ROW &&
	         crypto_pwhash_str_verify(store_col_text(stmt, 1), password, strlen(password)) == 0;
	if (rc == STORE_DONE) {
		pthread_once(&dummy_once, make_dummy_hash);
		if (crypto_pwhash_str_verify(dummy_hash, password, strlen(password)) == 0)
			ok = 0; /* the time spent is the point; a match means nothing */
	}
	*id = ok ? store_col_int(stmt, 0) : 0;
	store_done(stmt);
	if (rc < 0)
		return rc;
	return ok ? 0 : gx_fail(err, GX_EUNAUTHORIZED, NULL, "wrong username or password");
}

int users_count(struct store *store, int64_t *count, struct gx_error *err)
{
	struct store_stmt *stmt = store_prepare(store, "SELECT COUNT(*) FROM users", err);
	if (!stmt)
		return GX_EINTERNAL;
	int rc = store_step(stmt, err);
	*count = rc == STORE_ROW ? store_col_int(stmt, 0) : 0;
	store_done(stmt);
	return rc < 0 ? rc : 0;
}
