/* exports.h — records going out: any list or search (the filters and q of the list endpoints,
 * within what the actor may see) or a whole table, to CSV (UTF-8 with a BOM, so spreadsheet
 * programs read Chinese right), XLSX (dates as dates, money as numbers) or, for contacts,
 * vCard 4.0. The columns are the ones imports.c recognises, so an export imported into an
 * empty database gives the same records. */
#ifndef GX_CRM_EXPORTS_H
#define GX_CRM_EXPORTS_H

#include <stdint.h>

#include "crm/records.h"

enum export_format { EXPORT_CSV, EXPORT_XLSX, EXPORT_VCARD };

/* "csv", "xlsx", "vcf"/"vcard" -> format; -1 when unknown. */
int exports_format(const char *name);
/* The MIME type and file extension of a format. */
const char *exports_content_type(enum export_format format);
const char *exports_extension(enum export_format format);

/* Writes the records of kind matching lq (q, filters and sort; cursor and limit are ignored:
 * everything is written) to a new file at path. *rows: how many records. vCard is for contacts
 * only (GX_EVALIDATION otherwise). */
int exports_write(struct crm_ctx *ctx, const struct record_kind *kind, enum export_format format,
                  const struct list_query *lq, const char *path, int64_t *rows,
                  struct gx_error *err);

#endif
