/* events.h — the live event stream, GET /api/v1/events (server-sent events): one in-process
 * broadcaster, a bounded queue per open stream and a ring of recent events per user so a stream
 * that reconnects with Last-Event-ID gets what it missed. Streams never hold a worker thread:
 * an idle stream's connection is suspended and the publisher resumes it. */
#ifndef GX_HTTP_EVENTS_H
#define GX_HTTP_EVENTS_H

#include <jansson.h>
#include <stdint.h>

#define EVENTS_RING 256              /* recent events kept per user */
#define EVENTS_WINDOW_MS (5 * 60000) /* ... and for at most five minutes */
#define EVENTS_QUEUE_MAX (1u << 20)  /* bytes waiting for a slow stream before it is cut */
#define EVENTS_PING_MS 5000          /* a "ping" event on every stream this often */

/* Starts the heartbeat thread; call once before serving. 0 or GX_EINTERNAL. */
int events_start(void);
/* Ends every stream (each gets what is queued, then end of stream), refuses new ones and stops
 * the heartbeat; the graceful stop calls it before draining requests. */
void events_stop(void);

/* Frees the rings once the daemon has stopped (no stream is left). */
void events_free(void);

/* Sends event (a name such as "screen_pop") with data to every stream of user_id, and keeps it
 * in the user's ring for replay. Returns the event's id, 0 when out of memory. Thread-safe. */
uint64_t events_publish(int64_t user_id, const char *event, const json_t *data);

/* Counts of open streams (for tests and logs). */
int events_streams(void);

#endif
