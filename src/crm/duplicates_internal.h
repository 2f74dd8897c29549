/* duplicates_internal.h — what the contact rule (duplicates.c) and the account rule
 * (account_duplicates.c) share, so neither copies the other: hashing, name tokens, the typo
 * distance, reasons tables, blocking keys and candidate pairs, storing a scan's pairs and the
 * candidate search of the entry-time check. Only those two files include it. */
#ifndef GX_CRM_DUPLICATES_INTERNAL_H
#define GX_CRM_DUPLICATES_INTERNAL_H

#include <jansson.h>
#include <stdint.h>
#include <string.h>

#include "base/hash.h"
#include "crm/records.h"
#include "crm/sql.h"

/* ---- hashing: 0 means "absent", so a hash is never 0 ------------------------------------ */

static inline uint64_t dup_hash_text(const char *s)
{
	return s && *s ? hash_bytes(s, strlen(s)) : 0;
}

/* ---- names ------------------------------------------------------------------------------- */

#define DUP_TOKENS_MAX 6

enum dup_script { DUP_SCRIPT_CJK = 1, DUP_SCRIPT_LATIN = 2 };

struct dup_tokens {
	char *list[DUP_TOKENS_MAX]; /* malloc'd, [a-z0-9] */
	int n;
};

int dup_is_cjk(int32_t cp);
/* Letters, marks and digits (CJK ideographs included). */
int dup_is_word(int32_t cp);
/* Name tokens: each Chinese character its pinyin syllable, each Latin word folded to [a-z0-9]
 * (the first DUP_TOKENS_MAX). Sets *script to the scripts seen. Free with dup_tokens_free. */
void dup_name_tokens(const char *name, struct dup_tokens *t, uint8_t *script);
void dup_tokens_free(struct dup_tokens *t);
/* Packs the tokens that fit into size bytes back to back, each NUL-terminated; returns how
 * many did. */
int dup_pack_tokens(const struct dup_tokens *t, char *packed, size_t size);
/* 1 when two packed lists of na and nb tokens have a token in common. */
int dup_packed_share(const char *a, int na, const char *b, int nb);
/* 1 when two [a-z0-9] words differ by a typo: at most one edit (two from 7 letters on), the
 * shorter at least 3 letters long. */
int dup_is_typo(const char *a, const char *b);

/* ---- reasons ----------------------------------------------------------------------------- */

/* Points are fixed per reason, so a score is the sum of its reasons, clamped to 0..100. */
struct dup_reason {
	unsigned bit;
	const char *code;
	int points;
	const char *text;
};

struct dup_rule {
	const struct dup_reason *reasons;
	size_t nreasons;
};

int dup_points(const struct dup_rule *rule, unsigned bits);
/* [{"code", "points", "text"}] */
json_t *dup_reasons_json(const struct dup_rule *rule, unsigned bits);

/* ---- the scan ---------------------------------------------------------------------------- */

struct dup_key {
	uint64_t hash;
	uint32_t item; /* index of the record in the scan */
	uint32_t tag;  /* what the key is of, for the rule that made it */
};

struct dup_pair {
	uint32_t a, b; /* record indexes, a < b */
	uint32_t reasons;
	int32_t score;
};

struct dup_pairs {
	struct dup_pair *data;
	size_t len, cap;
	int failed; /* out of memory: a pair was lost */
};

/* Sorts keys by hash; -1 when out of memory. */
int dup_sort_keys(struct dup_key *keys, size_t n);
void dup_pairs_push(struct dup_pairs *p, uint32_t a, uint32_t b, unsigned reasons, int score);
/* Sorts the pairs and drops repeats (a pair found in two blocks); returns the count left. */
size_t dup_pairs_unique(struct dup_pair *pairs, size_t n);
double dup_seconds_now(void);

/* Replaces the open pairs of one kind ("contact", "account") in one transaction: begin (deletes
 * the open rows), one call per pair (a pair dismissed before stays dismissed), end (commits when
 * rc is 0, else rolls back and returns rc). */
int dup_store_begin(struct crm_ctx *ctx, const char *entity, struct gx_error *err);
int dup_store_pair(struct crm_ctx *ctx, const char *entity, const struct dup_rule *rule, int64_t a,
                   int64_t b, unsigned reasons, int score, int64_t now, struct gx_error *err);
int dup_store_end(struct crm_ctx *ctx, int rc, struct gx_error *err);

/* ---- the entry-time check ---------------------------------------------------------------- */

/* Adds to ids ({"<id>": true}) the visible records of kind found by the search index for
 * needle (at least 2 bytes; shorter needles find nothing), at most 200. */
int dup_search_ids(struct crm_ctx *ctx, const struct record_kind *kind, const char *needle,
                   json_t *ids, struct gx_error *err);
/* The same for the condition in q, a "SELECT r.id FROM <table> r WHERE ..." (freed). */
int dup_collect_ids(struct crm_ctx *ctx, const struct record_kind *kind, struct sql *q, json_t *ids,
                    struct gx_error *err);

#endif
