/* orders.h — purchase history, mostly fed by an ERP: idempotent by (source, external_ref), in
 * bulk, and the tier of each customer derived from what they bought. */
#ifndef GX_CRM_ORDERS_H
#define GX_CRM_ORDERS_H

#include <jansson.h>

#include "crm/access.h"

/* Creates the order, or when one with the same source and external_ref exists, updates it
 * (the ERP re-sent it). *created tells which. */
int orders_put(struct crm_ctx *ctx, const json_t *body, json_t **out, int *created,
               struct gx_error *err);

/* {"orders": [...]} all or nothing: the first bad order fails the whole batch, naming it
 * ("orders[3].amount"). Replies {"created": n, "updated": n, "ids": [...]}. */
int orders_bulk(struct crm_ctx *ctx, const json_t *body, json_t **out, struct gx_error *err);

/* Tier from lifetime revenue (completed orders in the default currency, minor units). */
const char *orders_tier(const struct config *config, int64_t revenue);

#endif
