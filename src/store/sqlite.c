/* sqlite.c — the SQLite backend of store.h: one connection per thread, WAL with
 * synchronous=FULL (a reply of success survives power loss), foreign keys on, a statement cache
 * keyed by SQL text, nested transactions, compiled-in migrations, online backup and the FTS5
 * trigram search indexes. A second backend (PostgreSQL) implements the same header. */
#include <stdio.h>
#include "store/store.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "base/log.h"
#include "store/migrations.h"

struct cached_stmt {
	char *sql;
	uint64_t hash;
	sqlite3_stmt *stmt;
};

struct store {
	sqlite3 *db;
	struct cached_stmt *cache;
	size_t cache_cap; /* power of two */
	size_t cache_len;
	int tx_depth;
	int tx_failed;
	int savepoint_failed; /* tx_failed when the savepoint was taken */
};

#define AS_STMT(s) ((sqlite3_stmt *)(s))

static uint64_t hash_text(const char *s)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static int fail_sqlite(struct store *store, struct gx_error *err, const char *what)
{
	log_error("sqlite: %s: %s", what, sqlite3_errmsg(store->db));
	return gx_fail(err, GX_EINTERNAL, NULL, "storage error");
}

static int run_sql(struct store *store, const char *sql, struct gx_error *err)
{
	char *message = NULL;
	if (sqlite3_exec(store->db, sql, NULL, NULL, &message) == SQLITE_OK)
		return 0;
	log_error("sqlite: %s", message ? message : "exec failed");
	sqlite3_free(message);
	return gx_fail(err, GX_EINTERNAL, NULL, "storage error");
}

/* ---- the guanxi_short tokenizer (see migrations/0002_short_search.sql) ------------------- */

static int is_ascii_alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Bytes of the UTF-8 sequence a lead byte starts, at most `left`. */
static int utf8_sequence(unsigned char lead, int left)
{
	int n = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
	return n < left ? n : left;
}

/* Folded documents hold letters, digits and '|' between fields: every non-ASCII character is a
 * token of its own, every run of ASCII letters and digits one token of its first two bytes
 * (only needles of one or two characters come to this index), and the rest separates. */
static int short_tokenize(Fts5Tokenizer *tokenizer, void *ctx, int flags, const char *text, int len,
                          int (*token)(void *, int, const char *, int, int, int))
{
	(void)tokenizer;
	(void)flags;
	const unsigned char *s = (const unsigned char *)text;
	int rc = SQLITE_OK;
	for (int i = 0; i < len && rc == SQLITE_OK;) {
		int start = i;
		if (s[i] >= 0x80) {
			i += utf8_sequence(s[i], len - i);
			rc = token(ctx, 0, text + start, i - start, start, i);
		} else if (is_ascii_alnum(s[i])) {
			while (i < len && is_ascii_alnum(s[i]))
				i++;
			rc = token(ctx, 0, text + start, i - start < 2 ? i - start : 2, start, i);
		} else {
			i++;
		}
	}
	return rc;
}

static int short_create(void *ctx, const char **args, int nargs, Fts5Tokenizer **out)
{
	(void)args;
	(void)nargs;
	*out = ctx; /* stateless: any non-NULL handle */
	return SQLITE_OK;
}

static void short_delete(Fts5Tokenizer *tokenizer)
{
	(void)tokenizer;
}

static int register_tokenizer(sqlite3 *db)
{
	static fts5_tokenizer short_tokenizer = {short_create, short_delete, short_tokenize};
	fts5_api *api = NULL;
	sqlite3_stmt *stmt = NULL;
	if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &stmt, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_pointer(stmt, 1, (void *)&api, "fts5_api_ptr", NULL);
	sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (!api || api->iVersion < 2)
		return -1;
	return api->xCreateTokenizer(api, "guanxi_short", (void *)&short_tokenizer,
	                             &short_tokenizer, NULL) == SQLITE_OK
	           ? 0
	           : -1;
}

#define BUSY_TIMEOUT_MS 10000

/* The file header's application id while store_unjournaled_load is on ("GXLD"). */
#define LOADING_MARK 0x47584C44

/* Runs a PRAGMA journal_mode=...: 0 when SQLite reports `mode` after it, GX_ECONFLICT when
 * another connection keeps it from changing (at once: no busy wait for a lock that the other
 * connection may hold for as long as it lives). */
static int set_journal_mode(struct store *store, const char *sql, const char *mode,
                            struct gx_error *err)
{
	sqlite3_stmt *stmt = NULL;
	sqlite3_busy_timeout(store->db, 0);
	int step = sqlite3_prepare_v2(store->db, sql, -1, &stmt, NULL) == SQLITE_OK
	               ? sqlite3_step(stmt)
	               : SQLITE_ERROR;
	const char *now = step == SQLITE_ROW ? (const char *)sqlite3_column_text(stmt, 0) : NULL;
	int busy = (step & 0xff) == SQLITE_BUSY || (step & 0xff) == SQLITE_LOCKED;
	int rc = 0;
	if (!now || strcmp(now, mode) != 0)
		rc = now || busy ? gx_fail(err, GX_ECONFLICT, NULL,
		                           "the database is in use by another connection")
		                 : gx_fail(err, GX_EINTERNAL, NULL, "storage error: %s",
		                           sqlite3_errmsg(store->db));
	sqlite3_finalize(stmt);
	sqlite3_busy_timeout(store->db, BUSY_TIMEOUT_MS);
	return rc;
}

/* fsync(2) of the database file: what synchronous=OFF left in the kernel's cache reaches the
 * disk (Linux syncs a file's data whichever descriptor asks). */
static int sync_file(struct store *store, struct gx_error *err)
{
	const char *path = sqlite3_db_filename(store->db, "main");
	int fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	int rc = fd >= 0 && fsync(fd) == 0 ? 0 : -1;
	if (fd >= 0)
		close(fd);
	return rc == 0 ? 0 : gx_fail(err, GX_EINTERNAL, NULL, "cannot sync the database file");
}

int store_unjournaled_load(struct store *store, int on, struct gx_error *err)
{
	char mark[64];
	if (on) {
		snprintf(mark, sizeof mark, "PRAGMA application_id=%d", LOADING_MARK);
		if (run_sql(store, mark, err) < 0)
			return GX_EINTERNAL;
		int rc = set_journal_mode(store, "PRAGMA journal_mode=OFF", "off", err);
		if (rc < 0) {
			run_sql(store, "PRAGMA application_id=0", NULL);
			return rc;
		}
		return run_sql(store, "PRAGMA synchronous=OFF", err);
	}
	/* The data on disk first, and only then, durably, the mark gone. */
	if (sync_file(store, err) < 0 ||
	    set_journal_mode(store, "PRAGMA journal_mode=WAL", "wal", err) < 0 ||
	    run_sql(store, "PRAGMA synchronous=FULL; PRAGMA application_id=0", err) < 0)
		return GX_EINTERNAL;
	return run_sql(store, "PRAGMA wal_checkpoint(TRUNCATE)", err);
}

/* A file whose unjournaled load never finished may be torn anywhere: never used. */
static int check_not_loading(struct store *store, const char *path, struct gx_error *err)
{
	sqlite3_stmt *stmt = NULL;
	int loading =
	    sqlite3_prepare_v2(store->db, "PRAGMA application_id", -1, &stmt, NULL) == SQLITE_OK &&
	    sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_int(stmt, 0) == LOADING_MARK;
	sqlite3_finalize(stmt);
	if (!loading)
		return 0;
	return gx_fail(err, GX_ECONFLICT, NULL,
	               "%s: a demo data load into this new database was interrupted, so the file "
	               "is incomplete; delete it (and any %s-wal and %s-shm) and start again",
	               path, path, path);
}

/* SQLite counts every allocation under a global mutex for sqlite3_memory_used(), which Guanxi
 * never reads: ~3% of a 360 view. Must precede SQLite's initialisation; store is its only user. */
static void configure_sqlite(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	sqlite3_initialize();
}

int store_open(struct store **out, const char *path, struct gx_error *err)
{
	static pthread_once_t configured = PTHREAD_ONCE_INIT;
	pthread_once(&configured, configure_sqlite);
	*out = NULL;
	struct store *store = calloc(1, sizeof *store);
	if (!store)
		return gx_fail(err, GX_EINTERNAL, NULL, "out of memory");
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
	if (sqlite3_open_v2(path, &store->db, flags, NULL) != SQLITE_OK) {
		gx_fail(err, GX_EINTERNAL, NULL, "cannot open database %s: %s", path,
		        store->db ? sqlite3_errmsg(store->db) : "out of memory");
		store_close(store);
		return GX_EINTERNAL;
	}
	sqlite3_busy_timeout(store->db, BUSY_TIMEOUT_MS);
	sqlite3_extended_result_codes(store->db, 1);
	static const char pragmas[] = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
	                              "PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY;"
	                              "PRAGMA cache_size=-32768; PRAGMA mmap_size=2147418112;";
	if (run_sql(store, pragmas, err) < 0 || register_tokenizer(store->db) < 0) {
		gx_fail(err, GX_EINTERNAL, NULL, "cannot use database %s: %s", path,
		        sqlite3_errmsg(store->db));
		store_close(store);
		return GX_EINTERNAL;
	}
	if (check_not_loading(store, path, err) < 0) {
		store_close(store);
		return GX_ECONFLICT;
	}
	*out = store;
	return 0;
}

void store_close(struct store *store)
{
	if (!store)
		return;
	for (size_t i = 0; i < store->cache_cap; i++) {
		if (store->cache[i].sql) {
			sqlite3_finalize(store->cache[i].stmt);
			free(store->cache[i].sql);
		}
	}
	free(store->cache);
	sqlite3_close(store->db);
	free(store);
}

static int cache_grow(struct store *store)
{
	size_t cap = store->cache_cap ? store->cache_cap * 2 : 64;
	struct cached_stmt *grown = calloc(cap, sizeof *grown);
	if (!grown)
		return -1;
	for (size_t i = 0; i < store->cache_cap; i++) {
		struct cached_stmt *old = &store->cache[i];
		if (!old->sql)
			continue;
		size_t j = old->hash & (cap - 1);
		while (grown[j].sql)
			j = (j + 1) & (cap - 1);
		grown[j] = *old;
	}
	free(store->cache);
	store->cache = grown;
	store->cache_cap = cap;
	return 0;
}

struct store_stmt *store_prepare(struct store *store, const char *sql, struct gx_error *err)
{
	uint64_t hash = hash_text(sql);
	if (store->cache_cap) {
		for (size_t i = hash & (store->cache_cap - 1); store->cache[i].sql;
		     i = (i + 1) & (store->cache_cap - 1)) {
			struct cached_stmt *c = &store->cache[i];
			if (c->hash == hash && strcmp(c->sql, sql) == 0) {
				sqlite3_reset(c->stmt);
				sqlite3_clear_bindings(c->stmt);
				return (struct store_stmt *)c->stmt;
			}
		}
	}
	if ((store->cache_len + 1) * 10 > store->cache_cap * 7 && cache_grow(store) < 0) {
		gx_fail(err, GX_EINTERNAL, NULL, "out of memory");
		return NULL;
	}
	sqlite3_stmt *stmt = NULL;
	if (sqlite3_prepare_v3(store->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL) !=
	    SQLITE_OK) {
		fail_sqlite(store, err, "prepare");
		log_error("sqlite: in: %s", sql);
		return NULL;
	}
	char *copy = strdup(sql);
	if (!copy) {
		sqlite3_finalize(stmt);
		gx_fail(err, GX_EINTERNAL, NULL, "out of memory");
		return NULL;
	}
	size_t i = hash & (store->cache_cap - 1);
	while (store->cache[i].sql)
		i = (i + 1) & (store->cache_cap - 1);
	store->cache[i] = (struct cached_stmt){copy, hash, stmt};
	store->cache_len++;
	return (struct store_stmt *)stmt;
}

void store_done(struct store_stmt *stmt)
{
	if (stmt)
		sqlite3_reset(AS_STMT(stmt));
}

void store_bind_int(struct store_stmt *stmt, int idx, int64_t value)
{
	sqlite3_bind_int64(AS_STMT(stmt), idx, value);
}

void store_bind_text(struct store_stmt *stmt, int idx, const char *value)
{
	if (value)
		sqlite3_bind_text(AS_STMT(stmt), idx, value, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(AS_STMT(stmt), idx);
}

void store_bind_null(struct store_stmt *stmt, int idx)
{
	sqlite3_bind_null(AS_STMT(stmt), idx);
}

int store_step(struct store_stmt *stmt, struct gx_error *err)
{
	int rc = sqlite3_step(AS_STMT(stmt));
	if (rc == SQLITE_ROW)
		return STORE_ROW;
	if (rc == SQLITE_DONE)
		return STORE_DONE;
	sqlite3 *db = sqlite3_db_handle(AS_STMT(stmt));
	switch (rc) {
	case SQLITE_CONSTRAINT_UNIQUE:
	case SQLITE_CONSTRAINT_PRIMARYKEY:
		return gx_fail(err, GX_ECONFLICT, NULL, "a record with this value already exists");
	case SQLITE_CONSTRAINT_FOREIGNKEY:
		return gx_fail(err, GX_EVALIDATION, NULL, "a referenced record does not exist");
	case SQLITE_CONSTRAINT_CHECK:
	case SQLITE_CONSTRAINT_NOTNULL:
		return gx_fail(err, GX_EVALIDATION, NULL, "a value is not allowed here");
	default:
		log_error("sqlite: step: %s (%d) in: %s", sqlite3_errmsg(db), rc,
		          sqlite3_sql(AS_STMT(stmt)));
		return gx_fail(err, GX_EINTERNAL, NULL, "storage error");
	}
}

int store_exec(struct store_stmt *stmt, struct gx_error *err)
{
	int rc;
	while ((rc = store_step(stmt, err)) == STORE_ROW)
		;
	store_done(stmt);
	return rc;
}

int64_t store_col_int(struct store_stmt *stmt, int col)
{
	return sqlite3_column_int64(AS_STMT(stmt), col);
}

const char *store_col_text(struct store_stmt *stmt, int col)
{
	return (const char *)sqlite3_column_text(AS_STMT(stmt), col);
}

int store_col_is_null(struct store_stmt *stmt, int col)
{
	return sqlite3_column_type(AS_STMT(stmt), col) == SQLITE_NULL;
}

int64_t store_last_insert_id(struct store *store)
{
	return sqlite3_last_insert_rowid(store->db);
}

int store_changes(struct store *store)
{
	return sqlite3_changes(store->db);
}

int store_begin(struct store *store, struct gx_error *err)
{
	if (store->tx_depth++ > 0)
		return 0;
	store->tx_failed = 0;
	/* IMMEDIATE takes the write lock up front, so busy_timeout applies instead of a
	 * deadlock-style SQLITE_BUSY on the first write of a deferred transaction. */
	if (run_sql(store, "BEGIN IMMEDIATE", err) < 0) {
		store->tx_depth = 0;
		return GX_EINTERNAL;
	}
	return 0;
}

int store_commit(struct store *store, struct gx_error *err)
{
	if (store->tx_depth == 0)
		return gx_fail(err, GX_EINTERNAL, NULL, "storage error");
	if (--store->tx_depth > 0)
		return 0;
	if (store->tx_failed) {
		run_sql(store, "ROLLBACK", NULL);
		return gx_fail(err, GX_EINTERNAL, NULL, "storage error");
	}
	if (run_sql(store, "COMMIT", err) < 0) {
		run_sql(store, "ROLLBACK", NULL);
		return GX_EINTERNAL;
	}
	return 0;
}

void store_rollback(struct store *store)
{
	if (store->tx_depth == 0)
		return;
	if (--store->tx_depth > 0) {
		store->tx_failed = 1;
		return;
	}
	run_sql(store, "ROLLBACK", NULL);
}

/* One savepoint at a time (imports undo a single row with it). The nested-transaction failure
 * mark is remembered, so undoing the row also forgets a failure the row's own nested
 * store_rollback left behind. */
int store_savepoint(struct store *store, struct gx_error *err)
{
	if (store->tx_depth == 0)
		return gx_fail(err, GX_EINTERNAL, NULL, "storage error");
	store->savepoint_failed = store->tx_failed;
	return run_sql(store, "SAVEPOINT gx_row", err) < 0 ? GX_EINTERNAL : 0;
}

int store_release(struct store *store, struct gx_error *err)
{
	return run_sql(store, "RELEASE gx_row", err) < 0 ? GX_EINTERNAL : 0;
}

void store_rollback_to(struct store *store)
{
	run_sql(store, "ROLLBACK TO gx_row", NULL);
	run_sql(store, "RELEASE gx_row", NULL);
	store->tx_failed = store->savepoint_failed;
}

int store_schema_latest(void)
{
	return store_migrations[store_migration_count - 1].version;
}

int store_schema_version(struct store *store, int *version, struct gx_error *err)
{
	struct store_stmt *stmt = store_prepare(store, "PRAGMA user_version", err);
	if (!stmt)
		return GX_EINTERNAL;
	int rc = store_step(stmt, err);
	if (rc == STORE_ROW)
		*version = (int)store_col_int(stmt, 0);
	store_done(stmt);
	return rc < 0 ? rc : 0;
}

int store_migrate(struct store *store, struct gx_error *err)
{
	int current = 0;
	if (store_schema_version(store, &current, err) < 0)
		return GX_EINTERNAL;
	if (current > store_schema_latest())
		return gx_fail(
		    err, GX_ECONFLICT, NULL,
		    "the database has schema version %d but this guanxi knows only up to "
		    "%d: use a newer guanxi",
		    current, store_schema_latest());
	for (int i = 0; i < store_migration_count; i++) {
		const struct store_migration *m = &store_migrations[i];
		if (m->version <= current)
			continue;
		char bump[64];
		snprintf(bump, sizeof bump, "PRAGMA user_version=%d", m->version);
		if (store_begin(store, err) < 0)
			return GX_EINTERNAL;
		if (run_sql(store, m->sql, err) < 0 || run_sql(store, bump, err) < 0) {
			store_rollback(store);
			return gx_fail(err, GX_EINTERNAL, NULL, "migration %s failed", m->name);
		}
		if (store_commit(store, err) < 0)
			return GX_EINTERNAL;
		log_info("migrated database to schema %d (%s)", m->version, m->name);
	}
	return 0;
}

int store_backup(struct store *store, const char *dest_path, struct gx_error *err)
{
	if (access(dest_path, F_OK) == 0)
		return gx_fail(err, GX_ECONFLICT, NULL, "%s already exists", dest_path);
	sqlite3 *dest = NULL;
	int rc =
	    sqlite3_open_v2(dest_path, &dest, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc == SQLITE_OK) {
		/* One step copies a consistent snapshot: under WAL, writers go on meanwhile. */
		sqlite3_backup *backup = sqlite3_backup_init(dest, "main", store->db, "main");
		if (backup) {
			sqlite3_backup_step(backup, -1);
			rc = sqlite3_backup_finish(backup);
		} else {
			rc = sqlite3_errcode(dest);
		}
	}
	if (rc != SQLITE_OK) {
		gx_fail(err, GX_EINTERNAL, NULL, "backup to %s failed: %s", dest_path,
		        dest ? sqlite3_errmsg(dest) : "out of memory");
		sqlite3_close(dest);
		unlink(dest_path);
		return GX_EINTERNAL;
	}
	sqlite3_close(dest);
	return 0;
}

int store_bulk_mode(struct store *store, int on, struct gx_error *err)
{
	if (on)
		return run_sql(store, "PRAGMA synchronous=NORMAL", err);
	/* Back to FULL and fold the WAL into the main file, synced, before claiming success. */
	if (run_sql(store, "PRAGMA synchronous=FULL", err) < 0)
		return GX_EINTERNAL;
	return run_sql(store, "PRAGMA wal_checkpoint(TRUNCATE)", err);
}

int store_search_put(struct store *store, enum store_index index, int64_t id, const char *doc,
                     struct gx_error *err)
{
	static const char *const upserts[] = {
	    [STORE_INDEX_CONTACTS] = "INSERT INTO search_contacts(id, doc) VALUES (?, ?) "
	                             "ON CONFLICT(id) DO UPDATE SET doc = excluded.doc",
	    [STORE_INDEX_ACCOUNTS] = "INSERT INTO search_accounts(id, doc) VALUES (?, ?) "
	                             "ON CONFLICT(id) DO UPDATE SET doc = excluded.doc",
	};
	static const char *const deletes[] = {
	    [STORE_INDEX_CONTACTS] = "DELETE FROM search_contacts WHERE id = ?",
	    [STORE_INDEX_ACCOUNTS] = "DELETE FROM search_accounts WHERE id = ?",
	};
	struct store_stmt *stmt = store_prepare(store, doc ? upserts[index] : deletes[index], err);
	if (!stmt)
		return GX_EINTERNAL;
	store_bind_int(stmt, 1, id);
	if (doc)
		store_bind_text(stmt, 2, doc);
	return store_exec(stmt, err);
}

/* Counts code points: trigrams need three of them, not three bytes. */
static size_t utf8_length(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

const char *store_search_source(enum store_index index, const char *needle)
{
	static const char *const trigram[] = {
	    [STORE_INDEX_CONTACTS] = "(SELECT rowid AS id FROM search_contacts_fts "
	                             "WHERE search_contacts_fts MATCH ?)",
	    [STORE_INDEX_ACCOUNTS] = "(SELECT rowid AS id FROM search_accounts_fts "
	                             "WHERE search_accounts_fts MATCH ?)",
	};
	static const char *const short_needle[] = {
	    [STORE_INDEX_CONTACTS] = "(SELECT rowid AS id FROM search_contacts_short "
	                             "WHERE search_contacts_short MATCH ?)",
	    [STORE_INDEX_ACCOUNTS] = "(SELECT rowid AS id FROM search_accounts_short "
	                             "WHERE search_accounts_short MATCH ?)",
	};
	/* Never LIKE on the FTS table: SQLite 3.40 answers LIKE over a trigram table wrongly. */
	return utf8_length(needle) >= 3 ? trigram[index] : short_needle[index];
}

/* A quoted FTS5 phrase (folded text has no quotes, but any are doubled), a prefix query for
 * short needles: their Latin tokens are the first two characters of a field. */
void store_search_bind(struct store_stmt *stmt, int idx, const char *needle)
{
	size_t len = strlen(needle);
	char *phrase = malloc(2 * len + 5);
	if (!phrase) {
		store_bind_null(stmt, idx);
		return;
	}
	size_t n = 0;
	phrase[n++] = '"';
	for (const char *p = needle; *p; p++) {
		if (*p == '"')
			phrase[n++] = '"';
		phrase[n++] = *p;
	}
	phrase[n++] = '"';
	if (utf8_length(needle) < 3) {
		phrase[n++] = ' ';
		phrase[n++] = '*';
	}
	phrase[n] = '\0';
	sqlite3_bind_text(AS_STMT(stmt), idx, phrase, (int)n, free);
}
