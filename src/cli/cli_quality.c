/* cli_quality.c — `guanxi duplicates`, `merge`, `quality` and `privacy`: the data-quality
 * commands, thin front ends over crm/duplicates, merge, quality and privacy. They act as the
 * system (an admin), like the other maintenance commands. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "crm/duplicates.h"
#include "crm/merge.h"
#include "crm/privacy.h"
#include "crm/quality.h"

static const char *name_of(const json_t *record)
{
	const char *s = json_string_value(json_object_get(record, "name"));
	return s ? s : "-";
}

/* --kind: contact (the default) or account; NULL for anything else. */
static const struct record_kind *kind_flag(const struct cli *cli)
{
	const char *name = cli_flag(cli, "kind");
	if (!name || strcmp(name, "contact") == 0)
		return &contact_kind;
	return strcmp(name, "account") == 0 ? &account_kind : NULL;
}

/* Scans one kind, or both without --kind; the figures go to standard error. */
static int scan_kinds(struct cli *cli, struct crm_ctx *ctx, struct gx_error *err)
{
	const struct record_kind *kinds[] = {&contact_kind, &account_kind};
	for (int i = 0; i < 2; i++) {
		if (cli_flag(cli, "kind") && kind_flag(cli) != kinds[i])
			continue;
		struct duplicates_scan_stats s = {0};
		int rc = duplicates_scan(ctx, kinds[i], &s, err);
		if (rc < 0)
			return rc;
		fprintf(stderr,
		        "scanned %lld %ss: %lld pairs compared, %lld candidate pairs, "
		        "%lld large blocks, %.1f s\n",
		        (long long)s.records, kinds[i]->entity, (long long)s.compared,
		        (long long)s.pairs, (long long)s.big_blocks, s.seconds);
	}
	return 0;
}

static void print_pairs(const json_t *data)
{
	size_t i;
	json_t *row;
	json_array_foreach(data, i, row)
	{
		const json_t *a = json_object_get(row, "a"), *b = json_object_get(row, "b");
		printf("%3lld  %-8lld %s  ~  %-8lld %s  (",
		       (long long)json_integer_value(json_object_get(row, "score")),
		       (long long)json_integer_value(json_object_get(a, "id")), name_of(a),
		       (long long)json_integer_value(json_object_get(b, "id")), name_of(b));
		size_t j;
		json_t *r;
		json_array_foreach(json_object_get(row, "reasons"), j, r)
		{
			printf("%s%s", j ? ", " : "",
			       json_string_value(json_object_get(r, "code")));
		}
		printf(")\n");
	}
}

int cmd_duplicates(struct cli *cli)
{
	long limit = 20;
	const char *scan = cli_flag(cli, "scan");
	const struct record_kind *kind = kind_flag(cli);
	if (cli->nwords > 1 || (cli->nwords == 1 && strcmp(cli->words[0], "scan") != 0) ||
	    cli_number_flag(cli, "limit", 1, 500, &limit) < 0 ||
	    (scan && strcmp(scan, "yes") != 0) || !kind) {
		fprintf(stderr,
		        "guanxi duplicates: [scan] [--kind contact|account] [--limit 1..500] "
		        "(see --help)\n");
		return EXIT_USAGE;
	}
	struct crm_ctx ctx;
	int code = cli_open(cli, &ctx, 0);
	if (code != EXIT_OK)
		return code;
	struct gx_error err = {0};
	int rc = cli->nwords == 1 || scan ? scan_kinds(cli, &ctx, &err) : 0;
	json_t *out = NULL;
	if (rc == 0)
		rc = duplicates_list(&ctx, kind, (int)limit, NULL, 0, &out, &err);
	cli_close(&ctx);
	if (rc < 0)
		return cli_fail(&err);
	json_t *data = json_object_get(out, "data");
	if (cli_wants_json(cli))
		cli_print_json(out);
	else
		print_pairs(data);
	code = json_array_size(data) ? EXIT_OK : EXIT_NOTHING;
	if (!json_array_size(data) && !cli_wants_json(cli))
		fprintf(stderr, "no likely duplicate %ss%s\n", kind->entity,
		        cli->nwords || scan ? "" : " (run `guanxi duplicates scan` first)");
	json_decref(out);
	return code;
}

int cmd_merge(struct cli *cli)
{
	int64_t survivor = 0, merged = 0, undo = 0;
	const char *undo_text = cli_flag(cli, "undo");
	const struct record_kind *kind = kind_flag(cli);
	int ok =
	    kind && (undo_text ? cli->nwords == 0 && cli_parse_id(undo_text, &undo) == 0
	                       : cli->nwords == 2 && cli_parse_id(cli->words[0], &survivor) == 0 &&
	                             cli_parse_id(cli->words[1], &merged) == 0);
	if (!ok) {
		fprintf(stderr, "guanxi merge: SURVIVOR MERGED [--kind contact|account], or "
		                "--undo MERGE_ID (see --help)\n");
		return EXIT_USAGE;
	}
	struct crm_ctx ctx;
	int code = cli_open(cli, &ctx, 0);
	if (code != EXIT_OK)
		return code;
	struct gx_error err = {0};
	json_t *out = NULL;
	int rc;
	if (undo)
		rc = merge_undo(&ctx, undo, &out, &err);
	else {
		json_t *body = json_pack("{s:I, s:I}", "survivor", (json_int_t)survivor, "merged",
		                         (json_int_t)merged);
		rc = merge_records(&ctx, kind, body, &out, &err);
		json_decref(body);
	}
	cli_close(&ctx);
	if (rc < 0)
		return cli_fail(&err);
	if (cli_wants_json(cli))
		cli_print_json(out);
	else if (undo)
		printf("undid merge %lld: %s is back\n", (long long)undo,
		       name_of(json_object_get(out, "restored")));
	else
		printf("merged %lld into %lld (%s) as merge %lld; undo with `guanxi merge --undo "
		       "%lld`\n",
		       (long long)merged, (long long)survivor,
		       name_of(json_object_get(out, "survivor")),
		       (long long)json_integer_value(json_object_get(out, "merge_id")),
		       (long long)json_integer_value(json_object_get(out, "merge_id")));
	json_decref(out);
	return EXIT_OK;
}

static void print_section(const char *title, const json_t *s)
{
	printf("%s: %lld, stale %lld\n  completeness:", title,
	       (long long)json_integer_value(json_object_get(s, "total")),
	       (long long)json_integer_value(json_object_get(s, "stale")));
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)json_object_get(s, "completeness"), key, v)
	{
		printf(" %s %.1f%%", key, json_real_value(v));
	}
	printf("\n");
}

int cmd_quality(struct cli *cli)
{
	long months = 12;
	if (cli->nwords || cli_number_flag(cli, "stale-months", 1, 240, &months) < 0) {
		fprintf(stderr,
		        "guanxi quality: [--stale-months 1..240] [--format json] (see --help)\n");
		return EXIT_USAGE;
	}
	struct crm_ctx ctx;
	int code = cli_open(cli, &ctx, 0);
	if (code != EXIT_OK)
		return code;
	struct gx_error err = {0};
	json_t *out = NULL;
	int rc = quality_report(&ctx, (int)months, &out, &err);
	cli_close(&ctx);
	if (rc < 0)
		return cli_fail(&err);
	if (cli_wants_json(cli)) {
		cli_print_json(out);
		json_decref(out);
		return EXIT_OK;
	}
	const json_t *contacts = json_object_get(out, "contacts");
	const json_t *invalid = json_object_get(contacts, "invalid");
	printf("stale means no interaction in %ld months\n", months);
	print_section("contacts", contacts);
	print_section("accounts", json_object_get(out, "accounts"));
	printf("invalid: %lld phones, %lld emails, %lld birthdays\n",
	       (long long)json_integer_value(json_object_get(invalid, "phones")),
	       (long long)json_integer_value(json_object_get(invalid, "emails")),
	       (long long)json_integer_value(json_object_get(invalid, "birthdays")));
	for (int i = 0; i < 2; i++) {
		const char *section = i ? "accounts" : "contacts";
		const json_t *dups = json_object_get(json_object_get(out, section), "duplicates");
		printf("duplicate %s: %lld pairs in %lld clusters (%lld %s)\n", section,
		       (long long)json_integer_value(json_object_get(dups, "pairs")),
		       (long long)json_integer_value(json_object_get(dups, "clusters")),
		       (long long)json_integer_value(json_object_get(dups, "records")), section);
	}
	printf("%-20s %9s %9s %11s %8s %8s\n", "owner", "contacts", "stale", "unreachable",
	       "bad tel", "bad mail");
	size_t i;
	json_t *o;
	json_array_foreach(json_object_get(out, "owners"), i, o)
	{
		const char *user = json_string_value(json_object_get(o, "username"));
		printf("%-20s %9lld %9lld %11lld %8lld %8lld\n", user ? user : "(none)",
		       (long long)json_integer_value(json_object_get(o, "contacts")),
		       (long long)json_integer_value(json_object_get(o, "stale")),
		       (long long)json_integer_value(json_object_get(o, "unreachable")),
		       (long long)json_integer_value(json_object_get(o, "invalid_phones")),
		       (long long)json_integer_value(json_object_get(o, "invalid_emails")));
	}
	json_decref(out);
	return EXIT_OK;
}

int cmd_privacy(struct cli *cli)
{
	int64_t id;
	if (cli->nwords != 2 || cli_parse_id(cli->words[1], &id) < 0 ||
	    (strcmp(cli->words[0], "export") != 0 && strcmp(cli->words[0], "erase") != 0)) {
		fprintf(stderr, "guanxi privacy: export ID | erase ID (see --help)\n");
		return EXIT_USAGE;
	}
	struct crm_ctx ctx;
	int code = cli_open(cli, &ctx, 0);
	if (code != EXIT_OK)
		return code;
	struct gx_error err = {0};
	json_t *out = NULL;
	int rc = strcmp(cli->words[0], "export") == 0 ? privacy_export(&ctx, id, &out, &err)
	                                              : privacy_erase(&ctx, id, &out, &err);
	cli_close(&ctx);
	if (rc < 0)
		return cli_fail(&err);
	cli_print_json(out);
	json_decref(out);
	return EXIT_OK;
}
