/* imports.h — customer data coming in: CSV (any delimiter, UTF-8/GB18030/Big5), XLSX and vCard
 * files into accounts, contacts, interactions or orders. A mapping step matches columns to
 * fields (Salesforce, HubSpot and common Chinese headers are recognised; mappings can be saved);
 * a dry run reports what a real run would do, row by row; a real run writes batches, each one
 * transaction, records its progress in a job row (resumable, cancellable between batches) and is
 * idempotent: a row already imported, or a record that already says the same, is skipped as a
 * duplicate. Readers live in src/base (csvread, xlsx, vcard, encoding); this file knows fields. */
#ifndef GX_CRM_IMPORTS_H
#define GX_CRM_IMPORTS_H

#include <jansson.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "crm/access.h"

#define IMPORT_BATCH 1000         /* rows per transaction unless told otherwise */
#define IMPORT_REJECTS_KEPT 10000 /* rejected rows kept with their reason (all are counted) */

/* Rows are the file's data rows, or its orders when rows are order lines (grouped by order). */
struct import_progress {
	int64_t rows_total, rows_done, created, updated, duplicates, rejected;
};

struct import_options {
	const char *kind;     /* accounts, contacts, interactions, orders; NULL: from the headers */
	const char *format;   /* csv, xlsx, vcard; NULL: from the file name or the bytes */
	const char *encoding; /* auto (NULL), utf-8, gbk, gb18030, big5 */
	const char *region;   /* default phone region; NULL: the configured one */
	const char *timezone; /* IANA zone of times written without an offset; NULL: configured */
	const char *mapping_name; /* a saved mapping to start from */
	const json_t *mapping;    /* {"column header": "field" or null} over everything else */
	const char *filename;     /* shown in the job; its extension hints the format */
	int dry_run;
	int restart;    /* never resume an unfinished run of the same file: a new job */
	int batch_rows; /* 0: IMPORT_BATCH */
	int threads;    /* workers that parse and normalise; 0: one per core */
	/* Called after every batch (and once at the start), on the caller's thread. */
	void (*progress)(void *arg, const struct import_progress *p);
	void *progress_arg;
	atomic_int *cancel; /* when set, stops after the batch being written */
};

/* Runs an import in the caller's thread (the CLI; the server's job thread). job_id 0 makes a
 * job row, or resumes the last unfinished real run of the same file and kind; otherwise the job
 * row job_id (queued by imports_submit) is run. Only the file's latest real run of that kind is
 * resumed, and none with opt->restart. *report: the job as imports_get shows it.
 * Failure of the file as a whole (unknown kind, unreadable workbook, wrong encoding, a mapping
 * without the required fields): GX_EVALIDATION, and no row is written. */
int imports_run(struct crm_ctx *ctx, const char *data, size_t len, const struct import_options *opt,
                int64_t job_id, json_t **report, struct gx_error *err);

/* The server side: stores the file in a queued job row and starts a thread with its own store
 * connection on db_path to run it. *job: the job (status "queued"). */
int imports_submit(struct crm_ctx *ctx, const char *db_path, const char *data, size_t len,
                   const struct import_options *opt, json_t **job, struct gx_error *err);
/* {"id","status","kind","format","encoding","region","timezone","dry_run","filename","mapping","rows_total",
 * "rows_done","progress","created","updated","duplicates","rejected","rejects":[{"line",
 * "field","message"}],"message","created_at","updated_at"}; jobs of others only for admins. */
int imports_get(struct crm_ctx *ctx, int64_t id, json_t **out, struct gx_error *err);
/* Asks a queued or running job to stop after its current batch. */
int imports_cancel(struct crm_ctx *ctx, int64_t id, json_t **out, struct gx_error *err);
/* Waits for the job threads this process started (the server, on its way out, after asking
 * them to stop: they stop between batches and can be resumed). */
void imports_shutdown(void);

/* The mapping a file would get, without importing: {"kind","format","encoding","headers":[..],
 * "mapping":{header: field|null},"fields":[the kind's importable fields]}. A mapping without a
 * field the kind needs (an order's date, say) is proposed all the same, for the user to
 * complete; imports_run and imports_submit refuse it (GX_EVALIDATION on "mapping"). */
int imports_propose(struct crm_ctx *ctx, const char *data, size_t len,
                    const struct import_options *opt, json_t **out, struct gx_error *err);

/* Saved mappings, readable by everyone: {"data":[{"id","name","kind","mapping","user_id" (who
 * saved it; null before authors were kept),"editable" (may this actor change it)}]}. Saving a
 * name again replaces it; only its author, a manager or an admin may replace or delete a
 * mapping (GX_EFORBIDDEN otherwise). */
int imports_mappings_list(struct crm_ctx *ctx, json_t **out, struct gx_error *err);
int imports_mapping_save(struct crm_ctx *ctx, const json_t *body, json_t **out,
                         struct gx_error *err);
int imports_mapping_delete(struct crm_ctx *ctx, int64_t id, struct gx_error *err);

#endif
