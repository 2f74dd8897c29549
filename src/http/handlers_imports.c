/* handlers_imports.c — file imports as background jobs (POST /imports, GET /imports/{id},
 * cancel), the mapping preview, saved mappings, and exports streamed from a temporary file. */
#include <fcntl.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crm/exports.h"
#include "crm/imports.h"
#include "crm/records.h"
#include "http/routes.h"

static const char *find(const char *hay, size_t len, const char *needle, size_t n)
{
	for (size_t i = 0; n && i + n <= len; i++)
		if (hay[i] == needle[0] && memcmp(hay + i, needle, n) == 0)
			return hay + i;
	return NULL;
}

/* The file of a multipart/form-data body: the first part with a filename (or the first part).
 * Works on the bytes as received; *data points into body. */
static int multipart_file(const char *content_type, const char *body, size_t len, const char **data,
                          size_t *data_len, char *filename, size_t fsize)
{
	const char *b = strstr(content_type, "boundary=");
	if (!b)
		return -1;
	char boundary[200];
	b += 9;
	size_t blen = strcspn(b, ";");
	if (*b == '"') {
		b++;
		blen = strcspn(b, "\"");
	}
	if (blen == 0 || blen + 4 >= sizeof boundary)
		return -1;
	snprintf(boundary, sizeof boundary, "--%.*s", (int)blen, b);
	blen += 2;
	const char *end = body + len;
	const char *p = find(body, len, boundary, blen);
	while (p) {
		p += blen;
		if (end - p >= 2 && p[0] == '-' && p[1] == '-')
			return -1;
		const char *head_end = find(p, (size_t)(end - p), "\r\n\r\n", 4);
		if (!head_end)
			return -1;
		const char *content = head_end + 4;
		const char *next = find(content, (size_t)(end - content), boundary, blen);
		if (!next)
			return -1;
		const char *fn = find(p, (size_t)(head_end - p), "filename=\"", 10);
		if (fn) {
			fn += 10;
			const char *q = memchr(fn, '"', (size_t)(head_end - fn));
			if (q)
				snprintf(filename, fsize, "%.*s", (int)(q - fn), fn);
		}
		*data = content;
		*data_len = (size_t)(next - content) >= 2 ? (size_t)(next - content) - 2 : 0;
		if (fn)
			return 0;
		p = next;
	}
	return *data ? 0 : -1;
}

static int options_from_query(const struct request *req, struct import_options *opt,
                              struct gx_error *err)
{
	opt->kind = request_query(req, "type");
	opt->encoding = request_query(req, "encoding");
	opt->region = request_query(req, "region");
	opt->timezone = request_query(req, "timezone");
	opt->mapping_name = request_query(req, "mapping");
	opt->format = request_query(req, "format");
	opt->filename = request_query(req, "filename");
	const char *dry = request_query(req, "dry_run");
	opt->dry_run = dry && (strcmp(dry, "1") == 0 || strcmp(dry, "true") == 0);
	if (dry && !opt->dry_run && strcmp(dry, "0") != 0 && strcmp(dry, "false") != 0)
		return gx_fail(err, GX_EBADREQUEST, "dry_run", "dry_run must be true or false");
	return 0;
}

/* The uploaded file: the raw body, or the file part of a multipart form. */
static int upload(const struct request *req, const char **data, size_t *len, char *filename,
                  size_t fsize, struct gx_error *err)
{
	const char *type = MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND,
	                                               MHD_HTTP_HEADER_CONTENT_TYPE);
	*data = req->raw;
	*len = req->raw_len;
	if (type && strncasecmp(type, "multipart/form-data", 19) == 0) {
		*data = NULL;
		if (multipart_file(type, req->raw, req->raw_len, data, len, filename, fsize) < 0)
			return gx_fail(err, GX_EBADREQUEST, "file",
			               "the multipart body has no file part");
	}
	if (!*data || *len == 0)
		return gx_fail(err, GX_EVALIDATION, "file", "send the file as the body");
	return 0;
}

void h_imports_create(struct request *req, struct reply *reply, const void *data)
{
	(void)data;
	struct gx_error err = {0};
	struct import_options opt = {0};
	char filename[256] = "";
	const char *bytes = NULL;
	size_t len = 0;
	json_t *out = NULL;
	int rc = options_from_query(req, &opt, &err);
	if (rc == 0)
		rc = upload(req, &bytes, &len, filename, sizeof filename, &err);
	if (rc == 0 && !opt.filename && filename[0])
		opt.filename = filename;
	if (rc == 0)
		rc = imports_submit(&req->ctx, req->ctx.config->db, bytes, len, &opt, &out, &err);
	reply_result(reply, rc, 202, out, &err);
}

void h_imports_preview(struct request *req, struct reply *reply, const void *data)
{
	(void)data;
	struct gx_error err = {0};
	struct import_options opt = {0};
	char filename[256] = "";
	const char *bytes = NULL;
	size_t len = 0;
	json_t *out = NULL;
	int rc = options_from_query(req, &opt, &err);
	if (rc == 0)
		rc = upload(req, &bytes, &len, filename, sizeof filename, &err);
	if (rc == 0 && !opt.filename && filename[0])
		opt.filename = filename;
	if (rc == 0)
		rc = imports_propose(&req->ctx, bytes, len, &opt, &out, &err);
	reply_result(reply, rc, 200, out, &err);
}

void h_imports_get(struct request *req, struct reply *reply, const void *data)
{
	(void)data;
	struct gx_error err = {0};
	json_t *out = NULL;
	int rc = imports_get(&req->ctx, req->params[0], &out, &err);
	reply_result(reply, rc, 200, out, &err);
}

void h_imports_cancel(struct request *req, struct reply *reply, const void *data)
{
	(void)data;
	struct gx_error err = {0};
	json_t *out = NULL;
	int rc = imports_cancel(&req->ctx, req->params[0], &out, &err);
	reply_result(reply, rc, 202, out, &err);
}

void h_import_mappings_list(struct request *req, struct reply *reply, const void *data)
{
	(void)data;
	struct gx_error err = {0};
	json_t *out = NULL;
	int rc = imports_mappings_list(&req->ctx, &out, &err);
	reply_result(reply, rc, 200, out, &err);
}

void h_import_mappings_save(struct request *req, struct reply *reply, const void *data)
{
	(void)data;
	struct gx_error err = {0};
	json_t *out = NULL;
	int rc = imports_mapping_save(&req->ctx, req->body, &out, &err);
	reply_result(reply, rc, 201, out, &err);
}

void h_import_mappings_delete(struct request *req, struct reply *reply, const void *data)
{
	(void)data;
	struct gx_error err = {0};
	int rc = imports_mapping_delete(&req->ctx, req->params[0], &err);
	reply_result(reply, rc, 204, NULL, &err);
}

static enum MHD_Result collect_filter(void *cls, enum MHD_ValueKind kind, const char *key,
                                      const char *value)
{
	(void)kind;
	static const char *const reserved[] = {"q", "limit", "cursor", "sort", "format"};
	for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
		if (strcmp(key, reserved[i]) == 0)
			return MHD_YES;
	json_object_set_new(cls, key, json_string(value ? value : ""));
	return MHD_YES;
}

/* GET /exports/{kind}?format=csv|xlsx|vcf plus the list filters: written to an unlinked
 * temporary file first (XLSX needs a file; memory stays flat), then sent from it. */
void h_export(struct request *req, struct reply *reply, const void *data)
{
	const struct record_kind *kind = data;
	struct gx_error err = {0};
	int format = exports_format(request_query(req, "format"));
	if (format < 0) {
		reply_error(reply, GX_EBADREQUEST, "format", "format must be csv, xlsx or vcf");
		return;
	}
	struct list_query lq = {.q = request_query(req, "q"),
	                        .sort = request_query(req, "sort"),
	                        .filters = json_object()};
	if (lq.q && !*lq.q)
		lq.q = NULL;
	MHD_get_connection_values(req->connection, MHD_GET_ARGUMENT_KIND, collect_filter,
	                          lq.filters);
	char path[] = "/tmp/guanxi-export-XXXXXX";
	int fd = mkstemp(path);
	int rc = fd < 0 ? gx_fail(&err, GX_EINTERNAL, NULL, "cannot make a temporary file") : 0;
	if (fd >= 0)
		close(fd);
	int64_t rows = 0;
	if (rc == 0)
		rc = exports_write(&req->ctx, kind, (enum export_format)format, &lq, path, &rows,
		                   &err);
	json_decref(lq.filters);
	fd = rc == 0 ? open(path, O_RDONLY) : -1;
	if (rc == 0 || fd >= 0 || path[0])
		unlink(path); /* the open descriptor keeps the data until the reply is sent */
	struct stat st;
	if (rc == 0 && (fd < 0 || fstat(fd, &st) != 0))
		rc = gx_fail(&err, GX_EINTERNAL, NULL, "cannot read the export");
	if (rc < 0) {
		if (fd >= 0)
			close(fd);
		reply_result(reply, rc, 0, NULL, &err);
		return;
	}
	struct MHD_Response *response = MHD_create_response_from_fd((size_t)st.st_size, fd);
	if (!response) {
		close(fd);
		reply_error(reply, GX_EINTERNAL, NULL, "internal error");
		return;
	}
	char disposition[128];
	snprintf(disposition, sizeof disposition, "attachment; filename=\"%s.%s\"",
	         kind == &contact_kind       ? "contacts"
	         : kind == &account_kind     ? "accounts"
	         : kind == &interaction_kind ? "interactions"
	                                     : "orders",
	         exports_extension((enum export_format)format));
	MHD_add_response_header(response, "Content-Type",
	                        exports_content_type((enum export_format)format));
	MHD_add_response_header(response, "Content-Disposition", disposition);
	char count[32];
	snprintf(count, sizeof count, "%lld", (long long)rows);
	MHD_add_response_header(response, "X-Record-Count", count);
	reply->status = 200;
	reply->response = response;
}
