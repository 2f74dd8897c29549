/* routes.h — the API's endpoints: method, path pattern ("{id}" = a positive integer), handler. */
#ifndef GX_HTTP_ROUTES_H
#define GX_HTTP_ROUTES_H

#include "http/http.h"

typedef void (*handler_fn)(struct request *req, struct reply *reply, const void *data);

struct route {
	const char *method;
	const char *pattern;
	handler_fn handler;
	const void *data; /* handler-specific: the record kind of a generic handler */
	int public;       /* no authentication */
};

extern const struct route routes[]; /* ends with an entry whose pattern is NULL */

/* handlers_auth.c */
void h_health(struct request *req, struct reply *reply, const void *data);
void h_login(struct request *req, struct reply *reply, const void *data);
void h_logout(struct request *req, struct reply *reply, const void *data);
void h_me(struct request *req, struct reply *reply, const void *data);
void h_me_update(struct request *req, struct reply *reply, const void *data);
void h_users_list(struct request *req, struct reply *reply, const void *data);
void h_users_directory(struct request *req, struct reply *reply, const void *data);
void h_users_create(struct request *req, struct reply *reply, const void *data);
void h_users_get(struct request *req, struct reply *reply, const void *data);
void h_users_update(struct request *req, struct reply *reply, const void *data);
void h_tokens_list(struct request *req, struct reply *reply, const void *data);
void h_tokens_create(struct request *req, struct reply *reply, const void *data);
void h_tokens_delete(struct request *req, struct reply *reply, const void *data);

/* handlers_records.c */
void h_list(struct request *req, struct reply *reply, const void *kind);
void h_create(struct request *req, struct reply *reply, const void *kind);
void h_get(struct request *req, struct reply *reply, const void *kind);
void h_update(struct request *req, struct reply *reply, const void *kind);
void h_delete(struct request *req, struct reply *reply, const void *kind);
void h_order_put(struct request *req, struct reply *reply, const void *data);
void h_orders_bulk(struct request *req, struct reply *reply, const void *data);
void h_contact_360(struct request *req, struct reply *reply, const void *data);
void h_account_360(struct request *req, struct reply *reply, const void *data);
void h_lookup_phone(struct request *req, struct reply *reply, const void *data);
void h_search(struct request *req, struct reply *reply, const void *data);
void h_audit(struct request *req, struct reply *reply, const void *data);

/* handlers_quality.c */
void h_duplicates_list(struct request *req, struct reply *reply, const void *data);
void h_duplicates_scan(struct request *req, struct reply *reply, const void *data);
void h_duplicates_check(struct request *req, struct reply *reply, const void *data);
void h_duplicates_dismiss(struct request *req, struct reply *reply, const void *data);
void h_merge(struct request *req, struct reply *reply, const void *kind);
void h_merge_undo(struct request *req, struct reply *reply, const void *data);
void h_quality(struct request *req, struct reply *reply, const void *data);
void h_privacy_export(struct request *req, struct reply *reply, const void *data);
void h_privacy_erase(struct request *req, struct reply *reply, const void *data);
/* Adds "warnings" and "possible_duplicates" to a contact or account create or update reply when
 * there are any. */
void quality_annotate(struct request *req, const void *kind, json_t *record);

/* handlers_relationships.c */
void h_customer_relationships(struct request *req, struct reply *reply, const void *kind_name);
void h_orgchart(struct request *req, struct reply *reply, const void *data);
void h_contact_positions(struct request *req, struct reply *reply, const void *data);
void h_account_positions(struct request *req, struct reply *reply, const void *data);
void h_network(struct request *req, struct reply *reply, const void *kind_name);
void h_paths(struct request *req, struct reply *reply, const void *data);
void h_uncontacted_decision_makers(struct request *req, struct reply *reply, const void *data);
void h_referrals(struct request *req, struct reply *reply, const void *data);

/* handlers_cti.c and events.c */
void h_cti_call(struct request *req, struct reply *reply, const void *data);
void h_presence_get(struct request *req, struct reply *reply, const void *data);
void h_presence_set(struct request *req, struct reply *reply, const void *data);
void h_agents(struct request *req, struct reply *reply, const void *data);
void h_agent_update(struct request *req, struct reply *reply, const void *data);
void h_events(struct request *req, struct reply *reply, const void *data);

/* handlers_imports.c */
void h_imports_create(struct request *req, struct reply *reply, const void *data);
void h_imports_preview(struct request *req, struct reply *reply, const void *data);
void h_imports_get(struct request *req, struct reply *reply, const void *data);
void h_imports_cancel(struct request *req, struct reply *reply, const void *data);
void h_import_mappings_list(struct request *req, struct reply *reply, const void *data);
void h_import_mappings_save(struct request *req, struct reply *reply, const void *data);
void h_import_mappings_delete(struct request *req, struct reply *reply, const void *data);
void h_export(struct request *req, struct reply *reply, const void *kind);

#endif
