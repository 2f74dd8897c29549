/* phone_fast.c — the commonest numbers of an import, Chinese mobiles, to E.164 without
 * libphonenumber (see phone_internal.h). A parse through the library costs ~125,000
 * instructions and phone_to_e164 needs two; this is a few hundred. Only shapes whose answer is
 * certain are taken; anything else, however close, goes to the library, which stays the
 * reference (tests/unit/test_phone.c checks every prefix and written shape against it). */
#include "base/phone_internal.h"

#include <string.h>

/* Longest text looked at: "+86 (138) 0013-8000" and its full-width forms fit many times. */
#define FAST_TYPED_MAX 64

/* 1 when d (11 ASCII digits) is a mobile number 1[3-9]xxxxxxxxx. */
static int cn_mobile(const char *d)
{
	return d[0] == '1' && d[1] >= '3' && d[1] <= '9';
}

int phone_fast_e164(const char *typed, const char *default_region, char out[PHONE_E164_MAX])
{
	if (!typed)
		return 0;
	char digits[FAST_TYPED_MAX];
	size_t n = 0;
	int plus = 0, seen = 0;
	const unsigned char *p = (const unsigned char *)typed;
	for (size_t i = 0; p[i]; i++) {
		unsigned char c = p[i];
		if (i >= FAST_TYPED_MAX)
			return 0;
		if (c >= '0' && c <= '9') {
			if (n >= sizeof digits)
				return 0;
			digits[n++] = (char)c;
			seen = 1;
		} else if (c == 0xEF && p[i + 1] == 0xBC && p[i + 2] >= 0x90 && p[i + 2] <= 0x99) {
			/* full-width ０..９ (U+FF10..U+FF19) */
			if (n >= sizeof digits)
				return 0;
			digits[n++] = (char)('0' + (p[i + 2] - 0x90));
			seen = 1;
			i += 2;
		} else if (c == '+' && !seen && !plus &&
		           ((p[i + 1] >= '0' && p[i + 1] <= '9') ||
		            (p[i + 1] == 0xEF && p[i + 2] == 0xBC && p[i + 3] >= 0x90 &&
		             p[i + 3] <= 0x99))) {
			plus = 1; /* leading, directly before a digit */
		} else if (c == ' ' || c == '-' || c == '.' || c == '(' || c == ')') {
			if (plus && !seen)
				return 0; /* "+ 86": left to the library */
		} else {
			return 0; /* letters, extensions, other punctuation: the library decides */
		}
	}
	const char *national = NULL;
	if (plus) {
		if (n == 13 && digits[0] == '8' && digits[1] == '6')
			national = digits + 2;
	} else if (default_region && (default_region[0] | 0x20) == 'c' &&
	           (default_region[1] | 0x20) == 'n' && default_region[2] == '\0') {
		if (n == 11)
			national = digits;
		else if (n == 15 && memcmp(digits, "0086", 4) == 0)
			national = digits + 4;
	}
	if (!national || !cn_mobile(national))
		return 0;
	memcpy(out, "+86", 3);
	memcpy(out + 3, national, 11);
	out[14] = '\0';
	return 1;
}
