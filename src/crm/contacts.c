/* contacts.c — people: the contact kind, its contact points (typed phones with their E.164
 * form, emails, addresses), marketing consent, and the caller-id index kept from the phones. */
#include <stdio.h>
#include <string.h>

#include "base/phone.h"
#include "crm/contacts.h"
#include "crm/positions.h"
#include "crm/records.h"
#include "crm/relationships.h"
#include "crm/search.h"

static const char *const tiers[] = {"gold", "silver", "bronze", NULL};
static const char *const phone_kinds[] = {"mobile", "work", "home", "fax", "other", NULL};
static const char *const email_kinds[] = {"work", "home", "other", NULL};
static const char *const address_kinds[] = {"work", "home", "billing", "shipping", "other", NULL};
static const char *const consent_channels[] = {"email", "sms", "phone", "wechat", "post", NULL};

static const struct field contact_fields[] = {
    {"name", NULL, F_TEXT, FIELD_REQUIRED | FIELD_SORTABLE, 200, NULL, NULL},
    {"account_id", NULL, F_REF, FIELD_FILTER, 0, NULL, &account_kind},
    {"title", NULL, F_TEXT, 0, 200, NULL, NULL},
    {"department", NULL, F_TEXT, FIELD_FILTER, 200, NULL, NULL},
    {"reports_to_id", NULL, F_REF, FIELD_FILTER, 0, NULL, &contact_kind},
    {"buying_role", NULL, F_ENUM, FIELD_FILTER, 0, positions_buying_roles, NULL},
    {"birthday", NULL, F_DATE, 0, 0, NULL, NULL},
    {"phones", NULL, F_JSON, 0, 0, NULL, NULL},
    {"emails", NULL, F_JSON, 0, 0, NULL, NULL},
    {"addresses", NULL, F_JSON, 0, 0, NULL, NULL},
    {"owner_id", NULL, F_USER, FIELD_FILTER, 0, NULL, NULL},
    {"tags", NULL, F_TAGS, 0, 0, NULL, NULL},
    {"consent", NULL, F_JSON, 0, 0, NULL, NULL},
    {"notes", NULL, F_TEXT, 0, 20000, NULL, NULL},
    {"tier", NULL, F_ENUM, FIELD_READONLY | FIELD_FILTER | FIELD_SORTABLE, 0, tiers, NULL},
};

static int in_list(const char *const *list, const char *value)
{
	for (; value && *list; list++)
		if (strcmp(*list, value) == 0)
			return 1;
	return 0;
}

/* Checks that item (entry i of list `name`) is an object whose keys are all allowed and whose
 * values are strings, and fills in "kind" from its default. */
static int check_item(const char *name, size_t i, json_t *item, const char *const *keys,
                      const char *const *kinds, struct gx_error *err)
{
	char path[96];
	snprintf(path, sizeof path, "%s[%zu]", name, i);
	if (!json_is_object(item))
		return gx_fail(err, GX_EVALIDATION, path, "%s must be an object", path);
	const char *key;
	json_t *v;
	json_object_foreach(item, key, v)
	{
		snprintf(path, sizeof path, "%s[%zu].%s", name, i, key);
		if (!in_list(keys, key))
			return gx_fail(err, GX_EVALIDATION, path, "unknown field %s", path);
		if (!json_is_string(v) || strlen(json_string_value(v)) > 300)
			return gx_fail(err, GX_EVALIDATION, path,
			               "%s must be a string of at most 300 bytes", path);
	}
	json_t *kind = json_object_get(item, "kind");
	if (!kind)
		json_object_set_new(item, "kind", json_string(kinds[0]));
	else if (!in_list(kinds, json_string_value(kind))) {
		snprintf(path, sizeof path, "%s[%zu].kind", name, i);
		return gx_fail(err, GX_EVALIDATION, path, "%s is not a known kind", path);
	}
	return 0;
}

static json_t *list_field(json_t *record, const char *name, struct gx_error *err, int *rc)
{
	json_t *list = json_object_get(record, name);
	if (!list || json_is_null(list)) {
		list = json_array();
		json_object_set_new(record, name, list);
	}
	*rc = json_is_array(list) && json_array_size(list) <= 50
	          ? 0
	          : gx_fail(err, GX_EVALIDATION, name, "%s must be a list of at most 50 entries",
	                    name);
	return list;
}

static int normalise_phones(json_t *record, const char *region, struct gx_error *err)
{
	static const char *const keys[] = {"kind", "number", "e164", "label", NULL};
	int rc;
	json_t *phones = list_field(record, "phones", err, &rc);
	size_t i;
	json_t *phone;
	json_array_foreach(phones, i, phone)
	{
		if (rc < 0 || (rc = check_item("phones", i, phone, keys, phone_kinds, err)) < 0)
			return rc;
		char path[64], e164[PHONE_E164_MAX];
		snprintf(path, sizeof path, "phones[%zu].number", i);
		const char *number = json_string_value(json_object_get(phone, "number"));
		if (!number)
			return gx_fail(err, GX_EVALIDATION, path, "%s is required", path);
		if (phone_to_e164(number, region, e164, sizeof e164) != 0)
			return gx_fail(err, GX_EVALIDATION, path,
			               "\"%s\" is not a phone number (region %s)", number, region);
		/* E.164 is computed, never taken from the client. */
		json_object_set_new(phone, "e164", json_string(e164));
	}
	return rc;
}

/* The shape people mean by an email address: one @, a local part, a dotted domain, no spaces.
 * Deliverability is the mail server's business. */
static int email_ok(const char *a)
{
	const char *at = strchr(a, '@');
	if (!at || at == a || strchr(at + 1, '@') || strlen(a) > 254)
		return 0;
	const char *dot = strrchr(at, '.');
	if (!dot || dot == at + 1 || !dot[1])
		return 0;
	for (const char *p = a; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == ',' || *p == ';' || *p == '<' || *p == '>')
			return 0;
	return 1;
}

static int normalise_emails(json_t *record, struct gx_error *err)
{
	static const char *const keys[] = {"kind", "address", "label", NULL};
	int rc;
	json_t *emails = list_field(record, "emails", err, &rc);
	size_t i;
	json_t *email;
	json_array_foreach(emails, i, email)
	{
		if (rc < 0 || (rc = check_item("emails", i, email, keys, email_kinds, err)) < 0)
			return rc;
		const char *address = json_string_value(json_object_get(email, "address"));
		if (!address || !email_ok(address)) {
			char path[64];
			snprintf(path, sizeof path, "emails[%zu].address", i);
			return gx_fail(err, GX_EVALIDATION, path, "\"%s\" is not an email address",
			               address ? address : "");
		}
	}
	return rc;
}

static int normalise_addresses(json_t *record, struct gx_error *err)
{
	static const char *const keys[] = {"kind",     "street",  "city",  "region",
	                                   "postcode", "country", "label", NULL};
	int rc;
	json_t *addresses = list_field(record, "addresses", err, &rc);
	size_t i;
	json_t *address;
	json_array_foreach(addresses, i, address)
	{
		if (rc < 0 ||
		    (rc = check_item("addresses", i, address, keys, address_kinds, err)) < 0)
			return rc;
	}
	return rc;
}

static int normalise_consent(json_t *record, struct gx_error *err)
{
	json_t *consent = json_object_get(record, "consent");
	if (!consent || json_is_null(consent)) {
		json_object_set_new(record, "consent", json_object());
		return 0;
	}
	if (!json_is_object(consent))
		return gx_fail(err, GX_EVALIDATION, "consent",
		               "consent must be an object like {\"email\": true}");
	const char *key;
	json_t *v;
	json_object_foreach(consent, key, v)
	{
		if (!in_list(consent_channels, key) || !json_is_boolean(v))
			return gx_fail(
			    err, GX_EVALIDATION, "consent",
			    "consent.%s: channels are email, sms, phone, wechat and post, "
			    "each true or false",
			    key);
	}
	return 0;
}

static int normalise_contact(struct crm_ctx *ctx, json_t *record, const json_t *old,
                             struct gx_error *err)
{
	int rc = normalise_phones(record, ctx->config->region, err);
	if (rc == 0)
		rc = normalise_emails(record, err);
	if (rc == 0)
		rc = normalise_addresses(record, err);
	if (rc == 0)
		rc = normalise_consent(record, err);
	if (rc == 0)
		rc = positions_normalise(ctx, record, old, err);
	return rc;
}

static int index_phones(struct crm_ctx *ctx, int64_t id, const json_t *record, struct gx_error *err)
{
	struct store_stmt *stmt =
	    store_prepare(ctx->store, "DELETE FROM contact_phones WHERE contact_id = ?", err);
	if (!stmt)
		return GX_EINTERNAL;
	store_bind_int(stmt, 1, id);
	int rc = store_exec(stmt, err);
	size_t i;
	json_t *phone;
	json_array_foreach(json_object_get(record, "phones"), i, phone)
	{
		if (rc < 0)
			break;
		stmt = store_prepare(ctx->store,
		                     "INSERT INTO contact_phones(e164, contact_id) VALUES (?, ?) "
		                     "ON CONFLICT DO NOTHING",
		                     err);
		if (!stmt)
			return GX_EINTERNAL;
		store_bind_text(stmt, 1, json_string_value(json_object_get(phone, "e164")));
		store_bind_int(stmt, 2, id);
		rc = store_exec(stmt, err);
	}
	return rc;
}

static int contact_after_write(struct crm_ctx *ctx, int64_t id, const json_t *record,
                               const json_t *old, struct gx_error *err)
{
	if (!record) { /* phones and positions went with the contact (ON DELETE CASCADE) */
		int rc = relationships_forget(ctx, "contact", id, err);
		return rc < 0 ? rc
		              : store_search_put(ctx->store, STORE_INDEX_CONTACTS, id, NULL, err);
	}
	int rc = index_phones(ctx, id, record, err);
	if (rc == 0)
		rc = positions_track(ctx, id, record, old, err);
	return rc < 0 ? rc : search_index_contact(ctx, id, err);
}

const struct record_kind contact_kind = {
    .entity = "contact",
    .table = "contacts",
    .access = ACCESS_CONTACT,
    .fields = contact_fields,
    .nfields = sizeof contact_fields / sizeof contact_fields[0],
    .default_sort = "name",
    .search_index = STORE_INDEX_CONTACTS,
    .has_search = 1,
    .interaction_key = "contact_id",
    .normalise = normalise_contact,
    .after_write = contact_after_write,
};

int contacts_default_account(struct crm_ctx *ctx, json_t *record, struct gx_error *err)
{
	json_t *contact = json_object_get(record, "contact_id");
	json_t *account = json_object_get(record, "account_id");
	if (!json_is_integer(contact) || (account && !json_is_null(account)))
		return 0;
	struct store_stmt *stmt =
	    store_prepare(ctx->store, "SELECT account_id FROM contacts WHERE id = ?", err);
	if (!stmt)
		return GX_EINTERNAL;
	store_bind_int(stmt, 1, json_integer_value(contact));
	int rc = store_step(stmt, err);
	int64_t account_id =
	    rc == STORE_ROW && !store_col_is_null(stmt, 0) ? store_col_int(stmt, 0) : 0;
	store_done(stmt);
	if (rc < 0 || !account_id)
		return rc < 0 ? rc : 0;
	/* Only an account the actor may see: the record must not fail on a link they never made. */
	int visible = records_visible(ctx, &account_kind, account_id, err);
	if (visible > 0)
		json_object_set_new(record, "account_id", json_integer(account_id));
	return visible < 0 ? visible : 0;
}
