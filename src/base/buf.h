/* buf.h — a growable byte buffer for building SQL text, paths and replies. After any failed
 * append the buffer is marked failed and later appends do nothing, so callers check once. */
#ifndef GX_BUF_H
#define GX_BUF_H

#include <stddef.h>

struct buf {
	char *data; /* NUL-terminated when len > 0 */
	size_t len;
	size_t cap;
	int failed;
};

void buf_append(struct buf *b, const char *text);
void buf_append_n(struct buf *b, const char *bytes, size_t n);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The text ("" when empty), or NULL when an append failed. */
const char *buf_text(const struct buf *b);
void buf_free(struct buf *b);

#endif
