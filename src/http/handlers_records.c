/* handlers_records.c — accounts, contacts, interactions and orders (one set of handlers for all
 * four, parameterised by the record kind), the 360 views, phone lookup, search and audit. */
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>

#include "crm/audit.h"
#include "crm/customer360.h"
#include "crm/lookup.h"
#include "crm/orders.h"
#include "crm/records.h"
#include "crm/search.h"
#include "http/routes.h"

#define LIMIT_DEFAULT 50
#define LIMIT_MAX 500

static int parse_limit(const struct request *req, int *limit, struct gx_error *err)
{
	const char *text = request_query(req, "limit");
	*limit = LIMIT_DEFAULT;
	if (!text)
		return 0;
	char *end;
	long n = strtol(text, &end, 10);
	if (!*text || *end || n < 1 || n > LIMIT_MAX)
		return gx_fail(err, GX_EBADREQUEST, "limit", "limit must be a number from 1 to %d",
		               LIMIT_MAX);
	*limit = (int)n;
	return 0;
}

static enum MHD_Result collect_filter(void *cls, enum MHD_ValueKind kind, const char *key,
                                      const char *value)
{
	(void)kind;
	static const char *const reserved[] = {"q", "limit", "cursor", "sort"};
	for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
		if (strcmp(key, reserved[i]) == 0)
			return MHD_YES;
	json_object_set_new(cls, key, json_string(value ? value : ""));
	return MHD_YES;
}

void h_list(struct request *req, struct reply *reply, const void *kind)
{
	struct gx_error err = {0};
	struct list_query lq = {.q = request_query(req, "q"),
	                        .sort = request_query(req, "sort"),
	                        .cursor = request_query(req, "cursor"),
	                        .filters = json_object()};
	MHD_get_connection_values(req->connection, MHD_GET_ARGUMENT_KIND, collect_filter,
	                          lq.filters);
	if (lq.q && !*lq.q)
		lq.q = NULL; /* an empty search box lists everything */
	json_t *out = NULL;
	int rc = parse_limit(req, &lq.limit, &err);
	if (rc == 0)
		rc = records_list(&req->ctx, kind, &lq, &out, &err);
	json_decref(lq.filters);
	reply_result(reply, rc, 200, out, &err);
}

void h_create(struct request *req, struct reply *reply, const void *kind)
{
	struct gx_error err = {0};
	json_t *out = NULL;
	int rc = records_create(&req->ctx, kind, req->body, &out, &err);
	if (rc == 0)
		quality_annotate(req, kind, out);
	reply_result(reply, rc, 201, out, &err);
}

void h_get(struct request *req, struct reply *reply, const void *kind)
{
	struct gx_error err = {0};
	json_t *out = NULL;
	int rc = records_get(&req->ctx, kind, req->params[0], &out, &err);
	reply_result(reply, rc, 200, out, &err);
}

void h_update(struct request *req, struct reply *reply, const void *kind)
{
	struct gx_error err = {0};
	json_t *out = NULL;
	int rc = records_update(&req->ctx, kind, req->params[0], req->body, &out, &err);
	if (rc == 0)
		quality_annotate(req, kind, out);
	reply_result(reply, rc, 200, out, &err);
}

void h_delete(struct request *req, struct reply *reply, const void *kind)
{
	struct gx_error err = {0};
	int rc = records_delete(&req->ctx, kind, req->params[0], &err);
	reply_result(reply, rc, 204, NULL, &err);
}

/* POST /orders: an ERP re-sending an order (same source and external_ref) updates it: 200. */
void h_order_put(struct request *req, struct reply *reply, const void *data)
{
	(void)data;
	struct gx_error err = {0};
	json_t *out = NULL;
	int created = 1;
	int rc = orders_put(&req->ctx, req->body, &out, &created, &err);
	reply_result(reply, rc, created ? 201 : 200, out, &err);
}

void h_orders_bulk(struct request *req, struct reply *reply, const void *data)
{
	(void)data;
	struct gx_error err = {0};
	json_t *out = NULL;
	int rc = orders_bulk(&req->ctx, req->body, &out, &err);
	reply_result(reply, rc, 200, out, &err);
}

void h_contact_360(struct request *req, struct reply *reply, const void *data)
{
	(void)data;
	struct gx_error err = {0};
	json_t *out = NULL;
	int rc = customer360_contact(&req->ctx, req->params[0], &out, &err);
	reply_result(reply, rc, 200, out, &err);
}

void h_account_360(struct request *req, struct reply *reply, const void *data)
{
	(void)data;
	struct gx_error err = {0};
	json_t *out = NULL;
	int rc = customer360_account(&req->ctx, req->params[0], &out, &err);
	reply_result(reply, rc, 200, out, &err);
}

void h_lookup_phone(struct request *req, struct reply *reply, const void *data)
{
	(void)data;
	struct gx_error err = {0};
	json_t *out = NULL;
	const char *number = request_query(req, "number");
	int rc = number ? lookup_phone(&req->ctx, number, &out, &err)
	                : gx_fail(&err, GX_EBADREQUEST, "number", "number is required");
	reply_result(reply, rc, 200, out, &err);
}

void h_search(struct request *req, struct reply *reply, const void *data)
{
	(void)data;
	struct gx_error err = {0};
	json_t *out = NULL;
	const char *q = request_query(req, "q");
	int limit;
	int rc = parse_limit(req, &limit, &err);
	if (rc == 0)
		rc = q ? search_run(&req->ctx, q, limit, &out, &err)
		       : gx_fail(&err, GX_EBADREQUEST, "q", "q is required");
	reply_result(reply, rc, 200, out, &err);
}

void h_audit(struct request *req, struct reply *reply, const void *data)
{
	(void)data;
	struct gx_error err = {0};
	json_t *out = NULL;
	const char *entity = request_query(req, "entity");
	const char *id = request_query(req, "id");
	char *end = NULL;
	long long n = id ? strtoll(id, &end, 10) : 0;
	int rc = 0;
	if (!entity)
		rc = gx_fail(&err, GX_EBADREQUEST, "entity", "entity is required");
	else if (!id || !*id || *end || n <= 0)
		rc = gx_fail(&err, GX_EBADREQUEST, "id", "id must be a positive integer");
	else
		rc = audit_list(&req->ctx, entity, n, &out, &err);
	reply_result(reply, rc, 200, out, &err);
}
