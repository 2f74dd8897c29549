/* positions.h — people inside an account: where they sit in its org chart (department,
 * reports_to_id), their role in buying, and the history of every change of account, title,
 * department or buying role (who held which title when, who joined, who left). The fields are
 * the contact's own (contacts.c lists them); this module checks them and keeps the history, in
 * the contact write's transaction. */
#ifndef GX_CRM_POSITIONS_H
#define GX_CRM_POSITIONS_H

#include <jansson.h>

#include "crm/access.h"

/* decision_maker, influencer, buyer, user, gatekeeper, champion, blocker; NULL-terminated. */
extern const char *const positions_buying_roles[];

/* Checks reports_to_id of a contact about to be written (old NULL on create): a visible contact
 * of the same account, not the contact itself, no loop. A contact moving to another account
 * leaves the manager it had (reports_to_id becomes null) unless the change names a new one. */
int positions_normalise(struct crm_ctx *ctx, json_t *record, const json_t *old,
                        struct gx_error *err);

/* Closes the open position row and opens the new one when account_id, title, department or
 * buying_role changed (old NULL on create). */
int positions_track(struct crm_ctx *ctx, int64_t contact_id, const json_t *record,
                    const json_t *old, struct gx_error *err);

/* The history of one visible contact, newest first: {"data": [{"id", "account": {"id",
 * "name"} | null, "title", "department", "buying_role", "valid_from", "valid_to"}]}. */
int positions_of_contact(struct crm_ctx *ctx, int64_t contact_id, json_t **out,
                         struct gx_error *err);

/* Who held which position at a visible account, newest first, visible people only, keyset
 * paged: {"data": [{"id", "contact": {"id", "name"}, "title", "department", "buying_role",
 * "valid_from", "valid_to"}], "next_cursor"}. cursor is NULL or a previous next_cursor. */
int positions_of_account(struct crm_ctx *ctx, int64_t account_id, int limit, const char *cursor,
                         json_t **out, struct gx_error *err);

#endif
