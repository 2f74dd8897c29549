/* cti.c — call events, routing and the screen pop (cti.h). A call is one row of calls keyed by
 * (the reporting integration, its call id); each event fills the time of its state once, so a
 * repeated event is a no-op and events may come in any order. Once the end is known the call's
 * figures (outcome, wait, talk time) are derived from the three times and kept in one phone
 * interaction, created or corrected through records_create/records_update in the same
 * transaction, audit row included. Relies on presence.c for the agents, customer360.c for the
 * figures and records.c for every write to interactions. */
#include "crm/cti.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/phone.h"
#include "crm/customer360.h"
#include "crm/presence.h"
#include "crm/records.h"

#define CALL_ID_MAX 128
#define NUMBER_MAX 64
#define LAST_INTERACTIONS 5

enum event_type { EV_RINGING, EV_ANSWERED, EV_ENDED };
static const char *const event_names[] = {"ringing", "answered", "ended", NULL};

struct call_event {
	enum event_type type;
	const char *call_id;
	const char *from; /* NULL when withheld */
	const char *to;
	const char *agent; /* username or extension, NULL when not bound */
	int64_t at;
};

/* One row of calls; 0 stands for NULL in ids and times. */
struct call {
	int64_t id;
	char call_id[CALL_ID_MAX + 1];
	char from[NUMBER_MAX + 1];
	char e164[PHONE_E164_MAX];
	char to[NUMBER_MAX + 1];
	int64_t contact_id, agent_id, interaction_id;
	char routed[16];
	int64_t ringing_at, answered_at, ended_at;
};

static pthread_mutex_t write_lock = PTHREAD_MUTEX_INITIALIZER;

int cti_may_post(const struct actor *actor)
{
	return actor->api_token || access_is_admin(actor);
}

/* ---- parsing ------------------------------------------------------------------------- */

static int optional_text(const json_t *body, const char *key, size_t max, const char **out,
                         struct gx_error *err)
{
	json_t *v = json_object_get(body, key);
	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return gx_fail(err, GX_EVALIDATION, key, "%s must be a string", key);
	if (strlen(json_string_value(v)) > max)
		return gx_fail(err, GX_EVALIDATION, key, "%s is longer than %zu bytes", key, max);
	if (*json_string_value(v))
		*out = json_string_value(v);
	return 0;
}

static int parse_event(const json_t *body, struct call_event *ev, struct gx_error *err)
{
	static const char *const keys[] = {"event", "call_id", "from", "to", "agent", "at"};
	if (!json_is_object(body))
		return gx_fail(err, GX_EBADREQUEST, NULL,
		               "the body must be a JSON object {\"event\", \"call_id\", \"from\", "
		               "\"to\", \"agent\", \"at\"}");
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)body, key, v)
	{
		size_t i = 0;
		while (i < sizeof keys / sizeof keys[0] && strcmp(keys[i], key) != 0)
			i++;
		if (i == sizeof keys / sizeof keys[0])
			return gx_fail(
			    err, GX_EVALIDATION, key,
			    "a call event has event, call_id, from, to, agent and at, not "
			    "\"%s\"",
			    key);
	}
	const char *name = json_string_value(json_object_get(body, "event"));
	int type = -1;
	for (int i = 0; name && event_names[i]; i++)
		if (strcmp(name, event_names[i]) == 0)
			type = i;
	if (type < 0)
		return gx_fail(err, GX_EVALIDATION, "event",
		               "event must be \"ringing\", \"answered\" or \"ended\"");
	ev->type = (enum event_type)type;
	int rc = optional_text(body, "call_id", CALL_ID_MAX, &ev->call_id, err);
	if (rc == 0 && !ev->call_id)
		rc = gx_fail(err, GX_EVALIDATION, "call_id",
		             "call_id is required: the telephony system's id of the call");
	if (rc == 0)
		rc = optional_text(body, "from", NUMBER_MAX, &ev->from, err);
	if (rc == 0)
		rc = optional_text(body, "to", NUMBER_MAX, &ev->to, err);
	if (rc == 0)
		rc = optional_text(body, "agent", 64, &ev->agent, err);
	const char *at = NULL;
	if (rc == 0)
		rc = optional_text(body, "at", 64, &at, err);
	if (rc < 0)
		return rc;
	ev->at = clock_now();
	if (at && clock_parse(at, &ev->at) < 0)
		return gx_fail(err, GX_EVALIDATION, "at",
		               "at must be an RFC 3339 time such as 2026-11-22T08:30:00Z");
	return 0;
}

/* ---- lookups ------------------------------------------------------------------------- */

static int resolve_agent(struct crm_ctx *ctx, const char *name, int64_t *id, struct gx_error *err)
{
	struct store_stmt *stmt = store_prepare(
	    ctx->store,
	    "SELECT id FROM users WHERE active = 1 AND (username = ? OR extension = ?) "
	    "ORDER BY username = ? DESC LIMIT 1",
	    err);
	if (!stmt)
		return GX_EINTERNAL;
	store_bind_text(stmt, 1, name);
	store_bind_text(stmt, 2, name);
	store_bind_text(stmt, 3, name);
	int rc = store_step(stmt, err);
	*id = rc == STORE_ROW ? store_col_int(stmt, 0) : 0;
	store_done(stmt);
	if (rc == STORE_DONE)
		return gx_fail(err, GX_EVALIDATION, "agent",
		               "no active user has the username or extension \"%s\"", name);
	return rc < 0 ? rc : 0;
}

/* The customer behind a number: the first contact (lowest id) with that E.164 phone, its
 * owner and whether it or its account is of the top tier. */
static int find_caller(struct crm_ctx *ctx, const char *e164, int64_t *contact_id,
                       struct presence_want *want, char *owner_team, size_t team_size,
                       struct gx_error *err)
{
	*contact_id = 0;
	if (!*e164)
		return 0;
	struct store_stmt *stmt = store_prepare(
	    ctx->store,
	    "SELECT c.id, c.tier, c.owner_id, u.team, a.tier FROM contact_phones p "
	    "JOIN contacts c ON c.id = p.contact_id LEFT JOIN users u ON u.id = c.owner_id "
	    "LEFT JOIN accounts a ON a.id = c.account_id WHERE p.e164 = ? ORDER BY c.id LIMIT 1",
	    err);
	if (!stmt)
		return GX_EINTERNAL;
	store_bind_text(stmt, 1, e164);
	int rc = store_step(stmt, err);
	if (rc == STORE_ROW) {
		const char *tier = store_col_text(stmt, 1), *account_tier = store_col_text(stmt, 4);
		const char *team = store_col_text(stmt, 3);
		*contact_id = store_col_int(stmt, 0);
		want->known = 1;
		want->gold = (tier && strcmp(tier, "gold") == 0) ||
		             (account_tier && strcmp(account_tier, "gold") == 0);
		want->owner_id = store_col_is_null(stmt, 2) ? 0 : store_col_int(stmt, 2);
		snprintf(owner_team, team_size, "%s", team ? team : "");
	}
	store_done(stmt);
	return rc < 0 ? rc : 0;
}

static void copy_text(char *dest, size_t size, const char *text)
{
	snprintf(dest, size, "%s", text ? text : "");
}

static int64_t col_time(struct store_stmt *stmt, int col)
{
	return store_col_is_null(stmt, col) ? 0 : store_col_int(stmt, col);
}

static int load_call(struct crm_ctx *ctx, const char *call_id, struct call *call, int *found,
                     struct gx_error *err)
{
	struct store_stmt *stmt = store_prepare(
	    ctx->store,
	    "SELECT id, from_number, e164, to_number, contact_id, agent_id, interaction_id, "
	    "routed, ringing_at, answered_at, ended_at FROM calls WHERE source_id = ? AND "
	    "call_id = ?",
	    err);
	if (!stmt)
		return GX_EINTERNAL;
	store_bind_int(stmt, 1, ctx->actor.user_id);
	store_bind_text(stmt, 2, call_id);
	int rc = store_step(stmt, err);
	*found = rc == STORE_ROW;
	if (*found) {
		call->id = store_col_int(stmt, 0);
		copy_text(call->call_id, sizeof call->call_id, call_id);
		copy_text(call->from, sizeof call->from, store_col_text(stmt, 1));
		copy_text(call->e164, sizeof call->e164, store_col_text(stmt, 2));
		copy_text(call->to, sizeof call->to, store_col_text(stmt, 3));
		call->contact_id = col_time(stmt, 4);
		call->agent_id = col_time(stmt, 5);
		call->interaction_id = col_time(stmt, 6);
		copy_text(call->routed, sizeof call->routed, store_col_text(stmt, 7));
		call->ringing_at = col_time(stmt, 8);
		call->answered_at = col_time(stmt, 9);
		call->ended_at = col_time(stmt, 10);
	}
	store_done(stmt);
	return rc < 0 ? rc : 0;
}

/* ---- derived figures of a call --------------------------------------------------------- */

static const char *call_state(const struct call *call)
{
	return call->ended_at ? "ended" : call->answered_at ? "answered" : "ringing";
}

static int64_t call_start(const struct call *call)
{
	return call->ringing_at    ? call->ringing_at
	       : call->answered_at ? call->answered_at
	                           : call->ended_at;
}

static int64_t nonnegative(int64_t seconds)
{
	return seconds > 0 ? seconds : 0;
}

/* Seconds from ringing to the answer, or to the hang-up of an abandoned call. */
static int64_t call_wait(const struct call *call)
{
	int64_t until = call->answered_at ? call->answered_at : call->ended_at;
	return until ? nonnegative(until - call_start(call)) : 0;
}

/* Talk time: from the answer to the end; 0 when abandoned. */
static int64_t call_duration(const struct call *call)
{
	return call->answered_at && call->ended_at ? nonnegative(call->ended_at - call->answered_at)
	                                           : 0;
}

static void bind_time(struct store_stmt *stmt, int idx, int64_t t)
{
	if (t)
		store_bind_int(stmt, idx, t);
	else
		store_bind_null(stmt, idx);
}

static void bind_id(struct store_stmt *stmt, int idx, int64_t id)
{
	bind_time(stmt, idx, id);
}

static void bind_opt_text(struct store_stmt *stmt, int idx, const char *text)
{
	store_bind_text(stmt, idx, text && *text ? text : NULL);
}

static int save_call(struct crm_ctx *ctx, struct call *call, struct gx_error *err)
{
	static const char insert[] =
	    "INSERT INTO calls(from_number, e164, to_number, contact_id, agent_id, "
	    "interaction_id, routed, state, ringing_at, answered_at, ended_at, outcome, wait_s, "
	    "duration_s, updated_at, source_id, call_id, created_at) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
	static const char update[] =
	    "UPDATE calls SET from_number = ?, e164 = ?, to_number = ?, contact_id = ?, "
	    "agent_id = ?, interaction_id = ?, routed = ?, state = ?, ringing_at = ?, "
	    "answered_at = ?, ended_at = ?, outcome = ?, wait_s = ?, duration_s = ?, "
	    "updated_at = ? WHERE id = ?";
	struct store_stmt *stmt = store_prepare(ctx->store, call->id ? update : insert, err);
	if (!stmt)
		return GX_EINTERNAL;
	int ended = call->ended_at != 0;
	bind_opt_text(stmt, 1, call->from);
	bind_opt_text(stmt, 2, call->e164);
	bind_opt_text(stmt, 3, call->to);
	bind_id(stmt, 4, call->contact_id);
	bind_id(stmt, 5, call->agent_id);
	bind_id(stmt, 6, call->interaction_id);
	store_bind_text(stmt, 7, call->routed);
	store_bind_text(stmt, 8, call_state(call));
	bind_time(stmt, 9, call->ringing_at);
	bind_time(stmt, 10, call->answered_at);
	bind_time(stmt, 11, call->ended_at);
	store_bind_text(stmt, 12, !ended ? NULL : call->answered_at ? "answered" : "abandoned");
	if (ended) {
		store_bind_int(stmt, 13, call_wait(call));
		store_bind_int(stmt, 14, call_duration(call));
	} else {
		store_bind_null(stmt, 13);
		store_bind_null(stmt, 14);
	}
	int64_t now = clock_now();
	store_bind_int(stmt, 15, now);
	if (call->id) {
		store_bind_int(stmt, 16, call->id);
	} else {
		store_bind_int(stmt, 16, ctx->actor.user_id);
		store_bind_text(stmt, 17, call->call_id);
		store_bind_int(stmt, 18, now);
	}
	int rc = store_exec(stmt, err);
	if (rc == 0 && !call->id)
		call->id = store_last_insert_id(ctx->store);
	return rc;
}

static json_t *time_json(int64_t t)
{
	if (!t)
		return json_null();
	char text[32];
	clock_format(t, text, sizeof text);
	return json_string(text);
}

static json_t *id_json(int64_t id)
{
	return id ? json_integer(id) : json_null();
}

static json_t *text_json(const char *text)
{
	return *text ? json_string(text) : json_null();
}

/* The agent's username and extension ("" when none): what the telephony system rings. */
struct agent_names {
	char username[64];
	char extension[24];
};

static int agent_names(struct crm_ctx *ctx, int64_t id, struct agent_names *out,
                       struct gx_error *err)
{
	*out = (struct agent_names){{0}, {0}};
	if (!id)
		return 0;
	struct store_stmt *stmt =
	    store_prepare(ctx->store, "SELECT username, extension FROM users WHERE id = ?", err);
	if (!stmt)
		return GX_EINTERNAL;
	store_bind_int(stmt, 1, id);
	int rc = store_step(stmt, err);
	if (rc == STORE_ROW) {
		copy_text(out->username, sizeof out->username, store_col_text(stmt, 0));
		copy_text(out->extension, sizeof out->extension, store_col_text(stmt, 1));
	}
	store_done(stmt);
	return rc < 0 ? rc : 0;
}

static json_t *call_json(const struct call *call, const struct agent_names *agent)
{
	int ended = call->ended_at != 0;
	json_t *out = json_object();
	json_object_set_new(out, "id", json_integer(call->id));
	json_object_set_new(out, "call_id", json_string(call->call_id));
	json_object_set_new(out, "from", text_json(call->from));
	json_object_set_new(out, "number", text_json(call->e164));
	json_object_set_new(out, "to", text_json(call->to));
	json_object_set_new(out, "contact_id", id_json(call->contact_id));
	json_object_set_new(out, "agent_id", id_json(call->agent_id));
	json_object_set_new(out, "agent", text_json(agent->username));
	json_object_set_new(out, "extension", text_json(agent->extension));
	json_object_set_new(out, "routed", json_string(call->routed));
	json_object_set_new(out, "state", json_string(call_state(call)));
	json_object_set_new(out, "ringing_at", time_json(call->ringing_at));
	json_object_set_new(out, "answered_at", time_json(call->answered_at));
	json_object_set_new(out, "ended_at", time_json(call->ended_at));
	json_object_set_new(out, "outcome",
	                    !ended ? json_null()
	                           : json_string(call->answered_at ? "answered" : "abandoned"));
	json_object_set_new(out, "wait_s", ended ? json_integer(call_wait(call)) : json_null());
	json_object_set_new(out, "duration_s",
	                    ended ? json_integer(call_duration(call)) : json_null());
	json_object_set_new(out, "interaction_id", id_json(call->interaction_id));
	return out;
}

/* ---- the interaction of an ended call -------------------------------------------------- */

static json_t *interaction_fields(const struct call *call, const char *agent)
{
	char start[32], body[400];
	clock_format(call_start(call), start, sizeof start);
	int64_t wait = call_wait(call), talk = call_duration(call);
	if (call->answered_at)
		snprintf(body, sizeof body,
		         "Answered by %s after %lld s waiting; talked %lld min %lld s. Call %s.",
		         *agent ? agent : "an agent", (long long)wait, (long long)(talk / 60),
		         (long long)(talk % 60), call->call_id);
	else
		snprintf(body, sizeof body,
		         "Abandoned: the caller hung up after %lld s waiting. Call %s.",
		         (long long)wait, call->call_id);
	char subject[160];
	snprintf(subject, sizeof subject, "%s call from %s",
	         call->answered_at ? "Inbound" : "Missed inbound",
	         *call->e164   ? call->e164
	         : *call->from ? call->from
	                       : "a withheld number");
	return json_pack("{s:s, s:I, s:s, s:s, s:s, s:o}", "occurred_at", start, "duration_s",
	                 (json_int_t)talk, "subject", subject, "body", body, "outcome",
	                 call->answered_at ? "answered" : "abandoned", "user_id",
	                 id_json(call->agent_id));
}

/* Creates, or corrects after a late event, the phone interaction of an ended call of a known
 * caller. Unknown callers have no customer to hang it on: their calls row is the record. */
static int sync_interaction(struct crm_ctx *ctx, struct call *call, const struct agent_names *agent,
                            struct gx_error *err)
{
	if (!call->ended_at || !call->contact_id)
		return 0;
	/* The integration writes with full visibility (the agent's own call, whoever owns the
	 * customer); the audit row names the integration's user. */
	struct crm_ctx sys = *ctx;
	sys.actor.role = ROLE_ADMIN;
	json_t *fields = interaction_fields(call, agent->username), *out = NULL;
	int rc;
	if (!call->interaction_id) {
		json_object_set_new(fields, "contact_id", json_integer(call->contact_id));
		json_object_set_new(fields, "channel", json_string("phone"));
		json_object_set_new(fields, "direction", json_string("inbound"));
		rc = records_create(&sys, &interaction_kind, fields, &out, err);
		if (rc == 0)
			call->interaction_id = json_integer_value(json_object_get(out, "id"));
	} else {
		rc = records_update(&sys, &interaction_kind, call->interaction_id, fields, &out,
		                    err);
		if (rc == GX_ENOTFOUND) /* someone deleted it: leave it deleted */
			rc = 0;
	}
	json_decref(out);
	json_decref(fields);
	return rc;
}

/* ---- the caller card ------------------------------------------------------------------- */

static json_t *pick_keys(json_t *from, const char *const *keys)
{
	json_t *out = json_object();
	for (; *keys; keys++) {
		json_t *v = json_object_get(from, *keys);
		json_object_set(out, *keys, v ? v : json_null());
	}
	return out;
}

static int last_interactions(struct crm_ctx *ctx, int64_t contact_id, json_t **out,
                             struct gx_error *err)
{
	static const char *const keys[] = {"id",          "channel",    "direction",
	                                   "occurred_at", "duration_s", "subject",
	                                   "outcome",     "user_id",    NULL};
	char sql[1024];
	snprintf(sql, sizeof sql,
	         "SELECT %s FROM interactions r WHERE r.contact_id = ? "
	         "ORDER BY r.occurred_at DESC, r.id DESC LIMIT %d",
	         records_columns(&interaction_kind), LAST_INTERACTIONS);
	struct store_stmt *stmt = store_prepare(ctx->store, sql, err);
	if (!stmt)
		return GX_EINTERNAL;
	store_bind_int(stmt, 1, contact_id);
	json_t *rows = json_array();
	int rc;
	while ((rc = store_step(stmt, err)) == STORE_ROW) {
		json_t *row = records_row(&interaction_kind, stmt);
		json_array_append_new(rows, pick_keys(row, keys));
		json_decref(row);
	}
	store_done(stmt);
	if (rc < 0) {
		json_decref(rows);
		return rc;
	}
	*out = rows;
	return 0;
}

/* The complaint rule: the contact's latest interaction whose outcome is "complaint" or
 * "resolved" decides; a complaint not followed by a resolution is unresolved. */
static int open_complaint(struct crm_ctx *ctx, int64_t contact_id, json_t **out,
                          struct gx_error *err)
{
	struct store_stmt *stmt = store_prepare(
	    ctx->store,
	    "SELECT id, occurred_at, subject, outcome FROM interactions WHERE contact_id = ? AND "
	    "outcome IN ('complaint', 'resolved') ORDER BY occurred_at DESC, id DESC LIMIT 1",
	    err);
	if (!stmt)
		return GX_EINTERNAL;
	store_bind_int(stmt, 1, contact_id);
	int rc = store_step(stmt, err);
	*out = NULL;
	if (rc == STORE_ROW && strcmp(store_col_text(stmt, 3), "complaint") == 0) {
		const char *subject = store_col_text(stmt, 2);
		char since[32], message[300];
		clock_format(store_col_int(stmt, 1), since, sizeof since);
		snprintf(message, sizeof message, "Unresolved complaint since %.10s%s%.200s", since,
		         subject ? ": " : "", subject ? subject : "");
		*out = json_pack("{s:I, s:s, s:s?, s:s}", "interaction_id",
		                 (json_int_t)store_col_int(stmt, 0), "occurred_at", since,
		                 "subject", subject, "message", message);
	}
	store_done(stmt);
	return rc < 0 ? rc : 0;
}

static int count_matches(struct crm_ctx *ctx, const char *e164, int64_t *n, struct gx_error *err)
{
	struct store_stmt *stmt =
	    store_prepare(ctx->store, "SELECT COUNT(*) FROM contact_phones WHERE e164 = ?", err);
	if (!stmt)
		return GX_EINTERNAL;
	store_bind_text(stmt, 1, e164);
	int rc = store_step(stmt, err);
	*n = rc == STORE_ROW ? store_col_int(stmt, 0) : 0;
	store_done(stmt);
	return rc < 0 ? rc : 0;
}

static const char *higher_tier(const char *a, const char *b)
{
	static const char *const order[] = {"gold", "silver", "bronze"};
	for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
		if ((a && strcmp(a, order[i]) == 0) || (b && strcmp(b, order[i]) == 0))
			return order[i];
	return a ? a : b;
}

static int known_card(struct crm_ctx *ctx, int64_t contact_id, const char *e164, json_t *card,
                      struct gx_error *err)
{
	static const char *const contact_keys[] = {"id",     "name",    "title", "account_id",
	                                           "phones", "emails",  "tags",  "owner_id",
	                                           "tier",   "version", NULL};
	static const char *const account_keys[] = {"id",   "name",     "industry",
	                                           "tier", "owner_id", NULL};
	json_t *contact = NULL, *account = NULL, *figures = NULL, *last = NULL, *complaint = NULL;
	int64_t matches = 1;
	int rc = records_get(ctx, &contact_kind, contact_id, &contact, err);
	json_t *account_id = json_object_get(contact, "account_id");
	if (rc == 0 && json_is_integer(account_id)) {
		rc = records_get(ctx, &account_kind, json_integer_value(account_id), &account, err);
		if (rc == GX_ENOTFOUND)
			rc = 0;
	}
	if (rc == 0)
		rc = customer360_figures(ctx, "contact_id", contact_id, &figures, err);
	if (rc == 0)
		rc = last_interactions(ctx, contact_id, &last, err);
	if (rc == 0)
		rc = open_complaint(ctx, contact_id, &complaint, err);
	if (rc == 0 && *e164)
		rc = count_matches(ctx, e164, &matches, err);
	if (rc == 0) {
		json_object_set_new(card, "contact", pick_keys(contact, contact_keys));
		json_object_set_new(card, "account",
		                    account ? pick_keys(account, account_keys) : json_null());
		json_object_set_new(
		    card, "tier",
		    json_string(higher_tier(json_string_value(json_object_get(contact, "tier")),
		                            json_string_value(json_object_get(account, "tier")))));
		json_object_set_new(card, "figures", figures);
		json_object_set_new(card, "open_cases", json_integer(0)); /* no cases module yet */
		json_object_set_new(card, "last_interactions", last);
		json_object_set_new(card, "complaint", complaint ? complaint : json_null());
		json_object_set_new(card, "other_matches",
		                    json_integer(matches > 1 ? matches - 1 : 0));
		figures = last = complaint = NULL;
	}
	json_decref(contact);
	json_decref(account);
	json_decref(figures);
	json_decref(last);
	json_decref(complaint);
	return rc;
}

int cti_caller_card(struct crm_ctx *ctx, const char *from, int64_t contact_id, json_t **out,
                    struct gx_error *err)
{
	char e164[PHONE_E164_MAX] = "";
	if (from && phone_to_e164(from, ctx->config->region, e164, sizeof e164) != 0)
		e164[0] = '\0';
	json_t *card = json_pack("{s:o, s:o, s:b}", "number", text_json(e164), "typed",
	                         from ? json_string(from) : json_null(), "known", contact_id != 0);
	int rc = 0;
	if (contact_id) {
		rc = known_card(ctx, contact_id, e164, card, err);
		json_object_set_new(card, "create", json_null());
	} else {
		/* The one-click create: the request the card's button sends, with the number filled
		 * in; the agent adds the name. */
		json_t *phones = from ? json_pack("[{s:s, s:s}]", "kind", "mobile", "number", from)
		                      : json_array();
		json_object_set_new(card, "contact", json_null());
		json_object_set_new(card, "account", json_null());
		json_object_set_new(card, "complaint", json_null());
		json_object_set_new(card, "create",
		                    json_pack("{s:s, s:s, s:{s:o}}", "method", "POST", "path",
		                              "/api/v1/contacts", "body", "phones", phones));
	}
	if (rc < 0) {
		json_decref(card);
		return rc;
	}
	*out = card;
	return 0;
}

/* ---- one event ------------------------------------------------------------------------- */

/* The agent chosen for a new call before its row is written (see cti_call_event). */
struct routing {
	int done;
	int64_t agent;
	int64_t reserved; /* routing reserved the agent: release it if the write fails */
	char routed[16];
	int64_t contact_id;
	char e164[PHONE_E164_MAX];
};

/* Routes a call seen for the first time: finds the caller and picks (and reserves) an agent
 * unless the telephony system named one. Reads only. */
static int route_new_call(struct crm_ctx *ctx, const struct call_event *ev, int64_t bound,
                          struct routing *r, struct gx_error *err)
{
	struct presence_want want = {0};
	char owner_team[64] = "";
	if (!ev->from || phone_to_e164(ev->from, ctx->config->region, r->e164, sizeof r->e164) != 0)
		r->e164[0] = '\0';
	int rc =
	    find_caller(ctx, r->e164, &r->contact_id, &want, owner_team, sizeof owner_team, err);
	if (rc < 0)
		return rc;
	r->done = 1;
	copy_text(r->routed, sizeof r->routed, "none");
	if (bound) {
		r->agent = bound;
		copy_text(r->routed, sizeof r->routed, "bound");
		return 0;
	}
	want.gold_team = ctx->config->gold_team;
	want.owner_team = owner_team;
	enum presence_route how;
	if ((r->agent = r->reserved = presence_route(&want, &how)) != 0)
		copy_text(r->routed, sizeof r->routed, presence_route_name(how));
	return 0;
}

/* The transaction of one event: load or start the call, apply the event, route when the call
 * needs an agent (unless pre already did), derive the interaction when it has ended, save.
 * *reserved is the agent that routing reserved (to release again if the transaction fails). */
static int apply_event(struct crm_ctx *ctx, const struct call_event *ev, int64_t bound,
                       const struct routing *pre, struct call *call, int *duplicate,
                       int64_t *assigned, int64_t *released, int64_t *reserved,
                       struct agent_names *agent, struct gx_error *err)
{
	int found;
	int rc = load_call(ctx, ev->call_id, call, &found, err);
	if (rc < 0)
		return rc;
	struct presence_want want = {0};
	char owner_team[64] = "";
	if (!found) {
		copy_text(call->call_id, sizeof call->call_id, ev->call_id);
		copy_text(call->from, sizeof call->from, ev->from);
		copy_text(call->to, sizeof call->to, ev->to);
		copy_text(call->routed, sizeof call->routed, "none");
		if (pre->done) {
			copy_text(call->e164, sizeof call->e164, pre->e164);
			call->contact_id = pre->contact_id;
		} else {
			if (!ev->from || phone_to_e164(ev->from, ctx->config->region, call->e164,
			                               sizeof call->e164) != 0)
				call->e164[0] = '\0';
			rc = find_caller(ctx, call->e164, &call->contact_id, &want, owner_team,
			                 sizeof owner_team, err);
			if (rc < 0)
				return rc;
		}
	}
	int64_t *slot = ev->type == EV_RINGING    ? &call->ringing_at
	                : ev->type == EV_ANSWERED ? &call->answered_at
	                                          : &call->ended_at;
	*duplicate = *slot != 0;
	if (*duplicate)
		return agent_names(ctx, call->agent_id, agent, err);
	*slot = ev->at;
	if (!*call->from && ev->from)
		copy_text(call->from, sizeof call->from, ev->from);
	if (!*call->to && ev->to)
		copy_text(call->to, sizeof call->to, ev->to);
	if (!found && pre->done) {
		/* routed before the write (cti_call_event) */
		call->agent_id = *assigned = pre->agent;
		*reserved = pre->reserved;
		copy_text(call->routed, sizeof call->routed, pre->routed);
	} else if (bound && bound != call->agent_id && ev->type != EV_ENDED) {
		/* The telephony system names the agent: it rings or answered there. */
		if (call->agent_id)
			*released = call->agent_id;
		call->agent_id = *assigned = bound;
		copy_text(call->routed, sizeof call->routed, "bound");
	}
	if (!call->agent_id && !call->ended_at && !(!found && pre->done)) {
		if (found && call->contact_id) /* routing a call first seen without an agent */
			rc = find_caller(ctx, call->e164, &call->contact_id, &want, owner_team,
			                 sizeof owner_team, err);
		want.gold_team = ctx->config->gold_team;
		want.owner_team = owner_team;
		enum presence_route how;
		if (rc == 0 && (call->agent_id = presence_route(&want, &how)) != 0) {
			*assigned = *reserved = call->agent_id;
			copy_text(call->routed, sizeof call->routed, presence_route_name(how));
		}
	}
	if (rc == 0)
		rc = agent_names(ctx, call->agent_id, agent, err);
	if (rc == 0)
		rc = sync_interaction(ctx, call, agent, err);
	if (rc == 0)
		rc = save_call(ctx, call, err);
	return rc;
}

/* Calls with an event being handled (queued, routed or being written): a second event of the
 * same call is never routed before the write (below), so one call is never routed twice, and it
 * is written after the first. Under queue_lock. */
struct flight {
	int64_t source;
	char call_id[CALL_ID_MAX + 1];
	int count;               /* events of the call in flight */
	int pre_pending;         /* the first is being routed and popped, not yet queued */
	struct cti_job *waiting; /* later events queued behind it meanwhile */
	struct flight *next;
};

/* One call event between the request and its reply. */
struct cti_job {
	struct crm_ctx ctx; /* the request's actor and settings; the store is the writer's */
	json_t *body;       /* owns the strings of ev */
	struct call_event ev;
	int64_t bound;
	struct routing pre;
	int popped;
	uint64_t pop_event_id;
	cti_notify_fn notify;
	cti_done_fn done;
	void *cookie;
	struct flight *flight;
	/* the write's outcome */
	struct call call;
	struct agent_names agent;
	int duplicate;
	int64_t assigned, released, reserved;
	int rc;
	struct gx_error err;
	struct cti_job *next;
};

#define FLIGHT_BUCKETS 1024
static struct flight *flights[FLIGHT_BUCKETS];
static pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t flight_done = PTHREAD_COND_INITIALIZER; /* a call left flight */

static size_t flight_bucket(int64_t source, const char *call_id)
{
	uint64_t h = 1469598103934665603u ^ (uint64_t)source;
	for (const unsigned char *p = (const unsigned char *)call_id; *p; p++)
		h = (h ^ *p) * 1099511628211u;
	return (size_t)(h % FLIGHT_BUCKETS);
}

/* Under queue_lock: the call's entry, created when absent (NULL when out of memory). */
static struct flight *flight_get(int64_t source, const char *call_id, int create)
{
	size_t b = flight_bucket(source, call_id);
	for (struct flight *f = flights[b]; f; f = f->next)
		if (f->source == source && strcmp(f->call_id, call_id) == 0)
			return f;
	if (!create)
		return NULL;
	struct flight *f = calloc(1, sizeof *f);
	if (!f)
		return NULL;
	f->source = source;
	copy_text(f->call_id, sizeof f->call_id, call_id);
	f->next = flights[b];
	flights[b] = f;
	return f;
}

/* Under queue_lock: one event of the call is done (written or failed). */
static void flight_leave(struct flight *f)
{
	if (--f->count > 0)
		return;
	struct flight **link = &flights[flight_bucket(f->source, f->call_id)];
	while (*link != f)
		link = &(*link)->next;
	*link = f->next;
	free(f);
	pthread_cond_broadcast(&flight_done);
}

/* The screen pop of a call: {"call", "caller"}, built with full visibility (routing gave the
 * agent this caller). */
static int screen_pop(struct crm_ctx *ctx, json_t *call_obj, const struct call *call, json_t **out,
                      struct gx_error *err)
{
	struct crm_ctx sys = *ctx;
	sys.actor.role = ROLE_ADMIN;
	json_t *card = NULL;
	int rc =
	    cti_caller_card(&sys, *call->from ? call->from : NULL, call->contact_id, &card, err);
	if (rc == 0)
		*out = json_pack("{s:O, s:o}", "call", call_obj, "caller", card);
	return rc;
}

/* Checks who posts and parses the event (reads only). */
static int prepare(struct crm_ctx *ctx, const json_t *body, struct cti_job *job,
                   struct gx_error *err)
{
	if (!cti_may_post(&ctx->actor))
		return gx_fail(err, GX_EFORBIDDEN, NULL,
		               "call events come from an integration token (POST /api/v1/tokens) "
		               "or an admin");
	int rc = parse_event(body, &job->ev, err);
	if (rc == 0 && job->ev.agent)
		rc = resolve_agent(ctx, job->ev.agent, &job->bound, err);
	return rc;
}

/* A new call is routed and popped before its row is written: the write waits for the disk (and
 * for other calls' writes), the agent should not. Only for the first event of a call in flight;
 * reads only. On failure nothing stays reserved. */
static int pre_route(struct crm_ctx *ctx, struct cti_job *job, struct gx_error *err)
{
	const struct call_event *ev = &job->ev;
	struct routing *pre = &job->pre;
	if (ev->type == EV_ENDED)
		return 0; /* an end routes nobody */
	struct call found_call;
	int found = 0;
	int rc = load_call(ctx, ev->call_id, &found_call, &found, err);
	if (rc < 0 || found)
		return rc;
	rc = route_new_call(ctx, ev, job->bound, pre, err);
	if (rc == 0 && pre->agent && job->notify) {
		struct call preview = {0};
		struct agent_names agent;
		copy_text(preview.call_id, sizeof preview.call_id, ev->call_id);
		copy_text(preview.from, sizeof preview.from, ev->from);
		copy_text(preview.to, sizeof preview.to, ev->to);
		copy_text(preview.e164, sizeof preview.e164, pre->e164);
		copy_text(preview.routed, sizeof preview.routed, pre->routed);
		preview.contact_id = pre->contact_id;
		preview.agent_id = pre->agent;
		*(ev->type == EV_RINGING ? &preview.ringing_at : &preview.answered_at) = ev->at;
		json_t *data = NULL, *obj = NULL;
		rc = agent_names(ctx, pre->agent, &agent, err);
		if (rc == 0) {
			obj = call_json(&preview, &agent);
			rc = screen_pop(ctx, obj, &preview, &data, err);
		}
		if (rc == 0) {
			job->pop_event_id = job->notify(pre->agent, "screen_pop", data);
			job->popped = 1;
		}
		json_decref(obj);
		json_decref(data);
	}
	if (rc < 0 && pre->reserved) {
		presence_call_released(pre->reserved);
		pre->reserved = 0;
	}
	return rc;
}

/* The event's changes, inside the caller's transaction on ctx->store. */
static int write_event(struct crm_ctx *ctx, struct cti_job *job, struct gx_error *err)
{
	job->call = (struct call){0};
	job->duplicate = 0;
	job->assigned = job->released = job->reserved = 0;
	return apply_event(ctx, &job->ev, job->bound, &job->pre, &job->call, &job->duplicate,
	                   &job->assigned, &job->released, &job->reserved, &job->agent, err);
}

/* After the commit (rc == 0) or the failure of a job's write: presence follows, and the reply and
 * the agent's event are made. */
static int finish(struct crm_ctx *ctx, struct cti_job *job, int rc, struct cti_result *result,
                  struct gx_error *err)
{
	*result = (struct cti_result){0};
	if (rc < 0) {
		int64_t reserved = job->reserved ? job->reserved : job->pre.reserved;
		if (reserved)
			presence_call_released(reserved);
		return rc;
	}
	const struct call *call = &job->call;
	/* Presence follows the committed call: a bound agent takes a call, an ended call frees
	 * its agent, an agent replaced on answer is free again. */
	if (job->assigned && !job->reserved)
		presence_call_assigned(job->assigned);
	if (job->released)
		presence_call_released(job->released);
	if (!job->duplicate && job->ev.type == EV_ENDED && call->agent_id)
		presence_call_released(call->agent_id);

	json_t *call_obj = call_json(call, &job->agent);
	result->reply = json_pack("{s:O, s:b}", "call", call_obj, "duplicate", job->duplicate);
	result->event_id = job->pop_event_id;
	if (job->popped) {
		/* sent already */
	} else if (!job->duplicate && job->assigned && !call->ended_at) {
		rc = screen_pop(ctx, call_obj, call, &result->data, err);
		if (rc < 0) {
			json_decref(call_obj);
			cti_result_free(result);
			return rc;
		}
		result->notify = job->assigned;
		result->event = "screen_pop";
	} else if (!job->duplicate && call->agent_id) {
		result->notify = call->agent_id;
		result->event = "call_update";
		result->data = json_pack("{s:O}", "call", call_obj);
	}
	json_decref(call_obj);
	if (result->notify && job->notify) {
		result->event_id = job->notify(result->notify, result->event, result->data);
		result->notify = 0;
	}
	return 0;
}

int cti_call_event(struct crm_ctx *ctx, const json_t *body, cti_notify_fn notify,
                   struct cti_result *result, struct gx_error *err)
{
	*result = (struct cti_result){0};
	struct cti_job job = {.notify = notify};
	int rc = prepare(ctx, body, &job, err);
	if (rc < 0)
		return rc;
	/* wait until no other event of this call is in flight */
	pthread_mutex_lock(&queue_lock);
	struct flight *f;
	while ((f = flight_get(ctx->actor.user_id, job.ev.call_id, 0)) != NULL)
		pthread_cond_wait(&flight_done, &queue_lock);
	f = flight_get(ctx->actor.user_id, job.ev.call_id, 1);
	if (f)
		f->count = 1;
	pthread_mutex_unlock(&queue_lock);
	if (!f)
		return gx_fail(err, GX_EINTERNAL, NULL, "out of memory");
	rc = pre_route(ctx, &job, err);
	if (rc == 0) {
		/* Call events queue here for the write lock instead of in SQLite's busy handler,
		 * which polls with sleeps of up to 100 ms. */
		pthread_mutex_lock(&write_lock);
		rc = store_begin(ctx->store, err);
		if (rc == 0) {
			rc = write_event(ctx, &job, err);
			if (rc < 0)
				store_rollback(ctx->store);
			else
				rc = store_commit(ctx->store, err);
		}
		pthread_mutex_unlock(&write_lock);
	}
	pthread_mutex_lock(&queue_lock);
	flight_leave(f);
	pthread_mutex_unlock(&queue_lock);
	return finish(ctx, &job, rc, result, err);
}

/* ---- the writer: group commit ------------------------------------------------------------ */

/* One thread writes every queued call event, as many as are waiting (up to WRITER_BATCH) in one
 * transaction, each under a savepoint so a failing event changes nothing while the others of its
 * batch commit. The POST is answered after its batch commits (synchronous=FULL): the fsync is
 * shared by the batch instead of paid per event, and no HTTP worker thread waits for the disk. */
#define WRITER_BATCH 128

static struct {
	int running, stopping;
	pthread_t thread;
	struct store *store;
	const struct config *config;
	struct cti_job *head, **tail;
	pthread_cond_t wake;
} writer = {.wake = PTHREAD_COND_INITIALIZER};

/* Under queue_lock. */
static void enqueue(struct cti_job *job)
{
	job->next = NULL;
	*writer.tail = job;
	writer.tail = &job->next;
}

/* Under queue_lock: the first event of the call is queued; those that waited behind it follow. */
static void enqueue_first(struct cti_job *job)
{
	struct flight *f = job->flight;
	enqueue(job);
	f->pre_pending = 0;
	while (f->waiting) {
		struct cti_job *next = f->waiting->next;
		enqueue(f->waiting);
		f->waiting = next;
	}
	pthread_cond_signal(&writer.wake);
}

static void job_free(struct cti_job *job)
{
	json_decref(job->body);
	free(job);
}

static void write_batch(struct cti_job *batch)
{
	struct gx_error err = {0};
	struct store *store = writer.store;
	int rc = store_begin(store, &err);
	for (struct cti_job *job = batch; job; job = job->next) {
		if (rc < 0) {
			job->rc = rc;
			job->err = err;
			continue;
		}
		struct crm_ctx ctx = job->ctx;
		ctx.store = store;
		job->rc = store_savepoint(store, &job->err);
		if (job->rc == 0 && (job->rc = store_begin(store, &job->err)) == 0) {
			job->rc = write_event(&ctx, job, &job->err);
			if (job->rc < 0) {
				store_rollback(store);
				store_rollback_to(store);
			} else {
				store_commit(store, &job->err);
				job->rc = store_release(store, &job->err);
			}
		}
	}
	if (rc == 0 && (rc = store_commit(store, &err)) < 0) {
		for (struct cti_job *job = batch; job; job = job->next) {
			if (job->rc == 0) {
				job->rc = rc;
				job->err = err;
			}
		}
	}
	while (batch) {
		struct cti_job *job = batch;
		batch = job->next;
		struct crm_ctx ctx = job->ctx;
		ctx.store = store;
		struct cti_result result;
		int jrc = finish(&ctx, job, job->rc, &result, &job->err);
		pthread_mutex_lock(&queue_lock);
		flight_leave(job->flight);
		pthread_mutex_unlock(&queue_lock);
		job->done(job->cookie, jrc, &result, &job->err);
		cti_result_free(&result);
		job_free(job);
	}
}

static void *run_writer(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&queue_lock);
	for (;;) {
		while (!writer.head && !writer.stopping)
			pthread_cond_wait(&writer.wake, &queue_lock);
		if (!writer.head)
			break; /* stopping with nothing left */
		struct cti_job *batch = writer.head, *last = batch;
		for (int n = 1; n < WRITER_BATCH && last->next; n++)
			last = last->next;
		writer.head = last->next;
		if (!writer.head)
			writer.tail = &writer.head;
		last->next = NULL;
		pthread_mutex_unlock(&queue_lock);
		write_batch(batch);
		pthread_mutex_lock(&queue_lock);
	}
	pthread_mutex_unlock(&queue_lock);
	return NULL;
}

int cti_writer_start(const struct config *config, struct gx_error *err)
{
	if (writer.running)
		return 0;
	if (store_open(&writer.store, config->db, err) < 0)
		return GX_EINTERNAL;
	writer.config = config;
	writer.head = NULL;
	writer.tail = &writer.head;
	writer.stopping = 0;
	if (pthread_create(&writer.thread, NULL, run_writer, NULL) != 0) {
		store_close(writer.store);
		writer.store = NULL;
		return gx_fail(err, GX_EINTERNAL, NULL, "cannot start the call event writer");
	}
	writer.running = 1;
	return 0;
}

void cti_writer_stop(void)
{
	if (!writer.running)
		return;
	pthread_mutex_lock(&queue_lock);
	writer.stopping = 1;
	pthread_cond_signal(&writer.wake);
	pthread_mutex_unlock(&queue_lock);
	pthread_join(writer.thread, NULL);
	store_close(writer.store);
	writer.store = NULL;
	writer.running = 0;
}

int cti_call_submit(struct crm_ctx *ctx, const json_t *body, cti_notify_fn notify, cti_done_fn done,
                    void *cookie, struct gx_error *err)
{
	if (!writer.running)
		return gx_fail(err, GX_EINTERNAL, NULL, "the call event writer is not running");
	struct cti_job *job = calloc(1, sizeof *job);
	if (!job)
		return gx_fail(err, GX_EINTERNAL, NULL, "out of memory");
	job->body = json_incref((json_t *)body);
	job->ctx = *ctx;
	job->ctx.store = NULL;
	job->notify = notify;
	job->done = done;
	job->cookie = cookie;
	int rc = prepare(ctx, body, job, err);
	if (rc < 0) {
		job_free(job);
		return rc;
	}
	pthread_mutex_lock(&queue_lock);
	if (writer.stopping) {
		pthread_mutex_unlock(&queue_lock);
		job_free(job);
		return gx_fail(err, GX_EINTERNAL, NULL, "the server is stopping");
	}
	struct flight *f = flight_get(ctx->actor.user_id, job->ev.call_id, 1);
	if (!f) {
		pthread_mutex_unlock(&queue_lock);
		job_free(job);
		return gx_fail(err, GX_EINTERNAL, NULL, "out of memory");
	}
	job->flight = f;
	if (f->count++ > 0) {
		/* Another event of the call is in flight: no routing before the write; queued
		 * behind it, in order. */
		if (f->pre_pending) {
			struct cti_job **link = &f->waiting;
			while (*link)
				link = &(*link)->next;
			job->next = NULL;
			*link = job;
		} else {
			enqueue(job);
			pthread_cond_signal(&writer.wake);
		}
		pthread_mutex_unlock(&queue_lock);
		return 0;
	}
	f->pre_pending = 1;
	pthread_mutex_unlock(&queue_lock);
	rc = pre_route(ctx, job, err);
	pthread_mutex_lock(&queue_lock);
	if (rc < 0) {
		/* this event fails now; those that waited behind it go on without it */
		struct flight *fl = job->flight;
		fl->pre_pending = 0;
		int woke = 0;
		while (fl->waiting) {
			struct cti_job *next = fl->waiting->next;
			enqueue(fl->waiting);
			fl->waiting = next;
			woke = 1;
		}
		if (woke)
			pthread_cond_signal(&writer.wake);
		flight_leave(fl);
		pthread_mutex_unlock(&queue_lock);
		job_free(job);
		return rc;
	}
	enqueue_first(job);
	pthread_mutex_unlock(&queue_lock);
	return 0;
}

void cti_result_free(struct cti_result *result)
{
	json_decref(result->reply);
	json_decref(result->data);
	*result = (struct cti_result){0};
}
