/* audit.h — who changed which customer record, when, and what (old and new values). Rows are
 * written inside the change's own transaction, so a change and its audit stand or fall together. */
#ifndef GX_CRM_AUDIT_H
#define GX_CRM_AUDIT_H

#include <jansson.h>

#include "crm/access.h"

/* action: create, update, delete, merge or import; changes {"field": {"old": .., "new": ..}}. */
int audit_record(struct crm_ctx *ctx, const char *entity, int64_t id, const char *action,
                 const json_t *changes, struct gx_error *err);

/* The trail of one record, oldest first: {"data": [{"id","at","user":{"id","username"},
 * "action","changes"}]}. The record must be visible to the actor; the trail of a deleted record
 * only to roles that see every record. entity: account, contact, interaction, order or
 * relationship. */
int audit_list(struct crm_ctx *ctx, const char *entity, int64_t id, json_t **out,
               struct gx_error *err);

#endif
