/* handlers_quality.c — duplicates of contacts and accounts (list, scan, check, dismiss; ?kind=
 * or "kind" picks one, contact by default), merge and its undo, the data-quality report and
 * privacy requests (export, erasure); and the warnings and possible duplicates that create and
 * update replies of contacts and accounts carry. */
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
	json_t *dups = NULL;
	struct gx_error err = {0};
	if (duplicates_check(&req->ctx, kind, record,
	                     json_integer_value(json_object_get(record, "id")), &dups, &err) == 0 &&
	    json_array_size(dups))
		json_object_set(record, "possible_duplicates", dups);
	json_decref(dups);
}

/* &contact_kind or &account_kind for "contact" or "account"; NULL for anything else. */
static const struct record_kind *kind_named(const char *name)
{
	if (name && strcmp(name, "contact") == 0)
		return &contact_kind;
	if (name && strcmp(name, "account") == 0)
		return &account_kind;
	return NULL;
}

/* ?kind=, contact when absent; NULL with a bad_request otherwise. */
static const struct record_kind *query_kind(const struct request *req, struct gx_error *err)
{
	const char *name = request_query(req, "kind");
	const struct record_kind *kind = name ? kind_named(name) : &contact_kind;
	if (!kind)
		gx_fail(err, GX_EBADREQUEST, "kind", "kind must be contact or account");
	return kind;
}

void h_duplicates_list(struct request *req, struct reply *reply, const void *data)
{
	(void)data;
	struct gx_error err = {0};
	long limit = 50, min_score = 0;
	json_t *out = NULL;
	const struct record_kind *kind = query_kind(req, &err);
	int rc = kind ? query_number(req, "limit", 1, 500, &limit, &err) : GX_EBADREQUEST;
	if (rc == 0)
		rc = query_number(req, "min_score", 1, 100, &min_score, &err);
	if (rc == 0)
		rc = duplicates_list(&req->ctx, kind, (int)limit, request_query(req, "cursor"),
		                     (int)min_score, &out, &err);
	reply_result(reply, rc, 200, out, &err);
}

static json_t *scan_figures(const struct duplicates_scan_stats *s)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:f}", "records", (json_int_t)s->records, "compared",
	                 (json_int_t)s->compared, "pairs", (json_int_t)s->pairs, "big_blocks",
	                 (json_int_t)s->big_blocks, "seconds", s->seconds);
}

/* ?kind= scans that kind, no kind both. The reply adds up the kinds scanned and shows each:
 * {"contacts", "accounts" (records read), "compared", "pairs", "big_blocks", "seconds",
 * "by_kind": {"contact": {...}, "account": {...}}}. */
void h_duplicates_scan(struct request *req, struct reply *reply, const void *data)
{
	(void)data;
	struct gx_error err = {0};
	const struct record_kind *kinds[] = {&contact_kind, &account_kind}, *only = NULL;
	int rc = 0;
	if (request_query(req, "kind") && !(only = query_kind(req, &err)))
		rc = GX_EBADREQUEST;
	struct duplicates_scan_stats s[2] = {{0}};
	json_t *out = json_object(), *by_kind = json_object();
	for (int i = 0; i < 2 && rc == 0; i++) {
		if (only && only != kinds[i])
			continue;
		rc = duplicates_scan(&req->ctx, kinds[i], &s[i], &err);
		if (rc == 0) {
			json_object_set_new(out, i ? "accounts" : "contacts",
			                    json_integer(s[i].records));
			json_object_set_new(by_kind, kinds[i]->entity, scan_figures(&s[i]));
		}
	}
	json_object_set_new(out, "compared", json_integer(s[0].compared + s[1].compared));
	json_object_set_new(out, "pairs", json_integer(s[0].pairs + s[1].pairs));
	json_object_set_new(out, "big_blocks", json_integer(s[0].big_blocks + s[1].big_blocks));
	json_object_set_new(out, "seconds", json_real(s[0].seconds + s[1].seconds));
	json_object_set_new(out, "by_kind", by_kind);
	reply_result(reply, rc, 200, out, &err);
}

/* The contact a check describes: ?name=, ?phone= (422 when not a number), ?email=,
 * ?account_id=; at least one of the first three. */
static int contact_to_check(struct request *req, json_t **out, struct gx_error *err)
{
	const char *name = request_query(req, "name"), *phone = request_query(req, "phone");
	const char *email = request_query(req, "email");
	long account = 0;
	int rc = query_number(req, "account_id", 1, 999999999999999L, &account, err);
	json_t *contact = json_pack("{s:s?, s:[], s:[]}", "name", name, "phones", "emails");
	char e164[PHONE_E164_MAX];
	if (rc == 0 && phone && *phone) {
		if (phone_to_e164(phone, req->ctx.config->region, e164, sizeof e164) != 0)
			rc = gx_fail(err, GX_EVALIDATION, "phone", "\"%s\" is not a phone number",
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
		rc = gx_fail(err, GX_EBADREQUEST, "name", "give name, phone or email");
	if (rc < 0)
		json_decref(contact);
	else
		*out = contact;
	return rc;
}

/* The account a check describes: ?name=, ?website=, at least one. Accounts have no phone,
 * email or company: giving one is a bad request, not a check that ignores it. */
static int account_to_check(struct request *req, json_t **out, struct gx_error *err)
{
	static const char *const contact_only[] = {"phone", "email", "account_id"};
	for (size_t i = 0; i < sizeof contact_only / sizeof contact_only[0]; i++) {
		const char *value = request_query(req, contact_only[i]);
		if (value && *value)
			return gx_fail(err, GX_EBADREQUEST, contact_only[i],
			               "accounts have no %s: give name or website",
			               contact_only[i]);
	}
	const char *name = request_query(req, "name"), *website = request_query(req, "website");
	if (!(name && *name) && !(website && *website))
		return gx_fail(err, GX_EBADREQUEST, "name", "give name or website");
	*out = json_pack("{s:s?, s:s?}", "name", name, "website", website);
	return 0;
}

void h_duplicates_check(struct request *req, struct reply *reply, const void *data)
{
	(void)data;
	struct gx_error err = {0};
	json_t *record = NULL, *list = NULL;
	const struct record_kind *kind = query_kind(req, &err);
	int rc = !kind                   ? GX_EBADREQUEST
	         : kind == &account_kind ? account_to_check(req, &record, &err)
	                                 : contact_to_check(req, &record, &err);
	if (rc == 0)
		rc = duplicates_check(&req->ctx, kind, record, 0, &list, &err);
	json_decref(record);
	reply_result(reply, rc, 200, rc == 0 ? json_pack("{s:o}", "data", list) : NULL, &err);
}

/* {"kind": "contact" | "account" (contact when absent), "a": id, "b": id} */
void h_duplicates_dismiss(struct request *req, struct reply *reply, const void *data)
{
	(void)data;
	struct gx_error err = {0};
	json_t *a = json_object_get(req->body, "a"), *b = json_object_get(req->body, "b");
	json_t *name = json_object_get(req->body, "kind");
	const struct record_kind *kind = name ? kind_named(json_string_value(name)) : &contact_kind;
	int rc = !kind ? gx_fail(&err, GX_EVALIDATION, "kind", "kind must be contact or account")
	         : !json_is_integer(a) || !json_is_integer(b)
	             ? gx_fail(&err, GX_EVALIDATION, "a", "a and b must be %s ids", kind->entity)
	             : duplicates_dismiss(&req->ctx, kind, json_integer_value(a),
	                                  json_integer_value(b), &err);
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
