/* lookup.c — the caller-id lookup over the contact_phones index. */
#include "crm/lookup.h"

#include "base/phone.h"
#include "crm/customer360.h"
#include "crm/records.h"
#include "crm/sql.h"

#define LOOKUP_MAX_MATCHES 20

static int collect_ids(struct crm_ctx *ctx, const char *e164, int64_t *ids, int *n,
                       struct gx_error *err)
{
	struct sql q = {0};
	sql_add(&q, "SELECT r.id FROM contact_phones p JOIN contacts r ON r.id = p.contact_id "
	            "WHERE p.e164 = ");
	sql_text(&q, e164);
	sql_add(&q, " AND ");
	sql_visible(&q, &ctx->actor, ACCESS_CONTACT);
	sql_add(&q, " ORDER BY r.id LIMIT ");
	sql_int(&q, LOOKUP_MAX_MATCHES);
	struct store_stmt *stmt = sql_prepare(&q, ctx->store, err);
	sql_free(&q);
	if (!stmt)
		return GX_EINTERNAL;
	int rc;
	*n = 0;
	while ((rc = store_step(stmt, err)) == STORE_ROW)
		ids[(*n)++] = store_col_int(stmt, 0);
	store_done(stmt);
	return rc < 0 ? rc : 0;
}

static int match(struct crm_ctx *ctx, int64_t id, json_t **out, struct gx_error *err)
{
	json_t *contact = NULL, *account = NULL, *summary = NULL;
	int rc = records_get(ctx, &contact_kind, id, &contact, err);
	json_t *account_id = json_object_get(contact, "account_id");
	if (rc == 0 && json_is_integer(account_id)) {
		rc = records_get(ctx, &account_kind, json_integer_value(account_id), &account, err);
		if (rc == GX_ENOTFOUND)
			rc = 0;
	}
	if (rc == 0)
		rc = customer360_figures(ctx, "contact_id", id, &summary, err);
	*out = json_pack("{s:o?, s:o?, s:o?}", "contact", contact, "account", account, "summary",
	                 summary);
	if (!json_object_get(*out, "account"))
		json_object_set_new(*out, "account", json_null());
	return rc;
}

int lookup_phone(struct crm_ctx *ctx, const char *number, json_t **out, struct gx_error *err)
{
	char e164[PHONE_E164_MAX];
	if (!number || phone_to_e164(number, ctx->config->region, e164, sizeof e164) != 0)
		return gx_fail(err, GX_EVALIDATION, "number", "\"%s\" is not a phone number",
		               number ? number : "");
	int64_t ids[LOOKUP_MAX_MATCHES];
	int n;
	int rc = collect_ids(ctx, e164, ids, &n, err);
	json_t *matches = json_array();
	for (int i = 0; rc == 0 && i < n; i++) {
		json_t *m = NULL;
		rc = match(ctx, ids[i], &m, err);
		json_array_append_new(matches, m);
	}
	if (rc < 0) {
		json_decref(matches);
		return rc;
	}
	*out = json_pack("{s:s, s:o}", "number", e164, "matches", matches);
	return 0;
}
