/* encoding.h — text files as they arrive (UTF-8 with or without BOM, UTF-16 with BOM,
 * GB18030/GBK, Big5) turned into UTF-8. Detection: a BOM wins; valid UTF-8 is UTF-8; otherwise
 * the legacy encodings are tried with glibc's iconv, and when more than one decodes the bytes
 * cleanly, uchardet and then a count of common Han characters choose. No domain knowledge. */
#ifndef GX_ENCODING_H
#define GX_ENCODING_H

#include <stddef.h>

/* Canonical names as this module reports them. */
#define ENCODING_UTF8 "utf-8"
#define ENCODING_GB18030 "gb18030"
#define ENCODING_BIG5 "big5"
#define ENCODING_UTF16LE "utf-16le"
#define ENCODING_UTF16BE "utf-16be"

/* The encoding of the bytes (one of the names above). Never fails: undecidable input is
 * reported as gb18030, which maps every byte sequence somewhere. */
const char *encoding_detect(const char *data, size_t len);

/* "auto", "utf-8"/"utf8", "gbk", "gb2312", "gb18030", "big5", "big5-hkscs", "utf-16le/be"
 * (any case) to the iconv name to decode with; NULL when unknown. gbk and gb2312 decode as
 * gb18030, their superset. */
const char *encoding_name(const char *name);

/* Converts len bytes in `encoding` (an encoding_name() result, or NULL to detect) to UTF-8,
 * dropping a BOM. Returns 0 and *out (malloc'd, NUL-terminated; *out_len without the NUL) and
 * *used (the encoding decoded); -1 when the bytes are not valid in that encoding, with *bad_at
 * the byte offset of the first bad sequence; -2 out of memory or an unknown encoding. */
int encoding_to_utf8(const char *data, size_t len, const char *encoding, char **out,
                     size_t *out_len, const char **used, size_t *bad_at);

#endif
