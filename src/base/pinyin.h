/* pinyin.h — Mandarin readings of CJK ideographs, from Unihan's kMandarin field.
 * The definition is generated at build time by scripts/gen-pinyin into build/gen/pinyin_table.c
 * (read-only tables, so thread-safe). base/text builds pinyin search keys on top of it. */
#ifndef GX_PINYIN_H
#define GX_PINYIN_H

/* Longest reading in letters ("zhuang", "shuang"); the generator refuses data that exceeds it. */
#define PINYIN_READING_MAX 6

/* The first kMandarin reading of ideograph cp, lower case ASCII without tone marks and with ü
 * written "v" (吕 -> "lv"), or NULL when Unihan has none. Only the exact code point is looked
 * up: compatibility ideographs (U+F900..U+FAFF) mostly have no reading of their own, so
 * normalise (NFKC) first, as text_pinyin does. */
const char *pinyin_reading(unsigned cp);

#endif
