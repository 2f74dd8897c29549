/* relationships.h — how customers relate to customers: account to account (parent, subsidiary,
 * partner, competitor, supplier, customer_of, referred_by) and person to person (reports_to,
 * colleague, family, friend, referred_by, former_colleague), each with a strength (1..5), a note
 * and validity dates. A relationship is a record kind (relationship_kind, in records.h): the
 * record layer creates, reads, patches with optimistic locking, deletes, lists and audits it;
 * this module adds the rules and what the customers' own pages need. A relationship is visible
 * when both of its ends are. */
#ifndef GX_CRM_RELATIONSHIPS_H
#define GX_CRM_RELATIONSHIPS_H

#include <jansson.h>

#include "crm/access.h"

/* "account" or "contact": the kinds a relationship joins. */
int relationships_kind_valid(const char *kind);

/* The visible relationships of one customer (kind "account" or "contact"), either direction,
 * newest first, at most limit: each the relationship record plus "direction" ("out" when the
 * customer is the from end) and "other": {"kind", "id", "name"}. Sets *out to the array. */
int relationships_of(struct crm_ctx *ctx, const char *kind, int64_t id, int limit, json_t **out,
                     struct gx_error *err);

/* The same as {"data": [...]} for GET /{contacts|accounts}/{id}/relationships: GX_ENOTFOUND
 * when the customer is not visible. */
int relationships_list_of(struct crm_ctx *ctx, const char *kind, int64_t id, int limit,
                          json_t **out, struct gx_error *err);

/* Deletes every relationship of a customer that is being deleted, with an audit row each, inside
 * the caller's transaction (relationships have no foreign keys: their ends are of two kinds). */
int relationships_forget(struct crm_ctx *ctx, const char *kind, int64_t id, struct gx_error *err);

#endif
