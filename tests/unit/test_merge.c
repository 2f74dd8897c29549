/* test_merge.c — crm/merge: a merge moves interactions, orders, relationships and reports to the
 * survivor, unites contact points, deletes the merged record and writes the audit rows; undo puts
 * the merged record back with its id and its rows; rights on both records are needed. */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE
#endif
#include "quality_fixture.h"

#include "crm/lookup.h"
#include "crm/merge.h"

struct world {
	int64_t acme, survivor, merged, other, i1, i2, o1;
};

static void exec_sql(struct store *store, const char *sql)
{
	struct gx_error err = {0};
	struct store_stmt *stmt = store_prepare(store, sql, &err);
	if (!stmt || store_exec(stmt, &err) < 0)
		fail_msg("%s: %s", sql, err.message);
}

static struct world make_world(struct fixture *fx, struct crm_ctx *c)
{
	struct world w;
	w.acme = create(c, &account_kind, parse("{\"name\": \"华东贸易\"}"));
	w.survivor = create(c, &contact_kind,
	                    parsef("{\"name\": \"张伟\", \"account_id\": %lld, \"phones\": "
	                           "[{\"number\": \"13800138000\"}], \"tags\": [\"vip\"]}",
	                           (long long)w.acme));
	w.merged = create(
	    c, &contact_kind,
	    parsef(
	        "{\"name\": \"Zhang Wei\", \"account_id\": %lld, \"title\": \"经理\", \"phones\": "
	        "[{\"number\": \"+86 138 0013 8000\"}, {\"number\": \"13900139000\"}], \"emails\": "
	        "[{\"address\": \"zw@example.cn\"}], \"tags\": [\"import\"]}",
	        (long long)w.acme));
	w.other =
	    create(c, &contact_kind,
	           parsef("{\"name\": \"李娜\", \"account_id\": %lld, \"reports_to_id\": %lld}",
	                  (long long)w.acme, (long long)w.merged));
	w.i1 = create(c, &interaction_kind,
	              parsef("{\"contact_id\": %lld, \"channel\": \"phone\", \"direction\": "
	                     "\"inbound\", \"subject\": \"call\"}",
	                     (long long)w.merged));
	w.i2 = create(
	    c, &interaction_kind,
	    parsef("{\"contact_id\": %lld, \"channel\": \"email\", \"direction\": \"outbound\"}",
	           (long long)w.survivor));
	w.o1 = create(c, &order_kind,
	              parsef("{\"contact_id\": %lld, \"ordered_at\": \"2026-01-01T00:00:00Z\", "
	                     "\"amount\": \"2000000.00\"}",
	                     (long long)w.merged));
	char sql[512];
	snprintf(sql, sizeof sql,
	         "INSERT INTO relationships(from_kind, from_id, to_kind, to_id, type, created_at, "
	         "updated_at) "
	         "VALUES ('contact', %lld, 'contact', %lld, 'friend', 1, 1), ('contact', %lld, "
	         "'contact', %lld, 'colleague', 1, 1)",
	         (long long)w.other, (long long)w.merged, (long long)w.survivor,
	         (long long)w.merged);
	exec_sql(fx->store, sql);
	return w;
}

static json_t *merge_ok(struct crm_ctx *c, int64_t survivor, int64_t merged, const char *fields)
{
	json_t *body = parsef("{\"survivor\": %lld, \"merged\": %lld, \"fields\": %s}",
	                      (long long)survivor, (long long)merged, fields);
	json_t *out = NULL;
	struct gx_error err = {0};
	if (merge_records(c, &contact_kind, body, &out, &err) != 0)
		fail_msg("merge: %s (%s)", err.message, err.field);
	json_decref(body);
	return out;
}

static void test_merge_moves_rows_and_unites_contact_points(void **state)
{
	struct fixture *fx = *state;
	struct crm_ctx *c = &fx->as_admin;
	struct world w = make_world(fx, c);
	json_t *out = merge_ok(c, w.survivor, w.merged, "{\"name\": \"survivor\"}");
	json_t *s = json_object_get(out, "survivor");
	assert_string_equal(str(s, "name"), "张伟");
	assert_string_equal(str(s, "title"), "经理"); /* empty in the survivor: taken */
	assert_int_equal(json_array_size(json_object_get(s, "phones")), 2);
	assert_int_equal(json_array_size(json_object_get(s, "emails")), 1);
	assert_int_equal(json_array_size(json_object_get(s, "tags")), 2);
	assert_string_equal(str(s, "tier"), "gold"); /* the merged record's order counts now */
	assert_true(num(out, "merge_id") > 0);
	json_decref(out);
	assert_int_equal(
	    query_int_id(fx->store, "SELECT COUNT(*) FROM contacts WHERE id = ?", w.merged), 0);
	assert_int_equal(
	    query_int_id(fx->store, "SELECT contact_id FROM interactions WHERE id = ?", w.i1),
	    w.survivor);
	assert_int_equal(
	    query_int_id(fx->store, "SELECT contact_id FROM orders WHERE id = ?", w.o1),
	    w.survivor);
	assert_int_equal(
	    query_int_id(fx->store, "SELECT reports_to_id FROM contacts WHERE id = ?", w.other),
	    w.survivor);
	/* The friend moved; the colleague link of the two would relate the survivor to itself. */
	assert_int_equal(query_int_id(fx->store,
	                              "SELECT COUNT(*) FROM relationships WHERE to_id = ?",
	                              w.survivor),
	                 1);
	assert_int_equal(
	    query_int_id(fx->store,
	                 "SELECT COUNT(*) FROM relationships WHERE from_id = ? OR to_id = ?",
	                 w.merged),
	    0);
	/* The merged record's second number now finds the survivor. */
	json_t *hit = NULL;
	struct gx_error err = {0};
	assert_int_equal(lookup_phone(c, "139 0013 9000", &hit, &err), 0);
	assert_int_equal(json_array_size(json_object_get(hit, "matches")), 1);
	json_decref(hit);
	assert_int_equal(
	    query_int_id(fx->store,
	                 "SELECT COUNT(*) FROM audit WHERE action = 'merge' AND entity_id = ?",
	                 w.survivor),
	    1);
	assert_int_equal(
	    query_int_id(fx->store,
	                 "SELECT COUNT(*) FROM audit WHERE action = 'merge' AND entity_id = ?",
	                 w.merged),
	    1);
	assert_int_equal(
	    query_int_id(fx->store, "SELECT COUNT(*) FROM search_contacts WHERE id = ?", w.merged),
	    0);
}

static void test_field_choices(void **state)
{
	struct fixture *fx = *state;
	struct crm_ctx *c = &fx->as_admin;
	struct world w = make_world(fx, c);
	json_t *out =
	    merge_ok(c, w.survivor, w.merged,
	             "{\"name\": \"merged\", \"phones\": \"survivor\", \"tags\": \"merged\"}");
	json_t *s = json_object_get(out, "survivor");
	assert_string_equal(str(s, "name"), "Zhang Wei");
	assert_int_equal(json_array_size(json_object_get(s, "phones")), 1);
	assert_string_equal(json_string_value(json_array_get(json_object_get(s, "tags"), 0)),
	                    "import");
	json_decref(out);
	json_t *body =
	    parsef("{\"survivor\": %lld, \"merged\": %lld, \"fields\": {\"tier\": \"merged\"}}",
	           (long long)w.survivor, (long long)w.other);
	struct gx_error err = {0};
	assert_int_equal(merge_records(c, &contact_kind, body, &out, &err), GX_EVALIDATION);
	json_decref(body);
	body = parsef("{\"survivor\": %lld, \"merged\": %lld, \"fields\": {\"name\": \"mine\"}}",
	              (long long)w.survivor, (long long)w.other);
	assert_int_equal(merge_records(c, &contact_kind, body, &out, &err), GX_EVALIDATION);
	json_decref(body);
	/* Nothing changed by the failed attempts. */
	assert_int_equal(
	    query_int_id(fx->store, "SELECT COUNT(*) FROM contacts WHERE id = ?", w.other), 1);
}

static void test_undo_restores_everything(void **state)
{
	struct fixture *fx = *state;
	struct crm_ctx *c = &fx->as_admin;
	struct world w = make_world(fx, c);
	json_t *before = get(c, &contact_kind, w.merged);
	json_t *out = merge_ok(c, w.survivor, w.merged, "{}");
	int64_t merge_id = num(out, "merge_id");
	json_decref(out);
	struct gx_error err = {0};
	out = NULL;
	if (merge_undo(c, merge_id, &out, &err) != 0)
		fail_msg("undo: %s", err.message);
	json_t *restored = json_object_get(out, "restored");
	assert_int_equal(num(restored, "id"), w.merged);
	assert_string_equal(str(restored, "name"), "Zhang Wei");
	assert_true(
	    json_equal(json_object_get(restored, "phones"), json_object_get(before, "phones")));
	assert_true(
	    json_equal(json_object_get(restored, "emails"), json_object_get(before, "emails")));
	json_t *s = json_object_get(out, "survivor");
	assert_int_equal(json_array_size(json_object_get(s, "phones")), 1);
	assert_int_equal(json_array_size(json_object_get(s, "emails")), 0);
	assert_true(json_is_null(json_object_get(s, "title")));
	assert_string_equal(str(s, "tier"), "bronze");
	assert_string_equal(str(restored, "tier"), "gold");
	json_decref(out);
	json_decref(before);
	assert_int_equal(
	    query_int_id(fx->store, "SELECT contact_id FROM interactions WHERE id = ?", w.i1),
	    w.merged);
	assert_int_equal(
	    query_int_id(fx->store, "SELECT contact_id FROM interactions WHERE id = ?", w.i2),
	    w.survivor);
	assert_int_equal(
	    query_int_id(fx->store, "SELECT contact_id FROM orders WHERE id = ?", w.o1), w.merged);
	assert_int_equal(
	    query_int_id(fx->store, "SELECT reports_to_id FROM contacts WHERE id = ?", w.other),
	    w.merged);
	assert_int_equal(
	    query_int_id(fx->store, "SELECT COUNT(*) FROM relationships WHERE to_id = ?", w.merged),
	    2);
	assert_int_equal(
	    query_int_id(fx->store, "SELECT COUNT(*) FROM search_contacts WHERE id = ?", w.merged),
	    1);
	json_t *hit = NULL;
	assert_int_equal(lookup_phone(c, "13900139000", &hit, &err), 0);
	assert_int_equal(
	    num(json_object_get(json_array_get(json_object_get(hit, "matches"), 0), "contact"),
	        "id"),
	    w.merged);
	json_decref(hit);
	/* Once only. */
	assert_int_equal(merge_undo(c, merge_id, &out, &err), GX_ECONFLICT);
	assert_int_equal(merge_undo(c, 9999, &out, &err), GX_ENOTFOUND);
}

static void test_undo_keeps_later_edits(void **state)
{
	struct fixture *fx = *state;
	struct crm_ctx *c = &fx->as_admin;
	struct world w = make_world(fx, c);
	json_t *out = merge_ok(c, w.survivor, w.merged, "{}");
	int64_t merge_id = num(out, "merge_id");
	json_decref(out);
	json_t *patch = parse("{\"title\": \"总监\"}");
	struct gx_error err = {0};
	assert_int_equal(records_update(c, &contact_kind, w.survivor, patch, &out, &err), 0);
	json_decref(out);
	json_decref(patch);
	assert_int_equal(merge_undo(c, merge_id, &out, &err), 0);
	assert_string_equal(str(json_object_get(out, "survivor"), "title"), "总监");
	json_decref(out);
}

static void test_merge_needs_rights_on_both(void **state)
{
	struct fixture *fx = *state;
	int64_t north = create(&fx->as_alice, &contact_kind, parse("{\"name\": \"王磊\"}"));
	int64_t north2 = create(&fx->as_alice, &contact_kind, parse("{\"name\": \"Wang Lei\"}"));
	int64_t south = create(&fx->as_carol, &contact_kind, parse("{\"name\": \"王磊\"}"));
	json_t *body =
	    parsef("{\"survivor\": %lld, \"merged\": %lld}", (long long)north, (long long)south);
	json_t *out = NULL;
	struct gx_error err = {0};
	assert_int_equal(merge_records(&fx->as_alice, &contact_kind, body, &out, &err),
	                 GX_ENOTFOUND);
	json_decref(body);
	body =
	    parsef("{\"survivor\": %lld, \"merged\": %lld}", (long long)north, (long long)north2);
	assert_int_equal(merge_records(&fx->as_finance, &contact_kind, body, &out, &err),
	                 GX_EFORBIDDEN);
	assert_int_equal(merge_records(&fx->as_alice, &contact_kind, body, &out, &err), 0);
	int64_t merge_id = num(out, "merge_id");
	json_decref(out);
	json_decref(body);
	/* Another team cannot undo it either (the survivor reads as absent). */
	assert_int_equal(merge_undo(&fx->as_carol, merge_id, &out, &err), GX_ENOTFOUND);
	assert_int_equal(merge_undo(&fx->as_alice, merge_id, &out, &err), 0);
	json_decref(out);
	body = parsef("{\"survivor\": %lld, \"merged\": %lld}", (long long)north, (long long)north);
	assert_int_equal(merge_records(&fx->as_alice, &contact_kind, body, &out, &err),
	                 GX_EVALIDATION);
	json_decref(body);
}

static void test_account_merge_moves_people(void **state)
{
	struct fixture *fx = *state;
	struct crm_ctx *c = &fx->as_admin;
	int64_t a = create(c, &account_kind, parse("{\"name\": \"Acme Ltd\"}"));
	int64_t b = create(c, &account_kind,
	                   parse("{\"name\": \"ACME Limited\", \"website\": \"acme.example\"}"));
	int64_t p = create(c, &contact_kind,
	                   parsef("{\"name\": \"Jane Doe\", \"account_id\": %lld}", (long long)b));
	json_t *body = parsef("{\"survivor\": %lld, \"merged\": %lld}", (long long)a, (long long)b);
	json_t *out = NULL;
	struct gx_error err = {0};
	assert_int_equal(merge_records(c, &account_kind, body, &out, &err), 0);
	json_decref(body);
	assert_string_equal(str(json_object_get(out, "survivor"), "website"), "acme.example");
	int64_t merge_id = num(out, "merge_id");
	json_decref(out);
	assert_int_equal(query_int_id(fx->store, "SELECT account_id FROM contacts WHERE id = ?", p),
	                 a);
	assert_int_equal(merge_undo(c, merge_id, &out, &err), 0);
	json_decref(out);
	assert_int_equal(query_int_id(fx->store, "SELECT account_id FROM contacts WHERE id = ?", p),
	                 b);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_merge_moves_rows_and_unites_contact_points),
	    T(test_field_choices),
	    T(test_undo_restores_everything),
	    T(test_undo_keeps_later_edits),
	    T(test_merge_needs_rights_on_both),
	    T(test_account_merge_moves_people),
	};
#undef T
	return cmocka_run_group_tests(tests, testdb_group_setup, NULL);
}
