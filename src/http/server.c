/* server.c — the HTTP server: libmicrohttpd with one worker thread per core, each with its own
 * store connection (SQLite connections are not shared between threads), request bodies read up
 * to the configured limit, and a graceful stop on SIGTERM/SIGINT. */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/log.h"
#include "crm/cti.h"
#include "http/events.h"
#include "http/http.h"

struct server {
	const struct config *config;
	pthread_mutex_t lock; /* guards stores */
	struct store **stores;
	size_t nstores;
	atomic_int in_flight;
};

enum later_state { LATER_NONE, LATER_WAITING, LATER_DONE };

/* Per connection-request state, from the first call of the access handler to completion. */
struct pending {
	struct buf body;
	int too_large;
	/* a deferred reply (http_defer): suspended while waiting, resumed by http_finish */
	struct MHD_Connection *connection;
	enum later_state later;
	int suspended;
	struct reply reply;
};

/* Orders a deferred reply's suspend before its resume (as events.c does for streams). */
static pthread_mutex_t later_lock = PTHREAD_MUTEX_INITIALIZER;

struct http_later *http_defer(struct request *req)
{
	struct pending *pending = req->pending;
	pending->later = LATER_WAITING;
	pending->connection = req->connection;
	return (struct http_later *)pending;
}

void http_finish(struct http_later *later, int rc, int status, json_t *value,
                 const struct gx_error *err)
{
	struct pending *pending = (struct pending *)later;
	pthread_mutex_lock(&later_lock);
	pending->reply = (struct reply){.status = 200};
	reply_result(&pending->reply, rc, status, value, err);
	pending->later = LATER_DONE;
	if (pending->suspended) {
		pending->suspended = 0;
		MHD_resume_connection(pending->connection);
	}
	pthread_mutex_unlock(&later_lock);
}

static _Thread_local struct store *thread_store;

/* This worker thread's store connection, opened on its first request. */
static struct store *worker_store(struct server *server, struct gx_error *err)
{
	if (thread_store)
		return thread_store;
	struct store *store;
	if (store_open(&store, server->config->db, err) < 0)
		return NULL;
	pthread_mutex_lock(&server->lock);
	struct store **grown = realloc(server->stores, (server->nstores + 1) * sizeof *grown);
	if (grown) {
		grown[server->nstores++] = store;
		server->stores = grown;
	}
	pthread_mutex_unlock(&server->lock);
	if (!grown) {
		store_close(store);
		gx_fail(err, GX_EINTERNAL, NULL, "out of memory");
		return NULL;
	}
	return thread_store = store;
}

void http_security_headers(struct MHD_Response *response)
{
	MHD_add_response_header(response, "Content-Security-Policy",
	                        "default-src 'self'; script-src 'self'; style-src 'self'; "
	                        "img-src 'self' data:; font-src 'self'; connect-src 'self'; "
	                        "object-src 'none'; frame-ancestors 'none'; base-uri 'none'; "
	                        "form-action 'self'");
	MHD_add_response_header(response, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(response, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(response, "X-Frame-Options", "DENY");
}

/* A handler's own response (the event stream): the common headers, then queued as it is. */
static enum MHD_Result send_stream(struct MHD_Connection *connection, struct reply *reply)
{
	MHD_add_response_header(reply->response, "Cache-Control", "no-store");
	http_security_headers(reply->response);
	enum MHD_Result ret =
	    MHD_queue_response(connection, (unsigned)reply->status, reply->response);
	MHD_destroy_response(reply->response);
	reply->response = NULL;
	return ret;
}

static enum MHD_Result send_reply(struct MHD_Connection *connection, struct reply *reply)
{
	if (reply->response)
		return send_stream(connection, reply);
	char *text = reply->body ? json_dumps(reply->body, JSON_COMPACT) : NULL;
	struct MHD_Response *response =
	    text ? MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE)
	         : MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	if (!response) {
		free(text);
		return MHD_NO;
	}
	if (text)
		MHD_add_response_header(response, "Content-Type",
		                        "application/json; charset=utf-8");
	MHD_add_response_header(response, "Cache-Control", "no-store");
	if (reply->set_cookie[0])
		MHD_add_response_header(response, "Set-Cookie", reply->set_cookie);
	if (reply->retry_after) {
		char seconds[16];
		snprintf(seconds, sizeof seconds, "%d", reply->retry_after);
		MHD_add_response_header(response, "Retry-After", seconds);
	}
	http_security_headers(response);
	enum MHD_Result ret = MHD_queue_response(connection, (unsigned)reply->status, response);
	MHD_destroy_response(response);
	return ret;
}

static void client_address(struct MHD_Connection *connection, char *out, size_t size)
{
	const union MHD_ConnectionInfo *info =
	    MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	out[0] = '\0';
	if (!info || !info->client_addr)
		return;
	const struct sockaddr *sa = info->client_addr;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out,
		          (socklen_t)size);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
		          out, (socklen_t)size);
}

static void parse_body(struct request *req, struct pending *pending, struct reply *reply)
{
	json_error_t jerr;
	const char *text = pending->body.data ? pending->body.data : "";
	req->body = json_loadb(text, pending->body.len, JSON_REJECT_DUPLICATES, &jerr);
	if (!req->body) {
		char message[200];
		snprintf(message, sizeof message, "malformed JSON at line %d, column %d: %s",
		         jerr.line, jerr.column, jerr.text);
		reply_error(reply, GX_EBADREQUEST, NULL, message);
	}
}

/* File uploads (POST /api/v1/imports and .../preview) are CSV, XLSX or vCard, not JSON, and
 * may be larger than other bodies. */
#define UPLOAD_MAX_BODY (256u << 20)
static int is_upload(const char *method, const char *url)
{
	return strcmp(method, "POST") == 0 &&
	       (strcmp(url, "/api/v1/imports") == 0 || strcmp(url, "/api/v1/imports/preview") == 0);
}

static int has_body(const char *method)
{
	return strcmp(method, "POST") == 0 || strcmp(method, "PATCH") == 0 ||
	       strcmp(method, "PUT") == 0;
}

/* The deferred reply, once http_finish set it. */
static enum MHD_Result send_later(struct MHD_Connection *connection, struct pending *pending)
{
	pending->later = LATER_NONE;
	enum MHD_Result ret = send_reply(connection, &pending->reply);
	json_decref(pending->reply.body);
	pending->reply.body = NULL;
	return ret;
}

static enum MHD_Result answer(struct server *server, struct MHD_Connection *connection,
                              const char *url, const char *method, struct pending *pending)
{
	struct reply reply = {.status = 200};
	struct request req = {
	    .connection = connection, .method = method, .path = url, .pending = pending};
	struct gx_error err = {0};
	client_address(connection, req.client, sizeof req.client);
	req.ctx.config = server->config;
	if (pending->too_large) {
		char message[96];
		snprintf(message, sizeof message, "the body is larger than %zu bytes",
		         server->config->max_body);
		reply_error(&reply, GX_ETOOLARGE, NULL, message);
	} else if (!(req.ctx.store = worker_store(server, &err))) {
		reply_result(&reply, GX_EINTERNAL, 0, NULL, &err);
	} else if (is_upload(method, url)) {
		req.raw = pending->body.data ? pending->body.data : "";
		req.raw_len = pending->body.len;
	} else if (has_body(method) && pending->body.len > 0) {
		parse_body(&req, pending, &reply);
	}
	if (reply.status == 200)
		api_dispatch(&req, &reply);
	json_decref(req.body);
	if (pending->later != LATER_NONE) {
		/* deferred: sent when the work finishes, unless it already has */
		pthread_mutex_lock(&later_lock);
		int waiting = pending->later == LATER_WAITING;
		if (waiting) {
			pending->suspended = 1;
			MHD_suspend_connection(connection);
		}
		pthread_mutex_unlock(&later_lock);
		json_decref(reply.body);
		return waiting ? MHD_YES : send_later(connection, pending);
	}
	enum MHD_Result ret = send_reply(connection, &reply);
	json_decref(reply.body);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *connection, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **state)
{
	(void)version;
	struct server *server = cls;
	struct pending *pending = *state;
	if (!pending) {
		if (!(pending = calloc(1, sizeof *pending)))
			return MHD_NO;
		*state = pending;
		atomic_fetch_add(&server->in_flight, 1);
		return MHD_YES;
	}
	if (*upload_data_size) {
		/* Keep reading an oversized body (and drop it) so the 413 reaches the client. */
		size_t limit = is_upload(method, url) && server->config->max_body < UPLOAD_MAX_BODY
		                   ? UPLOAD_MAX_BODY
		                   : server->config->max_body;
		if (pending->body.len + *upload_data_size > limit)
			pending->too_large = 1;
		else
			buf_append_n(&pending->body, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (pending->later == LATER_DONE) /* resumed by http_finish */
		return send_later(connection, pending);
	if (strncmp(url, "/api/", 5) != 0 && strcmp(url, "/api") != 0)
		return (enum MHD_Result)static_serve(connection, server->config, method, url);
	return answer(server, connection, url, method, pending);
}

static void on_completed(void *cls, struct MHD_Connection *connection, void **state,
                         enum MHD_RequestTerminationCode code)
{
	(void)connection;
	(void)code;
	struct server *server = cls;
	struct pending *pending = *state;
	if (!pending)
		return;
	buf_free(&pending->body);
	json_decref(pending->reply.body);
	free(pending);
	*state = NULL;
	atomic_fetch_sub(&server->in_flight, 1);
}

static int parse_listen(const char *listen, struct sockaddr_in *addr, struct gx_error *err)
{
	char host[64];
	const char *colon = strrchr(listen, ':');
	long port = colon ? strtol(colon + 1, NULL, 10) : 0;
	size_t hlen = colon ? (size_t)(colon - listen) : 0;
	if (!colon || port <= 0 || port > 65535 || hlen >= sizeof host)
		return gx_fail(err, GX_EVALIDATION, "listen", "listen must be host:port, not %s",
		               listen);
	memcpy(host, listen, hlen);
	host[hlen] = '\0';
	*addr = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	if (inet_pton(AF_INET, hlen ? host : "0.0.0.0", &addr->sin_addr) != 1)
		return gx_fail(err, GX_EVALIDATION, "listen", "%s is not an IPv4 address", host);
	return 0;
}

/* Waits for requests in flight to finish, at most ten seconds. */
static void drain(struct server *server)
{
	for (int i = 0; i < 1000 && atomic_load(&server->in_flight) > 0; i++)
		nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);
}

static void close_stores(struct server *server)
{
	for (size_t i = 0; i < server->nstores; i++)
		store_close(server->stores[i]);
	free(server->stores);
}

int server_run(const struct config *config, struct gx_error *err)
{
	struct sockaddr_in addr;
	int rc = parse_listen(config->listen, &addr, err);
	if (rc < 0)
		return rc;
	/* Block the stop signals here, so worker threads inherit the mask and sigwait sees them. */
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	struct server server = {.config = config, .lock = PTHREAD_MUTEX_INITIALIZER};
	struct MHD_Daemon *daemon = MHD_start_daemon(
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
	        MHD_ALLOW_SUSPEND_RESUME,
	    0, NULL, NULL, on_request, &server, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
	    MHD_OPTION_THREAD_POOL_SIZE, (unsigned)config->threads, MHD_OPTION_NOTIFY_COMPLETED,
	    on_completed, &server, MHD_OPTION_CONNECTION_TIMEOUT, 60u, MHD_OPTION_CONNECTION_LIMIT,
	    4096u, MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u, MHD_OPTION_END);
	if (!daemon)
		return gx_fail(err, GX_EINTERNAL, "listen", "cannot listen on %s: %s",
		               config->listen, errno ? strerror(errno) : "address in use?");
	if (events_start() < 0) {
		MHD_stop_daemon(daemon);
		return gx_fail(err, GX_EINTERNAL, NULL, "cannot start the event stream heartbeat");
	}
	if ((rc = cti_writer_start(config, err)) < 0) {
		MHD_stop_daemon(daemon);
		events_stop();
		events_free();
		return rc;
	}
	log_info("listening on http://%s (%d threads, database %s)", config->listen,
	         config->threads, config->db);
	int sig;
	sigwait(&stop, &sig);
	log_info("stopping on signal %d: finishing requests in flight", sig);
	MHD_socket listener = MHD_quiesce_daemon(daemon);
	if (listener != MHD_INVALID_SOCKET)
		close(
		    listener); /* refuse new connections at once instead of leaving them hanging */
	events_stop();         /* event streams end now, or the drain would wait for them */
	drain(&server);
	cti_writer_stop(); /* answers what is still queued before the daemon goes */
	MHD_stop_daemon(daemon);
	events_free();
	close_stores(&server);
	log_info("stopped cleanly");
	return 0;
}
