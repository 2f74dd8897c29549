/* records.h — the life cycle every customer record shares: validate a JSON body against the
 * kind's fields, create, read, patch with optimistic locking, delete, list with filters, search,
 * sort and keyset paging, all behind the visibility rule and with an audit row in the same
 * transaction. accounts.c, contacts.c, interactions.c and orders.c describe their kind (fields
 * and hooks); this file does the rest once. */
#ifndef GX_CRM_RECORDS_H
#define GX_CRM_RECORDS_H

#include <jansson.h>
#include <stddef.h>

#include "crm/access.h"

enum field_type {
	F_TEXT,     /* string of at most max_len bytes */
	F_COUNT,    /* integer >= 0 */
	F_REF,      /* id of a record the actor may see (ref names the kind), or null */
	F_USER,     /* id of an active user, or null */
	F_DATE,     /* "YYYY-MM-DD" */
	F_TIME,     /* RFC 3339 outside, Unix seconds inside */
	F_MONEY,    /* "1299.00" outside, minor units inside */
	F_CURRENCY, /* ISO 4217 */
	F_ENUM,     /* one of choices */
	F_TAGS,     /* array of distinct non-empty strings */
	F_JSON,     /* array or object the kind's normalise hook checks */
};

enum field_flag {
	FIELD_REQUIRED = 1, /* must be present (and not null) on create */
	FIELD_READONLY = 2, /* derived: shown, never accepted */
	FIELD_SORTABLE = 4, /* may be named in ?sort= (column NOT NULL) */
	FIELD_FILTER = 8,   /* may be named as ?field=value */
};

struct field {
	const char *name;   /* in the API */
	const char *column; /* in the table; NULL when the same as name */
	enum field_type type;
	unsigned flags;
	size_t max_len;                /* F_TEXT */
	const char *const *choices;    /* F_ENUM, NULL-terminated */
	const struct record_kind *ref; /* F_REF */
};

struct record_kind {
	const char *entity; /* "contact": audit entity and error wording */
	const char *table;
	enum access_kind access;
	const struct field *fields;
	size_t nfields;
	const char *default_sort;      /* "name", "-occurred_at" */
	enum store_index search_index; /* with has_search */
	int has_search;
	/* The interactions column that points at this kind ("contact_id"), for the list filter
	 * last_contact_before; NULL when the kind has no such filter. */
	const char *interaction_key;
	/* Completes and checks a record about to be written (merged old + patch on update, the
	 * body on create; old is NULL on create): defaults, normal forms, cross-field rules. */
	int (*normalise)(struct crm_ctx *ctx, json_t *record, const json_t *old,
	                 struct gx_error *err);
	/* Keeps what derives from the record (indexes, search documents, tiers) in step, inside
	 * the write's transaction. record is NULL after a delete; old is NULL after a create. */
	int (*after_write)(struct crm_ctx *ctx, int64_t id, const json_t *record, const json_t *old,
	                   struct gx_error *err);
};

extern const struct record_kind account_kind, contact_kind, interaction_kind, order_kind,
    relationship_kind;

/* The kind whose collection is named `plural` ("contacts"), or NULL. */
const struct record_kind *records_kind(const char *plural);

int records_create(struct crm_ctx *ctx, const struct record_kind *kind, const json_t *body,
                   json_t **out, struct gx_error *err);
/* The checks of a create (is_create) or patch body without writing: every key a writable field
 * of the right type, length and choice. Importers check rows with it before a batch. */
int records_check_body(const struct record_kind *kind, const json_t *body, int is_create,
                       struct gx_error *err);
/* GX_ENOTFOUND when absent or not visible to the actor. */
int records_get(struct crm_ctx *ctx, const struct record_kind *kind, int64_t id, json_t **out,
                struct gx_error *err);
/* body may carry "version": GX_ECONFLICT when it is not the current one. */
int records_update(struct crm_ctx *ctx, const struct record_kind *kind, int64_t id,
                   const json_t *body, json_t **out, struct gx_error *err);
/* GX_ECONFLICT while other records still refer to it. */
int records_delete(struct crm_ctx *ctx, const struct record_kind *kind, int64_t id,
                   struct gx_error *err);

struct list_query {
	const char *q;      /* free text, or NULL */
	const char *sort;   /* field, "-field" for descending, or NULL for the kind's default */
	const char *cursor; /* from a previous page's next_cursor, or NULL */
	int limit;          /* 1..500 */
	json_t *filters;    /* {"field": "value as text"} for FIELD_FILTER fields, "tag" and
	                     * "last_contact_before" */
};

/* {"data": [...], "next_cursor": "..." | null}. Bad sort, cursor or filter: GX_EBADREQUEST. */
int records_list(struct crm_ctx *ctx, const struct record_kind *kind, const struct list_query *lq,
                 json_t **out, struct gx_error *err);

/* The rows of a caller's own SELECT over `FROM <kind table> r` as API objects: the column list
 * to select, in the order records_row() reads it. */
const char *records_columns(const struct record_kind *kind);
json_t *records_row(const struct record_kind *kind, struct store_stmt *stmt);

/* 1 when record id of kind exists and the actor may see it. */
int records_visible(struct crm_ctx *ctx, const struct record_kind *kind, int64_t id,
                    struct gx_error *err);

#endif
