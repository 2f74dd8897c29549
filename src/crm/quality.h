/* quality.h — data quality: warnings about suspicious values on a record being saved (never
 * errors), and the report over what the actor may see: completeness per field, invalid values,
 * duplicate clusters of contacts and of accounts, stale records (no interaction in N months),
 * per owner. */
#ifndef GX_CRM_QUALITY_H
#define GX_CRM_QUALITY_H

#include <jansson.h>

#include "crm/records.h"

/* [{"field", "code", "message"}] about a contact or an account in its stored API form: a
 * birthday in the future or over 120 years ago, a name without letters or with an '@', an email
 * at an example or disposable domain, a phone number that is possible but not in use in its
 * region, the same number twice. Empty for other kinds. Caller frees. */
json_t *quality_warnings(const struct record_kind *kind, const json_t *record, const char *region);

/* The report; stale_months 1..240 (default 12 when 0). */
int quality_report(struct crm_ctx *ctx, int stale_months, json_t **out, struct gx_error *err);

#endif
