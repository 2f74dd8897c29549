/* presence.c — the agents' presence registry and call routing (see presence.h). Status and rank
 * are persisted in users (0004_cti.sql); connections, active calls and idle times live here only,
 * since after a restart every stream has to reconnect anyway. */
#include "crm/presence.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"

enum status { STATUS_AVAILABLE, STATUS_BUSY, STATUS_AWAY };
static const char *const status_names[] = {"available", "busy", "away", NULL};

struct agent {
	int64_t user_id;
	enum role role;
	char username[64];
	char team[64];
	int rank; /* agent_rank, 0..100 */
	enum status status;
	int connected;     /* open event streams */
	int active_calls;  /* calls routed or bound to the agent and not yet ended */
	int64_t idle_ms;   /* since when idle (Unix milliseconds) */
	uint64_t idle_seq; /* orders idle starts: the smallest is the longest idle */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct agent **agents;
static size_t nagents, cap;
static uint64_t next_seq;

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Under lock. */
static struct agent *find(int64_t user_id)
{
	for (size_t i = 0; i < nagents; i++)
		if (agents[i]->user_id == user_id)
			return agents[i];
	return NULL;
}

/* Under lock; NULL when out of memory. */
static struct agent *find_or_add(int64_t user_id)
{
	struct agent *a = find(user_id);
	if (a)
		return a;
	if (nagents == cap) {
		size_t grown_cap = cap ? cap * 2 : 64;
		struct agent **grown = realloc(agents, grown_cap * sizeof *grown);
		if (!grown)
			return NULL;
		agents = grown;
		cap = grown_cap;
	}
	if (!(a = calloc(1, sizeof *a)))
		return NULL;
	a->user_id = user_id;
	a->status = STATUS_AVAILABLE;
	agents[nagents++] = a;
	return a;
}

/* Under lock. */
static void start_idle(struct agent *a)
{
	a->idle_ms = now_ms();
	a->idle_seq = ++next_seq;
}

static int is_agent_role(enum role role)
{
	return role == ROLE_SERVICE || role == ROLE_SALES;
}

static int status_parse(const char *name, enum status *out)
{
	for (int i = 0; name && status_names[i]; i++) {
		if (strcmp(name, status_names[i]) == 0) {
			*out = (enum status)i;
			return 0;
		}
	}
	return -1;
}

/* The persisted status and rank of a user. */
static int load_row(struct crm_ctx *ctx, int64_t id, enum status *status, int *rank,
                    struct gx_error *err)
{
	struct store_stmt *stmt = store_prepare(
	    ctx->store, "SELECT presence, agent_rank FROM users WHERE id = ? AND active = 1", err);
	if (!stmt)
		return GX_EINTERNAL;
	store_bind_int(stmt, 1, id);
	int rc = store_step(stmt, err);
	if (rc == STORE_ROW) {
		if (status_parse(store_col_text(stmt, 0), status) < 0)
			*status = STATUS_AVAILABLE;
		*rank = (int)store_col_int(stmt, 1);
	}
	store_done(stmt);
	if (rc == STORE_DONE)
		return gx_fail(err, GX_ENOTFOUND, NULL, "no user with id %lld", (long long)id);
	return rc < 0 ? rc : 0;
}

/* Under lock: copies the actor's identity into the entry. */
static void set_identity(struct agent *a, const struct actor *actor)
{
	a->role = actor->role;
	snprintf(a->username, sizeof a->username, "%s", actor->username);
	snprintf(a->team, sizeof a->team, "%s", actor->team);
}

int presence_stream_opened(struct crm_ctx *ctx, struct gx_error *err)
{
	enum status status;
	int rank;
	int rc = load_row(ctx, ctx->actor.user_id, &status, &rank, err);
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&lock);
	struct agent *a = find_or_add(ctx->actor.user_id);
	if (a) {
		set_identity(a, &ctx->actor);
		a->status = status;
		a->rank = rank;
		if (a->connected++ == 0 && a->active_calls == 0)
			start_idle(a);
	}
	pthread_mutex_unlock(&lock);
	return a ? 0 : gx_fail(err, GX_EINTERNAL, NULL, "out of memory");
}

void presence_stream_closed(int64_t user_id)
{
	pthread_mutex_lock(&lock);
	struct agent *a = find(user_id);
	if (a && a->connected > 0)
		a->connected--;
	pthread_mutex_unlock(&lock);
}

/* The in-memory part of an agent's presence, added to obj. Under lock. */
static void add_live(json_t *obj, const struct agent *a)
{
	int idle = a && a->connected && a->status == STATUS_AVAILABLE && a->active_calls == 0;
	char since[32];
	if (idle)
		clock_format(a->idle_ms / 1000, since, sizeof since);
	json_object_set_new(obj, "connected", json_boolean(a && a->connected > 0));
	json_object_set_new(obj, "streams", json_integer(a ? a->connected : 0));
	json_object_set_new(obj, "active_calls", json_integer(a ? a->active_calls : 0));
	json_object_set_new(obj, "idle_since", idle ? json_string(since) : json_null());
}

int presence_get(struct crm_ctx *ctx, json_t **out, struct gx_error *err)
{
	enum status status;
	int rank;
	int rc = load_row(ctx, ctx->actor.user_id, &status, &rank, err);
	if (rc < 0)
		return rc;
	json_t *obj = json_pack("{s:I, s:s, s:s, s:b}", "user_id", (json_int_t)ctx->actor.user_id,
	                        "username", ctx->actor.username, "status", status_names[status],
	                        "agent", is_agent_role(ctx->actor.role));
	pthread_mutex_lock(&lock);
	add_live(obj, find(ctx->actor.user_id));
	pthread_mutex_unlock(&lock);
	*out = obj;
	return 0;
}

int presence_set(struct crm_ctx *ctx, const json_t *body, json_t **out, struct gx_error *err)
{
	if (!json_is_object(body))
		return gx_fail(err, GX_EBADREQUEST, NULL,
		               "the body must be {\"status\": \"available|busy|away\"}");
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)body, key, v)
	{
		if (strcmp(key, "status") != 0)
			return gx_fail(err, GX_EVALIDATION, key, "presence has no field \"%s\"",
			               key);
	}
	enum status status;
	if (status_parse(json_string_value(json_object_get(body, "status")), &status) < 0)
		return gx_fail(err, GX_EVALIDATION, "status",
		               "status must be available, busy or away");
	struct store_stmt *stmt = store_prepare(
	    ctx->store, "UPDATE users SET presence = ?, presence_at = ? WHERE id = ?", err);
	if (!stmt)
		return GX_EINTERNAL;
	store_bind_text(stmt, 1, status_names[status]);
	store_bind_int(stmt, 2, clock_now());
	store_bind_int(stmt, 3, ctx->actor.user_id);
	int rc = store_exec(stmt, err);
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&lock);
	struct agent *a = find_or_add(ctx->actor.user_id);
	if (a) {
		set_identity(a, &ctx->actor);
		a->status = status;
		/* Saying "available" is also how an agent frees themselves from a call whose end
		 * the telephony system never reported. */
		if (status == STATUS_AVAILABLE) {
			a->active_calls = 0;
			start_idle(a);
		}
	}
	pthread_mutex_unlock(&lock);
	return presence_get(ctx, out, err);
}

int presence_agents(struct crm_ctx *ctx, json_t **out, struct gx_error *err)
{
	if (ctx->actor.role != ROLE_ADMIN && ctx->actor.role != ROLE_MANAGER)
		return gx_fail(err, GX_EFORBIDDEN, NULL, "only managers and admins see the agents");
	struct store_stmt *stmt = store_prepare(
	    ctx->store,
	    "SELECT id, username, role, team, display_name, extension, agent_rank, presence, "
	    "presence_at FROM users WHERE active = 1 AND role IN ('service', 'sales') "
	    "ORDER BY username",
	    err);
	if (!stmt)
		return GX_EINTERNAL;
	json_t *data = json_array();
	int rc;
	while ((rc = store_step(stmt, err)) == STORE_ROW) {
		json_t *row = json_pack(
		    "{s:I, s:s, s:s, s:s?, s:s?, s:s?, s:I, s:s}", "id",
		    (json_int_t)store_col_int(stmt, 0), "username", store_col_text(stmt, 1), "role",
		    store_col_text(stmt, 2), "team", store_col_text(stmt, 3), "display_name",
		    store_col_text(stmt, 4), "extension", store_col_text(stmt, 5), "agent_rank",
		    (json_int_t)store_col_int(stmt, 6), "status", store_col_text(stmt, 7));
		if (!row)
			continue;
		if (store_col_is_null(stmt, 8)) {
			json_object_set_new(row, "status_since", json_null());
		} else {
			char at[32];
			clock_format(store_col_int(stmt, 8), at, sizeof at);
			json_object_set_new(row, "status_since", json_string(at));
		}
		pthread_mutex_lock(&lock);
		add_live(row, find(store_col_int(stmt, 0)));
		pthread_mutex_unlock(&lock);
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

static int extension_ok(const char *text)
{
	size_t n = strlen(text);
	if (n == 0 || n > 20)
		return 0;
	for (const char *p = text; *p; p++)
		if (!((*p >= '0' && *p <= '9') || *p == '*' || *p == '#'))
			return 0;
	return 1;
}

static int check_agent_body(const json_t *body, struct gx_error *err)
{
	if (!json_is_object(body))
		return gx_fail(err, GX_EBADREQUEST, NULL, "the body must be a JSON object");
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)body, key, v)
	{
		if (strcmp(key, "extension") == 0) {
			if (!json_is_null(v) &&
			    !(json_is_string(v) && extension_ok(json_string_value(v))))
				return gx_fail(err, GX_EVALIDATION, key,
				               "extension must be 1-20 of 0-9, '*', '#', or null");
		} else if (strcmp(key, "agent_rank") == 0) {
			if (!json_is_integer(v) || json_integer_value(v) < 0 ||
			    json_integer_value(v) > 100)
				return gx_fail(err, GX_EVALIDATION, key,
				               "agent_rank must be a whole number from 0 to 100");
		} else {
			return gx_fail(
			    err, GX_EVALIDATION, key,
			    "an agent has extension and agent_rank you may set, not \"%s\"", key);
		}
	}
	return 0;
}

int presence_agent_update(struct crm_ctx *ctx, int64_t id, const json_t *body, json_t **out,
                          struct gx_error *err)
{
	if (!access_is_admin(&ctx->actor))
		return gx_fail(err, GX_EFORBIDDEN, NULL, "only an admin may change agents");
	int rc = check_agent_body(body, err);
	if (rc < 0)
		return rc;
	json_t *ext = json_object_get(body, "extension"),
	       *rank = json_object_get(body, "agent_rank");
	struct store_stmt *stmt = store_prepare(
	    ctx->store,
	    "UPDATE users SET extension = CASE WHEN ? THEN ? ELSE extension END, "
	    "agent_rank = COALESCE(?, agent_rank), updated_at = ? WHERE id = ? AND active = 1",
	    err);
	if (!stmt)
		return GX_EINTERNAL;
	store_bind_int(stmt, 1, ext != NULL);
	store_bind_text(stmt, 2, json_string_value(ext));
	if (rank)
		store_bind_int(stmt, 3, json_integer_value(rank));
	else
		store_bind_null(stmt, 3);
	store_bind_int(stmt, 4, clock_now());
	store_bind_int(stmt, 5, id);
	rc = store_exec(stmt, err);
	if (rc == GX_ECONFLICT)
		return gx_fail(err, GX_ECONFLICT, "extension",
		               "the extension %s belongs to another user", json_string_value(ext));
	if (rc < 0)
		return rc;
	if (store_changes(ctx->store) == 0)
		return gx_fail(err, GX_ENOTFOUND, NULL, "no active user with id %lld",
		               (long long)id);
	if (rank) {
		pthread_mutex_lock(&lock);
		struct agent *a = find(id);
		if (a)
			a->rank = (int)json_integer_value(rank);
		pthread_mutex_unlock(&lock);
	}
	json_t *all = NULL;
	if ((rc = presence_agents(ctx, &all, err)) < 0)
		return rc;
	json_t *row, *found = NULL;
	size_t i;
	json_array_foreach(json_object_get(all, "data"), i, row)
	{
		if (json_integer_value(json_object_get(row, "id")) == id)
			found = json_incref(row);
	}
	json_decref(all);
	if (!found) /* not an agent (role), but the fields are set */
		found = json_pack("{s:I, s:o, s:O?}", "id", (json_int_t)id, "extension",
		                  ext ? json_incref(ext) : json_null(), "agent_rank", rank);
	*out = found;
	return 0;
}

/* Under lock: 1 when the agent may see the caller's records (visibility, access.h). */
static int may_see(const struct agent *a, const struct presence_want *want)
{
	if (!want->known || a->role != ROLE_SALES)
		return 1;
	if (!want->owner_id)
		return 0;
	return want->owner_id == a->user_id ||
	       (a->team[0] && want->owner_team && strcmp(a->team, want->owner_team) == 0);
}

static int free_agent(const struct agent *a)
{
	return a->connected > 0 && a->status == STATUS_AVAILABLE && a->active_calls == 0 &&
	       is_agent_role(a->role);
}

/* Under lock: the longest-idle free agent passing filter (best rank first when by_rank). */
static struct agent *pick(const struct presence_want *want, int gold_team_only, int visible_only,
                          int by_rank)
{
	struct agent *best = NULL;
	for (size_t i = 0; i < nagents; i++) {
		struct agent *a = agents[i];
		if (!free_agent(a))
			continue;
		if (gold_team_only && strcmp(a->team, want->gold_team) != 0)
			continue;
		if (visible_only && !may_see(a, want))
			continue;
		if (!best || (by_rank && a->rank > best->rank) ||
		    ((!by_rank || a->rank == best->rank) && a->idle_seq < best->idle_seq))
			best = a;
	}
	return best;
}

int64_t presence_route(const struct presence_want *want, enum presence_route *how)
{
	pthread_mutex_lock(&lock);
	struct agent *a = NULL;
	*how = ROUTE_NONE;
	if (want->gold) {
		int team = want->gold_team && want->gold_team[0];
		/* The gold line serves its tier whoever owns the customer. */
		a = pick(want, team, !team, 1);
		if (a)
			*how = ROUTE_GOLD_LINE;
	}
	if (!a && (a = pick(want, 0, 1, 0)))
		*how = ROUTE_LONGEST_IDLE;
	if (!a && (a = pick(want, 0, 0, 0)))
		*how = ROUTE_OVERFLOW;
	int64_t id = 0;
	if (a) {
		a->active_calls++;
		id = a->user_id;
	}
	pthread_mutex_unlock(&lock);
	return id;
}

const char *presence_route_name(enum presence_route how)
{
	static const char *const names[] = {"none", "gold_line", "longest_idle", "overflow"};
	return names[how];
}

void presence_call_assigned(int64_t user_id)
{
	pthread_mutex_lock(&lock);
	struct agent *a = find(user_id);
	if (a)
		a->active_calls++;
	pthread_mutex_unlock(&lock);
}

void presence_call_released(int64_t user_id)
{
	pthread_mutex_lock(&lock);
	struct agent *a = find(user_id);
	if (a && a->active_calls > 0 && --a->active_calls == 0)
		start_idle(a);
	pthread_mutex_unlock(&lock);
}

void presence_reset(void)
{
	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < nagents; i++)
		free(agents[i]);
	free(agents);
	agents = NULL;
	nagents = cap = 0;
	pthread_mutex_unlock(&lock);
}
