/* network.c — graph questions over customers: org charts, neighbourhoods, shortest paths,
 * uncontacted decision makers and referral chains. Breadth-first search runs here in C, a level
 * at a time: one adjacency statement a kind of node reads the level's edges from indexes (an
 * index probe an id), and one rows statement a kind reads the new far ends with the visibility
 * rule, so an invisible customer never joins the graph and no edge leads to one. */
#include "crm/network.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/money.h"
#include "crm/records.h"
#include "crm/sql.h"

int network_parse_node(const char *text, struct network_node *node)
{
	const char *digits;
	if (!text)
		return -1;
	if (strncmp(text, "contact:", 8) == 0) {
		node->is_contact = 1;
		digits = text + 8;
	} else if (strncmp(text, "account:", 8) == 0) {
		node->is_contact = 0;
		digits = text + 8;
	} else {
		return -1;
	}
	char *end;
	if (*digits < '1' || *digits > '9' || strlen(digits) > 15)
		return -1;
	node->id = strtoll(digits, &end, 10);
	return *end ? -1 : 0;
}

static const char *kind_name(int is_contact)
{
	return is_contact ? "contact" : "account";
}

static json_t *key_json(int is_contact, int64_t id)
{
	char key[40];
	snprintf(key, sizeof key, "%s:%lld", kind_name(is_contact), (long long)id);
	return json_string(key);
}

/* ---- the graph of one search ------------------------------------------------------------ */

struct node {
	int64_t id;
	int is_contact;
	int depth;
	int parent; /* index of the node it was first reached from; -1 for the start */
	int64_t owner;
	char key[32];     /* "contact:12", made once: edges name their ends by it */
	json_t *key_json; /* the same as a JSON string, shared by every edge that names it */
	char *name, *title, *buying_role;
	/* The edge from parent: its type, relationship id (0 for a structural edge), strength, and
	 * whether parent is its from end. */
	char type[24];
	int64_t relationship_id;
	int strength;
	int outward;
	/* The neighbours the node's own row names: [0] an account (a contact's employer, an
	 * account's parent), [1] a contact (a contact's manager); 0 for none. */
	int64_t up[2];
};

/* A statement run once per level of a search over the ids of that level's nodes of one kind
 * (a JSON array, bound wherever the text says "IN (the level's ids)"; json_each is the
 * SQLite-ism the tag filter uses too). Prepared and its fixed values bound once per search; each
 * level re-binds the ids. No other statement of this text runs meanwhile, so the handle stays
 * ours. */
struct level_query {
	struct sql sql;
	struct store_stmt *stmt;
	int id_binds[8], nid_binds;
};

/* An edge found from a node of the level being expanded, waiting for its far end to be known:
 * read if new (and visible), then linked. */
struct pending {
	int from; /* the node expanded */
	int is_contact;
	int64_t id; /* the far end */
	int64_t relationship_id;
	int strength, outward;
	char type[24];
};

struct graph {
	struct crm_ctx *ctx;
	struct node *nodes;
	int n, cap;
	int *slots; /* open addressing: node index + 1, 0 empty */
	int nslots;
	int max_nodes, truncated;
	json_t *edges;                   /* when the caller wants every edge between found nodes */
	struct level_query adjacency[2]; /* per kind of node (account, contact): its edges */
	struct level_query rows[2];      /* per kind: the nodes of these ids, if visible */
	struct pending *pending;         /* the edges of the level being expanded */
	int npending, pending_cap;
	char today[11];
	json_t *types[16]; /* edge type strings, shared by the edges of that type */
	int ntypes;
};

static uint32_t slot_of(const struct graph *g, int is_contact, int64_t id)
{
	uint64_t h = ((uint64_t)id << 1 | (uint64_t)is_contact) * 0x9E3779B97F4A7C15ull;
	return (uint32_t)(h >> 32) & (uint32_t)(g->nslots - 1);
}

static int graph_find(const struct graph *g, int is_contact, int64_t id)
{
	if (!g->nslots)
		return -1;
	for (uint32_t s = slot_of(g, is_contact, id);; s = (s + 1) & (uint32_t)(g->nslots - 1)) {
		int i = g->slots[s] - 1;
		if (i < 0)
			return -1;
		if (g->nodes[i].id == id && g->nodes[i].is_contact == is_contact)
			return i;
	}
}

static int graph_grow(struct graph *g)
{
	int cap = g->cap ? g->cap * 2 : 256;
	struct node *nodes = realloc(g->nodes, (size_t)cap * sizeof *nodes);
	if (!nodes)
		return -1;
	g->nodes = nodes;
	g->cap = cap;
	int *slots = calloc((size_t)cap * 2, sizeof *slots);
	if (!slots)
		return -1;
	free(g->slots);
	g->slots = slots;
	g->nslots = cap * 2;
	for (int i = 0; i < g->n; i++) {
		uint32_t s = slot_of(g, g->nodes[i].is_contact, g->nodes[i].id);
		while (g->slots[s])
			s = (s + 1) & (uint32_t)(g->nslots - 1);
		g->slots[s] = i + 1;
	}
	return 0;
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* Adds a node; its index, or -1 when out of memory. */
static int graph_add(struct graph *g, int is_contact, int64_t id, int depth, int parent,
                     const char *name, const char *title, const char *buying_role, int64_t owner)
{
	if (g->n == g->cap && graph_grow(g) < 0)
		return -1;
	struct node *v = &g->nodes[g->n];
	*v = (struct node){
	    .id = id, .is_contact = is_contact, .depth = depth, .parent = parent, .owner = owner};
	snprintf(v->key, sizeof v->key, "%s:%lld", kind_name(is_contact), (long long)id);
	v->name = dup_or_null(name);
	v->title = dup_or_null(title);
	v->buying_role = dup_or_null(buying_role);
	uint32_t s = slot_of(g, is_contact, id);
	while (g->slots[s])
		s = (s + 1) & (uint32_t)(g->nslots - 1);
	g->slots[s] = g->n + 1;
	return g->n++;
}

static int64_t col_id_or_0(struct store_stmt *stmt, int col)
{
	return store_col_is_null(stmt, col) ? 0 : store_col_int(stmt, col);
}

/* Columns of the statements that yield nodes: kind (1 contact), id, name, title, buying_role,
 * owner, and the neighbours the row itself names (see struct node's up). */
#define CONTACT_COLS                                                                               \
	"SELECT 1, r.id, r.name, r.title, r.buying_role, r.owner_id, r.account_id, "               \
	"r.reports_to_id, "
#define ACCOUNT_COLS "SELECT 0, r.id, r.name, NULL, NULL, r.owner_id, r.parent_id, NULL, "

/* Adds the node of the statement's row; its index, or -1 when out of memory. */
static int graph_add_row(struct graph *g, struct store_stmt *stmt, int depth, int parent)
{
	int i = graph_add(g, (int)store_col_int(stmt, 0), store_col_int(stmt, 1), depth, parent,
	                  store_col_text(stmt, 2), store_col_text(stmt, 3), store_col_text(stmt, 4),
	                  col_id_or_0(stmt, 5));
	if (i >= 0) {
		g->nodes[i].up[0] = col_id_or_0(stmt, 6);
		g->nodes[i].up[1] = col_id_or_0(stmt, 7);
	}
	return i;
}

static void graph_free(struct graph *g)
{
	for (int i = 0; i < g->n; i++) {
		free(g->nodes[i].name);
		free(g->nodes[i].title);
		free(g->nodes[i].buying_role);
	}
	for (int i = 0; i < g->n; i++)
		json_decref(g->nodes[i].key_json);
	for (int i = 0; i < g->ntypes; i++)
		json_decref(g->types[i]);
	free(g->nodes);
	free(g->slots);
	free(g->pending);
	json_decref(g->edges);
	for (int kind = 0; kind < 2; kind++) {
		sql_free(&g->adjacency[kind].sql);
		sql_free(&g->rows[kind].sql);
	}
}

/* The level's ids as table f (column value), the outer loop of every statement: each id costs
 * one index probe (a CROSS JOIN keeps SQLite from reordering; IN (SELECT ...) built a temporary
 * index of the ids first, once per branch). */
static void level_ids(struct level_query *q)
{
	sql_add(&q->sql, "json_each(");
	sql_text(&q->sql, "[]");
	sql_add(&q->sql, ") f CROSS JOIN ");
	q->id_binds[q->nid_binds++] = q->sql.nbinds - 1;
}

static void valid_today(struct graph *g, struct sql *q)
{
	sql_add(q, " AND (e.valid_from IS NULL OR e.valid_from <= ");
	sql_text(q, g->today);
	sql_add(q, ") AND (e.valid_to IS NULL OR e.valid_to >= ");
	sql_text(q, g->today);
	sql_add(q, ")");
}

/* Columns of the adjacency statements, one row an edge: the far end's kind (1 contact) and id,
 * the edge's type, relationship id and strength, 1 when the expanded node is the edge's from
 * end, and the expanded node's id. They read indexes and relationships only: whether the far
 * end is visible is the rows statement's question, asked once a node (see expand_level). */
static void branch(struct level_query *q, const char *cols, const char *tables)
{
	if (q->sql.text.len)
		sql_add(&q->sql, " UNION ALL ");
	sql_add(&q->sql, cols);
	sql_add(&q->sql, ", f.value FROM ");
	level_ids(q);
	sql_add(&q->sql, tables);
}

/* Both directions of the relationships of the level's nodes of this kind: those they are the
 * from end of (outward), then those they are the to end of. */
static void relationship_branches(struct graph *g, struct level_query *q, const char *kind)
{
	for (int outward = 1; outward >= 0; outward--) {
		const char *far = outward ? "to" : "from", *near = outward ? "from" : "to";
		char cols[120], tables[120];
		snprintf(cols, sizeof cols,
		         "SELECT e.%s_kind = 'contact', e.%s_id, e.type, e.id, e.strength, %d", far,
		         far, outward);
		snprintf(tables, sizeof tables,
		         "relationships e ON e.%s_kind = '%s' AND e.%s_id = f.value WHERE 1 = 1",
		         near, kind, near);
		branch(q, cols, tables);
		valid_today(g, &q->sql);
	}
}

/* The edges of contacts that their own rows do not name: their reports and their
 * relationships. (Their account and manager are columns: see expand_level.) */
static void build_contact_adjacency(struct graph *g, struct level_query *q)
{
	branch(q, "SELECT 1, r.id, 'reports_to', NULL, NULL, 0",
	       "contacts r ON r.reports_to_id = f.value");
	relationship_branches(g, q, "contact");
}

/* The same for accounts: their people, their subsidiaries and their relationships. */
static void build_account_adjacency(struct graph *g, struct level_query *q)
{
	branch(q, "SELECT 1, r.id, 'works_at', NULL, NULL, 0",
	       "contacts r ON r.account_id = f.value");
	branch(q, "SELECT 0, r.id, 'subsidiary', NULL, NULL, 0",
	       "accounts r ON r.parent_id = f.value");
	relationship_branches(g, q, "account");
}

/* The visible nodes of a list of ids of one kind. */
static void build_rows(struct level_query *q, int is_contact, const struct actor *a)
{
	sql_add(&q->sql, is_contact ? CONTACT_COLS "NULL FROM " : ACCOUNT_COLS "NULL FROM ");
	level_ids(q);
	sql_add(&q->sql, is_contact ? "contacts r ON r.id = f.value WHERE "
	                            : "accounts r ON r.id = f.value WHERE ");
	sql_visible(&q->sql, a, is_contact ? ACCESS_CONTACT : ACCESS_ACCOUNT);
}

static void graph_init(struct graph *g, struct crm_ctx *ctx, int want_edges)
{
	*g = (struct graph){.ctx = ctx, .max_nodes = NETWORK_MAX_NODES};
	char now[32];
	clock_format(clock_now(), now, sizeof now);
	snprintf(g->today, sizeof g->today, "%.10s", now);
	if (want_edges)
		g->edges = json_array();
	build_account_adjacency(g, &g->adjacency[0]);
	build_contact_adjacency(g, &g->adjacency[1]);
	build_rows(&g->rows[0], 0, &ctx->actor);
	build_rows(&g->rows[1], 1, &ctx->actor);
}

/* Runs q over the ids (a JSON array); the statement, on its first row (or done), or NULL when
 * it cannot be prepared. */
static struct store_stmt *level_run(struct graph *g, struct level_query *q, const char *ids,
                                    int *rc, struct gx_error *err)
{
	if (!q->stmt && !(q->stmt = sql_prepare(&q->sql, g->ctx->store, err))) {
		*rc = GX_EINTERNAL;
		return NULL;
	}
	for (int b = 0; b < q->nid_binds; b++)
		store_bind_text(q->stmt, q->id_binds[b] + 1, ids);
	*rc = store_step(q->stmt, err);
	return q->stmt;
}

/* The start of a search: a visible customer, else GX_ENOTFOUND. */
static int graph_start(struct graph *g, struct network_node start, struct gx_error *err)
{
	const struct record_kind *kind = start.is_contact ? &contact_kind : &account_kind;
	struct level_query q = {0};
	build_rows(&q, start.is_contact, &g->ctx->actor);
	char ids[32];
	snprintf(ids, sizeof ids, "[%lld]", (long long)start.id);
	int rc;
	struct store_stmt *stmt = level_run(g, &q, ids, &rc, err);
	sql_free(&q.sql);
	if (rc == STORE_ROW && graph_add_row(g, stmt, 0, -1) < 0)
		rc = gx_fail(err, GX_EINTERNAL, NULL, "out of memory");
	store_done(stmt);
	if (rc == STORE_DONE)
		return gx_fail(err, GX_ENOTFOUND, NULL, "no %s with id %lld", kind->entity,
		               (long long)start.id);
	return rc < 0 ? rc : 0;
}

/* Built key by key rather than with json_pack: a 3-hop answer has thousands of edges and nodes,
 * and the format parsing and UTF-8 checks of json_pack were a third of its cost. Keys are
 * literals and values come from the store (UTF-8 checked when written). */
static void set_text(json_t *o, const char *key, const char *text)
{
	json_object_set_new_nocheck(o, key, text ? json_string_nocheck(text) : json_null());
}

/* A node's key as a JSON string, made once and shared (a 3-hop answer names each node in
 * several edges; allocating and freeing a string per mention was a large part of its cost). */
static json_t *node_key(struct node *v)
{
	if (!v->key_json)
		v->key_json = json_string_nocheck(v->key);
	return v->key_json;
}

/* An edge type as a shared JSON string; a fresh one past the (never reached) cache size. */
static json_t *edge_type(struct graph *g, const char *type)
{
	for (int i = 0; i < g->ntypes; i++)
		if (strcmp(json_string_value(g->types[i]), type) == 0)
			return json_incref(g->types[i]);
	json_t *t = json_string_nocheck(type);
	if (g->ntypes < (int)(sizeof g->types / sizeof g->types[0]))
		g->types[g->ntypes++] = json_incref(t);
	return t;
}

static json_t *edge_json(struct graph *g, struct node *a, struct node *b, const char *type,
                         int64_t relationship_id, int strength, int a_is_from)
{
	struct node *from = a_is_from ? a : b, *to = a_is_from ? b : a;
	json_t *o = json_object();
	json_object_set_nocheck(o, "from", node_key(from));
	json_object_set_nocheck(o, "to", node_key(to));
	json_object_set_new_nocheck(o, "type", edge_type(g, type));
	json_object_set_new_nocheck(o, "relationship_id",
	                            relationship_id ? json_integer(relationship_id) : json_null());
	json_object_set_new_nocheck(o, "strength",
	                            relationship_id ? json_integer(strength) : json_null());
	return o;
}

/* The edge between nodes i and j, reached from i: j joins the graph when new (it is at the end
 * of the list then, with i as its parent). Each edge is recorded once, from its end with the
 * lower index: both ends see it when they are expanded, and the lower one is expanded first. */
static void graph_link(struct graph *g, int i, int j, const char *type, int64_t relationship_id,
                       int strength, int outward)
{
	struct node *v = &g->nodes[j];
	if (v->parent < 0 && j > i) {
		v->parent = i;
		snprintf(v->type, sizeof v->type, "%s", type);
		v->relationship_id = relationship_id;
		v->strength = strength;
		v->outward = outward;
	}
	if (g->edges && j > i)
		json_array_append_new(g->edges, edge_json(g, &g->nodes[i], v, type, relationship_id,
		                                          strength, outward));
}

/* Adds the row's node one level below the frontier unless it is known or the graph is full;
 * 0, or GX_EINTERNAL out of memory. */
static int graph_reach(struct graph *g, struct store_stmt *stmt, int depth, struct gx_error *err)
{
	if (graph_find(g, (int)store_col_int(stmt, 0), store_col_int(stmt, 1)) >= 0)
		return 0;
	if (g->n >= g->max_nodes) {
		g->truncated = 1;
		return 0;
	}
	return graph_add_row(g, stmt, depth, -1) < 0
	           ? gx_fail(err, GX_EINTERNAL, NULL, "out of memory")
	           : 0;
}

static int pending_add(struct graph *g, int from, int is_contact, int64_t id, const char *type,
                       int64_t relationship_id, int strength, int outward, struct gx_error *err)
{
	if (g->npending == g->pending_cap) {
		int cap = g->pending_cap ? g->pending_cap * 2 : 1024;
		struct pending *grown = realloc(g->pending, (size_t)cap * sizeof *grown);
		if (!grown)
			return gx_fail(err, GX_EINTERNAL, NULL, "out of memory");
		g->pending = grown;
		g->pending_cap = cap;
	}
	struct pending *e = &g->pending[g->npending++];
	*e = (struct pending){.from = from,
	                      .is_contact = is_contact,
	                      .id = id,
	                      .relationship_id = relationship_id,
	                      .strength = strength,
	                      .outward = outward};
	snprintf(e->type, sizeof e->type, "%s", type ? type : "");
	return 0;
}

/* A JSON array of ids (positive); NULL when out of memory. Written digit by digit: a level of
 * thousands of ids through printf cost more than the statement that reads them. */
static char *ids_json(const int64_t *ids, int n)
{
	char *text = malloc((size_t)n * 21 + 3), *p = text;
	if (!text)
		return NULL;
	*p++ = '[';
	for (int i = 0; i < n; i++) {
		char digits[20];
		int k = 0;
		if (i)
			*p++ = ',';
		for (uint64_t v = (uint64_t)ids[i]; v || !k; v /= 10)
			digits[k++] = (char)('0' + v % 10);
		while (k)
			*p++ = digits[--k];
	}
	*p++ = ']';
	*p = '\0';
	return text;
}

/* Runs q over ids; each row goes to take(g, stmt, arg). */
static int level_each(struct graph *g, struct level_query *q, const int64_t *ids, int n,
                      int (*take)(struct graph *, struct store_stmt *, int, struct gx_error *),
                      int arg, struct gx_error *err)
{
	char *list = ids_json(ids, n);
	if (!list)
		return gx_fail(err, GX_EINTERNAL, NULL, "out of memory");
	int rc;
	struct store_stmt *stmt = level_run(g, q, list, &rc, err);
	for (; rc == STORE_ROW; rc = store_step(stmt, err))
		if ((rc = take(g, stmt, arg, err)) < 0)
			break;
	if (stmt)
		store_done(stmt);
	free(list);
	return rc < 0 ? rc : 0;
}

/* An adjacency row (see branch) as a pending edge. */
static int take_edge(struct graph *g, struct store_stmt *stmt, int kind, struct gx_error *err)
{
	int from = graph_find(g, kind, store_col_int(stmt, 6));
	if (from < 0) /* cannot happen: the expanded node is in the graph */
		return 0;
	return pending_add(g, from, (int)store_col_int(stmt, 0), store_col_int(stmt, 1),
	                   store_col_text(stmt, 2), col_id_or_0(stmt, 3),
	                   (int)store_col_int(stmt, 4), (int)store_col_int(stmt, 5), err);
}

static int by_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* The ids of one kind that ids[first..last) or the pending edges name (all when pending is 0:
 * the level itself), sorted, each once; -1 when out of memory. */
static int level_list(struct graph *g, int kind, int first, int last, int pending, int64_t **out)
{
	int cap = pending ? g->npending : last - first, n = 0;
	int64_t *ids = malloc((size_t)(cap ? cap : 1) * sizeof *ids);
	if (!ids)
		return -1;
	for (int i = 0; pending && i < g->npending; i++)
		if (g->pending[i].is_contact == kind && graph_find(g, kind, g->pending[i].id) < 0)
			ids[n++] = g->pending[i].id;
	for (int i = first; !pending && i < last; i++)
		if (g->nodes[i].is_contact == kind)
			ids[n++] = g->nodes[i].id;
	qsort(ids, (size_t)n, sizeof *ids, by_id);
	int unique = 0;
	for (int i = 0; i < n; i++)
		if (!unique || ids[unique - 1] != ids[i])
			ids[unique++] = ids[i];
	*out = ids;
	return unique;
}

static const char *const up_types[2][2] = {{"subsidiary", NULL}, {"works_at", "reports_to"}};

/* Expands nodes first..last-1 (one level of the search) in three steps: their edges (the ones
 * their rows name, then one adjacency statement a kind), the far ends not yet in the graph
 * (one rows statement a kind, which leaves out the invisible: they join one hop further, at
 * the end of the list), and the edges whose far end is now known. */
static int graph_expand_level(struct graph *g, int first, int last, struct gx_error *err)
{
	int rc = 0, depth = g->nodes[first].depth + 1;
	g->npending = 0;
	for (int i = first; i < last && rc == 0; i++)
		for (int k = 0; k < 2 && rc == 0; k++)
			if (g->nodes[i].up[k])
				rc = pending_add(g, i, k, g->nodes[i].up[k],
				                 up_types[g->nodes[i].is_contact][k], 0, 0, 1, err);
	for (int step = 0; step < 2; step++)
		for (int kind = 0; kind < 2 && rc == 0; kind++) {
			int64_t *ids = NULL;
			int n = level_list(g, kind, first, last, step, &ids);
			if (n < 0)
				rc = gx_fail(err, GX_EINTERNAL, NULL, "out of memory");
			else if (n > 0 && step == 0)
				rc = level_each(g, &g->adjacency[kind], ids, n, take_edge, kind,
				                err);
			else if (n > 0)
				rc = level_each(g, &g->rows[kind], ids, n, graph_reach, depth, err);
			free(ids);
		}
	for (int p = 0; p < g->npending && rc == 0; p++) {
		struct pending *e = &g->pending[p];
		int j = graph_find(g, e->is_contact, e->id);
		if (j >= 0)
			graph_link(g, e->from, j, e->type, e->relationship_id, e->strength,
			           e->outward);
	}
	return rc;
}

static json_t *node_json(struct node *v)
{
	json_t *o = json_object();
	json_object_set_nocheck(o, "key", node_key(v));
	set_text(o, "kind", kind_name(v->is_contact));
	json_object_set_new_nocheck(o, "id", json_integer(v->id));
	if (v->name)
		set_text(o, "name", v->name);
	json_object_set_new_nocheck(o, "depth", json_integer(v->depth));
	if (v->is_contact) {
		set_text(o, "title", v->title);
		set_text(o, "buying_role", v->buying_role);
	}
	return o;
}

int network_neighbourhood(struct crm_ctx *ctx, struct network_node center, int hops, json_t **out,
                          struct gx_error *err)
{
	if (hops < 1 || hops > NETWORK_MAX_HOPS)
		return gx_fail(err, GX_EBADREQUEST, "hops", "hops must be a number from 1 to %d",
		               NETWORK_MAX_HOPS);
	struct graph g;
	graph_init(&g, ctx, 1);
	int rc = graph_start(&g, center, err);
	for (int first = 0, level = 0; rc == 0 && level < hops && first < g.n; level++) {
		int last = g.n;
		rc = graph_expand_level(&g, first, last, err);
		first = last;
	}
	if (rc == 0) {
		json_t *nodes = json_array();
		for (int i = 0; i < g.n; i++)
			json_array_append_new(nodes, node_json(&g.nodes[i]));
		*out = json_pack("{s:o, s:i, s:o, s:O, s:b}", "center",
		                 key_json(center.is_contact, center.id), "hops", hops, "nodes",
		                 nodes, "edges", g.edges, "truncated", g.truncated);
	}
	graph_free(&g);
	return rc;
}

/* The path from node i back to the start, as {"hops", "nodes", "edges"}; reversed puts the
 * start last (who can introduce us: from our contact to the target). */
static json_t *path_json(struct graph *g, int i, int start_first)
{
	json_t *nodes = json_array(), *edges = json_array();
	for (int k = i; k >= 0; k = g->nodes[k].parent) {
		struct node *v = &g->nodes[k];
		json_array_append_new(nodes, node_json(v));
		if (v->parent >= 0)
			json_array_append_new(edges, edge_json(g, &g->nodes[v->parent], v, v->type,
			                                       v->relationship_id, v->strength,
			                                       v->outward));
	}
	if (start_first) { /* built from the end back to the start: turn both lists round */
		for (size_t a = 0, b = json_array_size(nodes) - 1; a < b; a++, b--) {
			json_t *x = json_incref(json_array_get(nodes, a));
			json_array_set(nodes, a, json_array_get(nodes, b));
			json_array_set_new(nodes, b, x);
		}
		for (size_t a = 0, b = json_array_size(edges); b > 0 && a < b - 1; a++, b--) {
			json_t *x = json_incref(json_array_get(edges, a));
			json_array_set(edges, a, json_array_get(edges, b - 1));
			json_array_set_new(edges, b - 1, x);
		}
	}
	/* Depth counts from the search's start; in a path it is the position. */
	size_t k;
	json_t *v;
	json_array_foreach(nodes, k, v)
	{
		json_object_set_new(v, "depth", json_integer((json_int_t)k));
	}
	return json_pack("{s:I, s:o, s:o}", "hops", (json_int_t)json_array_size(edges), "nodes",
	                 nodes, "edges", edges);
}

/* The users whose contacts count as ours: the actor, and the actor's team. */
static int our_users(struct crm_ctx *ctx, int64_t **ids, int *n, struct gx_error *err)
{
	struct store_stmt *stmt = store_prepare(
	    ctx->store, "SELECT id FROM users WHERE id = ? OR (team = ? AND ? <> '')", err);
	if (!stmt)
		return GX_EINTERNAL;
	store_bind_int(stmt, 1, ctx->actor.user_id);
	store_bind_text(stmt, 2, ctx->actor.team);
	store_bind_text(stmt, 3, ctx->actor.team);
	int rc, cap = 0;
	*n = 0;
	*ids = NULL;
	while ((rc = store_step(stmt, err)) == STORE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			int64_t *grown = realloc(*ids, (size_t)cap * sizeof **ids);
			if (!grown) {
				rc = gx_fail(err, GX_EINTERNAL, NULL, "out of memory");
				break;
			}
			*ids = grown;
		}
		(*ids)[(*n)++] = store_col_int(stmt, 0);
	}
	store_done(stmt);
	return rc < 0 ? rc : 0;
}

static int is_ours(const struct node *v, const int64_t *ids, int n)
{
	for (int i = 0; v->is_contact && v->owner && i < n; i++)
		if (ids[i] == v->owner)
			return 1;
	return 0;
}

int network_paths(struct crm_ctx *ctx, const struct network_node *from, struct network_node to,
                  int max_hops, int limit, json_t **out, struct gx_error *err)
{
	if (max_hops < 1 || max_hops > NETWORK_MAX_PATH_HOPS)
		return gx_fail(err, GX_EBADREQUEST, "max_hops",
		               "max_hops must be a number from 1 to %d", NETWORK_MAX_PATH_HOPS);
	struct graph g;
	graph_init(&g, ctx, 0);
	int64_t *ours = NULL;
	int nours = 0;
	json_t *paths = json_array();
	/* A search from the far end: the target when looking for introducers. */
	int rc = graph_start(&g, from ? *from : to, err);
	if (rc == 0 && from) {
		struct graph check = {.ctx = ctx, .max_nodes = 1};
		rc = graph_grow(&check) < 0 ? gx_fail(err, GX_EINTERNAL, NULL, "out of memory")
		                            : graph_start(&check, to, err);
		graph_free(&check);
	}
	if (rc == 0 && !from)
		rc = our_users(ctx, &ours, &nours, err);
	int target = rc == 0 && from ? graph_find(&g, to.is_contact, to.id) : -1;
	for (int first = 0, level = 0, seen = 1; rc == 0 && target < 0 && level < max_hops &&
	                                         first < g.n && (int)json_array_size(paths) < limit;
	     level++) {
		int last = g.n;
		rc = graph_expand_level(&g, first, last, err);
		first = last;
		if (from)
			target = graph_find(&g, to.is_contact, to.id);
		for (; !from && seen < g.n && (int)json_array_size(paths) < limit; seen++)
			if (is_ours(&g.nodes[seen], ours, nours))
				json_array_append_new(paths, path_json(&g, seen, 0));
	}
	if (rc == 0 && from && target < 0)
		target = graph_find(&g, to.is_contact, to.id);
	if (rc == 0 && target >= 0)
		json_array_append_new(paths, path_json(&g, target, 1));
	free(ours);
	graph_free(&g);
	if (rc < 0) {
		json_decref(paths);
		return rc;
	}
	*out = json_pack("{s:o}", "paths", paths);
	return 0;
}

/* ---- org chart ---------------------------------------------------------------------------- */

struct person {
	int64_t id, manager;
	json_t *json;
	int first_report, next_sibling; /* indexes into the people array, -1 for none */
	int placed;
};

/* Attaches the reports of people[i] below it, depth first with an explicit stack: a chart may
 * be thousands deep in theory (a chain), which recursion should not have to survive. */
static void place_reports(struct person *people, int i, int *stack)
{
	int top = 0;
	stack[top++] = i;
	people[i].placed = 1;
	while (top > 0) {
		int p = stack[--top];
		json_t *reports = json_object_get(people[p].json, "reports");
		for (int c = people[p].first_report; c >= 0; c = people[c].next_sibling) {
			if (people[c].placed)
				continue;
			people[c].placed = 1;
			json_array_append(reports, people[c].json);
			stack[top++] = c;
		}
	}
}

static int person_index(const struct person *people, int n, int64_t id)
{
	/* people are sorted by id: binary search */
	int lo = 0, hi = n - 1;
	while (lo <= hi) {
		int mid = lo + (hi - lo) / 2;
		if (people[mid].id == id)
			return mid;
		if (people[mid].id < id)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

int network_orgchart(struct crm_ctx *ctx, int64_t account_id, json_t **out, struct gx_error *err)
{
	json_t *account = NULL;
	int rc = records_get(ctx, &account_kind, account_id, &account, err);
	if (rc < 0)
		return rc;
	struct sql q = {0};
	sql_add(&q, "SELECT r.id, r.name, r.title, r.department, r.buying_role, r.reports_to_id "
	            "FROM contacts r WHERE r.account_id = ");
	sql_int(&q, account_id);
	sql_add(&q, " AND ");
	sql_visible(&q, &ctx->actor, ACCESS_CONTACT);
	sql_add(&q, " ORDER BY r.id");
	struct store_stmt *stmt = sql_prepare(&q, ctx->store, err);
	sql_free(&q);
	struct person *people = NULL;
	int n = 0, cap = 0;
	rc = stmt ? 0 : GX_EINTERNAL;
	while (rc == 0 && (rc = store_step(stmt, err)) == STORE_ROW) {
		rc = 0;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			struct person *grown = realloc(people, (size_t)cap * sizeof *people);
			if (!grown) {
				rc = gx_fail(err, GX_EINTERNAL, NULL, "out of memory");
				break;
			}
			people = grown;
		}
		struct person *p = &people[n++];
		*p = (struct person){.id = store_col_int(stmt, 0),
		                     .manager =
		                         store_col_is_null(stmt, 5) ? 0 : store_col_int(stmt, 5),
		                     .first_report = -1,
		                     .next_sibling = -1};
		p->json =
		    json_pack("{s:I, s:s?, s:s?, s:s?, s:s?, s:n, s:[]}", "id", (json_int_t)p->id,
		              "name", store_col_text(stmt, 1), "title", store_col_text(stmt, 2),
		              "department", store_col_text(stmt, 3), "buying_role",
		              store_col_text(stmt, 4), "reports_to_id", "reports");
	}
	store_done(stmt);
	int *stack = rc < 0 ? NULL : malloc(((size_t)n + 1) * sizeof *stack);
	if (rc == 0 && !stack)
		rc = gx_fail(err, GX_EINTERNAL, NULL, "out of memory");
	json_t *roots = json_array();
	if (rc == 0) {
		/* Children lists in reverse id order, so prepending keeps them by id. */
		for (int i = n - 1; i >= 0; i--) {
			int m = people[i].manager ? person_index(people, n, people[i].manager) : -1;
			if (m < 0 || m == i)
				continue;
			json_object_set_new(people[i].json, "reports_to_id",
			                    json_integer(people[m].id));
			people[i].next_sibling = people[m].first_report;
			people[m].first_report = i;
		}
		/* Roots: no visible manager here. A loop (only by editing the file by hand) has
		 * none; its first member becomes a root so that nobody is lost. */
		for (int pass = 0; pass < 2; pass++)
			for (int i = 0; i < n; i++) {
				int m = people[i].manager
				            ? person_index(people, n, people[i].manager)
				            : -1;
				if (people[i].placed || (pass == 0 && m >= 0 && m != i))
					continue;
				json_array_append(roots, people[i].json);
				place_reports(people, i, stack);
			}
		*out = json_pack("{s:{s:O, s:O}, s:i, s:o}", "account", "id",
		                 json_object_get(account, "id"), "name",
		                 json_object_get(account, "name"), "count", n, "roots", roots);
		roots = NULL;
	}
	json_decref(roots);
	for (int i = 0; i < n; i++)
		json_decref(people[i].json);
	free(people);
	free(stack);
	json_decref(account);
	return rc < 0 ? rc : 0;
}

/* ---- decision makers we never talked to --------------------------------------------------- */

static int parse_id_cursor(const char *cursor, int64_t *after, struct gx_error *err)
{
	*after = 0;
	if (!cursor)
		return 0;
	char *end;
	long long n = strtoll(cursor, &end, 10);
	if (!*cursor || *end || n < 0)
		return gx_fail(err, GX_EBADREQUEST, "cursor",
		               "the cursor is not one this server gave");
	*after = n;
	return 0;
}

static void set_id_cursor(json_t *out, int more, int64_t last)
{
	char next[32];
	snprintf(next, sizeof next, "%lld", (long long)last);
	json_object_set_new(out, "next_cursor", more ? json_string(next) : json_null());
}

static int decision_makers_of(struct crm_ctx *ctx, int64_t account_id, json_t **out,
                              struct gx_error *err)
{
	struct sql q = {0};
	sql_add(&q, "SELECT r.id, r.name, r.title FROM contacts r WHERE r.buying_role = "
	            "'decision_maker' AND r.account_id = ");
	sql_int(&q, account_id);
	sql_add(&q, " AND ");
	sql_visible(&q, &ctx->actor, ACCESS_CONTACT);
	sql_add(&q, " ORDER BY r.id LIMIT 100");
	struct store_stmt *stmt = sql_prepare(&q, ctx->store, err);
	sql_free(&q);
	if (!stmt)
		return GX_EINTERNAL;
	json_t *list = json_array();
	int rc;
	while ((rc = store_step(stmt, err)) == STORE_ROW)
		json_array_append_new(list, json_pack("{s:I, s:s?, s:s?}", "id",
		                                      (json_int_t)store_col_int(stmt, 0), "name",
		                                      store_col_text(stmt, 1), "title",
		                                      store_col_text(stmt, 2)));
	store_done(stmt);
	if (rc < 0) {
		json_decref(list);
		return rc;
	}
	*out = list;
	return 0;
}

int network_uncontacted_decision_makers(struct crm_ctx *ctx, int limit, const char *cursor,
                                        json_t **out, struct gx_error *err)
{
	int64_t after;
	int rc = parse_id_cursor(cursor, &after, err);
	if (rc < 0)
		return rc;
	/* Driven by the (buying_role, account_id) index: accounts in id order that have a visible
	 * decision maker, none of whom has a single interaction. */
	struct sql q = {0};
	sql_add(&q,
	        "SELECT a.id, a.name, a.owner_id, a.tier FROM accounts a WHERE a.id IN "
	        "(SELECT r.account_id FROM contacts r WHERE r.buying_role = 'decision_maker' AND "
	        "r.account_id > ");
	sql_int(&q, after);
	sql_add(&q, " AND ");
	sql_visible(&q, &ctx->actor, ACCESS_CONTACT);
	sql_add(&q, ") AND NOT EXISTS (SELECT 1 FROM contacts r JOIN interactions i ON "
	            "i.contact_id = r.id WHERE r.account_id = a.id AND r.buying_role = "
	            "'decision_maker' AND ");
	sql_visible(&q, &ctx->actor, ACCESS_CONTACT);
	sql_add(&q, ") AND ");
	sql_add(&q, "EXISTS (SELECT 1 FROM accounts r WHERE r.id = a.id AND ");
	sql_visible(&q, &ctx->actor, ACCESS_ACCOUNT);
	sql_add(&q, ") ORDER BY a.id LIMIT ");
	sql_int(&q, limit + 1);
	struct store_stmt *stmt = sql_prepare(&q, ctx->store, err);
	sql_free(&q);
	if (!stmt)
		return GX_EINTERNAL;
	json_t *accounts = json_array();
	while ((rc = store_step(stmt, err)) == STORE_ROW && (int)json_array_size(accounts) < limit)
		json_array_append_new(
		    accounts,
		    json_pack("{s:I, s:s?, s:o, s:s?}", "id", (json_int_t)store_col_int(stmt, 0),
		              "name", store_col_text(stmt, 1), "owner_id",
		              store_col_is_null(stmt, 2) ? json_null()
		                                         : json_integer(store_col_int(stmt, 2)),
		              "tier", store_col_text(stmt, 3)));
	int more = rc == STORE_ROW;
	store_done(stmt);
	/* The decision makers of each, now that the list statement is done. */
	json_t *data = json_array();
	size_t i;
	json_t *account;
	json_array_foreach(accounts, i, account)
	{
		if (rc < 0)
			break;
		json_t *people = NULL;
		rc = decision_makers_of(ctx, json_integer_value(json_object_get(account, "id")),
		                        &people, err);
		if (rc == 0)
			json_array_append_new(data, json_pack("{s:O, s:o}", "account", account,
			                                      "decision_makers", people));
	}
	int64_t last = json_integer_value(
	    json_object_get(json_array_get(accounts, json_array_size(accounts) - 1), "id"));
	json_decref(accounts);
	if (rc < 0) {
		json_decref(data);
		return rc;
	}
	*out = json_pack("{s:o}", "data", data);
	set_id_cursor(*out, more, last);
	return 0;
}

/* ---- referral chains ---------------------------------------------------------------------- */

struct referral {
	int referred, referrer; /* node indexes */
	char referred_on[11];   /* valid_from of the relationship, or "" */
};

struct referral_graph {
	struct graph g; /* nodes only: customers in a referral; owner holds lifetime revenue */
	struct referral *edges;
	int n, cap;
};

static int referral_node(struct referral_graph *rg, int is_contact, int64_t id, const char *name,
                         int64_t revenue)
{
	int i = graph_find(&rg->g, is_contact, id);
	if (i < 0)
		i = graph_add(&rg->g, is_contact, id, 0, -1, name, NULL, NULL, revenue);
	return i;
}

static int load_referrals(struct crm_ctx *ctx, struct referral_graph *rg, struct gx_error *err)
{
	/* Both ends visible (the relationship rule); names and revenue come with the row. */
	static const char *const ends[2] = {"from", "to"};
	struct sql q = {0};
	sql_add(&q, "SELECT r.from_kind = 'contact', r.valid_from");
	for (int e = 0; e < 2; e++) {
		char part[600];
		snprintf(
		    part, sizeof part,
		    ", r.%s_id, CASE r.from_kind WHEN 'contact' THEN (SELECT name FROM contacts "
		    "WHERE id = r.%s_id) ELSE (SELECT name FROM accounts WHERE id = r.%s_id) END, "
		    "CASE r.from_kind WHEN 'contact' THEN (SELECT TOTAL(amount_minor) FROM orders "
		    "WHERE contact_id = r.%s_id AND status = 'completed' AND currency = ",
		    ends[e], ends[e], ends[e], ends[e]);
		sql_add(&q, part);
		sql_text(&q, ctx->config->currency);
		snprintf(
		    part, sizeof part,
		    ") ELSE (SELECT TOTAL(amount_minor) FROM orders WHERE account_id = r.%s_id "
		    "AND status = 'completed' AND currency = ",
		    ends[e]);
		sql_add(&q, part);
		sql_text(&q, ctx->config->currency);
		sql_add(&q, ") END");
	}
	sql_add(&q, " FROM relationships r WHERE r.type = 'referred_by' AND ");
	sql_visible(&q, &ctx->actor, ACCESS_RELATIONSHIP);
	sql_add(&q, " ORDER BY r.id");
	struct store_stmt *stmt = sql_prepare(&q, ctx->store, err);
	sql_free(&q);
	if (!stmt)
		return GX_EINTERNAL;
	int rc;
	while ((rc = store_step(stmt, err)) == STORE_ROW) {
		int is_contact = (int)store_col_int(stmt, 0);
		int referred = referral_node(rg, is_contact, store_col_int(stmt, 2),
		                             store_col_text(stmt, 3), store_col_int(stmt, 4));
		int referrer = referral_node(rg, is_contact, store_col_int(stmt, 5),
		                             store_col_text(stmt, 6), store_col_int(stmt, 7));
		if (referred >= 0 && referrer >= 0 && rg->n == rg->cap) {
			rg->cap = rg->cap ? rg->cap * 2 : 64;
			struct referral *grown =
			    realloc(rg->edges, (size_t)rg->cap * sizeof *grown);
			if (grown)
				rg->edges = grown;
			else
				referred = -1;
		}
		if (referred < 0 || referrer < 0) {
			rc = gx_fail(err, GX_EINTERNAL, NULL, "out of memory");
			break;
		}
		struct referral *r = &rg->edges[rg->n++];
		*r = (struct referral){.referred = referred, .referrer = referrer};
		snprintf(r->referred_on, sizeof r->referred_on, "%s",
		         store_col_is_null(stmt, 1) ? "" : store_col_text(stmt, 1));
		rg->g.nodes[referred].depth = 1; /* depth 1: was referred by someone */
	}
	store_done(stmt);
	return rc < 0 ? rc : 0;
}

static json_t *money_json(int64_t minor)
{
	char text[32];
	money_format(minor, text, sizeof text);
	return json_string(text);
}

static json_t *customer_json(const struct node *v)
{
	return json_pack("{s:s, s:s, s:I, s:s?}", "key", v->key, "kind", kind_name(v->is_contact),
	                 "id", (json_int_t)v->id, "name", v->name);
}

/* The customers referred by node i and by them in turn; adds their revenue and count. A node
 * already on the chain is not entered twice (referral loops exist in real data). */
static json_t *referred_by(struct referral_graph *rg, int i, char *on_chain, int64_t *revenue,
                           int64_t *customers, int level)
{
	json_t *list = json_array();
	for (int e = 0; e < rg->n && level < 64; e++) {
		const struct referral *r = &rg->edges[e];
		if (r->referrer != i || on_chain[r->referred])
			continue;
		const struct node *v = &rg->g.nodes[r->referred];
		on_chain[r->referred] = 1;
		json_t *o = customer_json(v);
		json_object_set_new(o, "referred_on",
		                    r->referred_on[0] ? json_string(r->referred_on) : json_null());
		json_object_set_new(o, "revenue", money_json(v->owner));
		*revenue += v->owner;
		*customers += 1;
		json_object_set_new(
		    o, "referred",
		    referred_by(rg, r->referred, on_chain, revenue, customers, level + 1));
		json_array_append_new(list, o);
	}
	return list;
}

struct chain {
	json_t *json;
	int64_t revenue;
};

static int compare_chains(const void *a, const void *b)
{
	const struct chain *x = a, *y = b;
	return x->revenue < y->revenue ? 1 : x->revenue > y->revenue ? -1 : 0;
}

int network_referrals(struct crm_ctx *ctx, int limit, const char *cursor, json_t **out,
                      struct gx_error *err)
{
	int64_t offset;
	int rc = parse_id_cursor(cursor, &offset, err);
	if (rc < 0)
		return rc;
	struct referral_graph rg = {0};
	rg.g.ctx = ctx;
	rc = graph_grow(&rg.g) < 0 ? gx_fail(err, GX_EINTERNAL, NULL, "out of memory") : 0;
	if (rc == 0)
		rc = load_referrals(ctx, &rg, err);
	struct chain *chains = rc == 0 ? calloc((size_t)rg.g.n + 1, sizeof *chains) : NULL;
	char *on_chain = rc == 0 ? calloc((size_t)rg.g.n + 1, 1) : NULL;
	int nchains = 0;
	if (rc == 0 && (!chains || !on_chain))
		rc = gx_fail(err, GX_EINTERNAL, NULL, "out of memory");
	/* Chains start at referrers nobody referred; a pure loop starts at its first member. */
	char *started = rc == 0 ? calloc((size_t)rg.g.n + 1, 1) : NULL;
	for (int pass = 0; rc == 0 && started && pass < 2; pass++)
		for (int e = 0; e < rg.n; e++) {
			int i = rg.edges[e].referrer;
			if (started[i] || (pass == 0 && rg.g.nodes[i].depth) ||
			    (pass == 1 && on_chain[i]))
				continue;
			started[i] = 1;
			memset(on_chain, 0, (size_t)rg.g.n);
			on_chain[i] = 1;
			int64_t revenue = 0, customers = 0, direct = 0;
			json_t *tree = referred_by(&rg, i, on_chain, &revenue, &customers, 0);
			size_t k;
			json_t *child;
			json_array_foreach(tree, k, child)
			{
				int64_t minor = 0;
				money_parse(json_string_value(json_object_get(child, "revenue")),
				            &minor);
				direct += minor;
			}
			chains[nchains].revenue = revenue;
			chains[nchains++].json = json_pack(
			    "{s:o, s:o, s:o, s:o, s:I}", "referrer", customer_json(&rg.g.nodes[i]),
			    "referred", tree, "direct_revenue", money_json(direct), "chain_revenue",
			    money_json(revenue), "customers", (json_int_t)customers);
			/* Members of this chain do not start a loop chain of their own. */
			for (int k2 = 0; k2 < rg.g.n; k2++)
				started[k2] |= on_chain[k2] && pass == 1;
		}
	if (rc == 0 && !started)
		rc = gx_fail(err, GX_EINTERNAL, NULL, "out of memory");
	if (rc == 0) {
		qsort(chains, (size_t)nchains, sizeof *chains, compare_chains);
		json_t *data = json_array();
		for (int64_t k = offset; k < nchains && k < offset + limit; k++)
			json_array_append(data, chains[k].json);
		*out = json_pack("{s:o, s:s}", "data", data, "currency", ctx->config->currency);
		set_id_cursor(*out, offset + limit < nchains, offset + limit);
	}
	for (int k = 0; k < nchains; k++)
		json_decref(chains[k].json);
	free(chains);
	free(on_chain);
	free(started);
	graph_free(&rg.g);
	free(rg.edges);
	return rc;
}
