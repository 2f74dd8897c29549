/* test_phone.c — base/phone: every way people write a number reaches the same E.164 string;
 * garbage, local-only numbers and small buffers are refused; display formatting; the library
 * stays silent and gives the same answers from several threads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/error.h"
#include "base/phone.h"
#include "base/phone_internal.h"

static void assert_e164(const char *typed, const char *region, const char *want)
{
	char out[PHONE_E164_MAX];
	assert_int_equal(phone_to_e164(typed, region, out, sizeof out), 0);
	assert_string_equal(out, want);
}

static void assert_refused(const char *typed, const char *region)
{
	char out[PHONE_E164_MAX] = "stale";
	assert_int_equal(phone_to_e164(typed, region, out, sizeof out), GX_EVALIDATION);
	assert_string_equal(out, "");
}

static void assert_national(const char *e164, const char *want)
{
	char out[PHONE_NATIONAL_MAX];
	assert_int_equal(phone_format_national(e164, out, sizeof out), 0);
	assert_string_equal(out, want);
}

static void test_e164_from_plain_mobile(void **state)
{
	(void)state;
	assert_e164("13800138000", "CN", "+8613800138000");
}

static void test_e164_from_spaced_mobile(void **state)
{
	(void)state;
	assert_e164("138 0013 8000", "CN", "+8613800138000");
}

static void test_e164_from_plus86_with_dashes(void **state)
{
	(void)state;
	assert_e164("+86 138-0013-8000", "CN", "+8613800138000");
}

static void test_e164_from_0086_international_prefix(void **state)
{
	(void)state;
	assert_e164("0086 13800138000", "CN", "+8613800138000");
}

static void test_e164_from_parenthesised_plus86_with_dots(void **state)
{
	(void)state;
	assert_e164("(+86) 138.0013.8000", "CN", "+8613800138000");
}

static void test_e164_from_fullwidth_digits(void **state)
{
	(void)state;
	assert_e164("１３８００１３８０００", "CN", "+8613800138000");
}

static void test_e164_from_fullwidth_plus_and_ideographic_spaces(void **state)
{
	(void)state;
	assert_e164("＋８６　１３８　００１３　８０００", "CN", "+8613800138000");
}

static void test_e164_strips_trunk_zero_after_dash(void **state)
{
	(void)state;
	assert_e164("010-6552 9988", "CN", "+861065529988");
}

static void test_e164_strips_trunk_zero_in_parentheses(void **state)
{
	(void)state;
	assert_e164("(010) 65529988", "CN", "+861065529988");
}

static void test_e164_from_86_prefixed_mobile_without_plus(void **state)
{
	(void)state;
	assert_e164("8613800138000", "CN", "+8613800138000");
}

static void test_e164_from_hong_kong_number(void **state)
{
	(void)state;
	assert_e164("+852 2123 4567", "CN", "+85221234567");
}

static void test_e164_from_taiwan_number_with_region_tw(void **state)
{
	(void)state;
	assert_e164("02 2345 6789", "TW", "+886223456789");
}

static void test_e164_from_us_number(void **state)
{
	(void)state;
	assert_e164("+1 (650) 253-0000", "CN", "+16502530000");
}

static void test_e164_drops_extension(void **state)
{
	(void)state;
	assert_e164("+86 10 6552 9988 ext. 123", "CN", "+861065529988");
}

static void test_e164_drops_chinese_extension_marker(void **state)
{
	(void)state;
	assert_e164("010-65529988转123", "CN", "+861065529988");
	assert_e164("010-6552 9988 分机 123", "CN", "+861065529988");
}

static void test_e164_of_e164_is_itself(void **state)
{
	(void)state;
	assert_e164("+861065529988", "TW", "+861065529988");
}

static void test_e164_accepts_lowercase_region(void **state)
{
	(void)state;
	assert_e164("13800138000", "cn", "+8613800138000");
}

static void test_e164_without_region_needs_country_code(void **state)
{
	(void)state;
	assert_refused("13800138000", NULL);
	assert_refused("13800138000", "");
	assert_e164("+86 138 0013 8000", NULL, "+8613800138000");
}

static void test_e164_rejects_malformed_region(void **state)
{
	(void)state;
	assert_refused("13800138000", "CHN");
	assert_refused("13800138000", "C");
	assert_refused("13800138000", "C1");
}

static void test_e164_rejects_word(void **state)
{
	(void)state;
	assert_refused("hello", "CN");
}

static void test_e164_rejects_empty_text(void **state)
{
	(void)state;
	assert_refused("", "CN");
}

static void test_e164_rejects_plus_signs_only(void **state)
{
	(void)state;
	assert_refused("++", "CN");
}

static void test_e164_rejects_300_characters(void **state)
{
	(void)state;
	char typed[301];
	memset(typed, '1', sizeof typed - 1);
	typed[sizeof typed - 1] = '\0';
	assert_refused(typed, "CN");
}

static void test_e164_rejects_null_text(void **state)
{
	(void)state;
	assert_refused(NULL, "CN");
}

/* "12345" is possible in CN only as a local number without its area code. */
static void test_e164_rejects_local_only_number(void **state)
{
	(void)state;
	assert_refused("12345", "CN");
}

/* 16 digits, one more than E.164 allows, but valid for libphonenumber's German metadata. */
static void test_e164_keeps_long_german_number(void **state)
{
	(void)state;
	assert_e164("+49 2090 2003452993", NULL, "+4920902003452993");
	assert_int_equal(phone_is_valid("+49 2090 2003452993", NULL), 1);
}

/* In TW this keeps its trunk '0' as +88603456389, which reads back as +8863456389: a stored
 * number that does not normalise to itself would never match again. */
static void test_e164_rejects_number_that_reads_back_differently(void **state)
{
	(void)state;
	assert_refused("00345 6389", "TW");
}

static void test_e164_rejects_too_small_buffer(void **state)
{
	(void)state;
	char out[15] = "stale"; /* "+8613800138000" needs 15 bytes with its NUL */
	assert_int_equal(phone_to_e164("13800138000", "CN", out, 14), GX_EVALIDATION);
	assert_string_equal(out, "");
	assert_int_equal(phone_to_e164("13800138000", "CN", NULL, 0), GX_EVALIDATION);
}

static void test_e164_fits_exact_buffer(void **state)
{
	(void)state;
	char out[15];
	assert_int_equal(phone_to_e164("13800138000", "CN", out, sizeof out), 0);
	assert_string_equal(out, "+8613800138000");
}

static void test_is_valid_true_for_mobile(void **state)
{
	(void)state;
	assert_int_equal(phone_is_valid("138 0013 8000", "CN"), 1);
}

static void test_is_valid_true_for_beijing_landline(void **state)
{
	(void)state;
	assert_int_equal(phone_is_valid("010-6552 9988", "CN"), 1);
}

static void test_is_valid_true_for_taiwan_number(void **state)
{
	(void)state;
	assert_int_equal(phone_is_valid("02 2345 6789", "TW"), 1);
}

/* Ten digits are a possible CN number (landline lengths vary), but no valid one. */
static void test_is_valid_false_for_mobile_missing_a_digit(void **state)
{
	(void)state;
	char out[PHONE_E164_MAX];
	assert_int_equal(phone_to_e164("138 0013 800", "CN", out, sizeof out), 0);
	assert_int_equal(phone_is_valid("138 0013 800", "CN"), 0);
}

static void test_is_valid_false_for_garbage(void **state)
{
	(void)state;
	assert_int_equal(phone_is_valid("hello", "CN"), 0);
	assert_int_equal(phone_is_valid("", "CN"), 0);
	assert_int_equal(phone_is_valid(NULL, "CN"), 0);
}

static void test_national_format_of_mobile(void **state)
{
	(void)state;
	assert_national("+8613800138000", "138 0013 8000");
}

static void test_national_format_of_beijing_landline(void **state)
{
	(void)state;
	assert_national("+861065529988", "010 6552 9988");
}

static void test_national_format_of_us_number(void **state)
{
	(void)state;
	assert_national("+16502530000", "(650) 253-0000");
}

static void test_national_format_rejects_non_e164(void **state)
{
	(void)state;
	const char *bad[] = {"13800138000", "+86 138 0013 8000", "+", "+123456789012345678901", "",
	                     NULL};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char out[PHONE_NATIONAL_MAX] = "stale";
		assert_int_equal(phone_format_national(bad[i], out, sizeof out), GX_EVALIDATION);
		assert_string_equal(out, "");
	}
}

static void test_national_format_rejects_too_small_buffer(void **state)
{
	(void)state;
	char out[13] = "stale"; /* "138 0013 8000" needs 14 bytes */
	assert_int_equal(phone_format_national("+8613800138000", out, sizeof out), GX_EVALIDATION);
	assert_string_equal(out, "");
}

/* libphonenumber logs parse errors in some builds; nothing may reach stdout or stderr. */
static void test_refused_input_prints_nothing(void **state)
{
	(void)state;
	FILE *capture = tmpfile();
	assert_non_null(capture);
	fflush(stdout);
	fflush(stderr);
	int saved_out = dup(STDOUT_FILENO);
	int saved_err = dup(STDERR_FILENO);
	assert_true(saved_out >= 0 && saved_err >= 0);
	assert_true(dup2(fileno(capture), STDOUT_FILENO) >= 0);
	assert_true(dup2(fileno(capture), STDERR_FILENO) >= 0);

	const char *bad[] = {"hello", "", "++", "+999 12345678", "99999999999999999999", "1"};
	char out[PHONE_E164_MAX];
	int refused = 0;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		refused += phone_to_e164(bad[i], "CN", out, sizeof out) == GX_EVALIDATION;
		refused += phone_is_valid(bad[i], "CN") == 0;
	}
	fflush(stdout);
	fflush(stderr);
	long printed = lseek(fileno(capture), 0, SEEK_END);

	assert_true(dup2(saved_out, STDOUT_FILENO) >= 0);
	assert_true(dup2(saved_err, STDERR_FILENO) >= 0);
	close(saved_out);
	close(saved_err);
	fclose(capture);
	assert_int_equal(refused, 12);
	assert_int_equal(printed, 0);
}

struct phone_case {
	const char *typed;
	const char *region;
	const char *e164;
};

static const struct phone_case phone_cases[] = {
    {"138 0013 8000", "CN", "+8613800138000"},
    {"010-6552 9988", "CN", "+861065529988"},
    {"02 2345 6789", "TW", "+886223456789"},
    {"+1 (650) 253-0000", "US", "+16502530000"},
    {"hello", "CN", ""},
};

/* Returns the number of wrong answers. */
static void *phone_worker(void *unused)
{
	(void)unused;
	uintptr_t wrong = 0;
	for (int round = 0; round < 500; round++) {
		for (size_t i = 0; i < sizeof phone_cases / sizeof phone_cases[0]; i++) {
			const struct phone_case *c = &phone_cases[i];
			char out[PHONE_E164_MAX];
			int rc = phone_to_e164(c->typed, c->region, out, sizeof out);
			wrong += (rc == 0) != (c->e164[0] != '\0') || strcmp(out, c->e164) != 0;
		}
	}
	return (void *)wrong;
}

static void test_concurrent_calls_agree(void **state)
{
	(void)state;
	pthread_t threads[8];
	for (size_t i = 0; i < 8; i++)
		assert_int_equal(pthread_create(&threads[i], NULL, phone_worker, NULL), 0);
	uintptr_t wrong = 0;
	for (size_t i = 0; i < 8; i++) {
		void *result;
		assert_int_equal(pthread_join(threads[i], &result), 0);
		wrong += (uintptr_t)result;
	}
	assert_int_equal(wrong, 0);
}

/* The fast path (phone_fast.c) against libphonenumber, the reference: where the fast path
 * answers, the library gives the same E.164; phone_to_e164 agrees with the library always. */
static void assert_fast(const char *typed, const char *region, int taken)
{
	char fast[PHONE_E164_MAX] = "", slow[PHONE_E164_MAX] = "", both[PHONE_E164_MAX] = "";
	int rc_slow = phone_to_e164_reference(typed, region, slow, sizeof slow);
	int rc_both = phone_to_e164(typed, region, both, sizeof both);
	int took = phone_fast_e164(typed, region, fast);
	if (took != taken || (took && (rc_slow != 0 || strcmp(fast, slow) != 0)) ||
	    rc_both != rc_slow || strcmp(both, slow) != 0)
		fail_msg("\"%s\" (%s): fast %d \"%s\", library %d \"%s\", phone_to_e164 %d \"%s\"",
		         typed, region ? region : "-", took, fast, rc_slow, slow, rc_both, both);
}

static void fullwidth(const char *ascii, char *out, size_t size)
{
	size_t n = 0;
	for (const char *p = ascii; *p && n + 4 < size; p++) {
		if (*p >= '0' && *p <= '9') {
			out[n++] = (char)0xEF;
			out[n++] = (char)0xBC;
			out[n++] = (char)(0x90 + (*p - '0'));
		} else {
			out[n++] = *p;
		}
	}
	out[n] = '\0';
}

static void test_fast_path_agrees_with_library(void **state)
{
	(void)state;
	uint64_t seed = 88172645463325252u;
	for (int prefix = 130; prefix <= 199; prefix++) {
		for (int k = 0; k < 12; k++) {
			seed ^= seed << 13;
			seed ^= seed >> 7;
			seed ^= seed << 17;
			unsigned tail = (unsigned)(seed % 100000000u);
			if (k == 0)
				tail = 0;
			else if (k == 1)
				tail = 99999999;
			char d[24], text[96], wide[200]; /* 11 digits; room for any int */
			snprintf(d, sizeof d, "%03d%08u", prefix, tail);
			const char *const shapes[] = {
			    "%s",     "%.3s %.4s %.4s",      "%.3s-%.4s-%.4s",
			    "+86%s",  "+86 %.3s %.4s %.4s",  "+86-%.3s-%.4s-%.4s",
			    "0086%s", "0086 %.3s %.4s %.4s", "(%.3s) %.4s.%.4s",
			    " %s ",   "+86 (%.3s) %.4s-%.4s"};
			for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
				snprintf(text, sizeof text, shapes[s], d, d + 3, d + 7);
#pragma GCC diagnostic pop
				assert_fast(text, "CN", 1);
				assert_fast(text, "cn", 1);
				fullwidth(text, wide, sizeof wide);
				assert_fast(wide, "CN", 1);
				/* Other regions: only the "+86" forms are certain. */
				int plus = text[0] == '+';
				assert_fast(text, "HK", plus);
				assert_fast(text, "US", plus);
				assert_fast(text, NULL, plus);
			}
			/* Not taken: 12 and 10 digits, "86" without '+', two '+'. */
			snprintf(text, sizeof text, "%s1", d);
			assert_fast(text, "CN", 0);
			snprintf(text, sizeof text, "%.10s", d);
			assert_fast(text, "CN", 0);
			snprintf(text, sizeof text, "86%s", d);
			assert_fast(text, "CN", 0);
			snprintf(text, sizeof text, "+86%s1", d);
			assert_fast(text, "CN", 0);
			snprintf(text, sizeof text, "++86%s", d);
			assert_fast(text, "CN", 0);
			snprintf(text, sizeof text, "+ 86%s", d);
			assert_fast(text, "CN", 0);
			snprintf(text, sizeof text, "%s ext. 12", d);
			assert_fast(text, "CN", 0);
			snprintf(text, sizeof text, "%s#12", d);
			assert_fast(text, "CN", 0);
		}
	}
	/* 10x-12x prefixes, landlines, other countries, +86 landlines: the library's. */
	const char *const others[] = {"12012345678",
	                              "11012345678",
	                              "10012345678",
	                              "+8612012345678",
	                              "01065529988",
	                              "010-6552 9988",
	                              "+861065529988",
	                              "+85291234567",
	                              "+14155552671",
	                              "+886912345678",
	                              "0085291234567",
	                              "1234567",
	                              "",
	                              "+",
	                              "13８00138000x"};
	for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
		assert_fast(others[i], "CN", 0);
		assert_fast(others[i], "HK", 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    /* First, so the library's first use happens in a silent, single-threaded test. */
	    cmocka_unit_test(test_refused_input_prints_nothing),
	    cmocka_unit_test(test_e164_from_plain_mobile),
	    cmocka_unit_test(test_e164_from_spaced_mobile),
	    cmocka_unit_test(test_e164_from_plus86_with_dashes),
	    cmocka_unit_test(test_e164_from_0086_international_prefix),
	    cmocka_unit_test(test_e164_from_parenthesised_plus86_with_dots),
	    cmocka_unit_test(test_e164_from_fullwidth_digits),
	    cmocka_unit_test(test_e164_from_fullwidth_plus_and_ideographic_spaces),
	    cmocka_unit_test(test_e164_strips_trunk_zero_after_dash),
	    cmocka_unit_test(test_e164_strips_trunk_zero_in_parentheses),
	    cmocka_unit_test(test_e164_from_86_prefixed_mobile_without_plus),
	    cmocka_unit_test(test_e164_from_hong_kong_number),
	    cmocka_unit_test(test_e164_from_taiwan_number_with_region_tw),
	    cmocka_unit_test(test_e164_from_us_number),
	    cmocka_unit_test(test_e164_drops_extension),
	    cmocka_unit_test(test_e164_drops_chinese_extension_marker),
	    cmocka_unit_test(test_e164_of_e164_is_itself),
	    cmocka_unit_test(test_e164_accepts_lowercase_region),
	    cmocka_unit_test(test_e164_without_region_needs_country_code),
	    cmocka_unit_test(test_e164_rejects_malformed_region),
	    cmocka_unit_test(test_e164_rejects_word),
	    cmocka_unit_test(test_e164_rejects_empty_text),
	    cmocka_unit_test(test_e164_rejects_plus_signs_only),
	    cmocka_unit_test(test_e164_rejects_300_characters),
	    cmocka_unit_test(test_e164_rejects_null_text),
	    cmocka_unit_test(test_e164_rejects_local_only_number),
	    cmocka_unit_test(test_e164_keeps_long_german_number),
	    cmocka_unit_test(test_e164_rejects_number_that_reads_back_differently),
	    cmocka_unit_test(test_e164_rejects_too_small_buffer),
	    cmocka_unit_test(test_e164_fits_exact_buffer),
	    cmocka_unit_test(test_is_valid_true_for_mobile),
	    cmocka_unit_test(test_is_valid_true_for_beijing_landline),
	    cmocka_unit_test(test_is_valid_true_for_taiwan_number),
	    cmocka_unit_test(test_is_valid_false_for_mobile_missing_a_digit),
	    cmocka_unit_test(test_is_valid_false_for_garbage),
	    cmocka_unit_test(test_national_format_of_mobile),
	    cmocka_unit_test(test_national_format_of_beijing_landline),
	    cmocka_unit_test(test_national_format_of_us_number),
	    cmocka_unit_test(test_national_format_rejects_non_e164),
	    cmocka_unit_test(test_national_format_rejects_too_small_buffer),
	    cmocka_unit_test(test_concurrent_calls_agree),
	    cmocka_unit_test(test_fast_path_agrees_with_library),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
