/* text.h — UTF-8 text made comparable: folding for search (width, case, traditional ->
 * simplified Chinese, punctuation dropped) and pinyin keys for Chinese names, the way phone
 * contact lists find 张伟 by "zhangwei" or "zw".
 * All functions are thread-safe and never print anything. The first text_fold call builds the
 * traditional -> simplified table from OpenCC once (~30 ms); without OpenCC's data, folding
 * leaves traditional characters as they are. */
#ifndef GX_TEXT_H
#define GX_TEXT_H

#include <stddef.h>

/* Folding for search and comparison: NFKC (full-width -> half-width), Unicode case folding,
 * traditional Chinese -> simplified (character by character, OpenCC "t2s"), and only letters
 * (L*), marks (M*) and numbers (N*) kept: whitespace, punctuation and symbols dropped.
 * text_fold("ＪＡＮＥ Doe") == "janedoe", text_fold("客戶有限公司") == "客户有限公司",
 * text_fold("+86 138-0013 8000") == "8613800138000", text_fold("jane.doe@x.com") == "janedoexcom".
 * Returns a malloc'd NUL-terminated UTF-8 string the caller frees with free(), or NULL when utf8
 * is NULL or not valid UTF-8 (see text_valid_utf8), or on out-of-memory. */
char *text_fold(const char *utf8);

/* Pinyin keys as Chinese phone contact lists use them: every CJK ideograph replaced by its most
 * common Mandarin reading (first kMandarin value in Unihan, base/pinyin.h) without tone marks,
 * ü written "v"; Latin letters (accents stripped) and digits kept, folded to lower case ASCII;
 * everything else dropped. Traditional characters have readings of their own in Unihan
 * (張偉 -> zhangwei), so this needs no OpenCC.
 * full: "张伟" -> "zhangwei", "Jane 张" -> "janezhang", "吕" -> "lv".
 * initials: the first letter of each CJK syllable and of each Latin word (a run of letters and
 * digits): "张伟" -> "zw", "欧阳娜娜" -> "oynn", "Jane Doe" -> "jd", "Jane 张" -> "jz".
 * Both keys contain only [a-z0-9]. Returns 0 and sets *full and *initials to malloc'd strings
 * the caller frees with free(); or -1 when utf8 is NULL or not valid UTF-8, or on out-of-memory,
 * and then *full and *initials are NULL. full and initials must not be NULL. */
int text_pinyin(const char *utf8, char **full, char **initials);

/* 1 when the len bytes at s are valid UTF-8 (no overlong forms, no surrogates, nothing above
 * U+10FFFF, no truncated sequence) and contain no NUL byte, else 0. NULL s gives 0. */
int text_valid_utf8(const char *s, size_t len);

#endif
