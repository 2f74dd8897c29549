/* duplicates.h — likely duplicate contacts and accounts: a score with its reasons for any two
 * records of a kind, the whole-database scan that stores candidate pairs, the list of pairs
 * behind the visibility rule, dismissal ("not a duplicate") and the entry-time check before a
 * record is saved. The kind is &contact_kind or &account_kind (crm/records.h).
 * Contacts: the same phone (E.164), the same email (case-folded), the same name in any script
 * (张伟 = 張偉 = Zhang Wei = Wei Zhang = zhangwei), a similar Latin name (typos, initials,
 * order), the same company and the same address. Accounts: crm/account_duplicates.h.
 * A pair is a candidate at DUPLICATES_THRESHOLD. */
#ifndef GX_CRM_DUPLICATES_H
#define GX_CRM_DUPLICATES_H

#include <jansson.h>

#include "crm/access.h"

#define DUPLICATES_THRESHOLD 50

struct record_kind;

/* Score 0..100 of two contacts in their API form (phones carry e164) and the reasons,
 * [{"code": "same_phone", "points": 40, "text": "..."}] (reasons may be NULL). */
int duplicates_compare(const json_t *a, const json_t *b, json_t **reasons);

/* The name blocking key: the letters of the name's tokens (pinyin syllables for Chinese
 * characters, folded Latin words) sorted, so every spelling and order of one name shares it.
 * "张伟", "張偉", "Zhang Wei", "Wei Zhang" and "zhangwei" all give "aeghinwz". Caller frees. */
char *duplicates_name_key(const char *name);

struct duplicates_scan_stats {
	int64_t records;    /* contacts or accounts read */
	int64_t keys;       /* blocking keys made */
	int64_t compared;   /* pairs scored */
	int64_t pairs;      /* candidate pairs stored (open or already dismissed) */
	int64_t big_blocks; /* blocks over the cap, compared only within name sub-blocks */
	double seconds;
};

/* Rescans every record of the kind and replaces its open candidate pairs; dismissed pairs stay
 * dismissed. Contacts are scored on two threads. Admins and managers only. */
int duplicates_scan(struct crm_ctx *ctx, const struct record_kind *kind,
                    struct duplicates_scan_stats *stats, struct gx_error *err);

/* {"data": [{"score", "reasons", "a": record, "b": record}], "next_cursor"} best first, only
 * pairs whose two records the actor may see. min_score 0 means the threshold. */
int duplicates_list(struct crm_ctx *ctx, const struct record_kind *kind, int limit,
                    const char *cursor, int min_score, json_t **out, struct gx_error *err);

/* Marks the pair "not a duplicate": later scans keep it out of the list. Needs the right to
 * change the kind and sight of both records. */
int duplicates_dismiss(struct crm_ctx *ctx, const struct record_kind *kind, int64_t a, int64_t b,
                       struct gx_error *err);

/* Entry-time check: the visible records of the kind (other than self_id, 0 for none) that a
 * record in API form would likely duplicate, best first, at most 10:
 * [{"id", "name", "score", "reasons"}]. */
int duplicates_check(struct crm_ctx *ctx, const struct record_kind *kind, const json_t *record,
                     int64_t self_id, json_t **out, struct gx_error *err);

/* Open pairs of the kind whose two records the actor may see, grouped into clusters (connected
 * pairs). */
int duplicates_clusters(struct crm_ctx *ctx, const struct record_kind *kind, int64_t *pairs,
                        int64_t *clusters, int64_t *records, struct gx_error *err);

#endif
