/* cli_import.c — `guanxi import` (with a progress bar on a terminal, Ctrl-C stopping after the
 * current batch) and `guanxi export`. */
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "crm/exports.h"
#include "crm/imports.h"
#include "crm/records.h"

static atomic_int interrupted;

static void on_interrupt(int sig)
{
	(void)sig;
	atomic_store(&interrupted, 1);
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 1 << 16, n = 0;
	char *data = malloc(cap);
	while (data) {
		size_t got = fread(data + n, 1, cap - n, f);
		n += got;
		if (n < cap)
			break;
		char *grown = realloc(data, cap * 2);
		if (!grown) {
			free(data);
			data = NULL;
		} else {
			data = grown;
			cap *= 2;
		}
	}
	int failed = ferror(f);
	if (f != stdin)
		fclose(f);
	if (failed) {
		free(data);
		return NULL;
	}
	*len = n;
	return data;
}

struct bar {
	struct timespec start;
	int tty;
	int64_t first_done; /* rows done when this run started (a resumed job) */
	int started;
};

static double since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* [#########.........]  45%  450,000/1,000,000 rows  112,340 rows/s  0:04 left */
static void show_progress(void *arg, const struct import_progress *p)
{
	struct bar *bar = arg;
	if (!bar->started) {
		bar->started = 1;
		bar->first_done = p->rows_done;
		clock_gettime(CLOCK_MONOTONIC, &bar->start);
	}
	if (!bar->tty)
		return;
	double secs = since(&bar->start);
	double rate = secs > 0 ? (double)(p->rows_done - bar->first_done) / secs : 0;
	double frac = p->rows_total ? (double)p->rows_done / (double)p->rows_total : 1;
	long left = rate > 0 ? (long)((double)(p->rows_total - p->rows_done) / rate) : 0;
	char cells[31];
	int filled = (int)(frac * 30);
	for (int i = 0; i < 30; i++)
		cells[i] = i < filled ? '#' : '.';
	cells[30] = '\0';
	fprintf(stderr, "\r[%s] %3d%%  %lld/%lld rows  %.0f rows/s  %ld:%02ld left ", cells,
	        (int)(frac * 100), (long long)p->rows_done, (long long)p->rows_total, rate,
	        left / 60, left % 60);
	if (p->rows_done >= p->rows_total)
		fputc('\n', stderr);
}

static void print_report(const json_t *r, double secs)
{
	const char *key;
	json_t *v;
	printf("%s %s (%s, %s) into %s\n",
	       json_is_true(json_object_get(r, "dry_run")) ? "dry run of" : "imported",
	       json_string_value(json_object_get(r, "filename")),
	       json_string_value(json_object_get(r, "format")),
	       json_string_value(json_object_get(r, "encoding")),
	       json_string_value(json_object_get(r, "kind")));
	json_object_foreach(json_object_get(r, "mapping"), key, v)
	{
		printf("  column %-24s -> %s\n", key,
		       json_is_string(v) ? json_string_value(v) : "(ignored)");
	}
	long long rows = json_integer_value(json_object_get(r, "rows_done"));
	printf("%s: %lld rows: %lld created, %lld updated, %lld duplicates skipped, %lld rejected",
	       json_string_value(json_object_get(r, "status")), rows,
	       (long long)json_integer_value(json_object_get(r, "created")),
	       (long long)json_integer_value(json_object_get(r, "updated")),
	       (long long)json_integer_value(json_object_get(r, "duplicates")),
	       (long long)json_integer_value(json_object_get(r, "rejected")));
	if (secs > 0)
		printf(" (%.1f s, %.0f rows/s)", secs, (double)rows / secs);
	printf("\n");
	size_t i;
	json_t *reject;
	json_array_foreach(json_object_get(r, "rejects"), i, reject)
	{
		if (i == 100) {
			printf("  ... (see --format json for all)\n");
			break;
		}
		const char *field = json_string_value(json_object_get(reject, "field"));
		printf("  line %lld%s%s: %s\n",
		       (long long)json_integer_value(json_object_get(reject, "line")),
		       field ? ", " : "", field ? field : "",
		       json_string_value(json_object_get(reject, "message")));
	}
}

int cmd_import(struct cli *cli)
{
	if (cli->nwords != 1) {
		fprintf(stderr,
		        "guanxi import: give the file to import (see guanxi import --help)\n");
		return EXIT_USAGE;
	}
	const char *batch = cli_flag(cli, "batch"), *threads = cli_flag(cli, "threads");
	struct bar bar = {.tty = isatty(2)};
	struct import_options opt = {
	    .kind = cli_flag(cli, "type"),
	    .encoding = cli_flag(cli, "encoding"),
	    .timezone = cli_flag(cli, "timezone"),
	    .mapping_name = cli_flag(cli, "mapping"),
	    .format = cli_flag(cli, "file-format"),
	    .filename = cli->words[0],
	    .dry_run = cli_flag(cli, "dry-run") != NULL,
	    .restart = cli_flag(cli, "restart") != NULL,
	    .batch_rows = batch ? (int)strtol(batch, NULL, 10) : 0,
	    .threads = threads ? (int)strtol(threads, NULL, 10) : 0,
	    .progress = show_progress,
	    .progress_arg = &bar,
	    .cancel = &interrupted,
	};
	size_t len = 0;
	char *data = read_file(cli->words[0], &len);
	if (!data) {
		fprintf(stderr, "guanxi import: cannot read %s\n", cli->words[0]);
		return EXIT_INVALID;
	}
	struct crm_ctx ctx;
	int code = cli_open(cli, &ctx, 1);
	if (code != EXIT_OK) {
		free(data);
		return code;
	}
	signal(SIGINT, on_interrupt);
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	struct gx_error err = {0};
	json_t *report = NULL;
	int rc = imports_run(&ctx, data, len, &opt, 0, &report, &err);
	double secs = since(&t0);
	signal(SIGINT, SIG_DFL);
	cli_close(&ctx);
	free(data);
	if (rc < 0)
		return cli_fail(&err);
	const char *format = cli_flag(cli, "format");
	if (format && strcmp(format, "json") == 0) {
		json_dumpf(report, stdout, JSON_INDENT(2));
		printf("\n");
	} else {
		print_report(report, secs);
	}
	const char *status = json_string_value(json_object_get(report, "status"));
	if (strcmp(status, "cancelled") == 0)
		fprintf(stderr,
		        "stopped after a whole batch; run the same command again to resume\n");
	code = json_integer_value(json_object_get(report, "rejected")) > 0 ? EXIT_INVALID : EXIT_OK;
	json_decref(report);
	return code;
}

int cmd_export(struct cli *cli)
{
	const char *type = cli_flag(cli, "type"), *output = cli_flag(cli, "output");
	const struct record_kind *kind = type ? records_kind(type) : NULL;
	int format = exports_format(cli_flag(cli, "format"));
	if (!kind || format < 0 || cli->nwords) {
		fprintf(stderr, "guanxi export: --type contacts|accounts|interactions|orders and "
		                "--format csv|xlsx|vcf (see guanxi export --help)\n");
		return EXIT_USAGE;
	}
	struct crm_ctx ctx;
	int code = cli_open(cli, &ctx, 0);
	if (code != EXIT_OK)
		return code;
	char temp[] = "/tmp/guanxi-export-XXXXXX";
	int fd = output ? -1 : mkstemp(temp);
	if (!output && fd < 0) {
		cli_close(&ctx);
		fprintf(stderr, "guanxi export: cannot make a temporary file\n");
		return EXIT_FAILURE_;
	}
	if (fd >= 0)
		close(fd);
	struct list_query lq = {.q = cli_flag(cli, "q"), .filters = json_object()};
	struct gx_error err = {0};
	int64_t rows = 0;
	int rc = exports_write(&ctx, kind, (enum export_format)format, &lq, output ? output : temp,
	                       &rows, &err);
	json_decref(lq.filters);
	cli_close(&ctx);
	if (rc == 0 && !output) {
		FILE *f = fopen(temp, "rb");
		char buf[65536];
		size_t n;
		while (f && (n = fread(buf, 1, sizeof buf, f)) > 0)
			fwrite(buf, 1, n, stdout);
		if (f)
			fclose(f);
	}
	if (!output)
		unlink(temp);
	if (rc < 0)
		return cli_fail(&err);
	if (output)
		fprintf(stderr, "%lld %s written to %s\n", (long long)rows, type, output);
	return EXIT_OK;
}
