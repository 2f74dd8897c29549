/* test_demo.c — crm/demo: the demo data of 2,000 contacts has the promised shape (counts near
 * the ratios, names and numbers of the regions), every stored E.164 form is libphonenumber's,
 * tiers and search documents are what orders.c and search.c would derive, references and JSON
 * are valid, the schema (indexes, FTS settings, foreign keys) is as before, the same seed gives
 * byte-identical rows, and a database with customers is refused. */
#include "testdb.h"

#include "base/config.h"
#include "base/money.h"
#include "base/phone.h"
#include "crm/demo.h"
#include "crm/search.h"

#define CONTACTS 2000
#define SEED 7
#define NOW 1763856000 /* 2025-11-23T00:00:00Z */

struct fixture {
	char dir[64];
	char path[96];
	struct config config;
	struct crm_ctx ctx;
	struct demo_stats stats;
	int progress_calls;
};

/* ---- helpers ------------------------------------------------------------------------- */

static void open_db(struct fixture *f, const char *name)
{
	struct gx_error err = {0};
	snprintf(f->path, sizeof f->path, "%s/%s", f->dir, name);
	config_defaults(&f->config);
	f->ctx.config = &f->config;
	f->ctx.actor = access_system_actor();
	assert_int_equal(store_open(&f->ctx.store, f->path, &err), 0);
	assert_int_equal(store_migrate(f->ctx.store, &err), 0);
}

static void count_progress(void *arg, const char *phase, int64_t done, int64_t total)
{
	struct fixture *f = arg;
	assert_non_null(phase);
	assert_true(done <= total);
	f->progress_calls++;
}

static int generate(struct fixture *f, int contacts, uint64_t seed, struct gx_error *err)
{
	struct demo_options opt = {.contacts = contacts,
	                           .seed = seed,
	                           .now = NOW,
	                           .progress = count_progress,
	                           .progress_arg = f};
	return demo_generate(&f->ctx, &opt, &f->stats, err);
}

/* FNV-1a over every value of every row of a query, NULL distinct from "". */
static uint64_t query_hash(struct store *store, const char *sql, int columns)
{
	struct gx_error err = {0};
	struct store_stmt *stmt = store_prepare(store, sql, &err);
	assert_non_null(stmt);
	uint64_t h = 1469598103934665603ull;
	int rc;
	while ((rc = store_step(stmt, &err)) == STORE_ROW) {
		for (int i = 0; i < columns; i++) {
			const char *v =
			    store_col_is_null(stmt, i) ? "\x01NULL" : store_col_text(stmt, i);
			for (const char *p = v; *p; p++)
				h = (h ^ (unsigned char)*p) * 1099511628211ull;
			h = (h ^ 0xff) * 1099511628211ull;
		}
	}
	assert_int_equal(rc, STORE_DONE);
	store_done(stmt);
	return h;
}

static uint64_t database_hash(struct store *store)
{
	static const struct {
		const char *sql;
		int columns;
	} tables[] = {
	    {"SELECT id, username, password_hash, role, team, display_name, locale, active, "
	     "created_at, updated_at, version FROM users ORDER BY id",
	     11},
	    {"SELECT id, name, industry, website, parent_id, owner_id, tags, notes, tier, "
	     "created_at, updated_at, version FROM accounts ORDER BY id",
	     12},
	    {"SELECT id, name, account_id, title, birthday, phones, emails, addresses, owner_id, "
	     "tags, consent, notes, tier, created_at, updated_at, version FROM contacts ORDER BY "
	     "id",
	     16},
	    {"SELECT id, department, reports_to_id, buying_role FROM contacts ORDER BY id", 4},
	    {"SELECT id, contact_id, account_id, title, department, buying_role, valid_from, "
	     "valid_to FROM contact_positions ORDER BY id",
	     8},
	    {"SELECT id, from_kind, from_id, to_kind, to_id, type, strength, note, valid_from, "
	     "valid_to, created_at, updated_at, version FROM relationships ORDER BY id",
	     13},
	    {"SELECT e164, contact_id FROM contact_phones ORDER BY e164, contact_id", 2},
	    {"SELECT id, contact_id, account_id, channel, direction, occurred_at, duration_s, "
	     "subject, body, outcome, user_id, created_at, updated_at, version FROM interactions "
	     "ORDER BY id",
	     14},
	    {"SELECT id, account_id, contact_id, ordered_at, amount_minor, cost_minor, currency, "
	     "source, external_ref, status, lines, created_at, updated_at, version FROM orders "
	     "ORDER BY id",
	     14},
	    {"SELECT id, at, user_id, entity, entity_id, action, changes FROM audit ORDER BY id",
	     7},
	    {"SELECT id, doc FROM search_contacts ORDER BY id", 2},
	    {"SELECT id, doc FROM search_accounts ORDER BY id", 2},
	};
	uint64_t h = 0;
	for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++)
		h = h * 31 + query_hash(store, tables[i].sql, tables[i].columns);
	return h;
}

static void remove_db(const char *path)
{
	char side[128];
	unlink(path);
	snprintf(side, sizeof side, "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof side, "%s-shm", path);
	unlink(side);
}

/* ---- fixture: one database of CONTACTS contacts, made once ------------------------------ */

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	assert_non_null(f);
	snprintf(f->dir, sizeof f->dir, "/tmp/test_demo.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	open_db(f, "demo.db");
	struct gx_error err = {0};
	assert_int_equal(generate(f, CONTACTS, SEED, &err), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	store_close(f->ctx.store);
	remove_db(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* ---- tests ----------------------------------------------------------------------------- */

static void test_counts_follow_the_ratios(void **state)
{
	struct fixture *f = *state;
	struct store *s = f->ctx.store;
	assert_int_equal(f->stats.users, 12);
	assert_int_equal(f->stats.accounts, CONTACTS / 5);
	assert_int_equal(f->stats.contacts, CONTACTS);
	assert_true(f->stats.interactions > CONTACTS * 7 && f->stats.interactions < CONTACTS * 14);
	assert_true(f->stats.orders > CONTACTS * 3 / 2 && f->stats.orders < CONTACTS * 5 / 2);
	assert_true(f->stats.seconds > 0);
	assert_true(f->progress_calls > 0);
	assert_int_equal(query_int(s, "SELECT COUNT(*) FROM users"), f->stats.users);
	assert_int_equal(query_int(s, "SELECT COUNT(*) FROM accounts"), f->stats.accounts);
	assert_int_equal(query_int(s, "SELECT COUNT(*) FROM contacts"), f->stats.contacts);
	assert_int_equal(query_int(s, "SELECT COUNT(*) FROM interactions"), f->stats.interactions);
	assert_int_equal(query_int(s, "SELECT COUNT(*) FROM orders"), f->stats.orders);
	/* about one in ten has no company, every company has people */
	int64_t alone = query_int(s, "SELECT COUNT(*) FROM contacts WHERE account_id IS NULL");
	assert_true(alone > CONTACTS / 20 && alone < CONTACTS / 6);
	assert_int_equal(query_int(s, "SELECT COUNT(*) FROM accounts a WHERE NOT EXISTS "
	                              "(SELECT 1 FROM contacts c WHERE c.account_id = a.id)"),
	                 0);
	/* some contacts have no interactions, some have many */
	assert_true(query_int(s, "SELECT COUNT(*) FROM contacts c WHERE NOT EXISTS "
	                         "(SELECT 1 FROM interactions i WHERE i.contact_id = c.id)") > 0);
	assert_true(query_int(s, "SELECT MAX(n) FROM (SELECT COUNT(*) AS n FROM interactions "
	                         "GROUP BY contact_id)") >= 30);
}

/* Issue 4's data: every company's people in one org chart (managers at the same company, the
 * boss a decision maker), a position history with one open row each, and relationships of the
 * allowed kinds, never twice nor both ways round. */
static void test_org_charts_positions_and_relationships(void **state)
{
	struct fixture *f = *state;
	struct store *s = f->ctx.store;
	/* people at a company have a department; others have none, nor a manager or a role */
	assert_int_equal(query_int(s, "SELECT COUNT(*) FROM contacts WHERE account_id IS NOT NULL "
	                              "AND department IS NULL"),
	                 0);
	assert_int_equal(query_int(s, "SELECT COUNT(*) FROM contacts WHERE account_id IS NULL AND "
	                              "(department IS NOT NULL OR reports_to_id IS NOT NULL OR "
	                              "buying_role IS NOT NULL)"),
	                 0);
	/* one boss per company, everyone else reports to an earlier person of the same company */
	assert_int_equal(query_int(s, "SELECT COUNT(*) FROM contacts WHERE account_id IS NOT NULL "
	                              "AND reports_to_id IS NULL"),
	                 f->stats.accounts);
	assert_int_equal(query_int(s, "SELECT COUNT(*) FROM contacts c JOIN contacts m ON m.id = "
	                              "c.reports_to_id WHERE m.account_id IS NOT c.account_id OR "
	                              "m.id >= c.id"),
	                 0);
	assert_true(query_int(s, "SELECT COUNT(*) FROM contacts WHERE reports_to_id IS NULL AND "
	                         "account_id IS NOT NULL AND buying_role = 'decision_maker'") >
	            f->stats.accounts * 8 / 10);
	assert_true(query_int(s, "SELECT COUNT(DISTINCT buying_role) FROM contacts") == 7);
	assert_true(query_int(s, "SELECT COUNT(DISTINCT department) FROM contacts") >= 9);
	/* the biggest company is several levels deep */
	assert_true(query_int(s,
	                      "WITH RECURSIVE d(id, n) AS (SELECT id, 0 FROM contacts WHERE "
	                      "reports_to_id IS NULL AND account_id IS NOT NULL UNION ALL SELECT "
	                      "c.id, d.n + 1 FROM contacts c JOIN d ON c.reports_to_id = d.id) "
	                      "SELECT MAX(n) FROM d") >= 2);
	/* positions: one open row per person with a company or a title, matching the contact */
	assert_int_equal(query_int(s, "SELECT COUNT(*) FROM contact_positions"),
	                 f->stats.positions);
	assert_int_equal(query_int(s,
	                           "SELECT COUNT(*) FROM contacts c WHERE (account_id IS NOT "
	                           "NULL OR title IS NOT NULL) AND (SELECT COUNT(*) FROM "
	                           "contact_positions p WHERE p.contact_id = c.id AND p.valid_to "
	                           "IS NULL AND p.account_id IS c.account_id AND p.title IS "
	                           "c.title AND p.department IS c.department AND p.buying_role "
	                           "IS c.buying_role) <> 1"),
	                 0);
	assert_int_equal(query_int(s, "SELECT COUNT(*) FROM contact_positions WHERE valid_to IS "
	                              "NOT NULL AND valid_to < valid_from"),
	                 0);
	/* the open row is each person's newest (positions.c lists by id, newest first) */
	assert_int_equal(query_int(s, "SELECT COUNT(*) FROM contact_positions p WHERE valid_to IS "
	                              "NULL AND EXISTS (SELECT 1 FROM contact_positions q WHERE "
	                              "q.contact_id = p.contact_id AND q.id > p.id)"),
	                 0);
	int64_t closed = query_int(s, "SELECT COUNT(*) FROM contact_positions WHERE valid_to IS "
	                              "NOT NULL");
	assert_true(closed > CONTACTS / 10 && closed < CONTACTS / 2);
	/* relationships of both kinds, none twice nor both ways round */
	assert_int_equal(query_int(s, "SELECT COUNT(*) FROM relationships"),
	                 f->stats.relationships);
	assert_true(f->stats.relationships > CONTACTS / 20 &&
	            f->stats.relationships < CONTACTS / 3);
	assert_true(query_int(s, "SELECT COUNT(DISTINCT type) FROM relationships WHERE from_kind = "
	                         "'account'") >= 4);
	assert_true(query_int(s, "SELECT COUNT(DISTINCT type) FROM relationships WHERE from_kind = "
	                         "'contact'") >= 4);
	assert_int_equal(query_int(s, "SELECT COUNT(*) FROM relationships a JOIN relationships b "
	                              "ON a.from_kind = b.from_kind AND a.from_id = b.to_id AND "
	                              "a.to_id = b.from_id AND a.type = b.type"),
	                 0);
	/* both ends exist */
	assert_int_equal(query_int(s, "SELECT COUNT(*) FROM relationships WHERE (from_kind = "
	                              "'contact' AND (from_id NOT IN (SELECT id FROM contacts) OR "
	                              "to_id NOT IN (SELECT id FROM contacts))) OR (from_kind = "
	                              "'account' AND (from_id NOT IN (SELECT id FROM accounts) OR "
	                              "to_id NOT IN (SELECT id FROM accounts)))"),
	                 0);
	assert_int_equal(query_int(s,
	                           "SELECT COUNT(*) FROM relationships r JOIN contacts a ON a.id "
	                           "= r.from_id JOIN contacts b ON b.id = r.to_id WHERE r.type = "
	                           "'colleague' AND a.account_id IS NOT b.account_id"),
	                 0);
}

static void test_names_mix_scripts_and_languages(void **state)
{
	struct store *s = ((struct fixture *)*state)->ctx.store;
	/* Chinese names start with a CJK ideograph (UTF-8 lead byte E3..E9) */
	int64_t chinese = query_int(s, "SELECT COUNT(*) FROM contacts WHERE "
	                               "unicode(name) BETWEEN 19968 AND 40959");
	assert_true(chinese > CONTACTS * 6 / 10 && chinese < CONTACTS * 8 / 10);
	assert_true(query_int(s, "SELECT COUNT(*) FROM contacts WHERE name GLOB '張*' OR "
	                         "name GLOB '陳*' OR name GLOB '劉*' OR name GLOB '黃*'") > 0);
	assert_true(
	    query_int(s,
	              "SELECT COUNT(*) FROM accounts WHERE name GLOB '*股份有限公司' "
	              "AND (name GLOB '台灣*' OR name GLOB '*資訊*' OR name GLOB '*貿易*')") > 0);
	assert_true(query_int(s, "SELECT COUNT(*) FROM accounts WHERE name GLOB '*有限公司'") >
	            CONTACTS / 10);
	assert_true(query_int(s, "SELECT COUNT(*) FROM accounts WHERE name GLOB '[A-Z]* *'") > 0);
	assert_int_equal(query_int(s, "SELECT COUNT(*) FROM accounts WHERE industry IS NULL OR "
	                              "owner_id IS NULL"),
	                 0);
}

static void test_users_cannot_log_in_yet(void **state)
{
	struct store *s = ((struct fixture *)*state)->ctx.store;
	assert_int_equal(query_int(s, "SELECT COUNT(*) FROM users WHERE password_hash <> '!'"), 0);
	assert_int_equal(query_int(s, "SELECT COUNT(*) FROM users WHERE role = 'sales'"), 6);
	assert_int_equal(query_int(s, "SELECT COUNT(*) FROM users WHERE role = 'manager'"), 2);
	assert_int_equal(query_int(s, "SELECT COUNT(*) FROM users WHERE role = 'service'"), 2);
	assert_int_equal(query_int(s, "SELECT COUNT(DISTINCT team) FROM users WHERE role IN "
	                              "('sales', 'manager')"),
	                 2);
	assert_int_equal(query_int(s, "SELECT COUNT(DISTINCT locale) FROM users"), 3);
	/* records are owned by sales reps */
	assert_int_equal(query_int(s, "SELECT COUNT(*) FROM accounts a JOIN users u ON "
	                              "u.id = a.owner_id WHERE u.role <> 'sales'"),
	                 0);
}

/* Every number as typed normalises, through libphonenumber, to the stored E.164 form; and the
 * caller-id index holds exactly the distinct numbers of each contact. */
static void test_e164_is_what_libphonenumber_says(void **state)
{
	struct store *s = ((struct fixture *)*state)->ctx.store;
	struct gx_error err = {0};
	struct store_stmt *stmt = store_prepare(s, "SELECT phones FROM contacts ORDER BY id", &err);
	assert_non_null(stmt);
	int numbers = 0, national = 0, fullwidth = 0;
	while (store_step(stmt, &err) == STORE_ROW) {
		json_t *phones = json_loads(store_col_text(stmt, 0), 0, NULL);
		assert_true(json_is_array(phones));
		assert_true(json_array_size(phones) >= 1 && json_array_size(phones) <= 3);
		size_t i;
		json_t *phone;
		json_array_foreach(phones, i, phone)
		{
			const char *typed = json_string_value(json_object_get(phone, "number"));
			const char *e164 = json_string_value(json_object_get(phone, "e164"));
			char want[PHONE_E164_MAX];
			assert_non_null(typed);
			assert_non_null(e164);
			assert_int_equal(phone_to_e164(typed, "CN", want, sizeof want), 0);
			assert_string_equal(e164, want);
			numbers++;
			national += typed[0] != '+' && typed[0] != '(';
			fullwidth += strstr(typed, "\xef\xbc") != NULL;
		}
		json_decref(phones);
	}
	store_done(stmt);
	assert_true(numbers > CONTACTS * 3 / 2);
	assert_true(national > numbers / 4);
	assert_true(fullwidth > 0);
	/* each region shows up */
	assert_true(query_int(s, "SELECT COUNT(*) FROM contact_phones WHERE e164 GLOB '+852*'") >
	            0);
	assert_true(query_int(s, "SELECT COUNT(*) FROM contact_phones WHERE e164 GLOB '+886*'") >
	            0);
	assert_true(query_int(s, "SELECT COUNT(*) FROM contact_phones WHERE e164 GLOB '+1*'") > 0);
	assert_true(query_int(s, "SELECT COUNT(*) FROM contact_phones WHERE e164 GLOB '+8610*'") >
	            0);
	assert_int_equal(
	    query_int(s, "SELECT (SELECT COUNT(*) FROM contact_phones) - "
	                 "(SELECT COUNT(*) FROM (SELECT DISTINCT c.id, p.value ->> 'e164' "
	                 "FROM contacts c, json_each(c.phones) p))"),
	    0);
	assert_int_equal(query_int(s, "SELECT COUNT(*) FROM contact_phones cp WHERE NOT EXISTS "
	                              "(SELECT 1 FROM contacts c, json_each(c.phones) p WHERE "
	                              "c.id = cp.contact_id AND p.value ->> 'e164' = cp.e164)"),
	                 0);
}

static void test_json_columns_parse(void **state)
{
	struct store *s = ((struct fixture *)*state)->ctx.store;
	assert_int_equal(query_int(s, "SELECT COUNT(*) FROM contacts WHERE NOT json_valid(phones) "
	                              "OR NOT json_valid(emails) OR NOT json_valid(addresses) OR "
	                              "NOT json_valid(tags) OR NOT json_valid(consent)"),
	                 0);
	assert_int_equal(query_int(s, "SELECT COUNT(*) FROM accounts WHERE NOT json_valid(tags)"),
	                 0);
	assert_int_equal(query_int(s, "SELECT COUNT(*) FROM orders WHERE NOT json_valid(lines)"),
	                 0);
	assert_int_equal(query_int(s, "SELECT COUNT(*) FROM contacts WHERE json_type(consent, "
	                              "'$.email') NOT IN ('true', 'false')"),
	                 0);
	assert_int_equal(query_int(s, "SELECT COUNT(*) FROM contacts WHERE birthday IS NOT NULL "
	                              "AND date(birthday) IS NOT birthday"),
	                 0);
	assert_true(query_int(s, "SELECT COUNT(*) FROM contacts, json_each(emails) e WHERE "
	                         "e.value ->> 'address' NOT GLOB '?*@?*.?*'") == 0);
}

static int64_t tier_rank(const struct config *c, int64_t revenue)
{
	return revenue >= c->tier_gold ? 2 : revenue >= c->tier_silver ? 1 : 0;
}

static void check_tiers(struct fixture *f, const char *sql)
{
	struct gx_error err = {0};
	struct store_stmt *stmt = store_prepare(f->ctx.store, sql, &err);
	assert_non_null(stmt);
	int seen[3] = {0};
	while (store_step(stmt, &err) == STORE_ROW) {
		static const char *const names[] = {"bronze", "silver", "gold"};
		int64_t rank = tier_rank(&f->config, store_col_int(stmt, 1));
		assert_string_equal(store_col_text(stmt, 0), names[rank]);
		seen[rank]++;
	}
	store_done(stmt);
	assert_true(seen[0] > 0 && seen[1] > 0);
}

static void test_tiers_follow_completed_revenue(void **state)
{
	struct fixture *f = *state;
	check_tiers(f, "SELECT a.tier, COALESCE((SELECT SUM(amount_minor) FROM orders o WHERE "
	               "o.account_id = a.id AND o.status = 'completed' AND o.currency = 'CNY'), 0) "
	               "FROM accounts a");
	check_tiers(f, "SELECT c.tier, COALESCE((SELECT SUM(amount_minor) FROM orders o WHERE "
	               "o.contact_id = c.id AND o.status = 'completed' AND o.currency = 'CNY'), 0) "
	               "FROM contacts c");
	assert_true(query_int(f->ctx.store, "SELECT COUNT(*) FROM accounts WHERE tier = 'gold'") >
	            0);
}

/* The top fifth of the companies brings about four fifths of the revenue. */
static void test_revenue_follows_pareto(void **state)
{
	struct store *s = ((struct fixture *)*state)->ctx.store;
	int64_t share = query_int(
	    s, "WITH r AS (SELECT SUM(amount_minor) AS v FROM orders WHERE status = 'completed' "
	       "AND account_id IS NOT NULL GROUP BY account_id), t AS (SELECT v, ROW_NUMBER() OVER "
	       "(ORDER BY v DESC) AS n, COUNT(*) OVER () AS total FROM r) SELECT 100 * "
	       "SUM(CASE WHEN n <= total / 5 THEN v ELSE 0 END) / SUM(v) FROM t");
	assert_true(share >= 65 && share <= 92);
}

static void test_order_lines_add_up(void **state)
{
	struct store *s = ((struct fixture *)*state)->ctx.store;
	struct gx_error err = {0};
	struct store_stmt *stmt = store_prepare(
	    s,
	    "SELECT amount_minor, cost_minor, lines, currency, source, external_ref, id, "
	    "ordered_at FROM orders",
	    &err);
	assert_non_null(stmt);
	while (store_step(stmt, &err) == STORE_ROW) {
		int64_t amount = store_col_int(stmt, 0), cost = store_col_int(stmt, 1), total = 0;
		json_t *lines = json_loads(store_col_text(stmt, 2), 0, NULL);
		assert_true(json_array_size(lines) >= 1);
		size_t i;
		json_t *line;
		json_array_foreach(lines, i, line)
		{
			int64_t price;
			assert_non_null(json_string_value(json_object_get(line, "sku")));
			assert_non_null(json_string_value(json_object_get(line, "name")));
			assert_int_equal(
			    money_parse(json_string_value(json_object_get(line, "unit_price")),
			                &price),
			    0);
			total += json_integer_value(json_object_get(line, "qty")) * price;
		}
		json_decref(lines);
		assert_int_equal(total, amount);
		assert_true(cost * 100 >= amount * 55 - 100 && cost * 100 <= amount * 85);
		assert_string_equal(store_col_text(stmt, 3), "CNY");
		assert_string_equal(store_col_text(stmt, 4), "demo");
		char ref[32];
		snprintf(ref, sizeof ref, "DEMO-%lld", (long long)store_col_int(stmt, 6));
		assert_string_equal(store_col_text(stmt, 5), ref);
		assert_true(store_col_int(stmt, 7) <= NOW &&
		            store_col_int(stmt, 7) >= NOW - 3 * 365 * 86400LL);
	}
	store_done(stmt);
	assert_int_equal(
	    query_int(s, "SELECT COUNT(*) FROM interactions WHERE occurred_at > 1763856000 "
	                 "OR occurred_at < 1763856000 - 3 * 365 * 86400"),
	    0);
	assert_int_equal(query_int(s,
	                           "SELECT COUNT(*) FROM interactions WHERE (duration_s IS NULL) = "
	                           "(channel IN ('phone', 'visit', 'meeting'))"),
	                 0);
	assert_int_equal(query_int(s,
	                           "SELECT COUNT(*) FROM interactions i JOIN contacts c ON "
	                           "c.id = i.contact_id WHERE i.account_id IS NOT c.account_id OR "
	                           "i.user_id IS NOT c.owner_id OR i.occurred_at < c.created_at"),
	                 0);
}

/* The stored documents are the ones search.c would write for the stored records. */
static void test_search_documents_match_search_c(void **state)
{
	struct store *s = ((struct fixture *)*state)->ctx.store;
	struct gx_error err = {0};
	struct store_stmt *stmt = store_prepare(
	    s,
	    "SELECT c.name, c.phones, c.emails, c.tags, a.name, d.doc FROM contacts c "
	    "LEFT JOIN accounts a ON a.id = c.account_id LEFT JOIN search_contacts d ON "
	    "d.id = c.id ORDER BY c.id",
	    &err);
	assert_non_null(stmt);
	int n = 0;
	while (store_step(stmt, &err) == STORE_ROW) {
		json_t *contact = json_pack("{s:s, s:o, s:o, s:o}", "name", store_col_text(stmt, 0),
		                            "phones", json_loads(store_col_text(stmt, 1), 0, NULL),
		                            "emails", json_loads(store_col_text(stmt, 2), 0, NULL),
		                            "tags", json_loads(store_col_text(stmt, 3), 0, NULL));
		char *want = search_contact_doc(contact, store_col_text(stmt, 4));
		assert_non_null(store_col_text(stmt, 5));
		assert_string_equal(store_col_text(stmt, 5), want);
		free(want);
		json_decref(contact);
		n++;
	}
	store_done(stmt);
	assert_int_equal(n, CONTACTS);
	stmt = store_prepare(s,
	                     "SELECT a.name, a.website, a.tags, d.doc FROM accounts a LEFT JOIN "
	                     "search_accounts d ON d.id = a.id ORDER BY a.id",
	                     &err);
	assert_non_null(stmt);
	while (store_step(stmt, &err) == STORE_ROW) {
		json_t *account = json_pack("{s:s, s:s?, s:o}", "name", store_col_text(stmt, 0),
		                            "website", store_col_text(stmt, 1), "tags",
		                            json_loads(store_col_text(stmt, 2), 0, NULL));
		char *want = search_account_doc(account);
		assert_non_null(store_col_text(stmt, 3));
		assert_string_equal(store_col_text(stmt, 3), want);
		free(want);
		json_decref(account);
	}
	store_done(stmt);
}

/* The trigram index answers for the documents (built in bulk, it must still be whole). */
static void test_search_index_is_whole(void **state)
{
	struct store *s = ((struct fixture *)*state)->ctx.store;
	struct gx_error err = {0};
	struct store_stmt *stmt = store_prepare(
	    s, "INSERT INTO search_contacts_fts(search_contacts_fts) VALUES ('integrity-check')",
	    &err);
	assert_non_null(stmt);
	assert_int_equal(store_exec(stmt, &err), 0);
	char sql[256];
	const char *needle = "有限公司";
	snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM %s",
	         store_search_source(STORE_INDEX_CONTACTS, needle));
	stmt = store_prepare(s, sql, &err);
	assert_non_null(stmt);
	store_search_bind(stmt, 1, needle);
	assert_int_equal(store_step(stmt, &err), STORE_ROW);
	int64_t found = store_col_int(stmt, 0);
	store_done(stmt);
	assert_int_equal(found, query_int(s, "SELECT COUNT(*) FROM search_contacts WHERE "
	                                     "instr(doc, '有限公司') > 0"));
	assert_true(found > CONTACTS / 2);
	/* the load's FTS5 settings are back to the defaults */
	assert_int_equal(
	    query_int(s, "SELECT v FROM search_contacts_fts_config WHERE k = 'automerge'"), 4);
	assert_int_equal(
	    query_int(s, "SELECT v FROM search_contacts_fts_config WHERE k = 'hashsize'"), 1048576);
}

static void test_references_and_schema_intact(void **state)
{
	struct store *s = ((struct fixture *)*state)->ctx.store;
	struct gx_error err = {0};
	struct store_stmt *stmt = store_prepare(s, "PRAGMA foreign_key_check", &err);
	assert_non_null(stmt);
	assert_int_equal(store_step(stmt, &err), STORE_DONE);
	store_done(stmt);
	assert_int_equal(query_int(s, "PRAGMA foreign_keys"), 1);
	/* the indexes dropped for the load are back */
	static const char *const indexes[] = {"contacts_account", "contacts_owner", "contacts_name",
	                                      "contact_phones_contact"};
	for (size_t i = 0; i < sizeof indexes / sizeof indexes[0]; i++) {
		char sql[160];
		snprintf(sql, sizeof sql,
		         "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = '%s'",
		         indexes[i]);
		assert_int_equal(query_int(s, sql), 1);
	}
	stmt = store_prepare(s, "PRAGMA integrity_check", &err);
	assert_non_null(stmt);
	assert_int_equal(store_step(stmt, &err), STORE_ROW);
	assert_string_equal(store_col_text(stmt, 0), "ok");
	store_done(stmt);
}

static void test_audit_has_one_import_per_table(void **state)
{
	struct fixture *f = *state;
	struct store *s = f->ctx.store;
	assert_int_equal(query_int(s, "SELECT COUNT(*) FROM audit"), 5);
	assert_int_equal(query_int(s, "SELECT COUNT(*) FROM audit WHERE action = 'import' AND "
	                              "entity_id = 0 AND user_id IS NULL AND at = 1763856000"),
	                 5);
	char sql[200];
	snprintf(sql, sizeof sql,
	         "SELECT COUNT(*) FROM audit WHERE entity = 'interaction' AND changes = "
	         "'{\"source\":\"demo\",\"rows\":%lld,\"seed\":7}'",
	         (long long)f->stats.interactions);
	assert_int_equal(query_int(s, sql), 1);
	snprintf(sql, sizeof sql,
	         "SELECT COUNT(*) FROM audit WHERE entity = 'relationship' AND changes = "
	         "'{\"source\":\"demo\",\"rows\":%lld,\"seed\":7}'",
	         (long long)f->stats.relationships);
	assert_int_equal(query_int(s, sql), 1);
}

static void test_refuses_a_database_with_customers(void **state)
{
	struct fixture *f = *state;
	struct gx_error err = {0};
	struct demo_options opt = {.contacts = 10, .seed = SEED, .now = NOW};
	struct demo_stats stats;
	int64_t before = query_int(f->ctx.store, "SELECT COUNT(*) FROM contacts");
	assert_int_equal(demo_generate(&f->ctx, &opt, &stats, &err), GX_ECONFLICT);
	assert_true(strlen(err.message) > 0);
	assert_int_equal(query_int(f->ctx.store, "SELECT COUNT(*) FROM contacts"), before);
}

static void test_refuses_bad_counts(void **state)
{
	struct fixture *f = *state;
	struct gx_error err = {0};
	struct demo_options opt = {.contacts = 0, .seed = SEED, .now = NOW};
	assert_int_equal(demo_generate(&f->ctx, &opt, NULL, &err), GX_EVALIDATION);
	assert_string_equal(err.field, "contacts");
	opt.contacts = 10000001;
	assert_int_equal(demo_generate(&f->ctx, &opt, NULL, &err), GX_EVALIDATION);
}

/* Same options, same rows, byte for byte; another seed, other rows. */
static void test_same_seed_same_rows(void **state)
{
	struct fixture *f = *state;
	struct fixture *again = calloc(1, sizeof *again);
	assert_non_null(again);
	memcpy(again->dir, f->dir, sizeof again->dir);
	open_db(again, "again.db");
	struct gx_error err = {0};
	assert_int_equal(generate(again, CONTACTS, SEED, &err), 0);
	assert_true(database_hash(again->ctx.store) == database_hash(f->ctx.store));
	store_close(again->ctx.store);
	remove_db(again->path);

	open_db(again, "other.db");
	assert_int_equal(generate(again, CONTACTS, SEED + 1, &err), 0);
	assert_true(database_hash(again->ctx.store) != database_hash(f->ctx.store));
	store_close(again->ctx.store);
	remove_db(again->path);
	free(again);
}

/* The smallest run still makes a whole, consistent database. */
static void test_one_contact(void **state)
{
	struct fixture *f = *state;
	struct fixture *tiny = calloc(1, sizeof *tiny);
	assert_non_null(tiny);
	memcpy(tiny->dir, f->dir, sizeof tiny->dir);
	open_db(tiny, "tiny.db");
	struct gx_error err = {0};
	assert_int_equal(generate(tiny, 1, SEED, &err), 0);
	assert_int_equal(tiny->stats.accounts, 1);
	assert_int_equal(tiny->stats.contacts, 1);
	assert_int_equal(query_int(tiny->ctx.store, "SELECT COUNT(*) FROM search_contacts"), 1);
	assert_int_equal(query_int(tiny->ctx.store, "SELECT COUNT(*) FROM search_accounts"), 1);
	store_close(tiny->ctx.store);
	remove_db(tiny->path);
	free(tiny);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_counts_follow_the_ratios),
	    cmocka_unit_test(test_org_charts_positions_and_relationships),
	    cmocka_unit_test(test_names_mix_scripts_and_languages),
	    cmocka_unit_test(test_users_cannot_log_in_yet),
	    cmocka_unit_test(test_e164_is_what_libphonenumber_says),
	    cmocka_unit_test(test_json_columns_parse),
	    cmocka_unit_test(test_tiers_follow_completed_revenue),
	    cmocka_unit_test(test_revenue_follows_pareto),
	    cmocka_unit_test(test_order_lines_add_up),
	    cmocka_unit_test(test_search_documents_match_search_c),
	    cmocka_unit_test(test_search_index_is_whole),
	    cmocka_unit_test(test_references_and_schema_intact),
	    cmocka_unit_test(test_audit_has_one_import_per_table),
	    cmocka_unit_test(test_refuses_a_database_with_customers),
	    cmocka_unit_test(test_refuses_bad_counts),
	    cmocka_unit_test(test_same_seed_same_rows),
	    cmocka_unit_test(test_one_contact),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
