/* network.h — questions over the customers' own network: the org chart of an account, everyone
 * within N hops of a customer, the shortest chain of people from us to someone ("who can
 * introduce us"), the accounts whose decision makers we never talked to, and referral chains with
 * the revenue they brought.
 *
 * The graph: accounts and contacts are nodes; edges are a contact's account ("works_at"), its
 * manager ("reports_to", from contacts.reports_to_id), an account's parent ("subsidiary", from
 * accounts.parent_id) and every relationship valid today. Every answer is computed on the graph
 * of the records the actor may see: an invisible customer is no node, so it is never listed and
 * no path goes through it (API.md: what a user may not see does not exist for them). */
#ifndef GX_CRM_NETWORK_H
#define GX_CRM_NETWORK_H

#include <jansson.h>

#include "crm/access.h"

#define NETWORK_MAX_HOPS 4
#define NETWORK_MAX_PATH_HOPS 6
#define NETWORK_MAX_NODES 10000

/* A node named in a request: "contact:12" or "account:3". */
struct network_node {
	int is_contact;
	int64_t id;
};

/* Parses "contact:ID" or "account:ID"; -1 when it is neither. */
int network_parse_node(const char *text, struct network_node *node);

/* {"account": {"id","name"}, "count": n, "roots": [{"id","name","title","department",
 * "buying_role","reports_to_id","reports": [...]}]}: the visible people of a visible account as
 * a tree by reports_to_id. A person whose manager is invisible or outside the account is a root
 * (and shows reports_to_id null). GX_ENOTFOUND for an invisible account. */
int network_orgchart(struct crm_ctx *ctx, int64_t account_id, json_t **out, struct gx_error *err);

/* {"center": "contact:12", "hops": n, "nodes": [{"key","kind","id","name","title",
 * "buying_role","depth"}], "edges": [{"from","to","type","relationship_id","strength"}],
 * "truncated": bool}: every visible node within hops (1..NETWORK_MAX_HOPS) of a visible center,
 * in order of distance, at most NETWORK_MAX_NODES. */
int network_neighbourhood(struct crm_ctx *ctx, struct network_node center, int hops, json_t **out,
                          struct gx_error *err);

/* {"paths": [{"hops": n, "nodes": [...], "edges": [...]}]}: with from set (from->id > 0), the
 * shortest path from it to `to` (at most one path); with from NULL, the shortest paths to `to`
 * from contacts owned by the actor or the actor's team (nearest first, at most limit, one per
 * starting contact): who can introduce us. Paths have at most max_hops edges; none: empty list.
 * GX_ENOTFOUND when an endpoint is not visible. */
int network_paths(struct crm_ctx *ctx, const struct network_node *from, struct network_node to,
                  int max_hops, int limit, json_t **out, struct gx_error *err);

/* {"data": [{"account": {"id","name","owner_id","tier"}, "decision_makers": [{"id","name",
 * "title"}]}], "next_cursor"}: visible accounts with at least one visible decision maker
 * (buying_role decision_maker) and no interaction, ever, with any of them; by account id. */
int network_uncontacted_decision_makers(struct crm_ctx *ctx, int limit, const char *cursor,
                                        json_t **out, struct gx_error *err);

/* {"data": [{"referrer": {"key","kind","id","name"}, "referred": [{"key","kind","id","name",
 * "referred_on","revenue","referred": [...]}], "direct_revenue", "chain_revenue", "customers"}],
 * "currency", "next_cursor"}: the chains of referred_by relationships between visible customers,
 * from each first referrer down, by chain revenue (lifetime revenue of every customer in the
 * chain below the referrer: completed orders in the default currency), highest first. */
int network_referrals(struct crm_ctx *ctx, int limit, const char *cursor, json_t **out,
                      struct gx_error *err);

#endif
