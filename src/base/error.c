/* error.c — filling struct gx_error and naming codes for the API's error shape. */
#include "base/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int gx_fail(struct gx_error *err, int code, const char *field, const char *fmt, ...)
{
	if (!err)
		return code;
	err->code = code;
	snprintf(err->field, sizeof err->field, "%s", field ? field : "");
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof err->message, fmt, ap);
	va_end(ap);
	return code;
}

const char *gx_code_name(int code)
{
	switch (code) {
	case GX_EBADREQUEST: return "bad_request";
	case GX_EUNAUTHORIZED: return "unauthorized";
	case GX_EFORBIDDEN: return "forbidden";
	case GX_ENOTFOUND: return "not_found";
	case GX_ECONFLICT: return "conflict";
	case GX_EVALIDATION: return "validation_failed";
	case GX_ETOOLARGE: return "payload_too_large";
	case GX_ERATELIMITED: return "rate_limited";
	default: return "internal";
	}
}
