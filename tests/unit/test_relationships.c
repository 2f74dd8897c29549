/* test_relationships.c — issue 4, the customer's own relationships: relationship validation (ends
 * of one kind, types per kind, strength, dates, duplicates both ways), the position history
 * written with every change of a contact's account, title, department or buying role, reports_to
 * rules, and every network query (org chart, N-hop neighbourhood, shortest path, who can
 * introduce us, uncontacted decision makers, referral chains with revenue) under the visibility
 * rule: a sales user's answers never contain, nor route through, another team's customers. */
#include "testdb.h"

#include "crm/audit.h"
#include "crm/customer360.h"
#include "crm/network.h"
#include "crm/positions.h"
#include "crm/records.h"
#include "crm/relationships.h"

struct fixture {
	char dir[64];
	char path[128];
	struct store *store;
	struct config config;
	int64_t admin, alice, carol;
	struct crm_ctx as_admin; /* admin, no team */
	struct crm_ctx as_alice; /* sales, team north */
	struct crm_ctx as_carol; /* sales, team south */
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof *fx);
	if (!fx)
		return -1;
	if (testdb_open(fx->dir, sizeof fx->dir, fx->path, sizeof fx->path, "relationships",
	                &fx->store) < 0) {
		free(fx);
		return -1;
	}
	config_defaults(&fx->config);
	fx->admin = testdb_insert_user(fx->store, "admin", "admin", NULL, 1);
	fx->alice = testdb_insert_user(fx->store, "alice", "sales", "north", 1);
	fx->carol = testdb_insert_user(fx->store, "carol", "sales", "south", 1);
	if (fx->admin <= 0 || fx->alice <= 0 || fx->carol <= 0)
		return -1;
	fx->as_admin = testdb_ctx(fx->store, &fx->config, fx->admin);
	fx->as_alice = testdb_ctx(fx->store, &fx->config, fx->alice);
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
	if (rc != 0) {
		char *text = json_dumps(body, JSON_COMPACT);
		fail_msg("create %s %s: %d field \"%s\": %s", kind->entity, text, rc, err.field,
		         err.message);
	}
	json_decref(body);
	int64_t id = num(out, "id");
	json_decref(out);
	return id;
}

static void create_fails(struct crm_ctx *ctx, const struct record_kind *kind, json_t *body,
                         int code, const char *field)
{
	json_t *out = NULL;
	struct gx_error err = {0};
	int rc = records_create(ctx, kind, body, &out, &err);
	char *text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	json_decref(out);
	if (rc != code || (field && strcmp(err.field, field) != 0))
		fail_msg("create %s %s: got %d field \"%s\" (%s), want %d field \"%s\"",
		         kind->entity, text, rc, err.field, err.message, code, field ? field : "*");
	free(text);
}

static void update(struct crm_ctx *ctx, const struct record_kind *kind, int64_t id, json_t *body)
{
	json_t *out = NULL;
	struct gx_error err = {0};
	int rc = records_update(ctx, kind, id, body, &out, &err);
	if (rc != 0)
		fail_msg("update %s %lld: %d field \"%s\": %s", kind->entity, (long long)id, rc,
		         err.field, err.message);
	json_decref(body);
	json_decref(out);
}

static void update_fails(struct crm_ctx *ctx, const struct record_kind *kind, int64_t id,
                         json_t *body, int code, const char *field)
{
	json_t *out = NULL;
	struct gx_error err = {0};
	int rc = records_update(ctx, kind, id, body, &out, &err);
	json_decref(body);
	json_decref(out);
	if (rc != code || strcmp(err.field, field) != 0)
		fail_msg("update %s %lld: got %d field \"%s\" (%s), want %d field \"%s\"",
		         kind->entity, (long long)id, rc, err.field, err.message, code, field);
}

static int64_t account(struct crm_ctx *ctx, const char *name)
{
	return create(ctx, &account_kind, parsef("{\"name\": \"%s\"}", name));
}

static int64_t person(struct crm_ctx *ctx, const char *name, int64_t account_id, int64_t boss,
                      const char *role)
{
	json_t *body = parsef("{\"name\": \"%s\"}", name);
	if (account_id)
		json_object_set_new(body, "account_id", json_integer(account_id));
	if (boss)
		json_object_set_new(body, "reports_to_id", json_integer(boss));
	if (role)
		json_object_set_new(body, "buying_role", json_string(role));
	return create(ctx, &contact_kind, body);
}

static int64_t relate(struct crm_ctx *ctx, const char *kind, int64_t from, int64_t to,
                      const char *type)
{
	return create(
	    ctx, &relationship_kind,
	    parsef("{\"from_kind\": \"%s\", \"from_id\": %lld, \"to_id\": %lld, \"type\": "
	           "\"%s\"}",
	           kind, (long long)from, (long long)to, type));
}

static struct network_node contact_node(int64_t id)
{
	return (struct network_node){.is_contact = 1, .id = id};
}

static struct network_node account_node(int64_t id)
{
	return (struct network_node){.is_contact = 0, .id = id};
}

/* 1 when the JSON text of v contains needle. */
static int mentions(const json_t *v, const char *needle)
{
	char *text = json_dumps(v, JSON_COMPACT);
	int found = text && strstr(text, needle) != NULL;
	free(text);
	return found;
}

/* ---- relationships ---------------------------------------------------------------------- */

static void test_relationship_types_follow_the_kind(void **state)
{
	struct fixture *fx = *state;
	struct crm_ctx *ctx = &fx->as_alice;
	int64_t a = account(ctx, "A"), b = account(ctx, "B");
	int64_t p = person(ctx, "P", 0, 0, NULL), q = person(ctx, "Q", 0, 0, NULL);
	create_fails(ctx, &relationship_kind,
	             parsef("{\"from_kind\": \"account\", \"from_id\": %lld, \"to_id\": %lld, "
	                    "\"type\": \"friend\"}",
	                    (long long)a, (long long)b),
	             GX_EVALIDATION, "type");
	create_fails(ctx, &relationship_kind,
	             parsef("{\"from_kind\": \"contact\", \"from_id\": %lld, \"to_id\": %lld, "
	                    "\"type\": \"supplier\"}",
	                    (long long)p, (long long)q),
	             GX_EVALIDATION, "type");
	create_fails(ctx, &relationship_kind,
	             parsef("{\"from_kind\": \"contact\", \"from_id\": %lld, \"to_kind\": "
	                    "\"account\", \"to_id\": %lld, \"type\": \"friend\"}",
	                    (long long)p, (long long)a),
	             GX_EVALIDATION, "to_kind");
	create_fails(ctx, &relationship_kind,
	             parsef("{\"from_kind\": \"contact\", \"from_id\": %lld, \"to_id\": %lld, "
	                    "\"type\": \"friend\"}",
	                    (long long)p, (long long)p),
	             GX_EVALIDATION, "to_id");
	create_fails(ctx, &relationship_kind,
	             parsef("{\"from_kind\": \"contact\", \"from_id\": %lld, \"to_id\": %lld, "
	                    "\"type\": \"friend\", \"strength\": 0}",
	                    (long long)p, (long long)q),
	             GX_EVALIDATION, "strength");
	create_fails(ctx, &relationship_kind,
	             parsef("{\"from_kind\": \"contact\", \"from_id\": %lld, \"to_id\": %lld, "
	                    "\"type\": \"friend\", \"valid_from\": \"2026-05-01\", \"valid_to\": "
	                    "\"2026-04-30\"}",
	                    (long long)p, (long long)q),
	             GX_EVALIDATION, "valid_to");
	create_fails(ctx, &relationship_kind,
	             parsef("{\"from_kind\": \"contact\", \"from_id\": %lld, \"to_id\": 999, "
	                    "\"type\": \"friend\"}",
	                    (long long)p),
	             GX_EVALIDATION, "to_id");
	int64_t r = relate(ctx, "contact", p, q, "friend");
	json_t *out = NULL;
	struct gx_error err = {0};
	assert_int_equal(records_get(ctx, &relationship_kind, r, &out, &err), 0);
	assert_int_equal(num(out, "strength"), 3); /* the default */
	assert_string_equal(str(out, "to_kind"), "contact");
	json_decref(out);
	/* The same symmetric relationship either way round is a duplicate. */
	create_fails(ctx, &relationship_kind,
	             parsef("{\"from_kind\": \"contact\", \"from_id\": %lld, \"to_id\": %lld, "
	                    "\"type\": \"friend\"}",
	                    (long long)q, (long long)p),
	             GX_ECONFLICT, NULL);
	/* A directed one is not: P referred Q and Q referred P are different facts. */
	relate(ctx, "contact", p, q, "referred_by");
	relate(ctx, "contact", q, p, "referred_by");
	update_fails(ctx, &relationship_kind, r, parsef("{\"from_id\": %lld}", (long long)q),
	             GX_EVALIDATION, "from_id");
	update(ctx, &relationship_kind, r, parsef("{\"strength\": 5, \"note\": \"同学\"}"));
	assert_int_equal(
	    query_int_id(fx->store,
	                 "SELECT COUNT(*) FROM audit WHERE entity = 'relationship' AND "
	                 "entity_id = ?",
	                 r),
	    2);
}

static void test_relationship_of_another_team_is_invisible(void **state)
{
	struct fixture *fx = *state;
	int64_t mine = person(&fx->as_alice, "Mine", 0, 0, NULL);
	int64_t theirs = person(&fx->as_carol, "Theirs", 0, 0, NULL);
	/* Alice cannot even link to Carol's contact: it reads as absent. */
	create_fails(&fx->as_alice, &relationship_kind,
	             parsef("{\"from_kind\": \"contact\", \"from_id\": %lld, \"to_id\": %lld, "
	                    "\"type\": \"friend\"}",
	                    (long long)mine, (long long)theirs),
	             GX_EVALIDATION, "to_id");
	int64_t r = relate(&fx->as_admin, "contact", mine, theirs, "friend");
	json_t *out = NULL;
	struct gx_error err = {0};
	assert_int_equal(records_get(&fx->as_alice, &relationship_kind, r, &out, &err),
	                 GX_ENOTFOUND);
	assert_int_equal(records_get(&fx->as_carol, &relationship_kind, r, &out, &err),
	                 GX_ENOTFOUND);
	assert_int_equal(relationships_of(&fx->as_alice, "contact", mine, 50, &out, &err), 0);
	assert_int_equal(json_array_size(out), 0);
	json_decref(out);
	assert_int_equal(customer360_contact(&fx->as_alice, mine, &out, &err), 0);
	assert_int_equal(json_array_size(json_object_get(out, "relationships")), 0);
	json_decref(out);
	assert_int_equal(relationships_of(&fx->as_admin, "contact", mine, 50, &out, &err), 0);
	assert_int_equal(json_array_size(out), 1);
	assert_string_equal(str(json_object_get(json_array_get(out, 0), "other"), "name"),
	                    "Theirs");
	json_decref(out);
}

static void test_deleting_a_customer_deletes_its_relationships_with_audit(void **state)
{
	struct fixture *fx = *state;
	struct crm_ctx *ctx = &fx->as_admin;
	int64_t a = account(ctx, "A"), b = account(ctx, "B");
	int64_t r = relate(ctx, "account", a, b, "supplier");
	struct gx_error err = {0};
	assert_int_equal(records_delete(ctx, &account_kind, b, &err), 0);
	assert_int_equal(
	    query_int_id(fx->store, "SELECT COUNT(*) FROM relationships WHERE id = ?", r), 0);
	assert_int_equal(
	    query_int_id(fx->store,
	                 "SELECT COUNT(*) FROM audit WHERE entity = 'relationship' AND "
	                 "entity_id = ? AND action = 'delete'",
	                 r),
	    1);
}

/* ---- positions ------------------------------------------------------------------------- */

static void test_position_history_follows_every_change(void **state)
{
	struct fixture *fx = *state;
	struct crm_ctx *ctx = &fx->as_alice;
	int64_t a = account(ctx, "A"), b = account(ctx, "B");
	int64_t p = create(
	    ctx, &contact_kind,
	    parsef("{\"name\": \"P\", \"account_id\": %lld, \"title\": \"Buyer\"}", (long long)a));
	update(ctx, &contact_kind, p, parsef("{\"notes\": \"no history for this\"}"));
	update(ctx, &contact_kind, p,
	       parsef("{\"department\": \"采购部\", \"buying_role\": \"buyer\"}"));
	update(ctx, &contact_kind, p,
	       parsef("{\"account_id\": %lld, \"title\": \"CPO\"}", (long long)b));
	update(ctx, &contact_kind, p,
	       parsef("{\"account_id\": null, \"title\": null, "
	              "\"department\": null, \"buying_role\": null}"));
	assert_int_equal(query_int_id(fx->store,
	                              "SELECT COUNT(*) FROM contact_positions WHERE contact_id = ?",
	                              p),
	                 3);
	assert_int_equal(
	    query_int_id(fx->store,
	                 "SELECT COUNT(*) FROM contact_positions WHERE contact_id = ? AND "
	                 "valid_to IS NULL",
	                 p),
	    0); /* left, holds nothing: every period closed */
	json_t *out = NULL;
	struct gx_error err = {0};
	assert_int_equal(positions_of_contact(ctx, p, &out, &err), 0);
	json_t *data = json_object_get(out, "data");
	assert_int_equal(json_array_size(data), 3);
	assert_string_equal(str(json_array_get(data, 0), "title"), "CPO");
	assert_int_equal(num(json_object_get(json_array_get(data, 0), "account"), "id"), b);
	assert_string_equal(str(json_array_get(data, 1), "buying_role"), "buyer");
	assert_string_equal(str(json_array_get(data, 2), "title"), "Buyer");
	json_decref(out);
	/* The account keeps who was there. */
	assert_int_equal(positions_of_account(ctx, a, 50, NULL, &out, &err), 0);
	assert_int_equal(json_array_size(json_object_get(out, "data")), 2);
	json_decref(out);
	assert_int_equal(positions_of_contact(&fx->as_carol, p, &out, &err), GX_ENOTFOUND);
	assert_int_equal(positions_of_account(&fx->as_carol, a, 50, NULL, &out, &err),
	                 GX_ENOTFOUND);
}

static void test_reports_to_stays_inside_the_account(void **state)
{
	struct fixture *fx = *state;
	struct crm_ctx *ctx = &fx->as_alice;
	int64_t a = account(ctx, "A"), b = account(ctx, "B");
	int64_t boss = person(ctx, "Boss", a, 0, NULL), mid = person(ctx, "Mid", a, boss, NULL);
	int64_t low = person(ctx, "Low", a, mid, NULL), other = person(ctx, "Other", b, 0, NULL);
	update_fails(ctx, &contact_kind, boss, parsef("{\"reports_to_id\": %lld}", (long long)low),
	             GX_EVALIDATION, "reports_to_id");
	update_fails(ctx, &contact_kind, other,
	             parsef("{\"reports_to_id\": %lld}", (long long)boss), GX_EVALIDATION,
	             "reports_to_id");
	/* Moving to another company leaves the old manager behind. */
	update(ctx, &contact_kind, low, parsef("{\"account_id\": %lld}", (long long)b));
	assert_int_equal(
	    query_int_id(fx->store, "SELECT reports_to_id IS NULL FROM contacts WHERE id = ?", low),
	    1);
	/* Unless the move names the new one. */
	update(ctx, &contact_kind, mid,
	       parsef("{\"account_id\": %lld, \"reports_to_id\": %lld}", (long long)b,
	              (long long)other));
	assert_int_equal(
	    query_int_id(fx->store, "SELECT reports_to_id FROM contacts WHERE id = ?", mid), other);
	struct gx_error err = {0};
	assert_int_equal(records_delete(ctx, &contact_kind, other, &err), GX_ECONFLICT);
}

/* ---- network ------------------------------------------------------------------------------ */

static void test_orgchart_is_a_tree_of_visible_people(void **state)
{
	struct fixture *fx = *state;
	int64_t a = account(&fx->as_admin, "A");
	int64_t ceo = person(&fx->as_alice, "CEO", 0, 0, "decision_maker");
	update(&fx->as_admin, &contact_kind, ceo, parsef("{\"account_id\": %lld}", (long long)a));
	int64_t vp = person(&fx->as_admin, "VP", a, ceo, NULL);
	update(&fx->as_admin, &contact_kind, vp,
	       parsef("{\"owner_id\": %lld}", (long long)fx->carol));
	int64_t eng = person(&fx->as_admin, "Eng", a, vp, NULL);
	update(&fx->as_admin, &contact_kind, eng,
	       parsef("{\"owner_id\": %lld}", (long long)fx->alice));
	update(&fx->as_admin, &account_kind, a,
	       parsef("{\"owner_id\": %lld}", (long long)fx->alice));
	json_t *out = NULL;
	struct gx_error err = {0};
	assert_int_equal(network_orgchart(&fx->as_admin, a, &out, &err), 0);
	assert_int_equal(num(out, "count"), 3);
	json_t *root = json_array_get(json_object_get(out, "roots"), 0);
	assert_int_equal(num(root, "id"), ceo);
	json_t *second = json_array_get(json_object_get(root, "reports"), 0);
	assert_int_equal(num(second, "id"), vp);
	assert_int_equal(num(json_array_get(json_object_get(second, "reports"), 0), "id"), eng);
	json_decref(out);
	/* Alice does not see the VP (Carol's): Eng becomes a root, the VP is nowhere. */
	assert_int_equal(network_orgchart(&fx->as_alice, a, &out, &err), 0);
	assert_int_equal(num(out, "count"), 2);
	assert_int_equal(json_array_size(json_object_get(out, "roots")), 2);
	assert_false(mentions(out, "\"VP\""));
	json_t *r;
	size_t i;
	json_array_foreach(json_object_get(out, "roots"), i, r)
	{
		assert_true(json_is_null(json_object_get(r, "reports_to_id")));
	}
	json_decref(out);
	assert_int_equal(network_orgchart(&fx->as_carol, a, &out, &err), GX_ENOTFOUND);
}

static void test_neighbourhood_counts_hops_and_hides_other_teams(void **state)
{
	struct fixture *fx = *state;
	struct crm_ctx *al = &fx->as_alice;
	int64_t a = account(al, "A");
	int64_t p1 = person(al, "P1", a, 0, NULL), p2 = person(al, "P2", a, 0, NULL);
	int64_t far = person(al, "Far", 0, 0, NULL), farther = person(al, "Farther", 0, 0, NULL);
	int64_t hidden = person(&fx->as_carol, "Hidden", 0, 0, NULL);
	int64_t beyond = person(al, "Beyond", 0, 0, NULL);
	relate(al, "contact", p2, far, "friend");
	relate(al, "contact", farther, far, "family");
	relate(&fx->as_admin, "contact", p1, hidden, "friend");
	relate(&fx->as_admin, "contact", hidden, beyond, "friend");
	/* An ended relationship is no edge today. */
	create(al, &relationship_kind,
	       parsef("{\"from_kind\": \"contact\", \"from_id\": %lld, \"to_id\": %lld, \"type\": "
	              "\"colleague\", \"valid_to\": \"2001-01-01\"}",
	              (long long)p1, (long long)beyond));
	json_t *out = NULL;
	struct gx_error err = {0};
	assert_int_equal(network_neighbourhood(al, contact_node(p1), 4, &out, &err), 0);
	json_t *nodes = json_object_get(out, "nodes");
	/* p1 (0), A (1), p2 (2), Far (3), Farther (4); never Hidden, nor Beyond behind it. */
	assert_int_equal(json_array_size(nodes), 5);
	assert_false(mentions(out, "Hidden"));
	assert_false(mentions(out, "Beyond"));
	assert_int_equal(num(json_array_get(nodes, 4), "depth"), 4);
	assert_int_equal(num(json_array_get(nodes, 4), "id"), farther);
	json_decref(out);
	assert_int_equal(network_neighbourhood(&fx->as_admin, contact_node(p1), 2, &out, &err), 0);
	assert_true(mentions(out, "Hidden"));
	assert_true(mentions(out, "Beyond"));
	json_decref(out);
	assert_int_equal(network_neighbourhood(al, account_node(a), 1, &out, &err), 0);
	assert_int_equal(json_array_size(json_object_get(out, "nodes")), 3);
	assert_int_equal(json_array_size(json_object_get(out, "edges")), 2);
	json_decref(out);
	assert_int_equal(network_neighbourhood(al, contact_node(hidden), 1, &out, &err),
	                 GX_ENOTFOUND);
	assert_int_equal(network_neighbourhood(al, contact_node(p1), 5, &out, &err),
	                 GX_EBADREQUEST);
}

static void test_path_goes_around_what_the_user_cannot_see(void **state)
{
	struct fixture *fx = *state;
	struct crm_ctx *al = &fx->as_alice;
	int64_t from = person(al, "From", 0, 0, NULL),
	        to = person(al, "To", 0, 0, "decision_maker");
	int64_t hidden = person(&fx->as_carol, "Hidden", 0, 0, NULL);
	int64_t y = person(al, "Y", 0, 0, NULL), z = person(al, "Z", 0, 0, NULL);
	relate(&fx->as_admin, "contact", from, hidden, "friend");
	relate(&fx->as_admin, "contact", hidden, to, "friend");
	relate(al, "contact", from, y, "colleague");
	relate(al, "contact", y, z, "colleague");
	relate(al, "contact", z, to, "colleague");
	json_t *out = NULL;
	struct gx_error err = {0};
	struct network_node f = contact_node(from);
	assert_int_equal(network_paths(&fx->as_admin, &f, contact_node(to), 4, 1, &out, &err), 0);
	json_t *path = json_array_get(json_object_get(out, "paths"), 0);
	assert_int_equal(num(path, "hops"), 2);
	assert_int_equal(num(json_array_get(json_object_get(path, "nodes"), 1), "id"), hidden);
	json_decref(out);
	assert_int_equal(network_paths(al, &f, contact_node(to), 4, 1, &out, &err), 0);
	path = json_array_get(json_object_get(out, "paths"), 0);
	assert_int_equal(num(path, "hops"), 3);
	assert_false(mentions(out, "Hidden"));
	json_t *nodes = json_object_get(path, "nodes");
	assert_int_equal(num(json_array_get(nodes, 0), "id"), from);
	assert_int_equal(num(json_array_get(nodes, 3), "id"), to);
	json_decref(out);
	/* Too short a reach: no path, not an error. */
	assert_int_equal(network_paths(al, &f, contact_node(to), 2, 1, &out, &err), 0);
	assert_int_equal(json_array_size(json_object_get(out, "paths")), 0);
	json_decref(out);
	struct network_node h = contact_node(hidden);
	assert_int_equal(network_paths(al, &h, contact_node(to), 4, 1, &out, &err), GX_ENOTFOUND);
	assert_int_equal(network_paths(al, &f, contact_node(hidden), 4, 1, &out, &err),
	                 GX_ENOTFOUND);
}

static void test_who_can_introduce_us_starts_from_our_contacts(void **state)
{
	struct fixture *fx = *state;
	int64_t target = person(&fx->as_admin, "Target", 0, 0, "decision_maker");
	update(&fx->as_admin, &contact_kind, target,
	       parsef("{\"owner_id\": %lld}", (long long)fx->carol));
	int64_t carols = person(&fx->as_carol, "Carols friend", 0, 0, NULL);
	relate(&fx->as_admin, "contact", carols, target, "friend");
	int64_t alices = person(&fx->as_alice, "Alices friend", 0, 0, NULL);
	relate(&fx->as_admin, "contact", alices, carols, "friend");
	json_t *out = NULL;
	struct gx_error err = {0};
	/* Carol: her own contact, one hop. */
	assert_int_equal(network_paths(&fx->as_carol, NULL, contact_node(target), 4, 5, &out, &err),
	                 0);
	json_t *paths = json_object_get(out, "paths");
	assert_int_equal(json_array_size(paths), 1);
	json_t *nodes = json_object_get(json_array_get(paths, 0), "nodes");
	assert_int_equal(num(json_array_get(nodes, 0), "id"), carols);
	assert_int_equal(num(json_array_get(nodes, 1), "id"), target);
	json_decref(out);
	/* Alice does not see the target at all. */
	assert_int_equal(network_paths(&fx->as_alice, NULL, contact_node(target), 4, 5, &out, &err),
	                 GX_ENOTFOUND);
}

static void test_uncontacted_decision_makers(void **state)
{
	struct fixture *fx = *state;
	struct crm_ctx *al = &fx->as_alice;
	int64_t quiet = account(al, "Quiet"), talked = account(al, "Talked"),
	        none = account(al, "None");
	int64_t q = person(al, "Q", quiet, 0, "decision_maker");
	int64_t t = person(al, "T", talked, 0, "decision_maker");
	person(al, "N", none, 0, "influencer");
	create(al, &interaction_kind,
	       parsef("{\"contact_id\": %lld, \"channel\": \"phone\", \"direction\": \"outbound\"}",
	              (long long)t));
	/* Someone else at Quiet was called: its decision maker still was not. */
	int64_t other = person(al, "Other", quiet, 0, "user");
	create(al, &interaction_kind,
	       parsef("{\"contact_id\": %lld, \"channel\": \"phone\", \"direction\": \"outbound\"}",
	              (long long)other));
	int64_t south = account(&fx->as_carol, "South");
	person(&fx->as_carol, "S", south, 0, "decision_maker");
	json_t *out = NULL;
	struct gx_error err = {0};
	assert_int_equal(network_uncontacted_decision_makers(al, 50, NULL, &out, &err), 0);
	json_t *data = json_object_get(out, "data");
	assert_int_equal(json_array_size(data), 1);
	assert_int_equal(num(json_object_get(json_array_get(data, 0), "account"), "id"), quiet);
	assert_int_equal(
	    num(json_array_get(json_object_get(json_array_get(data, 0), "decision_makers"), 0),
	        "id"),
	    q);
	json_decref(out);
	assert_int_equal(network_uncontacted_decision_makers(&fx->as_admin, 1, NULL, &out, &err),
	                 0);
	assert_int_equal(json_array_size(json_object_get(out, "data")), 1);
	const char *cursor = str(out, "next_cursor");
	assert_non_null(cursor);
	json_t *page2 = NULL;
	assert_int_equal(
	    network_uncontacted_decision_makers(&fx->as_admin, 50, cursor, &page2, &err), 0);
	assert_int_equal(json_array_size(json_object_get(page2, "data")), 1);
	assert_int_equal(
	    num(json_object_get(json_array_get(json_object_get(page2, "data"), 0), "account"),
	        "id"),
	    south);
	json_decref(page2);
	json_decref(out);
}

static void test_referral_chains_sum_the_revenue_they_brought(void **state)
{
	struct fixture *fx = *state;
	struct crm_ctx *al = &fx->as_alice;
	int64_t root = person(al, "Root", 0, 0, NULL), kid = person(al, "Kid", 0, 0, NULL);
	int64_t grandkid = person(al, "Grandkid", 0, 0, NULL);
	int64_t hidden = person(&fx->as_carol, "Hidden", 0, 0, NULL);
	relate(al, "contact", kid, root, "referred_by");
	relate(al, "contact", grandkid, kid, "referred_by");
	relate(&fx->as_admin, "contact", hidden, kid, "referred_by");
	create(al, &order_kind,
	       parsef("{\"contact_id\": %lld, \"amount\": \"100.00\", \"ordered_at\": "
	              "\"2026-01-01T00:00:00Z\"}",
	              (long long)kid));
	create(al, &order_kind,
	       parsef("{\"contact_id\": %lld, \"amount\": \"20.50\", \"ordered_at\": "
	              "\"2026-01-01T00:00:00Z\"}",
	              (long long)grandkid));
	create(&fx->as_carol, &order_kind,
	       parsef("{\"contact_id\": %lld, \"amount\": \"999.00\", \"ordered_at\": "
	              "\"2026-01-01T00:00:00Z\"}",
	              (long long)hidden));
	json_t *out = NULL;
	struct gx_error err = {0};
	assert_int_equal(network_referrals(al, 50, NULL, &out, &err), 0);
	json_t *data = json_object_get(out, "data");
	assert_int_equal(json_array_size(data), 1);
	json_t *chain = json_array_get(data, 0);
	assert_int_equal(num(json_object_get(chain, "referrer"), "id"), root);
	assert_string_equal(str(chain, "direct_revenue"), "100.00");
	assert_string_equal(str(chain, "chain_revenue"), "120.50");
	assert_int_equal(num(chain, "customers"), 2);
	assert_false(mentions(out, "Hidden"));
	json_decref(out);
	assert_int_equal(network_referrals(&fx->as_admin, 50, NULL, &out, &err), 0);
	assert_string_equal(str(json_array_get(json_object_get(out, "data"), 0), "chain_revenue"),
	                    "1119.50");
	json_decref(out);
	/* A loop (A referred by B, B by A) is one chain, entered once. */
	int64_t x = person(al, "X", 0, 0, NULL), y = person(al, "Y", 0, 0, NULL);
	relate(al, "contact", x, y, "referred_by");
	relate(al, "contact", y, x, "referred_by");
	assert_int_equal(network_referrals(al, 50, NULL, &out, &err), 0);
	assert_int_equal(json_array_size(json_object_get(out, "data")), 2);
	json_decref(out);
}

static void test_parse_node(void **state)
{
	(void)state;
	struct network_node n;
	assert_int_equal(network_parse_node("contact:12", &n), 0);
	assert_true(n.is_contact);
	assert_int_equal(n.id, 12);
	assert_int_equal(network_parse_node("account:3", &n), 0);
	assert_false(n.is_contact);
	assert_int_equal(network_parse_node("contact:0", &n), -1);
	assert_int_equal(network_parse_node("contact:12x", &n), -1);
	assert_int_equal(network_parse_node("person:1", &n), -1);
	assert_int_equal(network_parse_node("contact:", &n), -1);
	assert_int_equal(network_parse_node(NULL, &n), -1);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_relationship_types_follow_the_kind),
	    T(test_relationship_of_another_team_is_invisible),
	    T(test_deleting_a_customer_deletes_its_relationships_with_audit),
	    T(test_position_history_follows_every_change),
	    T(test_reports_to_stays_inside_the_account),
	    T(test_orgchart_is_a_tree_of_visible_people),
	    T(test_neighbourhood_counts_hops_and_hides_other_teams),
	    T(test_path_goes_around_what_the_user_cannot_see),
	    T(test_who_can_introduce_us_starts_from_our_contacts),
	    T(test_uncontacted_decision_makers),
	    T(test_referral_chains_sum_the_revenue_they_brought),
	    cmocka_unit_test(test_parse_node),
	};
	return cmocka_run_group_tests(tests, testdb_group_setup, NULL);
}
