/* demo.h — realistic demo data for a new database: users of two sales teams and the back office,
 * accounts with Chinese (simplified and traditional) and English names, contacts with phones as
 * people type them, three years of interactions and orders, tiers derived from the orders and the
 * search documents, so that `guanxi demo` and the first `make run` show a living CRM. */
#ifndef GX_CRM_DEMO_H
#define GX_CRM_DEMO_H

#include <stdint.h>

#include "crm/access.h"

/* Told now and then (about every 10,000 records) what is being written and how far it got,
 * from the caller's thread: "accounts", "contacts" (with their interactions and orders),
 * "phones", then once each "indexes", "tiers" and "checkpoint". */
typedef void demo_progress_fn(void *arg, const char *phase, int64_t done, int64_t total);

struct demo_options {
	int contacts;  /* 1 .. 10,000,000; accounts are about a fifth of it */
	uint64_t seed; /* the same options make byte-identical rows */
	int64_t now;   /* Unix seconds; the data spans the three years before it; 0: clock_now() */
	demo_progress_fn *progress; /* or NULL */
	void *progress_arg;
};

struct demo_stats {
	int64_t users, accounts, contacts, interactions, orders;
	int64_t relationships, positions; /* relationships; contact_positions rows */
	double seconds;                   /* wall time of demo_generate */
};

/* Fills an empty database: GX_ECONFLICT when it already holds accounts, contacts, interactions
 * or orders, GX_EVALIDATION for a contact count out of range. Deterministic: the same options
 * make byte-identical rows. For speed the load runs with relaxed durability (store_bulk_mode),
 * without foreign key checks and with two secondary indexes made at the end, on a second
 * thread for making the rows while the caller's thread writes them; full durability, checks and
 * indexes are back before it returns, also on failure. A failure half way leaves the rows
 * written so far: start again from a new file. Demo users get the unusable password hash "!":
 * an admin sets a password before they can log in. stats (may be NULL) is filled also on
 * failure, with what was made. */
int demo_generate(struct crm_ctx *ctx, const struct demo_options *opt, struct demo_stats *stats,
                  struct gx_error *err);

#endif
