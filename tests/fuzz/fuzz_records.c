/* fuzz_records.c — libFuzzer driver for request bodies: arbitrary bytes as the JSON body of a
 * contact, an account, an interaction and an order, through the whole validation and write path
 * of crm/records.c on an in-memory database. Every input must end in success or a clean GX_E*
 * error; the database must stay consistent (foreign keys hold). */
#include <jansson.h>
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>

#include "crm/orders.h"
#include "crm/records.h"

static struct config config;
static struct crm_ctx ctx;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	struct gx_error err;
	config_defaults(&config);
	ctx = (struct crm_ctx){.config = &config, .actor = access_system_actor()};
	if (sodium_init() < 0 || store_open(&ctx.store, ":memory:", &err) < 0 ||
	    store_migrate(ctx.store, &err) < 0)
		abort();
	json_t *account = json_pack("{s:s}", "name", "上海华东贸易有限公司"), *out = NULL;
	if (records_create(&ctx, &account_kind, account, &out, &err) < 0)
		abort();
	json_decref(account);
	json_decref(out);
	return 0;
}

static void expect_clean(int rc)
{
	if (rc != 0 && (rc < GX_EINTERNAL || rc == GX_EINTERNAL))
		abort(); /* a body must never make the server fail internally */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *body = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	if (!body)
		return 0;
	const struct record_kind *kinds[] = {&contact_kind, &account_kind, &interaction_kind};
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		struct gx_error err = {0};
		json_t *out = NULL;
		expect_clean(records_create(&ctx, kinds[i], body, &out, &err));
		json_decref(out);
		out = NULL;
		expect_clean(records_update(&ctx, kinds[i], 1, body, &out, &err));
		json_decref(out);
	}
	struct gx_error err = {0};
	json_t *out = NULL;
	int created;
	expect_clean(orders_put(&ctx, body, &out, &created, &err));
	json_decref(out);
	json_decref(body);
	return 0;
}
