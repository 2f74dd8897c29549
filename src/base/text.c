/* text.c — search folding and pinyin keys for UTF-8 text (see text.h).
 * Relies on utf8proc for NFKC, case folding and general categories; on OpenCC's "t2s" data,
 * turned once per process into a character table (OpenCC is never called per string); and on
 * the Unihan pinyin table that scripts/gen-pinyin generates (base/pinyin.h). */
#include "base/text.h"

#include "base/pinyin.h"

#include <opencc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

/* The OpenCC configuration, found in OpenCC's data directory; a macro so a test build can point
 * it at a missing file. */
#ifndef TEXT_T2S_CONFIG
#define TEXT_T2S_CONFIG "t2s.json"
#endif

#define TEXT_FOLD_OPTIONS                                                                          \
	((utf8proc_option_t)(UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPAT |               \
	                     UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD))
/* Pinyin keys are ASCII, so accents go too ("José" -> "jose") instead of splitting the word. */
#define TEXT_PINYIN_OPTIONS ((utf8proc_option_t)(TEXT_FOLD_OPTIONS | UTF8PROC_STRIPMARK))

/* Traditional -> simplified, per code point, for the ideograph blocks OpenCC converts:
 * U+3400..U+4DBF (Extension A) and U+4E00..U+9FFF (the URO), kept as one run whose 64 slots of
 * Yijing hexagrams in between stay 0, then U+F900..U+FAFF (compatibility ideographs). 0 means
 * "no simplified form"; a target may lie outside the BMP (㑮 -> 𫝈). Written once under
 * text_t2s_once, read-only afterwards, so readers need no lock. */
#define TEXT_T2S_MAIN_FIRST 0x3400u
#define TEXT_T2S_MAIN_LAST 0x9FFFu
#define TEXT_T2S_COMPAT_FIRST 0xF900u
#define TEXT_T2S_COMPAT_LAST 0xFAFFu
#define TEXT_T2S_MAIN_SIZE (TEXT_T2S_MAIN_LAST - TEXT_T2S_MAIN_FIRST + 1)
#define TEXT_T2S_SIZE (TEXT_T2S_MAIN_SIZE + TEXT_T2S_COMPAT_LAST - TEXT_T2S_COMPAT_FIRST + 1)

static uint32_t text_t2s[TEXT_T2S_SIZE];
static pthread_once_t text_t2s_once = PTHREAD_ONCE_INIT;

/* The table slot of cp, or -1 when OpenCC is not asked about cp. */
static long text_t2s_slot(uint32_t cp)
{
	if (cp >= TEXT_T2S_MAIN_FIRST && cp <= TEXT_T2S_MAIN_LAST) {
		if (cp >= 0x4DC0 && cp <= 0x4DFF)
			return -1;
		return (long)(cp - TEXT_T2S_MAIN_FIRST);
	}
	if (cp >= TEXT_T2S_COMPAT_FIRST && cp <= TEXT_T2S_COMPAT_LAST)
		return (long)(TEXT_T2S_MAIN_SIZE + cp - TEXT_T2S_COMPAT_FIRST);
	return -1;
}

static uint32_t text_t2s_code_point(size_t slot)
{
	if (slot < TEXT_T2S_MAIN_SIZE)
		return TEXT_T2S_MAIN_FIRST + (uint32_t)slot;
	return TEXT_T2S_COMPAT_FIRST + (uint32_t)(slot - TEXT_T2S_MAIN_SIZE);
}

/* Reads OpenCC's output, one line per slot in slot order, into the table. Returns 0, or -1
 * when the output does not have exactly one line per slot (the table is then left empty). */
static int text_t2s_parse(const char *output, size_t length)
{
	const char *line = output;
	const char *end = output + length;
	for (size_t slot = 0; slot < TEXT_T2S_SIZE; slot++) {
		uint32_t cp = text_t2s_code_point(slot);
		if (text_t2s_slot(cp) < 0)
			continue;
		const char *newline = memchr(line, '\n', (size_t)(end - line));
		if (!newline)
			return -1;
		utf8proc_int32_t simplified;
		utf8proc_ssize_t n =
		    utf8proc_iterate((const utf8proc_uint8_t *)line, newline - line, &simplified);
		/* Only 1 -> 1 mappings: a line of several code points is not a character's form. */
		if (n > 0 && n == newline - line && (uint32_t)simplified != cp)
			text_t2s[slot] = (uint32_t)simplified;
		line = newline + 1;
	}
	return line == end ? 0 : -1;
}

/* OpenCC maps a few characters to one it would map again (薴 -> 苧 -> 苎); following the chain
 * makes folding idempotent. The bound only guards against a cycle in the data. */
static void text_t2s_resolve_chains(void)
{
	for (size_t slot = 0; slot < TEXT_T2S_SIZE; slot++) {
		for (int step = 0; step < 4 && text_t2s[slot]; step++) {
			long next = text_t2s_slot(text_t2s[slot]);
			if (next < 0 || !text_t2s[next] || text_t2s[next] == text_t2s[slot])
				break;
			text_t2s[slot] = text_t2s[next];
		}
	}
}

/* Builds the table with one OpenCC call over every code point, one per line. OpenCC's phrase
 * dictionaries hold no line break, so no phrase spans two lines and each line converts exactly
 * as the character alone does (checked against 28,096 single-character calls: the same 3,751
 * mappings, in about half the time). Any failure (data missing, out of memory) leaves the table
 * empty and folding goes on without t2s, silently. */
static void text_t2s_build(void)
{
	char *input = NULL;
	char *output = NULL;
	opencc_t converter = opencc_open(TEXT_T2S_CONFIG);
	if (converter == (opencc_t)-1)
		return;

	/* 3 bytes per BMP ideograph plus '\n' */
	input = malloc(TEXT_T2S_SIZE * 4);
	if (!input)
		goto done;
	size_t length = 0;
	for (size_t slot = 0; slot < TEXT_T2S_SIZE; slot++) {
		uint32_t cp = text_t2s_code_point(slot);
		if (text_t2s_slot(cp) < 0)
			continue;
		length += (size_t)utf8proc_encode_char((utf8proc_int32_t)cp,
		                                       (utf8proc_uint8_t *)input + length);
		input[length++] = '\n';
	}
	output = opencc_convert_utf8(converter, input, length);
	if (!output)
		goto done;
	if (text_t2s_parse(output, strlen(output)) != 0) {
		memset(text_t2s, 0, sizeof text_t2s);
		goto done;
	}
	text_t2s_resolve_chains();
done:
	if (output)
		opencc_convert_utf8_free(output);
	free(input);
	opencc_close(converter);
}

static uint32_t text_simplified(uint32_t cp)
{
	long slot = text_t2s_slot(cp);
	if (slot < 0 || !text_t2s[slot])
		return cp;
	return text_t2s[slot];
}

static int text_is_kept(utf8proc_int32_t cp)
{
	switch (utf8proc_category(cp)) {
	case UTF8PROC_CATEGORY_LU:
	case UTF8PROC_CATEGORY_LL:
	case UTF8PROC_CATEGORY_LT:
	case UTF8PROC_CATEGORY_LM:
	case UTF8PROC_CATEGORY_LO:
	case UTF8PROC_CATEGORY_MN:
	case UTF8PROC_CATEGORY_MC:
	case UTF8PROC_CATEGORY_ME:
	case UTF8PROC_CATEGORY_ND:
	case UTF8PROC_CATEGORY_NL:
	case UTF8PROC_CATEGORY_NO: return 1;
	default: return 0;
	}
}

/* Whether cp can compose with, or reorder against, the character before it: a mark, or a
 * Hangul vowel or trailing consonant jamo. */
static int text_joins_previous(utf8proc_int32_t cp)
{
	utf8proc_category_t category = utf8proc_category(cp);
	if (category == UTF8PROC_CATEGORY_MN || category == UTF8PROC_CATEGORY_MC ||
	    category == UTF8PROC_CATEGORY_ME)
		return 1;
	return (cp >= 0x1161 && cp <= 0x1175) || (cp >= 0x11A8 && cp <= 0x11C2);
}

/* Simplifies and filters normalised text into out (NULL: only measure). Returns the length
 * written, without NUL; sets *joined when a dropped character had separated two kept ones that
 * may now compose (e + "." + U+0301), so the result must be normalised again. */
static size_t text_filter(const utf8proc_uint8_t *text, size_t length, char *out, int *joined)
{
	size_t written = 0;
	int dropped = 0;
	size_t at = 0;
	*joined = 0;
	while (at < length) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t n =
		    utf8proc_iterate(text + at, (utf8proc_ssize_t)(length - at), &cp);
		if (n <= 0)
			break; /* cannot happen: utf8proc wrote valid UTF-8 */
		at += (size_t)n;
		cp = (utf8proc_int32_t)text_simplified((uint32_t)cp);
		if (!text_is_kept(cp)) {
			dropped = written > 0; /* a gap matters only after something kept */
			continue;
		}
		if (dropped && text_joins_previous(cp))
			*joined = 1;
		dropped = 0;
		utf8proc_uint8_t encoded[4];
		utf8proc_ssize_t size = utf8proc_encode_char(cp, encoded);
		if (out)
			memcpy(out + written, encoded, (size_t)size);
		written += (size_t)size;
	}
	return written;
}

char *text_fold(const char *utf8)
{
	utf8proc_uint8_t *normal = NULL;
	char *folded = NULL;
	if (!utf8 || !text_valid_utf8(utf8, strlen(utf8)))
		return NULL;
	utf8proc_ssize_t length =
	    utf8proc_map((const utf8proc_uint8_t *)utf8, 0, &normal, TEXT_FOLD_OPTIONS);
	if (length < 0)
		return NULL;
	pthread_once(&text_t2s_once, text_t2s_build);

	int joined;
	size_t size = text_filter(normal, (size_t)length, NULL, &joined);
	folded = malloc(size + 1);
	if (!folded)
		goto done;
	text_filter(normal, (size_t)length, folded, &joined);
	folded[size] = '\0';
	if (joined) {
		/* The joined text is letters, marks and numbers already in NFKC pieces; normalising
		 * it again only composes and reorders, so it needs no second filtering. */
		utf8proc_uint8_t *renormal = NULL;
		utf8proc_ssize_t renormal_length =
		    utf8proc_map((const utf8proc_uint8_t *)folded, 0, &renormal, TEXT_FOLD_OPTIONS);
		free(folded);
		folded = renormal_length < 0 ? NULL : (char *)renormal;
	}
done:
	free(normal);
	return folded;
}

struct text_keys {
	char *full;     /* NULL: only measure */
	char *initials; /* NULL: only measure */
	size_t full_length;
	size_t initials_length;
};

static void text_keys_add(struct text_keys *keys, const char *letters, size_t count, int initial)
{
	if (keys->full)
		memcpy(keys->full + keys->full_length, letters, count);
	keys->full_length += count;
	if (initial) {
		if (keys->initials)
			keys->initials[keys->initials_length] = letters[0];
		keys->initials_length++;
	}
}

/* Walks normalised text and appends to (or measures) both keys. */
static void text_keys_scan(const utf8proc_uint8_t *text, size_t length, struct text_keys *keys)
{
	int in_word = 0;
	size_t at = 0;
	keys->full_length = 0;
	keys->initials_length = 0;
	while (at < length) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t n =
		    utf8proc_iterate(text + at, (utf8proc_ssize_t)(length - at), &cp);
		if (n <= 0)
			break; /* cannot happen: utf8proc wrote valid UTF-8 */
		at += (size_t)n;
		const char *reading = pinyin_reading((unsigned)cp);
		if (reading) {
			text_keys_add(keys, reading, strlen(reading), 1);
			in_word = 0;
		} else if ((cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9')) {
			char letter = (char)cp;
			text_keys_add(keys, &letter, 1, !in_word);
			in_word = 1;
		} else {
			in_word = 0;
		}
	}
}

int text_pinyin(const char *utf8, char **full, char **initials)
{
	utf8proc_uint8_t *normal = NULL;
	struct text_keys keys = {0};
	int rc = -1;
	if (!full || !initials)
		return -1;
	*full = NULL;
	*initials = NULL;
	if (!utf8 || !text_valid_utf8(utf8, strlen(utf8)))
		return -1;
	utf8proc_ssize_t length =
	    utf8proc_map((const utf8proc_uint8_t *)utf8, 0, &normal, TEXT_PINYIN_OPTIONS);
	if (length < 0)
		return -1;

	text_keys_scan(normal, (size_t)length, &keys);
	keys.full = malloc(keys.full_length + 1);
	keys.initials = malloc(keys.initials_length + 1);
	if (!keys.full || !keys.initials)
		goto done;
	text_keys_scan(normal, (size_t)length, &keys);
	keys.full[keys.full_length] = '\0';
	keys.initials[keys.initials_length] = '\0';
	*full = keys.full;
	*initials = keys.initials;
	keys.full = NULL;
	keys.initials = NULL;
	rc = 0;
done:
	free(keys.full);
	free(keys.initials);
	free(normal);
	return rc;
}

int text_valid_utf8(const char *s, size_t len)
{
	if (!s)
		return 0;
	const unsigned char *p = (const unsigned char *)s;
	const unsigned char *end = p + len;
	while (p < end) {
		unsigned lead = *p;
		if (lead != 0 && lead < 0x80) {
			p++;
			continue;
		}
		/* Table 3-7 of the Unicode standard: the second byte's range depends on the lead
		 * byte, which rules out overlong forms, surrogates and code points past U+10FFFF.
		 */
		size_t continuation;
		unsigned second_min = 0x80;
		unsigned second_max = 0xBF;
		if (lead >= 0xC2 && lead <= 0xDF) {
			continuation = 1;
		} else if (lead >= 0xE0 && lead <= 0xEF) {
			continuation = 2;
			if (lead == 0xE0)
				second_min = 0xA0;
			else if (lead == 0xED)
				second_max = 0x9F;
		} else if (lead >= 0xF0 && lead <= 0xF4) {
			continuation = 3;
			if (lead == 0xF0)
				second_min = 0x90;
			else if (lead == 0xF4)
				second_max = 0x8F;
		} else {
			return 0; /* NUL, a continuation byte, C0, C1 or F5..FF */
		}
		if ((size_t)(end - p) <= continuation)
			return 0;
		if (p[1] < second_min || p[1] > second_max)
			return 0;
		for (size_t i = 2; i <= continuation; i++) {
			if ((p[i] & 0xC0) != 0x80)
				return 0;
		}
		p += continuation + 1;
	}
	return 1;
}
