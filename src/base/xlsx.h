/* xlsx.h — the first worksheet of an Office Open XML workbook (.xlsx) into a struct table:
 * libzip opens the package from memory, expat reads xl/sharedStrings.xml and the sheet. Cells
 * come out as text: shared and inline strings as written, numbers as stored ("45123",
 * "1299.5"; dates are serial day numbers, which the caller converts when it expects a date),
 * booleans as "TRUE"/"FALSE". Missing cells become "" so columns line up; each row keeps its
 * row number. No domain knowledge. */
#ifndef GX_XLSX_H
#define GX_XLSX_H

#include <stddef.h>

#include "base/table.h"

/* 1 when data starts like a zip archive (what an .xlsx is). */
int xlsx_sniff(const char *data, size_t len);

/* Returns 0, or -1 with message filled (not a workbook, no worksheet, broken XML, out of
 * memory). */
int xlsx_read(const char *data, size_t len, struct table *t, char *message, size_t message_size);

#endif
