/* test_quality.c — crm/quality: warnings on suspicious values (never errors) and the report
 * (completeness, invalid values, stale records, duplicate clusters, per owner, visibility). */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE
#endif
#include "quality_fixture.h"

#include "crm/duplicates.h"
#include "crm/quality.h"

static int has_warning(const json_t *list, const char *code, const char *field)
{
	size_t i;
	const json_t *w;
	json_array_foreach(list, i, w)
	{
		if (strcmp(str(w, "code"), code) == 0 && strcmp(str(w, "field"), field) == 0)
			return 1;
	}
	return 0;
}

static void test_warnings_on_suspicious_values(void **state)
{
	(void)state;
	json_t *c =
	    parse("{\"name\": \"12345\", \"birthday\": \"2999-01-01\", "
	          "\"emails\": [{\"address\": \"a@example.com\"}, {\"address\": \"b@corp.cn\"}, "
	          "{\"address\": \"c@shop.test\"}], "
	          "\"phones\": [{\"number\": \"13800138000\", \"e164\": \"+8613800138000\"}, "
	          "{\"number\": \"138 0013 8000\", \"e164\": \"+8613800138000\"}]}");
	json_t *w = quality_warnings(&contact_kind, c, "CN");
	assert_true(has_warning(w, "name_without_letters", "name"));
	assert_true(has_warning(w, "birthday_in_future", "birthday"));
	assert_true(has_warning(w, "email_unreachable_domain", "emails[0].address"));
	assert_false(has_warning(w, "email_unreachable_domain", "emails[1].address"));
	assert_true(has_warning(w, "email_unreachable_domain", "emails[2].address"));
	assert_true(has_warning(w, "phone_repeated", "phones[1].number"));
	assert_false(has_warning(w, "phone_not_valid", "phones[0].number"));
	json_decref(w);
	json_decref(c);
	c = parse("{\"name\": \"张伟\", \"birthday\": \"1890-05-01\"}");
	w = quality_warnings(&contact_kind, c, "CN");
	assert_int_equal(json_array_size(w), 1);
	assert_true(has_warning(w, "birthday_too_old", "birthday"));
	json_decref(w);
	json_decref(c);
	c = parse("{\"name\": \"jane@doe.cn\"}");
	w = quality_warnings(&contact_kind, c, "CN");
	assert_true(has_warning(w, "name_looks_like_email", "name"));
	json_decref(w);
	json_decref(c);
	c = parse("{\"name\": \"Acme\", \"website\": \"acme\"}");
	w = quality_warnings(&account_kind, c, "CN");
	assert_true(has_warning(w, "website_without_domain", "website"));
	json_decref(w);
	json_decref(c);
	c = parse("{\"name\": \"Jane Doe\", \"birthday\": \"1980-02-29\"}");
	w = quality_warnings(&contact_kind, c, "CN");
	assert_int_equal(json_array_size(w), 0);
	json_decref(w);
	json_decref(c);
}

static void test_report_counts_and_visibility(void **state)
{
	struct fixture *fx = *state;
	int64_t a = create(&fx->as_alice, &contact_kind,
	                   parse("{\"name\": \"王磊\", \"title\": \"经理\", \"phones\": "
	                         "[{\"number\": \"13900000001\"}]}"));
	create(&fx->as_alice, &contact_kind,
	       parse("{\"name\": \"王磊\", \"phones\": [{\"number\": \"139 0000 0001\"}], "
	             "\"birthday\": \"2999-01-01\"}"));
	create(&fx->as_carol, &contact_kind,
	       parse("{\"name\": \"Bob\", \"emails\": [{\"address\": \"bob@example.com\"}]}"));
	create(&fx->as_carol, &contact_kind, parse("{\"name\": \"Nobody\"}"));
	json_t *i =
	    parsef("{\"contact_id\": %lld, \"channel\": \"phone\", \"direction\": \"inbound\"}",
	           (long long)a);
	create(&fx->as_alice, &interaction_kind, i);
	struct gx_error err = {0};
	assert_int_equal(duplicates_scan(&fx->as_admin, &contact_kind, NULL, &err), 0);
	json_t *r = NULL;
	assert_int_equal(quality_report(&fx->as_admin, 6, &r, &err), 0);
	json_t *c = json_object_get(r, "contacts");
	assert_int_equal(num(c, "total"), 4);
	assert_int_equal(num(c, "stale"), 3);
	json_t *comp = json_object_get(c, "completeness");
	assert_true(json_real_value(json_object_get(comp, "phones")) == 50.0);
	assert_true(json_real_value(json_object_get(comp, "title")) == 25.0);
	json_t *inv = json_object_get(c, "invalid");
	assert_int_equal(num(inv, "emails"), 1);
	assert_int_equal(num(inv, "birthdays"), 1);
	json_t *d = json_object_get(r, "duplicates");
	assert_int_equal(num(d, "pairs"), 1);
	assert_int_equal(num(d, "clusters"), 1);
	assert_int_equal(json_array_size(json_object_get(r, "owners")), 2);
	json_decref(r);
	assert_int_equal(quality_report(&fx->as_carol, 0, &r, &err), 0);
	assert_int_equal(num(json_object_get(r, "contacts"), "total"), 2);
	assert_int_equal(
	    num(json_object_get(json_object_get(r, "contacts"), "invalid"), "birthdays"), 0);
	assert_int_equal(num(json_object_get(r, "duplicates"), "pairs"), 0);
	json_t *owners = json_object_get(r, "owners");
	assert_int_equal(json_array_size(owners), 1);
	assert_string_equal(str(json_array_get(owners, 0), "username"), "carol");
	assert_int_equal(num(json_array_get(owners, 0), "unreachable"), 1);
	assert_int_equal(num(r, "stale_months"), 12);
	json_decref(r);
	assert_int_equal(quality_report(&fx->as_admin, 500, &r, &err), GX_EBADREQUEST);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_warnings_on_suspicious_values),
	    T(test_report_counts_and_visibility),
	};
#undef T
	return cmocka_run_group_tests(tests, testdb_group_setup, NULL);
}
