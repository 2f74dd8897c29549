/* contacts.h — what other kinds need of contacts beyond the record kind itself. */
#ifndef GX_CRM_CONTACTS_H
#define GX_CRM_CONTACTS_H

#include <jansson.h>

#include "crm/access.h"

/* A record (interaction, order) that names a contact but no account belongs to the contact's
 * account: sets record.account_id from it. */
int contacts_default_account(struct crm_ctx *ctx, json_t *record, struct gx_error *err);

#endif
