/* handlers_auth.c — health, sign-in and sign-out, the signed-in user, users and API tokens. */
#include <stdio.h>

#include "crm/sessions.h"
#include "crm/users.h"
#include "http/routes.h"

#ifndef GUANXI_VERSION
#define GUANXI_VERSION "0.1.0"
#endif

void h_health(struct request *req, struct reply *reply, const void *data)
{
	(void)req;
	(void)data;
	reply_result(reply, 0, 200,
	             json_pack("{s:s, s:s}", "status", "ok", "version", GUANXI_VERSION), NULL);
}

void h_login(struct request *req, struct reply *reply, const void *data)
{
	(void)data;
	struct gx_error err = {0};
	json_t *out = NULL;
	int rc = sessions_login(&req->ctx, req->body, req->client, &out, &reply->retry_after, &err);
	if (rc == 0)
		snprintf(reply->set_cookie, sizeof reply->set_cookie,
		         "gx_session=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%d",
		         json_string_value(json_object_get(out, "token")), SESSION_SECONDS);
	reply_result(reply, rc, 200, out, &err);
}

void h_logout(struct request *req, struct reply *reply, const void *data)
{
	(void)data;
	struct gx_error err = {0};
	int rc = sessions_logout(&req->ctx, req->token, &err);
	snprintf(reply->set_cookie, sizeof reply->set_cookie,
	         "gx_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
	reply_result(reply, rc, 204, NULL, &err);
}

void h_me(struct request *req, struct reply *reply, const void *data)
{
	(void)data;
	struct gx_error err = {0};
	json_t *out = NULL;
	int rc = users_get(&req->ctx, req->ctx.actor.user_id, &out, &err);
	reply_result(reply, rc, 200, out, &err);
}

void h_me_update(struct request *req, struct reply *reply, const void *data)
{
	(void)data;
	struct gx_error err = {0};
	json_t *out = NULL;
	int rc = users_update(&req->ctx, req->ctx.actor.user_id, req->body, &out, &err);
	reply_result(reply, rc, 200, out, &err);
}

void h_users_list(struct request *req, struct reply *reply, const void *data)
{
	(void)data;
	struct gx_error err = {0};
	json_t *out = NULL;
	int rc = users_list(&req->ctx, &out, &err);
	reply_result(reply, rc, 200, out, &err);
}

void h_users_directory(struct request *req, struct reply *reply, const void *data)
{
	(void)data;
	struct gx_error err = {0};
	json_t *out = NULL;
	int rc = users_directory(&req->ctx, &out, &err);
	reply_result(reply, rc, 200, out, &err);
}

void h_users_create(struct request *req, struct reply *reply, const void *data)
{
	(void)data;
	struct gx_error err = {0};
	json_t *out = NULL;
	int rc = users_create(&req->ctx, req->body, &out, &err);
	reply_result(reply, rc, 201, out, &err);
}

void h_users_get(struct request *req, struct reply *reply, const void *data)
{
	(void)data;
	struct gx_error err = {0};
	json_t *out = NULL;
	int rc = users_get(&req->ctx, req->params[0], &out, &err);
	reply_result(reply, rc, 200, out, &err);
}

void h_users_update(struct request *req, struct reply *reply, const void *data)
{
	(void)data;
	struct gx_error err = {0};
	json_t *out = NULL;
	int rc = users_update(&req->ctx, req->params[0], req->body, &out, &err);
	reply_result(reply, rc, 200, out, &err);
}

void h_tokens_list(struct request *req, struct reply *reply, const void *data)
{
	(void)data;
	struct gx_error err = {0};
	json_t *out = NULL;
	int rc = tokens_list(&req->ctx, &out, &err);
	reply_result(reply, rc, 200, out, &err);
}

void h_tokens_create(struct request *req, struct reply *reply, const void *data)
{
	(void)data;
	struct gx_error err = {0};
	json_t *out = NULL;
	int rc = tokens_create(&req->ctx, req->body, &out, &err);
	reply_result(reply, rc, 201, out, &err);
}

void h_tokens_delete(struct request *req, struct reply *reply, const void *data)
{
	(void)data;
	struct gx_error err = {0};
	int rc = tokens_delete(&req->ctx, req->params[0], &err);
	reply_result(reply, rc, 204, NULL, &err);
}
