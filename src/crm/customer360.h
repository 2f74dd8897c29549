/* customer360.h — the whole customer in one reply: the static profile people keep, and the
 * dynamic figures derived from business records (never entered, so always consistent). */
#ifndef GX_CRM_CUSTOMER360_H
#define GX_CRM_CUSTOMER360_H

#include <jansson.h>

#include "crm/access.h"

/* {"contact", "account", "figures", "interactions" (latest 20), "orders" (latest 10),
 * "relationships" (latest 50, see relationships_of)}. */
int customer360_contact(struct crm_ctx *ctx, int64_t id, json_t **out, struct gx_error *err);
/* {"account", "parent", "figures", "people" (first 200 and people_count), "interactions",
 * "orders", "relationships"}. */
int customer360_account(struct crm_ctx *ctx, int64_t id, json_t **out, struct gx_error *err);

/* The derived figures alone: first_contact_at, last_contact_at, interaction_count, order_count,
 * lifetime_revenue, lifetime_margin, currency, last_order_at, days_since_last_order. by is
 * "contact_id" or "account_id". */
int customer360_figures(struct crm_ctx *ctx, const char *by, int64_t id, json_t **out,
                        struct gx_error *err);

#endif
