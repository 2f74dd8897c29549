/* cli_serve.c — `guanxi serve`: prepare the database (schema, first admin, demo data on a new
 * file), then run the HTTP server. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "cli/cli.h"
#include "crm/demo.h"
#include "crm/imports.h"
#include "crm/users.h"
#include "http/http.h"

/* The first admin: password from GUANXI_ADMIN_PASSWORD, or generated and printed this once. */
static int ensure_admin(struct crm_ctx *ctx, struct gx_error *err)
{
	int64_t users = 0;
	int rc = users_count(ctx->store, &users, err);
	if (rc < 0 || users > 0)
		return rc;
	char generated[32];
	unsigned char secret[15];
	randombytes_buf(secret, sizeof secret);
	sodium_bin2base64(generated, sizeof generated, secret, sizeof secret,
	                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	const char *password = getenv("GUANXI_ADMIN_PASSWORD");
	json_t *body = json_pack("{s:s, s:s, s:s, s:s}", "username", "admin", "password",
	                         password ? password : generated, "role", "admin", "display_name",
	                         "Administrator");
	json_t *out = NULL;
	rc = users_create(ctx, body, &out, err);
	json_decref(body);
	json_decref(out);
	if (rc == 0 && !password)
		printf(
		    "Created user admin with password %s\n(shown once; change it with `guanxi user "
		    "passwd admin`)\n",
		    generated);
	else if (rc == 0)
		printf("Created user admin with the password from GUANXI_ADMIN_PASSWORD\n");
	fflush(stdout);
	sodium_memzero(generated, sizeof generated);
	return rc;
}

static int fill_demo(struct crm_ctx *ctx, struct gx_error *err)
{
	struct demo_options options = {
	    .contacts = ctx->config->demo_contacts, .seed = 1, .now = clock_now()};
	struct demo_stats stats = {0};
	log_info(
	    "new database: generating demo data (%d contacts; GUANXI_DEMO_CONTACTS=0 for none)",
	    options.contacts);
	int rc = demo_generate(ctx, &options, &stats, err);
	if (rc == 0)
		log_info(
		    "demo data: %lld accounts, %lld contacts, %lld interactions, %lld orders in "
		    "%.1f s",
		    (long long)stats.accounts, (long long)stats.contacts,
		    (long long)stats.interactions, (long long)stats.orders, stats.seconds);
	return rc;
}

int cmd_serve(struct cli *cli)
{
	if (cli->nwords > 0 || cli->nflags > 0) {
		fprintf(stderr, "guanxi serve: unexpected argument (see guanxi serve --help)\n");
		return EXIT_USAGE;
	}
	int fresh = access(cli->config.db, F_OK) != 0;
	struct crm_ctx ctx;
	int code = cli_open(cli, &ctx, 1);
	if (code != EXIT_OK)
		return code;
	struct gx_error err = {0};
	int rc = ensure_admin(&ctx, &err);
	if (rc == 0 && fresh && cli->config.demo_contacts > 0)
		rc = fill_demo(&ctx, &err);
	cli_close(&ctx);
	if (rc == 0) {
		rc = server_run(&cli->config, &err);
		imports_shutdown(); /* running imports stop after their batch; they can resume */
	}
	return rc < 0 ? cli_fail(&err) : EXIT_OK;
}
