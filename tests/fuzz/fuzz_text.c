/* fuzz_text.c — libFuzzer driver for base/text: arbitrary bytes as text to fold and to key.
 * Beyond memory errors it checks the contract: text_valid_utf8 agrees with utf8proc's decoder;
 * invalid text gives NULL / -1 with both keys NULL; a fold is valid UTF-8 of letters, marks and
 * numbers only and is a fixed point (folding it again gives itself, so stored keys keep
 * matching); pinyin keys are [a-z0-9] and the initials are a subsequence of the full key. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "base/text.h"

/* utf8proc's own verdict, the reference for text_valid_utf8 (it also refuses NUL here). */
static int fuzz_utf8proc_valid(const uint8_t *data, size_t size)
{
	size_t at = 0;
	while (at < size) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t n =
		    utf8proc_iterate(data + at, (utf8proc_ssize_t)(size - at), &cp);
		if (n <= 0 || cp == 0)
			return 0;
		at += (size_t)n;
	}
	return 1;
}

static void fuzz_check_fold(const char *folded)
{
	size_t size = strlen(folded);
	const uint8_t *bytes = (const uint8_t *)folded;
	if (!text_valid_utf8(folded, size))
		abort();
	for (size_t at = 0; at < size;) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t n =
		    utf8proc_iterate(bytes + at, (utf8proc_ssize_t)(size - at), &cp);
		if (n <= 0)
			abort();
		utf8proc_category_t category = utf8proc_category(cp);
		if (category < UTF8PROC_CATEGORY_LU || category > UTF8PROC_CATEGORY_NO)
			abort();
		at += (size_t)n;
	}
	char *again = text_fold(folded);
	if (!again || strcmp(again, folded) != 0)
		abort();
	free(again);
}

static void fuzz_check_keys(const char *full, const char *initials)
{
	const char *f = full;
	for (const char *i = initials; *i; i++) {
		while (*f && *f != *i)
			f++;
		if (!*f)
			abort();
		f++;
	}
	for (f = full; *f; f++) {
		if (!((*f >= 'a' && *f <= 'z') || (*f >= '0' && *f <= '9')))
			abort();
	}
	if (*full && !*initials)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int valid = text_valid_utf8((const char *)data, size);
	if (valid != fuzz_utf8proc_valid(data, size))
		abort();

	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	/* With an embedded NUL the functions see the text before it; judge that prefix. */
	valid = text_valid_utf8(text, strlen(text));

	char *folded = text_fold(text);
	char *full = (char *)"stale";
	char *initials = (char *)"stale";
	int rc = text_pinyin(text, &full, &initials);
	if (!valid) {
		if (folded || rc != -1 || full || initials)
			abort();
	} else {
		if (!folded || rc != 0 || !full || !initials)
			abort();
		fuzz_check_fold(folded);
		fuzz_check_keys(full, initials);
	}
	free(folded);
	free(full);
	free(initials);
	free(text);
	return 0;
}
