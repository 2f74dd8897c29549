/* fuzz_phone.c — libFuzzer driver for base/phone: arbitrary bytes as typed phone numbers.
 * Input: the first byte picks the default region (byte % 6: '0' CN, '1' TW, '2' HK, '3' US,
 * '4' none, '5' "cn" in lower case), the rest is the typed text, cut at its first NUL.
 * Beyond memory errors it checks the contract: a result is '+' and digits that fit
 * PHONE_E164_MAX, is a fixed point (normalising it again gives itself, so stored numbers keep
 * matching), formats for display; a refused text is never valid; a too-small buffer fails
 * cleanly; where the fast path (phone_fast.c) answers, libphonenumber gives the same. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/phone.h"
#include "base/phone_internal.h"

#define FUZZ_PHONE_TYPED_MAX 1024

static const char *const fuzz_regions[] = {"CN", "TW", "HK", "US", NULL, "cn"};

static void fuzz_check_e164(const char *e164)
{
	size_t digits = 0;
	if (e164[0] != '+')
		abort();
	for (const char *p = e164 + 1; *p; p++) {
		if (*p < '0' || *p > '9')
			abort();
		digits++;
	}
	if (digits < 1 || digits > PHONE_E164_MAX - 2)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const char *region = fuzz_regions[data[0] % (sizeof fuzz_regions / sizeof fuzz_regions[0])];
	char typed[FUZZ_PHONE_TYPED_MAX + 1];
	size_t length = size - 1 < FUZZ_PHONE_TYPED_MAX ? size - 1 : FUZZ_PHONE_TYPED_MAX;
	memcpy(typed, data + 1, length);
	typed[length] = '\0';

	char e164[PHONE_E164_MAX], fast[PHONE_E164_MAX], reference[PHONE_E164_MAX];
	if (phone_fast_e164(typed, region, fast) &&
	    (phone_to_e164_reference(typed, region, reference, sizeof reference) != 0 ||
	     strcmp(fast, reference) != 0))
		abort();
	int rc = phone_to_e164(typed, region, e164, sizeof e164);
	int valid = phone_is_valid(typed, region);
	if (rc != 0) {
		if (rc != GX_EVALIDATION || e164[0] != '\0' || valid)
			abort();
		return 0;
	}
	fuzz_check_e164(e164);

	char again[PHONE_E164_MAX];
	if (phone_to_e164(e164, NULL, again, sizeof again) != 0 || strcmp(again, e164) != 0)
		abort();

	char national[PHONE_NATIONAL_MAX];
	if (phone_format_national(e164, national, sizeof national) != 0)
		abort();

	/* Exactly one byte short, on the heap so ASan sees a write past its end. */
	size_t small_size = strlen(e164);
	char *small = malloc(small_size);
	if (!small)
		return 0;
	small[0] = 'x';
	rc = phone_to_e164(typed, region, small, small_size);
	if (rc != GX_EVALIDATION || small[0] != '\0')
		abort();
	free(small);
	return 0;
}
