/* http.h — what a handler sees of a request and gives back as a reply. Handlers are thin: they
 * read parameters, call one domain function and hand its JSON or error to the reply; the
 * server maps error codes to statuses in one table (api.c) and writes the shape of API.md. */
#ifndef GX_HTTP_H
#define GX_HTTP_H

#include <jansson.h>
#include <stdint.h>

#include "base/config.h"
#include "crm/access.h"

struct MHD_Connection;

#define ROUTE_MAX_PARAMS 2

struct request {
	struct MHD_Connection *connection;
	const char *method;
	const char *path;
	json_t *body;    /* the parsed JSON body of POST/PATCH/PUT, else NULL */
	const char *raw; /* the body as sent: a file upload (POST /imports) is not JSON */
	size_t raw_len;
	int64_t params[ROUTE_MAX_PARAMS]; /* the {id}s of the route, in order */
	struct crm_ctx ctx;               /* the signed-in actor (unset on public routes) */
	const char *token; /* the session or API token that authenticated the request */
	char client[64];   /* the peer address, for throttling */
	void *pending;     /* the server's state of the request (http_defer) */
};

struct reply {
	int status;
	json_t *body;                  /* owned; NULL for 204 */
	char set_cookie[160];          /* a Set-Cookie header value, or "" */
	int retry_after;               /* seconds, or 0 */
	struct MHD_Response *response; /* a response of its own to queue instead of body (the
	                                * event stream); owned */
};

/* Sets the reply from a domain result: on rc == 0 status and value (owned), otherwise the
 * error shape of API.md for rc and err. Returns rc. */
int reply_result(struct reply *reply, int rc, int status, json_t *value,
                 const struct gx_error *err);
int reply_error(struct reply *reply, int code, const char *field, const char *message);

/* A reply given later, from another thread, without holding the worker thread meanwhile (a call
 * event waits for its group commit): the handler calls http_defer and leaves reply alone; the
 * work calls http_finish with the handle exactly once, which sets the reply as reply_result
 * does and sends it. */
struct http_later;
struct http_later *http_defer(struct request *req);
void http_finish(struct http_later *later, int rc, int status, json_t *value,
                 const struct gx_error *err);

/* A query parameter, or NULL. */
const char *request_query(const struct request *req, const char *name);

/* Runs the API handler for req (routing, authentication, CSRF guard); fills reply. */
void api_dispatch(struct request *req, struct reply *reply);

/* Serves a file under config->web_dir for GET/HEAD of a non-API path; returns an MHD result. */
int static_serve(struct MHD_Connection *connection, const struct config *config, const char *method,
                 const char *path);

/* Adds the headers every reply carries (CSP and friends) to an MHD response. */
struct MHD_Response;
void http_security_headers(struct MHD_Response *response);

/* Runs the server until SIGTERM or SIGINT, then finishes requests in flight and closes every
 * store connection. Returns 0, or a negative code when it could not start. */
int server_run(const struct config *config, struct gx_error *err);

#endif
