/* cli_network.c — `guanxi orgchart`, `network`, `path` and `referrals`: the customers' own
 * network from the command line, through the same domain functions as the API (crm/network.h),
 * as the system actor (every record visible). --format json prints the API's JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "crm/network.h"

static const char *text_of(const json_t *object, const char *key)
{
	const char *s = json_string_value(json_object_get(object, key));
	return s ? s : "-";
}

static void print_report(const json_t *person, int depth)
{
	printf("%*s%s (contact %lld)", depth * 2, "", text_of(person, "name"),
	       (long long)json_integer_value(json_object_get(person, "id")));
	if (json_is_string(json_object_get(person, "title")))
		printf(", %s", text_of(person, "title"));
	if (json_is_string(json_object_get(person, "department")))
		printf(", %s", text_of(person, "department"));
	if (json_is_string(json_object_get(person, "buying_role")))
		printf(" [%s]", text_of(person, "buying_role"));
	printf("\n");
	size_t i;
	const json_t *r;
	json_array_foreach(json_object_get(person, "reports"), i, r)
	{
		print_report(r, depth + 1);
	}
}

static int finish(const struct cli *cli, json_t *out, int found, void (*print)(const json_t *))
{
	if (cli_wants_json(cli))
		cli_print_json(out);
	else
		print(out);
	json_decref(out);
	return found ? EXIT_OK : EXIT_NOTHING;
}

static void print_orgchart(const json_t *out)
{
	const json_t *account = json_object_get(out, "account");
	printf("%s (account %lld): %lld people\n", text_of(account, "name"),
	       (long long)json_integer_value(json_object_get(account, "id")),
	       (long long)json_integer_value(json_object_get(out, "count")));
	size_t i;
	const json_t *root;
	json_array_foreach(json_object_get(out, "roots"), i, root)
	{
		print_report(root, 1);
	}
}

int cmd_orgchart(struct cli *cli)
{
	int64_t id;
	if (cli->nwords != 1 || cli_parse_id(cli->words[0], &id) < 0) {
		fprintf(stderr,
		        "guanxi orgchart: give one account id (see guanxi orgchart --help)\n");
		return EXIT_USAGE;
	}
	struct crm_ctx ctx;
	int code = cli_open(cli, &ctx, 0);
	if (code != EXIT_OK)
		return code;
	struct gx_error err = {0};
	json_t *out = NULL;
	int rc = network_orgchart(&ctx, id, &out, &err);
	cli_close(&ctx);
	if (rc < 0)
		return cli_fail(&err);
	int found = json_integer_value(json_object_get(out, "count")) > 0;
	if (!found)
		fprintf(stderr, "account %lld has no people on file\n", (long long)id);
	return finish(cli, out, found, print_orgchart);
}

static void print_node(const json_t *node)
{
	printf("%-18s %s", text_of(node, "key"), text_of(node, "name"));
	if (json_is_string(json_object_get(node, "title")))
		printf(", %s", text_of(node, "title"));
	if (json_is_string(json_object_get(node, "buying_role")))
		printf(" [%s]", text_of(node, "buying_role"));
}

static void print_network(const json_t *out)
{
	size_t i;
	const json_t *node;
	json_array_foreach(json_object_get(out, "nodes"), i, node)
	{
		printf("%lld  ", (long long)json_integer_value(json_object_get(node, "depth")));
		print_node(node);
		printf("\n");
	}
	printf("%zu nodes, %zu edges within %lld hops%s\n",
	       json_array_size(json_object_get(out, "nodes")),
	       json_array_size(json_object_get(out, "edges")),
	       (long long)json_integer_value(json_object_get(out, "hops")),
	       json_is_true(json_object_get(out, "truncated")) ? " (truncated)" : "");
}

int cmd_network(struct cli *cli)
{
	struct network_node center = {0};
	long hops = 2;
	int bad = cli_number_flag(cli, "hops", 1, NETWORK_MAX_HOPS, &hops);
	if (cli->nwords != 2 || bad || cli_parse_id(cli->words[1], &center.id) < 0 ||
	    (strcmp(cli->words[0], "contact") != 0 && strcmp(cli->words[0], "account") != 0)) {
		fprintf(stderr,
		        "guanxi network: give contact|account ID and --hops 1..%d (see "
		        "--help)\n",
		        NETWORK_MAX_HOPS);
		return EXIT_USAGE;
	}
	center.is_contact = strcmp(cli->words[0], "contact") == 0;
	struct crm_ctx ctx;
	int code = cli_open(cli, &ctx, 0);
	if (code != EXIT_OK)
		return code;
	struct gx_error err = {0};
	json_t *out = NULL;
	int rc = network_neighbourhood(&ctx, center, (int)hops, &out, &err);
	cli_close(&ctx);
	if (rc < 0)
		return cli_fail(&err);
	return finish(cli, out, json_array_size(json_object_get(out, "nodes")) > 1, print_network);
}

static void print_paths(const json_t *out)
{
	size_t i, k;
	const json_t *path, *node;
	json_array_foreach(json_object_get(out, "paths"), i, path)
	{
		printf("%lld hops:\n",
		       (long long)json_integer_value(json_object_get(path, "hops")));
		json_array_foreach(json_object_get(path, "nodes"), k, node)
		{
			const json_t *edge = json_array_get(json_object_get(path, "edges"), k);
			printf("  ");
			print_node(node);
			printf("\n");
			if (edge)
				printf("    | %s\n", text_of(edge, "type"));
		}
	}
	if (!json_array_size(json_object_get(out, "paths")))
		fprintf(stderr, "no path within reach\n");
}

int cmd_path(struct cli *cli)
{
	struct network_node from, to;
	long max_hops = 4;
	int bad = cli_number_flag(cli, "max-hops", 1, NETWORK_MAX_PATH_HOPS, &max_hops);
	if (cli->nwords != 2 || bad || network_parse_node(cli->words[0], &from) < 0 ||
	    network_parse_node(cli->words[1], &to) < 0) {
		fprintf(stderr, "guanxi path: give FROM and TO as contact:ID or account:ID (see "
		                "--help)\n");
		return EXIT_USAGE;
	}
	struct crm_ctx ctx;
	int code = cli_open(cli, &ctx, 0);
	if (code != EXIT_OK)
		return code;
	struct gx_error err = {0};
	json_t *out = NULL;
	int rc = network_paths(&ctx, &from, to, (int)max_hops, 1, &out, &err);
	cli_close(&ctx);
	if (rc < 0)
		return cli_fail(&err);
	return finish(cli, out, json_array_size(json_object_get(out, "paths")) > 0, print_paths);
}

static void print_referred(const json_t *list, int depth)
{
	size_t i;
	const json_t *c;
	json_array_foreach(list, i, c)
	{
		printf("%*s%s %s: %s\n", depth * 2, "", text_of(c, "key"), text_of(c, "name"),
		       text_of(c, "revenue"));
		print_referred(json_object_get(c, "referred"), depth + 1);
	}
}

static void print_referrals(const json_t *out)
{
	size_t i;
	const json_t *chain;
	json_array_foreach(json_object_get(out, "data"), i, chain)
	{
		const json_t *referrer = json_object_get(chain, "referrer");
		printf("%s %s: %lld customers, %s %s (direct %s)\n", text_of(referrer, "key"),
		       text_of(referrer, "name"),
		       (long long)json_integer_value(json_object_get(chain, "customers")),
		       text_of(chain, "chain_revenue"), text_of(out, "currency"),
		       text_of(chain, "direct_revenue"));
		print_referred(json_object_get(chain, "referred"), 1);
	}
	if (!json_array_size(json_object_get(out, "data")))
		fprintf(stderr, "no referrals on file\n");
}

int cmd_referrals(struct cli *cli)
{
	long limit = 50;
	int bad = cli_number_flag(cli, "limit", 1, 500, &limit);
	if (cli->nwords != 0 || bad) {
		fprintf(stderr, "guanxi referrals: only --limit 1..500 (see --help)\n");
		return EXIT_USAGE;
	}
	struct crm_ctx ctx;
	int code = cli_open(cli, &ctx, 0);
	if (code != EXIT_OK)
		return code;
	struct gx_error err = {0};
	json_t *out = NULL;
	int rc = network_referrals(&ctx, (int)limit, NULL, &out, &err);
	cli_close(&ctx);
	if (rc < 0)
		return cli_fail(&err);
	return finish(cli, out, json_array_size(json_object_get(out, "data")) > 0, print_referrals);
}
