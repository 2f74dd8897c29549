/* api.c — routing, authentication, the CSRF guard and the error shape of every API reply. */
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/text.h"
#include "crm/sessions.h"
#include "http/http.h"
#include "http/routes.h"

static const struct {
	int code;
	int status;
} statuses[] = {
    {GX_EBADREQUEST, 400}, {GX_EUNAUTHORIZED, 401}, {GX_EFORBIDDEN, 403},
    {GX_ENOTFOUND, 404},   {GX_ECONFLICT, 409},     {GX_EVALIDATION, 422},
    {GX_ETOOLARGE, 413},   {GX_ERATELIMITED, 429},  {GX_EINTERNAL, 500},
};

int reply_error(struct reply *reply, int code, const char *field, const char *message)
{
	reply->status = 500;
	for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++)
		if (statuses[i].code == code)
			reply->status = statuses[i].status;
	json_t *error = json_pack("{s:s, s:s}", "code", gx_code_name(code), "message",
	                          code == GX_EINTERNAL ? "internal error" : message);
	if (!error) /* a message quoting input that is not UTF-8 */
		error =
		    json_pack("{s:s, s:s}", "code", gx_code_name(code), "message", "invalid input");
	if (field && *field && text_valid_utf8(field, strlen(field)))
		json_object_set_new(error, "field", json_string(field));
	json_decref(reply->body);
	reply->body = json_pack("{s:o}", "error", error);
	return code;
}

int reply_result(struct reply *reply, int rc, int status, json_t *value, const struct gx_error *err)
{
	if (rc < 0) {
		json_decref(value);
		return reply_error(reply, rc, err ? err->field : NULL,
		                   err && err->message[0] ? err->message : "failed");
	}
	reply->status = status;
	json_decref(reply->body);
	reply->body = value;
	return 0;
}

const char *request_query(const struct request *req, const char *name)
{
	return MHD_lookup_connection_value(req->connection, MHD_GET_ARGUMENT_KIND, name);
}

/* Matches path against pattern, where "{id}" stands for a positive integer. */
static int match(const char *pattern, const char *path, int64_t *params)
{
	int n = 0;
	while (*pattern && *path) {
		if (strncmp(pattern, "{id}", 4) == 0) {
			char *end;
			if (*path < '1' || *path > '9')
				return 0;
			long long id = strtoll(path, &end, 10);
			if (end - path > 15 || n == ROUTE_MAX_PARAMS)
				return 0;
			params[n++] = id;
			path = end;
			pattern += 4;
		} else if (*pattern++ != *path++) {
			return 0;
		}
	}
	return !*pattern && !*path;
}

static const char *bearer_token(const struct request *req)
{
	const char *auth = MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND,
	                                               MHD_HTTP_HEADER_AUTHORIZATION);
	if (auth && strncmp(auth, "Bearer ", 7) == 0)
		return auth + 7;
	return NULL;
}

/* Who is asking: a bearer token, or the session cookie plus, for writes, the CSRF header
 * (a cross-site form can send the cookie but not a custom header). */
static int authenticate(struct request *req, struct reply *reply)
{
	struct gx_error err = {0};
	const char *token = bearer_token(req);
	if (!token) {
		token = MHD_lookup_connection_value(req->connection, MHD_COOKIE_KIND, "gx_session");
		const char *guard = MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND,
		                                                "X-Requested-With");
		int write = strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0;
		if (token && write && (!guard || strcmp(guard, "guanxi") != 0))
			return reply_error(reply, GX_EFORBIDDEN, NULL,
			                   "cookie-authenticated writes need the header "
			                   "X-Requested-With: guanxi");
	}
	if (!token)
		return reply_error(reply, GX_EUNAUTHORIZED, NULL,
		                   "sign in first: POST /api/v1/auth/login, then send the token as "
		                   "Authorization: Bearer <token>");
	int rc = sessions_authenticate(req->ctx.store, token, &req->ctx.actor, &err);
	if (rc < 0)
		return reply_result(reply, rc, 0, NULL, &err);
	req->token = token;
	return 0;
}

static enum MHD_Result check_utf8(void *cls, enum MHD_ValueKind kind, const char *key,
                                  const char *value)
{
	(void)kind;
	int *ok = cls;
	if (!text_valid_utf8(key, strlen(key)) || (value && !text_valid_utf8(value, strlen(value))))
		*ok = 0;
	return *ok ? MHD_YES : MHD_NO;
}

void api_dispatch(struct request *req, struct reply *reply)
{
	int utf8 = 1;
	MHD_get_connection_values(req->connection, MHD_GET_ARGUMENT_KIND, check_utf8, &utf8);
	if (!utf8) {
		reply_error(reply, GX_EBADREQUEST, NULL, "query parameters must be valid UTF-8");
		return;
	}
	int path_matched = 0;
	for (const struct route *r = routes; r->pattern; r++) {
		int64_t params[ROUTE_MAX_PARAMS] = {0};
		if (!match(r->pattern, req->path, params))
			continue;
		path_matched = 1;
		if (strcmp(r->method, req->method) != 0)
			continue;
		memcpy(req->params, params, sizeof params);
		if (!r->public && authenticate(req, reply) < 0)
			return;
		r->handler(req, reply, r->data);
		return;
	}
	if (path_matched) {
		reply_error(reply, GX_EBADREQUEST, NULL, "this method is not allowed here");
		reply->status = 405;
		return;
	}
	reply_error(reply, GX_ENOTFOUND, NULL, "no such API endpoint");
}
