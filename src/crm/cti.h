/* cti.h — computer-telephony integration: call events from a telephony system (ringing,
 * answered, ended) become rows of calls, pick the agent (presence.h), produce the screen pop with
 * the caller's 360 summary, and an ended call of a known caller becomes one phone interaction.
 * This module decides what to publish and to whom; delivering it (server-sent events) is the HTTP
 * layer's job. See docs/cti.md. */
#ifndef GX_CRM_CTI_H
#define GX_CRM_CTI_H

#include <jansson.h>
#include <stdint.h>

#include "crm/access.h"

/* Delivers event (a name) with data to a user's event stream; returns the event id (0 when it
 * could not). The HTTP layer passes its publisher; NULL collects the event in the result. */
typedef uint64_t (*cti_notify_fn)(int64_t user_id, const char *event, const json_t *data);

/* What one call event produced. */
struct cti_result {
	json_t *reply;     /* {"call": {...}, "duplicate": bool}, for the integration */
	uint64_t event_id; /* the id notify gave the event sent, 0 for none */
	int64_t notify;    /* without notify: the user to send event/data to, 0 for nobody */
	const char *event; /* "screen_pop" or "call_update" */
	json_t *data;      /* the event's payload, owned */
};

/* 1 when the actor may post call events: an integration (API) token of any user, or an admin. */
int cti_may_post(const struct actor *actor);

/* Handles body {"event": "ringing|answered|ended", "call_id", "from", "to", "agent", "at"}.
 * A call seen for the first time is routed and its screen pop sent (notify) before its row is
 * written, so the pop does not wait for the disk; other events notify after the commit.
 * Idempotent: an event already seen for the call (same call_id from the same integration)
 * changes nothing and replies duplicate = true; events may arrive in any order. Errors:
 * GX_EFORBIDDEN for other actors, GX_EBADREQUEST when the body is not an object,
 * GX_EVALIDATION naming the field otherwise. The caller frees result with cti_result_free. */
int cti_call_event(struct crm_ctx *ctx, const json_t *body, cti_notify_fn notify,
                   struct cti_result *result, struct gx_error *err);
void cti_result_free(struct cti_result *result);

/* The server's way to the same: the event is checked and, for a new call, routed and popped on
 * the caller's thread; the write is queued to one writer thread that commits the waiting events
 * together (group commit) and then calls done(cookie, rc, result, err) on its own thread, once the
 * event's transaction is committed (or failed). result and err are only valid during done.
 * Returns 0 when queued, or the error (then done is never called). Needs cti_writer_start. */
typedef void (*cti_done_fn)(void *cookie, int rc, struct cti_result *result,
                            const struct gx_error *err);
int cti_call_submit(struct crm_ctx *ctx, const json_t *body, cti_notify_fn notify, cti_done_fn done,
                    void *cookie, struct gx_error *err);

/* Starts the writer with its own connection to config->db; cti_writer_stop writes what is
 * queued, calls every done, and stops it. */
struct config;
int cti_writer_start(const struct config *config, struct gx_error *err);
void cti_writer_stop(void);

/* The screen pop's caller card for a number as typed: {"number", "known", "contact", "account",
 * "tier", "figures", "open_cases", "last_interactions", "complaint", "other_matches",
 * "create"}. Built with full visibility: the pop goes to the agent routing chose. */
int cti_caller_card(struct crm_ctx *ctx, const char *from, int64_t contact_id, json_t **out,
                    struct gx_error *err);

#endif
