/* lookup.h — caller id: who is on the line, from a number written any way at all. */
#ifndef GX_CRM_LOOKUP_H
#define GX_CRM_LOOKUP_H

#include <jansson.h>

#include "crm/access.h"

/* {"number": "+8613800138000", "matches": [{"contact", "account", "summary"}]} for the contacts
 * visible to the actor whose phones normalise to the same E.164 number; an empty list when
 * none. GX_EVALIDATION (field "number") when the text is not a phone number. */
int lookup_phone(struct crm_ctx *ctx, const char *number, json_t **out, struct gx_error *err);

#endif
