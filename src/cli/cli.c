/* cli.c — argument parsing, help, and opening the database for a command. */
#include "cli/cli.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "store/store.h"

static const struct command {
	const char *name;
	int (*run)(struct cli *cli);
	const char *usage;
	const char *help;
} commands[] = {
    {"serve", cmd_serve, "serve [--listen HOST:PORT] [--db FILE] [--web-dir DIR] [--threads N]",
     "Serve the API and the browser app. A new database gets the schema, an admin user (password\n"
     "from GUANXI_ADMIN_PASSWORD, else generated and printed once) and demo data\n"
     "(GUANXI_DEMO_CONTACTS, default 2000; 0 for none). Stops cleanly on SIGTERM or SIGINT."},
    {"user", cmd_user,
     "user add NAME --role ROLE [--team T] [--display-name N] [--locale L]\n"
     "       guanxi user passwd NAME\n       guanxi user list",
     "Manage users. Roles: admin, manager, sales, service, marketing, finance. The password is\n"
     "read from GUANXI_PASSWORD or, when unset, from standard input (one line)."},
    {"lookup", cmd_lookup, "lookup NUMBER",
     "Print the 360 summary of whoever has this phone number, written any way\n"
     "(138 0013 8000, +86 138-0013-8000, 0086..., full-width digits). Exit 1 when unknown."},
    {"search", cmd_search, "search TEXT [--limit N]",
     "Find accounts and contacts by any part of name, company, email, phone or tag, in\n"
     "Chinese (simplified or traditional) or Latin script, or by pinyin (zhangwei, zw).\n"
     "Exit 1 when nothing matches."},
    {"demo", cmd_demo, "demo --contacts N [--seed S]",
     "Fill an empty database with realistic demo data: N contacts, N/5 accounts, about 10\n"
     "interactions and 2 orders per contact over three years. The same seed gives the same data."},
    {"orgchart", cmd_orgchart, "orgchart ACCOUNT_ID [--format json]",
     "Print the org chart of an account: its people as a tree by whom they report to, with\n"
     "title, department and role in buying. Exit 1 when the account has no people on file."},
    {"network", cmd_network, "network contact|account ID [--hops N] [--format json]",
     "Everyone connected to a customer within N hops (1..4, default 2): their company, their\n"
     "manager and reports, and every relationship valid today. Exit 1 when nobody is."},
    {"path", cmd_path, "path FROM TO [--max-hops N] [--format json]",
     "The shortest chain of relationships from one customer to another, each written as\n"
     "contact:ID or account:ID (at most N hops, 1..6, default 4). Exit 1 when there is none."},
    {"referrals", cmd_referrals, "referrals [--limit N] [--format json]",
     "Referral chains (referred_by relationships) from each first referrer down, with the\n"
     "lifetime revenue of the customers they brought, highest first. Exit 1 when none."},
    {"import", cmd_import,
     "import FILE [--type contacts|accounts|interactions|orders] [--encoding auto|utf-8|gbk|big5]\n"
     "       [--region CN|TW|HK|...] [--timezone ZONE] [--mapping NAME] [--dry-run] [--restart]\n"
     "       [--batch N]",
     "Import a CSV (any delimiter; UTF-8, GB18030/GBK or Big5), XLSX or vCard file. Type and\n"
     "encoding are detected when not given; --region is the default region of numbers written\n"
     "without a country code; --timezone (an IANA name, default the timezone setting,\n"
     "Asia/Shanghai) is the zone of times written without an offset. --dry-run reports what\n"
     "would be created, updated, skipped as duplicates and rejected (with line, field and\n"
     "reason) and writes nothing. A real run commits in batches, resumes where it stopped\n"
     "(Ctrl-C stops after the current batch; --restart starts a new import instead), and\n"
     "changes nothing when run again on the same file. Exit 3 when rows were rejected."},
    {"export", cmd_export,
     "export --type contacts|accounts|interactions|orders [--format csv|xlsx|vcf] [--q TEXT]\n"
     "       [-o FILE]",
     "Export records (all, or those matching --q) to CSV, XLSX or, for contacts, vCard 4.0,\n"
     "in the columns `guanxi import` reads back. Writes to standard output without -o."},
    {"duplicates", cmd_duplicates,
     "duplicates [scan] [--kind contact|account] [--limit N] [--format json]",
     "List likely duplicate contacts (or with --kind account, accounts), best first, with their\n"
     "score and reasons: for contacts the same phone or email, the same name in any script or\n"
     "pinyin, a similar name, the same company or address; for accounts the same company name\n"
     "without its legal form (华为技术有限公司 = 華為技術), in pinyin, similar, or the same\n"
     "website. `scan` first rescans the whole database, the --kind given or both. Exit 1 when\n"
     "none."},
    {"merge", cmd_merge,
     "merge SURVIVOR MERGED [--kind contact|account] [--format json]\n"
     "       guanxi merge --undo MERGE_ID",
     "Merge the second record into the first: the survivor keeps its values, takes the ones it\n"
     "lacks and unites phones, emails, addresses and tags; interactions, orders, relationships\n"
     "and everything else move to it. --undo puts a merged record back."},
    {"quality", cmd_quality, "quality [--stale-months N] [--format json]",
     "The data-quality report: completeness per field, invalid phones, emails and birthdays,\n"
     "duplicate clusters, stale records (no interaction in N months, default 12), per owner."},
    {"privacy", cmd_privacy, "privacy export ID | privacy erase ID",
     "export: everything held about contact ID as one JSON document. erase: blank the person's\n"
     "data on request, keeping orders and counts, with an audit note without personal data."},
    {"backup", cmd_backup, "backup FILE",
     "Write a consistent copy of the database to FILE, safe while the server runs."},
    {"migrate", cmd_migrate, "migrate",
     "Create the database or upgrade its schema to this binary's version."},
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static const char common_flags[] =
    "Common options: --db FILE (default ./data/guanxi.db), --config FILE, --region CC,\n"
    "--currency CODE, --help. Environment: GUANXI_DB, GUANXI_LISTEN, GUANXI_REGION, ... (README).\n"
    "Exit codes: 0 ok, 1 nothing found, 2 usage, 3 invalid input, 4 database or system failure.\n";

static void usage(FILE *out)
{
	fprintf(out,
	        "Guanxi (关系) — a CRM for companies that speak Chinese or English.\n\nUsage:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(out, "  guanxi %s\n", commands[i].usage);
	fprintf(out, "\n%s", common_flags);
}

static void command_help(const struct command *c)
{
	printf("Usage: guanxi %s\n\n%s\n\n%s", c->usage, c->help, common_flags);
}

const char *cli_flag(const struct cli *cli, const char *name)
{
	for (int i = 0; i < cli->nflags; i++)
		if (strcmp(cli->flags[i][0], name) == 0)
			return cli->flags[i][1];
	return NULL;
}

int cli_wants_json(const struct cli *cli)
{
	const char *format = cli_flag(cli, "format");
	return format && strcmp(format, "json") == 0;
}

int cli_number_flag(const struct cli *cli, const char *name, long min, long max, long *out)
{
	const char *text = cli_flag(cli, name);
	if (!text)
		return 0;
	char *end;
	long n = strtol(text, &end, 10);
	if (!*text || *end || n < min || n > max)
		return -1;
	*out = n;
	return 0;
}

int cli_parse_id(const char *text, int64_t *id)
{
	char *end;
	long long n = strtoll(text, &end, 10);
	if (!*text || *end || n <= 0)
		return -1;
	*id = n;
	return 0;
}

int cli_print_json(const json_t *value)
{
	json_dumpf(value, stdout, JSON_INDENT(2));
	printf("\n");
	return EXIT_OK;
}

int cli_fail(const struct gx_error *err)
{
	fprintf(stderr, "guanxi: %s%s%s\n", err->message, err->field[0] ? " — " : "", err->field);
	switch (err->code) {
	case GX_EBADREQUEST: return EXIT_USAGE;
	case GX_EVALIDATION:
	case GX_ECONFLICT: return EXIT_INVALID;
	case GX_ENOTFOUND: return EXIT_NOTHING;
	default: return EXIT_FAILURE_;
	}
}

/* "--web-dir" -> config key "web_dir". */
static int set_common(struct cli *cli, const char *flag, const char *value, struct gx_error *err)
{
	static const char *const keys[] = {"db",       "listen",  "web-dir",  "region",
	                                   "currency", "threads", "max-body", NULL};
	for (const char *const *k = keys; *k; k++) {
		if (strcmp(flag, *k) != 0)
			continue;
		char key[32];
		snprintf(key, sizeof key, "%s", flag);
		for (char *p = key; *p; p++)
			*p = *p == '-' ? '_' : *p;
		return config_set(&cli->config, key, value, err) < 0 ? -1 : 1;
	}
	return 0;
}

static int parse_args(struct cli *cli, int argc, char **argv, struct gx_error *err)
{
	const char *config_file = NULL;
	for (int i = 0; i < argc; i++) /* the config file first: flags override it */
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			config_file = argv[i + 1];
	if (config_load(&cli->config, config_file, err) < 0)
		return -1;
	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i];
		if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
			cli->help = 1;
			continue;
		}
		if (strncmp(arg, "--", 2) != 0 && strcmp(arg, "-o") != 0) {
			if (cli->nwords == 8)
				return gx_fail(err, GX_EBADREQUEST, NULL, "too many arguments");
			cli->words[cli->nwords++] = arg;
			continue;
		}
		if ((strcmp(arg, "--dry-run") == 0 || strcmp(arg, "--restart") == 0) &&
		    cli->nflags < 16) { /* the flags without value */
			cli->flags[cli->nflags][0] = arg + 2;
			cli->flags[cli->nflags++][1] = "1";
			continue;
		}
		if (strcmp(arg, "-o") == 0)
			arg = "--output";
		if (i + 1 >= argc)
			return gx_fail(err, GX_EBADREQUEST, NULL, "%s needs a value", arg);
		const char *value = argv[++i];
		if (strcmp(arg, "--config") == 0)
			continue;
		int rc = set_common(cli, arg + 2, value, err);
		if (rc < 0)
			return -1;
		if (rc == 0 && cli->nflags < 16) {
			cli->flags[cli->nflags][0] = arg + 2;
			cli->flags[cli->nflags++][1] = value;
		}
	}
	return 0;
}

int cli_open(struct cli *cli, struct crm_ctx *ctx, int migrate)
{
	struct gx_error err = {0};
	*ctx = (struct crm_ctx){.config = &cli->config, .actor = access_system_actor()};
	if (!migrate && access(cli->config.db, F_OK) != 0) {
		fprintf(
		    stderr,
		    "guanxi: no database at %s (start `guanxi serve` or run `guanxi migrate`)\n",
		    cli->config.db);
		return EXIT_FAILURE_;
	}
	int version = 0;
	int rc = store_open(&ctx->store, cli->config.db, &err);
	if (rc == 0)
		rc = migrate ? store_migrate(ctx->store, &err)
		             : store_schema_version(ctx->store, &version, &err);
	if (rc == 0 && !migrate && version != store_schema_latest())
		rc = gx_fail(&err, GX_EINTERNAL, NULL,
		             "the database has schema version %d and this binary expects %d; run "
		             "`guanxi migrate` with the newer binary",
		             version, store_schema_latest());
	if (rc < 0) {
		store_close(ctx->store);
		ctx->store = NULL;
		return cli_fail(&err);
	}
	return EXIT_OK;
}

void cli_close(struct crm_ctx *ctx)
{
	store_close(ctx->store);
	ctx->store = NULL;
}

int cli_main(int argc, char **argv)
{
	if (sodium_init() < 0) {
		fprintf(stderr, "guanxi: libsodium cannot initialise\n");
		return EXIT_FAILURE_;
	}
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	for (size_t i = 0; i < NCOMMANDS; i++) {
		if (strcmp(argv[1], commands[i].name) != 0)
			continue;
		struct cli cli = {0};
		struct gx_error err = {0};
		config_defaults(&cli.config);
		if (parse_args(&cli, argc - 2, argv + 2, &err) < 0) {
			fprintf(stderr, "guanxi %s: %s\n", commands[i].name, err.message);
			return EXIT_USAGE;
		}
		if (cli.help) {
			command_help(&commands[i]);
			return EXIT_OK;
		}
		return commands[i].run(&cli);
	}
	fprintf(stderr, "guanxi: unknown command \"%s\"\n\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
