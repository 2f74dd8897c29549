/* test_records.c — crm/records with accounts, contacts and interactions: the life cycle (create,
 * get, patch with optimistic locking, delete), the audit row written in the write's transaction
 * and never without it, body validation naming the field, references to what the actor cannot
 * see, keyset paging walked to the end in both directions, filters, tags and free-text q, and the
 * visibility rule (sales see their team only; an invisible record reads as absent everywhere). */
#include "testdb.h"

#include "base/clock.h"
#include "crm/audit.h"
#include "crm/lookup.h"
#include "crm/records.h"

/* Users are inserted directly with a placeholder hash: nobody logs in here, and hashing costs
 * ~0.1 s a user. Ids are fixed by insertion order. */
struct fixture {
	char dir[64];
	char path[128];
	struct store *store;
	struct config config;
	int64_t admin, alice, anna, carol, fiona, sam, mona, ivan;
	struct crm_ctx system;
	struct crm_ctx as_admin;   /* admin, no team */
	struct crm_ctx as_alice;   /* sales, team north */
	struct crm_ctx as_anna;    /* sales, team north */
	struct crm_ctx as_carol;   /* sales, team south */
	struct crm_ctx as_finance; /* fiona, finance */
	struct crm_ctx as_service; /* sam, service */
	struct crm_ctx as_manager; /* mona, manager, team south */
};

/* ---- fixture -------------------------------------------------------------------------- */

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof *fx);
	if (!fx)
		return -1;
	if (testdb_open(fx->dir, sizeof fx->dir, fx->path, sizeof fx->path, "records", &fx->store) <
	    0) {
		free(fx);
		return -1;
	}
	config_defaults(&fx->config);
	fx->admin = testdb_insert_user(fx->store, "admin", "admin", NULL, 1);
	fx->alice = testdb_insert_user(fx->store, "alice", "sales", "north", 1);
	fx->anna = testdb_insert_user(fx->store, "anna", "sales", "north", 1);
	fx->carol = testdb_insert_user(fx->store, "carol", "sales", "south", 1);
	fx->fiona = testdb_insert_user(fx->store, "fiona", "finance", NULL, 1);
	fx->sam = testdb_insert_user(fx->store, "sam", "service", NULL, 1);
	fx->mona = testdb_insert_user(fx->store, "mona", "manager", "south", 1);
	fx->ivan = testdb_insert_user(fx->store, "ivan", "sales", "north", 0);
	if (fx->admin <= 0 || fx->alice <= 0 || fx->anna <= 0 || fx->carol <= 0 || fx->fiona <= 0 ||
	    fx->sam <= 0 || fx->mona <= 0 || fx->ivan <= 0)
		return -1;
	fx->system = (struct crm_ctx){
	    .store = fx->store, .config = &fx->config, .actor = access_system_actor()};
	fx->as_admin = testdb_ctx(fx->store, &fx->config, fx->admin);
	fx->as_alice = testdb_ctx(fx->store, &fx->config, fx->alice);
	fx->as_anna = testdb_ctx(fx->store, &fx->config, fx->anna);
	fx->as_carol = testdb_ctx(fx->store, &fx->config, fx->carol);
	fx->as_finance = testdb_ctx(fx->store, &fx->config, fx->fiona);
	fx->as_service = testdb_ctx(fx->store, &fx->config, fx->sam);
	fx->as_manager = testdb_ctx(fx->store, &fx->config, fx->mona);
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

/* ---- helpers -------------------------------------------------------------------------- */

/* Copies tmpl to out with each "$N" (N a digit) replaced by vals[N]. */
static void expand(const char *tmpl, const int64_t *vals, char *out, size_t size)
{
	size_t len = 0;
	for (const char *p = tmpl; *p; p++) {
		if (p[0] == '$' && p[1] >= '0' && p[1] <= '9') {
			len += (size_t)snprintf(out + len, size - len, "%lld",
			                        (long long)vals[p[1] - '0']);
			p++;
		} else if (len + 1 < size) {
			out[len++] = *p;
			out[len] = '\0';
		}
		assert_true(len + 1 < size);
	}
	out[len] = '\0';
}

static json_t *parse_with(const char *tmpl, const int64_t *vals)
{
	char text[4096];
	expand(tmpl, vals, text, sizeof text);
	return parse(text);
}

/* Creates; fails the test on error; returns the record (caller frees). */
static json_t *create_json(struct crm_ctx *ctx, const struct record_kind *kind, json_t *body)
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
	assert_non_null(out);
	return out;
}

static int64_t create_id(struct crm_ctx *ctx, const struct record_kind *kind, json_t *body)
{
	json_t *out = create_json(ctx, kind, body);
	int64_t id = num(out, "id");
	json_decref(out);
	assert_true(id > 0);
	return id;
}

/* Expects failure with code and (unless NULL) field; takes body. */
static void create_fails(struct crm_ctx *ctx, const struct record_kind *kind, json_t *body,
                         int code, const char *field)
{
	json_t *out = NULL;
	struct gx_error err = {0};
	int rc = records_create(ctx, kind, body, &out, &err);
	char *text = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(body);
	if (rc != code || (field && strcmp(err.field, field) != 0)) {
		json_decref(out);
		fail_msg("create %s %s: got %d field \"%s\" (%s), want %d field \"%s\"",
		         kind->entity, text ? text : "(null)", rc, err.field, err.message, code,
		         field ? field : "*");
	}
	free(text);
	assert_null(out);
}

static json_t *update_json(struct crm_ctx *ctx, const struct record_kind *kind, int64_t id,
                           json_t *body)
{
	json_t *out = NULL;
	struct gx_error err = {0};
	int rc = records_update(ctx, kind, id, body, &out, &err);
	if (rc != 0)
		fail_msg("update %s %lld: %d field \"%s\": %s", kind->entity, (long long)id, rc,
		         err.field, err.message);
	json_decref(body);
	assert_non_null(out);
	return out;
}

static void update_ok(struct crm_ctx *ctx, const struct record_kind *kind, int64_t id, json_t *body)
{
	json_decref(update_json(ctx, kind, id, body));
}

static void update_fails(struct crm_ctx *ctx, const struct record_kind *kind, int64_t id,
                         json_t *body, int code, const char *field)
{
	json_t *out = NULL;
	struct gx_error err = {0};
	int rc = records_update(ctx, kind, id, body, &out, &err);
	char *text = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(body);
	if (rc != code || (field && strcmp(err.field, field) != 0)) {
		json_decref(out);
		fail_msg("update %s %lld %s: got %d field \"%s\" (%s), want %d field \"%s\"",
		         kind->entity, (long long)id, text ? text : "(null)", rc, err.field,
		         err.message, code, field ? field : "*");
	}
	free(text);
	assert_null(out);
}

static json_t *get_json(struct crm_ctx *ctx, const struct record_kind *kind, int64_t id)
{
	json_t *out = NULL;
	struct gx_error err = {0};
	int rc = records_get(ctx, kind, id, &out, &err);
	if (rc != 0)
		fail_msg("get %s %lld: %d %s", kind->entity, (long long)id, rc, err.message);
	return out;
}

static int get_rc(struct crm_ctx *ctx, const struct record_kind *kind, int64_t id)
{
	json_t *out = NULL;
	struct gx_error err = {0};
	int rc = records_get(ctx, kind, id, &out, &err);
	json_decref(out);
	return rc;
}

static int delete_rc(struct crm_ctx *ctx, const struct record_kind *kind, int64_t id)
{
	struct gx_error err = {0};
	return records_delete(ctx, kind, id, &err);
}

static int64_t count_audit(struct fixture *fx, const char *entity, int64_t id)
{
	char sql[160];
	snprintf(sql, sizeof sql,
	         "SELECT COUNT(*) FROM audit WHERE entity = '%s' AND entity_id = ?", entity);
	return query_int_id(fx->store, sql, id);
}

static json_t *audit_json(struct crm_ctx *ctx, const char *entity, int64_t id)
{
	json_t *out = NULL;
	struct gx_error err = {0};
	int rc = audit_list(ctx, entity, id, &out, &err);
	if (rc != 0)
		fail_msg("audit_list %s %lld: %d %s", entity, (long long)id, rc, err.message);
	return out;
}

static int audit_rc(struct crm_ctx *ctx, const char *entity, int64_t id)
{
	json_t *out = NULL;
	struct gx_error err = {0};
	int rc = audit_list(ctx, entity, id, &out, &err);
	json_decref(out);
	return rc;
}

/* One page of a list; fails the test on error. */
static json_t *list_page(struct crm_ctx *ctx, const struct record_kind *kind, const char *sort,
                         const char *cursor, int limit, json_t *filters, const char *q)
{
	struct list_query lq = {
	    .q = q, .sort = sort, .cursor = cursor, .limit = limit, .filters = filters};
	json_t *out = NULL;
	struct gx_error err = {0};
	int rc = records_list(ctx, kind, &lq, &out, &err);
	if (rc != 0)
		fail_msg("list %s sort %s: %d field \"%s\": %s", kind->entity, sort ? sort : "-",
		         rc, err.field, err.message);
	return out;
}

static int list_rc(struct crm_ctx *ctx, const struct record_kind *kind, const char *sort,
                   const char *cursor, json_t *filters, const char *q, const char *field)
{
	struct list_query lq = {
	    .q = q, .sort = sort, .cursor = cursor, .limit = 10, .filters = filters};
	json_t *out = NULL;
	struct gx_error err = {0};
	int rc = records_list(ctx, kind, &lq, &out, &err);
	json_decref(out);
	if (rc < 0 && field && strcmp(err.field, field) != 0)
		fail_msg("list: error names field \"%s\" (%s), want \"%s\"", err.field, err.message,
		         field);
	return rc;
}

/* The ids of every row, walking all pages; *pages gets the number of pages. Caller frees. */
static json_t *walk(struct crm_ctx *ctx, const struct record_kind *kind, const char *sort,
                    int limit, json_t *filters, const char *q, int *pages, json_t **rows)
{
	json_t *ids = json_array();
	if (rows)
		*rows = json_array();
	char *cursor = NULL;
	int n = 0;
	for (;;) {
		json_t *page = list_page(ctx, kind, sort, cursor, limit, filters, q);
		n++;
		json_t *data = json_object_get(page, "data");
		assert_true(json_array_size(data) <= (size_t)limit);
		size_t i;
		json_t *row;
		json_array_foreach(data, i, row)
		{
			json_array_append_new(ids, json_integer(num(row, "id")));
			if (rows)
				json_array_append(*rows, row);
		}
		free(cursor);
		cursor = NULL;
		const char *next = str(page, "next_cursor");
		if (next) {
			/* A page that says there is more is full. */
			assert_int_equal(json_array_size(data), limit);
			cursor = strdup(next);
		}
		json_decref(page);
		if (!cursor)
			break;
		assert_true(n < 1000);
	}
	if (pages)
		*pages = n;
	return ids;
}

/* The ids of one unpaged list as a sorted, comma-separated string like "1,4,5". */
static void list_ids(struct crm_ctx *ctx, const struct record_kind *kind, json_t *filters,
                     const char *q, char *out, size_t size)
{
	json_t *page = list_page(ctx, kind, "id", NULL, 500, filters, q);
	size_t i, len = 0;
	json_t *row;
	out[0] = '\0';
	json_array_foreach(json_object_get(page, "data"), i, row)
	{
		len += (size_t)snprintf(out + len, size - len, "%s%lld", i ? "," : "",
		                        (long long)num(row, "id"));
		assert_true(len < size);
	}
	json_decref(page);
}

static int64_t account(struct crm_ctx *ctx, const char *name)
{
	return create_id(ctx, &account_kind, json_pack("{s:s}", "name", name));
}

static int64_t contact(struct crm_ctx *ctx, const char *name, int64_t account_id)
{
	json_t *body = json_pack("{s:s}", "name", name);
	if (account_id)
		json_object_set_new(body, "account_id", json_integer(account_id));
	return create_id(ctx, &contact_kind, body);
}

static int64_t interaction_on(struct crm_ctx *ctx, const char *key, int64_t id)
{
	return create_id(ctx, &interaction_kind,
	                 json_pack("{s:I, s:s, s:s}", key, (json_int_t)id, "channel", "phone",
	                           "direction", "inbound"));
}

/* ---- life cycle ------------------------------------------------------------------------ */

static void test_account_create_get_update_delete(void **state)
{
	struct fixture *fx = *state;
	struct crm_ctx *ctx = &fx->as_admin;
	json_t *made = create_json(
	    ctx, &account_kind,
	    parse("{\"name\": \"华为技术有限公司\", \"industry\": \"telecom\", \"website\": "
	          "\"huawei.com\", \"tags\": [\"vip\", \"5g\"], \"notes\": \"深圳\"}"));
	int64_t id = num(made, "id");
	assert_true(id > 0);
	assert_string_equal(str(made, "name"), "华为技术有限公司");
	assert_string_equal(str(made, "industry"), "telecom");
	assert_string_equal(str(made, "website"), "huawei.com");
	assert_string_equal(str(made, "notes"), "深圳");
	assert_string_equal(str(made, "tier"), "bronze"); /* derived, never typed in */
	assert_true(json_is_null(json_object_get(made, "parent_id")));
	assert_int_equal(num(made, "owner_id"), fx->admin); /* defaults to whoever creates it */
	json_t *tags = parse("[\"vip\", \"5g\"]");
	assert_true(json_equal(json_object_get(made, "tags"), tags));
	json_decref(tags);
	assert_int_equal(num(made, "version"), 1);
	int64_t created;
	assert_int_equal(clock_parse(str(made, "created_at"), &created), 0);
	assert_true(llabs(created - clock_now()) <= 5);
	assert_string_equal(str(made, "created_at"), str(made, "updated_at"));
	assert_non_null(strchr(str(made, "created_at"), 'Z'));

	json_t *got = get_json(ctx, &account_kind, id);
	assert_true(json_equal(got, made));
	json_decref(got);

	json_t *changed =
	    update_json(ctx, &account_kind, id, parse("{\"industry\": \"电信\", \"version\": 1}"));
	assert_string_equal(str(changed, "industry"), "电信");
	assert_string_equal(str(changed, "name"), "华为技术有限公司"); /* a patch, not a put */
	assert_string_equal(str(changed, "website"), "huawei.com");
	assert_int_equal(num(changed, "version"), 2);
	assert_int_equal(num(changed, "id"), id);
	assert_string_equal(str(changed, "created_at"), str(made, "created_at"));
	json_decref(changed);
	/* A null list is an empty one; a null text clears it. */
	changed = update_json(ctx, &account_kind, id, parse("{\"tags\": null, \"notes\": null}"));
	assert_true(json_is_array(json_object_get(changed, "tags")));
	assert_int_equal(json_array_size(json_object_get(changed, "tags")), 0);
	assert_true(json_is_null(json_object_get(changed, "notes")));
	assert_int_equal(num(changed, "version"), 3);
	json_decref(changed);
	json_decref(made);
	assert_int_equal(query_int(fx->store, "SELECT COUNT(*) FROM search_accounts"), 1);

	assert_int_equal(delete_rc(ctx, &account_kind, id), 0);
	assert_int_equal(get_rc(ctx, &account_kind, id), GX_ENOTFOUND);
	assert_int_equal(delete_rc(ctx, &account_kind, id), GX_ENOTFOUND);
	update_fails(ctx, &account_kind, id, parse("{\"name\": \"x\"}"), GX_ENOTFOUND, NULL);
	assert_int_equal(query_int(fx->store, "SELECT COUNT(*) FROM accounts"), 0);
	assert_int_equal(query_int(fx->store, "SELECT COUNT(*) FROM search_accounts"), 0);
	/* Ids are never given out again. */
	int64_t next = account(ctx, "next");
	assert_true(next > id);
}

static void test_stale_version_conflicts(void **state)
{
	struct fixture *fx = *state;
	struct crm_ctx *ctx = &fx->as_admin;
	int64_t id = account(ctx, "A");
	update_ok(ctx, &account_kind, id, parse("{\"name\": \"B\", \"version\": 1}"));
	/* A second writer who read version 1 loses. */
	update_fails(ctx, &account_kind, id, parse("{\"name\": \"C\", \"version\": 1}"),
	             GX_ECONFLICT, "version");
	update_fails(ctx, &account_kind, id, parse("{\"name\": \"C\", \"version\": 7}"),
	             GX_ECONFLICT, "version");
	json_t *got = get_json(ctx, &account_kind, id);
	assert_string_equal(str(got, "name"), "B");
	assert_int_equal(num(got, "version"), 2);
	json_decref(got);
	assert_int_equal(count_audit(fx, "account", id), 2);
	update_fails(ctx, &account_kind, id, parse("{\"name\": \"C\", \"version\": \"2\"}"),
	             GX_EVALIDATION, "version");
	/* version on create is not a field. */
	create_fails(ctx, &account_kind, parse("{\"name\": \"D\", \"version\": 1}"), GX_EVALIDATION,
	             "version");
	/* Without a version the patch applies to whatever is current. */
	json_t *out = update_json(ctx, &account_kind, id, parse("{\"name\": \"C\"}"));
	assert_int_equal(num(out, "version"), 3);
	json_decref(out);
	out = update_json(ctx, &account_kind, id, parse("{\"name\": \"D\", \"version\": 3}"));
	assert_int_equal(num(out, "version"), 4);
	assert_string_equal(str(out, "name"), "D");
	json_decref(out);
}

static void test_update_without_changes_writes_nothing(void **state)
{
	struct fixture *fx = *state;
	struct crm_ctx *ctx = &fx->as_alice;
	int64_t acc = account(ctx, "Acme");
	int64_t id = create_id(
	    ctx, &contact_kind,
	    parsef(
	        "{\"name\": \"张伟\", \"account_id\": %lld, \"phones\": [{\"number\": \"138 0013 "
	        "8000\"}], \"emails\": [{\"address\": \"zw@example.com\"}], \"tags\": [\"vip\"], "
	        "\"consent\": {\"sms\": false}}",
	        (long long)acc));
	const char *same[] = {
	    "{}",
	    "{\"version\": 1}",
	    "{\"name\": \"张伟\"}",
	    "{\"tags\": [\"vip\"], \"account_id\": $0}",
	    /* the phone as typed: its E.164 form is computed again and is the same */
	    "{\"phones\": [{\"number\": \"138 0013 8000\"}]}",
	    "{\"phones\": [{\"number\": \"138 0013 8000\", \"kind\": \"mobile\"}], \"emails\": "
	    "[{\"address\": \"zw@example.com\", \"kind\": \"work\"}], \"consent\": {\"sms\": "
	    "false}}",
	};
	for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
		json_t *out = update_json(ctx, &contact_kind, id, parse_with(same[i], &acc));
		if (num(out, "version") != 1)
			fail_msg("%s changed the record (version %lld)", same[i],
			         (long long)num(out, "version"));
		json_decref(out);
	}
	assert_int_equal(count_audit(fx, "contact", id), 1);

	/* The same instant written with another offset is no change either. */
	int64_t talk =
	    create_id(ctx, &interaction_kind,
	              parsef("{\"contact_id\": %lld, \"channel\": \"visit\", \"direction\": "
	                     "\"outbound\", \"occurred_at\": \"2026-03-01T08:00:00Z\"}",
	                     (long long)id));
	json_t *out = update_json(ctx, &interaction_kind, talk,
	                          parse("{\"occurred_at\": \"2026-03-01T16:00:00+08:00\"}"));
	assert_int_equal(num(out, "version"), 1);
	assert_string_equal(str(out, "occurred_at"), "2026-03-01T08:00:00Z");
	json_decref(out);
	assert_int_equal(count_audit(fx, "interaction", talk), 1);
	/* A real change is written once. */
	out = update_json(ctx, &interaction_kind, talk, parse("{\"subject\": \"报价\"}"));
	assert_int_equal(num(out, "version"), 2);
	json_decref(out);
	assert_int_equal(count_audit(fx, "interaction", talk), 2);
}

static void test_audit_trail_of_a_record(void **state)
{
	struct fixture *fx = *state;
	int64_t id = create_id(&fx->as_alice, &account_kind,
	                       parse("{\"name\": \"A\", \"industry\": \"retail\"}"));
	update_ok(&fx->as_alice, &account_kind, id, parse("{\"name\": \"B\"}"));

	json_t *trail = audit_json(&fx->as_alice, "account", id);
	json_t *data = json_object_get(trail, "data");
	assert_int_equal(json_array_size(data), 2);
	json_t *first = json_array_get(data, 0), *second = json_array_get(data, 1);
	assert_string_equal(str(first, "action"), "create");
	assert_string_equal(str(second, "action"), "update");
	assert_true(num(first, "id") < num(second, "id"));
	assert_int_equal(num(json_object_get(first, "user"), "id"), fx->alice);
	assert_string_equal(str(json_object_get(first, "user"), "username"), "alice");
	int64_t at;
	assert_int_equal(clock_parse(str(first, "at"), &at), 0);
	assert_true(llabs(at - clock_now()) <= 5);
	json_t *want = parsef("{\"name\": {\"old\": null, \"new\": \"A\"}, \"industry\": {\"old\": "
	                      "null, \"new\": \"retail\"}, \"owner_id\": {\"old\": null, \"new\": "
	                      "%lld}, \"tags\": {\"old\": null, \"new\": []}}",
	                      (long long)fx->alice);
	assert_true(json_equal(json_object_get(first, "changes"), want));
	json_decref(want);
	/* An update records exactly what changed. */
	want = parse("{\"name\": {\"old\": \"A\", \"new\": \"B\"}}");
	assert_true(json_equal(json_object_get(second, "changes"), want));
	json_decref(want);
	json_decref(trail);

	/* Another team cannot read it: it reads as absent. */
	assert_int_equal(audit_rc(&fx->as_carol, "account", id), GX_ENOTFOUND);
	assert_int_equal(audit_rc(&fx->as_admin, "user", id), GX_EBADREQUEST);

	assert_int_equal(delete_rc(&fx->as_alice, &account_kind, id), 0);
	/* The trail of a deleted record: only for roles that see every record. */
	assert_int_equal(audit_rc(&fx->as_alice, "account", id), GX_ENOTFOUND);
	trail = audit_json(&fx->as_admin, "account", id);
	data = json_object_get(trail, "data");
	assert_int_equal(json_array_size(data), 3);
	json_t *last = json_array_get(data, 2);
	assert_string_equal(str(last, "action"), "delete");
	json_t *changes = json_object_get(last, "changes");
	want = parse("{\"old\": \"B\", \"new\": null}");
	assert_true(json_equal(json_object_get(changes, "name"), want));
	json_decref(want);
	want = parse("{\"old\": \"bronze\", \"new\": null}");
	assert_true(json_equal(json_object_get(changes, "tier"), want));
	json_decref(want);
	json_decref(trail);
	/* What was written is what the table holds. */
	assert_int_equal(count_audit(fx, "account", id), 3);
	assert_int_equal(query_int(fx->store, "SELECT COUNT(*) FROM audit"), 3);
}

static void test_system_actor_audit_has_no_user(void **state)
{
	struct fixture *fx = *state;
	int64_t acc = account(&fx->system, "系统导入");
	json_t *got = get_json(&fx->as_admin, &account_kind, acc);
	assert_true(json_is_null(json_object_get(got, "owner_id"))); /* nobody to default to */
	json_decref(got);
	int64_t talk = interaction_on(&fx->system, "account_id", acc);
	got = get_json(&fx->as_admin, &interaction_kind, talk);
	assert_true(json_is_null(json_object_get(got, "user_id")));
	json_decref(got);

	json_t *trail = audit_json(&fx->as_admin, "account", acc);
	json_t *row = json_array_get(json_object_get(trail, "data"), 0);
	assert_non_null(row);
	assert_true(json_is_null(json_object_get(row, "user")));
	assert_string_equal(str(row, "action"), "create");
	json_decref(trail);
	assert_int_equal(query_int(fx->store, "SELECT COUNT(*) FROM audit WHERE user_id IS NULL"),
	                 2);
	/* A user's write names the user. */
	update_ok(&fx->as_admin, &account_kind, acc, parse("{\"industry\": \"x\"}"));
	trail = audit_json(&fx->as_admin, "account", acc);
	row = json_array_get(json_object_get(trail, "data"), 1);
	assert_int_equal(num(json_object_get(row, "user"), "id"), fx->admin);
	json_decref(trail);
}

static void test_invalid_phone_leaves_no_row_and_no_audit(void **state)
{
	struct fixture *fx = *state;
	struct crm_ctx *ctx = &fx->as_admin;
	create_fails(ctx, &contact_kind,
	             parse("{\"name\": \"张伟\", \"phones\": [{\"number\": \"138 0013 8000\"}, "
	                   "{\"number\": \"not a number\"}]}"),
	             GX_EVALIDATION, "phones[1].number");
	assert_int_equal(query_int(fx->store, "SELECT COUNT(*) FROM contacts"), 0);
	assert_int_equal(query_int(fx->store, "SELECT COUNT(*) FROM contact_phones"), 0);
	assert_int_equal(query_int(fx->store, "SELECT COUNT(*) FROM search_contacts"), 0);
	assert_int_equal(query_int(fx->store, "SELECT COUNT(*) FROM audit"), 0);

	int64_t id = create_id(ctx, &contact_kind,
	                       parse("{\"name\": \"张伟\", \"phones\": [{\"number\": \"138 0013 "
	                             "8000\"}]}"));
	update_fails(ctx, &contact_kind, id, parse("{\"phones\": [{\"number\": \"12\"}]}"),
	             GX_EVALIDATION, "phones[0].number");
	json_t *got = get_json(ctx, &contact_kind, id);
	assert_string_equal(str(json_array_get(json_object_get(got, "phones"), 0), "e164"),
	                    "+8613800138000");
	assert_int_equal(num(got, "version"), 1);
	json_decref(got);
	assert_int_equal(query_int(fx->store, "SELECT COUNT(*) FROM contact_phones WHERE e164 = "
	                                      "'+8613800138000'"),
	                 1);
	assert_int_equal(query_int(fx->store, "SELECT COUNT(*) FROM audit"), 1);
}

static void test_failing_audit_rolls_the_write_back(void **state)
{
	struct fixture *fx = *state;
	struct crm_ctx *ctx = &fx->as_admin;
	int64_t id = account(ctx, "旧名");
	must_exec(fx->store, "CREATE TRIGGER no_audit BEFORE INSERT ON audit BEGIN "
	                     "SELECT RAISE(ABORT, 'audit refused'); END");
	json_t *out = NULL;
	struct gx_error err = {0};
	json_t *body = parse("{\"name\": \"新\"}");
	assert_true(records_create(ctx, &account_kind, body, &out, &err) < 0);
	json_decref(body);
	assert_null(out);
	assert_int_equal(query_int(fx->store, "SELECT COUNT(*) FROM accounts"), 1);
	assert_int_equal(query_int(fx->store, "SELECT COUNT(*) FROM search_accounts"), 1);

	update_fails(ctx, &account_kind, id, parse("{\"name\": \"新名\"}"), GX_EINTERNAL, NULL);
	json_t *got = get_json(ctx, &account_kind, id);
	assert_string_equal(str(got, "name"), "旧名");
	assert_int_equal(num(got, "version"), 1);
	json_decref(got);
	/* The search document is derived in the same transaction: it went back too. */
	assert_int_equal(query_int(fx->store, "SELECT COUNT(*) FROM search_accounts WHERE "
	                                      "instr(doc, '旧名') > 0"),
	                 1);
	assert_int_equal(query_int(fx->store, "SELECT COUNT(*) FROM search_accounts WHERE "
	                                      "instr(doc, '新名') > 0"),
	                 0);
	assert_true(delete_rc(ctx, &account_kind, id) < 0);
	assert_int_equal(get_rc(ctx, &account_kind, id), 0);

	must_exec(fx->store, "DROP TRIGGER no_audit");
	/* Nothing was left half open: the next write goes through. */
	update_ok(ctx, &account_kind, id, parse("{\"name\": \"新名\"}"));
	assert_int_equal(count_audit(fx, "account", id), 2);
}

static void test_failing_derived_write_rolls_back(void **state)
{
	struct fixture *fx = *state;
	struct crm_ctx *ctx = &fx->as_admin;
	must_exec(fx->store, "CREATE TRIGGER no_phones BEFORE INSERT ON contact_phones BEGIN "
	                     "SELECT RAISE(ABORT, 'refused'); END");
	create_fails(ctx, &contact_kind,
	             parse("{\"name\": \"张伟\", \"phones\": [{\"number\": \"138 0013 8000\"}]}"),
	             GX_EINTERNAL, NULL);
	assert_int_equal(query_int(fx->store, "SELECT COUNT(*) FROM contacts"), 0);
	assert_int_equal(query_int(fx->store, "SELECT COUNT(*) FROM search_contacts"), 0);
	assert_int_equal(query_int(fx->store, "SELECT COUNT(*) FROM audit"), 0);
	must_exec(fx->store, "DROP TRIGGER no_phones");

	int64_t acc = account(ctx, "旧名公司");
	int64_t person = contact(ctx, "李娜", acc);
	must_exec(fx->store, "CREATE TRIGGER no_docs BEFORE UPDATE ON search_contacts BEGIN "
	                     "SELECT RAISE(ABORT, 'refused'); END");
	/* Renaming the account rewrites its people's documents; one failing undoes the rename. */
	update_fails(ctx, &account_kind, acc, parse("{\"name\": \"新名公司\"}"), GX_EINTERNAL,
	             NULL);
	json_t *got = get_json(ctx, &account_kind, acc);
	assert_string_equal(str(got, "name"), "旧名公司");
	assert_int_equal(num(got, "version"), 1);
	json_decref(got);
	assert_int_equal(query_int(fx->store, "SELECT COUNT(*) FROM search_accounts WHERE "
	                                      "instr(doc, '新名') > 0"),
	                 0);
	assert_int_equal(count_audit(fx, "account", acc), 1);
	must_exec(fx->store, "DROP TRIGGER no_docs");
	update_ok(ctx, &account_kind, acc, parse("{\"name\": \"新名公司\"}"));
	assert_int_equal(query_int_id(fx->store,
	                              "SELECT COUNT(*) FROM search_contacts WHERE id = ? AND "
	                              "instr(doc, '新名公司') > 0",
	                              person),
	                 1);
}

/* ---- validation ------------------------------------------------------------------------ */

static void test_body_validation_names_the_field(void **state)
{
	struct fixture *fx = *state;
	struct crm_ctx *ctx = &fx->as_admin;
	int64_t acc = account(ctx, "Acme");
	int64_t person = contact(ctx, "Jane", acc);
	const struct {
		const struct record_kind *kind;
		const char *body, *field;
	} cases[] = {
	    {&account_kind, "{\"nmae\": \"typo\"}", "nmae"},
	    {&account_kind, "{}", "name"},
	    {&account_kind, "{\"name\": null}", "name"},
	    {&account_kind, "{\"name\": 42}", "name"},
	    {&account_kind, "{\"name\": \"x\", \"tier\": \"gold\"}", "tier"},
	    {&account_kind, "{\"name\": \"x\", \"tier\": null}", "tier"},
	    {&account_kind, "{\"name\": \"x\", \"id\": 5}", "id"},
	    {&account_kind, "{\"name\": \"x\", \"created_at\": \"2026-01-01T00:00:00Z\"}",
	     "created_at"},
	    {&account_kind, "{\"name\": \"x\", \"parent_id\": 0}", "parent_id"},
	    {&account_kind, "{\"name\": \"x\", \"parent_id\": \"1\"}", "parent_id"},
	    {&account_kind, "{\"name\": \"x\", \"owner_id\": -3}", "owner_id"},
	    {&account_kind, "{\"name\": \"x\", \"tags\": \"vip\"}", "tags"},
	    {&account_kind, "{\"name\": \"x\", \"tags\": [\"vip\", \"vip\"]}", "tags"},
	    {&account_kind, "{\"name\": \"x\", \"tags\": [\"\"]}", "tags"},
	    {&account_kind, "{\"name\": \"x\", \"tags\": [7]}", "tags"},
	    {&contact_kind, "{\"name\": \"x\", \"birthday\": \"1990-02-30\"}", "birthday"},
	    {&contact_kind, "{\"name\": \"x\", \"birthday\": \"19900101\"}", "birthday"},
	    {&contact_kind, "{\"name\": \"x\", \"phones\": \"138 0013 8000\"}", "phones"},
	    {&contact_kind, "{\"name\": \"x\", \"phones\": {\"number\": \"13800138000\"}}",
	     "phones"},
	    {&contact_kind, "{\"name\": \"x\", \"phones\": [\"13800138000\"]}", "phones[0]"},
	    {&contact_kind, "{\"name\": \"x\", \"phones\": [{\"kind\": \"mobile\"}]}",
	     "phones[0].number"},
	    {&contact_kind,
	     "{\"name\": \"x\", \"phones\": [{\"number\": \"13800138000\", \"kind\": "
	     "\"pager\"}]}",
	     "phones[0].kind"},
	    {&contact_kind,
	     "{\"name\": \"x\", \"phones\": [{\"number\": \"13800138000\", "
	     "\"extension\": \"12\"}]}",
	     "phones[0].extension"},
	    {&contact_kind, "{\"name\": \"x\", \"phones\": [{\"number\": 13800138000}]}",
	     "phones[0].number"},
	    {&contact_kind, "{\"name\": \"x\", \"emails\": [{\"address\": \"jane.example.com\"}]}",
	     "emails[0].address"},
	    {&contact_kind,
	     "{\"name\": \"x\", \"emails\": [{\"address\": \"a@b.c\"}, "
	     "{\"address\": \"jane@@example.com\"}]}",
	     "emails[1].address"},
	    {&contact_kind, "{\"name\": \"x\", \"emails\": [{\"address\": \"a b@example.com\"}]}",
	     "emails[0].address"},
	    {&contact_kind,
	     "{\"name\": \"x\", \"addresses\": [{\"city\": \"北京\", \"kind\": "
	     "\"moon\"}]}",
	     "addresses[0].kind"},
	    {&contact_kind, "{\"name\": \"x\", \"consent\": {\"fax\": true}}", "consent"},
	    {&contact_kind, "{\"name\": \"x\", \"consent\": {\"email\": \"yes\"}}", "consent"},
	    {&contact_kind, "{\"name\": \"x\", \"consent\": [true]}", "consent"},
	    {&contact_kind, "{\"name\": \"x\", \"consent\": true}", "consent"},
	    {&contact_kind, "{\"name\": \"x\", \"account_id\": 999999}", "account_id"},
	    {&interaction_kind, "{\"contact_id\": 1, \"direction\": \"inbound\"}", "channel"},
	    {&interaction_kind,
	     "{\"contact_id\": 1, \"channel\": \"fax\", \"direction\": "
	     "\"inbound\"}",
	     "channel"},
	    {&interaction_kind,
	     "{\"contact_id\": 1, \"channel\": \"phone\", \"direction\": "
	     "\"sideways\"}",
	     "direction"},
	    {&interaction_kind, "{\"channel\": \"phone\", \"direction\": \"inbound\"}",
	     "contact_id"},
	    {&interaction_kind,
	     "{\"contact_id\": 1, \"channel\": \"phone\", \"direction\": "
	     "\"inbound\", \"occurred_at\": \"yesterday\"}",
	     "occurred_at"},
	    {&interaction_kind,
	     "{\"contact_id\": 1, \"channel\": \"phone\", \"direction\": "
	     "\"inbound\", \"occurred_at\": 1767225600}",
	     "occurred_at"},
	    {&interaction_kind,
	     "{\"contact_id\": 1, \"channel\": \"phone\", \"direction\": "
	     "\"inbound\", \"duration_s\": -1}",
	     "duration_s"},
	    {&interaction_kind,
	     "{\"contact_id\": 1, \"channel\": \"phone\", \"direction\": "
	     "\"inbound\", \"duration_s\": 1.5}",
	     "duration_s"},
	    {&interaction_kind,
	     "{\"contact_id\": 1, \"channel\": \"phone\", \"direction\": "
	     "\"inbound\", \"user_id\": 999999}",
	     "user_id"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		create_fails(ctx, cases[i].kind, parse(cases[i].body), GX_EVALIDATION,
		             cases[i].field);
	assert_int_equal(query_int(fx->store, "SELECT COUNT(*) FROM accounts"), 1);
	assert_int_equal(query_int(fx->store, "SELECT COUNT(*) FROM contacts"), 1);
	assert_int_equal(query_int(fx->store, "SELECT COUNT(*) FROM interactions"), 0);
	assert_int_equal(query_int(fx->store, "SELECT COUNT(*) FROM audit"), 2);

	/* The message says what is wrong and what would be right. */
	json_t *out = NULL;
	struct gx_error err = {0};
	json_t *body =
	    parse("{\"contact_id\": 1, \"channel\": \"fax\", \"direction\": \"inbound\"}");
	assert_int_equal(records_create(ctx, &interaction_kind, body, &out, &err), GX_EVALIDATION);
	json_decref(body);
	assert_non_null(strstr(err.message, "phone, email, chat"));
	assert_non_null(strstr(err.message, "forum"));

	/* Patches are checked the same way, and a required field cannot be emptied. */
	update_fails(ctx, &contact_kind, person, parse("{\"name\": null}"), GX_EVALIDATION, "name");
	update_fails(ctx, &contact_kind, person, parse("{\"name\": \" \\t \"}"), GX_EVALIDATION,
	             "name");
	update_fails(ctx, &contact_kind, person, parse("{\"tier\": \"gold\"}"), GX_EVALIDATION,
	             "tier");
	update_fails(ctx, &contact_kind, person, parse("{\"emails\": [{\"address\": \"@x.com\"}]}"),
	             GX_EVALIDATION, "emails[0].address");
	update_fails(ctx, &account_kind, acc, parse("{\"website\": [\"a\"]}"), GX_EVALIDATION,
	             "website");
	json_t *got = get_json(ctx, &contact_kind, person);
	assert_string_equal(str(got, "name"), "Jane");
	assert_int_equal(num(got, "version"), 1);
	json_decref(got);
}

static void test_text_length_limits(void **state)
{
	struct fixture *fx = *state;
	struct crm_ctx *ctx = &fx->as_admin;
	char text[20002];
	/* Limits count bytes: 200 for a name. */
	memset(text, 'a', 200);
	text[200] = '\0';
	int64_t id = create_id(ctx, &account_kind, json_pack("{s:s}", "name", text));
	text[200] = 'a';
	text[201] = '\0';
	create_fails(ctx, &account_kind, json_pack("{s:s}", "name", text), GX_EVALIDATION, "name");
	/* 66 ideographs are 198 bytes; 67 are 201. */
	char cjk[256] = "";
	for (int i = 0; i < 66; i++)
		strcat(cjk, "关");
	assert_int_equal(strlen(cjk), 198);
	int64_t person = create_id(ctx, &contact_kind, json_pack("{s:s}", "name", cjk));
	strcat(cjk, "系");
	create_fails(ctx, &contact_kind, json_pack("{s:s}", "name", cjk), GX_EVALIDATION, "name");
	/* Notes: 20000. */
	memset(text, 'n', 20000);
	text[20000] = '\0';
	update_ok(ctx, &account_kind, id, json_pack("{s:s}", "notes", text));
	text[20000] = 'n';
	text[20001] = '\0';
	update_fails(ctx, &account_kind, id, json_pack("{s:s}", "notes", text), GX_EVALIDATION,
	             "notes");
	/* Interaction subject: 500; title: 200. */
	memset(text, 's', 500);
	text[500] = '\0';
	int64_t talk =
	    create_id(ctx, &interaction_kind,
	              json_pack("{s:I, s:s, s:s, s:s}", "contact_id", (json_int_t)person, "channel",
	                        "email", "direction", "inbound", "subject", text));
	text[500] = 's';
	text[501] = '\0';
	update_fails(ctx, &interaction_kind, talk, json_pack("{s:s}", "subject", text),
	             GX_EVALIDATION, "subject");
	text[201] = '\0';
	update_fails(ctx, &contact_kind, person, json_pack("{s:s}", "title", text), GX_EVALIDATION,
	             "title");
	text[200] = '\0';
	update_ok(ctx, &contact_kind, person, json_pack("{s:s}", "title", text));
	/* Tags: 64 bytes each. */
	memset(text, 't', 64);
	text[64] = '\0';
	update_ok(ctx, &account_kind, id, json_pack("{s:[s]}", "tags", text));
	text[64] = 't';
	text[65] = '\0';
	update_fails(ctx, &account_kind, id, json_pack("{s:[s]}", "tags", text), GX_EVALIDATION,
	             "tags");
	/* A name of blanks is no name. */
	create_fails(ctx, &account_kind, parse("{\"name\": \"\"}"), GX_EVALIDATION, "name");
	create_fails(ctx, &account_kind, parse("{\"name\": \"  \\n\"}"), GX_EVALIDATION, "name");
}

static void test_body_must_be_an_object(void **state)
{
	struct fixture *fx = *state;
	struct crm_ctx *ctx = &fx->as_admin;
	int64_t id = account(ctx, "Acme");
	json_t *bodies[] = {parse("[{\"name\": \"x\"}]"), json_string("name"), json_integer(1),
	                    json_null(), NULL};
	for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
		json_t *out = NULL;
		struct gx_error err = {0};
		assert_int_equal(records_create(ctx, &account_kind, bodies[i], &out, &err),
		                 GX_EBADREQUEST);
		assert_null(out);
		assert_int_equal(records_update(ctx, &account_kind, id, bodies[i], &out, &err),
		                 GX_EBADREQUEST);
		assert_null(out);
		json_decref(bodies[i]);
	}
	assert_int_equal(query_int(fx->store, "SELECT COUNT(*) FROM accounts"), 1);
	assert_int_equal(query_int(fx->store, "SELECT version FROM accounts"), 1);
	assert_int_equal(query_int(fx->store, "SELECT COUNT(*) FROM audit"), 1);
}

static void test_contact_points_are_normalised(void **state)
{
	struct fixture *fx = *state;
	struct crm_ctx *ctx = &fx->as_admin;
	json_t *made = create_json(
	    ctx, &contact_kind,
	    parse("{\"name\": \"张伟\", \"phones\": [{\"number\": \"138 0013 8000\"}, {\"number\": "
	          "\"+86 138-0013-8000\", \"kind\": \"work\", \"e164\": \"+15550000000\"}, "
	          "{\"number\": \"010-6552 9988\", \"kind\": \"home\", \"label\": \"家\"}], "
	          "\"emails\": [{\"address\": \"Zhang.Wei@Example.com\"}], \"addresses\": "
	          "[{\"city\": \"北京\", \"street\": \"长安街1号\"}], \"consent\": {\"email\": "
	          "true, \"wechat\": false}}"));
	int64_t id = num(made, "id");
	json_t *phones = json_object_get(made, "phones");
	assert_int_equal(json_array_size(phones), 3);
	json_t *p0 = json_array_get(phones, 0), *p1 = json_array_get(phones, 1),
	       *p2 = json_array_get(phones, 2);
	assert_string_equal(str(p0, "number"), "138 0013 8000"); /* kept as typed */
	assert_string_equal(str(p0, "e164"), "+8613800138000");
	assert_string_equal(str(p0, "kind"), "mobile");         /* the first kind is the default */
	assert_string_equal(str(p1, "e164"), "+8613800138000"); /* computed, never taken */
	assert_string_equal(str(p1, "kind"), "work");
	assert_string_equal(str(p2, "e164"), "+861065529988");
	assert_string_equal(str(p2, "label"), "家");
	json_t *email = json_array_get(json_object_get(made, "emails"), 0);
	assert_string_equal(str(email, "address"), "Zhang.Wei@Example.com");
	assert_string_equal(str(email, "kind"), "work");
	json_t *address = json_array_get(json_object_get(made, "addresses"), 0);
	assert_string_equal(str(address, "kind"), "work");
	assert_string_equal(str(address, "city"), "北京");
	json_t *consent = parse("{\"email\": true, \"wechat\": false}");
	assert_true(json_equal(json_object_get(made, "consent"), consent));
	json_decref(consent);
	json_decref(made);
	/* The caller-id index holds each number once. */
	assert_int_equal(
	    query_int_id(fx->store, "SELECT COUNT(*) FROM contact_phones WHERE contact_id = ?", id),
	    2);
	json_t *found = NULL;
	struct gx_error err = {0};
	assert_int_equal(lookup_phone(ctx, "１３８００１３８０００", &found, &err), 0);
	assert_string_equal(str(found, "number"), "+8613800138000");
	assert_int_equal(json_array_size(json_object_get(found, "matches")), 1);
	assert_int_equal(
	    num(json_object_get(json_array_get(json_object_get(found, "matches"), 0), "contact"),
	        "id"),
	    id);
	json_decref(found);

	/* New phones replace the old ones in the index. */
	update_ok(ctx, &contact_kind, id, parse("{\"phones\": [{\"number\": \"139 1234 5678\"}]}"));
	assert_int_equal(lookup_phone(ctx, "138 0013 8000", &found, &err), 0);
	assert_int_equal(json_array_size(json_object_get(found, "matches")), 0);
	json_decref(found);
	assert_int_equal(lookup_phone(ctx, "+86 139 1234 5678", &found, &err), 0);
	assert_int_equal(json_array_size(json_object_get(found, "matches")), 1);
	json_decref(found);

	/* Absent lists and consent are stored empty, never null. */
	json_t *bare = create_json(ctx, &contact_kind, parse("{\"name\": \"Jane\"}"));
	const char *lists[] = {"phones", "emails", "addresses", "tags"};
	for (size_t i = 0; i < 4; i++) {
		assert_true(json_is_array(json_object_get(bare, lists[i])));
		assert_int_equal(json_array_size(json_object_get(bare, lists[i])), 0);
	}
	assert_true(json_is_object(json_object_get(bare, "consent")));
	assert_int_equal(json_object_size(json_object_get(bare, "consent")), 0);
	json_decref(bare);
	/* At most 50 of each. */
	json_t *many = json_pack("{s:s, s:[]}", "name", "Many", "emails");
	for (int i = 0; i < 51; i++) {
		char text[32];
		snprintf(text, sizeof text, "p%d@example.com", i);
		json_array_append_new(json_object_get(many, "emails"),
		                      json_pack("{s:s}", "address", text));
	}
	create_fails(ctx, &contact_kind, many, GX_EVALIDATION, "emails");
}

static void test_interaction_defaults(void **state)
{
	struct fixture *fx = *state;
	struct crm_ctx *ctx = &fx->as_alice;
	int64_t acc = account(ctx, "Acme");
	int64_t person = contact(ctx, "Jane", acc);
	int64_t loner = contact(ctx, "Solo", 0);
	int64_t before = clock_now();
	json_t *made = create_json(ctx, &interaction_kind,
	                           parsef("{\"contact_id\": %lld, \"channel\": \"phone\", "
	                                  "\"direction\": \"inbound\"}",
	                                  (long long)person));
	int64_t after = clock_now();
	assert_int_equal(num(made, "account_id"), acc);    /* from the contact */
	assert_int_equal(num(made, "user_id"), fx->alice); /* whoever logs it */
	int64_t at;
	assert_int_equal(clock_parse(str(made, "occurred_at"), &at), 0); /* now */
	assert_true(at >= before && at <= after);
	int64_t id = num(made, "id");
	json_decref(made);
	/* What is given is kept. */
	made = create_json(ctx, &interaction_kind,
	                   parsef("{\"contact_id\": %lld, \"channel\": \"meeting\", \"direction\": "
	                          "\"outbound\", \"user_id\": %lld, \"occurred_at\": "
	                          "\"2026-01-02T09:30:00+08:00\", \"duration_s\": 0}",
	                          (long long)person, (long long)fx->anna));
	assert_int_equal(num(made, "user_id"), fx->anna);
	assert_string_equal(str(made, "occurred_at"), "2026-01-02T01:30:00Z");
	assert_int_equal(num(made, "duration_s"), 0);
	json_decref(made);
	/* A contact without account gives none. */
	made = create_json(ctx, &interaction_kind,
	                   parsef("{\"contact_id\": %lld, \"channel\": \"sms\", \"direction\": "
	                          "\"outbound\"}",
	                          (long long)loner));
	assert_true(json_is_null(json_object_get(made, "account_id")));
	json_decref(made);
	/* An account alone is enough. */
	made = create_json(ctx, &interaction_kind,
	                   parsef("{\"account_id\": %lld, \"channel\": \"visit\", \"direction\": "
	                          "\"outbound\"}",
	                          (long long)acc));
	assert_true(json_is_null(json_object_get(made, "contact_id")));
	json_decref(made);
	/* Defaults apply on create only: a patch may clear the user. */
	made = update_json(ctx, &interaction_kind, id, parse("{\"user_id\": null}"));
	assert_true(json_is_null(json_object_get(made, "user_id")));
	assert_int_equal(num(made, "account_id"), acc);
	json_decref(made);
	/* ... but not both links. */
	update_fails(ctx, &interaction_kind, id,
	             parse("{\"contact_id\": null, \"account_id\": null}"), GX_EVALIDATION,
	             "contact_id");

	/* The contact's account is inherited only when the actor may see it. */
	int64_t south = account(&fx->as_carol, "南方公司");
	int64_t shared = create_id(&fx->as_admin, &contact_kind,
	                           json_pack("{s:s, s:I, s:I}", "name", "Mixed", "account_id",
	                                     (json_int_t)south, "owner_id", (json_int_t)fx->alice));
	made = create_json(ctx, &interaction_kind,
	                   parsef("{\"contact_id\": %lld, \"channel\": \"phone\", \"direction\": "
	                          "\"inbound\"}",
	                          (long long)shared));
	assert_true(json_is_null(json_object_get(made, "account_id")));
	json_decref(made);
}

static void test_delete_of_referenced_record_conflicts(void **state)
{
	struct fixture *fx = *state;
	struct crm_ctx *ctx = &fx->as_admin;
	int64_t acc = account(ctx, "Acme");
	int64_t child = create_id(
	    ctx, &account_kind,
	    json_pack("{s:s, s:I}", "name", "Acme Shanghai", "parent_id", (json_int_t)acc));
	int64_t person = create_id(ctx, &contact_kind,
	                           json_pack("{s:s, s:I, s:[{s:s}]}", "name", "Jane", "account_id",
	                                     (json_int_t)acc, "phones", "number", "13800138000"));
	int64_t talk = interaction_on(ctx, "contact_id", person);
	struct gx_error err = {0};
	assert_int_equal(records_delete(ctx, &account_kind, acc, &err), GX_ECONFLICT);
	assert_non_null(strstr(err.message, "referred to"));
	assert_int_equal(delete_rc(ctx, &contact_kind, person), GX_ECONFLICT);
	assert_int_equal(get_rc(ctx, &account_kind, acc), 0);
	assert_int_equal(get_rc(ctx, &contact_kind, person), 0);
	assert_int_equal(query_int(fx->store, "SELECT COUNT(*) FROM audit WHERE action = 'delete'"),
	                 0);
	assert_int_equal(query_int(fx->store, "SELECT COUNT(*) FROM search_contacts"), 1);

	assert_int_equal(delete_rc(ctx, &interaction_kind, talk), 0);
	assert_int_equal(delete_rc(ctx, &contact_kind, person), 0);
	assert_int_equal(query_int(fx->store, "SELECT COUNT(*) FROM contact_phones"), 0);
	assert_int_equal(query_int(fx->store, "SELECT COUNT(*) FROM search_contacts"), 0);
	assert_int_equal(delete_rc(ctx, &account_kind, acc), GX_ECONFLICT); /* the child */
	assert_int_equal(delete_rc(ctx, &account_kind, child), 0);
	assert_int_equal(delete_rc(ctx, &account_kind, acc), 0);
	assert_int_equal(query_int(fx->store, "SELECT COUNT(*) FROM audit WHERE action = 'delete'"),
	                 4);
}

static void test_account_parent_cycles_refused(void **state)
{
	struct fixture *fx = *state;
	struct crm_ctx *ctx = &fx->as_admin;
	int64_t a = account(ctx, "A");
	int64_t b = create_id(ctx, &account_kind,
	                      json_pack("{s:s, s:I}", "name", "B", "parent_id", (json_int_t)a));
	int64_t c = create_id(ctx, &account_kind,
	                      json_pack("{s:s, s:I}", "name", "C", "parent_id", (json_int_t)b));
	update_fails(ctx, &account_kind, a, json_pack("{s:I}", "parent_id", (json_int_t)a),
	             GX_EVALIDATION, "parent_id");
	update_fails(ctx, &account_kind, a, json_pack("{s:I}", "parent_id", (json_int_t)b),
	             GX_EVALIDATION, "parent_id");
	update_fails(ctx, &account_kind, a, json_pack("{s:I}", "parent_id", (json_int_t)c),
	             GX_EVALIDATION, "parent_id");
	update_fails(ctx, &account_kind, a, json_pack("{s:I}", "parent_id", (json_int_t)999999),
	             GX_EVALIDATION, "parent_id");
	json_t *got = get_json(ctx, &account_kind, a);
	assert_true(json_is_null(json_object_get(got, "parent_id")));
	json_decref(got);
	/* Moving within a tree is fine: C under A directly, then A under a new root. */
	update_ok(ctx, &account_kind, c, json_pack("{s:I}", "parent_id", (json_int_t)a));
	int64_t root = account(ctx, "Root");
	update_ok(ctx, &account_kind, a, json_pack("{s:I}", "parent_id", (json_int_t)root));
	update_fails(ctx, &account_kind, root, json_pack("{s:I}", "parent_id", (json_int_t)c),
	             GX_EVALIDATION, "parent_id");
	/* An unrelated patch of a record in a tree is not refused. */
	update_ok(ctx, &account_kind, b, parse("{\"industry\": \"x\"}"));
}

/* ---- references, owners and visibility -------------------------------------------------- */

static void test_reference_to_invisible_record_is_validation(void **state)
{
	struct fixture *fx = *state;
	int64_t south = account(&fx->as_carol, "南方公司");
	int64_t south_person = contact(&fx->as_carol, "Carol's", south);
	struct crm_ctx *ctx = &fx->as_alice;
	json_t *out = NULL;
	struct gx_error hidden = {0}, absent = {0};
	json_t *body = json_pack("{s:s, s:I}", "name", "x", "account_id", (json_int_t)south);
	assert_int_equal(records_create(ctx, &contact_kind, body, &out, &hidden), GX_EVALIDATION);
	json_decref(body);
	body = json_pack("{s:s, s:I}", "name", "x", "account_id", (json_int_t)999999);
	assert_int_equal(records_create(ctx, &contact_kind, body, &out, &absent), GX_EVALIDATION);
	json_decref(body);
	assert_null(out);
	/* The same words for "exists but not yours" as for "does not exist". */
	assert_string_equal(hidden.field, "account_id");
	assert_string_equal(absent.field, "account_id");
	char want[64];
	snprintf(want, sizeof want, "no account with id %lld", (long long)south);
	assert_string_equal(hidden.message, want);
	assert_string_equal(absent.message, "no account with id 999999");

	create_fails(ctx, &interaction_kind,
	             json_pack("{s:I, s:s, s:s}", "contact_id", (json_int_t)south_person, "channel",
	                       "phone", "direction", "inbound"),
	             GX_EVALIDATION, "contact_id");
	create_fails(ctx, &account_kind,
	             json_pack("{s:s, s:I}", "name", "sub", "parent_id", (json_int_t)south),
	             GX_EVALIDATION, "parent_id");
	int64_t mine = contact(ctx, "Mine", 0);
	update_fails(ctx, &contact_kind, mine, json_pack("{s:I}", "account_id", (json_int_t)south),
	             GX_EVALIDATION, "account_id");
	assert_int_equal(query_int(fx->store, "SELECT COUNT(*) FROM contacts"), 2);
	/* Who sees it may link to it. */
	update_ok(&fx->as_admin, &contact_kind, mine,
	          json_pack("{s:I}", "account_id", (json_int_t)south));
	/* An existing link is kept by a patch that does not touch it. */
	update_ok(ctx, &contact_kind, mine, parse("{\"title\": \"经理\"}"));
}

static void test_owner_must_be_active_and_in_team(void **state)
{
	struct fixture *fx = *state;
	create_fails(&fx->as_admin, &account_kind,
	             json_pack("{s:s, s:I}", "name", "x", "owner_id", (json_int_t)fx->ivan),
	             GX_EVALIDATION, "owner_id");
	create_fails(&fx->as_admin, &account_kind,
	             json_pack("{s:s, s:I}", "name", "x", "owner_id", (json_int_t)999999),
	             GX_EVALIDATION, "owner_id");
	/* Admins may hand records to anyone active. */
	int64_t south =
	    create_id(&fx->as_admin, &account_kind,
	              json_pack("{s:s, s:I}", "name", "S", "owner_id", (json_int_t)fx->carol));
	json_t *got = get_json(&fx->as_carol, &account_kind, south);
	assert_int_equal(num(got, "owner_id"), fx->carol);
	json_decref(got);

	/* Sales: themselves or their team. */
	struct crm_ctx *ctx = &fx->as_alice;
	create_fails(ctx, &account_kind,
	             json_pack("{s:s, s:I}", "name", "x", "owner_id", (json_int_t)fx->carol),
	             GX_EVALIDATION, "owner_id");
	create_fails(ctx, &account_kind,
	             json_pack("{s:s, s:I}", "name", "x", "owner_id", (json_int_t)fx->admin),
	             GX_EVALIDATION, "owner_id");
	create_fails(ctx, &account_kind,
	             json_pack("{s:s, s:I}", "name", "x", "owner_id", (json_int_t)fx->ivan),
	             GX_EVALIDATION, "owner_id");
	int64_t mine =
	    create_id(ctx, &account_kind,
	              json_pack("{s:s, s:I}", "name", "N", "owner_id", (json_int_t)fx->anna));
	assert_int_equal(get_rc(&fx->as_anna, &account_kind, mine), 0);
	update_ok(ctx, &account_kind, mine, json_pack("{s:I}", "owner_id", (json_int_t)fx->alice));
	update_fails(ctx, &account_kind, mine,
	             json_pack("{s:I}", "owner_id", (json_int_t)fx->carol), GX_EVALIDATION,
	             "owner_id");
	got = get_json(ctx, &account_kind, mine);
	assert_int_equal(num(got, "owner_id"), fx->alice);
	json_decref(got);
	/* The interaction's user is any active user. */
	int64_t person = contact(ctx, "Jane", mine);
	create_fails(ctx, &interaction_kind,
	             json_pack("{s:I, s:s, s:s, s:I}", "contact_id", (json_int_t)person, "channel",
	                       "phone", "direction", "inbound", "user_id", (json_int_t)fx->ivan),
	             GX_EVALIDATION, "user_id");
	/* A user who became inactive keeps what they own until it is patched. */
	must_exec(fx->store, "UPDATE users SET active = 0 WHERE username = 'anna'");
	update_ok(&fx->as_admin, &account_kind, south, parse("{\"industry\": \"x\"}"));
	update_fails(&fx->as_admin, &account_kind, south,
	             json_pack("{s:I}", "owner_id", (json_int_t)fx->anna), GX_EVALIDATION,
	             "owner_id");
}

static void test_sales_cannot_see_other_team(void **state)
{
	struct fixture *fx = *state;
	int64_t north = account(&fx->as_alice, "北方公司");
	int64_t south = account(&fx->as_carol, "南方公司");
	int64_t south_person = create_id(
	    &fx->as_carol, &contact_kind,
	    parse("{\"name\": \"南方人\", \"phones\": [{\"number\": \"138 0013 8000\"}]}"));
	int64_t nobody = create_id(&fx->as_admin, &account_kind,
	                           parse("{\"name\": \"无主\", \"owner_id\": null}"));
	struct crm_ctx *ctx = &fx->as_alice;
	struct gx_error err = {0};
	json_t *out = NULL;

	assert_int_equal(records_get(ctx, &account_kind, south, &out, &err), GX_ENOTFOUND);
	char want[64];
	snprintf(want, sizeof want, "no account with id %lld", (long long)south);
	assert_string_equal(err.message, want); /* as for an id that does not exist */
	assert_int_equal(get_rc(ctx, &account_kind, nobody), GX_ENOTFOUND); /* unowned: nobody's */
	assert_int_equal(get_rc(ctx, &contact_kind, south_person), GX_ENOTFOUND);
	/* Writes read it as absent too, not as forbidden. */
	update_fails(ctx, &account_kind, south, parse("{\"name\": \"mine\"}"), GX_ENOTFOUND, NULL);
	update_fails(ctx, &account_kind, south, parse("{\"nmae\": \"mine\"}"), GX_EVALIDATION,
	             "nmae");
	assert_int_equal(delete_rc(ctx, &account_kind, south), GX_ENOTFOUND);
	assert_int_equal(delete_rc(ctx, &contact_kind, south_person), GX_ENOTFOUND);
	assert_int_equal(audit_rc(ctx, "account", south), GX_ENOTFOUND);
	assert_int_equal(audit_rc(ctx, "contact", south_person), GX_ENOTFOUND);
	assert_int_equal(records_visible(ctx, &account_kind, south, &err), 0);
	assert_int_equal(records_visible(ctx, &account_kind, north, &err), 1);
	assert_int_equal(lookup_phone(ctx, "13800138000", &out, &err), 0);
	assert_int_equal(json_array_size(json_object_get(out, "matches")), 0);
	json_decref(out);
	char ids[256];
	list_ids(ctx, &account_kind, NULL, NULL, ids, sizeof ids);
	snprintf(want, sizeof want, "%lld", (long long)north);
	assert_string_equal(ids, want);
	list_ids(ctx, &contact_kind, NULL, NULL, ids, sizeof ids);
	assert_string_equal(ids, "");

	/* The team sees it; the other team's manager and the admin see everything. */
	assert_int_equal(get_rc(&fx->as_anna, &account_kind, north), 0);
	assert_int_equal(get_rc(&fx->as_anna, &account_kind, south), GX_ENOTFOUND);
	assert_int_equal(get_rc(&fx->as_carol, &account_kind, north), GX_ENOTFOUND);
	assert_int_equal(get_rc(&fx->as_manager, &account_kind, north), 0);
	assert_int_equal(get_rc(&fx->as_manager, &account_kind, nobody), 0);
	list_ids(&fx->as_admin, &account_kind, NULL, NULL, ids, sizeof ids);
	snprintf(want, sizeof want, "%lld,%lld,%lld", (long long)north, (long long)south,
	         (long long)nobody);
	assert_string_equal(ids, want);
	assert_int_equal(lookup_phone(&fx->as_admin, "13800138000", &out, &err), 0);
	assert_int_equal(json_array_size(json_object_get(out, "matches")), 1);
	json_decref(out);
	/* Nothing was changed by the refused writes. */
	assert_int_equal(count_audit(fx, "account", south), 1);
}

static void test_interactions_follow_their_customer(void **state)
{
	struct fixture *fx = *state;
	int64_t mine = contact(&fx->as_alice, "Jane", 0);
	int64_t theirs = account(&fx->as_carol, "南方公司");
	int64_t i1 = interaction_on(&fx->as_alice, "contact_id", mine);
	int64_t i2 = interaction_on(&fx->as_carol, "account_id", theirs);
	int64_t i3 = create_id(&fx->as_admin, &interaction_kind,
	                       json_pack("{s:I, s:I, s:s, s:s}", "contact_id", (json_int_t)mine,
	                                 "account_id", (json_int_t)theirs, "channel", "email",
	                                 "direction", "outbound"));
	assert_int_equal(get_rc(&fx->as_alice, &interaction_kind, i1), 0);
	assert_int_equal(get_rc(&fx->as_alice, &interaction_kind, i2), GX_ENOTFOUND);
	assert_int_equal(get_rc(&fx->as_alice, &interaction_kind, i3), 0); /* through the contact */
	assert_int_equal(get_rc(&fx->as_anna, &interaction_kind, i1), 0);
	assert_int_equal(get_rc(&fx->as_carol, &interaction_kind, i1), GX_ENOTFOUND);
	assert_int_equal(get_rc(&fx->as_carol, &interaction_kind, i2), 0);
	assert_int_equal(get_rc(&fx->as_carol, &interaction_kind, i3), 0); /* through the account */
	char ids[128], want[128];
	list_ids(&fx->as_alice, &interaction_kind, NULL, NULL, ids, sizeof ids);
	snprintf(want, sizeof want, "%lld,%lld", (long long)i1, (long long)i3);
	assert_string_equal(ids, want);
	update_fails(&fx->as_alice, &interaction_kind, i2, parse("{\"subject\": \"x\"}"),
	             GX_ENOTFOUND, NULL);
	assert_int_equal(delete_rc(&fx->as_alice, &interaction_kind, i2), GX_ENOTFOUND);
	assert_int_equal(audit_rc(&fx->as_alice, "interaction", i2), GX_ENOTFOUND);
	assert_int_equal(audit_rc(&fx->as_alice, "interaction", i1), 0);
	/* The customer changes hands: its history goes with it. */
	update_ok(&fx->as_admin, &contact_kind, mine,
	          json_pack("{s:I}", "owner_id", (json_int_t)fx->carol));
	assert_int_equal(get_rc(&fx->as_alice, &interaction_kind, i1), GX_ENOTFOUND);
	assert_int_equal(get_rc(&fx->as_carol, &interaction_kind, i1), 0);
	list_ids(&fx->as_alice, &interaction_kind, NULL, NULL, ids, sizeof ids);
	assert_string_equal(ids, "");
}

static void test_finance_may_not_write_customers(void **state)
{
	struct fixture *fx = *state;
	struct crm_ctx *ctx = &fx->as_finance;
	int64_t acc = account(&fx->as_admin, "Acme");
	int64_t person = contact(&fx->as_admin, "Jane", acc);
	json_t *out = NULL;
	struct gx_error err = {0};
	json_t *body = parse("{\"name\": \"x\"}");
	assert_int_equal(records_create(ctx, &account_kind, body, &out, &err), GX_EFORBIDDEN);
	json_decref(body);
	assert_non_null(strstr(err.message, "finance"));
	create_fails(ctx, &contact_kind, parse("{\"name\": \"x\"}"), GX_EFORBIDDEN, NULL);
	create_fails(ctx, &interaction_kind,
	             json_pack("{s:I, s:s, s:s}", "contact_id", (json_int_t)person, "channel",
	                       "phone", "direction", "inbound"),
	             GX_EFORBIDDEN, NULL);
	/* Reading is allowed; changing is not; what does not exist is still absent. */
	assert_int_equal(get_rc(ctx, &account_kind, acc), 0);
	update_fails(ctx, &account_kind, acc, parse("{\"name\": \"x\"}"), GX_EFORBIDDEN, NULL);
	update_fails(ctx, &account_kind, 999999, parse("{\"name\": \"x\"}"), GX_ENOTFOUND, NULL);
	assert_int_equal(delete_rc(ctx, &contact_kind, person), GX_EFORBIDDEN);
	assert_int_equal(query_int(fx->store, "SELECT COUNT(*) FROM accounts"), 1);
	assert_int_equal(query_int(fx->store, "SELECT COUNT(*) FROM contacts"), 1);
	assert_int_equal(query_int(fx->store, "SELECT COUNT(*) FROM interactions"), 0);
	assert_int_equal(query_int(fx->store, "SELECT COUNT(*) FROM audit"), 2);
	json_t *got = get_json(ctx, &account_kind, acc);
	assert_string_equal(str(got, "name"), "Acme");
	json_decref(got);
	/* Service logs contact and may keep customer records. */
	int64_t talk = interaction_on(&fx->as_service, "contact_id", person);
	update_ok(&fx->as_service, &interaction_kind, talk, parse("{\"outcome\": \"resolved\"}"));
	update_ok(&fx->as_service, &contact_kind, person, parse("{\"title\": \"CTO\"}"));
}

static void test_sales_cannot_orphan_a_record(void **state)
{
	struct fixture *fx = *state;
	struct crm_ctx *ctx = &fx->as_alice;
	create_fails(ctx, &account_kind, parse("{\"name\": \"x\", \"owner_id\": null}"),
	             GX_EVALIDATION, "owner_id");
	create_fails(ctx, &contact_kind, parse("{\"name\": \"x\", \"owner_id\": null}"),
	             GX_EVALIDATION, "owner_id");
	int64_t acc = account(ctx, "Acme");
	int64_t person = contact(ctx, "Jane", acc);
	update_fails(ctx, &account_kind, acc, parse("{\"owner_id\": null}"), GX_EVALIDATION,
	             "owner_id");
	update_fails(ctx, &contact_kind, person, parse("{\"owner_id\": null, \"title\": \"x\"}"),
	             GX_EVALIDATION, "owner_id");
	json_t *got = get_json(ctx, &contact_kind, person);
	assert_int_equal(num(got, "owner_id"), fx->alice);
	assert_true(json_is_null(json_object_get(got, "title")));
	json_decref(got);
	assert_int_equal(query_int(fx->store, "SELECT COUNT(*) FROM accounts"), 1);
	/* An admin may leave a record unowned; then sales no longer see it. */
	update_ok(&fx->as_admin, &account_kind, acc, parse("{\"owner_id\": null}"));
	assert_int_equal(get_rc(ctx, &account_kind, acc), GX_ENOTFOUND);
}

/* Sets a user's team through users_update, as an admin would, and returns their context. */
static struct crm_ctx with_team(struct fixture *fx, int64_t user, const char *team)
{
	json_t *out = NULL;
	struct gx_error err = {0};
	json_t *body = json_pack("{s:s}", "team", team);
	int rc = users_update(&fx->as_admin, user, body, &out, &err);
	json_decref(body);
	if (rc != 0)
		fail_msg("users_update team %s: %d %s", team, rc, err.message);
	assert_string_equal(str(out, "team"), team);
	json_decref(out);
	return testdb_ctx(fx->store, &fx->config, user);
}

static void test_cjk_team_names(void **state)
{
	struct fixture *fx = *state;
	struct crm_ctx wang = with_team(fx, fx->alice, "华北销售");
	struct crm_ctx li = with_team(fx, fx->anna, "华北销售");
	struct crm_ctx zhao = with_team(fx, fx->carol, "华南销售");
	assert_string_equal(wang.actor.team, "华北销售");
	int64_t acc = account(&wang, "北京客户");
	assert_int_equal(get_rc(&li, &account_kind, acc), 0);
	assert_int_equal(get_rc(&zhao, &account_kind, acc), GX_ENOTFOUND);
	/* Handing over inside the team works; to the other team it does not. */
	update_ok(&wang, &account_kind, acc, json_pack("{s:I}", "owner_id", (json_int_t)fx->anna));
	assert_int_equal(get_rc(&wang, &account_kind, acc), 0);
	update_fails(&li, &account_kind, acc, json_pack("{s:I}", "owner_id", (json_int_t)fx->carol),
	             GX_EVALIDATION, "owner_id");
	/* A traditional spelling is another team: team names are compared exactly. */
	struct crm_ctx other = with_team(fx, fx->carol, "華北銷售");
	assert_int_equal(get_rc(&other, &account_kind, acc), GX_ENOTFOUND);
	char ids[64], want[64];
	list_ids(&wang, &account_kind, NULL, NULL, ids, sizeof ids);
	snprintf(want, sizeof want, "%lld", (long long)acc);
	assert_string_equal(ids, want);
}

static void test_long_team_names(void **state)
{
	struct fixture *fx = *state;
	char team[128] = "";
	for (int i = 0; i < 21; i++)
		strcat(team, "销"); /* 63 bytes: the most a team may have */
	assert_int_equal(strlen(team), 63);
	struct crm_ctx alice = with_team(fx, fx->alice, team);
	struct crm_ctx anna = with_team(fx, fx->anna, team);
	assert_string_equal(alice.actor.team, team);
	int64_t acc = account(&alice, "Acme");
	assert_int_equal(get_rc(&anna, &account_kind, acc), 0);
	update_ok(&alice, &account_kind, acc, json_pack("{s:I}", "owner_id", (json_int_t)fx->anna));
	assert_int_equal(get_rc(&alice, &account_kind, acc), 0);
	/* 64 bytes would be cut in struct actor and stop matching: refused. */
	char longer[160];
	snprintf(longer, sizeof longer, "%sx", team);
	json_t *out = NULL;
	struct gx_error err = {0};
	json_t *body = json_pack("{s:s}", "team", longer);
	assert_int_equal(users_update(&fx->as_admin, fx->carol, body, &out, &err), GX_EVALIDATION);
	json_decref(body);
	assert_string_equal(err.field, "team");
	assert_null(out);
	/* The one with the 63-byte prefix of another team is not on it. */
	char prefix[128];
	snprintf(prefix, sizeof prefix, "%.60s", team);
	struct crm_ctx carol = with_team(fx, fx->carol, prefix);
	assert_int_equal(get_rc(&carol, &account_kind, acc), GX_ENOTFOUND);
}

/* ---- lists ----------------------------------------------------------------------------- */

static void check_order(const json_t *rows, const char *key, int desc)
{
	for (size_t i = 1; i < json_array_size(rows); i++) {
		const json_t *a = json_array_get(rows, i - 1), *b = json_array_get(rows, i);
		int c = strcmp(str(a, key), str(b, key));
		int64_t ida = num(a, "id"), idb = num(b, "id");
		if (desc ? (c < 0 || (c == 0 && ida < idb)) : (c > 0 || (c == 0 && ida > idb)))
			fail_msg("rows %zu and %zu out of order: %s/%lld, %s/%lld", i - 1, i,
			         str(a, key), (long long)ida, str(b, key), (long long)idb);
	}
}

static void check_each_once(const json_t *ids, const json_t *want)
{
	assert_int_equal(json_array_size(ids), json_array_size(want));
	size_t i;
	json_t *v;
	json_array_foreach(want, i, v)
	{
		int seen = 0;
		size_t j;
		json_t *w;
		json_array_foreach(ids, j, w) seen += json_equal(v, w);
		if (seen != 1)
			fail_msg("id %lld seen %d times", (long long)json_integer_value(v), seen);
	}
}

static void test_list_pages_walk_every_row_once(void **state)
{
	struct fixture *fx = *state;
	static const char *const names[] = {"Acme", "acme", "Acme", "张伟科技", "Zeta", "Acme",
	                                    "北京", "Beta", "北京", "Acme",     "Ω",    "Beta",
	                                    "b",    "Acme", "中",   "Acme",     "Acme", "z",
	                                    "Zeta", "Acme", "北京", "a",        "Acme"};
	size_t n = sizeof names / sizeof names[0];
	json_t *all = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(all, json_integer(account(&fx->as_admin, names[i])));
	const struct {
		const char *sort;
		const char *key;
		int desc;
	} orders[] = {{NULL, "name", 0}, {"name", "name", 0}, {"-name", "name", 1},
	              {"id", NULL, 0},   {"-id", NULL, 1},    {"tier", "tier", 0}};
	const int limits[] = {1, 5, 22, 23, 500};
	for (size_t o = 0; o < sizeof orders / sizeof orders[0]; o++) {
		for (size_t l = 0; l < sizeof limits / sizeof limits[0]; l++) {
			int pages = 0;
			json_t *rows = NULL;
			json_t *ids = walk(&fx->as_admin, &account_kind, orders[o].sort, limits[l],
			                   NULL, NULL, &pages, &rows);
			check_each_once(ids, all);
			assert_int_equal(pages, ((int)n + limits[l] - 1) / limits[l]);
			if (orders[o].key)
				check_order(rows, orders[o].key, orders[o].desc);
			else
				for (size_t i = 1; i < json_array_size(ids); i++)
					assert_true(
					    orders[o].desc
					        ? json_integer_value(json_array_get(ids, i)) <
					              json_integer_value(json_array_get(ids, i - 1))
					        : json_integer_value(json_array_get(ids, i)) >
					              json_integer_value(
					                  json_array_get(ids, i - 1)));
			json_decref(rows);
			json_decref(ids);
		}
	}
	/* Both directions visit the same rows in mirrored order. */
	json_t *up = walk(&fx->as_admin, &account_kind, "name", 4, NULL, NULL, NULL, NULL);
	json_t *down = walk(&fx->as_admin, &account_kind, "-name", 3, NULL, NULL, NULL, NULL);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(json_integer_value(json_array_get(up, i)),
		                 json_integer_value(json_array_get(down, n - 1 - i)));
	json_decref(up);
	json_decref(down);
	/* A row deleted between pages does not stop the walk. */
	json_t *page = list_page(&fx->as_admin, &account_kind, "name", NULL, 5, NULL, NULL);
	int64_t last = num(json_array_get(json_object_get(page, "data"), 4), "id");
	assert_int_equal(delete_rc(&fx->as_admin, &account_kind, last), 0);
	json_t *rest = list_page(&fx->as_admin, &account_kind, "name", str(page, "next_cursor"),
	                         500, NULL, NULL);
	assert_int_equal(json_array_size(json_object_get(rest, "data")), n - 5);
	assert_true(json_is_null(json_object_get(rest, "next_cursor")));
	json_decref(rest);
	json_decref(page);
	json_decref(all);
}

static void test_list_pages_by_time(void **state)
{
	struct fixture *fx = *state;
	int64_t person = contact(&fx->as_admin, "Jane", 0);
	json_t *all = json_array();
	/* Twelve interactions over four instants: three share each. */
	for (int i = 0; i < 12; i++) {
		char at[32];
		clock_format(1767225600 + (int64_t)((i * 7) % 4) * 3600, at, sizeof at);
		json_array_append_new(
		    all,
		    json_integer(create_id(&fx->as_admin, &interaction_kind,
		                           json_pack("{s:I, s:s, s:s, s:s}", "contact_id",
		                                     (json_int_t)person, "channel", "phone",
		                                     "direction", "inbound", "occurred_at", at))));
	}
	const struct {
		const char *sort;
		int desc;
	} orders[] = {{NULL, 1}, {"-occurred_at", 1}, {"occurred_at", 0}};
	for (size_t o = 0; o < 3; o++) {
		for (int limit = 1; limit <= 13; limit += 2) {
			int pages = 0;
			json_t *rows = NULL;
			json_t *ids = walk(&fx->as_admin, &interaction_kind, orders[o].sort, limit,
			                   NULL, NULL, &pages, &rows);
			check_each_once(ids, all);
			assert_int_equal(pages, (12 + limit - 1) / limit);
			/* RFC 3339 in UTC sorts as text the way it sorts as time. */
			check_order(rows, "occurred_at", orders[o].desc);
			json_decref(rows);
			json_decref(ids);
		}
	}
	/* The newest first by default. */
	json_t *page = list_page(&fx->as_admin, &interaction_kind, NULL, NULL, 1, NULL, NULL);
	assert_string_equal(str(json_array_get(json_object_get(page, "data"), 0), "occurred_at"),
	                    "2026-01-01T03:00:00Z");
	json_decref(page);
	json_decref(all);
}

static char *cursor_of(const char *json_text)
{
	size_t len = strlen(json_text);
	size_t cap = sodium_base64_encoded_len(len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	char *out = malloc(cap);
	assert_non_null(out);
	sodium_bin2base64(out, cap, (const unsigned char *)json_text, len,
	                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return out;
}

static void test_list_rejects_bad_sort_and_cursor(void **state)
{
	struct fixture *fx = *state;
	struct crm_ctx *ctx = &fx->as_admin;
	for (int i = 0; i < 3; i++)
		account(ctx, "Acme");
	const char *sorts[] = {"notes", "-notes", "website", "nosuch",
	                       "",      "-",      "--name",  "owner_id"};
	for (size_t i = 0; i < sizeof sorts / sizeof sorts[0]; i++)
		assert_int_equal(list_rc(ctx, &account_kind, sorts[i], NULL, NULL, NULL, "sort"),
		                 GX_EBADREQUEST);
	assert_int_equal(list_rc(ctx, &interaction_kind, "name", NULL, NULL, NULL, "sort"),
	                 GX_EBADREQUEST);
	assert_int_equal(list_rc(ctx, &account_kind, "-name", NULL, NULL, NULL, NULL), 0);

	const char *bad_json[] = {"{}",    "[1]",     "[\"a\", \"b\"]", "[\"a\", 1, 2]",
	                          "\"a\"", "[1, 1.5]"};
	for (size_t i = 0; i < sizeof bad_json / sizeof bad_json[0]; i++) {
		char *cursor = cursor_of(bad_json[i]);
		assert_int_equal(list_rc(ctx, &account_kind, "name", cursor, NULL, NULL, "cursor"),
		                 GX_EBADREQUEST);
		free(cursor);
	}
	assert_int_equal(list_rc(ctx, &account_kind, "name", "!!!", NULL, NULL, "cursor"),
	                 GX_EBADREQUEST);
	assert_int_equal(list_rc(ctx, &account_kind, "name", "", NULL, NULL, "cursor"),
	                 GX_EBADREQUEST);
	/* A cursor of another sort order: a number where a name belongs, and the other way. */
	json_t *page = list_page(ctx, &account_kind, "id", NULL, 1, NULL, NULL);
	assert_int_equal(
	    list_rc(ctx, &account_kind, "name", str(page, "next_cursor"), NULL, NULL, "cursor"),
	    GX_EBADREQUEST);
	json_decref(page);
	page = list_page(ctx, &account_kind, "name", NULL, 1, NULL, NULL);
	assert_int_equal(
	    list_rc(ctx, &account_kind, "id", str(page, "next_cursor"), NULL, NULL, "cursor"),
	    GX_EBADREQUEST);
	/* Its own cursor works. */
	assert_int_equal(
	    list_rc(ctx, &account_kind, "name", str(page, "next_cursor"), NULL, NULL, NULL), 0);
	json_decref(page);
	char *cursor = cursor_of("[\"not a time\", 1]");
	assert_int_equal(list_rc(ctx, &interaction_kind, NULL, cursor, NULL, NULL, "cursor"),
	                 GX_EBADREQUEST);
	free(cursor);
}

static void test_list_filters(void **state)
{
	struct fixture *fx = *state;
	struct crm_ctx *ctx = &fx->as_admin;
	int64_t a = create_id(ctx, &account_kind,
	                      parse("{\"name\": \"A\", \"industry\": \"telecom\", \"tags\": "
	                            "[\"vip\"]}"));
	int64_t b = create_id(ctx, &account_kind,
	                      parsef("{\"name\": \"B\", \"industry\": \"retail\", \"parent_id\": "
	                             "%lld, \"tags\": [\"vip\", \"新客户\"]}",
	                             (long long)a));
	int64_t c = create_id(ctx, &account_kind,
	                      parsef("{\"name\": \"C\", \"industry\": \"telecom\", \"owner_id\": "
	                             "%lld, \"tags\": [\"VIP\"]}",
	                             (long long)fx->anna));
	int64_t d = account(ctx, "D");
	const int64_t vals[] = {a, b, c, d, fx->anna};
	const struct {
		const char *filters;
		const char *want; /* $0..$3: a, b, c, d; $4: anna */
	} cases[] = {
	    {"{\"industry\": \"telecom\"}", "$0,$2"},
	    {"{\"industry\": \"Telecom\"}", ""},
	    {"{\"parent_id\": \"$0\"}", "$1"},
	    {"{\"parent_id\": \"null\"}", "$0,$2,$3"},
	    {"{\"tag\": \"vip\"}", "$0,$1"},
	    {"{\"tag\": \"新客户\"}", "$1"},
	    {"{\"tag\": \"VIP\"}", "$2"},
	    {"{\"tag\": \"vi\"}", ""},
	    {"{\"owner_id\": \"$4\"}", "$2"},
	    {"{\"tier\": \"bronze\"}", "$0,$1,$2,$3"},
	    {"{\"tier\": \"gold\"}", ""},
	    {"{\"industry\": \"telecom\", \"tag\": \"vip\"}", "$0"},
	    {"{}", "$0,$1,$2,$3"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		json_t *filters = parse_with(cases[i].filters, vals);
		char ids[128], want[128];
		list_ids(ctx, &account_kind, filters, NULL, ids, sizeof ids);
		expand(cases[i].want, vals, want, sizeof want);
		if (strcmp(ids, want) != 0)
			fail_msg("filters %s: got [%s], want [%s]", cases[i].filters, ids, want);
		json_decref(filters);
	}
	const struct {
		const struct record_kind *kind;
		const char *filters, *field;
	} bad[] = {
	    {&account_kind, "{\"website\": \"x\"}", "website"},
	    {&account_kind, "{\"nosuch\": \"x\"}", "nosuch"},
	    {&account_kind, "{\"parent_id\": \"abc\"}", "parent_id"},
	    {&account_kind, "{\"parent_id\": \"0\"}", "parent_id"},
	    {&account_kind, "{\"parent_id\": \"-1\"}", "parent_id"},
	    {&account_kind, "{\"parent_id\": \"\"}", "parent_id"},
	    {&account_kind, "{\"owner_id\": \"2x\"}", "owner_id"},
	    {&account_kind, "{\"tier\": \"platinum\"}", "tier"},
	    {&interaction_kind, "{\"tag\": \"vip\"}", "tag"},
	    {&interaction_kind, "{\"channel\": \"fax\"}", "channel"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		json_t *filters = parse(bad[i].filters);
		assert_int_equal(list_rc(ctx, bad[i].kind, NULL, NULL, filters, NULL, bad[i].field),
		                 GX_EBADREQUEST);
		json_decref(filters);
	}
	/* Interactions by channel and by contact. */
	int64_t person = contact(ctx, "Jane", a);
	int64_t call = interaction_on(ctx, "contact_id", person);
	create_id(ctx, &interaction_kind,
	          json_pack("{s:I, s:s, s:s}", "account_id", (json_int_t)b, "channel", "email",
	                    "direction", "outbound"));
	char ids[64], want[64];
	json_t *filters = parse("{\"channel\": \"phone\"}");
	list_ids(ctx, &interaction_kind, filters, NULL, ids, sizeof ids);
	json_decref(filters);
	snprintf(want, sizeof want, "%lld", (long long)call);
	assert_string_equal(ids, want);
	filters = parse_with("{\"account_id\": \"$0\"}", &a);
	list_ids(ctx, &interaction_kind, filters, NULL, ids, sizeof ids);
	json_decref(filters);
	assert_string_equal(ids, want); /* the call inherited the contact's account */
	/* Filters never show what visibility hides. */
	filters = parse("{\"industry\": \"telecom\"}");
	list_ids(&fx->as_anna, &account_kind, filters, NULL, ids, sizeof ids);
	json_decref(filters);
	snprintf(want, sizeof want, "%lld", (long long)c);
	assert_string_equal(ids, want);
}

static void test_list_free_text(void **state)
{
	struct fixture *fx = *state;
	struct crm_ctx *ctx = &fx->as_alice;
	int64_t acme = account(ctx, "Acme Trading");
	int64_t tech = account(ctx, "张伟科技");
	int64_t zw = create_id(ctx, &contact_kind,
	                       json_pack("{s:s, s:I, s:[{s:s}]}", "name", "张伟", "account_id",
	                                 (json_int_t)acme, "emails", "address", "wei@example.com"));
	int64_t ln = create_id(ctx, &contact_kind,
	                       json_pack("{s:s, s:[s]}", "name", "李娜", "tags", "重要客户"));
	const int64_t vals[] = {acme, tech, zw, ln};
	const struct {
		const struct record_kind *kind;
		const char *q;
		const char *want; /* $0..$3: acme, tech, zw, ln */
	} cases[] = {
	    {&contact_kind, "zw", "$2"},          {&contact_kind, "ZhangWei", "$2"},
	    {&contact_kind, "張偉", "$2"},        {&contact_kind, "张", "$2"},
	    {&contact_kind, "acme", "$2"},        /* by company */
	    {&contact_kind, "WEI@EXAMPLE", "$2"}, /* by email */
	    {&contact_kind, "重要", "$3"},        /* by tag */
	    {&contact_kind, "li", "$3"},          {&contact_kind, "nobody", ""},
	    {&contact_kind, "!!!", ""}, /* folds to nothing: matches nothing */
	    {&account_kind, "zw", "$1"},          {&account_kind, "trading", "$0"},
	    {&account_kind, "ＡＣＭＥ", "$0"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char ids[128], want[128];
		list_ids(ctx, cases[i].kind, NULL, cases[i].q, ids, sizeof ids);
		expand(cases[i].want, vals, want, sizeof want);
		if (strcmp(ids, want) != 0)
			fail_msg("%ss q=%s: got [%s], want [%s]", cases[i].kind->entity, cases[i].q,
			         ids, want);
	}
	/* q with a filter. */
	char ids[128], want[128];
	json_t *filters = parse_with("{\"account_id\": \"$0\"}", &tech);
	list_ids(ctx, &contact_kind, filters, "张", ids, sizeof ids);
	assert_string_equal(ids, "");
	json_decref(filters);
	/* Interactions have no search. */
	assert_int_equal(list_rc(ctx, &interaction_kind, NULL, NULL, NULL, "x", "q"),
	                 GX_EBADREQUEST);
	/* Another team's records are not found by text either. */
	list_ids(&fx->as_carol, &contact_kind, NULL, "zw", ids, sizeof ids);
	assert_string_equal(ids, "");
	/* Paging through search results. */
	json_t *all = json_array();
	for (int i = 0; i < 7; i++) {
		char name[32];
		snprintf(name, sizeof name, "王%d", i);
		json_array_append_new(all, json_integer(contact(ctx, name, 0)));
	}
	int pages = 0;
	json_t *got = walk(ctx, &contact_kind, NULL, 3, NULL, "王", &pages, NULL);
	check_each_once(got, all);
	assert_int_equal(pages, 3);
	json_decref(got);
	got = walk(ctx, &contact_kind, "-name", 2, NULL, "wang", &pages, NULL);
	check_each_once(got, all);
	json_decref(got);
	json_decref(all);
	snprintf(want, sizeof want, "%lld", (long long)zw);
	list_ids(ctx, &contact_kind, NULL, "zhang wei", ids, sizeof ids);
	assert_string_equal(ids, want);
}

static void test_records_kind_by_collection(void **state)
{
	(void)state;
	assert_ptr_equal(records_kind("accounts"), &account_kind);
	assert_ptr_equal(records_kind("contacts"), &contact_kind);
	assert_ptr_equal(records_kind("interactions"), &interaction_kind);
	assert_ptr_equal(records_kind("orders"), &order_kind);
	assert_null(records_kind("contact"));
	assert_null(records_kind("Contacts"));
	assert_null(records_kind("users"));
	assert_null(records_kind("audit"));
	assert_null(records_kind(""));
	assert_string_equal(records_kind("contacts")->entity, "contact");
	/* The column list names every field after the four common columns. */
	const char *cols = records_columns(&contact_kind);
	assert_non_null(strstr(cols, "r.id, r.created_at, r.updated_at, r.version"));
	assert_non_null(strstr(cols, "r.phones"));
	assert_non_null(strstr(records_columns(&order_kind), "r.amount_minor"));
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_account_create_get_update_delete),
	    T(test_stale_version_conflicts),
	    T(test_update_without_changes_writes_nothing),
	    T(test_audit_trail_of_a_record),
	    T(test_system_actor_audit_has_no_user),
	    T(test_invalid_phone_leaves_no_row_and_no_audit),
	    T(test_failing_audit_rolls_the_write_back),
	    T(test_failing_derived_write_rolls_back),
	    T(test_body_validation_names_the_field),
	    T(test_text_length_limits),
	    T(test_body_must_be_an_object),
	    T(test_contact_points_are_normalised),
	    T(test_interaction_defaults),
	    T(test_delete_of_referenced_record_conflicts),
	    T(test_account_parent_cycles_refused),
	    T(test_reference_to_invisible_record_is_validation),
	    T(test_owner_must_be_active_and_in_team),
	    T(test_sales_cannot_see_other_team),
	    T(test_interactions_follow_their_customer),
	    T(test_finance_may_not_write_customers),
	    T(test_sales_cannot_orphan_a_record),
	    T(test_cjk_team_names),
	    T(test_long_team_names),
	    T(test_list_pages_walk_every_row_once),
	    T(test_list_pages_by_time),
	    T(test_list_rejects_bad_sort_and_cursor),
	    T(test_list_filters),
	    T(test_list_free_text),
	    cmocka_unit_test(test_records_kind_by_collection),
	};
#undef T
	return cmocka_run_group_tests(tests, testdb_group_setup, NULL);
}
