/* store.h — the one interface between the domain (src/crm) and a database backend.
 * A struct store is one connection, owned by one thread. Statements are prepared once per
 * connection and cached by their SQL text, so callers simply ask for the text each time.
 * SQL is portable: `?` placeholders (the PostgreSQL backend rewrites them to $n), ON CONFLICT,
 * RETURNING. Times are integer Unix seconds (UTC), money integer minor units. */
#ifndef GX_STORE_H
#define GX_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

struct store;
struct store_stmt;

enum store_step_result { STORE_DONE = 0, STORE_ROW = 1 };

/* Opens (creating when absent) the database at path. Does not migrate. */
int store_open(struct store **out, const char *path, struct gx_error *err);
void store_close(struct store *store);

/* Schema: the migrations compiled into this binary. store_migrate upgrades an older file in
 * place, one transaction per migration; a file newer than this binary is refused. */
int store_schema_version(struct store *store, int *version, struct gx_error *err);
int store_schema_latest(void);
int store_migrate(struct store *store, struct gx_error *err);

/* Transactions nest: only the outermost begin/commit touch the database; a rollback at any
 * depth marks the whole transaction failed and the outermost end rolls it back. */
int store_begin(struct store *store, struct gx_error *err);
int store_commit(struct store *store, struct gx_error *err);
void store_rollback(struct store *store);

/* A savepoint inside the current transaction (one at a time): store_release keeps what was
 * done since, store_rollback_to undoes it, including the failure mark of a nested
 * store_rollback, so one bad row of a batch does not doom the batch. */
int store_savepoint(struct store *store, struct gx_error *err);
int store_release(struct store *store, struct gx_error *err);
void store_rollback_to(struct store *store);

/* A cached, reset statement for sql; NULL with err filled on a syntax error. Use it, then
 * store_done() (or let the next store_prepare of the same text reset it). */
struct store_stmt *store_prepare(struct store *store, const char *sql, struct gx_error *err);
void store_done(struct store_stmt *stmt);

/* Binding: idx counts from 1. Text is copied. NULL text binds SQL NULL. */
void store_bind_int(struct store_stmt *stmt, int idx, int64_t value);
void store_bind_text(struct store_stmt *stmt, int idx, const char *value);
void store_bind_null(struct store_stmt *stmt, int idx);

/* STORE_ROW, STORE_DONE, or a negative GX_E* code with err filled (GX_ECONFLICT for a
 * unique-constraint violation, GX_EVALIDATION for a foreign-key or check violation). */
int store_step(struct store_stmt *stmt, struct gx_error *err);
/* Runs a statement that returns no rows (or ignores them). */
int store_exec(struct store_stmt *stmt, struct gx_error *err);

int64_t store_col_int(struct store_stmt *stmt, int col);
/* Valid until the next step/done of this statement; NULL for SQL NULL. */
const char *store_col_text(struct store_stmt *stmt, int col);
int store_col_is_null(struct store_stmt *stmt, int col);

int64_t store_last_insert_id(struct store *store);
int store_changes(struct store *store);

/* Online backup to a new file, safe while other connections read and write. */
int store_backup(struct store *store, const char *dest_path, struct gx_error *err);

/* Relaxed durability for a bulk load into a database no one else uses yet (demo data):
 * commits may be lost on power failure but the file never corrupts. Off restores FULL. */
int store_bulk_mode(struct store *store, int on, struct gx_error *err);

/* Filling a new database that holds nothing of value yet (demo data) at the cost of writing the
 * file once: no journal and no syncs until off, which syncs the file and returns to WAL with
 * FULL. Meanwhile the file's header marks it as being loaded: if the load never finishes (a
 * crash, a kill -9), store_open refuses the file, which may be torn, with a message saying to
 * delete it. Needs the only connection to the file: GX_ECONFLICT when others are open. */
int store_unjournaled_load(struct store *store, int on, struct gx_error *err);

/* Substring search over folded documents (text_fold() output), one index per record kind.
 * The backend picks the structure: SQLite uses an FTS5 trigram index for needles of three or more
 * characters and, for shorter ones (trigrams cannot answer those), an FTS5 index of single CJK
 * characters and of the first two characters of Latin and digit runs: a one- or two-character
 * needle finds CJK text anywhere, and Latin or digits at the start of a field (a name, its
 * initials, an email, a phone number, a tag). */
enum store_index { STORE_INDEX_CONTACTS, STORE_INDEX_ACCOUNTS };

/* Sets (or with doc NULL removes) the document of record id. */
int store_search_put(struct store *store, enum store_index index, int64_t id, const char *doc,
                     struct gx_error *err);
/* A row source for a FROM clause, `(SELECT ... AS id ...)`, of the ids whose document contains
 * needle, in ascending id order, with exactly one `?` to bind with store_search_bind(). */
const char *store_search_source(enum store_index index, const char *needle);
void store_search_bind(struct store_stmt *stmt, int idx, const char *needle);

#endif
