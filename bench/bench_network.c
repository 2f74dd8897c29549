/* bench_network.c — the issue 4 measure: org chart and 3-hop neighbourhood of an account with
 * 2,000 people (target under 20 ms). `bench_network DB [SAMPLES]` adds to DB (the big data set
 * of `make bench`; a new file when DB does not exist) one account of 2,000 people in a reporting
 * tree (8 reports a manager), 50 partner accounts of 20 people, and about 4,000 relationships
 * between people (friends and former colleagues, some across companies, a tenth owned by
 * another sales team), times network_orgchart and network_neighbourhood(hops 3) as an admin and
 * as a sales user, and takes its rows out again. Prints one "name n p50 p99 max" line (ms) per
 * measure. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crm/network.h"
#include "crm/users.h"

#define PEOPLE 2000
#define PARTNERS 50
#define PARTNER_PEOPLE 20

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static void report(const char *name, double *t, int n, size_t size)
{
	qsort(t, (size_t)n, sizeof *t, by_value);
	printf("%-28s n=%-5d p50=%.2f p99=%.2f max=%.2f ms (%zu nodes)\n", name, n, t[n / 2],
	       t[n * 99 / 100], t[n - 1], size);
}

static int run(struct store *store, const char *sql)
{
	struct gx_error err = {0};
	struct store_stmt *stmt = store_prepare(store, sql, &err);
	if (!stmt || store_exec(stmt, &err) < 0) {
		fprintf(stderr, "bench_network: %s: %s\n", sql, err.message);
		return -1;
	}
	return 0;
}

static int insert(struct store *store, const char *sql, const int64_t *v, int n)
{
	struct gx_error err = {0};
	struct store_stmt *stmt = store_prepare(store, sql, &err);
	if (!stmt)
		return -1;
	for (int i = 0; i < n; i++)
		if (v[i] < 0)
			store_bind_null(stmt, i + 1);
		else
			store_bind_int(stmt, i + 1, v[i]);
	return store_exec(stmt, &err);
}

/* Where the bench's rows go: after every id the database has (0 in a new one). */
struct ids {
	int64_t account, contact, admin, north, south;
};

static int64_t max_id(struct store *store, const char *sql)
{
	struct gx_error err = {0};
	struct store_stmt *stmt = store_prepare(store, sql, &err);
	int64_t v = stmt && store_step(stmt, &err) == STORE_ROW ? store_col_int(stmt, 0) : -1;
	if (stmt)
		store_done(stmt);
	return v;
}

static int add_user(struct store *store, const char *name, const char *role, int64_t *id)
{
	char sql[300];
	snprintf(sql, sizeof sql,
	         "INSERT INTO users(username, password_hash, role, team, created_at, updated_at) "
	         "VALUES ('%s', 'x', '%s', %s, 1, 1)",
	         name, role,
	         strcmp(role, "admin") == 0 ? "NULL" : "'bench-' || hex(randomblob(4))");
	if (run(store, sql) < 0)
		return -1;
	*id = store_last_insert_id(store);
	return 0;
}

/* The account and its people after the database's own: account A+1 with people C+1..C+2000
 * (a tree: person i reports to (i - 2) / 8 + 1), then 20 people at each partner account;
 * owners: the north sales user except every tenth person, the south one (teams of their own,
 * so a sales user sees exactly the bench's people of its team). */
static int build(struct store *store, struct ids *ids)
{
	static const char *const roles[] = {"decision_maker", "influencer", "buyer",  "user",
	                                    "gatekeeper",     "champion",   "blocker"};
	ids->account = max_id(store, "SELECT COALESCE(MAX(id), 0) FROM accounts");
	ids->contact = max_id(store, "SELECT COALESCE(MAX(id), 0) FROM contacts");
	if (ids->account < 0 || ids->contact < 0 || run(store, "BEGIN") < 0 ||
	    add_user(store, "bench-net-admin", "admin", &ids->admin) < 0 ||
	    add_user(store, "bench-net-north", "sales", &ids->north) < 0 ||
	    add_user(store, "bench-net-south", "sales", &ids->south) < 0)
		return -1;
	for (int64_t a = 1; a <= 1 + PARTNERS; a++) {
		int64_t v[] = {ids->account + a, ids->north};
		if (insert(store,
		           "INSERT INTO accounts(id, name, owner_id, created_at, updated_at) "
		           "VALUES (?, 'Account ' || ?1, ?, 1, 1)",
		           v, 2) < 0)
			return -1;
	}
	int64_t c0 = ids->contact;
	for (int i = 1; i <= PEOPLE + PARTNERS * PARTNER_PEOPLE; i++) {
		int inside = i <= PEOPLE;
		int64_t account =
		    ids->account + (inside ? 1 : 2 + (i - PEOPLE - 1) / PARTNER_PEOPLE);
		int64_t boss = inside && i > 1 ? c0 + (i - 2) / 8 + 1 : -1;
		int64_t v[] = {c0 + i, account, boss, i % 10 == 0 ? ids->south : ids->north, i % 7};
		char sql[400];
		snprintf(
		    sql, sizeof sql,
		    "INSERT INTO contacts(id, name, account_id, reports_to_id, owner_id, "
		    "department, buying_role, title, created_at, updated_at) VALUES (?, 'Person ' "
		    "|| ?1, ?, ?, ?, 'Dept ' || ?, '%s', 'Title', 1, 1)",
		    roles[i % 7]);
		if (insert(store, sql, v, 5) < 0)
			return -1;
	}
	/* Two relationships a person inside: a friend further down the list, a former colleague
	 * at a partner. */
	for (int64_t i = 1; i <= PEOPLE; i++) {
		int64_t friend_id = (i * 7919) % PEOPLE + 1;
		int64_t partner = PEOPLE + 1 + (i * 104729) % (PARTNERS * PARTNER_PEOPLE);
		int64_t v1[] = {c0 + i, c0 + friend_id}, v2[] = {c0 + i, c0 + partner};
		if (friend_id != i &&
		    insert(store,
		           "INSERT OR IGNORE INTO relationships(from_kind, from_id, to_kind, "
		           "to_id, type, strength, created_at, updated_at) VALUES ('contact', ?, "
		           "'contact', ?, 'friend', 3, 1, 1)",
		           v1, 2) < 0)
			return -1;
		if (insert(store,
		           "INSERT INTO relationships(from_kind, from_id, to_kind, to_id, type, "
		           "strength, created_at, updated_at) VALUES ('contact', ?, 'contact', ?, "
		           "'former_colleague', 2, 1, 1)",
		           v2, 2) < 0)
			return -1;
	}
	return run(store, "COMMIT");
}

/* Takes the bench's rows out of the database again (the big data set goes on to other
 * measures). */
static int unbuild(struct store *store, const struct ids *ids)
{
	char sql[4][200];
	snprintf(sql[0], sizeof sql[0],
	         "DELETE FROM relationships WHERE from_kind = 'contact' AND from_id > %lld",
	         (long long)ids->contact);
	snprintf(sql[1], sizeof sql[1], "DELETE FROM contacts WHERE id > %lld",
	         (long long)ids->contact);
	snprintf(sql[2], sizeof sql[2], "DELETE FROM accounts WHERE id > %lld",
	         (long long)ids->account);
	snprintf(sql[3], sizeof sql[3], "DELETE FROM users WHERE id IN (%lld, %lld, %lld)",
	         (long long)ids->admin, (long long)ids->north, (long long)ids->south);
	int rc = run(store, "BEGIN");
	for (int i = 0; i < 4 && rc == 0; i++)
		rc = run(store, sql[i]);
	return rc == 0 ? run(store, "COMMIT") : -1;
}

static void measure(struct crm_ctx *ctx, int64_t account_id, const char *who, int samples)
{
	double *t = calloc((size_t)samples, sizeof *t);
	struct gx_error err = {0};
	size_t size = 0;
	char name[64];
	for (int i = 0; t && i < samples; i++) {
		json_t *out = NULL;
		double t0 = now_ms();
		if (network_orgchart(ctx, account_id, &out, &err) < 0) {
			fprintf(stderr, "orgchart: %s\n", err.message);
			break;
		}
		t[i] = now_ms() - t0;
		size = (size_t)json_integer_value(json_object_get(out, "count"));
		json_decref(out);
	}
	snprintf(name, sizeof name, "orgchart (%s)", who);
	report(name, t, samples, size);
	for (int i = 0; t && i < samples; i++) {
		json_t *out = NULL;
		double t0 = now_ms();
		struct network_node account = {.is_contact = 0, .id = account_id};
		if (network_neighbourhood(ctx, account, 3, &out, &err) < 0) {
			fprintf(stderr, "network: %s\n", err.message);
			break;
		}
		t[i] = now_ms() - t0;
		size = json_array_size(json_object_get(out, "nodes"));
		json_decref(out);
	}
	snprintf(name, sizeof name, "3-hop network (%s)", who);
	report(name, t, samples, size);
	free(t);
}

int main(int argc, char **argv)
{
	if (argc < 2 || sodium_init() < 0) {
		fprintf(stderr, "usage: bench_network DB [SAMPLES]\n");
		return 2;
	}
	int samples = argc > 2 ? atoi(argv[2]) : 100;
	if (samples < 1)
		samples = 1;
	struct config config;
	config_defaults(&config);
	struct gx_error err = {0};
	struct crm_ctx ctx = {.config = &config, .actor = access_system_actor()};
	struct ids ids = {0};
	if (store_open(&ctx.store, argv[1], &err) < 0 || store_migrate(ctx.store, &err) < 0 ||
	    build(ctx.store, &ids) < 0) {
		fprintf(stderr, "bench_network: %s\n", err.message);
		store_close(ctx.store);
		return 1;
	}
	printf("the account: %lld people, %d partner accounts, in a database of %lld contacts\n",
	       (long long)PEOPLE, PARTNERS,
	       (long long)ids.contact + PEOPLE + PARTNERS * PARTNER_PEOPLE);
	users_actor(ctx.store, ids.admin, &ctx.actor, &err);
	measure(&ctx, ids.account + 1, "admin", samples);
	users_actor(ctx.store, ids.north, &ctx.actor, &err);
	measure(&ctx, ids.account + 1, "sales", samples);
	int rc = unbuild(ctx.store, &ids);
	store_close(ctx.store);
	return rc < 0 ? 1 : 0;
}
