/* sessions.c — sessions, API tokens and login throttling. */
#include "crm/sessions.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "crm/users.h"

/* ---- throttling ---------------------------------------------------------------------
 * Failures are counted per username and per client address in a small fixed table (an
 * attacker cannot grow it). From SLOW_AFTER failures each further attempt waits a second; from
 * BLOCK_AFTER the key is refused until WINDOW seconds pass without failures. */
#define THROTTLE_SLOTS 1024
#define SLOW_AFTER 3
#define BLOCK_AFTER 10
#define WINDOW 900

struct throttle_slot {
	char key[80];
	int failures;
	int64_t last;
};

static struct throttle_slot slots[THROTTLE_SLOTS];
static pthread_mutex_t throttle_lock = PTHREAD_MUTEX_INITIALIZER;

static struct throttle_slot *slot_for(const char *key, int64_t now)
{
	uint64_t h = 1469598103934665603ull;
	for (const char *p = key; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	struct throttle_slot *s = &slots[h % THROTTLE_SLOTS];
	if (strcmp(s->key, key) != 0 || now - s->last > WINDOW) {
		/* A colliding key takes the slot over: at worst a blocked attacker is forgiven
		 * early. */
		snprintf(s->key, sizeof s->key, "%s", key);
		s->failures = 0;
	}
	return s;
}

/* The failures already counted against the worse of the two keys. */
static int failures_before(const char *user_key, const char *client_key, int64_t now)
{
	pthread_mutex_lock(&throttle_lock);
	int a = slot_for(user_key, now)->failures, b = slot_for(client_key, now)->failures;
	pthread_mutex_unlock(&throttle_lock);
	return a > b ? a : b;
}

static void count_failure(const char *user_key, const char *client_key, int64_t now)
{
	pthread_mutex_lock(&throttle_lock);
	struct throttle_slot *keys[2] = {slot_for(user_key, now), slot_for(client_key, now)};
	for (int i = 0; i < 2; i++) {
		keys[i]->failures++;
		keys[i]->last = now;
	}
	pthread_mutex_unlock(&throttle_lock);
}

static void clear_failures(const char *user_key, int64_t now)
{
	pthread_mutex_lock(&throttle_lock);
	slot_for(user_key, now)->failures = 0;
	pthread_mutex_unlock(&throttle_lock);
}

void sessions_reset_throttle(void)
{
	pthread_mutex_lock(&throttle_lock);
	memset(slots, 0, sizeof slots);
	pthread_mutex_unlock(&throttle_lock);
}

/* ---- tokens -------------------------------------------------------------------------- */

static void hash_token(const char *token, char hex[65])
{
	unsigned char digest[32];
	crypto_generichash(digest, sizeof digest, (const unsigned char *)token, strlen(token), NULL,
	                   0);
	sodium_bin2hex(hex, 65, digest, sizeof digest);
}

static void new_token(char out[SESSION_TOKEN_MAX])
{
	unsigned char secret[32];
	randombytes_buf(secret, sizeof secret);
	sodium_bin2base64(out, SESSION_TOKEN_MAX, secret, sizeof secret,
	                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

static int store_token(struct store *store, const char *token, int64_t user_id, const char *kind,
                       const char *name, int64_t expires_at, struct gx_error *err)
{
	char hex[65];
	hash_token(token, hex);
	struct store_stmt *stmt = store_prepare(
	    store,
	    "INSERT INTO tokens(token_hash, user_id, kind, name, created_at, expires_at) "
	    "VALUES (?, ?, ?, ?, ?, ?)",
	    err);
	if (!stmt)
		return GX_EINTERNAL;
	store_bind_text(stmt, 1, hex);
	store_bind_int(stmt, 2, user_id);
	store_bind_text(stmt, 3, kind);
	store_bind_text(stmt, 4, name);
	store_bind_int(stmt, 5, clock_now());
	if (expires_at)
		store_bind_int(stmt, 6, expires_at);
	else
		store_bind_null(stmt, 6);
	return store_exec(stmt, err);
}

static int open_session(struct crm_ctx *ctx, int64_t user_id, json_t **out, struct gx_error *err)
{
	char token[SESSION_TOKEN_MAX];
	new_token(token);
	struct store_stmt *stmt = store_prepare(
	    ctx->store, "DELETE FROM tokens WHERE expires_at IS NOT NULL AND expires_at < ?", err);
	if (!stmt)
		return GX_EINTERNAL;
	store_bind_int(stmt, 1, clock_now());
	int rc = store_exec(stmt, err);
	if (rc == 0)
		rc = store_token(ctx->store, token, user_id, "session", NULL,
		                 clock_now() + SESSION_SECONDS, err);
	json_t *user = NULL;
	struct crm_ctx self = *ctx;
	if (rc == 0)
		rc = users_actor(ctx->store, user_id, &self.actor, err);
	if (rc == 0)
		rc = users_get(&self, user_id, &user, err);
	if (rc == 0)
		*out = json_pack("{s:s, s:o}", "token", token, "user", user);
	sodium_memzero(token, sizeof token);
	return rc;
}

int sessions_login(struct crm_ctx *ctx, const json_t *body, const char *client, json_t **out,
                   int *retry_after, struct gx_error *err)
{
	const char *username = json_string_value(json_object_get(body, "username"));
	const char *password = json_string_value(json_object_get(body, "password"));
	if (!json_is_object(body) || !username || !password || json_object_size(body) != 2)
		return gx_fail(err, GX_EBADREQUEST, NULL,
		               "the body must be {\"username\": \"...\", \"password\": \"...\"}");
	char user_key[80], client_key[80];
	snprintf(user_key, sizeof user_key, "u:%s", username);
	snprintf(client_key, sizeof client_key, "c:%s", client ? client : "");
	int64_t now = clock_now();
	int failures = failures_before(user_key, client_key, now);
	if (failures >= BLOCK_AFTER) {
		*retry_after = WINDOW;
		return gx_fail(err, GX_ERATELIMITED, NULL,
		               "too many failed sign-ins; try again in 15 minutes");
	}
	if (failures >= SLOW_AFTER)
		sleep(1);
	int64_t id;
	int rc = users_check_password(ctx->store, username, password, &id, err);
	if (rc == GX_EUNAUTHORIZED)
		count_failure(user_key, client_key, now);
	if (rc < 0)
		return rc;
	clear_failures(user_key, now);
	return open_session(ctx, id, out, err);
}

int sessions_logout(struct crm_ctx *ctx, const char *token, struct gx_error *err)
{
	char hex[65];
	hash_token(token, hex);
	struct store_stmt *stmt = store_prepare(
	    ctx->store, "DELETE FROM tokens WHERE token_hash = ? AND kind = 'session'", err);
	if (!stmt)
		return GX_EINTERNAL;
	store_bind_text(stmt, 1, hex);
	return store_exec(stmt, err);
}

int sessions_authenticate(struct store *store, const char *token, struct actor *actor,
                          struct gx_error *err)
{
	if (!token || !*token || strlen(token) >= SESSION_TOKEN_MAX)
		return gx_fail(err, GX_EUNAUTHORIZED, NULL, "sign in first");
	char hex[65];
	hash_token(token, hex);
	/* One query per request: the token and its user together. */
	struct store_stmt *stmt = store_prepare(
	    store,
	    "SELECT u.id, u.username, u.role, u.team, t.kind FROM tokens t JOIN users u ON u.id = "
	    "t.user_id WHERE t.token_hash = ? AND (t.expires_at IS NULL OR t.expires_at > ?) AND "
	    "u.active = 1",
	    err);
	if (!stmt)
		return GX_EINTERNAL;
	store_bind_text(stmt, 1, hex);
	store_bind_int(stmt, 2, clock_now());
	int rc = store_step(stmt, err);
	if (rc == STORE_ROW) {
		users_actor_row(stmt, actor);
		actor->api_token = strcmp(store_col_text(stmt, 4), "api") == 0;
	}
	store_done(stmt);
	if (rc < 0)
		return rc;
	if (rc != STORE_ROW)
		return gx_fail(err, GX_EUNAUTHORIZED, NULL,
		               "the session or token is unknown or expired");
	return 0;
}

/* ---- API tokens ---------------------------------------------------------------------- */

static int require_admin(struct crm_ctx *ctx, struct gx_error *err)
{
	return access_is_admin(&ctx->actor)
	           ? 0
	           : gx_fail(err, GX_EFORBIDDEN, NULL, "only an admin may manage API tokens");
}

static int check_token_body(const json_t *body, struct gx_error *err)
{
	if (!json_is_object(body))
		return gx_fail(err, GX_EBADREQUEST, NULL, "the body must be a JSON object");
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)body, key, v)
	{
		if (strcmp(key, "name") == 0 && json_is_string(v) &&
		    strlen(json_string_value(v)) <= 200)
			continue;
		if (strcmp(key, "user_id") == 0 && json_is_integer(v))
			continue;
		int64_t t;
		if (strcmp(key, "expires_at") == 0 && json_is_string(v) &&
		    clock_parse(json_string_value(v), &t) == 0)
			continue;
		return gx_fail(err, GX_EVALIDATION, key,
		               "a token has name (text), user_id (id) and expires_at (RFC 3339)");
	}
	if (!json_is_string(json_object_get(body, "name")))
		return gx_fail(err, GX_EVALIDATION, "name", "name is required");
	return 0;
}

static json_t *token_row(struct store_stmt *stmt)
{
	char created[32], expires[32];
	clock_format(store_col_int(stmt, 4), created, sizeof created);
	clock_format(store_col_int(stmt, 5), expires, sizeof expires);
	return json_pack("{s:I, s:s?, s:I, s:s, s:s, s:s?}", "id",
	                 (json_int_t)store_col_int(stmt, 0), "name", store_col_text(stmt, 1),
	                 "user_id", (json_int_t)store_col_int(stmt, 2), "username",
	                 store_col_text(stmt, 3), "created_at", created, "expires_at",
	                 store_col_is_null(stmt, 5) ? NULL : expires);
}

#define TOKEN_SELECT                                                                               \
	"SELECT t.id, t.name, t.user_id, u.username, t.created_at, t.expires_at FROM tokens t "    \
	"JOIN users u ON u.id = t.user_id WHERE t.kind = 'api'"

int tokens_create(struct crm_ctx *ctx, const json_t *body, json_t **out, struct gx_error *err)
{
	int rc = require_admin(ctx, err);
	if (rc == 0)
		rc = check_token_body(body, err);
	if (rc < 0)
		return rc;
	json_t *user = json_object_get(body, "user_id");
	int64_t user_id = user ? json_integer_value(user) : ctx->actor.user_id;
	struct actor owner;
	if (users_actor(ctx->store, user_id, &owner, err) < 0)
		return gx_fail(err, GX_EVALIDATION, "user_id", "no active user with id %lld",
		               (long long)user_id);
	int64_t expires = 0;
	const char *until = json_string_value(json_object_get(body, "expires_at"));
	if (until)
		clock_parse(until, &expires);
	char token[SESSION_TOKEN_MAX];
	new_token(token);
	rc = store_token(ctx->store, token, user_id, "api",
	                 json_string_value(json_object_get(body, "name")), expires, err);
	struct store_stmt *stmt =
	    rc ? NULL : store_prepare(ctx->store, TOKEN_SELECT " AND t.id = ?", err);
	if (stmt) {
		store_bind_int(stmt, 1, store_last_insert_id(ctx->store));
		if ((rc = store_step(stmt, err)) == STORE_ROW) {
			*out = token_row(stmt);
			json_object_set_new(*out, "token", json_string(token));
			rc = 0;
		}
		store_done(stmt);
	}
	sodium_memzero(token, sizeof token);
	return rc < 0 ? rc : stmt ? 0 : GX_EINTERNAL;
}

int tokens_list(struct crm_ctx *ctx, json_t **out, struct gx_error *err)
{
	int rc = require_admin(ctx, err);
	struct store_stmt *stmt =
	    rc ? NULL : store_prepare(ctx->store, TOKEN_SELECT " ORDER BY t.id", err);
	if (!stmt)
		return rc ? rc : GX_EINTERNAL;
	json_t *data = json_array();
	while ((rc = store_step(stmt, err)) == STORE_ROW)
		json_array_append_new(data, token_row(stmt));
	store_done(stmt);
	if (rc < 0) {
		json_decref(data);
		return rc;
	}
	*out = json_pack("{s:o, s:n}", "data", data, "next_cursor");
	return 0;
}

int tokens_delete(struct crm_ctx *ctx, int64_t id, struct gx_error *err)
{
	int rc = require_admin(ctx, err);
	struct store_stmt *stmt =
	    rc ? NULL
	       : store_prepare(ctx->store, "DELETE FROM tokens WHERE id = ? AND kind = 'api'", err);
	if (!stmt)
		return rc ? rc : GX_EINTERNAL;
	store_bind_int(stmt, 1, id);
	rc = store_exec(stmt, err);
	if (rc == 0 && store_changes(ctx->store) == 0)
		return gx_fail(err, GX_ENOTFOUND, NULL, "no API token with id %lld", (long long)id);
	return rc;
}
