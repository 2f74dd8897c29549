/* accounts.c — organisations (or households): the account kind and what derives from it. */
#include <string.h>

#include "crm/records.h"
#include "crm/relationships.h"
#include "crm/search.h"

static const char *const tiers[] = {"gold", "silver", "bronze", NULL};

static const struct field account_fields[] = {
    {"name", NULL, F_TEXT, FIELD_REQUIRED | FIELD_SORTABLE, 200, NULL, NULL},
    {"industry", NULL, F_TEXT, FIELD_FILTER, 100, NULL, NULL},
    {"website", NULL, F_TEXT, 0, 300, NULL, NULL},
    {"tier", NULL, F_ENUM, FIELD_READONLY | FIELD_FILTER | FIELD_SORTABLE, 0, tiers, NULL},
    {"parent_id", NULL, F_REF, FIELD_FILTER, 0, NULL, &account_kind},
    {"owner_id", NULL, F_USER, FIELD_FILTER, 0, NULL, NULL},
    {"tags", NULL, F_TAGS, 0, 0, NULL, NULL},
    {"notes", NULL, F_TEXT, 0, 20000, NULL, NULL},
};

/* A parent chain must end: walking up from the new parent may not reach the account itself. */
static int check_parent(struct crm_ctx *ctx, int64_t self, int64_t parent, struct gx_error *err)
{
	for (int depth = 0; parent > 0 && depth < 64; depth++) {
		if (parent == self)
			return gx_fail(
			    err, GX_EVALIDATION, "parent_id",
			    "an account cannot be its own parent, directly or through others");
		struct store_stmt *stmt =
		    store_prepare(ctx->store, "SELECT parent_id FROM accounts WHERE id = ?", err);
		if (!stmt)
			return GX_EINTERNAL;
		store_bind_int(stmt, 1, parent);
		int rc = store_step(stmt, err);
		parent =
		    rc == STORE_ROW && !store_col_is_null(stmt, 0) ? store_col_int(stmt, 0) : 0;
		store_done(stmt);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int normalise_account(struct crm_ctx *ctx, json_t *record, const json_t *old,
                             struct gx_error *err)
{
	json_t *parent = json_object_get(record, "parent_id");
	if (!old || !json_is_integer(parent))
		return 0;
	return check_parent(ctx, json_integer_value(json_object_get(old, "id")),
	                    json_integer_value(parent), err);
}

/* Contacts carry their company's name in their search documents. */
static int reindex_people(struct crm_ctx *ctx, int64_t account_id, struct gx_error *err)
{
	int64_t ids[256];
	int rc, n, last = 0;
	/* Ids in batches: indexing uses other statements on this connection meanwhile. */
	for (int64_t after = 0; !last;) {
		n = 0;
		struct store_stmt *stmt = store_prepare(
		    ctx->store,
		    "SELECT id FROM contacts WHERE account_id = ? AND id > ? ORDER BY id "
		    "LIMIT 256",
		    err);
		if (!stmt)
			return GX_EINTERNAL;
		store_bind_int(stmt, 1, account_id);
		store_bind_int(stmt, 2, after);
		while ((rc = store_step(stmt, err)) == STORE_ROW)
			ids[n++] = store_col_int(stmt, 0);
		store_done(stmt);
		if (rc < 0)
			return rc;
		last = n < 256;
		for (int i = 0; i < n; i++)
			if ((rc = search_index_contact(ctx, ids[i], err)) < 0)
				return rc;
		after = n ? ids[n - 1] : after;
	}
	return 0;
}

static int account_after_write(struct crm_ctx *ctx, int64_t id, const json_t *record,
                               const json_t *old, struct gx_error *err)
{
	if (!record) {
		int rc = relationships_forget(ctx, "account", id, err);
		return rc < 0 ? rc
		              : store_search_put(ctx->store, STORE_INDEX_ACCOUNTS, id, NULL, err);
	}
	int rc = search_index_account(ctx, id, err);
	if (rc == 0 && old &&
	    !json_equal(json_object_get(old, "name"), json_object_get(record, "name")))
		rc = reindex_people(ctx, id, err);
	return rc;
}

const struct record_kind account_kind = {
    .entity = "account",
    .table = "accounts",
    .access = ACCESS_ACCOUNT,
    .fields = account_fields,
    .nfields = sizeof account_fields / sizeof account_fields[0],
    .default_sort = "name",
    .search_index = STORE_INDEX_ACCOUNTS,
    .has_search = 1,
    .interaction_key = "account_id",
    .normalise = normalise_account,
    .after_write = account_after_write,
};
