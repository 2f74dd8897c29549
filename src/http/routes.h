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

#endif
