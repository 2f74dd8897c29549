/* cli_user.c — `guanxi user add|passwd|list`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli/cli.h"
#include "crm/users.h"

/* GUANXI_PASSWORD, else one line from standard input (not echoed on a terminal). */
static int read_password(char *out, size_t size)
{
	const char *env = getenv("GUANXI_PASSWORD");
	if (env) {
		snprintf(out, size, "%s", env);
		return 0;
	}
	struct termios saved, quiet;
	int tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0;
	if (tty) {
		fprintf(stderr, "Password: ");
		quiet = saved;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	char *line = fgets(out, (int)size, stdin);
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
		fprintf(stderr, "\n");
	}
	if (!line)
		return -1;
	out[strcspn(out, "\r\n")] = '\0';
	return 0;
}

static int find_user(struct crm_ctx *ctx, const char *username, int64_t *id)
{
	json_t *list = NULL;
	struct gx_error err = {0};
	if (users_list(ctx, &list, &err) < 0)
		return cli_fail(&err);
	size_t i;
	json_t *u;
	*id = 0;
	json_array_foreach(json_object_get(list, "data"), i, u)
	{
		if (strcmp(json_string_value(json_object_get(u, "username")), username) == 0)
			*id = json_integer_value(json_object_get(u, "id"));
	}
	json_decref(list);
	if (*id)
		return EXIT_OK;
	fprintf(stderr, "guanxi: no user %s\n", username);
	return EXIT_NOTHING;
}

static int add_user(struct crm_ctx *ctx, struct cli *cli, const char *username)
{
	char password[1100];
	if (read_password(password, sizeof password) < 0) {
		fprintf(stderr, "guanxi: no password given\n");
		return EXIT_USAGE;
	}
	json_t *body = json_pack("{s:s, s:s, s:s?, s:s?, s:s?, s:s?}", "username", username,
	                         "password", password, "role", cli_flag(cli, "role"), "team",
	                         cli_flag(cli, "team"), "display_name",
	                         cli_flag(cli, "display-name"), "locale", cli_flag(cli, "locale"));
	static const char *const optional[] = {"role", "team", "display_name", "locale"};
	for (size_t i = 0; i < sizeof optional / sizeof optional[0]; i++)
		if (json_is_null(json_object_get(body, optional[i])))
			json_object_del(body, optional[i]); /* flags not given are left unset */
	struct gx_error err = {0};
	json_t *out = NULL;
	int rc = users_create(ctx, body, &out, &err);
	json_decref(body);
	memset(password, 0, sizeof password);
	if (rc < 0)
		return cli_fail(&err);
	printf("created user %s (id %lld)\n", username,
	       (long long)json_integer_value(json_object_get(out, "id")));
	json_decref(out);
	return EXIT_OK;
}

static int change_password(struct crm_ctx *ctx, const char *username)
{
	int64_t id = 0;
	int code = find_user(ctx, username, &id);
	if (code != EXIT_OK)
		return code;
	char password[1100];
	if (read_password(password, sizeof password) < 0) {
		fprintf(stderr, "guanxi: no password given\n");
		return EXIT_USAGE;
	}
	json_t *body = json_pack("{s:s}", "password", password);
	memset(password, 0, sizeof password);
	struct gx_error err = {0};
	json_t *out = NULL;
	int rc = users_update(ctx, id, body, &out, &err);
	json_decref(body);
	json_decref(out);
	if (rc < 0)
		return cli_fail(&err);
	printf("password of %s changed; their sessions were ended\n", username);
	return EXIT_OK;
}

static int list_users(struct crm_ctx *ctx)
{
	json_t *list = NULL;
	struct gx_error err = {0};
	if (users_list(ctx, &list, &err) < 0)
		return cli_fail(&err);
	size_t i;
	json_t *u;
	printf("%-6s %-20s %-10s %-12s %-6s %s\n", "ID", "USERNAME", "ROLE", "TEAM", "ACTIVE",
	       "NAME");
	json_array_foreach(json_object_get(list, "data"), i, u)
	{
		const char *team = json_string_value(json_object_get(u, "team"));
		const char *name = json_string_value(json_object_get(u, "display_name"));
		printf("%-6lld %-20s %-10s %-12s %-6s %s\n",
		       (long long)json_integer_value(json_object_get(u, "id")),
		       json_string_value(json_object_get(u, "username")),
		       json_string_value(json_object_get(u, "role")), team ? team : "-",
		       json_is_true(json_object_get(u, "active")) ? "yes" : "no", name ? name : "");
	}
	json_decref(list);
	return EXIT_OK;
}

int cmd_user(struct cli *cli)
{
	const char *action = cli->nwords > 0 ? cli->words[0] : "";
	int needs_name = strcmp(action, "add") == 0 || strcmp(action, "passwd") == 0;
	if ((needs_name && cli->nwords != 2) || (!needs_name && strcmp(action, "list") != 0)) {
		fprintf(stderr, "guanxi user: use add NAME --role ROLE, passwd NAME or list "
		                "(see guanxi user --help)\n");
		return EXIT_USAGE;
	}
	struct crm_ctx ctx;
	int code = cli_open(cli, &ctx, 0);
	if (code != EXIT_OK)
		return code;
	if (strcmp(action, "add") == 0)
		code = add_user(&ctx, cli, cli->words[1]);
	else if (strcmp(action, "passwd") == 0)
		code = change_password(&ctx, cli->words[1]);
	else
		code = list_users(&ctx);
	cli_close(&ctx);
	return code;
}
