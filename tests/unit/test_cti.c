/* test_cti.c — crm/cti and crm/presence without HTTP: routing (longest idle, visibility first,
 * overflow, the gold line by rank, busy and away agents skipped), idempotent and out-of-order
 * call events, an ended call becoming one phone interaction with its audit row, the complaint
 * warning and the new-caller card, and bad events refused with the field named. */
#include "testdb.h"

#include "crm/cti.h"
#include "crm/presence.h"
#include "crm/records.h"

struct fixture {
	char dir[64];
	char path[128];
	struct store *store;
	struct config config;
	struct crm_ctx pbx; /* the integration: API token of user pbx */
	struct crm_ctx admin;
	int64_t svc, north, south, vip1, vip2, pbx_id, owner_contact, gold_contact;
};

static struct crm_ctx ctx_for(struct fixture *f, int64_t id, const char *name, enum role role,
                              const char *team)
{
	struct crm_ctx ctx = {.store = f->store, .config = &f->config};
	ctx.actor.user_id = id;
	ctx.actor.role = role;
	snprintf(ctx.actor.username, sizeof ctx.actor.username, "%s", name);
	snprintf(ctx.actor.team, sizeof ctx.actor.team, "%s", team ? team : "");
	return ctx;
}

/* The agent connects an event stream. */
static void connect_agent(struct fixture *f, int64_t id, const char *name, enum role role,
                          const char *team)
{
	struct crm_ctx ctx = ctx_for(f, id, name, role, team);
	struct gx_error err = {0};
	assert_int_equal(presence_stream_opened(&ctx, &err), 0);
	usleep(2000); /* distinct idle starts */
}

static json_t *create(struct fixture *f, const struct record_kind *kind, const char *json)
{
	struct gx_error err = {0};
	json_t *body = json_loads(json, 0, NULL), *out = NULL;
	assert_non_null(body);
	if (records_create(&f->admin, kind, body, &out, &err) != 0)
		fail_msg("create %s: %s (%s)", json, err.message, err.field);
	json_decref(body);
	return out;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	log_set_level(LOG_ERROR);
	config_defaults(&f->config);
	snprintf(f->config.gold_team, sizeof f->config.gold_team, "vip");
	assert_int_equal(
	    testdb_open(f->dir, sizeof f->dir, f->path, sizeof f->path, "cti", &f->store), 0);
	int64_t admin = testdb_add_user(f->store, "admin", "admin", NULL);
	f->pbx_id = testdb_add_user(f->store, "pbx", "service", NULL);
	f->svc = testdb_add_user(f->store, "svc", "service", "service");
	f->north = testdb_add_user(f->store, "north", "sales", "north");
	f->south = testdb_add_user(f->store, "south", "sales", "south");
	f->vip1 = testdb_add_user(f->store, "vip1", "service", "vip");
	f->vip2 = testdb_add_user(f->store, "vip2", "service", "vip");
	must_exec(f->store, "UPDATE users SET agent_rank = 10 WHERE username = 'vip1'");
	must_exec(f->store, "UPDATE users SET agent_rank = 50 WHERE username = 'vip2'");
	must_exec(f->store, "UPDATE users SET extension = '8001' WHERE username = 'svc'");
	f->admin = ctx_for(f, admin, "admin", ROLE_ADMIN, NULL);
	f->pbx = ctx_for(f, f->pbx_id, "pbx", ROLE_SERVICE, NULL);
	f->pbx.actor.api_token = 1;
	char json[300];
	snprintf(json, sizeof json,
	         "{\"name\": \"王小明\", \"owner_id\": %lld, \"phones\": [{\"kind\": \"mobile\", "
	         "\"number\": \"138 0013 8000\"}]}",
	         (long long)f->north);
	json_t *c = create(f, &contact_kind, json);
	f->owner_contact = json_integer_value(json_object_get(c, "id"));
	json_decref(c);
	c = create(f, &contact_kind,
	           "{\"name\": \"Grace\", \"phones\": [{\"kind\": \"work\", \"number\": "
	           "\"010 6552 9988\"}]}");
	f->gold_contact = json_integer_value(json_object_get(c, "id"));
	json_decref(c);
	must_exec(f->store, "UPDATE contacts SET tier = 'gold' WHERE name = 'Grace'");
	presence_reset();
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	presence_reset();
	store_close(f->store);
	testdb_remove_dir(f->dir);
	free(f);
	return 0;
}

/* Posts one event as the integration; returns rc and the result (reply, notify, data). */
static int post(struct fixture *f, const char *json, struct cti_result *r, struct gx_error *err)
{
	json_t *body = json_loads(json, 0, NULL);
	assert_non_null(body);
	int rc = cti_call_event(&f->pbx, body, NULL, r, err);
	json_decref(body);
	return rc;
}

static const char *call_text(const struct cti_result *r, const char *key)
{
	return json_string_value(json_object_get(json_object_get(r->reply, "call"), key));
}

static void ring(struct fixture *f, const char *call_id, const char *from, struct cti_result *r)
{
	char json[300];
	struct gx_error err = {0};
	snprintf(json, sizeof json,
	         "{\"event\": \"ringing\", \"call_id\": \"%s\", \"from\": \"%s\"}", call_id, from);
	if (post(f, json, r, &err) != 0)
		fail_msg("ringing %s: %s", call_id, err.message);
}

static void end(struct fixture *f, const char *call_id)
{
	char json[200];
	struct gx_error err = {0};
	struct cti_result r;
	snprintf(json, sizeof json, "{\"event\": \"ended\", \"call_id\": \"%s\"}", call_id);
	assert_int_equal(post(f, json, &r, &err), 0);
	cti_result_free(&r);
}

static void test_cti_routes_to_agents_who_may_see_the_customer_first(void **state)
{
	struct fixture *f = *state;
	connect_agent(f, f->south, "south", ROLE_SALES, "south"); /* idle longest */
	connect_agent(f, f->north, "north", ROLE_SALES, "north");
	struct cti_result r;
	ring(f, "c1", "+86 138-0013-8000", &r);
	assert_string_equal(call_text(&r, "agent"), "north");
	assert_string_equal(call_text(&r, "routed"), "longest_idle");
	assert_int_equal(r.notify, f->north);
	assert_string_equal(r.event, "screen_pop");
	assert_true(json_is_true(json_object_get(json_object_get(r.data, "caller"), "known")));
	cti_result_free(&r);
	/* north is on the call: south gets the next one, which routing gives them */
	ring(f, "c2", "13800138000", &r);
	assert_string_equal(call_text(&r, "agent"), "south");
	assert_string_equal(call_text(&r, "routed"), "overflow");
	cti_result_free(&r);
	/* nobody free: the call is recorded, no pop */
	ring(f, "c3", "13800138000", &r);
	assert_null(call_text(&r, "agent"));
	assert_int_equal(r.notify, 0);
	cti_result_free(&r);
	end(f, "c1");
	ring(f, "c4", "13800138000", &r);
	assert_string_equal(call_text(&r, "agent"), "north");
	cti_result_free(&r);
}

static void test_cti_gold_line_takes_the_best_rank_then_falls_back(void **state)
{
	struct fixture *f = *state;
	connect_agent(f, f->svc, "svc", ROLE_SERVICE, "service");
	connect_agent(f, f->vip1, "vip1", ROLE_SERVICE, "vip");
	connect_agent(f, f->vip2, "vip2", ROLE_SERVICE, "vip");
	struct cti_result r;
	ring(f, "g1", "010-6552 9988", &r);
	assert_string_equal(call_text(&r, "agent"), "vip2");
	assert_string_equal(call_text(&r, "routed"), "gold_line");
	cti_result_free(&r);
	ring(f, "g2", "+861065529988", &r);
	assert_string_equal(call_text(&r, "agent"), "vip1");
	cti_result_free(&r);
	ring(f, "g3", "+861065529988", &r);
	assert_string_equal(call_text(&r, "agent"), "svc");
	assert_string_equal(call_text(&r, "routed"), "longest_idle");
	cti_result_free(&r);
	/* an ordinary caller never waits for the gold line's rank order: longest idle */
	end(f, "g1");
	end(f, "g2");
	ring(f, "n1", "021 6288 1234", &r);
	assert_string_equal(call_text(&r, "agent"), "vip2"); /* idle since g1 ended, before vip1 */
	cti_result_free(&r);
}

static void test_cti_skips_busy_and_away_agents(void **state)
{
	struct fixture *f = *state;
	connect_agent(f, f->svc, "svc", ROLE_SERVICE, "service");
	struct crm_ctx svc = ctx_for(f, f->svc, "svc", ROLE_SERVICE, "service");
	struct gx_error err = {0};
	json_t *body = json_pack("{s:s}", "status", "away"), *out = NULL;
	assert_int_equal(presence_set(&svc, body, &out, &err), 0);
	assert_string_equal(json_string_value(json_object_get(out, "status")), "away");
	json_decref(out);
	json_decref(body);
	assert_int_equal(query_int(f->store, "SELECT COUNT(*) FROM users WHERE presence = 'away'"),
	                 1);
	struct cti_result r;
	ring(f, "a1", "021 6288 1234", &r);
	assert_null(call_text(&r, "agent"));
	cti_result_free(&r);
	body = json_pack("{s:s}", "status", "sleeping");
	assert_int_equal(presence_set(&svc, body, &out, &err), GX_EVALIDATION);
	assert_string_equal(err.field, "status");
	json_decref(body);
}

static void test_cti_repeated_events_change_nothing(void **state)
{
	struct fixture *f = *state;
	connect_agent(f, f->svc, "svc", ROLE_SERVICE, "service");
	struct cti_result r;
	ring(f, "d1", "13800138000", &r);
	assert_false(json_is_true(json_object_get(r.reply, "duplicate")));
	cti_result_free(&r);
	ring(f, "d1", "13800138000", &r);
	assert_true(json_is_true(json_object_get(r.reply, "duplicate")));
	assert_int_equal(r.notify, 0);
	cti_result_free(&r);
	end(f, "d1");
	end(f, "d1");
	assert_int_equal(query_int(f->store, "SELECT COUNT(*) FROM calls"), 1);
	assert_int_equal(
	    query_int(f->store, "SELECT COUNT(*) FROM interactions WHERE channel = 'phone'"), 1);
}

static void test_cti_ended_call_is_one_interaction_with_audit(void **state)
{
	struct fixture *f = *state;
	struct gx_error err = {0};
	struct cti_result r;
	assert_int_equal(
	    post(f,
	         "{\"event\": \"ringing\", \"call_id\": \"e1\", \"from\": \"13800138000\", "
	         "\"agent\": \"8001\", \"at\": \"2026-11-22T08:30:00Z\"}",
	         &r, &err),
	    0);
	assert_string_equal(call_text(&r, "routed"), "bound");
	cti_result_free(&r);
	assert_int_equal(
	    post(f,
	         "{\"event\": \"answered\", \"call_id\": \"e1\", \"at\": \"2026-11-22T08:30:15Z\"}",
	         &r, &err),
	    0);
	cti_result_free(&r);
	assert_int_equal(
	    post(f, "{\"event\": \"ended\", \"call_id\": \"e1\", \"at\": \"2026-11-22T08:32:15Z\"}",
	         &r, &err),
	    0);
	json_t *call = json_object_get(r.reply, "call");
	assert_string_equal(json_string_value(json_object_get(call, "outcome")), "answered");
	assert_int_equal(json_integer_value(json_object_get(call, "wait_s")), 15);
	assert_int_equal(json_integer_value(json_object_get(call, "duration_s")), 120);
	int64_t id = json_integer_value(json_object_get(call, "interaction_id"));
	assert_true(id > 0);
	cti_result_free(&r);
	char sql[200];
	snprintf(sql, sizeof sql,
	         "SELECT COUNT(*) FROM interactions WHERE id = %lld AND channel = 'phone' AND "
	         "direction = 'inbound' AND duration_s = 120 AND outcome = 'answered' AND user_id "
	         "= %lld",
	         (long long)id, (long long)f->svc);
	assert_int_equal(query_int(f->store, sql), 1);
	snprintf(sql, sizeof sql,
	         "SELECT COUNT(*) FROM audit WHERE entity = 'interaction' AND entity_id = %lld AND "
	         "action = 'create' AND user_id = %lld",
	         (long long)id, (long long)f->pbx_id);
	assert_int_equal(query_int(f->store, sql), 1);
	/* abandoned when never answered; a late answer corrects it */
	assert_int_equal(post(f,
	                      "{\"event\": \"ended\", \"call_id\": \"e2\", \"from\": "
	                      "\"13800138000\", \"at\": \"2026-11-22T09:00:30Z\"}",
	                      &r, &err),
	                 0);
	assert_string_equal(call_text(&r, "outcome"), "abandoned");
	cti_result_free(&r);
	assert_int_equal(
	    post(f,
	         "{\"event\": \"ringing\", \"call_id\": \"e2\", \"at\": \"2026-11-22T09:00:00Z\"}",
	         &r, &err),
	    0);
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(r.reply, "call"), "wait_s")), 30);
	assert_int_equal(r.notify, 0); /* an ended call pops nothing */
	cti_result_free(&r);
	assert_int_equal(
	    query_int(f->store, "SELECT COUNT(*) FROM interactions WHERE outcome = 'abandoned'"),
	    1);
}

static void test_cti_card_warns_of_an_unresolved_complaint(void **state)
{
	struct fixture *f = *state;
	char json[300];
	snprintf(
	    json, sizeof json,
	    "{\"contact_id\": %lld, \"channel\": \"email\", \"direction\": \"inbound\", "
	    "\"occurred_at\": \"2026-01-01T00:00:00Z\", \"outcome\": \"complaint\", \"subject\": "
	    "\"Broken\"}",
	    (long long)f->owner_contact);
	json_decref(create(f, &interaction_kind, json));
	struct gx_error err = {0};
	json_t *card = NULL;
	assert_int_equal(cti_caller_card(&f->admin, "13800138000", f->owner_contact, &card, &err),
	                 0);
	json_t *complaint = json_object_get(card, "complaint");
	assert_string_equal(json_string_value(json_object_get(complaint, "subject")), "Broken");
	assert_int_equal(json_integer_value(json_object_get(card, "open_cases")), 0);
	json_decref(card);
	snprintf(json, sizeof json,
	         "{\"contact_id\": %lld, \"channel\": \"phone\", \"direction\": \"outbound\", "
	         "\"occurred_at\": \"2026-01-02T00:00:00Z\", \"outcome\": \"resolved\"}",
	         (long long)f->owner_contact);
	json_decref(create(f, &interaction_kind, json));
	assert_int_equal(cti_caller_card(&f->admin, "13800138000", f->owner_contact, &card, &err),
	                 0);
	assert_true(json_is_null(json_object_get(card, "complaint")));
	json_decref(card);
	/* unknown caller: the one-click create */
	assert_int_equal(cti_caller_card(&f->admin, "021 6288 1234", 0, &card, &err), 0);
	assert_false(json_is_true(json_object_get(card, "known")));
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(card, "create"), "path")),
	    "/api/v1/contacts");
	json_decref(card);
}

static void test_cti_bad_events_name_the_field(void **state)
{
	struct fixture *f = *state;
	static const struct {
		const char *json;
		int code;
		const char *field;
	} cases[] = {
	    {"[1]", GX_EBADREQUEST, ""},
	    {"{\"call_id\": \"x\"}", GX_EVALIDATION, "event"},
	    {"{\"event\": \"hold\", \"call_id\": \"x\"}", GX_EVALIDATION, "event"},
	    {"{\"event\": \"ringing\"}", GX_EVALIDATION, "call_id"},
	    {"{\"event\": \"ringing\", \"call_id\": \"x\", \"from\": 1}", GX_EVALIDATION, "from"},
	    {"{\"event\": \"ringing\", \"call_id\": \"x\", \"at\": \"noon\"}", GX_EVALIDATION,
	     "at"},
	    {"{\"event\": \"ringing\", \"call_id\": \"x\", \"agent\": \"ghost\"}", GX_EVALIDATION,
	     "agent"},
	    {"{\"event\": \"ringing\", \"call_id\": \"x\", \"queue\": \"1\"}", GX_EVALIDATION,
	     "queue"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct gx_error err = {0};
		struct cti_result r;
		assert_int_equal(post(f, cases[i].json, &r, &err), cases[i].code);
		assert_string_equal(err.field, cases[i].field);
	}
	assert_int_equal(query_int(f->store, "SELECT COUNT(*) FROM calls"), 0);
	/* a signed-in user who is not an admin and has no API token may not post */
	struct crm_ctx svc = ctx_for(f, f->svc, "svc", ROLE_SERVICE, "service");
	struct gx_error err = {0};
	struct cti_result r;
	json_t *body = json_pack("{s:s, s:s}", "event", "ringing", "call_id", "x");
	assert_int_equal(cti_call_event(&svc, body, NULL, &r, &err), GX_EFORBIDDEN);
	json_decref(body);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
	        test_cti_routes_to_agents_who_may_see_the_customer_first, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cti_gold_line_takes_the_best_rank_then_falls_back,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cti_skips_busy_and_away_agents, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cti_repeated_events_change_nothing, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_cti_ended_call_is_one_interaction_with_audit,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cti_card_warns_of_an_unresolved_complaint, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_cti_bad_events_name_the_field, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
