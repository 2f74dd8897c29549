/* bench_lookup.c — in-process latency of the caller-id lookup, the contact 360 view and search
 * on a generated database: `bench_lookup DB SAMPLES`. Prints one "name p50 p99 max" line (µs)
 * per measure, for bench/run to collect. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crm/customer360.h"
#include "crm/lookup.h"
#include "crm/search.h"

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static void report(const char *name, double *t, int n)
{
	qsort(t, (size_t)n, sizeof *t, by_value);
	printf("%-14s n=%-7d p50=%.1f p99=%.1f max=%.1f us\n", name, n, t[n / 2], t[n * 99 / 100],
	       t[n - 1]);
}

/* Writes a stored +86 number the way people type it: "0086 138 0013 8000" and friends. */
static void as_typed(const char *e164, int style, char *out, size_t size)
{
	const char *national = strncmp(e164, "+86", 3) == 0 ? e164 + 3 : NULL;
	if (!national || style == 0)
		snprintf(out, size, "%s", e164);
	else if (style == 1)
		snprintf(out, size, "0086 %s", national);
	else
		snprintf(out, size, "+86 %.3s-%.4s-%s", national, national + 3, national + 7);
}

static int sample(struct crm_ctx *ctx, const char *sql, int n, char (*out)[32])
{
	struct gx_error err = {0};
	struct store_stmt *stmt = store_prepare(ctx->store, sql, &err);
	if (!stmt)
		return 0;
	store_bind_int(stmt, 1, n);
	int got = 0;
	while (got < n && store_step(stmt, &err) == STORE_ROW)
		snprintf(out[got++], 32, "%s", store_col_text(stmt, 0));
	store_done(stmt);
	return got;
}

static void bench_lookup(struct crm_ctx *ctx, char (*numbers)[32], int n, double *t)
{
	for (int i = 0; i < n; i++) {
		char typed[48];
		as_typed(numbers[i], i % 3, typed, sizeof typed);
		struct gx_error err = {0};
		json_t *out = NULL;
		double start = now_us();
		if (lookup_phone(ctx, typed, &out, &err) < 0 ||
		    json_array_size(json_object_get(out, "matches")) == 0)
			fprintf(stderr, "lookup %s found nothing\n", typed);
		t[i] = now_us() - start;
		json_decref(out);
	}
	report("lookup", t, n);
}

static void bench_360(struct crm_ctx *ctx, char (*ids)[32], int n, double *t)
{
	for (int i = 0; i < n; i++) {
		struct gx_error err = {0};
		json_t *out = NULL;
		double start = now_us();
		customer360_contact(ctx, atoll(ids[i]), &out, &err);
		char *text = json_dumps(out, JSON_COMPACT); /* the server serialises too */
		t[i] = now_us() - start;
		free(text);
		json_decref(out);
	}
	report("contact_360", t, n);
}

static void bench_search(struct crm_ctx *ctx, double *t)
{
	static const char *const queries[] = {"张伟",  "zhangwei", "zw",    "李",  "wang",
	                                      "13800", "有限公司", "gmail", "vip", "深圳"};
	int n = 0;
	for (int round = 0; round < 5; round++) {
		for (size_t q = 0; q < sizeof queries / sizeof queries[0]; q++) {
			struct gx_error err = {0};
			json_t *out = NULL;
			double start = now_us();
			search_run(ctx, queries[q], 20, &out, &err);
			t[n++] = now_us() - start;
			json_decref(out);
		}
	}
	report("search", t, n);
}

int main(int argc, char **argv)
{
	if (argc != 3 || sodium_init() < 0) {
		fprintf(stderr, "usage: bench_lookup DB SAMPLES\n");
		return 2;
	}
	int n = (int)strtol(argv[2], NULL, 10);
	struct config config;
	config_defaults(&config);
	struct crm_ctx ctx = {.config = &config, .actor = access_system_actor()};
	struct gx_error err = {0};
	if (n < 1 || store_open(&ctx.store, argv[1], &err) < 0) {
		fprintf(stderr, "bench_lookup: %s\n", err.message);
		return 1;
	}
	char(*keys)[32] = malloc((size_t)n * sizeof *keys);
	double *t = malloc((size_t)n * sizeof *t);
	int got =
	    sample(&ctx, "SELECT e164 FROM contact_phones ORDER BY random() LIMIT ?", n, keys);
	if (got)
		bench_lookup(&ctx, keys, got, t);
	got = sample(&ctx, "SELECT id FROM contacts ORDER BY random() LIMIT ?", n, keys);
	if (got)
		bench_360(&ctx, keys, got, t);
	bench_search(&ctx, t);
	free(keys);
	free(t);
	store_close(ctx.store);
	return 0;
}
