/* phone.h — phone numbers as people type them, to E.164 and back to a national display form.
 * E.164 ("+8613800138000") is the one stored form: the CTI screen pop matches a caller ID
 * against it, so every way of writing a number must end up as the same string.
 * All functions are thread-safe and never print anything. */
#ifndef GX_PHONE_H
#define GX_PHONE_H

#include <stddef.h>

/* Buffer sizes that never fail, NUL included. E.164 allows 15 digits, but libphonenumber accepts
 * national numbers up to 17 digits after a country code of up to 3 (a valid German number has
 * 16 digits in all), so a result is '+' and up to 20 digits. */
#define PHONE_E164_MAX 22
#define PHONE_NATIONAL_MAX 64

/* Normalises a phone number as a person typed it to E.164 ("+8613800138000").
 * default_region: ISO 3166 alpha-2 ("CN", either case) for numbers written without a country
 * code; NULL or "" accepts only numbers that carry one ("+852 ...").
 * Accepts every way people write the same number: spaces, dashes, dots, parentheses, full-width
 * digits (１３８００１３８０００), "+86", "0086" (international prefix from CN), "86" followed by a
 * full mobile number when that reading is valid, the national trunk "0"
 * (010-6552 9988 -> +861065529988). Extensions ("ext. 123", "x123", "#123", "转123", "分机123")
 * are dropped. A number that is possible only as a local number without its area code ("12345"
 * in CN) is refused: its E.164 form would be wrong. So is one whose E.164 form would not
 * normalise to itself again (a trunk '0' kept in a few readings), since it could never match.
 * Returns 0 and writes out (NUL-terminated), or GX_EVALIDATION (base/error.h) when the text is
 * not a possible phone number or out is too small (out is then ""), or GX_EINTERNAL when
 * libphonenumber failed (out of memory). */
int phone_to_e164(const char *typed, const char *default_region, char *out, size_t out_size);

/* 1 when the number is valid (not just possible) for its region per libphonenumber's metadata:
 * right length and a prefix in use. 0 otherwise, including any input phone_to_e164 refuses. */
int phone_is_valid(const char *typed, const char *default_region);

/* National format for display, e.g. "138 0013 8000" or "010 6552 9988", from an E.164 string
 * ('+' and 1 to 20 ASCII digits, as phone_to_e164 writes it); same return convention. */
int phone_format_national(const char *e164, char *out, size_t out_size);

#endif
