/* error.h — the one error vocabulary of Guanxi.
 * Functions that can fail return 0 or a negative GX_E* code and, when the caller must tell a
 * user why, fill a struct gx_error. The HTTP layer maps codes to statuses in one table. */
#ifndef GX_ERROR_H
#define GX_ERROR_H

enum gx_code {
	GX_OK = 0,
	GX_EBADREQUEST = -1,   /* malformed input: JSON, parameters */
	GX_EUNAUTHORIZED = -2, /* no or bad credentials */
	GX_EFORBIDDEN = -3,    /* authenticated, but the role may not do this */
	GX_ENOTFOUND = -4,     /* absent, or present but not visible to this user */
	GX_ECONFLICT = -5,     /* duplicate unique value, stale version */
	GX_EVALIDATION = -6,   /* well-formed but invalid; names the field */
	GX_ETOOLARGE = -7,     /* body over the configured limit */
	GX_ERATELIMITED = -8,  /* too many attempts */
	GX_EINTERNAL = -9,     /* our fault; the message never carries internals */
};

struct gx_error {
	int code;
	char message[256];
	char field[96];
};

/* Fills err (when not NULL) and returns code, so callers can write `return gx_fail(...)`. */
int gx_fail(struct gx_error *err, int code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The API's snake_case name for a code: "not_found", "validation_failed"... */
const char *gx_code_name(int code);

#endif
