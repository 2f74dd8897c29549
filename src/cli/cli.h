/* cli.h — the `guanxi` command line. Exit codes scripts can trust:
 * 0 success, 1 nothing found (lookup, search), 2 usage error, 3 invalid input or conflict,
 * 4 database or system failure. */
#ifndef GX_CLI_H
#define GX_CLI_H

#include <jansson.h>
#include <stdint.h>

#include "base/config.h"
#include "crm/access.h"

enum cli_exit {
	EXIT_OK = 0,
	EXIT_NOTHING = 1,
	EXIT_USAGE = 2,
	EXIT_INVALID = 3,
	EXIT_FAILURE_ = 4
};

/* Parsed command line: the shared settings plus the command's own words and flags. */
struct cli {
	struct config config;
	const char *words[8]; /* positional arguments after the command */
	int nwords;
	const char *flags[16][2]; /* command-specific --name value pairs */
	int nflags;
	int help;
};

int cli_main(int argc, char **argv);

/* The value of a command-specific flag, or NULL. */
const char *cli_flag(const struct cli *cli, const char *name);
/* 1 when the command was asked for --format json. */
int cli_wants_json(const struct cli *cli);
/* A flag that is a whole number from min to max into *out (left as it is when the flag is
 * absent): 0, or -1 when it is malformed or out of range. */
int cli_number_flag(const struct cli *cli, const char *name, long min, long max, long *out);
/* A positive record id: 0, or -1 when text is not one. */
int cli_parse_id(const char *text, int64_t *id);
/* Prints value as indented JSON on stdout; EXIT_OK. */
int cli_print_json(const json_t *value);
/* Opens the configured database and checks its schema is this binary's (migrating when
 * migrate is set, creating the file only then). On failure prints why and returns the exit. */
int cli_open(struct cli *cli, struct crm_ctx *ctx, int migrate);
void cli_close(struct crm_ctx *ctx);
/* Prints err on stderr and returns the matching exit code. */
int cli_fail(const struct gx_error *err);

int cmd_serve(struct cli *cli);
int cmd_user(struct cli *cli);
int cmd_lookup(struct cli *cli);
int cmd_search(struct cli *cli);
int cmd_demo(struct cli *cli);
int cmd_backup(struct cli *cli);
int cmd_migrate(struct cli *cli);
int cmd_duplicates(struct cli *cli);
int cmd_merge(struct cli *cli);
int cmd_quality(struct cli *cli);
int cmd_privacy(struct cli *cli);
int cmd_import(struct cli *cli);
int cmd_export(struct cli *cli);
int cmd_orgchart(struct cli *cli);
int cmd_network(struct cli *cli);
int cmd_path(struct cli *cli);
int cmd_referrals(struct cli *cli);

#endif
