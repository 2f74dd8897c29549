/* sql.h — building one SQL statement with its bound values, so a query that grows clause by
 * clause (filters, search, visibility, keyset paging) keeps text and binds in step. Values are
 * always bound, never spliced: only fixed text from this code enters the SQL string. */
#ifndef GX_CRM_SQL_H
#define GX_CRM_SQL_H

#include <stdint.h>

#include "base/buf.h"
#include "crm/access.h"
#include "store/store.h"

#define SQL_MAX_BINDS 32

struct sql_bind {
	enum { BIND_INT, BIND_TEXT, BIND_NULL, BIND_SEARCH } kind;
	int64_t i;
	char *s;
};

struct sql {
	struct buf text;
	struct sql_bind binds[SQL_MAX_BINDS];
	int nbinds;
	int failed;
};

void sql_add(struct sql *q, const char *text);
/* Each appends "?" and records the value. */
void sql_int(struct sql *q, int64_t value);
void sql_text(struct sql *q, const char *value); /* NULL binds SQL NULL */
/* Appends the search source for needle: a parenthesised SELECT of the matching ids. */
void sql_search_ids(struct sql *q, enum store_index index, const char *needle);
/* Appends "<column> IN <search source>" for needle. */
void sql_search(struct sql *q, const char *column, enum store_index index, const char *needle);
/* Appends a condition (true for everyone but team-limited actors) that the row aliased `r` of
 * this kind is visible to actor: its owner, or for interactions and orders the owner of their
 * contact or account, is the actor or on the actor's team. Unowned records are not visible. */
void sql_visible(struct sql *q, const struct actor *actor, enum access_kind kind);
/* Prepares (cached by text) and binds; NULL with err filled on failure. */
struct store_stmt *sql_prepare(struct sql *q, struct store *store, struct gx_error *err);
void sql_free(struct sql *q);

#endif
