/* events.c — server-sent events on GET /api/v1/events (events.h).
 *
 * One mutex guards every channel (a user's ring of recent events and list of open streams) and
 * every stream's queue. A stream is a libmicrohttpd response with a content reader: the reader
 * hands out what is queued and, when nothing is, suspends the connection (MHD_suspend_connection;
 * the daemon runs with MHD_ALLOW_SUSPEND_RESUME) and returns 0; the publisher queues the event and
 * resumes the suspended streams of its user. Suspend and resume are both called under the mutex,
 * so a resume always follows the suspend it answers. A stream whose queue passes EVENTS_QUEUE_MAX
 * (a client that stopped reading) is ended; it reconnects with Last-Event-ID and replays from the
 * ring. A heartbeat thread writes a "ping" event to every stream each EVENTS_PING_MS, which keeps
 * proxies from timing out, lets a dead peer's connection fail and be cleaned up, and tells the
 * browser its stream is alive (an SSE comment would not reach the page: EventSource drops
 * them), so the page can replace a stream that went quiet without closing. */
#include "http/events.h"

#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/buf.h"
#include "base/log.h"
#include "crm/presence.h"
#include "http/routes.h"

struct event {
	uint64_t id;
	int64_t at_ms;
	size_t len;
	char text[]; /* "id: ...\nevent: ...\ndata: ...\n\n" */
};

struct stream;

struct channel {
	int64_t user_id;
	struct event *ring[EVENTS_RING]; /* oldest at head */
	size_t head, count;
	uint64_t evicted; /* the highest id that left the ring */
	struct stream *streams;
	struct channel *next;
};

struct stream {
	struct channel *channel;
	struct MHD_Connection *connection;
	struct buf out;
	size_t sent;   /* bytes of out already handed to MHD */
	int suspended; /* the connection is suspended, waiting for data */
	int ending;    /* end of stream once out is sent */
	struct stream *prev, *next;
};

#define BUCKETS 256

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct channel *channels[BUCKETS];
static uint64_t last_id;  /* ids grow across restarts: they start at the boot time in µs */
static uint64_t first_id; /* the first id this process gives out */
static int stopping;
static int nstreams;

static pthread_t heartbeat;
static int heartbeat_running;
static pthread_cond_t heartbeat_wake = PTHREAD_COND_INITIALIZER;

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Under lock. */
static struct channel *channel_for(int64_t user_id, int create)
{
	size_t b = (size_t)((uint64_t)user_id % BUCKETS);
	for (struct channel *c = channels[b]; c; c = c->next)
		if (c->user_id == user_id)
			return c;
	if (!create)
		return NULL;
	struct channel *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->user_id = user_id;
	c->next = channels[b];
	channels[b] = c;
	return c;
}

/* Under lock: drops events older than the window from the ring's head. */
static void expire(struct channel *c, int64_t now)
{
	while (c->count > 0 && now - c->ring[c->head]->at_ms > EVENTS_WINDOW_MS) {
		struct event *old = c->ring[c->head];
		c->evicted = old->id;
		free(old);
		c->head = (c->head + 1) % EVENTS_RING;
		c->count--;
	}
}

/* Under lock: queues bytes on a stream and wakes it. A stream too far behind is ended. */
static void stream_write(struct stream *s, const char *text, size_t len)
{
	if (s->ending)
		return;
	if (s->out.len - s->sent + len > EVENTS_QUEUE_MAX) {
		log_warn("event stream of user %lld is %u bytes behind: ending it",
		         (long long)s->channel->user_id, EVENTS_QUEUE_MAX);
		s->ending = 1;
	} else {
		buf_append_n(&s->out, text, len);
		if (s->out.failed)
			s->ending = 1;
	}
	if (s->suspended) {
		s->suspended = 0;
		MHD_resume_connection(s->connection);
	}
}

uint64_t events_publish(int64_t user_id, const char *name, const json_t *data)
{
	char *json = json_dumps(data, JSON_COMPACT);
	if (!json)
		return 0;
	struct buf text = {0};
	pthread_mutex_lock(&lock);
	uint64_t id = ++last_id;
	buf_printf(&text, "id: %llu\nevent: %s\ndata: %s\n\n", (unsigned long long)id, name, json);
	free(json);
	struct channel *c = channel_for(user_id, 1);
	struct event *ev = c && !text.failed ? malloc(sizeof *ev + text.len + 1) : NULL;
	if (!ev) {
		pthread_mutex_unlock(&lock);
		buf_free(&text);
		return 0;
	}
	ev->id = id;
	ev->at_ms = now_ms();
	ev->len = text.len;
	memcpy(ev->text, text.data, text.len + 1);
	buf_free(&text);
	expire(c, ev->at_ms);
	if (c->count == EVENTS_RING) {
		c->evicted = c->ring[c->head]->id;
		free(c->ring[c->head]);
		c->head = (c->head + 1) % EVENTS_RING;
		c->count--;
	}
	c->ring[(c->head + c->count++) % EVENTS_RING] = ev;
	for (struct stream *s = c->streams; s; s = s->next)
		stream_write(s, ev->text, ev->len);
	pthread_mutex_unlock(&lock);
	return id;
}

int events_streams(void)
{
	pthread_mutex_lock(&lock);
	int n = nstreams;
	pthread_mutex_unlock(&lock);
	return n;
}

/* The content reader of a stream (libmicrohttpd calls it on the connection's worker thread). */
static ssize_t read_stream(void *cls, uint64_t pos, char *out, size_t max)
{
	(void)pos;
	struct stream *s = cls;
	pthread_mutex_lock(&lock);
	size_t pending = s->out.len - s->sent;
	if (pending > 0) {
		size_t n = pending < max ? pending : max;
		memcpy(out, s->out.data + s->sent, n);
		s->sent += n;
		if (s->sent == s->out.len) /* all sent: reuse the buffer from its start */
			s->out.len = s->sent = 0;
		pthread_mutex_unlock(&lock);
		return (ssize_t)n;
	}
	if (s->ending || stopping) {
		pthread_mutex_unlock(&lock);
		return MHD_CONTENT_READER_END_OF_STREAM;
	}
	s->suspended = 1;
	MHD_suspend_connection(s->connection);
	pthread_mutex_unlock(&lock);
	return 0;
}

/* The response is gone (the connection finished or failed): forget the stream. */
static void free_stream(void *cls)
{
	struct stream *s = cls;
	int64_t user_id = s->channel->user_id;
	pthread_mutex_lock(&lock);
	if (s->prev)
		s->prev->next = s->next;
	else
		s->channel->streams = s->next;
	if (s->next)
		s->next->prev = s->prev;
	nstreams--;
	pthread_mutex_unlock(&lock);
	buf_free(&s->out);
	free(s);
	presence_stream_closed(user_id);
}

static uint64_t parse_last_id(const char *text)
{
	if (!text || !*text)
		return 0;
	char *end;
	unsigned long long id = strtoull(text, &end, 10);
	return *end ? 0 : (uint64_t)id;
}

/* Under lock: registers s on its channel and queues the greeting and what the client missed
 * after last (0: nothing to replay). Returns the number replayed. */
static int attach(struct stream *s, struct channel *c, uint64_t last)
{
	s->channel = c;
	s->next = c->streams;
	if (c->streams)
		c->streams->prev = s;
	c->streams = s;
	nstreams++;
	expire(c, now_ms());
	buf_append(&s->out, "retry: 2000\n\n");
	int replayed = 0, gap = 0;
	if (last) {
		/* Events after last left the ring, or were given out before this process started:
		 * the client must reload rather than trust a partial replay. */
		gap = last < c->evicted || last + 1 < first_id;
		for (size_t i = 0; i < c->count; i++) {
			struct event *ev = c->ring[(c->head + i) % EVENTS_RING];
			if (ev->id > last) {
				buf_append_n(&s->out, ev->text, ev->len);
				replayed++;
			}
		}
	}
	buf_printf(&s->out, "event: ready\ndata: {\"user_id\":%lld,\"replayed\":%d,\"gap\":%s}\n\n",
	           (long long)c->user_id, replayed, gap ? "true" : "false");
	return replayed;
}

void h_events(struct request *req, struct reply *reply, const void *data)
{
	(void)data;
	struct gx_error err = {0};
	const char *last_text =
	    MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND, "Last-Event-ID");
	if (!last_text) /* for clients that cannot set headers on a reconnect */
		last_text = request_query(req, "last_event_id");
	uint64_t last = parse_last_id(last_text);
	if (last_text && *last_text && !last) {
		reply_error(reply, GX_EBADREQUEST, "Last-Event-ID",
		            "Last-Event-ID must be the id of an event this server sent");
		return;
	}
	int rc = presence_stream_opened(&req->ctx, &err);
	if (rc < 0) {
		reply_result(reply, rc, 0, NULL, &err);
		return;
	}
	struct stream *s = calloc(1, sizeof *s);
	if (!s) {
		presence_stream_closed(req->ctx.actor.user_id);
		reply_error(reply, GX_EINTERNAL, NULL, "out of memory");
		return;
	}
	s->connection = req->connection;
	pthread_mutex_lock(&lock);
	struct channel *c = stopping ? NULL : channel_for(req->ctx.actor.user_id, 1);
	if (c)
		attach(s, c, last);
	pthread_mutex_unlock(&lock);
	if (!c) {
		free(s);
		presence_stream_closed(req->ctx.actor.user_id);
		reply_error(reply, GX_EINTERNAL, NULL, "the server is stopping");
		reply->status = 503;
		return;
	}
	/* From here the response owns s: free_stream runs when the connection is done with it. */
	reply->response = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024,
	                                                    read_stream, s, free_stream);
	if (!reply->response) {
		free_stream(s);
		reply_error(reply, GX_EINTERNAL, NULL, "out of memory");
		return;
	}
	MHD_add_response_header(reply->response, "Content-Type",
	                        "text/event-stream; charset=utf-8");
	MHD_add_response_header(reply->response, "X-Accel-Buffering", "no");
	reply->status = 200;
}

static void ping_all(void)
{
	static const char ping[] = "event: ping\ndata: {}\n\n";
	pthread_mutex_lock(&lock);
	int64_t now = now_ms();
	for (size_t b = 0; b < BUCKETS; b++) {
		for (struct channel *c = channels[b]; c; c = c->next) {
			expire(c, now);
			for (struct stream *s = c->streams; s; s = s->next)
				stream_write(s, ping, sizeof ping - 1);
		}
	}
	pthread_mutex_unlock(&lock);
}

static void *run_heartbeat(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&lock);
	while (!stopping) {
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += EVENTS_PING_MS / 1000;
		pthread_cond_timedwait(&heartbeat_wake, &lock, &until);
		if (stopping)
			break;
		pthread_mutex_unlock(&lock);
		ping_all();
		pthread_mutex_lock(&lock);
	}
	pthread_mutex_unlock(&lock);
	return NULL;
}

int events_start(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	pthread_mutex_lock(&lock);
	stopping = 0;
	last_id = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
	first_id = last_id + 1;
	pthread_mutex_unlock(&lock);
	if (pthread_create(&heartbeat, NULL, run_heartbeat, NULL) != 0)
		return GX_EINTERNAL;
	heartbeat_running = 1;
	return 0;
}

void events_stop(void)
{
	pthread_mutex_lock(&lock);
	stopping = 1;
	pthread_cond_broadcast(&heartbeat_wake);
	for (size_t b = 0; b < BUCKETS; b++) {
		for (struct channel *c = channels[b]; c; c = c->next) {
			for (struct stream *s = c->streams; s; s = s->next) {
				s->ending = 1;
				if (s->suspended) {
					s->suspended = 0;
					MHD_resume_connection(s->connection);
				}
			}
		}
	}
	pthread_mutex_unlock(&lock);
	if (heartbeat_running) {
		pthread_join(heartbeat, NULL);
		heartbeat_running = 0;
	}
}

/* Frees every channel once no stream is left (after the daemon stopped). */
void events_free(void)
{
	pthread_mutex_lock(&lock);
	for (size_t b = 0; b < BUCKETS; b++) {
		while (channels[b]) {
			struct channel *c = channels[b];
			channels[b] = c->next;
			for (size_t i = 0; i < c->count; i++)
				free(c->ring[(c->head + i) % EVENTS_RING]);
			free(c);
		}
	}
	pthread_mutex_unlock(&lock);
}
