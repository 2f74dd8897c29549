/* phone_internal.h — inside base/phone: the fast path phone_to_e164 tries first, and the
 * library path alone, so that tests can hold one against the other. Not for other callers. */
#ifndef GX_PHONE_INTERNAL_H
#define GX_PHONE_INTERNAL_H

#include <stddef.h>

#include "base/phone.h"

#ifdef __cplusplus
extern "C" {
#endif

/* 1 and out ("+86" and 11 digits) when typed is, after dropping spaces, '-', '.', '(' and ')'
 * and reading full-width digits as ASCII, a Chinese mobile 1[3-9] and 9 more digits written
 * "+86..." (any default region) or, with default region CN, bare or "0086...". Exactly the
 * E.164 libphonenumber gives for these. 0 (out untouched) for anything else. */
int phone_fast_e164(const char *typed, const char *default_region, char out[PHONE_E164_MAX]);

/* phone_to_e164 without the fast path: libphonenumber only. */
int phone_to_e164_reference(const char *typed, const char *default_region, char *out,
                            size_t out_size);

#ifdef __cplusplus
}
#endif

#endif
