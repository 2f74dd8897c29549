/* account_duplicates.c — duplicate accounts: one scoring rule (score_companies) used by the
 * scan, the entry-time check and account_duplicates_compare, so they never disagree.
 * A company becomes a struct company: hashes of its normalised name, of that name's pinyin and
 * of its website's domain, the short texts the weaker reasons compare, and its name tokens. The
 * scan reads every account once (accounts are few: 200,000 beside a million contacts), blocks
 * on the normalised name and the domain, and scores inside the blocks on one thread. Only the
 * same name reaches the threshold without the same domain, so those two blocks lose no
 * candidate. A name block is one company written several ways, every pair of it a candidate:
 * it is stored as a star around its oldest account (n - 1 pairs, the same cluster) instead of
 * n(n - 1)/2 pairs, and a domain block compares one account of each name. A domain block over
 * BLOCK_CAP (a hosting site, a group's many subsidiaries) is compared only within its groups of
 * one pinyin.
 * Hashing, tokens, typos, reasons and storing pairs are shared with the contact rule through
 * duplicates_internal.h. */
#include "crm/account_duplicates.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <utf8proc.h>

#include "base/clock.h"
#include "base/text.h"
#include "crm/duplicates_internal.h"

#define NAME_BYTES 64    /* longer normalised names compare by hash only */
#define SPELLED_BYTES 32 /* the typo rule reads at most 31 bytes */
#define WORDS_MAX 16
#define BLOCK_CAP 200

enum key_tag { KEY_NAME = 1, KEY_DOMAIN = 2 };

/* What scoring needs of an account; hashes are 0 when the value is absent. */
struct company {
	int64_t id;
	uint64_t name;   /* the normalised name: 华为技术 for 華為技術有限公司 */
	uint64_t pinyin; /* its pinyin: huaweijishu for 华为技术 and for Huawei Jishu */
	uint64_t domain; /* huawei.com for https://www.huawei.com/cn */
	uint8_t script, ntokens;
	char norm[NAME_BYTES];       /* the normalised name, "" when longer */
	char spelled[SPELLED_BYTES]; /* its pinyin, "" when longer */
	char tokens[64];             /* ntokens NUL-terminated [a-z0-9] tokens back to back */
};

/* ---- reasons ------------------------------------------------------------------------- */

enum reason {
	R_SAME_NAME = 1 << 0,
	R_PINYIN = 1 << 1,
	R_SOUND_ALIKE = 1 << 2,
	R_SIMILAR = 1 << 3,
	R_SHORT_NAME = 1 << 4,
	R_DIFFERENT = 1 << 5,
	R_WEBSITE = 1 << 6,
};

/* The same normalised name alone reaches the threshold (two rows "华为技术有限公司" and "華為技術"
 * are the classic duplicate); every other name reason needs the same domain besides. */
static const struct dup_reason reason_table[] = {
    {R_SAME_NAME, "same_name", 50,
     "same company name (case, width, simplified/traditional, legal form and punctuation "
     "ignored)"},
    {R_PINYIN, "same_name_pinyin", 40, "same name in pinyin and in Chinese characters"},
    {R_SOUND_ALIKE, "name_sounds_alike", 30, "names sound alike (same pinyin, other characters)"},
    {R_SIMILAR, "similar_name", 30, "similar name (a typo)"},
    {R_SHORT_NAME, "short_name", 20, "one name is a short form of the other"},
    {R_DIFFERENT, "different_name", -25, "names have nothing in common"},
    {R_WEBSITE, "same_website", 40, "same website domain"},
};
static const struct dup_rule account_rule = {reason_table,
                                             sizeof reason_table / sizeof reason_table[0]};

/* ---- normal forms ---------------------------------------------------------------------- */

/* Legal forms as folded words, dropped from the end of a name of more than one word. */
static const char *const latin_forms[] = {"co",   "ltd",         "limited", "inc", "incorporated",
                                          "corp", "corporation", "llc",     "llp", "company",
                                          "gmbh", "group",       "pte",     "plc", NULL};
/* Folded (simplified), cut from the end of the last word; longest first, so 有限公司 goes
 * before 公司 could leave 有限 behind. */
static const char *const cjk_forms[] = {"股份有限公司", "有限责任公司", "有限公司",
                                        "集团",         "公司",         NULL};

struct words {
	char *list[WORDS_MAX]; /* folded, malloc'd */
	int n;
};

static void add_word(struct words *w, const char *bytes, size_t len)
{
	char *raw = strndup(bytes, len);
	char *folded = raw ? text_fold(raw) : NULL;
	free(raw);
	if (!folded || !*folded || w->n == WORDS_MAX) {
		free(folded); /* a name of more words than that is not a company name */
		return;
	}
	w->list[w->n++] = folded;
}

/* The runs of letters and digits of a (valid UTF-8) name, folded; a run also ends where CJK
 * meets other letters, so "华为科技Co.,Ltd." gives 华为科技, co, ltd. */
static void split_words(const char *name, struct words *w)
{
	const utf8proc_uint8_t *s = (const utf8proc_uint8_t *)name;
	size_t len = strlen(name), at = 0, start = 0;
	int in_word = 0, in_cjk = 0;
	w->n = 0;
	while (at <= len) {
		int32_t cp = 0;
		utf8proc_ssize_t n =
		    at < len ? utf8proc_iterate(s + at, (utf8proc_ssize_t)(len - at), &cp) : 1;
		if (n <= 0)
			break;
		int word = at < len && dup_is_word(cp), cjk = word && dup_is_cjk(cp);
		if (in_word && (!word || cjk != in_cjk)) {
			add_word(w, name + start, at - start);
			in_word = 0;
		}
		if (word && !in_word) {
			start = at;
			in_word = 1;
			in_cjk = cjk;
		}
		at += (size_t)n;
	}
}

static int listed(const char *const *list, const char *word)
{
	for (; *list; list++)
		if (strcmp(*list, word) == 0)
			return 1;
	return 0;
}

/* Drops one legal form from the end; 0 when there is none left to drop. */
static int drop_legal_form(struct words *w)
{
	char *last = w->list[w->n - 1];
	if (w->n > 1 && listed(latin_forms, last)) {
		free(last);
		w->n--;
		return 1;
	}
	size_t len = strlen(last);
	for (const char *const *form = cjk_forms; *form; form++) {
		size_t n = strlen(*form);
		if (len < n || strcmp(last + len - n, *form) != 0)
			continue;
		if (len > n) {
			last[len - n] = '\0';
			return 1;
		}
		if (w->n == 1)
			return 0; /* nothing but a legal form: keep it */
		free(last);
		w->n--;
		return 1;
	}
	return 0;
}

/* The folded words of name without its legal form, joined by sep; NULL on bad UTF-8. */
static char *normal_name(const char *name, const char *sep)
{
	if (!name || !text_valid_utf8(name, strlen(name)))
		return NULL;
	struct words w;
	split_words(name, &w);
	while (w.n > 0 && drop_legal_form(&w))
		;
	struct buf b = {0};
	for (int i = 0; i < w.n; i++) {
		if (i)
			buf_append(&b, sep);
		buf_append(&b, w.list[i]);
		free(w.list[i]);
	}
	const char *text = buf_text(&b);
	char *out = text ? strdup(text) : NULL;
	buf_free(&b);
	return out;
}

char *account_duplicates_name(const char *name)
{
	return normal_name(name, "");
}

char *account_duplicates_domain(const char *website)
{
	if (!website)
		return NULL;
	const char *s = website + strspn(website, " \t");
	const char *scheme = strstr(s, "://");
	if (scheme)
		s = scheme + 3;
	if (strncasecmp(s, "www.", 4) == 0)
		s += 4;
	char *domain = strndup(s, strcspn(s, "/?#: \t"));
	if (!domain)
		return NULL;
	size_t n = strlen(domain);
	while (n && domain[n - 1] == '.')
		domain[--n] = '\0';
	for (char *c = domain; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c + 32);
	if (!strchr(domain, '.'))
		domain[0] = '\0';
	return domain;
}

/* ---- building a company ---------------------------------------------------------------- */

static void copy_short(char *to, size_t size, const char *text)
{
	size_t n = strlen(text);
	if (n < size)
		memcpy(to, text, n + 1);
}

static void company_set_tokens(struct company *c, const char *spaced)
{
	struct dup_tokens t;
	dup_name_tokens(spaced, &t, &c->script);
	c->ntokens = (uint8_t)dup_pack_tokens(&t, c->tokens, sizeof c->tokens);
	dup_tokens_free(&t);
}

static void company_set_name(struct company *c, const char *name)
{
	char *spaced = normal_name(name, " ");
	char *joined = spaced ? strdup(spaced) : NULL;
	if (joined) { /* folded words hold no spaces */
		char *to = joined;
		for (const char *from = joined; *from; from++)
			if (*from != ' ')
				*to++ = *from;
		*to = '\0';
	}
	if (joined && *joined) {
		c->name = dup_hash_text(joined);
		copy_short(c->norm, sizeof c->norm, joined);
		char *full = NULL, *initials = NULL;
		if (text_pinyin(joined, &full, &initials) == 0) {
			c->pinyin = dup_hash_text(full);
			copy_short(c->spelled, sizeof c->spelled, full);
		}
		free(full);
		free(initials);
		company_set_tokens(c, spaced);
	}
	free(joined);
	free(spaced);
}

static void company_from(struct company *c, int64_t id, const char *name, const char *website)
{
	memset(c, 0, sizeof *c);
	c->id = id;
	company_set_name(c, name);
	char *domain = account_duplicates_domain(website);
	c->domain = dup_hash_text(domain);
	free(domain);
}

/* ---- scoring ---------------------------------------------------------------------------- */

/* One name a short form of the other: in Chinese anywhere inside ("华为" in "深圳华为技术"), two
 * characters at least; otherwise at the start, four letters at least ("Acme" / "Acme Trading",
 * "Huawei" / "华为技术" in pinyin). */
static int short_form(const struct company *a, const struct company *b)
{
	int cjk = (a->script & b->script & DUP_SCRIPT_CJK) != 0;
	int mixed = !(a->script & DUP_SCRIPT_CJK) != !(b->script & DUP_SCRIPT_CJK);
	const char *s = mixed ? a->spelled : a->norm, *l = mixed ? b->spelled : b->norm;
	if (strlen(s) > strlen(l)) {
		const char *t = s;
		s = l;
		l = t;
	}
	size_t n = strlen(s);
	if (n < (cjk ? 6 : 4)) /* also "" for a name too long to keep */
		return 0;
	return cjk ? strstr(l, s) != NULL : strncmp(l, s, n) == 0;
}

static unsigned name_reasons(const struct company *a, const struct company *b)
{
	if (!a->name || !b->name)
		return 0;
	if (a->name == b->name)
		return R_SAME_NAME;
	int cjk_a = (a->script & DUP_SCRIPT_CJK) != 0, cjk_b = (b->script & DUP_SCRIPT_CJK) != 0;
	if (a->pinyin && a->pinyin == b->pinyin)
		return cjk_a != cjk_b ? R_PINYIN : cjk_a ? R_SOUND_ALIKE : R_SIMILAR;
	if (short_form(a, b))
		return R_SHORT_NAME;
	if (!cjk_a && !cjk_b && dup_is_typo(a->spelled, b->spelled))
		return R_SIMILAR;
	return dup_packed_share(a->tokens, a->ntokens, b->tokens, b->ntokens) ? 0 : R_DIFFERENT;
}

static unsigned score_companies(const struct company *a, const struct company *b, int *score)
{
	unsigned bits = name_reasons(a, b);
	if (a->domain && a->domain == b->domain)
		bits |= R_WEBSITE;
	*score = dup_points(&account_rule, bits);
	return bits;
}

int account_duplicates_compare(const json_t *a, const json_t *b, json_t **reasons)
{
	struct company ca, cb;
	company_from(&ca, json_integer_value(json_object_get(a, "id")),
	             json_string_value(json_object_get(a, "name")),
	             json_string_value(json_object_get(a, "website")));
	company_from(&cb, json_integer_value(json_object_get(b, "id")),
	             json_string_value(json_object_get(b, "name")),
	             json_string_value(json_object_get(b, "website")));
	int score;
	unsigned bits = score_companies(&ca, &cb, &score);
	if (reasons)
		*reasons = dup_reasons_json(&account_rule, bits);
	return score;
}

/* ---- the scan --------------------------------------------------------------------------- */

struct scan {
	struct company *all;
	size_t n;
	struct dup_pairs pairs;
	int64_t keys, compared, big_blocks;
};

static int read_accounts(struct crm_ctx *ctx, struct scan *s, struct gx_error *err)
{
	struct store_stmt *stmt =
	    store_prepare(ctx->store, "SELECT id, name, website FROM accounts ORDER BY id", err);
	if (!stmt)
		return GX_EINTERNAL;
	size_t cap = 0;
	int rc;
	while ((rc = store_step(stmt, err)) == STORE_ROW) {
		if (s->n == cap) {
			struct company *more =
			    realloc(s->all, (cap ? cap * 2 : 1024) * sizeof *more);
			if (!more) {
				rc = gx_fail(err, GX_EINTERNAL, NULL, "out of memory");
				break;
			}
			s->all = more;
			cap = cap ? cap * 2 : 1024;
		}
		company_from(&s->all[s->n++], store_col_int(stmt, 0), store_col_text(stmt, 1),
		             store_col_text(stmt, 2));
	}
	store_done(stmt);
	return rc < 0 ? rc : 0;
}

/* Name and domain keys, sorted (stably: a block keeps the order of ids). NULL when out of
 * memory. */
static struct dup_key *make_keys(struct scan *s, size_t *n)
{
	struct dup_key *keys = malloc((2 * s->n + 1) * sizeof *keys);
	if (!keys)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < s->n; i++) {
		const struct company *c = &s->all[i];
		if (c->name)
			keys[k++] =
			    (struct dup_key){hash_mix(c->name ^ 0x5555), (uint32_t)i, KEY_NAME};
		if (c->domain)
			keys[k++] =
			    (struct dup_key){hash_mix(c->domain ^ 0x6666), (uint32_t)i, KEY_DOMAIN};
	}
	if (dup_sort_keys(keys, k) < 0) {
		free(keys);
		return NULL;
	}
	s->keys = (int64_t)k;
	*n = k;
	return keys;
}

static void compare_two(struct scan *s, uint32_t a, uint32_t b)
{
	int score;
	unsigned bits = score_companies(&s->all[a], &s->all[b], &score);
	s->compared++;
	if (score >= DUPLICATES_THRESHOLD)
		dup_pairs_push(&s->pairs, a, b, bits, score);
}

/* A name block: its first (oldest) account with each other, a star. */
static void compare_star(struct scan *s, const struct dup_key *k, size_t m)
{
	for (size_t j = 1; j < m; j++)
		compare_two(s, k[0].item, k[j].item);
}

/* A domain block (at most BLOCK_CAP): every pair, but of one name only its first account. The
 * others of that name hang on the same star, so the clusters do not change, and a name written
 * on 40 rows does not pair 40 times with every other name of the domain. */
static void compare_names(struct scan *s, const struct dup_key *k, size_t m)
{
	uint32_t first[BLOCK_CAP];
	size_t n = 0;
	for (size_t i = 0; i < m && n < BLOCK_CAP; i++) {
		uint64_t name = s->all[k[i].item].name;
		size_t j = 0;
		while (j < n && !(name && s->all[first[j]].name == name))
			j++;
		if (j == n)
			first[n++] = k[i].item;
	}
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			compare_two(s, first[i], first[j]);
}

/* A domain block over the cap: only accounts whose names share the pinyin. */
static int compare_big_block(struct scan *s, const struct dup_key *k, size_t m)
{
	struct dup_key *sub = malloc(m * sizeof *sub);
	if (!sub)
		return -1;
	s->big_blocks++;
	for (size_t i = 0; i < m; i++)
		sub[i] = (struct dup_key){s->all[k[i].item].pinyin, k[i].item, 0};
	int rc = dup_sort_keys(sub, m);
	for (size_t lo = 0, hi; rc == 0 && lo < m; lo = hi) {
		for (hi = lo + 1; hi < m && sub[hi].hash == sub[lo].hash; hi++)
			;
		if (sub[lo].hash && hi - lo > BLOCK_CAP)
			compare_star(s, sub + lo, hi - lo);
		else if (sub[lo].hash)
			compare_names(s, sub + lo, hi - lo);
	}
	free(sub);
	return rc;
}

static int compare_blocks(struct scan *s, const struct dup_key *keys, size_t n)
{
	for (size_t lo = 0, hi; lo < n; lo = hi) {
		for (hi = lo + 1; hi < n && keys[hi].hash == keys[lo].hash; hi++)
			;
		size_t m = hi - lo;
		if (keys[lo].tag == KEY_NAME)
			compare_star(s, keys + lo, m);
		else if (m <= BLOCK_CAP)
			compare_names(s, keys + lo, m);
		else if (compare_big_block(s, keys + lo, m) < 0)
			return -1;
	}
	return s->pairs.failed ? -1 : 0;
}

static int store_pairs(struct crm_ctx *ctx, const struct scan *s, size_t n, struct gx_error *err)
{
	int rc = dup_store_begin(ctx, "account", err);
	if (rc < 0)
		return rc;
	int64_t now = clock_now();
	for (size_t i = 0; i < n && rc == 0; i++) {
		const struct dup_pair *p = &s->pairs.data[i];
		rc = dup_store_pair(ctx, "account", &account_rule, s->all[p->a].id, s->all[p->b].id,
		                    p->reasons, p->score, now, err);
	}
	return dup_store_end(ctx, rc, err);
}

int account_duplicates_scan(struct crm_ctx *ctx, struct duplicates_scan_stats *stats,
                            struct gx_error *err)
{
	struct scan s = {0};
	struct dup_key *keys = NULL;
	size_t nkeys = 0, unique = 0;
	int rc = read_accounts(ctx, &s, err);
	if (rc == 0 && (!(keys = make_keys(&s, &nkeys)) || compare_blocks(&s, keys, nkeys) < 0))
		rc = gx_fail(err, GX_EINTERNAL, NULL, "out of memory");
	if (rc == 0) {
		unique = dup_pairs_unique(s.pairs.data, s.pairs.len);
		rc = store_pairs(ctx, &s, unique, err);
	}
	if (stats && rc == 0)
		*stats = (struct duplicates_scan_stats){.records = (int64_t)s.n,
		                                        .keys = s.keys,
		                                        .compared = s.compared,
		                                        .pairs = (int64_t)unique,
		                                        .big_blocks = s.big_blocks};
	free(keys);
	free(s.all);
	free(s.pairs.data);
	return rc;
}

/* ---- the entry-time check ------------------------------------------------------------- */

int account_duplicates_candidates(struct crm_ctx *ctx, const json_t *account, json_t *ids,
                                  struct gx_error *err)
{
	int rc = 0;
	char *norm = account_duplicates_name(json_string_value(json_object_get(account, "name")));
	if (norm && *norm) {
		rc = dup_search_ids(ctx, &account_kind, norm, ids, err);
		char *full = NULL, *initials = NULL;
		if (rc == 0 && text_pinyin(norm, &full, &initials) == 0 && strcmp(full, norm) != 0)
			rc = dup_search_ids(ctx, &account_kind, full, ids, err);
		free(full);
		free(initials);
	}
	free(norm);
	char *domain =
	    account_duplicates_domain(json_string_value(json_object_get(account, "website")));
	if (rc == 0 && domain && *domain) {
		char *folded = text_fold(domain);
		rc = dup_search_ids(ctx, &account_kind, folded, ids, err);
		free(folded);
	}
	free(domain);
	return rc;
}
