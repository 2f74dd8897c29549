/* test_text.c — base/text: folding for search (width, case, traditional -> simplified,
 * punctuation dropped), pinyin keys for 1-, 2-, 3- and 4-character Chinese names and mixed text,
 * UTF-8 validation at the edges (overlong forms, surrogates, truncation, NUL), and the same
 * answers from several threads racing the first use. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/pinyin.h"
#include "base/text.h"

static void assert_fold(const char *text, const char *want)
{
	char *folded = text_fold(text);
	assert_non_null(folded);
	assert_string_equal(folded, want);
	free(folded);
}

static void assert_pinyin(const char *text, const char *want_full, const char *want_initials)
{
	char *full = NULL;
	char *initials = NULL;
	assert_int_equal(text_pinyin(text, &full, &initials), 0);
	assert_non_null(full);
	assert_non_null(initials);
	assert_string_equal(full, want_full);
	assert_string_equal(initials, want_initials);
	free(full);
	free(initials);
}

static void assert_valid(const char *bytes, size_t len, int want)
{
	assert_int_equal(text_valid_utf8(bytes, len), want);
}

/* Runs first, so the threads race the one-time t2s table build. */
#define THREADS 8
#define ROUNDS 200

static void *concurrent_worker(void *arg)
{
	(void)arg;
	for (int i = 0; i < ROUNDS; i++) {
		char *folded = text_fold("客戶 ＪＡＮＥ");
		char *full = NULL;
		char *initials = NULL;
		int rc = text_pinyin("張偉", &full, &initials);
		int ok = folded && strcmp(folded, "客户jane") == 0 && rc == 0 &&
		         strcmp(full, "zhangwei") == 0 && strcmp(initials, "zw") == 0;
		free(folded);
		free(full);
		free(initials);
		if (!ok)
			return (void *)1;
	}
	return NULL;
}

static void test_concurrent_first_use_agrees(void **state)
{
	(void)state;
	pthread_t threads[THREADS];
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&threads[i], NULL, concurrent_worker, NULL), 0);
	for (int i = 0; i < THREADS; i++) {
		void *result = (void *)1;
		assert_int_equal(pthread_join(threads[i], &result), 0);
		assert_null(result);
	}
}

static void test_fold_fullwidth_letters_to_ascii(void **state)
{
	(void)state;
	assert_fold("ＪＡＮＥ Doe", "janedoe");
}

static void test_fold_fullwidth_digits_to_ascii(void **state)
{
	(void)state;
	assert_fold("１３８００１３８０００", "13800138000");
}

static void test_fold_compatibility_forms(void **state)
{
	(void)state;
	assert_fold("ﬁle Ⅻ ㈱", "filexii株");
}

static void test_fold_lower_cases_ascii(void **state)
{
	(void)state;
	assert_fold("JaNe DOE", "janedoe");
}

static void test_fold_case_folds_beyond_ascii(void **state)
{
	(void)state;
	assert_fold("Straße", "strasse");
	assert_fold("ÉCOLE", "école");
	assert_fold("ΣΊΣΥΦΟΣ", "σίσυφοσ");
}

static void test_fold_traditional_company_to_simplified(void **state)
{
	(void)state;
	assert_fold("客戶有限公司", "客户有限公司");
}

static void test_fold_traditional_name_to_simplified(void **state)
{
	(void)state;
	assert_fold("張偉", "张伟");
}

static void test_fold_keeps_simplified_unchanged(void **state)
{
	(void)state;
	assert_fold("客户有限公司", "客户有限公司");
}

static void test_fold_traditional_outside_bmp_target(void **state)
{
	(void)state;
	/* OpenCC simplifies some Extension A characters to Extension B ones. */
	assert_fold("㑮", "𫝈");
}

static void test_fold_follows_t2s_chain_to_the_end(void **state)
{
	(void)state;
	/* OpenCC maps 薴 -> 苧 and 苧 -> 苎; one fold must reach 苎. */
	assert_fold("薴", "苎");
	assert_fold("苧", "苎");
}

static void test_fold_drops_phone_punctuation(void **state)
{
	(void)state;
	assert_fold("+86 138-0013 8000", "8613800138000");
}

static void test_fold_drops_email_punctuation(void **state)
{
	(void)state;
	assert_fold("jane.doe@x.com", "janedoexcom");
}

static void test_fold_drops_whitespace_of_every_kind(void **state)
{
	(void)state;
	assert_fold(" a\tb\nc\r\u3000d\u00a0e\u2003f ", "abcdef");
}

static void test_fold_drops_cjk_punctuation_and_symbols(void **state)
{
	(void)state;
	assert_fold("张伟，你好！《客户》😀€", "张伟你好客户");
}

static void test_fold_keeps_marks_and_numbers(void **state)
{
	(void)state;
	/* A combining mark with no precomposed form survives; superscript two becomes 2. */
	assert_fold("q\u0301 x²", "q\u0301x2");
}

static void test_fold_recomposes_across_dropped_punctuation(void **state)
{
	(void)state;
	/* Dropping "." brings e and U+0301 together: the result is é (U+00E9), as folding é is. */
	assert_fold("e.\u0301", "\u00e9");
}

static void test_fold_rejects_invalid_utf8(void **state)
{
	(void)state;
	assert_null(text_fold("abc\xff"));
	assert_null(text_fold("\xc0\xaf"));
	assert_null(text_fold("\xed\xa0\x80"));
	assert_null(text_fold("\xe5\xbc"));
}

static void test_fold_rejects_null(void **state)
{
	(void)state;
	assert_null(text_fold(NULL));
}

static void test_fold_empty_string(void **state)
{
	(void)state;
	assert_fold("", "");
}

static void test_fold_only_punctuation_gives_empty(void **state)
{
	(void)state;
	assert_fold(" -- ,. ！", "");
}

static void test_pinyin_one_character_name(void **state)
{
	(void)state;
	assert_pinyin("周", "zhou", "z");
}

static void test_pinyin_two_character_name(void **state)
{
	(void)state;
	assert_pinyin("张伟", "zhangwei", "zw");
}

static void test_pinyin_three_character_name(void **state)
{
	(void)state;
	assert_pinyin("王小明", "wangxiaoming", "wxm");
}

static void test_pinyin_compound_surname(void **state)
{
	(void)state;
	assert_pinyin("欧阳娜娜", "ouyangnana", "oynn");
}

static void test_pinyin_traditional_characters(void **state)
{
	(void)state;
	assert_pinyin("張偉", "zhangwei", "zw");
}

static void test_pinyin_latin_words(void **state)
{
	(void)state;
	assert_pinyin("Jane Doe", "janedoe", "jd");
}

static void test_pinyin_mixed_latin_and_cjk(void **state)
{
	(void)state;
	assert_pinyin("Jane 张", "janezhang", "jz");
	assert_pinyin("张Jane", "zhangjane", "zj");
}

static void test_pinyin_u_umlaut_written_v(void **state)
{
	(void)state;
	assert_pinyin("吕", "lv", "l");
	assert_pinyin("女", "nv", "n");
}

static void test_pinyin_fullwidth_and_accented_latin(void **state)
{
	(void)state;
	assert_pinyin("ＪＯＳÉ Müller", "josemuller", "jm");
}

static void test_pinyin_digits_kept(void **state)
{
	(void)state;
	assert_pinyin("张3 ２号", "zhang32hao", "z32h");
}

static void test_pinyin_drops_punctuation_and_other_scripts(void **state)
{
	(void)state;
	assert_pinyin("张-伟！ Иван 😀", "zhangwei", "zw");
}

static void test_pinyin_rejects_invalid_utf8(void **state)
{
	(void)state;
	char *full = (char *)"stale";
	char *initials = (char *)"stale";
	assert_int_equal(text_pinyin("张\xe4\xbc", &full, &initials), -1);
	assert_null(full);
	assert_null(initials);
}

static void test_pinyin_rejects_null(void **state)
{
	(void)state;
	char *full = (char *)"stale";
	char *initials = (char *)"stale";
	assert_int_equal(text_pinyin(NULL, &full, &initials), -1);
	assert_null(full);
	assert_null(initials);
}

static void test_pinyin_empty_string(void **state)
{
	(void)state;
	assert_pinyin("", "", "");
}

static void test_pinyin_reading_lookup(void **state)
{
	(void)state;
	assert_string_equal(pinyin_reading(0x5F20), "zhang"); /* 张 */
	assert_string_equal(pinyin_reading(0x7565), "lve");   /* 略 lüè */
	assert_string_equal(pinyin_reading(0x20000), "he");   /* 𠀀, Extension B */
	assert_null(pinyin_reading('a'));
	assert_null(pinyin_reading(0x3002)); /* 。 */
	assert_null(pinyin_reading(0x10FFFF));
}

static void test_valid_utf8_accepts_every_length(void **state)
{
	(void)state;
	const char text[] = "a\u00e9\u5f20\U0001f600\U0010ffff\ufffd";
	assert_valid(text, sizeof text - 1, 1);
	assert_valid("", 0, 1);
}

static void test_valid_utf8_rejects_overlong_encodings(void **state)
{
	(void)state;
	assert_valid("\xc0\xaf", 2, 0);         /* '/' in 2 bytes */
	assert_valid("\xc1\xbf", 2, 0);         /* U+007F in 2 bytes */
	assert_valid("\xe0\x80\xaf", 3, 0);     /* '/' in 3 bytes */
	assert_valid("\xe0\x9f\xbf", 3, 0);     /* U+07FF in 3 bytes */
	assert_valid("\xf0\x80\x80\xaf", 4, 0); /* '/' in 4 bytes */
	assert_valid("\xf0\x8f\xbf\xbf", 4, 0); /* U+FFFF in 4 bytes */
	assert_valid("\xc0\x80", 2, 0);         /* modified UTF-8 NUL */
}

static void test_valid_utf8_rejects_surrogates(void **state)
{
	(void)state;
	assert_valid("\xed\xa0\x80", 3, 0);             /* U+D800 */
	assert_valid("\xed\xbf\xbf", 3, 0);             /* U+DFFF */
	assert_valid("\xed\xa0\xbd\xed\xb8\x80", 6, 0); /* CESU-8 pair */
	assert_valid("\xed\x9f\xbf", 3, 1);             /* U+D7FF, just below */
	assert_valid("\xee\x80\x80", 3, 1);             /* U+E000, just above */
}

static void test_valid_utf8_rejects_beyond_u10ffff(void **state)
{
	(void)state;
	assert_valid("\xf4\x90\x80\x80", 4, 0);
	assert_valid("\xf5\x80\x80\x80", 4, 0);
	assert_valid("\xff", 1, 0);
}

static void test_valid_utf8_rejects_truncated_sequences(void **state)
{
	(void)state;
	assert_valid("\xc3", 1, 0);
	assert_valid("\xe5\xbc", 2, 0);
	assert_valid("\xf0\x9f\x98", 3, 0);
	assert_valid("\xe5\xbc"
	             "a",
	             3, 0);
	assert_valid("张", 2, 0); /* the length cuts the character */
}

static void test_valid_utf8_rejects_stray_continuation_byte(void **state)
{
	(void)state;
	assert_valid("\x80", 1, 0);
	assert_valid("a\xbf"
	             "b",
	             3, 0);
}

static void test_valid_utf8_rejects_embedded_nul(void **state)
{
	(void)state;
	assert_valid("ab\0cd", 5, 0);
	assert_valid("\0", 1, 0);
}

static void test_valid_utf8_rejects_null_pointer(void **state)
{
	(void)state;
	assert_valid(NULL, 0, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_concurrent_first_use_agrees),
	    cmocka_unit_test(test_fold_fullwidth_letters_to_ascii),
	    cmocka_unit_test(test_fold_fullwidth_digits_to_ascii),
	    cmocka_unit_test(test_fold_compatibility_forms),
	    cmocka_unit_test(test_fold_lower_cases_ascii),
	    cmocka_unit_test(test_fold_case_folds_beyond_ascii),
	    cmocka_unit_test(test_fold_traditional_company_to_simplified),
	    cmocka_unit_test(test_fold_traditional_name_to_simplified),
	    cmocka_unit_test(test_fold_keeps_simplified_unchanged),
	    cmocka_unit_test(test_fold_traditional_outside_bmp_target),
	    cmocka_unit_test(test_fold_follows_t2s_chain_to_the_end),
	    cmocka_unit_test(test_fold_drops_phone_punctuation),
	    cmocka_unit_test(test_fold_drops_email_punctuation),
	    cmocka_unit_test(test_fold_drops_whitespace_of_every_kind),
	    cmocka_unit_test(test_fold_drops_cjk_punctuation_and_symbols),
	    cmocka_unit_test(test_fold_keeps_marks_and_numbers),
	    cmocka_unit_test(test_fold_recomposes_across_dropped_punctuation),
	    cmocka_unit_test(test_fold_rejects_invalid_utf8),
	    cmocka_unit_test(test_fold_rejects_null),
	    cmocka_unit_test(test_fold_empty_string),
	    cmocka_unit_test(test_fold_only_punctuation_gives_empty),
	    cmocka_unit_test(test_pinyin_one_character_name),
	    cmocka_unit_test(test_pinyin_two_character_name),
	    cmocka_unit_test(test_pinyin_three_character_name),
	    cmocka_unit_test(test_pinyin_compound_surname),
	    cmocka_unit_test(test_pinyin_traditional_characters),
	    cmocka_unit_test(test_pinyin_latin_words),
	    cmocka_unit_test(test_pinyin_mixed_latin_and_cjk),
	    cmocka_unit_test(test_pinyin_u_umlaut_written_v),
	    cmocka_unit_test(test_pinyin_fullwidth_and_accented_latin),
	    cmocka_unit_test(test_pinyin_digits_kept),
	    cmocka_unit_test(test_pinyin_drops_punctuation_and_other_scripts),
	    cmocka_unit_test(test_pinyin_rejects_invalid_utf8),
	    cmocka_unit_test(test_pinyin_rejects_null),
	    cmocka_unit_test(test_pinyin_empty_string),
	    cmocka_unit_test(test_pinyin_reading_lookup),
	    cmocka_unit_test(test_valid_utf8_accepts_every_length),
	    cmocka_unit_test(test_valid_utf8_rejects_overlong_encodings),
	    cmocka_unit_test(test_valid_utf8_rejects_surrogates),
	    cmocka_unit_test(test_valid_utf8_rejects_beyond_u10ffff),
	    cmocka_unit_test(test_valid_utf8_rejects_truncated_sequences),
	    cmocka_unit_test(test_valid_utf8_rejects_stray_continuation_byte),
	    cmocka_unit_test(test_valid_utf8_rejects_embedded_nul),
	    cmocka_unit_test(test_valid_utf8_rejects_null_pointer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
