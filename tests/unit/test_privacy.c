/* test_privacy.c — crm/privacy: the export holds everything about one person; erasure removes
 * what identifies them (also from the audit trail and merge undo data), keeps orders and
 * counts, leaves an audit note without personal data, and is for admins only. */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE
#endif
#include "quality_fixture.h"

#include "crm/audit.h"
#include "crm/lookup.h"
#include "crm/merge.h"
#include "crm/privacy.h"

static void test_export_and_erase(void **state)
{
	struct fixture *fx = *state;
	struct crm_ctx *c = &fx->as_admin;
	int64_t id = create(c, &contact_kind,
	                    parse("{\"name\": \"陈静\", \"birthday\": \"1990-01-02\", \"phones\": "
	                          "[{\"number\": \"13600000009\"}], "
	                          "\"emails\": [{\"address\": \"chen.jing@corp.cn\"}], "
	                          "\"addresses\": [{\"street\": \"建国路1号\"}]}"));
	int64_t twin =
	    create(c, &contact_kind,
	           parse("{\"name\": \"陳靜\", \"phones\": [{\"number\": \"136 0000 0009\"}]}"));
	create(c, &interaction_kind,
	       parsef("{\"contact_id\": %lld, \"channel\": \"email\", \"direction\": \"inbound\", "
	              "\"subject\": \"陈静 asks\", \"body\": \"secret\"}",
	              (long long)id));
	create(c, &order_kind,
	       parsef("{\"contact_id\": %lld, \"ordered_at\": \"2026-01-01T00:00:00Z\", "
	              "\"amount\": \"88.00\"}",
	              (long long)id));
	/* A merge whose undo data holds the twin's name, then the twin back, so both appear. */
	json_t *body =
	    parsef("{\"survivor\": %lld, \"merged\": %lld}", (long long)id, (long long)twin);
	json_t *out = NULL;
	struct gx_error err = {0};
	assert_int_equal(merge_records(c, &contact_kind, body, &out, &err), 0);
	json_decref(body);
	json_decref(out);
	assert_int_equal(privacy_export(c, id, &out, &err), 0);
	assert_string_equal(str(json_object_get(out, "contact"), "name"), "陈静");
	assert_int_equal(json_array_size(json_object_get(out, "interactions")), 1);
	assert_int_equal(json_array_size(json_object_get(out, "orders")), 1);
	assert_int_equal(json_array_size(json_object_get(out, "merges")), 1);
	assert_true(json_array_size(json_object_get(out, "audit")) >= 2);
	json_decref(out);
	assert_int_equal(privacy_export(&fx->as_carol, id, &out, &err), GX_ENOTFOUND);
	assert_int_equal(privacy_erase(&fx->as_manager, id, &out, &err), GX_EFORBIDDEN);
	assert_int_equal(privacy_erase(c, id, &out, &err), 0);
	assert_int_equal(num(out, "interactions_redacted"), 1);
	assert_int_equal(num(out, "merges_made_final"), 1);
	json_decref(out);
	assert_int_equal(privacy_export(c, id, &out, &err), 0);
	char *text = json_dumps(out, JSON_COMPACT);
	assert_null(strstr(text, "陈静"));
	assert_null(strstr(text, "陳靜"));
	assert_null(strstr(text, "13600000009"));
	assert_null(strstr(text, "chen.jing"));
	assert_null(strstr(text, "secret"));
	assert_null(strstr(text, "1990-01-02"));
	assert_non_null(strstr(text, "erased on request"));
	assert_string_equal(str(json_array_get(json_object_get(out, "orders"), 0), "amount"),
	                    "88.00");
	free(text);
	json_decref(out);
	assert_int_equal(lookup_phone(c, "13600000009", &out, &err), 0);
	assert_int_equal(json_array_size(json_object_get(out, "matches")), 0);
	json_decref(out);
	/* Nowhere in the audit table either. */
	assert_int_equal(
	    query_int_id(fx->store,
	                 "SELECT COUNT(*) FROM audit WHERE changes LIKE '%陈静%' OR "
	                 "changes LIKE '%陳靜%' OR changes LIKE '%13600000009%' OR ? = 0",
	                 1),
	    0);
	assert_int_equal(merge_undo(c, 1, &out, &err), GX_ECONFLICT);
	assert_string_equal(
	    query_int_id(fx->store, "SELECT COUNT(*) FROM orders WHERE contact_id = ?", id) == 1
	        ? "ok"
	        : "lost",
	    "ok");
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_export_and_erase),
	};
#undef T
	return cmocka_run_group_tests(tests, testdb_group_setup, NULL);
}
