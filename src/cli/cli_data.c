/* cli_data.c — `guanxi lookup`, `search`, `demo`, `backup` and `migrate`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "cli/cli.h"
#include "crm/demo.h"
#include "crm/lookup.h"
#include "crm/search.h"
#include "store/store.h"

static const char *text_of(const json_t *object, const char *key)
{
	const char *s = json_string_value(json_object_get(object, key));
	return s ? s : "-";
}

static void print_match(const json_t *m)
{
	const json_t *c = json_object_get(m, "contact"), *a = json_object_get(m, "account");
	const json_t *s = json_object_get(m, "summary");
	printf("%s (contact %lld)%s%s\n", text_of(c, "name"),
	       (long long)json_integer_value(json_object_get(c, "id")),
	       json_is_object(a) ? " — " : "", json_is_object(a) ? text_of(a, "name") : "");
	printf("  title: %s   tier: %s\n", text_of(c, "title"), text_of(c, "tier"));
	size_t i;
	const json_t *p;
	json_array_foreach(json_object_get(c, "phones"), i, p)
	{
		printf("  phone (%s): %s  [%s]\n", text_of(p, "kind"), text_of(p, "number"),
		       text_of(p, "e164"));
	}
	json_array_foreach(json_object_get(c, "emails"), i, p)
	{
		printf("  email (%s): %s\n", text_of(p, "kind"), text_of(p, "address"));
	}
	printf("  interactions: %lld (first %s, last %s)\n",
	       (long long)json_integer_value(json_object_get(s, "interaction_count")),
	       text_of(s, "first_contact_at"), text_of(s, "last_contact_at"));
	printf("  orders: %lld, lifetime revenue %s %s, margin %s, last order %s\n",
	       (long long)json_integer_value(json_object_get(s, "order_count")),
	       text_of(s, "lifetime_revenue"), text_of(s, "currency"),
	       text_of(s, "lifetime_margin"), text_of(s, "last_order_at"));
}

int cmd_lookup(struct cli *cli)
{
	if (cli->nwords != 1) {
		fprintf(stderr,
		        "guanxi lookup: give one phone number (see guanxi lookup --help)\n");
		return EXIT_USAGE;
	}
	struct crm_ctx ctx;
	int code = cli_open(cli, &ctx, 0);
	if (code != EXIT_OK)
		return code;
	struct gx_error err = {0};
	json_t *out = NULL;
	int rc = lookup_phone(&ctx, cli->words[0], &out, &err);
	cli_close(&ctx);
	if (rc < 0)
		return cli_fail(&err);
	json_t *matches = json_object_get(out, "matches");
	const char *format = cli_flag(cli, "format");
	if (format && strcmp(format, "json") == 0)
		cli_print_json(out);
	else if (json_array_size(matches) == 0)
		fprintf(stderr, "no contact has the number %s\n", text_of(out, "number"));
	size_t i;
	json_t *m;
	json_array_foreach(matches, i, m)
	{
		if (!format)
			print_match(m);
	}
	code = json_array_size(matches) ? EXIT_OK : EXIT_NOTHING;
	json_decref(out);
	return code;
}

int cmd_search(struct cli *cli)
{
	const char *limit_text = cli_flag(cli, "limit");
	char *end = NULL;
	long limit = limit_text ? strtol(limit_text, &end, 10) : 20;
	if (cli->nwords != 1 || (end && *end) || limit < 1 || limit > 500) {
		fprintf(stderr, "guanxi search: give one text and --limit 1..500 (see --help)\n");
		return EXIT_USAGE;
	}
	struct crm_ctx ctx;
	int code = cli_open(cli, &ctx, 0);
	if (code != EXIT_OK)
		return code;
	struct gx_error err = {0};
	json_t *out = NULL;
	int rc = search_run(&ctx, cli->words[0], (int)limit, &out, &err);
	cli_close(&ctx);
	if (rc < 0)
		return cli_fail(&err);
	json_t *data = json_object_get(out, "data");
	size_t i;
	json_t *hit;
	json_array_foreach(data, i, hit)
	{
		const char *company = json_string_value(json_object_get(hit, "account_name"));
		printf("%-7s %-8lld %s%s%s%s\n", text_of(hit, "kind"),
		       (long long)json_integer_value(json_object_get(hit, "id")),
		       text_of(hit, "name"), company ? " (" : "", company ? company : "",
		       company ? ")" : "");
	}
	code = json_array_size(data) ? EXIT_OK : EXIT_NOTHING;
	if (!json_array_size(data))
		fprintf(stderr, "nothing matches \"%s\"\n", cli->words[0]);
	json_decref(out);
	return code;
}

int cmd_demo(struct cli *cli)
{
	const char *contacts = cli_flag(cli, "contacts"), *seed = cli_flag(cli, "seed");
	char *end = NULL;
	long n = contacts ? strtol(contacts, &end, 10) : 0;
	if (!contacts || *end || n < 1 || n > 10000000 || cli->nwords) {
		fprintf(stderr,
		        "guanxi demo: --contacts must be 1..10000000 (see guanxi demo --help)\n");
		return EXIT_USAGE;
	}
	struct crm_ctx ctx;
	int code = cli_open(cli, &ctx, 1);
	if (code != EXIT_OK)
		return code;
	/* Dates are laid out back from midnight UTC today, so one day's runs agree exactly. */
	struct demo_options options = {.contacts = (int)n,
	                               .seed = seed ? strtoull(seed, NULL, 10) : 1,
	                               .now = clock_now() / 86400 * 86400};
	struct demo_stats stats = {0};
	struct gx_error err = {0};
	int rc = demo_generate(&ctx, &options, &stats, &err);
	cli_close(&ctx);
	if (rc < 0)
		return cli_fail(&err);
	printf(
	    "%lld users, %lld accounts, %lld contacts, %lld interactions, %lld orders in %.1f s\n",
	    (long long)stats.users, (long long)stats.accounts, (long long)stats.contacts,
	    (long long)stats.interactions, (long long)stats.orders, stats.seconds);
	return EXIT_OK;
}

int cmd_backup(struct cli *cli)
{
	if (cli->nwords != 1) {
		fprintf(stderr,
		        "guanxi backup: give the file to write (see guanxi backup --help)\n");
		return EXIT_USAGE;
	}
	if (access(cli->words[0], F_OK) == 0) {
		fprintf(stderr, "guanxi backup: %s exists; choose a new file\n", cli->words[0]);
		return EXIT_INVALID;
	}
	struct crm_ctx ctx;
	int code = cli_open(cli, &ctx, 0);
	if (code != EXIT_OK)
		return code;
	struct gx_error err = {0};
	int rc = store_backup(ctx.store, cli->words[0], &err);
	cli_close(&ctx);
	if (rc < 0)
		return cli_fail(&err);
	printf("backed up %s to %s\n", cli->config.db, cli->words[0]);
	return EXIT_OK;
}

int cmd_migrate(struct cli *cli)
{
	struct crm_ctx ctx;
	int code = cli_open(cli, &ctx, 1);
	if (code != EXIT_OK)
		return code;
	cli_close(&ctx);
	printf("%s is at schema version %d\n", cli->config.db, store_schema_latest());
	return EXIT_OK;
}
