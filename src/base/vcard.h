/* vcard.h — vCard 2.1, 3.0 and 4.0 (RFC 2425/2426/6350 and the 2.1 spec phones still write):
 * unfolding, QUOTED-PRINTABLE with its soft line breaks, CHARSET= (any encoding iconv knows),
 * 2.1's bare type parameters (TEL;CELL;PREF) and 3.0/4.0's TYPE=a,b, groups (item1.TEL).
 * Every property comes out as UTF-8 with its value still escaped (see vcard_split); binary
 * values (PHOTO, LOGO, SOUND, KEY) are skipped. No domain knowledge. */
#ifndef GX_VCARD_H
#define GX_VCARD_H

#include <stddef.h>

struct vcard_prop {
	char name[24];  /* upper case: "TEL", "N", "X-WECHAT" */
	char types[96]; /* lower case TYPE values, comma-separated: "cell,pref" */
	char *value;    /* UTF-8, still escaped (\, \; \n) */
};

struct vcard {
	long line; /* of BEGIN:VCARD */
	char version[8];
	struct vcard_prop *props;
	size_t nprops;
};

/* Calls on_card for every card in order; a non-zero return stops the parse and is returned.
 * fallback: the iconv name of the encoding for text that is not UTF-8 and names no CHARSET
 * (base/encoding.h), or NULL for GB18030. A card's values that still are not valid UTF-8 are
 * dropped. Returns 0, -1 out of memory, or on_card's value. *cards (may be NULL): how many. */
int vcard_parse(const char *data, size_t len, const char *fallback,
                int (*on_card)(void *arg, const struct vcard *card), void *arg, long *cards);

/* The first property called name, or NULL. */
const struct vcard_prop *vcard_get(const struct vcard *card, const char *name);

/* Splits an escaped structured value at unescaped `sep` (';' or ','), unescaping each part in
 * place (\n -> newline, \, \; \\ -> the character). Returns how many parts (at most max);
 * value is modified. */
int vcard_split(char *value, char sep, char **parts, int max);

#endif
