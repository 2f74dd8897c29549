/* duplicates.c — duplicate contacts, and what both kinds share. One scoring rule per kind
 * (score_people here, score_companies in account_duplicates.c) used by the whole-database scan,
 * the entry-time check and the compare functions, so they never disagree; the list, dismissal,
 * clusters and the stored pairs are the same for both kinds (duplicate_pairs.kind tells them
 * apart).
 * The contact scan reads every contact once, turns each into a compact struct person (hashes of
 * its phones, emails, name forms and address; its name tokens), makes blocking keys (phone,
 * email, company, address), sorts the keys and scores the pairs inside each block on two
 * threads. Every rule that reaches the threshold needs one of those four shared, so the blocks
 * lose no candidate; a block larger than BLOCK_CAP (a switchboard number, a big company) is
 * compared only within its name sub-blocks. Relies on base/text for folding and pinyin. */
#include "crm/duplicates.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "base/clock.h"
#include "base/phone.h"
#include "base/text.h"
#include "crm/account_duplicates.h"
#include "crm/duplicates_internal.h"
#include "crm/records.h"
#include "crm/search.h"
#include "crm/sql.h"

#define TOKENS_BYTES 64
#define PHONES_MAX 4
#define EMAILS_MAX 3
#define BLOCK_CAP 200
#define SCAN_THREADS 2

/* What scoring needs of a contact; hashes are 0 when the value is absent. */
struct person {
	int64_t id, account_id;
	uint64_t phones[PHONES_MAX], emails[EMAILS_MAX];
	uint64_t folded;   /* text_fold(name): 张伟 = 張偉, "Jane Doe" = "JANE DOE" */
	uint64_t sorted;   /* the tokens sorted and joined: "wei zhang" for 张伟 and Zhang Wei */
	uint64_t letters;  /* the letters of all tokens sorted: "zhangwei" = "Wei Zhang" */
	uint64_t initials; /* the first letters of the tokens, sorted */
	uint64_t address;  /* folded street and city of the first address */
	uint8_t nphones, nemails, ntokens, script;
	char tokens[TOKENS_BYTES]; /* ntokens NUL-terminated [a-z0-9] tokens back to back */
};

/* ---- reasons ------------------------------------------------------------------------- */

enum reason {
	R_PHONE = 1 << 0,
	R_EMAIL = 1 << 1,
	R_SAME_NAME = 1 << 2,
	R_PINYIN = 1 << 3,
	R_REORDERED = 1 << 4,
	R_SOUND_ALIKE = 1 << 5,
	R_SIMILAR = 1 << 6,
	R_INITIALS = 1 << 7,
	R_DIFFERENT = 1 << 8,
	R_ACCOUNT = 1 << 9,
	R_ADDRESS = 1 << 10,
};

/* Name alone (at most 40) never reaches the threshold: it needs a shared phone, email, company or
 * address, which is what makes blocking on those four complete. */
static const struct dup_reason reason_table[] = {
    {R_PHONE, "same_phone", 40, "same phone number"},
    {R_EMAIL, "same_email", 45, "same email address"},
    {R_SAME_NAME, "same_name", 40, "same name (case, width, simplified/traditional ignored)"},
    {R_PINYIN, "same_name_pinyin", 36, "same name in pinyin and in Chinese characters"},
    {R_REORDERED, "same_name_reordered", 36, "same name in another order or spacing"},
    {R_SOUND_ALIKE, "name_sounds_alike", 32, "names sound alike (same pinyin, other characters)"},
    {R_SIMILAR, "similar_name", 34, "similar name (a typo or a middle name)"},
    {R_INITIALS, "name_initials", 30, "name matches with initials"},
    {R_DIFFERENT, "different_name", -25, "names have nothing in common"},
    {R_ACCOUNT, "same_company", 20, "same company"},
    {R_ADDRESS, "same_address", 20, "same address"},
};
static const struct dup_rule contact_rule = {reason_table,
                                             sizeof reason_table / sizeof reason_table[0]};

int dup_points(const struct dup_rule *rule, unsigned bits)
{
	int score = 0;
	for (size_t i = 0; i < rule->nreasons; i++)
		if (bits & rule->reasons[i].bit)
			score += rule->reasons[i].points;
	return score < 0 ? 0 : score > 100 ? 100 : score;
}

json_t *dup_reasons_json(const struct dup_rule *rule, unsigned bits)
{
	json_t *list = json_array();
	for (size_t i = 0; i < rule->nreasons; i++) {
		const struct dup_reason *r = &rule->reasons[i];
		if (bits & r->bit)
			json_array_append_new(list,
			                      json_pack("{s:s, s:i, s:s}", "code", r->code,
			                                "points", r->points, "text", r->text));
	}
	return list;
}

/* ---- building a person ---------------------------------------------------------------- */

int dup_is_cjk(int32_t cp)
{
	return (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x4E00 && cp <= 0x9FFF) ||
	       (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x20000 && cp <= 0x3134F);
}

int dup_is_word(int32_t cp)
{
	switch (utf8proc_category(cp)) {
	case UTF8PROC_CATEGORY_LU:
	case UTF8PROC_CATEGORY_LL:
	case UTF8PROC_CATEGORY_LT:
	case UTF8PROC_CATEGORY_LO:
	case UTF8PROC_CATEGORY_MN:
	case UTF8PROC_CATEGORY_MC:
	case UTF8PROC_CATEGORY_ND: return 1;
	default: return 0;
	}
}

/* Adds the pinyin of text (one CJK character, or one Latin word) as a token. */
static void add_token(struct dup_tokens *t, const char *bytes, size_t len)
{
	char piece[128];
	if (len == 0 || len >= sizeof piece || t->n == DUP_TOKENS_MAX)
		return;
	memcpy(piece, bytes, len);
	piece[len] = '\0';
	char *full = NULL, *initials = NULL;
	if (text_pinyin(piece, &full, &initials) == 0 && full[0])
		t->list[t->n++] = full;
	else
		free(full);
	free(initials);
}

void dup_name_tokens(const char *name, struct dup_tokens *t, uint8_t *script)
{
	const utf8proc_uint8_t *s = (const utf8proc_uint8_t *)name;
	size_t len = strlen(name), at = 0, word = 0, word_len = 0;
	t->n = 0;
	*script = 0;
	while (at <= len) {
		int32_t cp = 0;
		utf8proc_ssize_t n =
		    at < len ? utf8proc_iterate(s + at, (utf8proc_ssize_t)(len - at), &cp) : 1;
		if (n <= 0)
			break;
		if (at < len && !dup_is_cjk(cp) && dup_is_word(cp)) {
			if (!word_len)
				word = at;
			word_len += (size_t)n;
		} else {
			if (word_len) {
				add_token(t, name + word, word_len);
				*script |= DUP_SCRIPT_LATIN;
			}
			word_len = 0;
			if (at < len && dup_is_cjk(cp)) {
				add_token(t, name + at, (size_t)n);
				*script |= DUP_SCRIPT_CJK;
			}
		}
		at += (size_t)n;
	}
}

void dup_tokens_free(struct dup_tokens *t)
{
	for (int i = 0; i < t->n; i++)
		free(t->list[i]);
	t->n = 0;
}

int dup_pack_tokens(const struct dup_tokens *t, char *packed, size_t size)
{
	size_t used = 0;
	int n = 0;
	for (; n < t->n; n++) {
		size_t len = strlen(t->list[n]);
		if (used + len + 1 > size)
			break;
		memcpy(packed + used, t->list[n], len + 1);
		used += len + 1;
	}
	return n;
}

int dup_packed_share(const char *a, int na, const char *b, int nb)
{
	for (int i = 0; i < na; i++, a += strlen(a) + 1) {
		const char *tb = b;
		for (int j = 0; j < nb; j++, tb += strlen(tb) + 1)
			if (strcmp(a, tb) == 0)
				return 1;
	}
	return 0;
}

static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int compare_chars(const void *a, const void *b)
{
	return *(const char *)a - *(const char *)b;
}

static void person_set_name(struct person *p, const char *name)
{
	if (!name)
		return;
	char *folded = text_fold(name);
	p->folded = dup_hash_text(folded);
	free(folded);
	struct dup_tokens t;
	dup_name_tokens(name, &t, &p->script);
	/* Tokens in written order (for the fuzzy comparison), the keys from the sorted ones. */
	p->ntokens = (uint8_t)dup_pack_tokens(&t, p->tokens, sizeof p->tokens);
	qsort(t.list, (size_t)t.n, sizeof t.list[0], compare_strings);
	char joined[256], letters[256], initials[DUP_TOKENS_MAX + 1];
	size_t jl = 0, ll = 0;
	for (int i = 0; i < t.n; i++) {
		size_t len = strlen(t.list[i]);
		if (jl + len + 2 < sizeof joined) {
			memcpy(joined + jl, t.list[i], len);
			jl += len;
			joined[jl++] = ' ';
			memcpy(letters + ll, t.list[i], len);
			ll += len;
		}
		initials[i] = t.list[i][0];
		free(t.list[i]);
	}
	qsort(letters, ll, 1, compare_chars);
	qsort(initials, (size_t)t.n, 1, compare_chars);
	p->sorted = jl ? hash_bytes(joined, jl) : 0;
	p->letters = ll ? hash_bytes(letters, ll) : 0;
	p->initials = t.n ? hash_bytes(initials, (size_t)t.n) : 0;
}

static void person_add_phone(struct person *p, const char *e164)
{
	uint64_t h = dup_hash_text(e164);
	if (!h || p->nphones == PHONES_MAX)
		return;
	for (int i = 0; i < p->nphones; i++)
		if (p->phones[i] == h)
			return;
	p->phones[p->nphones++] = h;
}

/* Emails compare case-folded (ASCII) and trimmed; the mail server may treat the local part as
 * case-sensitive, but no two customers are told apart by it. */
static void person_add_email(struct person *p, const char *address)
{
	char folded[256];
	size_t n = 0;
	if (!address || p->nemails == EMAILS_MAX)
		return;
	for (const char *c = address; *c && n + 1 < sizeof folded; c++)
		if ((unsigned char)*c > ' ')
			folded[n++] = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
	folded[n] = '\0';
	uint64_t h = dup_hash_text(folded);
	if (!h)
		return;
	for (int i = 0; i < p->nemails; i++)
		if (p->emails[i] == h)
			return;
	p->emails[p->nemails++] = h;
}

static void person_set_address(struct person *p, const char *street, const char *city)
{
	char *s = street ? text_fold(street) : NULL;
	char *c = city ? text_fold(city) : NULL;
	if (s && *s) {
		char text[512];
		snprintf(text, sizeof text, "%s|%s", s, c ? c : "");
		p->address = dup_hash_text(text);
	}
	free(s);
	free(c);
}

static void person_from_json(const json_t *contact, struct person *p)
{
	memset(p, 0, sizeof *p);
	p->id = json_integer_value(json_object_get(contact, "id"));
	p->account_id = json_integer_value(json_object_get(contact, "account_id"));
	person_set_name(p, json_string_value(json_object_get(contact, "name")));
	size_t i;
	const json_t *item;
	json_array_foreach(json_object_get(contact, "phones"), i, item)
	{
		person_add_phone(p, json_string_value(json_object_get(item, "e164")));
	}
	json_array_foreach(json_object_get(contact, "emails"), i, item)
	{
		person_add_email(p, json_string_value(json_object_get(item, "address")));
	}
	const json_t *address = json_array_get(json_object_get(contact, "addresses"), 0);
	person_set_address(p, json_string_value(json_object_get(address, "street")),
	                   json_string_value(json_object_get(address, "city")));
}

/* ---- scoring -------------------------------------------------------------------------- */

static int shares(const uint64_t *a, int na, const uint64_t *b, int nb)
{
	for (int i = 0; i < na; i++)
		for (int j = 0; j < nb; j++)
			if (a[i] == b[j])
				return 1;
	return 0;
}

/* Optimal string alignment distance (Damerau-Levenshtein without repeated edits of a
 * substring), for tokens of at most 31 bytes. */
static int edit_distance(const char *a, const char *b)
{
	int la = (int)strlen(a), lb = (int)strlen(b);
	if (la > 31 || lb > 31)
		return 99;
	int d[32][32];
	for (int i = 0; i <= la; i++)
		d[i][0] = i;
	for (int j = 0; j <= lb; j++)
		d[0][j] = j;
	for (int i = 1; i <= la; i++)
		for (int j = 1; j <= lb; j++) {
			int cost = a[i - 1] != b[j - 1];
			int v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + cost < v)
				v = d[i - 1][j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	return d[la][lb];
}

static int split_tokens(const struct person *p, const char **list)
{
	const char *t = p->tokens;
	for (int i = 0; i < p->ntokens; i++) {
		list[i] = t;
		t += strlen(t) + 1;
	}
	return p->ntokens;
}

int dup_is_typo(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), shorter = la < lb ? la : lb;
	return shorter >= 3 && edit_distance(a, b) <= (shorter >= 7 ? 2 : 1);
}

enum match { M_NONE, M_EXACT, M_INITIAL, M_TYPO };

static enum match token_match(const char *s, const char *l, enum match want)
{
	size_t ls = strlen(s), ll = strlen(l);
	switch (want) {
	case M_EXACT: return strcmp(s, l) == 0 ? M_EXACT : M_NONE;
	case M_INITIAL: return (ls == 1 || ll == 1) && s[0] == l[0] ? M_INITIAL : M_NONE;
	case M_TYPO: return dup_is_typo(s, l) ? M_TYPO : M_NONE;
	default: return M_NONE;
	}
}

/* Latin names (or a Latin name against a Chinese one) token by token: every token of the
 * shorter name must meet its own token of the other, exactly, as an initial (J. = John) or
 * within a typo; the longer may have one token more (a middle name). */
static unsigned fuzzy_name(const struct person *a, const struct person *b)
{
	const char *ta[DUP_TOKENS_MAX], *tb[DUP_TOKENS_MAX];
	int na = split_tokens(a, ta), nb = split_tokens(b, tb);
	const char **s = na <= nb ? ta : tb, **l = na <= nb ? tb : ta;
	int ns = na <= nb ? na : nb, nl = na <= nb ? nb : na;
	int s_kind[DUP_TOKENS_MAX] = {0}, l_used[DUP_TOKENS_MAX] = {0}, count[4] = {0}, common = 0;
	for (int i = 0; i < ns; i++)
		for (int j = 0; j < nl; j++)
			common += strcmp(s[i], l[j]) == 0;
	if (nl - ns <= 1) {
		for (enum match m = M_EXACT; m <= M_TYPO; m++)
			for (int i = 0; i < ns; i++)
				for (int j = 0; j < nl && !s_kind[i]; j++)
					if (!l_used[j] && token_match(s[i], l[j], m) == m) {
						s_kind[i] = (int)m;
						l_used[j] = 1;
						count[m]++;
					}
		int full_exact = 0;
		for (int i = 0; i < ns; i++)
			full_exact += s_kind[i] == M_EXACT && strlen(s[i]) > 1;
		if (count[M_EXACT] + count[M_INITIAL] + count[M_TYPO] == ns &&
		    (full_exact > 0 || (count[M_INITIAL] == 0 && ns >= 2)))
			return count[M_INITIAL] ? R_INITIALS : R_SIMILAR;
	}
	return common ? 0 : R_DIFFERENT;
}

static unsigned name_reasons(const struct person *a, const struct person *b)
{
	if (!a->ntokens || !b->ntokens)
		return 0;
	if (a->folded && a->folded == b->folded)
		return R_SAME_NAME;
	int cjk_only = a->script == DUP_SCRIPT_CJK && b->script == DUP_SCRIPT_CJK;
	if (a->sorted == b->sorted || a->letters == b->letters) {
		if (cjk_only)
			return R_SOUND_ALIKE;
		if ((a->script & DUP_SCRIPT_CJK) != (b->script & DUP_SCRIPT_CJK))
			return R_PINYIN;
		return R_REORDERED;
	}
	if (cjk_only)
		return dup_packed_share(a->tokens, a->ntokens, b->tokens, b->ntokens) ? 0
		                                                                      : R_DIFFERENT;
	return fuzzy_name(a, b);
}

static unsigned score_people(const struct person *a, const struct person *b, int *score)
{
	unsigned bits = 0;
	if (shares(a->phones, a->nphones, b->phones, b->nphones))
		bits |= R_PHONE;
	if (shares(a->emails, a->nemails, b->emails, b->nemails))
		bits |= R_EMAIL;
	bits |= name_reasons(a, b);
	if (a->account_id && a->account_id == b->account_id)
		bits |= R_ACCOUNT;
	if (a->address && a->address == b->address)
		bits |= R_ADDRESS;
	*score = dup_points(&contact_rule, bits);
	return bits;
}

int duplicates_compare(const json_t *a, const json_t *b, json_t **reasons)
{
	struct person pa, pb;
	person_from_json(a, &pa);
	person_from_json(b, &pb);
	int score;
	unsigned bits = score_people(&pa, &pb, &score);
	if (reasons)
		*reasons = dup_reasons_json(&contact_rule, bits);
	return score;
}

char *duplicates_name_key(const char *name)
{
	struct dup_tokens t;
	uint8_t script;
	dup_name_tokens(name ? name : "", &t, &script);
	struct buf b = {0};
	for (int i = 0; i < t.n; i++) {
		buf_append(&b, t.list[i]);
		free(t.list[i]);
	}
	char *key = b.data ? b.data : strdup("");
	if (key)
		qsort(key, strlen(key), 1, compare_chars);
	return key;
}

/* ---- the scan ------------------------------------------------------------------------- */

struct raw {
	int64_t id, account_id;
	size_t name, phones, emails, street, city; /* offsets into the arena; 0: absent */
};

struct scan {
	struct person *people;
	size_t n;
	const struct raw *raw;
	const char *arena;
	struct dup_key *keys;
	size_t nkeys;
	size_t *blocks; /* start of each block in keys; blocks[nblocks] == nkeys */
	size_t nblocks;
	atomic_size_t next_block;
	atomic_llong compared, big_blocks;
};

struct worker {
	struct scan *scan;
	size_t lo, hi; /* people to build */
	struct dup_pairs pairs;
};

void dup_pairs_push(struct dup_pairs *p, uint32_t a, uint32_t b, unsigned reasons, int score)
{
	if (p->len == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 1024;
		struct dup_pair *d = realloc(p->data, cap * sizeof *d);
		if (!d) {
			p->failed = 1;
			return;
		}
		p->data = d;
		p->cap = cap;
	}
	p->data[p->len++] = (struct dup_pair){a < b ? a : b, a < b ? b : a, reasons, score};
}

static const char *arena_text(const struct scan *s, size_t off)
{
	return off ? s->arena + off : NULL;
}

static void *build_people(void *arg)
{
	struct worker *w = arg;
	struct scan *s = w->scan;
	for (size_t i = w->lo; i < w->hi; i++) {
		const struct raw *r = &s->raw[i];
		struct person *p = &s->people[i];
		memset(p, 0, sizeof *p);
		p->id = r->id;
		p->account_id = r->account_id;
		person_set_name(p, arena_text(s, r->name));
		char list[512];
		for (int k = 0; k < 2; k++) {
			const char *text = arena_text(s, k ? r->emails : r->phones);
			if (!text)
				continue;
			snprintf(list, sizeof list, "%s", text);
			char *save = NULL;
			for (char *item = strtok_r(list, " ", &save); item;
			     item = strtok_r(NULL, " ", &save))
				(k ? person_add_email : person_add_phone)(p, item);
		}
		person_set_address(p, arena_text(s, r->street), arena_text(s, r->city));
	}
	return NULL;
}

static void compare_pair(struct scan *s, struct dup_pairs *out, uint32_t a, uint32_t b)
{
	if (a == b)
		return;
	int score;
	unsigned bits = score_people(&s->people[a], &s->people[b], &score);
	atomic_fetch_add(&s->compared, 1);
	if (score >= DUPLICATES_THRESHOLD)
		dup_pairs_push(out, a, b, bits, score);
}

static int compare_key_hash(const void *x, const void *y)
{
	uint64_t a = ((const struct dup_key *)x)->hash, b = ((const struct dup_key *)y)->hash;
	return a < b ? -1 : a > b;
}

/* A block over the cap: compare only people whose names share the letters key or the
 * initials key (reordering keeps the letters, typos keep the initials). */
static void compare_big_block(struct scan *s, struct dup_pairs *out, const struct dup_key *k,
                              size_t m)
{
	struct dup_key *sub = malloc(m * sizeof *sub);
	if (!sub) {
		out->failed = 1;
		return;
	}
	atomic_fetch_add(&s->big_blocks, 1);
	for (int which = 0; which < 2; which++) {
		for (size_t i = 0; i < m; i++) {
			const struct person *p = &s->people[k[i].item];
			sub[i] = (struct dup_key){which ? p->initials : p->letters, k[i].item, 0};
		}
		qsort(sub, m, sizeof *sub, compare_key_hash);
		for (size_t lo = 0, hi; lo < m; lo = hi) {
			for (hi = lo + 1; hi < m && sub[hi].hash == sub[lo].hash; hi++)
				;
			if (!sub[lo].hash || hi - lo > BLOCK_CAP)
				continue;
			for (size_t i = lo; i < hi; i++)
				for (size_t j = i + 1; j < hi; j++)
					compare_pair(s, out, sub[i].item, sub[j].item);
		}
	}
	free(sub);
}

static void *compare_blocks(void *arg)
{
	struct worker *w = arg;
	struct scan *s = w->scan;
	for (;;) {
		size_t first = atomic_fetch_add(&s->next_block, 256);
		if (first >= s->nblocks)
			break;
		size_t last = first + 256 < s->nblocks ? first + 256 : s->nblocks;
		for (size_t b = first; b < last; b++) {
			const struct dup_key *k = s->keys + s->blocks[b];
			size_t m = s->blocks[b + 1] - s->blocks[b];
			if (m > BLOCK_CAP) {
				compare_big_block(s, &w->pairs, k, m);
				continue;
			}
			for (size_t i = 0; i < m; i++)
				for (size_t j = i + 1; j < m; j++)
					compare_pair(s, &w->pairs, k[i].item, k[j].item);
		}
	}
	return NULL;
}

/* LSD radix sort on the 64-bit hash, 16 bits a pass. */
int dup_sort_keys(struct dup_key *keys, size_t n)
{
	struct dup_key *tmp = malloc(n * sizeof *tmp);
	size_t *count = calloc(65536, sizeof *count);
	if (!tmp || !count) {
		free(tmp);
		free(count);
		return -1;
	}
	struct dup_key *from = keys, *to = tmp;
	for (int shift = 0; shift < 64; shift += 16) {
		memset(count, 0, 65536 * sizeof *count);
		for (size_t i = 0; i < n; i++)
			count[(from[i].hash >> shift) & 0xFFFF]++;
		size_t sum = 0;
		for (size_t d = 0; d < 65536; d++) {
			size_t c = count[d];
			count[d] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++)
			to[count[(from[i].hash >> shift) & 0xFFFF]++] = from[i];
		struct dup_key *t = from;
		from = to;
		to = t;
	}
	/* Four passes: the result is back in keys. */
	free(tmp);
	free(count);
	return 0;
}

static int make_keys(struct scan *s)
{
	size_t n = 0;
	for (size_t i = 0; i < s->n; i++) {
		const struct person *p = &s->people[i];
		n += p->nphones + p->nemails + (p->account_id != 0) + (p->address != 0);
	}
	s->keys = malloc((n ? n : 1) * sizeof *s->keys);
	if (!s->keys)
		return -1;
	size_t k = 0;
	for (size_t i = 0; i < s->n; i++) {
		const struct person *p = &s->people[i];
		uint32_t idx = (uint32_t)i;
		/* The kind of key is mixed in, so a phone never shares a block with an email. */
		for (int j = 0; j < p->nphones; j++)
			s->keys[k++] = (struct dup_key){hash_mix(p->phones[j] ^ 0x1111), idx, 0};
		for (int j = 0; j < p->nemails; j++)
			s->keys[k++] = (struct dup_key){hash_mix(p->emails[j] ^ 0x2222), idx, 0};
		if (p->account_id)
			s->keys[k++] =
			    (struct dup_key){hash_mix((uint64_t)p->account_id ^ 0x3333), idx, 0};
		if (p->address)
			s->keys[k++] = (struct dup_key){hash_mix(p->address ^ 0x4444), idx, 0};
	}
	s->nkeys = k;
	if (dup_sort_keys(s->keys, k) < 0)
		return -1;
	/* Blocks of two or more. */
	size_t nb = 0;
	s->blocks = malloc((k / 2 + 2) * sizeof *s->blocks);
	if (!s->blocks)
		return -1;
	for (size_t lo = 0, hi; lo < k; lo = hi) {
		for (hi = lo + 1; hi < k && s->keys[hi].hash == s->keys[lo].hash; hi++)
			;
		if (hi - lo >= 2)
			s->blocks[nb++] = lo;
	}
	/* Blocks are stored as start offsets; compact the keys so each block ends where the next
	 * starts. */
	size_t w = 0;
	size_t *starts = s->blocks;
	for (size_t b = 0; b < nb; b++) {
		size_t lo = starts[b], hi = lo + 1;
		while (hi < k && s->keys[hi].hash == s->keys[lo].hash)
			hi++;
		starts[b] = w;
		memmove(s->keys + w, s->keys + lo, (hi - lo) * sizeof *s->keys);
		w += hi - lo;
	}
	starts[nb] = w;
	s->nblocks = nb;
	return 0;
}

static int compare_pairs(const void *x, const void *y)
{
	const struct dup_pair *a = x, *b = y;
	if (a->a != b->a)
		return a->a < b->a ? -1 : 1;
	return a->b < b->b ? -1 : a->b > b->b;
}

size_t dup_pairs_unique(struct dup_pair *pairs, size_t n)
{
	if (n < 2)
		return n;
	qsort(pairs, n, sizeof *pairs, compare_pairs);
	size_t unique = 0;
	for (size_t i = 0; i < n; i++)
		if (!unique || compare_pairs(&pairs[unique - 1], &pairs[i]) != 0)
			pairs[unique++] = pairs[i];
	return unique;
}

static const char read_sql[] =
    "SELECT c.id, c.name, c.account_id, "
    "(SELECT group_concat(json_extract(value, '$.e164'), ' ') FROM json_each(c.phones)), "
    "(SELECT group_concat(json_extract(value, '$.address'), ' ') FROM json_each(c.emails)), "
    "json_extract(c.addresses, '$[0].street'), json_extract(c.addresses, '$[0].city') "
    "FROM contacts c ORDER BY c.id";

static size_t arena_add(struct buf *arena, const char *text)
{
	if (!text || !*text)
		return 0;
	size_t off = arena->len;
	buf_append_n(arena, text, strlen(text) + 1);
	return off;
}

static int read_contacts(struct crm_ctx *ctx, struct raw **out, size_t *n, struct buf *arena,
                         struct gx_error *err)
{
	struct store_stmt *stmt = store_prepare(ctx->store, read_sql, err);
	if (!stmt)
		return GX_EINTERNAL;
	size_t cap = 1024, len = 0;
	struct raw *raw = malloc(cap * sizeof *raw);
	buf_append_n(arena, "", 1); /* offset 0 means absent */
	int rc;
	while (raw && (rc = store_step(stmt, err)) == STORE_ROW) {
		if (len == cap) {
			struct raw *r = realloc(raw, cap * 2 * sizeof *raw);
			if (!r) {
				free(raw);
				raw = NULL;
				break;
			}
			raw = r;
			cap *= 2;
		}
		raw[len++] = (struct raw){
		    .id = store_col_int(stmt, 0),
		    .account_id = store_col_is_null(stmt, 2) ? 0 : store_col_int(stmt, 2),
		    .name = arena_add(arena, store_col_text(stmt, 1)),
		    .phones = arena_add(arena, store_col_text(stmt, 3)),
		    .emails = arena_add(arena, store_col_text(stmt, 4)),
		    .street = arena_add(arena, store_col_text(stmt, 5)),
		    .city = arena_add(arena, store_col_text(stmt, 6)),
		};
	}
	store_done(stmt);
	if (!raw || arena->failed) {
		free(raw);
		return gx_fail(err, GX_EINTERNAL, NULL, "out of memory");
	}
	if (rc < 0) {
		free(raw);
		return rc;
	}
	*out = raw;
	*n = len;
	return 0;
}

int dup_store_begin(struct crm_ctx *ctx, const char *entity, struct gx_error *err)
{
	int rc = store_begin(ctx->store, err);
	if (rc < 0)
		return rc;
	struct store_stmt *stmt = store_prepare(
	    ctx->store, "DELETE FROM duplicate_pairs WHERE kind = ? AND status = 'open'", err);
	rc = GX_EINTERNAL;
	if (stmt) {
		store_bind_text(stmt, 1, entity);
		rc = store_exec(stmt, err);
	}
	if (rc < 0)
		store_rollback(ctx->store);
	return rc;
}

int dup_store_pair(struct crm_ctx *ctx, const char *entity, const struct dup_rule *rule, int64_t a,
                   int64_t b, unsigned reasons, int score, int64_t now, struct gx_error *err)
{
	struct store_stmt *stmt = store_prepare(
	    ctx->store,
	    "INSERT INTO duplicate_pairs(kind, a_id, b_id, score, reasons, status, found_at) "
	    "VALUES (?, ?, ?, ?, ?, 'open', ?) ON CONFLICT (kind, a_id, b_id) DO "
	    "UPDATE SET score = excluded.score, reasons = excluded.reasons, "
	    "found_at = excluded.found_at",
	    err);
	if (!stmt)
		return GX_EINTERNAL;
	json_t *list = dup_reasons_json(rule, reasons);
	char *text = json_dumps(list, JSON_COMPACT);
	json_decref(list);
	store_bind_text(stmt, 1, entity);
	store_bind_int(stmt, 2, a < b ? a : b);
	store_bind_int(stmt, 3, a < b ? b : a);
	store_bind_int(stmt, 4, score);
	store_bind_text(stmt, 5, text ? text : "[]");
	store_bind_int(stmt, 6, now);
	free(text);
	return store_exec(stmt, err);
}

int dup_store_end(struct crm_ctx *ctx, int rc, struct gx_error *err)
{
	if (rc < 0) {
		store_rollback(ctx->store);
		return rc;
	}
	return store_commit(ctx->store, err);
}

static int store_pairs(struct crm_ctx *ctx, const struct scan *s, const struct dup_pair *pairs,
                       size_t n, struct gx_error *err)
{
	int rc = dup_store_begin(ctx, "contact", err);
	if (rc < 0)
		return rc;
	int64_t now = clock_now();
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = dup_store_pair(ctx, "contact", &contact_rule, s->people[pairs[i].a].id,
		                    s->people[pairs[i].b].id, pairs[i].reasons, pairs[i].score, now,
		                    err);
	return dup_store_end(ctx, rc, err);
}

double dup_seconds_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs fn on SCAN_THREADS threads (this one included), one worker each. */
static void run_workers(struct worker *workers, void *(*fn)(void *))
{
	pthread_t threads[SCAN_THREADS];
	for (int t = 1; t < SCAN_THREADS; t++)
		pthread_create(&threads[t], NULL, fn, &workers[t]);
	fn(&workers[0]);
	for (int t = 1; t < SCAN_THREADS; t++)
		pthread_join(threads[t], NULL);
}

/* The workers' pairs in one array without repeats; -1 when out of memory. */
static int gather_pairs(struct worker *workers, struct dup_pair **out, size_t *n)
{
	size_t total = 0;
	for (int t = 0; t < SCAN_THREADS; t++) {
		if (workers[t].pairs.failed)
			return -1;
		total += workers[t].pairs.len;
	}
	struct dup_pair *all = malloc((total ? total : 1) * sizeof *all);
	if (!all)
		return -1;
	total = 0;
	for (int t = 0; t < SCAN_THREADS; t++) {
		if (workers[t].pairs.len)
			memcpy(all + total, workers[t].pairs.data,
			       workers[t].pairs.len * sizeof *all);
		total += workers[t].pairs.len;
	}
	*out = all;
	*n = dup_pairs_unique(all, total);
	return 0;
}

static int scan_contacts(struct crm_ctx *ctx, struct duplicates_scan_stats *stats,
                         struct gx_error *err)
{
	struct scan s = {0};
	struct raw *raw = NULL;
	struct buf arena = {0};
	struct worker workers[SCAN_THREADS];
	memset(workers, 0, sizeof workers);
	struct dup_pair *all = NULL;
	size_t unique = 0;
	int rc = read_contacts(ctx, &raw, &s.n, &arena, err);
	if (rc < 0)
		goto done;
	s.raw = raw;
	s.arena = arena.data;
	s.people = calloc(s.n ? s.n : 1, sizeof *s.people);
	if (!s.people) {
		rc = gx_fail(err, GX_EINTERNAL, NULL, "out of memory");
		goto done;
	}
	for (int t = 0; t < SCAN_THREADS; t++) {
		workers[t].scan = &s;
		workers[t].lo = s.n * (size_t)t / SCAN_THREADS;
		workers[t].hi = s.n * (size_t)(t + 1) / SCAN_THREADS;
	}
	run_workers(workers, build_people);
	free(raw);
	raw = NULL;
	buf_free(&arena);
	if (make_keys(&s) < 0) {
		rc = gx_fail(err, GX_EINTERNAL, NULL, "out of memory");
		goto done;
	}
	run_workers(workers, compare_blocks);
	if (gather_pairs(workers, &all, &unique) < 0) {
		rc = gx_fail(err, GX_EINTERNAL, NULL, "out of memory");
		goto done;
	}
	rc = store_pairs(ctx, &s, all, unique, err);
	if (stats) {
		stats->records = (int64_t)s.n;
		stats->keys = (int64_t)s.nkeys;
		stats->compared = (int64_t)atomic_load(&s.compared);
		stats->pairs = (int64_t)unique;
		stats->big_blocks = (int64_t)atomic_load(&s.big_blocks);
	}
done:
	for (int t = 0; t < SCAN_THREADS; t++)
		free(workers[t].pairs.data);
	free(all);
	free(raw);
	buf_free(&arena);
	free(s.people);
	free(s.keys);
	free(s.blocks);
	return rc;
}

/* The kinds that have duplicates: contacts and accounts. */
static int known_kind(const struct record_kind *kind, struct gx_error *err)
{
	if (kind == &contact_kind || kind == &account_kind)
		return 0;
	return gx_fail(err, GX_EBADREQUEST, "kind", "kind must be contact or account");
}

int duplicates_scan(struct crm_ctx *ctx, const struct record_kind *kind,
                    struct duplicates_scan_stats *stats, struct gx_error *err)
{
	int rc = known_kind(kind, err);
	if (rc < 0)
		return rc;
	if (ctx->actor.role != ROLE_ADMIN && ctx->actor.role != ROLE_MANAGER)
		return gx_fail(err, GX_EFORBIDDEN, NULL,
		               "only admins and managers may scan the whole database");
	double t0 = dup_seconds_now();
	rc = kind == &account_kind ? account_duplicates_scan(ctx, stats, err)
	                           : scan_contacts(ctx, stats, err);
	if (stats)
		stats->seconds = dup_seconds_now() - t0;
	return rc;
}

/* ---- listing, dismissing, checking ----------------------------------------------------- */

/* Pairs of this kind whose two records exist and are visible to the actor. */
static void kind_and_visible(struct sql *q, const struct record_kind *kind,
                             const struct actor *actor)
{
	sql_add(q, "d.kind = ");
	sql_text(q, kind->entity);
	for (int side = 0; side < 2; side++) {
		sql_add(q, " AND EXISTS (SELECT 1 FROM ");
		sql_add(q, kind->table);
		sql_add(q, side ? " r WHERE r.id = d.b_id AND " : " r WHERE r.id = d.a_id AND ");
		sql_visible(q, actor, kind->access);
		sql_add(q, ")");
	}
}

int duplicates_list(struct crm_ctx *ctx, const struct record_kind *kind, int limit,
                    const char *cursor, int min_score, json_t **out, struct gx_error *err)
{
	long long c_score = 0, c_a = 0, c_b = 0;
	if (known_kind(kind, err) < 0)
		return GX_EBADREQUEST;
	if (cursor) {
		char tail;
		if (sscanf(cursor, "%lld.%lld.%lld%c", &c_score, &c_a, &c_b, &tail) != 3 ||
		    c_a <= 0 || c_b <= 0)
			return gx_fail(err, GX_EBADREQUEST, "cursor",
			               "the cursor is not one this server gave");
	}
	struct sql q = {0};
	sql_add(&q, "SELECT d.a_id, d.b_id, d.score, d.reasons FROM duplicate_pairs d WHERE ");
	kind_and_visible(&q, kind, &ctx->actor);
	sql_add(&q, " AND d.status = 'open' AND d.score >= ");
	sql_int(&q, min_score > 0 ? min_score : DUPLICATES_THRESHOLD);
	if (cursor) {
		sql_add(&q, " AND (d.score < ");
		sql_int(&q, c_score);
		sql_add(&q, " OR (d.score = ");
		sql_int(&q, c_score);
		sql_add(&q, " AND (d.a_id > ");
		sql_int(&q, c_a);
		sql_add(&q, " OR (d.a_id = ");
		sql_int(&q, c_a);
		sql_add(&q, " AND d.b_id > ");
		sql_int(&q, c_b);
		sql_add(&q, "))))");
	}
	sql_add(&q, " ORDER BY d.score DESC, d.a_id, d.b_id LIMIT ");
	sql_int(&q, limit + 1);
	struct store_stmt *stmt = sql_prepare(&q, ctx->store, err);
	sql_free(&q);
	if (!stmt)
		return GX_EINTERNAL;
	json_t *rows = json_array();
	int rc;
	while ((rc = store_step(stmt, err)) == STORE_ROW) {
		json_t *reasons = json_loads(store_col_text(stmt, 3), 0, NULL);
		json_array_append_new(rows, json_pack("{s:I, s:I, s:i, s:o}", "a",
		                                      (json_int_t)store_col_int(stmt, 0), "b",
		                                      (json_int_t)store_col_int(stmt, 1), "score",
		                                      (int)store_col_int(stmt, 2), "reasons",
		                                      reasons ? reasons : json_array()));
	}
	store_done(stmt);
	if (rc < 0) {
		json_decref(rows);
		return rc;
	}
	char next[96] = "";
	if ((int)json_array_size(rows) > limit) {
		json_array_remove(rows, (size_t)limit);
		json_t *last = json_array_get(rows, (size_t)limit - 1);
		snprintf(next, sizeof next, "%lld.%lld.%lld",
		         (long long)json_integer_value(json_object_get(last, "score")),
		         (long long)json_integer_value(json_object_get(last, "a")),
		         (long long)json_integer_value(json_object_get(last, "b")));
	}
	/* Both records in full, read after the statement is done. */
	size_t i;
	json_t *row;
	json_array_foreach(rows, i, row)
	{
		for (int side = 0; side < 2 && rc >= 0; side++) {
			const char *key = side ? "b" : "a";
			json_t *record = NULL;
			rc = records_get(ctx, kind, json_integer_value(json_object_get(row, key)),
			                 &record, err);
			if (rc == 0)
				json_object_set_new(row, key, record);
		}
	}
	if (rc < 0) {
		json_decref(rows);
		return rc;
	}
	*out = json_pack("{s:o, s:s?}", "data", rows, "next_cursor", next[0] ? next : NULL);
	return 0;
}

/* The rule of the kind. */
static int compare_kind(const struct record_kind *kind, const json_t *a, const json_t *b,
                        json_t **reasons)
{
	return kind == &account_kind ? account_duplicates_compare(a, b, reasons)
	                             : duplicates_compare(a, b, reasons);
}

static int insert_dismissed(struct crm_ctx *ctx, const struct record_kind *kind, int64_t a,
                            int64_t b, int score, const char *reasons, struct gx_error *err)
{
	struct store_stmt *stmt = store_prepare(
	    ctx->store,
	    "INSERT INTO duplicate_pairs(kind, a_id, b_id, score, reasons, status, found_at, "
	    "decided_by, decided_at) VALUES (?, ?, ?, ?, ?, 'dismissed', ?, ?, ?) "
	    "ON CONFLICT (kind, a_id, b_id) DO UPDATE SET status = 'dismissed', "
	    "decided_by = excluded.decided_by, decided_at = excluded.decided_at",
	    err);
	if (!stmt)
		return GX_EINTERNAL;
	int64_t now = clock_now();
	store_bind_text(stmt, 1, kind->entity);
	store_bind_int(stmt, 2, a < b ? a : b);
	store_bind_int(stmt, 3, a < b ? b : a);
	store_bind_int(stmt, 4, score);
	store_bind_text(stmt, 5, reasons ? reasons : "[]");
	store_bind_int(stmt, 6, now);
	if (ctx->actor.user_id > 0)
		store_bind_int(stmt, 7, ctx->actor.user_id);
	else
		store_bind_null(stmt, 7);
	store_bind_int(stmt, 8, now);
	return store_exec(stmt, err);
}

int duplicates_dismiss(struct crm_ctx *ctx, const struct record_kind *kind, int64_t a, int64_t b,
                       struct gx_error *err)
{
	int rc = known_kind(kind, err);
	if (rc < 0)
		return rc;
	if (a == b || a <= 0 || b <= 0)
		return gx_fail(err, GX_EVALIDATION, "b", "a and b must be two different %s ids",
		               kind->entity);
	if (!access_can_write(&ctx->actor, kind->access))
		return gx_fail(err, GX_EFORBIDDEN, NULL, "the %s role may not change %ss",
		               access_role_name(ctx->actor.role), kind->entity);
	json_t *ra = NULL, *rb = NULL;
	rc = records_get(ctx, kind, a, &ra, err);
	if (rc == 0)
		rc = records_get(ctx, kind, b, &rb, err);
	if (rc == 0) {
		json_t *reasons = NULL;
		int score = compare_kind(kind, ra, rb, &reasons);
		char *text = json_dumps(reasons, JSON_COMPACT);
		json_decref(reasons);
		rc = insert_dismissed(ctx, kind, a, b, score, text, err);
		free(text);
	}
	json_decref(ra);
	json_decref(rb);
	return rc;
}

int dup_collect_ids(struct crm_ctx *ctx, const struct record_kind *kind, struct sql *q, json_t *ids,
                    struct gx_error *err)
{
	sql_add(q, " AND ");
	sql_visible(q, &ctx->actor, kind->access);
	sql_add(q, " LIMIT 200");
	struct store_stmt *stmt = sql_prepare(q, ctx->store, err);
	sql_free(q);
	if (!stmt)
		return GX_EINTERNAL;
	int rc;
	while ((rc = store_step(stmt, err)) == STORE_ROW) {
		char key[24];
		snprintf(key, sizeof key, "%lld", (long long)store_col_int(stmt, 0));
		json_object_set_new(ids, key, json_true());
	}
	store_done(stmt);
	return rc < 0 ? rc : 0;
}

int dup_search_ids(struct crm_ctx *ctx, const struct record_kind *kind, const char *needle,
                   json_t *ids, struct gx_error *err)
{
	if (!needle || strlen(needle) < 2)
		return 0;
	struct sql q = {0};
	sql_add(&q, "SELECT r.id FROM ");
	sql_add(&q, kind->table);
	sql_add(&q, " r WHERE ");
	sql_search(&q, "r.id", kind->search_index, needle);
	return dup_collect_ids(ctx, kind, &q, ids, err);
}

/* Contacts with the name's folded form and its pinyin in both orders in their search
 * documents. */
static int name_candidates(struct crm_ctx *ctx, const char *name, json_t *ids, struct gx_error *err)
{
	char *folded = text_fold(name);
	int rc = dup_search_ids(ctx, &contact_kind, folded, ids, err);
	free(folded);
	struct dup_tokens t;
	uint8_t script;
	dup_name_tokens(name, &t, &script);
	for (int order = 0; order < 2; order++) {
		struct buf b = {0};
		for (int k = 0; k < t.n; k++)
			buf_append(&b, t.list[order ? t.n - 1 - k : k]);
		if (rc == 0 && buf_text(&b))
			rc = dup_search_ids(ctx, &contact_kind, b.data, ids, err);
		buf_free(&b);
	}
	dup_tokens_free(&t);
	return rc;
}

/* Candidates of the contact check: the same phone (caller-id index), the same company, and
 * search hits on the email and on the name. */
static int contact_candidates(struct crm_ctx *ctx, const json_t *contact, json_t *ids,
                              struct gx_error *err)
{
	int rc = 0;
	size_t i;
	const json_t *item;
	json_array_foreach(json_object_get(contact, "phones"), i, item)
	{
		const char *e164 = json_string_value(json_object_get(item, "e164"));
		if (!e164 || rc < 0)
			continue;
		struct sql q = {0};
		sql_add(&q, "SELECT r.id FROM contacts r WHERE r.id IN (SELECT contact_id FROM "
		            "contact_phones WHERE e164 = ");
		sql_text(&q, e164);
		sql_add(&q, ")");
		rc = dup_collect_ids(ctx, &contact_kind, &q, ids, err);
	}
	json_array_foreach(json_object_get(contact, "emails"), i, item)
	{
		char *folded = text_fold(json_string_value(json_object_get(item, "address")));
		if (rc == 0)
			rc = dup_search_ids(ctx, &contact_kind, folded, ids, err);
		free(folded);
	}
	json_t *account = json_object_get(contact, "account_id");
	if (rc == 0 && json_is_integer(account)) {
		struct sql q = {0};
		sql_add(&q, "SELECT r.id FROM contacts r WHERE r.account_id = ");
		sql_int(&q, json_integer_value(account));
		rc = dup_collect_ids(ctx, &contact_kind, &q, ids, err);
	}
	const char *name = json_string_value(json_object_get(contact, "name"));
	if (rc == 0 && name)
		rc = name_candidates(ctx, name, ids, err);
	return rc;
}

static int compare_scores(const void *x, const void *y)
{
	json_t *a = *(json_t *const *)x, *b = *(json_t *const *)y;
	json_int_t sa = json_integer_value(json_object_get(a, "score"));
	json_int_t sb = json_integer_value(json_object_get(b, "score"));
	if (sa != sb)
		return sa > sb ? -1 : 1;
	json_int_t ia = json_integer_value(json_object_get(a, "id"));
	json_int_t ib = json_integer_value(json_object_get(b, "id"));
	return ia < ib ? -1 : ia > ib;
}

/* The best 10 of the found candidates (takes them). */
static json_t *best_ten(json_t **found, size_t n)
{
	qsort(found, n, sizeof found[0], compare_scores);
	json_t *list = json_array();
	for (size_t i = 0; i < n; i++) {
		if (i < 10)
			json_array_append(list, found[i]);
		json_decref(found[i]);
	}
	return list;
}

int duplicates_check(struct crm_ctx *ctx, const struct record_kind *kind, const json_t *record,
                     int64_t self_id, json_t **out, struct gx_error *err)
{
	int rc = known_kind(kind, err);
	if (rc < 0)
		return rc;
	json_t *ids = json_object();
	rc = kind == &account_kind ? account_duplicates_candidates(ctx, record, ids, err)
	                           : contact_candidates(ctx, record, ids, err);
	json_t *found[256];
	size_t nfound = 0;
	const char *key;
	json_t *v;
	json_object_foreach(ids, key, v)
	{
		int64_t id = strtoll(key, NULL, 10);
		json_t *other = NULL;
		if (rc < 0 || id == self_id || nfound == sizeof found / sizeof found[0])
			continue;
		if (records_get(ctx, kind, id, &other, err) < 0)
			continue; /* deleted meanwhile */
		json_t *reasons = NULL;
		int score = compare_kind(kind, record, other, &reasons);
		if (score >= DUPLICATES_THRESHOLD)
			found[nfound++] = json_pack("{s:I, s:O, s:i, s:o}", "id", (json_int_t)id,
			                            "name", json_object_get(other, "name"), "score",
			                            score, "reasons", reasons);
		else
			json_decref(reasons);
		json_decref(other);
	}
	json_decref(ids);
	json_t *list = best_ten(found, nfound);
	if (rc < 0) {
		json_decref(list);
		return rc;
	}
	*out = list;
	return 0;
}

/* ---- clusters ------------------------------------------------------------------------- */

static int64_t find_root(int64_t *parent, int64_t i)
{
	while (parent[i] != i) {
		parent[i] = parent[parent[i]];
		i = parent[i];
	}
	return i;
}

static int compare_ids(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
	return a < b ? -1 : a > b;
}

int duplicates_clusters(struct crm_ctx *ctx, const struct record_kind *kind, int64_t *pairs,
                        int64_t *clusters, int64_t *records, struct gx_error *err)
{
	if (known_kind(kind, err) < 0)
		return GX_EBADREQUEST;
	struct sql q = {0};
	sql_add(&q, "SELECT d.a_id, d.b_id FROM duplicate_pairs d WHERE ");
	kind_and_visible(&q, kind, &ctx->actor);
	sql_add(&q, " AND d.status = 'open'");
	struct store_stmt *stmt = sql_prepare(&q, ctx->store, err);
	sql_free(&q);
	if (!stmt)
		return GX_EINTERNAL;
	size_t n = 0, cap = 256;
	int64_t *ends = malloc(cap * 2 * sizeof *ends);
	int rc;
	while (ends && (rc = store_step(stmt, err)) == STORE_ROW) {
		if (n == cap) {
			int64_t *e = realloc(ends, cap * 4 * sizeof *ends);
			if (!e) {
				free(ends);
				ends = NULL;
				break;
			}
			ends = e;
			cap *= 2;
		}
		ends[2 * n] = store_col_int(stmt, 0);
		ends[2 * n + 1] = store_col_int(stmt, 1);
		n++;
	}
	store_done(stmt);
	if (!ends)
		return gx_fail(err, GX_EINTERNAL, NULL, "out of memory");
	if (rc < 0) {
		free(ends);
		return rc;
	}
	int64_t *ids = malloc((2 * n + 1) * sizeof *ids);
	int64_t *parent = malloc((2 * n + 1) * sizeof *parent);
	if (!ids || !parent) {
		free(ends);
		free(ids);
		free(parent);
		return gx_fail(err, GX_EINTERNAL, NULL, "out of memory");
	}
	memcpy(ids, ends, 2 * n * sizeof *ids);
	qsort(ids, 2 * n, sizeof *ids, compare_ids);
	size_t m = 0;
	for (size_t i = 0; i < 2 * n; i++)
		if (!m || ids[m - 1] != ids[i])
			ids[m++] = ids[i];
	for (size_t i = 0; i < m; i++)
		parent[i] = (int64_t)i;
	int64_t roots = (int64_t)m;
	for (size_t i = 0; i < n; i++) {
		int64_t *a = bsearch(&ends[2 * i], ids, m, sizeof *ids, compare_ids);
		int64_t *b = bsearch(&ends[2 * i + 1], ids, m, sizeof *ids, compare_ids);
		int64_t ra = find_root(parent, a - ids), rb = find_root(parent, b - ids);
		if (ra != rb) {
			parent[ra] = rb;
			roots--;
		}
	}
	*pairs = (int64_t)n;
	*clusters = roots;
	*records = (int64_t)m;
	free(ends);
	free(ids);
	free(parent);
	return 0;
}
