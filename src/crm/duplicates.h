/* duplicates.h — likely duplicate contacts: a score with its reasons for any two contacts, the
 * whole-database scan that stores candidate pairs, the list of pairs behind the visibility rule,
 * dismissal ("not a duplicate") and the entry-time check before a contact is saved.
 * Evidence: the same phone (E.164), the same email (case-folded), the same name in any script
 * (张伟 = 張偉 = Zhang Wei = Wei Zhang = zhangwei), a similar Latin name (typos, initials,
 * order), the same company and the same address. A pair is a candidate at DUPLICATES_THRESHOLD. */
#ifndef GX_CRM_DUPLICATES_H
#define GX_CRM_DUPLICATES_H

#include <jansson.h>

#include "crm/access.h"

#define DUPLICATES_THRESHOLD 50

/* Score 0..100 of two contacts in their API form (phones carry e164) and the reasons,
 * [{"code": "same_phone", "points": 40, "text": "..."}] (reasons may be NULL). */
int duplicates_compare(const json_t *a, const json_t *b, json_t **reasons);

/* The name blocking key: the letters of the name's tokens (pinyin syllables for Chinese
 * characters, folded Latin words) sorted, so every spelling and order of one name shares it.
 * "张伟", "張偉", "Zhang Wei", "Wei Zhang" and "zhangwei" all give "aeghinwz". Caller frees. */
char *duplicates_name_key(const char *name);

struct duplicates_scan_stats {
	int64_t contacts;   /* read */
	int64_t keys;       /* blocking keys made */
	int64_t compared;   /* pairs scored */
	int64_t pairs;      /* candidate pairs stored (open or already dismissed) */
	int64_t big_blocks; /* blocks over the cap, compared only within name sub-blocks */
	double seconds;
};

/* Rescans every contact and replaces the open candidate pairs; dismissed pairs stay
 * dismissed. Partitions the work over two threads. Admins and managers only. */
int duplicates_scan(struct crm_ctx *ctx, struct duplicates_scan_stats *stats, struct gx_error *err);

/* {"data": [{"score", "reasons", "a": contact, "b": contact}], "next_cursor"} best first,
 * only pairs whose two contacts the actor may see. min_score 0 means the threshold. */
int duplicates_list(struct crm_ctx *ctx, int limit, const char *cursor, int min_score, json_t **out,
                    struct gx_error *err);

/* Marks the pair "not a duplicate": later scans keep it out of the list. */
int duplicates_dismiss(struct crm_ctx *ctx, int64_t a, int64_t b, struct gx_error *err);

/* Entry-time check: the visible contacts (other than self_id, 0 for none) that a contact in
 * API form would likely duplicate, best first, at most 10:
 * [{"id", "name", "score", "reasons"}]. */
int duplicates_check(struct crm_ctx *ctx, const json_t *contact, int64_t self_id, json_t **out,
                     struct gx_error *err);

/* Open pairs whose two contacts the actor may see, grouped into clusters (connected pairs). */
int duplicates_clusters(struct crm_ctx *ctx, int64_t *pairs, int64_t *clusters, int64_t *records,
                        struct gx_error *err);

#endif
