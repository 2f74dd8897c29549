/* merge.h — merging two contacts (or two accounts) that are one customer, and undoing it.
 * The survivor keeps its id and takes, field by field, its own or the merged record's value
 * (lists such as phones, emails, addresses and tags are united by default); every row that
 * pointed at the merged record (interactions, orders, positions, reports, people of an account,
 * relationships, and whatever later tables refer to it by foreign key) points at the survivor;
 * the merged record is deleted. One transaction; the audit row (action 'merge' on the survivor)
 * holds everything the undo needs. */
#ifndef GX_CRM_MERGE_H
#define GX_CRM_MERGE_H

#include <jansson.h>

#include "crm/records.h"

/* body: {"survivor": id, "merged": id, "fields": {"email": "merged", "phones": "both", ...}}.
 * Choices: "survivor", "merged", "both" (lists and notes). The actor must be allowed to change
 * the kind and see both records. Replies {"merge_id", "survivor": record, "moved": {...}}. */
int merge_records(struct crm_ctx *ctx, const struct record_kind *kind, const json_t *body,
                  json_t **out, struct gx_error *err);

/* Puts the merged record back with its own id and moves its rows back; survivor fields that
 * took the merged value and were not changed since return to their old value. GX_ECONFLICT
 * when already undone or when an erasure scrubbed what the undo needs. Replies
 * {"merge_id", "survivor": record, "restored": record}. */
int merge_undo(struct crm_ctx *ctx, int64_t merge_id, json_t **out, struct gx_error *err);

/* Generic rows, shared with privacy.c: the whole row of table with this rowid as a JSON object
 * of every column, and the insertion of such an object (only keys that are columns). */
int merge_row_snapshot(struct crm_ctx *ctx, const char *table, int64_t id, json_t **out,
                       struct gx_error *err);
int merge_row_insert(struct crm_ctx *ctx, const char *table, const json_t *row,
                     struct gx_error *err);

#endif
