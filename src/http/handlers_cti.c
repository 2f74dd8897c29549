/* handlers_cti.c — telephony call events, presence and the agents list (crm/cti.h,
 * crm/presence.h); a call event's screen pop or update goes out on the event stream. */
#include "crm/cti.h"
#include "crm/presence.h"
#include "http/events.h"
#include "http/routes.h"

/* On the call event writer's thread, once the event's batch is committed (or failed). */
static void call_written(void *cookie, int rc, struct cti_result *result,
                         const struct gx_error *err)
{
	if (rc == 0) {
		json_object_set_new(result->reply, "event_id",
		                    result->event_id ? json_integer((json_int_t)result->event_id)
		                                     : json_null());
		http_finish(cookie, 0, 200, result->reply, err);
		result->reply = NULL;
	} else {
		http_finish(cookie, rc, 0, NULL, err);
	}
}

/* The reply waits for the event's group commit (crm/cti.h) without holding this worker
 * thread, which meanwhile serves its other connections (event streams among them). */
void h_cti_call(struct request *req, struct reply *reply, const void *data)
{
	(void)data;
	struct gx_error err = {0};
	struct http_later *later = http_defer(req);
	int rc = cti_call_submit(&req->ctx, req->body, events_publish, call_written, later, &err);
	if (rc < 0)
		http_finish(later, rc, 0, NULL, &err);
	(void)reply;
}

void h_presence_get(struct request *req, struct reply *reply, const void *data)
{
	(void)data;
	struct gx_error err = {0};
	json_t *out = NULL;
	int rc = presence_get(&req->ctx, &out, &err);
	reply_result(reply, rc, 200, out, &err);
}

void h_presence_set(struct request *req, struct reply *reply, const void *data)
{
	(void)data;
	struct gx_error err = {0};
	json_t *out = NULL;
	int rc = presence_set(&req->ctx, req->body, &out, &err);
	reply_result(reply, rc, 200, out, &err);
}

void h_agents(struct request *req, struct reply *reply, const void *data)
{
	(void)data;
	struct gx_error err = {0};
	json_t *out = NULL;
	int rc = presence_agents(&req->ctx, &out, &err);
	reply_result(reply, rc, 200, out, &err);
}

void h_agent_update(struct request *req, struct reply *reply, const void *data)
{
	(void)data;
	struct gx_error err = {0};
	json_t *out = NULL;
	int rc = presence_agent_update(&req->ctx, req->params[0], req->body, &out, &err);
	reply_result(reply, rc, 200, out, &err);
}
