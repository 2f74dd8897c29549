/* handlers_relationships.c — the customer's own relationships: the people of an account (org
 * chart, position history), relationships between customers, and the network questions (N-hop
 * neighbourhood, paths, uncontacted decision makers, referral chains). Creating, reading,
 * patching, deleting and listing relationships themselves go through the generic record
 * handlers (handlers_records.c) with relationship_kind. */
#include <stdlib.h>
#include <string.h>

#include "crm/network.h"
#include "crm/positions.h"
#include "crm/relationships.h"
#include "http/routes.h"

/* A whole number from lo to hi in query parameter name, or fallback when absent. */
static int query_number(const struct request *req, const char *name, int lo, int hi, int fallback,
                        int *value, struct gx_error *err)
{
	const char *text = request_query(req, name);
	*value = fallback;
	if (!text)
		return 0;
	char *end;
	long n = strtol(text, &end, 10);
	if (!*text || *end || n < lo || n > hi)
		return gx_fail(err, GX_EBADREQUEST, name, "%s must be a number from %d to %d", name,
		               lo, hi);
	*value = (int)n;
	return 0;
}

static int query_limit(const struct request *req, int *limit, struct gx_error *err)
{
	return query_number(req, "limit", 1, 500, 50, limit, err);
}

/* data is "contact" or "account": which kind of customer {id} names. */
void h_customer_relationships(struct request *req, struct reply *reply, const void *data)
{
	struct gx_error err = {0};
	json_t *out = NULL;
	int limit;
	int rc = query_limit(req, &limit, &err);
	if (rc == 0)
		rc = relationships_list_of(&req->ctx, data, req->params[0], limit, &out, &err);
	reply_result(reply, rc, 200, out, &err);
}

void h_orgchart(struct request *req, struct reply *reply, const void *data)
{
	(void)data;
	struct gx_error err = {0};
	json_t *out = NULL;
	int rc = network_orgchart(&req->ctx, req->params[0], &out, &err);
	reply_result(reply, rc, 200, out, &err);
}

void h_contact_positions(struct request *req, struct reply *reply, const void *data)
{
	(void)data;
	struct gx_error err = {0};
	json_t *out = NULL;
	int rc = positions_of_contact(&req->ctx, req->params[0], &out, &err);
	reply_result(reply, rc, 200, out, &err);
}

void h_account_positions(struct request *req, struct reply *reply, const void *data)
{
	(void)data;
	struct gx_error err = {0};
	json_t *out = NULL;
	int limit;
	int rc = query_limit(req, &limit, &err);
	if (rc == 0)
		rc = positions_of_account(&req->ctx, req->params[0], limit,
		                          request_query(req, "cursor"), &out, &err);
	reply_result(reply, rc, 200, out, &err);
}

void h_network(struct request *req, struct reply *reply, const void *data)
{
	struct gx_error err = {0};
	json_t *out = NULL;
	struct network_node center = {.is_contact = strcmp(data, "contact") == 0,
	                              .id = req->params[0]};
	int hops;
	int rc = query_number(req, "hops", 1, NETWORK_MAX_HOPS, 2, &hops, &err);
	if (rc == 0)
		rc = network_neighbourhood(&req->ctx, center, hops, &out, &err);
	reply_result(reply, rc, 200, out, &err);
}

static int query_node(const struct request *req, const char *name, struct network_node *node,
                      struct gx_error *err)
{
	if (network_parse_node(request_query(req, name), node) < 0)
		return gx_fail(err, GX_EBADREQUEST, name,
		               "%s must name a customer as contact:ID or account:ID", name);
	return 0;
}

/* ?to= alone: who can introduce us (paths from our own contacts); with ?from=: one path. */
void h_paths(struct request *req, struct reply *reply, const void *data)
{
	(void)data;
	struct gx_error err = {0};
	json_t *out = NULL;
	struct network_node from, to;
	int has_from = request_query(req, "from") != NULL, max_hops, limit;
	int rc = query_node(req, "to", &to, &err);
	if (rc == 0 && has_from)
		rc = query_node(req, "from", &from, &err);
	if (rc == 0)
		rc = query_number(req, "max_hops", 1, NETWORK_MAX_PATH_HOPS, 4, &max_hops, &err);
	if (rc == 0)
		rc = query_number(req, "limit", 1, 20, 5, &limit, &err);
	if (rc == 0)
		rc = network_paths(&req->ctx, has_from ? &from : NULL, to, max_hops, limit, &out,
		                   &err);
	reply_result(reply, rc, 200, out, &err);
}

void h_uncontacted_decision_makers(struct request *req, struct reply *reply, const void *data)
{
	(void)data;
	struct gx_error err = {0};
	json_t *out = NULL;
	int limit;
	int rc = query_limit(req, &limit, &err);
	if (rc == 0)
		rc = network_uncontacted_decision_makers(&req->ctx, limit,
		                                         request_query(req, "cursor"), &out, &err);
	reply_result(reply, rc, 200, out, &err);
}

void h_referrals(struct request *req, struct reply *reply, const void *data)
{
	(void)data;
	struct gx_error err = {0};
	json_t *out = NULL;
	int limit;
	int rc = query_limit(req, &limit, &err);
	if (rc == 0)
		rc = network_referrals(&req->ctx, limit, request_query(req, "cursor"), &out, &err);
	reply_result(reply, rc, 200, out, &err);
}
