/* presence.h — who can take a call: each agent's status (available, busy, away; set by the agent,
 * kept in users.presence so it survives a restart), whether they are connected (have an open
 * event stream, known only to this process) and how long they have been idle; and the routing
 * choice over them. Agents are active users of role service or sales. The registry is in memory
 * and shared by all threads under one lock: routing a call is a scan of a few hundred entries,
 * no SQL. */
#ifndef GX_CRM_PRESENCE_H
#define GX_CRM_PRESENCE_H

#include <jansson.h>
#include <stdint.h>

#include "crm/access.h"

/* An event stream of the actor opened: loads their status and rank, counts the connection and,
 * on the first one, starts their idle time. */
int presence_stream_opened(struct crm_ctx *ctx, struct gx_error *err);
/* One of the user's streams closed. */
void presence_stream_closed(int64_t user_id);

/* body {"status": "available|busy|away"} for the actor; -> their presence. */
int presence_set(struct crm_ctx *ctx, const json_t *body, json_t **out, struct gx_error *err);
/* {"user_id", "username", "status", "connected", "idle_since", "active_calls"} of the actor. */
int presence_get(struct crm_ctx *ctx, json_t **out, struct gx_error *err);
/* Every agent with extension, agent_rank, team, role, status, connected, idle_since,
 * active_calls: {"data": [...]}; managers and admins only. */
int presence_agents(struct crm_ctx *ctx, json_t **out, struct gx_error *err);
/* Admin: body {"extension": "8001" | null, "agent_rank": 0..100} for user id. */
int presence_agent_update(struct crm_ctx *ctx, int64_t id, const json_t *body, json_t **out,
                          struct gx_error *err);

/* What routing knows about the caller. */
struct presence_want {
	int known;              /* the caller is a known customer */
	int gold;               /* the caller is of the top tier */
	const char *gold_team;  /* the team of the gold line, "" for none */
	int64_t owner_id;       /* the customer's owner, 0 when unknown or unowned */
	const char *owner_team; /* the owner's team, "" for none */
};

enum presence_route { ROUTE_NONE, ROUTE_GOLD_LINE, ROUTE_LONGEST_IDLE, ROUTE_OVERFLOW };

/* Picks an agent for a new call and reserves them (one more active call) in the same step, so
 * two calls routed at once never pick the same agent. Candidates are connected, available, agents
 * with no active call. A gold caller goes to the best (highest agent_rank, then longest idle)
 * member of the gold team; with no gold team set, or none of it free, routing goes on as for
 * everyone: the longest-idle agent who may see the customer; failing that, the longest-idle of all
 * (ROUTE_OVERFLOW: routing hands them a customer their role would hide). Returns the user id or 0
 * (ROUTE_NONE) and sets *how. */
int64_t presence_route(const struct presence_want *want, enum presence_route *how);
const char *presence_route_name(enum presence_route how);

/* A call was bound to the agent without routing (the telephony system named them). */
void presence_call_assigned(int64_t user_id);
/* The agent's call ended (or was taken from them): one active call less, idle from now. */
void presence_call_released(int64_t user_id);

/* Forgets every agent (tests). */
void presence_reset(void);

#endif
