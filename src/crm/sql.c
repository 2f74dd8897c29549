/* sql.c — the statement builder and the visibility rule every read and write goes through. */
#include "crm/sql.h"

#include <stdlib.h>
#include <string.h>

void sql_add(struct sql *q, const char *text)
{
	buf_append(&q->text, text);
}

static struct sql_bind *next_bind(struct sql *q)
{
	if (q->nbinds == SQL_MAX_BINDS) {
		q->failed = 1;
		return NULL;
	}
	sql_add(q, "?");
	return &q->binds[q->nbinds++];
}

void sql_int(struct sql *q, int64_t value)
{
	struct sql_bind *b = next_bind(q);
	if (b)
		*b = (struct sql_bind){.kind = BIND_INT, .i = value};
}

void sql_text(struct sql *q, const char *value)
{
	struct sql_bind *b = next_bind(q);
	if (!b)
		return;
	*b = (struct sql_bind){.kind = value ? BIND_TEXT : BIND_NULL};
	if (value && !(b->s = strdup(value)))
		q->failed = 1;
}

void sql_search_ids(struct sql *q, enum store_index index, const char *needle)
{
	const char *source = store_search_source(index, needle);
	const char *mark = strchr(source, '?');
	buf_append_n(&q->text, source, (size_t)(mark - source));
	struct sql_bind *b = next_bind(q);
	if (b) {
		*b = (struct sql_bind){.kind = BIND_SEARCH, .s = strdup(needle)};
		if (!b->s)
			q->failed = 1;
	}
	sql_add(q, mark + 1);
}

void sql_search(struct sql *q, const char *column, enum store_index index, const char *needle)
{
	sql_add(q, column);
	sql_add(q, " IN ");
	sql_search_ids(q, index, needle);
}

static void owner_visible(struct sql *q, const struct actor *actor, const char *owner)
{
	sql_add(q, owner);
	if (!actor->team[0]) {
		sql_add(q, " = ");
		sql_int(q, actor->user_id);
		return;
	}
	sql_add(q, " IN (SELECT id FROM users WHERE team = ");
	sql_text(q, actor->team);
	sql_add(q, " OR id = ");
	sql_int(q, actor->user_id);
	sql_add(q, ")");
}

void sql_visible(struct sql *q, const struct actor *actor, enum access_kind kind)
{
	if (!access_team_limited(actor)) {
		sql_add(q, "1 = 1");
		return;
	}
	if (kind == ACCESS_ACCOUNT || kind == ACCESS_CONTACT) {
		owner_visible(q, actor, "r.owner_id");
		return;
	}
	if (kind == ACCESS_RELATIONSHIP) {
		/* Both ends (of one kind): a relationship never reveals a customer. */
		sql_add(q,
		        "(CASE r.from_kind WHEN 'contact' THEN EXISTS (SELECT 1 FROM contacts vf "
		        "WHERE vf.id = r.from_id AND ");
		owner_visible(q, actor, "vf.owner_id");
		sql_add(q, ") AND EXISTS (SELECT 1 FROM contacts vt WHERE vt.id = r.to_id AND ");
		owner_visible(q, actor, "vt.owner_id");
		sql_add(q, ") ELSE EXISTS (SELECT 1 FROM accounts vf WHERE vf.id = r.from_id AND ");
		owner_visible(q, actor, "vf.owner_id");
		sql_add(q, ") AND EXISTS (SELECT 1 FROM accounts vt WHERE vt.id = r.to_id AND ");
		owner_visible(q, actor, "vt.owner_id");
		sql_add(q, ") END)");
		return;
	}
	/* Interactions and orders belong to whoever may see their contact or their account. */
	sql_add(q, "(EXISTS (SELECT 1 FROM contacts vc WHERE vc.id = r.contact_id AND ");
	owner_visible(q, actor, "vc.owner_id");
	sql_add(q, ") OR EXISTS (SELECT 1 FROM accounts va WHERE va.id = r.account_id AND ");
	owner_visible(q, actor, "va.owner_id");
	sql_add(q, "))");
}

struct store_stmt *sql_prepare(struct sql *q, struct store *store, struct gx_error *err)
{
	const char *text = buf_text(&q->text);
	if (q->failed || !text) {
		gx_fail(err, GX_EINTERNAL, NULL, "out of memory");
		return NULL;
	}
	struct store_stmt *stmt = store_prepare(store, text, err);
	if (!stmt)
		return NULL;
	for (int i = 0; i < q->nbinds; i++) {
		const struct sql_bind *b = &q->binds[i];
		switch (b->kind) {
		case BIND_INT: store_bind_int(stmt, i + 1, b->i); break;
		case BIND_TEXT: store_bind_text(stmt, i + 1, b->s); break;
		case BIND_NULL: store_bind_null(stmt, i + 1); break;
		case BIND_SEARCH: store_search_bind(stmt, i + 1, b->s); break;
		}
	}
	return stmt;
}

void sql_free(struct sql *q)
{
	for (int i = 0; i < q->nbinds; i++)
		free(q->binds[i].s);
	buf_free(&q->text);
	q->nbinds = 0;
}
