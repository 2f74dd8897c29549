/* test_search.c — crm/search: the folded documents of contacts and accounts (name with pinyin
 * and initials, company, phones as typed and as E.164 digits, emails, tags), the needles of a
 * query (text, plus E.164 digits when it reads as a phone number), and the one search box end to
 * end: 张伟 by zhangwei, zw or 張偉, accounts by their traditional name, contacts by their
 * company, documents following a renamed account, deletions, limits and visibility. */
#include "testdb.h"

#include "crm/records.h"
#include "crm/search.h"

struct fixture {
	char dir[64];
	char path[128];
	struct store *store;
	struct config config;
	int64_t admin, alice, anna, carol;
	struct crm_ctx as_admin; /* admin, no team */
	struct crm_ctx as_alice; /* sales, north */
	struct crm_ctx as_anna;  /* sales, north */
	struct crm_ctx as_carol; /* sales, south */
};

/* ---- fixture -------------------------------------------------------------------------- */

/* The stored document of a record ("" when it has none). Caller frees. */
static char *stored_doc(struct store *store, enum store_index index, int64_t id)
{
	struct gx_error err = {0};
	struct store_stmt *stmt = store_prepare(
	    store,
	    index == STORE_INDEX_CONTACTS ? "SELECT doc FROM search_contacts WHERE id = ?"
	                                  : "SELECT doc FROM search_accounts WHERE id = ?",
	    &err);
	assert_non_null(stmt);
	store_bind_int(stmt, 1, id);
	int rc = store_step(stmt, &err);
	char *doc = strdup(rc == STORE_ROW ? store_col_text(stmt, 0) : "");
	store_done(stmt);
	return doc;
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof *fx);
	if (!fx)
		return -1;
	if (testdb_open(fx->dir, sizeof fx->dir, fx->path, sizeof fx->path, "search", &fx->store) <
	    0) {
		free(fx);
		return -1;
	}
	config_defaults(&fx->config);
	fx->admin = testdb_insert_user(fx->store, "admin", "admin", NULL, 1);
	fx->alice = testdb_insert_user(fx->store, "alice", "sales", "north", 1);
	fx->anna = testdb_insert_user(fx->store, "anna", "sales", "north", 1);
	fx->carol = testdb_insert_user(fx->store, "carol", "sales", "south", 1);
	if (fx->admin <= 0 || fx->alice <= 0 || fx->anna <= 0 || fx->carol <= 0)
		return -1;
	fx->as_admin = testdb_ctx(fx->store, &fx->config, fx->admin);
	fx->as_alice = testdb_ctx(fx->store, &fx->config, fx->alice);
	fx->as_anna = testdb_ctx(fx->store, &fx->config, fx->anna);
	fx->as_carol = testdb_ctx(fx->store, &fx->config, fx->carol);
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

static int64_t create(struct crm_ctx *ctx, const struct record_kind *kind, json_t *body)
{
	json_t *out = NULL;
	struct gx_error err = {0};
	int rc = records_create(ctx, kind, body, &out, &err);
	if (rc != 0)
		fail_msg("create %s: %d field \"%s\": %s", kind->entity, rc, err.field,
		         err.message);
	json_decref(body);
	int64_t id = num(out, "id");
	json_decref(out);
	assert_true(id > 0);
	return id;
}

static int64_t account(struct crm_ctx *ctx, const char *name)
{
	return create(ctx, &account_kind, json_pack("{s:s}", "name", name));
}

static int64_t contact(struct crm_ctx *ctx, const char *name, int64_t account_id)
{
	json_t *body = json_pack("{s:s}", "name", name);
	if (account_id)
		json_object_set_new(body, "account_id", json_integer(account_id));
	return create(ctx, &contact_kind, body);
}

static void update(struct crm_ctx *ctx, const struct record_kind *kind, int64_t id, json_t *body)
{
	json_t *out = NULL;
	struct gx_error err = {0};
	int rc = records_update(ctx, kind, id, body, &out, &err);
	if (rc != 0)
		fail_msg("update %s %lld: %d %s", kind->entity, (long long)id, rc, err.message);
	json_decref(body);
	json_decref(out);
}

static json_t *run(struct crm_ctx *ctx, const char *q, int limit)
{
	json_t *out = NULL;
	struct gx_error err = {0};
	int rc = search_run(ctx, q, limit, &out, &err);
	if (rc != 0)
		fail_msg("search %s: %d %s", q, rc, err.message);
	assert_true(json_is_array(json_object_get(out, "data")));
	return out;
}

/* The hits of q as "contact:3,account:1" in the order given. */
static void hits(struct crm_ctx *ctx, const char *q, char *out, size_t size)
{
	json_t *result = run(ctx, q, 50);
	size_t i, len = 0;
	json_t *hit;
	out[0] = '\0';
	json_array_foreach(json_object_get(result, "data"), i, hit)
	{
		len += (size_t)snprintf(out + len, size - len, "%s%s:%lld", i ? "," : "",
		                        str(hit, "kind"), (long long)num(hit, "id"));
		assert_true(len < size);
	}
	json_decref(result);
}

static void expect_hits(struct crm_ctx *ctx, const char *q, const char *want)
{
	char got[512];
	hits(ctx, q, got, sizeof got);
	if (strcmp(got, want) != 0)
		fail_msg("search \"%s\": got [%s], want [%s]", q, got, want);
}

/* The document of a contact or account from JSON text; caller frees. */
static char *contact_doc(const char *json_text, const char *account_name)
{
	json_t *contact = parse(json_text);
	char *doc = search_contact_doc(contact, account_name);
	json_decref(contact);
	assert_non_null(doc);
	return doc;
}

static char *account_doc(const char *json_text)
{
	json_t *acc = parse(json_text);
	char *doc = search_account_doc(acc);
	json_decref(acc);
	assert_non_null(doc);
	return doc;
}

static void expect_needles(const char *q, const char *first, const char *second)
{
	char *needles[2] = {(char *)"junk", (char *)"junk"};
	int n = search_needles(q, "CN", needles);
	int want = first ? (second ? 2 : 1) : 0;
	if (n != want || (first && strcmp(needles[0], first) != 0) ||
	    (second && strcmp(needles[1], second) != 0) || (!second && needles[1]) ||
	    (!first && needles[0]))
		fail_msg("needles of \"%s\": %d [%s] [%s], want %d [%s] [%s]", q ? q : "(null)", n,
		         needles[0] ? needles[0] : "-", needles[1] ? needles[1] : "-", want,
		         first ? first : "-", second ? second : "-");
	search_needles_free(needles);
	assert_null(needles[0]);
	assert_null(needles[1]);
}

/* ---- documents ------------------------------------------------------------------------- */

static void test_contact_document(void **state)
{
	(void)state;
	char *doc = contact_doc(
	    "{\"name\": \"张伟\", \"phones\": [{\"number\": \"138 0013 8000\", \"e164\": "
	    "\"+8613800138000\"}, {\"number\": \"010-6552 9988\", \"e164\": \"+861065529988\"}], "
	    "\"emails\": [{\"address\": \"Zhang.Wei@Example.COM\"}], \"tags\": [\"VIP\", "
	    "\"老客戶\"], \"notes\": \"not searchable\", \"title\": \"经理\"}",
	    "華為技術");
	assert_string_equal(doc, "|张伟|zhangwei|zw|华为技术|13800138000|8613800138000|01065529988|"
	                         "861065529988|zhangweiexamplecom|vip|老客户");
	free(doc);
	/* Without company: nothing in its place. */
	doc = contact_doc("{\"name\": \"欧阳娜娜\"}", NULL);
	assert_string_equal(doc, "|欧阳娜娜|ouyangnana|oynn");
	free(doc);
	/* A traditional name folds to simplified; its pinyin is the same. */
	doc = contact_doc("{\"name\": \"張偉\"}", "");
	assert_string_equal(doc, "|张伟|zhangwei|zw");
	free(doc);
}

static void test_latin_name_is_not_repeated_as_pinyin(void **state)
{
	(void)state;
	char *doc = contact_doc("{\"name\": \"Jane Doe\"}", NULL);
	assert_string_equal(doc, "|janedoe|jd");
	free(doc);
	doc = contact_doc("{\"name\": \"ＪＡＮＥ\"}", NULL); /* full width folds first */
	assert_string_equal(doc, "|jane|j");
	free(doc);
	/* Mixed names keep their pinyin: it differs from the folded name. */
	doc = contact_doc("{\"name\": \"Jane 张\"}", NULL);
	assert_string_equal(doc, "|jane张|janezhang|jz");
	free(doc);
	/* The check looks at the name's own piece, not at other fields. */
	struct buf b = {0};
	search_doc_add_text(&b, "jane");
	search_doc_add_name(&b, "Jane");
	assert_string_equal(buf_text(&b), "|jane|jane|j");
	buf_free(&b);
}

static void test_account_document(void **state)
{
	(void)state;
	char *doc =
	    account_doc("{\"name\": \"客戶有限公司\", \"website\": \"https://www.KeHu.cn/\", "
	                "\"tags\": [\"製造\", \"B2B\"], \"industry\": \"not searchable\"}");
	assert_string_equal(doc, "|客户有限公司|kehuyouxiangongsi|khyxgs|httpswwwkehucn|制造|b2b");
	free(doc);
	doc = account_doc("{\"name\": \"Acme\", \"website\": null, \"tags\": []}");
	assert_string_equal(doc, "|acme|a");
	free(doc);
}

static void test_document_of_nothing_searchable(void **state)
{
	(void)state;
	char *doc = contact_doc("{}", NULL);
	assert_string_equal(doc, "");
	free(doc);
	doc = contact_doc("{\"name\": \"!!! ——\", \"tags\": [\"...\"], \"phones\": [], "
	                  "\"emails\": [{\"address\": \"@.\"}]}",
	                  "、");
	assert_string_equal(doc, "");
	free(doc);
	doc = account_doc("{}");
	assert_string_equal(doc, "");
	free(doc);
	doc = account_doc("{\"name\": \"   \", \"website\": \"://\"}");
	assert_string_equal(doc, "");
	free(doc);
}

static void test_document_pieces(void **state)
{
	(void)state;
	struct buf b = {0};
	search_doc_add_text(&b, NULL);
	search_doc_add_text(&b, "");
	search_doc_add_text(&b, "——");
	search_doc_add_name(&b, NULL);
	search_doc_add_phone(&b, NULL, NULL);
	assert_null(b.data); /* nothing added, not even a separator */
	search_doc_add_text(&b, "ＪＡＮＥ Doe");
	assert_string_equal(buf_text(&b), "|janedoe");
	search_doc_add_phone(&b, "138 0013 8000", "+8613800138000");
	assert_string_equal(buf_text(&b), "|janedoe|13800138000|8613800138000");
	search_doc_add_phone(&b, "+1 (650) 253-0000", NULL); /* no E.164: as typed only */
	search_doc_add_phone(&b, NULL, "+85223456789");      /* E.164 without '+' */
	search_doc_add_phone(&b, "x", "8613800138000");      /* not E.164: ignored */
	assert_string_equal(buf_text(&b),
	                    "|janedoe|13800138000|8613800138000|16502530000|85223456789|x");
	search_doc_add_name(&b, "吕");
	assert_string_equal(buf_text(&b), "|janedoe|13800138000|8613800138000|16502530000|"
	                                  "85223456789|x|吕|lv|l");
	/* A piece never contains the separator: punctuation is folded away. */
	search_doc_add_text(&b, "a|b");
	assert_string_equal(strrchr(buf_text(&b), '|'), "|ab");
	buf_free(&b);
}

/* ---- needles --------------------------------------------------------------------------- */

static void test_needles_of_text(void **state)
{
	(void)state;
	expect_needles("张伟", "张伟", NULL);
	expect_needles("张", "张", NULL);
	expect_needles("張偉", "张伟", NULL);
	expect_needles("ｊａｎｅ", "jane", NULL);
	expect_needles("Zhang Wei", "zhangwei", NULL);
	expect_needles("ZW", "zw", NULL);
	expect_needles("jane.doe@example.com", "janedoeexamplecom", NULL);
	expect_needles("客戶", "客户", NULL);
	expect_needles("", NULL, NULL);
	expect_needles("  !?。", NULL, NULL);
	expect_needles(NULL, NULL, NULL);
	expect_needles("\xff\xfe", NULL, NULL); /* not UTF-8 */
	/* Digits among letters are text, not a phone number. */
	expect_needles("room 13800138000", "room13800138000", NULL);
}

static void test_needles_of_phone_numbers(void **state)
{
	(void)state;
	expect_needles("138 0013 8000", "13800138000", "8613800138000");
	expect_needles("(138) 0013-8000", "13800138000", "8613800138000");
	expect_needles("１３８００１３８０００", "13800138000", "8613800138000");
	expect_needles("0086 138 0013 8000", "008613800138000", "8613800138000");
	expect_needles("010-6552 9988", "01065529988", "861065529988");
	/* Already the E.164 digits: one needle is enough. */
	expect_needles("+86 138-0013-8000", "8613800138000", NULL);
	/* Too short to read as a number, or not a possible one: text only. */
	expect_needles("8000", "8000", NULL);
	expect_needles("12345", "12345", NULL);
	expect_needles("+1 650 253 0000", "16502530000", NULL);
}

static void test_needles_of_phone_with_ideographic_spaces(void **state)
{
	(void)state;
	expect_needles("138\xe3\x80\x80"
	               "0013\xe3\x80\x80"
	               "8000",
	               "13800138000", "8613800138000");
	expect_needles("010\xe3\x80\x80"
	               "6552\xe3\x80\x80"
	               "9988",
	               "01065529988", "861065529988");
	expect_needles("\xe3\x80\x80"
	               "１３８　００１３　８０００\xe3\x80\x80",
	               "13800138000", "8613800138000");
	/* Ideographic text around digits is still text. */
	expect_needles("电话\xe3\x80\x80"
	               "13800138000",
	               "电话13800138000", NULL);
}

/* ---- the search box -------------------------------------------------------------------- */

static void test_finds_chinese_name_by_pinyin_and_script(void **state)
{
	struct fixture *fx = *state;
	struct crm_ctx *ctx = &fx->as_admin;
	int64_t zw = contact(ctx, "张伟", 0);
	int64_t zwm = contact(ctx, "张伟明", 0);
	int64_t ln = contact(ctx, "李娜", 0);
	int64_t jane = contact(ctx, "Jane Doe", 0);
	int64_t wz = contact(ctx, "王钊", 0); /* initials wz, not zw */
	char want[128], both[128];
	snprintf(want, sizeof want, "contact:%lld", (long long)zw);
	snprintf(both, sizeof both, "contact:%lld,contact:%lld", (long long)zw, (long long)zwm);
	/* One and two characters, three and more, pinyin, initials, traditional. */
	const char *const finds_both[] = {"张",        "张伟",   "張偉", "zhangwei", "ZhangWei",
	                                  "zhang wei", "zw",     "ZW",   "zhang",    "張",
	                                  "ｚｗ",      "zhangw", "wei",  "伟"};
	for (size_t i = 0; i < sizeof finds_both / sizeof finds_both[0]; i++)
		expect_hits(ctx, finds_both[i], both);
	expect_hits(ctx, "zwm",
	            (snprintf(want, sizeof want, "contact:%lld", (long long)zwm), want));
	expect_hits(ctx, "伟明", want);
	expect_hits(ctx, "zhangweiming", want);
	snprintf(want, sizeof want, "contact:%lld", (long long)ln);
	expect_hits(ctx, "李娜", want);
	expect_hits(ctx, "lina", want);
	expect_hits(ctx, "ln", want);
	expect_hits(ctx, "娜", want);
	snprintf(want, sizeof want, "contact:%lld", (long long)jane);
	expect_hits(ctx, "ｊａｎｅ", want);
	expect_hits(ctx, "JANE", want);
	expect_hits(ctx, "jane doe", want);
	expect_hits(ctx, "jd", want);
	expect_hits(ctx, "e d", ""); /* two Latin letters match the start of a field only */
	expect_hits(ctx, "Ja", want);
	expect_hits(ctx, "e doe", want); /* across the space: the name is one folded piece */
	snprintf(want, sizeof want, "contact:%lld", (long long)wz);
	expect_hits(ctx, "wz", want);
	expect_hits(ctx, "wangzhao", want);
	expect_hits(ctx, "赵", "");
	expect_hits(ctx, "zhao wei", "");
	expect_hits(ctx, "!!!", "");
	expect_hits(ctx, "", "");
}

static void test_finds_account_by_traditional_or_simplified_name(void **state)
{
	struct fixture *fx = *state;
	struct crm_ctx *ctx = &fx->as_admin;
	int64_t trad = account(ctx, "客戶有限公司");
	int64_t simp = account(ctx, "华为技术");
	int64_t latin = account(ctx, "Acme Trading");
	char want[64];
	snprintf(want, sizeof want, "account:%lld", (long long)trad);
	const char *const for_trad[] = {"客户",           "客戶",    "客户有限公司", "客戶有限公司",
	                                "有限",           "戶",      "kehu",         "khyxgs",
	                                "youxian gongsi", "客户有限"};
	for (size_t i = 0; i < sizeof for_trad / sizeof for_trad[0]; i++)
		expect_hits(ctx, for_trad[i], want);
	snprintf(want, sizeof want, "account:%lld", (long long)simp);
	const char *const for_simp[] = {"華為", "华为", "華為技術", "为技", "huawei", "hwjs"};
	for (size_t i = 0; i < sizeof for_simp / sizeof for_simp[0]; i++)
		expect_hits(ctx, for_simp[i], want);
	snprintf(want, sizeof want, "account:%lld", (long long)latin);
	expect_hits(ctx, "ＡＣＭＥ", want);
	expect_hits(ctx, "acme trading", want);
	expect_hits(ctx, "mетр", ""); /* Cyrillic look-alikes are other letters */
	/* The document is the stored one. */
	char *doc = stored_doc(fx->store, STORE_INDEX_ACCOUNTS, trad);
	assert_string_equal(doc, "|客户有限公司|kehuyouxiangongsi|khyxgs");
	free(doc);
}

static void test_finds_contacts_by_company_phone_email_tag(void **state)
{
	struct fixture *fx = *state;
	struct crm_ctx *ctx = &fx->as_admin;
	int64_t company = account(ctx, "華為技術");
	int64_t person = create(ctx, &contact_kind,
	                        json_pack("{s:s, s:I, s:[{s:s}], s:[{s:s}], s:[s, s]}", "name",
	                                  "Jane Doe", "account_id", (json_int_t)company, "phones",
	                                  "number", "138 0013 8000", "emails", "address",
	                                  "Jane.Doe@Example.com", "tags", "VIP客户", "golf"));
	int64_t other = contact(ctx, "李娜", 0);
	char want[64], with_account[64];
	snprintf(want, sizeof want, "contact:%lld", (long long)person);
	snprintf(with_account, sizeof with_account, "account:%lld,contact:%lld", (long long)company,
	         (long long)person);
	/* The company: the account and its people. */
	expect_hits(ctx, "华为", with_account);
	expect_hits(ctx, "華為技術", with_account);
	/* Phones: as typed, with country code, international prefix, full width, a fragment. */
	const char *const phones[] = {"13800138000",
	                              "138 0013 8000",
	                              "+86 138 0013 8000",
	                              "0086 138-0013-8000",
	                              "８６１３８００１３８０００",
	                              "0013",
	                              "8000",
	                              "86138"};
	for (size_t i = 0; i < sizeof phones / sizeof phones[0]; i++)
		expect_hits(ctx, phones[i], want);
	/* Emails and tags. */
	const char *const texts[] = {
	    "jane.doe@example.com", "JANE.DOE", "example.com", "vip", "VIP客户", "客户", "golf"};
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
		expect_hits(ctx, texts[i], want);
	expect_hits(ctx, "13900000000", "");
	expect_hits(ctx, "jane@example.com", ""); /* not a substring of the address */
	(void)other;
	char *doc = stored_doc(fx->store, STORE_INDEX_CONTACTS, person);
	assert_string_equal(doc, "|janedoe|jd|华为技术|13800138000|8613800138000|janedoeexamplecom|"
	                         "vip客户|golf");
	free(doc);
}

static void test_finds_phone_typed_with_ideographic_spaces(void **state)
{
	struct fixture *fx = *state;
	struct crm_ctx *ctx = &fx->as_admin;
	/* Stored with its country code, found by the national form typed with U+3000: only the
	 * E.164 needle can match. */
	int64_t person = create(
	    ctx, &contact_kind,
	    json_pack("{s:s, s:[{s:s}]}", "name", "王芳", "phones", "number", "+86 10 6552 9988"));
	char want[64];
	snprintf(want, sizeof want, "contact:%lld", (long long)person);
	expect_hits(ctx,
	            "010\xe3\x80\x80"
	            "6552\xe3\x80\x80"
	            "9988",
	            want);
	expect_hits(ctx, "０１０　６５５２　９９８８", want);
	expect_hits(ctx, "010 6552 9988", want);
	expect_hits(ctx, "010-65529988", want);
	/* The national form is nowhere in the document: the E.164 needle found it. */
	char *doc = stored_doc(fx->store, STORE_INDEX_CONTACTS, person);
	assert_string_equal(doc, "|王芳|wangfang|wf|861065529988|861065529988");
	free(doc);
	/* Ideographic text among the digits is text, and is not in the document. */
	expect_hits(ctx,
	            "电话\xe3\x80\x80"
	            "010\xe3\x80\x80"
	            "6552\xe3\x80\x80"
	            "9988",
	            "");
}

static void test_renamed_account_updates_its_contacts(void **state)
{
	struct fixture *fx = *state;
	struct crm_ctx *ctx = &fx->as_admin;
	int64_t acc = account(ctx, "旧名公司");
	int64_t person = contact(ctx, "李娜", acc);
	int64_t elsewhere = contact(ctx, "王芳", 0);
	char want[64];
	snprintf(want, sizeof want, "account:%lld,contact:%lld", (long long)acc, (long long)person);
	expect_hits(ctx, "旧名", want);
	update(ctx, &account_kind, acc, parse("{\"name\": \"新名科技\"}"));
	expect_hits(ctx, "新名", want);
	/* The company goes into its people's documents as text, without its pinyin. */
	snprintf(want, sizeof want, "account:%lld", (long long)acc);
	expect_hits(ctx, "xinming", want);
	snprintf(want, sizeof want, "account:%lld,contact:%lld", (long long)acc, (long long)person);
	expect_hits(ctx, "旧名", "");
	expect_hits(ctx, "jiuming", "");
	/* Another change of the account leaves its people's documents alone. */
	char *before = stored_doc(fx->store, STORE_INDEX_CONTACTS, person);
	update(ctx, &account_kind, acc, parse("{\"website\": \"xinming.cn\"}"));
	char *after = stored_doc(fx->store, STORE_INDEX_CONTACTS, person);
	assert_string_equal(before, after);
	free(before);
	free(after);
	/* A contact that moves takes its new company's name. */
	update(ctx, &contact_kind, elsewhere, json_pack("{s:I}", "account_id", (json_int_t)acc));
	snprintf(want, sizeof want, "account:%lld,contact:%lld,contact:%lld", (long long)acc,
	         (long long)person, (long long)elsewhere);
	expect_hits(ctx, "新名科技", want);
	update(ctx, &contact_kind, elsewhere, parse("{\"account_id\": null}"));
	snprintf(want, sizeof want, "account:%lld,contact:%lld", (long long)acc, (long long)person);
	expect_hits(ctx, "新名科技", want);
}

static void test_many_contacts_of_renamed_account(void **state)
{
	struct fixture *fx = *state;
	struct crm_ctx *ctx = &fx->as_admin;
	int64_t acc = account(ctx, "旧名公司");
	int64_t other = account(ctx, "别家");
	/* More than two batches of 256 (the rename reindexes in batches), and others between. */
	struct gx_error err = {0};
	assert_int_equal(store_begin(fx->store, &err), 0);
	for (int i = 0; i < 2 * 256 + 3; i++) {
		char name[32];
		snprintf(name, sizeof name, "员工%d", i);
		contact(ctx, name, acc);
		if (i % 100 == 0)
			contact(ctx, name, other);
	}
	assert_int_equal(store_commit(fx->store, &err), 0);
	update(ctx, &account_kind, acc, parse("{\"name\": \"新名科技\"}"));
	assert_int_equal(query_int(fx->store, "SELECT COUNT(*) FROM search_contacts WHERE "
	                                      "instr(doc, '新名科技') > 0"),
	                 2 * 256 + 3);
	assert_int_equal(query_int(fx->store, "SELECT COUNT(*) FROM search_contacts WHERE "
	                                      "instr(doc, '旧名') > 0"),
	                 0);
	assert_int_equal(query_int(fx->store, "SELECT COUNT(*) FROM search_contacts WHERE "
	                                      "instr(doc, '别家') > 0"),
	                 6);
	/* Through the search box, at most limit of each kind. */
	json_t *result = run(ctx, "新名科技", 600);
	assert_int_equal(json_array_size(json_object_get(result, "data")), 1 + 2 * 256 + 3);
	json_decref(result);
}

static void test_deleted_records_leave_the_index(void **state)
{
	struct fixture *fx = *state;
	struct crm_ctx *ctx = &fx->as_admin;
	int64_t acc = account(ctx, "华为技术");
	int64_t person = create(ctx, &contact_kind,
	                        json_pack("{s:s, s:I, s:[{s:s}]}", "name", "张伟", "account_id",
	                                  (json_int_t)acc, "phones", "number", "13800138000"));
	char want[64];
	snprintf(want, sizeof want, "account:%lld,contact:%lld", (long long)acc, (long long)person);
	expect_hits(ctx, "华为", want);
	struct gx_error err = {0};
	assert_int_equal(records_delete(ctx, &contact_kind, person, &err), 0);
	snprintf(want, sizeof want, "account:%lld", (long long)acc);
	expect_hits(ctx, "华为", want);
	expect_hits(ctx, "zw", "");
	expect_hits(ctx, "张伟", "");
	expect_hits(ctx, "13800138000", "");
	assert_int_equal(records_delete(ctx, &account_kind, acc, &err), 0);
	expect_hits(ctx, "华为", "");
	expect_hits(ctx, "huawei", "");
	assert_int_equal(query_int(fx->store, "SELECT COUNT(*) FROM search_contacts"), 0);
	assert_int_equal(query_int(fx->store, "SELECT COUNT(*) FROM search_accounts"), 0);
	/* The trigram index forgot them too. */
	assert_int_equal(query_int(fx->store, "SELECT COUNT(*) FROM search_accounts_fts WHERE "
	                                      "search_accounts_fts MATCH '\"huawei\"'"),
	                 0);
	assert_int_equal(query_int(fx->store, "SELECT COUNT(*) FROM search_contacts_fts WHERE "
	                                      "search_contacts_fts MATCH '\"zhangwei\"'"),
	                 0);
}

static void test_search_respects_visibility(void **state)
{
	struct fixture *fx = *state;
	int64_t north = account(&fx->as_alice, "张氏北方");
	int64_t mate = contact(&fx->as_anna, "张伟", north);
	int64_t south = account(&fx->as_carol, "张氏南方");
	int64_t theirs = contact(&fx->as_carol, "张伟", south);
	int64_t nobody =
	    create(&fx->as_admin, &contact_kind, parse("{\"name\": \"张伟\", \"owner_id\": null}"));
	char want[128];
	snprintf(want, sizeof want, "account:%lld,contact:%lld", (long long)north, (long long)mate);
	expect_hits(&fx->as_alice, "张", want);
	expect_hits(&fx->as_alice, "zw",
	            (snprintf(want, sizeof want, "contact:%lld", (long long)mate), want));
	snprintf(want, sizeof want, "account:%lld,contact:%lld", (long long)south,
	         (long long)theirs);
	expect_hits(&fx->as_carol, "张", want);
	expect_hits(&fx->as_carol, "北方", "");
	snprintf(want, sizeof want, "contact:%lld,contact:%lld,contact:%lld", (long long)mate,
	         (long long)theirs, (long long)nobody);
	expect_hits(&fx->as_admin, "zhangwei", want);
	/* A limit counts only what the actor sees. */
	json_t *result = run(&fx->as_carol, "张伟", 1);
	json_t *data = json_object_get(result, "data");
	assert_int_equal(json_array_size(data), 1);
	assert_int_equal(num(json_array_get(data, 0), "id"), theirs);
	json_decref(result);
}

static void test_search_limit_and_hit_shape(void **state)
{
	struct fixture *fx = *state;
	struct crm_ctx *ctx = &fx->as_admin;
	int64_t acc = account(ctx, "王氏集团");
	account(ctx, "王家");
	account(ctx, "王府井百货");
	int64_t full = create(ctx, &contact_kind,
	                      json_pack("{s:s, s:I, s:[{s:s}], s:[{s:s}]}", "name", "王芳",
	                                "account_id", (json_int_t)acc, "phones", "number",
	                                "138 0013 8000", "emails", "address", "fang@example.com"));
	contact(ctx, "王小明", 0);
	contact(ctx, "王大锤子", 0);
	int64_t bare = contact(ctx, "王", 0);
	json_t *result = run(ctx, "王", 2);
	json_t *data = json_object_get(result, "data");
	/* At most limit of each kind, accounts first, shorter names first. */
	assert_int_equal(json_array_size(data), 4);
	json_t *a0 = json_array_get(data, 0), *a1 = json_array_get(data, 1),
	       *c0 = json_array_get(data, 2), *c1 = json_array_get(data, 3);
	assert_string_equal(str(a0, "kind"), "account");
	assert_string_equal(str(a0, "name"), "王家");
	assert_string_equal(str(a1, "kind"), "account");
	assert_string_equal(str(a1, "name"), "王氏集团");
	assert_string_equal(str(c0, "kind"), "contact");
	assert_int_equal(num(c0, "id"), bare);
	assert_string_equal(str(c1, "name"), "王芳");
	/* Account hits: kind, id, name, tier. */
	assert_int_equal(json_object_size(a1), 4);
	assert_int_equal(num(a1, "id"), acc);
	assert_string_equal(str(a1, "tier"), "bronze");
	/* Contact hits add their company and contact points. */
	assert_int_equal(num(c1, "id"), full);
	assert_int_equal(num(c1, "account_id"), acc);
	assert_string_equal(str(c1, "account_name"), "王氏集团");
	assert_string_equal(str(c1, "tier"), "bronze");
	json_t *phone = json_array_get(json_object_get(c1, "phones"), 0);
	assert_string_equal(str(phone, "e164"), "+8613800138000");
	assert_string_equal(str(phone, "number"), "138 0013 8000");
	assert_string_equal(str(json_array_get(json_object_get(c1, "emails"), 0), "address"),
	                    "fang@example.com");
	assert_true(json_is_null(json_object_get(c0, "account_id")));
	assert_true(json_is_null(json_object_get(c0, "account_name")));
	assert_int_equal(json_array_size(json_object_get(c0, "phones")), 0);
	json_decref(result);
	/* A larger limit gives them all; nothing matching gives an empty list. */
	result = run(ctx, "王", 100);
	assert_int_equal(json_array_size(json_object_get(result, "data")), 7);
	json_decref(result);
	result = run(ctx, "赵", 100);
	assert_int_equal(json_array_size(json_object_get(result, "data")), 0);
	json_decref(result);
	result = run(ctx, "", 100);
	assert_int_equal(json_array_size(json_object_get(result, "data")), 0);
	json_decref(result);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_contact_document),
	    cmocka_unit_test(test_latin_name_is_not_repeated_as_pinyin),
	    cmocka_unit_test(test_account_document),
	    cmocka_unit_test(test_document_of_nothing_searchable),
	    cmocka_unit_test(test_document_pieces),
	    cmocka_unit_test(test_needles_of_text),
	    cmocka_unit_test(test_needles_of_phone_numbers),
	    cmocka_unit_test(test_needles_of_phone_with_ideographic_spaces),
	    T(test_finds_chinese_name_by_pinyin_and_script),
	    T(test_finds_account_by_traditional_or_simplified_name),
	    T(test_finds_contacts_by_company_phone_email_tag),
	    T(test_finds_phone_typed_with_ideographic_spaces),
	    T(test_renamed_account_updates_its_contacts),
	    T(test_many_contacts_of_renamed_account),
	    T(test_deleted_records_leave_the_index),
	    T(test_search_respects_visibility),
	    T(test_search_limit_and_hit_shape),
	};
#undef T
	return cmocka_run_group_tests(tests, testdb_group_setup, NULL);
}
