/* test_duplicates.c — crm/duplicates: the score and reasons of two contacts (one name in
 * simplified, traditional, pinyin and swapped order; Latin typos and initials; one phone written
 * two ways; one email in two cases), pairs that must stay apart, the whole-database scan and its
 * list (best first, dismissals kept, visibility), and the entry-time check. The same for two
 * accounts (crm/account_duplicates): normalised company names (legal forms, scripts, case),
 * pinyin, typos and the website, companies that must stay apart, the account scan, its list,
 * dismissal and visibility, and the check of a new account. */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE
#endif
#include "quality_fixture.h"

#include "crm/account_duplicates.h"
#include "crm/duplicates.h"

/* The score of two contacts given as JSON text (takes nothing); reasons returned when wanted. */
static int score_of(const char *a, const char *b, json_t **reasons)
{
	json_t *ja = parse(a), *jb = parse(b);
	json_t *r = NULL;
	int score = duplicates_compare(ja, jb, &r);
	json_decref(ja);
	json_decref(jb);
	if (reasons)
		*reasons = r;
	else
		json_decref(r);
	return score;
}

static void expect_pair(const char *name_a, const char *name_b, const char *reason)
{
	char a[256], b[256];
	snprintf(a, sizeof a, "{\"id\": 1, \"name\": \"%s\", \"account_id\": 7}", name_a);
	snprintf(b, sizeof b, "{\"id\": 2, \"name\": \"%s\", \"account_id\": 7}", name_b);
	json_t *reasons = NULL;
	int score = score_of(a, b, &reasons);
	char *text = json_dumps(reasons, JSON_COMPACT);
	if (score < DUPLICATES_THRESHOLD || !has_reason(reasons, reason) ||
	    !has_reason(reasons, "same_company"))
		fail_msg("%s / %s: score %d reasons %s, want %s", name_a, name_b, score, text,
		         reason);
	free(text);
	json_decref(reasons);
}

static void expect_apart(const char *a, const char *b)
{
	json_t *reasons = NULL;
	int score = score_of(a, b, &reasons);
	char *text = json_dumps(reasons, JSON_COMPACT);
	if (score >= DUPLICATES_THRESHOLD)
		fail_msg("%s / %s: score %d reasons %s, want apart", a, b, score, text);
	free(text);
	json_decref(reasons);
}

static void test_chinese_name_in_every_script_shares_the_key(void **state)
{
	(void)state;
	const char *names[] = {"张伟", "張偉", "Zhang Wei", "Wei Zhang", "zhangwei", "ZHANG  Wei"};
	char *first = duplicates_name_key(names[0]);
	for (size_t i = 1; i < sizeof names / sizeof names[0]; i++) {
		char *key = duplicates_name_key(names[i]);
		if (strcmp(key, first) != 0)
			fail_msg("key of %s is %s, of %s %s", names[i], key, names[0], first);
		free(key);
	}
	free(first);
}

static void test_chinese_name_forms_score_as_duplicates(void **state)
{
	(void)state;
	expect_pair("张伟", "張偉", "same_name");
	expect_pair("张伟", "Zhang Wei", "same_name_pinyin");
	expect_pair("張偉", "Wei Zhang", "same_name_pinyin");
	expect_pair("Zhang Wei", "Wei Zhang", "same_name_reordered");
	expect_pair("zhangwei", "Zhang Wei", "same_name");
	expect_pair("欧阳娜娜", "Ouyang Nana", "same_name_pinyin");
	/* A homophone typed with the wrong character (the Chinese typo). */
	expect_pair("张伟", "张玮", "name_sounds_alike");
}

static void test_latin_typos_initials_and_order(void **state)
{
	(void)state;
	expect_pair("Jon Smith", "John Smith", "similar_name");
	expect_pair("J. Smith", "John Smith", "name_initials");
	expect_pair("Smith, John", "John Smith", "same_name_reordered");
	expect_pair("JOHN SMITH", "john smith", "same_name");
	expect_pair("Jonathan Smyth", "Jonathon Smith", "similar_name");
	expect_pair("John Q. Smith", "John Smith", "similar_name"); /* a middle initial */
	expect_pair("José García", "Jose Garcia", "same_name_reordered");
}

static void test_same_phone_written_two_ways(void **state)
{
	struct fixture *fx = *state;
	int64_t a =
	    create(&fx->as_admin, &contact_kind,
	           parse("{\"name\": \"李娜\", \"phones\": [{\"number\": \"138 0013 8000\"}]}"));
	int64_t b = create(
	    &fx->as_admin, &contact_kind,
	    parse("{\"name\": \"李娜\", \"phones\": [{\"number\": \"+86 138-0013-8000\"}]}"));
	json_t *ja = get(&fx->as_admin, &contact_kind, a),
	       *jb = get(&fx->as_admin, &contact_kind, b);
	json_t *reasons = NULL;
	int score = duplicates_compare(ja, jb, &reasons);
	assert_true(score >= 80);
	assert_true(has_reason(reasons, "same_phone"));
	assert_true(has_reason(reasons, "same_name"));
	json_decref(reasons);
	json_decref(ja);
	json_decref(jb);
}

static void test_same_email_in_other_case(void **state)
{
	(void)state;
	json_t *reasons = NULL;
	int score = score_of("{\"id\": 1, \"name\": \"Jane Doe\", \"emails\": [{\"address\": "
	                     "\"Jane.Doe@Example.COM\"}]}",
	                     "{\"id\": 2, \"name\": \"Jane Doe\", \"emails\": [{\"address\": "
	                     "\"jane.doe@example.com\"}]}",
	                     &reasons);
	assert_int_equal(score, 85);
	assert_true(has_reason(reasons, "same_email"));
	json_decref(reasons);
}

static void test_non_duplicates_stay_apart(void **state)
{
	(void)state;
	/* Colleagues at one company. */
	expect_apart("{\"name\": \"张伟\", \"account_id\": 7}",
	             "{\"name\": \"李娜\", \"account_id\": 7}");
	expect_apart("{\"name\": \"Wang Lei\", \"account_id\": 7}",
	             "{\"name\": \"Wang Fang\", \"account_id\": 7}");
	expect_apart("{\"name\": \"张伟\", \"account_id\": 7}",
	             "{\"name\": \"张伟明\", \"account_id\": 7}");
	/* The same common name at two companies, nothing else shared. */
	expect_apart("{\"name\": \"张伟\", \"account_id\": 7}",
	             "{\"name\": \"张伟\", \"account_id\": 8}");
	/* A family sharing the home phone. */
	expect_apart("{\"name\": \"张伟\", \"phones\": [{\"e164\": \"+861065529988\"}]}",
	             "{\"name\": \"李娜\", \"phones\": [{\"e164\": \"+861065529988\"}]}");
	/* The company switchboard. */
	expect_apart("{\"name\": \"Jane Doe\", \"account_id\": 3, \"phones\": [{\"e164\": "
	             "\"+12025550100\"}]}",
	             "{\"name\": \"Bob Roe\", \"account_id\": 3, \"phones\": [{\"e164\": "
	             "\"+12025550100\"}]}");
	/* Nothing to compare. */
	expect_apart("{\"name\": \"Jane Doe\"}", "{\"name\": \"Jane Doe\"}");
}

static void test_address_counts_with_the_name(void **state)
{
	(void)state;
	json_t *reasons = NULL;
	int score = score_of("{\"name\": \"王芳\", \"addresses\": [{\"street\": \"建国路88号\", "
	                     "\"city\": \"北京\"}]}",
	                     "{\"name\": \"王芳\", \"addresses\": [{\"street\": \"建國路 88 號\", "
	                     "\"city\": \"北京\"}]}",
	                     &reasons);
	assert_int_equal(score, 60);
	assert_true(has_reason(reasons, "same_address"));
	json_decref(reasons);
}

static int64_t account(struct crm_ctx *ctx, const char *name)
{
	return create(ctx, &account_kind, parsef("{\"name\": \"%s\"}", name));
}

static void scan_ok(struct crm_ctx *ctx, struct duplicates_scan_stats *stats)
{
	struct gx_error err = {0};
	if (duplicates_scan(ctx, &contact_kind, stats, &err) != 0)
		fail_msg("scan: %s", err.message);
}

static json_t *list_pairs(struct crm_ctx *ctx)
{
	json_t *out = NULL;
	struct gx_error err = {0};
	if (duplicates_list(ctx, &contact_kind, 100, NULL, 0, &out, &err) != 0)
		fail_msg("list: %s", err.message);
	return out;
}

static void test_scan_finds_pairs_best_first(void **state)
{
	struct fixture *fx = *state;
	struct crm_ctx *c = &fx->as_admin;
	int64_t acme = account(c, "华东贸易有限公司");
	int64_t zw1 = create(c, &contact_kind,
	                     parsef("{\"name\": \"张伟\", \"account_id\": %lld}", (long long)acme));
	int64_t zw2 = create(c, &contact_kind,
	                     parsef("{\"name\": \"張偉\", \"account_id\": %lld}", (long long)acme));
	int64_t zw3 =
	    create(c, &contact_kind,
	           parsef("{\"name\": \"Wei Zhang\", \"account_id\": %lld}", (long long)acme));
	int64_t ln = create(c, &contact_kind,
	                    parsef("{\"name\": \"李娜\", \"account_id\": %lld}", (long long)acme));
	int64_t p1 = create(c, &contact_kind,
	                    parse("{\"name\": \"Jane Doe\", \"phones\": [{\"number\": \"+1 202 555 "
	                          "0143\"}], \"emails\": [{\"address\": \"JANE@doe.example\"}]}"));
	int64_t p3 = create(
	    c, &contact_kind,
	    parse("{\"name\": \"J. Doe\", \"emails\": [{\"address\": \"jane@doe.example\"}]}"));
	(void)ln;
	struct duplicates_scan_stats stats = {0};
	scan_ok(c, &stats);
	assert_int_equal(stats.records, 6);
	json_t *out = list_pairs(c);
	json_t *data = json_object_get(out, "data");
	/* zw1-zw2, zw1-zw3, zw2-zw3, p1-p3 (email + initials); nothing with 李娜. */
	int64_t last = 101;
	int found_zw = 0, found_p13 = 0;
	size_t i;
	json_t *row;
	json_array_foreach(data, i, row)
	{
		int64_t score = num(row, "score");
		assert_true(score <= last);
		last = score;
		int64_t a = num(json_object_get(row, "a"), "id"),
		        b = num(json_object_get(row, "b"), "id");
		assert_true(a < b);
		assert_true(a != ln && b != ln);
		found_zw += (a == zw1 || a == zw2) && (b == zw2 || b == zw3);
		found_p13 += a == p1 && b == p3;
		assert_non_null(str(json_object_get(row, "a"), "name"));
	}
	assert_int_equal(found_zw, 3);
	assert_int_equal(found_p13, 1);
	json_decref(out);
}

static void test_dismissed_pair_stays_dismissed(void **state)
{
	struct fixture *fx = *state;
	struct crm_ctx *c = &fx->as_admin;
	int64_t acme = account(c, "Acme");
	int64_t a =
	    create(c, &contact_kind,
	           parsef("{\"name\": \"Jon Smith\", \"account_id\": %lld}", (long long)acme));
	int64_t b =
	    create(c, &contact_kind,
	           parsef("{\"name\": \"John Smith\", \"account_id\": %lld}", (long long)acme));
	scan_ok(c, NULL);
	json_t *out = list_pairs(c);
	assert_int_equal(json_array_size(json_object_get(out, "data")), 1);
	json_decref(out);
	struct gx_error err = {0};
	assert_int_equal(duplicates_dismiss(c, &contact_kind, b, a, &err), 0);
	out = list_pairs(c);
	assert_int_equal(json_array_size(json_object_get(out, "data")), 0);
	json_decref(out);
	scan_ok(c, NULL);
	out = list_pairs(c);
	assert_int_equal(json_array_size(json_object_get(out, "data")), 0);
	json_decref(out);
	assert_int_equal(
	    query_int_id(
	        fx->store,
	        "SELECT COUNT(*) FROM duplicate_pairs WHERE status = 'dismissed' AND a_id = ?", a),
	    1);
}

static void test_sales_see_only_pairs_of_their_team(void **state)
{
	struct fixture *fx = *state;
	/* One pair inside north, one pair across north and south. */
	int64_t n1 =
	    create(&fx->as_alice, &contact_kind,
	           parse("{\"name\": \"王磊\", \"phones\": [{\"number\": \"13900000001\"}]}"));
	int64_t n2 =
	    create(&fx->as_alice, &contact_kind,
	           parse("{\"name\": \"王磊\", \"phones\": [{\"number\": \"139 0000 0001\"}]}"));
	int64_t s1 = create(
	    &fx->as_carol, &contact_kind,
	    parse("{\"name\": \"Wang Lei\", \"phones\": [{\"number\": \"+86 139 0000 0001\"}]}"));
	struct gx_error err = {0};
	assert_int_equal(duplicates_scan(&fx->as_alice, &contact_kind, NULL, &err), GX_EFORBIDDEN);
	scan_ok(&fx->as_manager, NULL);
	json_t *all = list_pairs(&fx->as_admin);
	assert_int_equal(json_array_size(json_object_get(all, "data")), 3);
	json_decref(all);
	json_t *north = list_pairs(&fx->as_alice);
	json_t *data = json_object_get(north, "data");
	assert_int_equal(json_array_size(data), 1);
	assert_int_equal(num(json_object_get(json_array_get(data, 0), "a"), "id"), n1);
	assert_int_equal(num(json_object_get(json_array_get(data, 0), "b"), "id"), n2);
	json_decref(north);
	json_t *south = list_pairs(&fx->as_carol);
	assert_int_equal(json_array_size(json_object_get(south, "data")), 0);
	json_decref(south);
	/* Dismissing needs both: carol cannot see n1. */
	assert_int_equal(duplicates_dismiss(&fx->as_carol, &contact_kind, n1, s1, &err),
	                 GX_ENOTFOUND);
	int64_t pairs, clusters, records;
	assert_int_equal(
	    duplicates_clusters(&fx->as_admin, &contact_kind, &pairs, &clusters, &records, &err),
	    0);
	assert_int_equal(pairs, 3);
	assert_int_equal(clusters, 1);
	assert_int_equal(records, 3);
}

static void test_list_pages_with_cursor(void **state)
{
	struct fixture *fx = *state;
	struct crm_ctx *c = &fx->as_admin;
	int64_t acme = account(c, "Acme");
	for (int i = 0; i < 4; i++)
		create(c, &contact_kind,
		       parsef("{\"name\": \"Anna Berg\", \"account_id\": %lld}", (long long)acme));
	scan_ok(c, NULL);
	json_t *seen = json_object();
	const char *cursor = NULL;
	json_t *out = NULL;
	int pages = 0;
	struct gx_error err = {0};
	do {
		json_t *prev = out;
		char cur[96] = "";
		if (cursor)
			snprintf(cur, sizeof cur, "%s", cursor);
		json_decref(prev);
		out = NULL;
		assert_int_equal(
		    duplicates_list(c, &contact_kind, 4, cursor ? cur : NULL, 0, &out, &err), 0);
		size_t i;
		json_t *row;
		json_array_foreach(json_object_get(out, "data"), i, row)
		{
			char key[64];
			snprintf(key, sizeof key, "%lld-%lld",
			         (long long)num(json_object_get(row, "a"), "id"),
			         (long long)num(json_object_get(row, "b"), "id"));
			assert_null(json_object_get(seen, key));
			json_object_set_new(seen, key, json_true());
		}
		cursor = str(out, "next_cursor");
		pages++;
	} while (cursor);
	json_decref(out);
	assert_int_equal(json_object_size(seen), 6);
	assert_int_equal(pages, 2);
	json_decref(seen);
	assert_int_equal(duplicates_list(c, &contact_kind, 4, "nonsense", 0, &out, &err),
	                 GX_EBADREQUEST);
}

static void test_entry_time_check(void **state)
{
	struct fixture *fx = *state;
	struct crm_ctx *c = &fx->as_admin;
	int64_t acme = account(c, "华东贸易");
	int64_t zw = create(c, &contact_kind,
	                    parsef("{\"name\": \"张伟\", \"account_id\": %lld}", (long long)acme));
	int64_t ph =
	    create(c, &contact_kind,
	           parse("{\"name\": \"Li Na\", \"phones\": [{\"number\": \"13800138000\"}]}"));
	int64_t em = create(c, &contact_kind,
	                    parse("{\"name\": \"Wei Zhang\", \"emails\": [{\"address\": "
	                          "\"wei.zhang@example.cn\"}]}"));
	struct gx_error err = {0};
	json_t *out = NULL;
	json_t *candidate = parsef("{\"name\": \"Zhang Wei\", \"account_id\": %lld, \"emails\": "
	                           "[{\"address\": \"WEI.ZHANG@example.cn\"}]}",
	                           (long long)acme);
	assert_int_equal(duplicates_check(c, &contact_kind, candidate, 0, &out, &err), 0);
	assert_int_equal(json_array_size(out), 2);
	int64_t first = num(json_array_get(out, 0), "id"),
	        second = num(json_array_get(out, 1), "id");
	assert_int_equal(first, em);  /* email + pinyin name: 81 */
	assert_int_equal(second, zw); /* pinyin name + company: 56 */
	json_decref(out);
	/* Excluding itself. */
	assert_int_equal(duplicates_check(c, &contact_kind, candidate, em, &out, &err), 0);
	assert_int_equal(json_array_size(out), 1);
	json_decref(out);
	json_decref(candidate);
	candidate = parse("{\"name\": \"李娜\", \"phones\": [{\"number\": \"138 0013 8000\", "
	                  "\"e164\": \"+8613800138000\"}]}");
	assert_int_equal(duplicates_check(c, &contact_kind, candidate, 0, &out, &err), 0);
	assert_int_equal(json_array_size(out), 1);
	assert_int_equal(num(json_array_get(out, 0), "id"), ph);
	json_decref(out);
	/* Invisible records are never candidates. */
	assert_int_equal(duplicates_check(&fx->as_alice, &contact_kind, candidate, 0, &out, &err),
	                 0);
	assert_int_equal(json_array_size(out), 0);
	json_decref(out);
	json_decref(candidate);
}

/* ---- accounts ------------------------------------------------------------------------- */

static int account_score(const char *name_a, const char *site_a, const char *name_b,
                         const char *site_b, json_t **reasons)
{
	json_t *a =
	    json_pack("{s:I, s:s, s:s?}", "id", (json_int_t)1, "name", name_a, "website", site_a);
	json_t *b =
	    json_pack("{s:I, s:s, s:s?}", "id", (json_int_t)2, "name", name_b, "website", site_b);
	int score = account_duplicates_compare(a, b, reasons);
	json_decref(a);
	json_decref(b);
	return score;
}

/* Scores the two accounts; fails unless the score is want and the reasons are exactly codes
 * (comma-separated, in the rule's order). */
static void expect_accounts(const char *name_a, const char *site_a, const char *name_b,
                            const char *site_b, int want, const char *codes)
{
	json_t *reasons = NULL;
	int score = account_score(name_a, site_a, name_b, site_b, &reasons);
	char got[256] = "";
	size_t i;
	json_t *r;
	json_array_foreach(reasons, i, r)
	{
		size_t n = strlen(got);
		snprintf(got + n, sizeof got - n, "%s%s", i ? "," : "", str(r, "code"));
	}
	json_decref(reasons);
	if (score != want || strcmp(got, codes) != 0)
		fail_msg("%s (%s) / %s (%s): score %d reasons %s, want %d %s", name_a,
		         site_a ? site_a : "-", name_b, site_b ? site_b : "-", score, got, want,
		         codes);
}

static void expect_name(const char *name, const char *want)
{
	char *got = account_duplicates_name(name);
	if (!got || strcmp(got, want) != 0)
		fail_msg("normalised \"%s\" is \"%s\", want \"%s\"", name, got ? got : "(null)",
		         want);
	free(got);
}

static void expect_domain(const char *website, const char *want)
{
	char *got = account_duplicates_domain(website);
	if (!got || strcmp(got, want) != 0)
		fail_msg("domain of \"%s\" is \"%s\", want \"%s\"", website, got ? got : "(null)",
		         want);
	free(got);
}

static void test_account_names_drop_legal_form_script_and_case(void **state)
{
	(void)state;
	expect_name("华为技术有限公司", "华为技术");
	expect_name("華為技術有限公司", "华为技术");
	expect_name("华为技术", "华为技术");
	expect_name("华为技术股份有限公司", "华为技术");
	expect_name("華為技術有限責任公司", "华为技术");
	expect_name("中国石油天然气集团有限公司", "中国石油天然气");
	expect_name("鑫德环保科技（广州）有限公司", "鑫德环保科技广州");
	expect_name("Acme Corp.", "acme");
	expect_name("ACME Corporation", "acme");
	expect_name("ＡＣＭＥ， Inc", "acme");
	expect_name("Apex Technology Co., Ltd.", "apextechnology");
	expect_name("华为科技Co.,Ltd.", "华为科技");
	expect_name("Lotus Textiles Group", "lotustextiles");
	/* A legal form inside a name stays; a name that is nothing else keeps it. */
	expect_name("Costco Wholesale", "costcowholesale");
	expect_name("Company", "company");
	expect_name("有限公司", "有限公司");
	expect_name("!!!", "");
	expect_domain("https://WWW.Huawei.com/cn/", "huawei.com");
	expect_domain(" www.huawei.com:443?x=1", "huawei.com");
	expect_domain("huawei.com.", "huawei.com");
	expect_domain("Huawei", "");
}

static void test_account_same_name_alone_is_a_duplicate(void **state)
{
	(void)state;
	expect_accounts("华为技术有限公司", NULL, "華為技術", NULL, 50, "same_name");
	expect_accounts("华为技术有限公司", NULL, "华为技术", NULL, 50, "same_name");
	expect_accounts("Acme Corp.", NULL, "ACME Corporation", NULL, 50, "same_name");
	expect_accounts("Acme Corp.", NULL, "acme", NULL, 50, "same_name");
	expect_accounts("华为技术有限公司", "www.huawei.com", "華為技術", "https://huawei.com/cn",
	                90, "same_name,same_website");
}

static void test_account_weaker_names_need_the_website(void **state)
{
	(void)state;
	/* Pinyin against characters: short of the threshold alone, over it with the domain. */
	expect_accounts("华为技术", NULL, "Huawei Jishu", NULL, 40, "same_name_pinyin");
	expect_accounts("华为技术有限公司", "huawei.com", "Huawei Jishu Co., Ltd.",
	                "www.huawei.com", 80, "same_name_pinyin,same_website");
	/* A Latin typo counts less. */
	expect_accounts("Globex Trading Ltd", NULL, "Globex Tradng Limited", NULL, 30,
	                "similar_name");
	expect_accounts("Globex Trading Ltd", "globex.com", "Globex Tradng Limited",
	                "http://globex.com", 70, "similar_name,same_website");
	/* A homophone in other characters, a short form. */
	expect_accounts("华为技术", "huawei.com", "华威技术", "huawei.com", 70,
	                "name_sounds_alike,same_website");
	expect_accounts("深圳市腾讯计算机系统有限公司", "qq.com", "腾讯", "www.qq.com", 60,
	                "short_name,same_website");
	expect_accounts("Acme", "acme.com", "Acme Trading Co", "acme.com", 60,
	                "short_name,same_website");
}

static void test_account_non_duplicates_stay_apart(void **state)
{
	(void)state;
	/* One character and the legal form in common: two companies. */
	expect_accounts("华为技术有限公司", NULL, "华润置地有限公司", NULL, 0, "");
	expect_accounts("Acme Corp", NULL, "Apex Corp", NULL, 0, "different_name");
	/* The same domain, names with nothing in common: scored, with its reasons, and apart. */
	expect_accounts("Acme Corp", "acme.com", "Globex Ltd", "https://www.acme.com/about", 15,
	                "different_name,same_website");
	/* Subsidiaries sharing the group's domain. */
	expect_accounts("华为终端有限公司", "huawei.com", "华为数字能源技术有限公司", "huawei.com",
	                40, "same_website");
	/* Different domains and names. */
	expect_accounts("华为技术", "huawei.com", "中兴通讯", "zte.com.cn", 0, "different_name");
}

static void scan_accounts(struct crm_ctx *ctx, struct duplicates_scan_stats *stats)
{
	struct gx_error err = {0};
	if (duplicates_scan(ctx, &account_kind, stats, &err) != 0)
		fail_msg("account scan: %s", err.message);
}

static json_t *list_accounts(struct crm_ctx *ctx)
{
	json_t *out = NULL;
	struct gx_error err = {0};
	if (duplicates_list(ctx, &account_kind, 100, NULL, 0, &out, &err) != 0)
		fail_msg("account list: %s", err.message);
	return out;
}

static int has_pair(const json_t *list, int64_t a, int64_t b)
{
	size_t i;
	json_t *row;
	json_array_foreach(json_object_get(list, "data"), i, row)
	{
		if (num(json_object_get(row, "a"), "id") == a &&
		    num(json_object_get(row, "b"), "id") == b)
			return 1;
	}
	return 0;
}

static void test_account_scan_list_dismiss_and_visibility(void **state)
{
	struct fixture *fx = *state;
	int64_t n1 = create(&fx->as_alice, &account_kind,
	                    parse("{\"name\": \"华为技术有限公司\", \"website\": \"huawei.com\"}"));
	int64_t n2 = create(&fx->as_alice, &account_kind, parse("{\"name\": \"華為技術\"}"));
	int64_t s1 = create(&fx->as_carol, &account_kind,
	                    parse("{\"name\": \"Huawei Jishu\", \"website\": \"www.huawei.com\"}"));
	int64_t other =
	    create(&fx->as_alice, &account_kind,
	           parse("{\"name\": \"华润置地有限公司\", \"website\": \"huawei.com\"}"));
	struct gx_error err = {0};
	assert_int_equal(duplicates_scan(&fx->as_alice, &account_kind, NULL, &err), GX_EFORBIDDEN);
	struct duplicates_scan_stats stats = {0};
	scan_accounts(&fx->as_manager, &stats);
	assert_int_equal(stats.records, 4);
	assert_int_equal(stats.pairs, 2);
	json_t *all = list_accounts(&fx->as_admin);
	assert_int_equal(json_array_size(json_object_get(all, "data")), 2);
	assert_true(has_pair(all, n1, s1)); /* pinyin + website: 80, first */
	assert_int_equal(num(json_array_get(json_object_get(all, "data"), 0), "score"), 80);
	assert_true(has_pair(all, n1, n2));
	assert_string_equal(
	    str(json_object_get(json_array_get(json_object_get(all, "data"), 0), "b"), "website"),
	    "www.huawei.com");
	json_decref(all);
	/* The contact list knows nothing of accounts. */
	json_t *contacts = list_pairs(&fx->as_admin);
	assert_int_equal(json_array_size(json_object_get(contacts, "data")), 0);
	json_decref(contacts);
	/* Sales see pairs of their own team's accounts only. */
	json_t *north = list_accounts(&fx->as_alice);
	assert_int_equal(json_array_size(json_object_get(north, "data")), 1);
	assert_true(has_pair(north, n1, n2));
	json_decref(north);
	json_t *south = list_accounts(&fx->as_carol);
	assert_int_equal(json_array_size(json_object_get(south, "data")), 0);
	json_decref(south);
	assert_int_equal(duplicates_dismiss(&fx->as_carol, &account_kind, n1, s1, &err),
	                 GX_ENOTFOUND);
	assert_int_equal(duplicates_dismiss(&fx->as_finance, &account_kind, n1, n2, &err),
	                 GX_EFORBIDDEN);
	int64_t pairs, clusters, records;
	assert_int_equal(
	    duplicates_clusters(&fx->as_admin, &account_kind, &pairs, &clusters, &records, &err),
	    0);
	assert_int_equal(pairs, 2);
	assert_int_equal(clusters, 1);
	assert_int_equal(records, 3);
	/* Dismissed stays dismissed through the next scan. */
	assert_int_equal(duplicates_dismiss(&fx->as_alice, &account_kind, n2, n1, &err), 0);
	scan_accounts(&fx->as_admin, NULL);
	all = list_accounts(&fx->as_admin);
	assert_int_equal(json_array_size(json_object_get(all, "data")), 1);
	assert_false(has_pair(all, n1, n2));
	assert_false(has_pair(all, n1, other));
	json_decref(all);
}

/* Five rows of one company: a star of four pairs around the oldest, one cluster. */
static void test_account_name_block_is_a_star(void **state)
{
	struct fixture *fx = *state;
	const char *names[] = {"Acme Corp.", "ACME Corporation", "Acme Inc", "acme", "ACME LLC"};
	int64_t ids[5];
	for (int i = 0; i < 5; i++)
		ids[i] =
		    create(&fx->as_admin, &account_kind, parsef("{\"name\": \"%s\"}", names[i]));
	struct duplicates_scan_stats stats = {0};
	scan_accounts(&fx->as_admin, &stats);
	assert_int_equal(stats.pairs, 4);
	json_t *all = list_accounts(&fx->as_admin);
	for (int i = 1; i < 5; i++)
		assert_true(has_pair(all, ids[0], ids[i]));
	json_decref(all);
	int64_t pairs, clusters, records;
	struct gx_error err = {0};
	assert_int_equal(
	    duplicates_clusters(&fx->as_admin, &account_kind, &pairs, &clusters, &records, &err),
	    0);
	assert_int_equal(clusters, 1);
	assert_int_equal(records, 5);
}

static void test_account_entry_time_check(void **state)
{
	struct fixture *fx = *state;
	struct crm_ctx *c = &fx->as_alice;
	int64_t hw =
	    create(c, &account_kind,
	           parse("{\"name\": \"华为技术有限公司\", \"website\": \"www.huawei.com\"}"));
	create(c, &account_kind, parse("{\"name\": \"华润置地有限公司\"}"));
	struct gx_error err = {0};
	json_t *out = NULL;
	json_t *candidate = parse("{\"name\": \"華為技術\"}");
	assert_int_equal(duplicates_check(c, &account_kind, candidate, 0, &out, &err), 0);
	assert_int_equal(json_array_size(out), 1);
	assert_int_equal(num(json_array_get(out, 0), "id"), hw);
	assert_true(has_reason(json_object_get(json_array_get(out, 0), "reasons"), "same_name"));
	json_decref(out);
	/* Excluding itself, as an update's reply does. */
	assert_int_equal(duplicates_check(c, &account_kind, candidate, hw, &out, &err), 0);
	assert_int_equal(json_array_size(out), 0);
	json_decref(out);
	json_decref(candidate);
	candidate = parse("{\"name\": \"Huawei Jishu\", \"website\": \"https://huawei.com/en\"}");
	assert_int_equal(duplicates_check(c, &account_kind, candidate, 0, &out, &err), 0);
	assert_int_equal(json_array_size(out), 1);
	assert_int_equal(num(json_array_get(out, 0), "score"), 80);
	json_decref(out);
	/* Another team's accounts are never candidates. */
	assert_int_equal(duplicates_check(&fx->as_carol, &account_kind, candidate, 0, &out, &err),
	                 0);
	assert_int_equal(json_array_size(out), 0);
	json_decref(out);
	json_decref(candidate);
	candidate = parse("{\"name\": \"华润电力\"}");
	assert_int_equal(duplicates_check(c, &account_kind, candidate, 0, &out, &err), 0);
	assert_int_equal(json_array_size(out), 0);
	json_decref(out);
	json_decref(candidate);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_chinese_name_in_every_script_shares_the_key),
	    cmocka_unit_test(test_chinese_name_forms_score_as_duplicates),
	    cmocka_unit_test(test_latin_typos_initials_and_order),
	    T(test_same_phone_written_two_ways),
	    cmocka_unit_test(test_same_email_in_other_case),
	    cmocka_unit_test(test_non_duplicates_stay_apart),
	    cmocka_unit_test(test_address_counts_with_the_name),
	    T(test_scan_finds_pairs_best_first),
	    T(test_dismissed_pair_stays_dismissed),
	    T(test_sales_see_only_pairs_of_their_team),
	    T(test_list_pages_with_cursor),
	    T(test_entry_time_check),
	    cmocka_unit_test(test_account_names_drop_legal_form_script_and_case),
	    cmocka_unit_test(test_account_same_name_alone_is_a_duplicate),
	    cmocka_unit_test(test_account_weaker_names_need_the_website),
	    cmocka_unit_test(test_account_non_duplicates_stay_apart),
	    T(test_account_scan_list_dismiss_and_visibility),
	    T(test_account_name_block_is_a_star),
	    T(test_account_entry_time_check),
	};
#undef T
	return cmocka_run_group_tests(tests, testdb_group_setup, NULL);
}
