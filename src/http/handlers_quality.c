/* handlers_quality.c — duplicates (list, scan, check, dismiss), merge and its undo, the
 * data-quality report and privacy requests (export, erasure); and the warnings and possible
 * duplicates that create and update replies of contacts and accounts carry. */
#include <stdlib.h>
#include <string.h>

#include "base/phone.h"
#include "crm/duplicates.h"
#include "crm/merge.h"
#include "crm/privacy.h"
#include "crm/quality.h"
#include "http/routes.h"

static int query_number(const struct request *req, const char *name, long min, long max,
                        long *value, struct gx_error *err)
{
	const char *text = request_query(req, name);
	if (!text)
		return 0;
	char *end;
	long n = strtol(text, &end, 10);
	if (!*text || *end || n < min || n > max)
		return gx_fail(err, GX_EBADREQUEST, name, "%s must be a number from %ld to %ld",
		               name, min, max);
	*value = n;
	return 0;
}

void quality_annotate(struct request *req, const void *kind, json_t *record)
{
	if (!json_is_object(record) || (kind != &contact_kind && kind != &account_kind))
		return;
	json_t *warnings = quality_warnings(kind, record, req->ctx.config->region);
	if (json_array_size(warnings))
		json_object_set(record, "warnings", warnings);
	json_decref(warnings);
	if (kind != &contact_kind)
		return;
	json_t *dups = NULL;
	struct gx_error err = {0};
	if (duplicates_check(&req->ctx, record, json_integer_value(json_object_get(record, "id")),
	                     &dups, &err) == 0 &&
	    json_array_size(dups))
		json_object_set(record, "possible_duplicates", dups);
	json_decref(dups);
}

void h_duplicates_list(struct request *req, struct reply *reply, const void *data)
{
	(void)data;
	struct gx_error err = {0};
	long limit = 50, min_score = 0;
	json_t *out = NULL;
	int rc = query_number(req, "limit", 1, 500, &limit, &err);
	if (rc == 0)
		rc = query_number(req, "min_score", 1, 100, &min_score, &err);
	if (rc == 0)
		rc = duplicates_list(&req->ctx, (int)limit, request_query(req, "cursor"),
		                     (int)min_score, &out, &err);
	reply_result(reply, rc, 200, out, &err);
}

void h_duplicates_scan(struct request *req, struct reply *reply, const void *data)
{
	(void)data;
	struct gx_error err = {0};
	struct duplicates_scan_stats s = {0};
	int rc = duplicates_scan(&req->ctx, &s, &err);
	json_t *out =
	    rc == 0 ? json_pack("{s:I, s:I, s:I, s:I, s:f}", "contacts", (json_int_t)s.contacts,
	                        "compared", (json_int_t)s.compared, "pairs", (json_int_t)s.pairs,
	                        "big_blocks", (json_int_t)s.big_blocks, "seconds", s.seconds)
	            : NULL;
	reply_result(reply, rc, 200, out, &err);
}

void h_duplicates_check(struct request *req, struct reply *reply, const void *data)
{
	(void)data;
	struct gx_error err = {0};
	const char *name = request_query(req, "name"), *phone = request_query(req, "phone");
	const char *email = request_query(req, "email");
	long account = 0;
	int rc = query_number(req, "account_id", 1, 999999999999999L, &account, &err);
	json_t *contact = json_pack("{s:s?, s:[], s:[]}", "name", name, "phones", "emails");
	char e164[PHONE_E164_MAX];
	if (rc == 0 && phone && *phone) {
		if (phone_to_e164(phone, req->ctx.config->region, e164, sizeof e164) != 0)
			rc = gx_fail(&err, GX_EVALIDATION, "phone", "\"%s\" is not a phone number",
			             phone);
		else
			json_array_append_new(
			    json_object_get(contact, "phones"),
			    json_pack("{s:s, s:s}", "number", phone, "e164", e164));
	}
	if (email && *email)
		json_array_append_new(json_object_get(contact, "emails"),
		                      json_pack("{s:s}", "address", email));
	if (account)
		json_object_set_new(contact, "account_id", json_integer(account));
	if (rc == 0 && !name && !(phone && *phone) && !(email && *email))
		rc = gx_fail(&err, GX_EBADREQUEST, "name", "give name, phone or email");
	json_t *list = NULL;
	if (rc == 0)
		rc = duplicates_check(&req->ctx, contact, 0, &list, &err);
	json_decref(contact);
	reply_result(reply, rc, 200, rc == 0 ? json_pack("{s:o}", "data", list) : NULL, &err);
}

void h_duplicates_dismiss(struct request *req, struct reply *reply, const void *data)
{
	(void)data;
	struct gx_error err = {0};
	json_t *a = json_object_get(req->body, "a"), *b = json_object_get(req->body, "b");
	int rc =
	    json_is_integer(a) && json_is_integer(b)
	        ? duplicates_dismiss(&req->ctx, json_integer_value(a), json_integer_value(b), &err)
	        : gx_fail(&err, GX_EVALIDATION, "a", "a and b must be contact ids");
	reply_result(reply, rc, 204, NULL, &err);
}

void h_merge(struct request *req, struct reply *reply, const void *kind)
{
	struct gx_error err = {0};
	json_t *out = NULL;
	int rc = merge_records(&req->ctx, kind, req->body, &out, &err);
	reply_result(reply, rc, 200, out, &err);
}

void h_merge_undo(struct request *req, struct reply *reply, const void *data)
{
	(void)data;
	struct gx_error err = {0};
	json_t *out = NULL;
	int rc = merge_undo(&req->ctx, req->params[0], &out, &err);
	reply_result(reply, rc, 200, out, &err);
}

void h_quality(struct request *req, struct reply *reply, const void *data)
{
	(void)data;
	struct gx_error err = {0};
	long months = 12;
	json_t *out = NULL;
	int rc = query_number(req, "stale_months", 1, 240, &months, &err);
	if (rc == 0)
		rc = quality_report(&req->ctx, (int)months, &out, &err);
	reply_result(reply, rc, 200, out, &err);
}

void h_privacy_export(struct request *req, struct reply *reply, const void *data)
{
	(void)data;
	struct gx_error err = {0};
	json_t *out = NULL;
	int rc = privacy_export(&req->ctx, req->params[0], &out, &err);
	reply_result(reply, rc, 200, out, &err);
}

void h_privacy_erase(struct request *req, struct reply *reply, const void *data)
{
	(void)data;
	struct gx_error err = {0};
	json_t *out = NULL;
	int rc = privacy_erase(&req->ctx, req->params[0], &out, &err);
	reply_result(reply, rc, 200, out, &err);
}
