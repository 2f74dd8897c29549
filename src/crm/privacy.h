/* privacy.h — privacy requests about one person: everything we hold about a contact as one JSON
 * document, and erasure on request that keeps the aggregates (orders and their amounts, the
 * number and dates of interactions) and leaves an audit note without personal data. */
#ifndef GX_CRM_PRIVACY_H
#define GX_CRM_PRIVACY_H

#include <jansson.h>

#include "crm/access.h"

/* {"exported_at", "contact", "account", "interactions", "orders", "relationships", "positions",
 * "audit", "merges"} for a contact the actor may see. */
int privacy_export(struct crm_ctx *ctx, int64_t contact_id, json_t **out, struct gx_error *err);

/* Admins only. Blanks the personal fields (the name becomes "Erased <id>"), drops phones,
 * emails, addresses, the search document, relationships and duplicate pairs, redacts the
 * subject and body of the person's interactions, scrubs the personal values from the audit
 * trail (and makes merges involving the person final), then writes the audit note
 * {"erasure": "erased on request"}. One transaction. Replies {"id", "erased_at", ...counts}. */
int privacy_erase(struct crm_ctx *ctx, int64_t contact_id, json_t **out, struct gx_error *err);

#endif
