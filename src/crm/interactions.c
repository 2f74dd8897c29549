/* interactions.c — every contact and conversation, on every channel: the interaction kind. */
#include "base/clock.h"
#include "crm/contacts.h"
#include "crm/records.h"

static const char *const channels[] = {"phone", "email",   "chat",   "sms",   "web",
                                       "visit", "meeting", "social", "forum", NULL};
static const char *const directions[] = {"inbound", "outbound", NULL};

static const struct field interaction_fields[] = {
    {"contact_id", NULL, F_REF, FIELD_FILTER, 0, NULL, &contact_kind},
    {"account_id", NULL, F_REF, FIELD_FILTER, 0, NULL, &account_kind},
    {"channel", NULL, F_ENUM, FIELD_REQUIRED | FIELD_FILTER, 0, channels, NULL},
    {"direction", NULL, F_ENUM, FIELD_REQUIRED | FIELD_FILTER, 0, directions, NULL},
    {"occurred_at", NULL, F_TIME, FIELD_SORTABLE, 0, NULL, NULL},
    {"duration_s", NULL, F_COUNT, 0, 0, NULL, NULL},
    {"subject", NULL, F_TEXT, 0, 500, NULL, NULL},
    {"body", NULL, F_TEXT, 0, 100000, NULL, NULL},
    {"outcome", NULL, F_TEXT, 0, 200, NULL, NULL},
    {"user_id", NULL, F_USER, FIELD_FILTER, 0, NULL, NULL},
};

static int normalise_interaction(struct crm_ctx *ctx, json_t *record, const json_t *old,
                                 struct gx_error *err)
{
	if (!json_is_integer(json_object_get(record, "contact_id")) &&
	    !json_is_integer(json_object_get(record, "account_id")))
		return gx_fail(err, GX_EVALIDATION, "contact_id",
		               "an interaction needs a contact_id or an account_id");
	json_t *at = json_object_get(record, "occurred_at");
	if (!at || json_is_null(at)) {
		char now[32];
		clock_format(clock_now(), now, sizeof now);
		json_object_set_new(record, "occurred_at", json_string(now));
	}
	json_t *user = json_object_get(record, "user_id");
	if (!old && (!user || json_is_null(user)) && ctx->actor.user_id > 0)
		json_object_set_new(record, "user_id", json_integer(ctx->actor.user_id));
	return old ? 0 : contacts_default_account(ctx, record, err);
}

const struct record_kind interaction_kind = {
    .entity = "interaction",
    .table = "interactions",
    .access = ACCESS_INTERACTION,
    .fields = interaction_fields,
    .nfields = sizeof interaction_fields / sizeof interaction_fields[0],
    .default_sort = "-occurred_at",
    .normalise = normalise_interaction,
};
