/* bench_duplicates.c — the duplicate scan on a demo database with planted duplicates of known
 * kinds: a phone written another way, an email in other case, the name in traditional
 * characters, in pinyin, with a typo, in swapped order. Plants them (as plain rows, the way an
 * import would leave them), runs duplicates_scan and reports time, recall per kind and the
 * pairs found that were not planted.
 * Usage: bench_duplicates DB [PLANTED]   (DB made by `guanxi demo --contacts N`) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/text.h"
#include "crm/duplicates.h"
#include "crm/records.h"

enum plant { P_PHONE, P_EMAIL, P_TRADITIONAL, P_PINYIN, P_TYPO, P_SWAPPED, NPLANT };
static const char *const plant_names[] = {"phone format", "email case", "traditional",
                                          "pinyin",       "typo",       "swapped order"};

/* Enough of the simplified -> traditional table for the demo's surnames and given names. */
static const char *const s2t[][2] = {
    {"张", "張"}, {"伟", "偉"}, {"刘", "劉"}, {"陈", "陳"}, {"杨", "楊"}, {"黄", "黃"},
    {"赵", "趙"}, {"吴", "吳"}, {"孙", "孫"}, {"马", "馬"}, {"罗", "羅"}, {"郑", "鄭"},
    {"谢", "謝"}, {"韩", "韓"}, {"冯", "馮"}, {"邓", "鄧"}, {"许", "許"}, {"叶", "葉"},
    {"丽", "麗"}, {"军", "軍"}, {"杰", "傑"}, {"涛", "濤"}, {"明", "明"}, {"华", "華"},
    {"红", "紅"}, {"静", "靜"}, {"敏", "敏"}, {"强", "強"}, {"磊", "磊"}, {"娟", "娟"},
    {"艳", "艷"}, {"刚", "剛"}, {"飞", "飛"}, {"鹏", "鵬"}, {"辉", "輝"}, {"龙", "龍"},
    {"凤", "鳳"}, {"云", "雲"}, {"东", "東"}, {"国", "國"}, {"庆", "慶"}, {"亮", "亮"},
    {"颖", "穎"}, {"玲", "玲"}, {"芳", "芳"}, {"娜", "娜"}, {"秀", "秀"}, {"兰", "蘭"},
    {"宁", "寧"}, {"远", "遠"}, {"达", "達"}, {"进", "進"}, {"际", "際"}, {"万", "萬"},
    {"梦", "夢"}, {"晓", "曉"}, {"欢", "歡"}, {"钟", "鍾"}, {"卢", "盧"}, {"苏", "蘇"},
    {"萧", "蕭"}, {"蒋", "蔣"}, {"沈", "沈"}, {"贺", "賀"}, {"郭", "郭"}, {"何", "何"},
};

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;
static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static int is_ascii_name(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return 0;
	return 1;
}

static void to_traditional(const char *in, char *out, size_t size)
{
	out[0] = '\0';
	size_t len = 0;
	while (*in && len + 8 < size) {
		size_t n = ((unsigned char)*in >= 0xF0)   ? 4
		           : ((unsigned char)*in >= 0xE0) ? 3
		           : ((unsigned char)*in >= 0xC0) ? 2
		                                          : 1;
		const char *rep = NULL;
		for (size_t i = 0; i < sizeof s2t / sizeof s2t[0]; i++)
			if (strlen(s2t[i][0]) == n && strncmp(in, s2t[i][0], n) == 0)
				rep = s2t[i][1];
		size_t m = rep ? strlen(rep) : n;
		memcpy(out + len, rep ? rep : in, m);
		len += m;
		out[len] = '\0';
		in += n;
	}
}

/* "张伟" -> "Zhang Wei" (reversed: "Wei Zhang"). */
static void to_pinyin(const char *in, int reversed, char *out, size_t size)
{
	char syl[8][24];
	int n = 0;
	while (*in && n < 8) {
		size_t k = ((unsigned char)*in >= 0xF0)   ? 4
		           : ((unsigned char)*in >= 0xE0) ? 3
		           : ((unsigned char)*in >= 0xC0) ? 2
		                                          : 1;
		char one[8] = {0};
		memcpy(one, in, k);
		char *full = NULL, *ini = NULL;
		if (text_pinyin(one, &full, &ini) == 0 && full[0]) {
			snprintf(syl[n], sizeof syl[n], "%s", full);
			syl[n][0] = (char)(syl[n][0] - 32 * (syl[n][0] >= 'a' && syl[n][0] <= 'z'));
			n++;
		}
		free(full);
		free(ini);
		in += k;
	}
	/* A Chinese name is family name first: the given name's syllables run together. */
	char given[64] = "";
	for (int i = 1; i < n; i++) {
		size_t l = strlen(given);
		snprintf(given + l, sizeof given - l, "%s", syl[i]);
		if (i > 1)
			given[l] = (char)(given[l] + 32 * (given[l] >= 'A' && given[l] <= 'Z'));
	}
	if (reversed)
		snprintf(out, size, "%s %s", given, n ? syl[0] : "");
	else
		snprintf(out, size, "%s %s", n ? syl[0] : "", given);
}

static void swap_latin(const char *in, char *out, size_t size)
{
	const char *sp = strrchr(in, ' ');
	if (!sp)
		snprintf(out, size, "%s", in);
	else
		snprintf(out, size, "%s %.*s", sp + 1, (int)(sp - in), in);
}

static void typo(const char *in, char *out, size_t size)
{
	snprintf(out, size, "%s", in);
	size_t len = strlen(out);
	/* Swap two letters inside the longest word (a transposition, the commonest typo). */
	size_t best = 0, best_len = 0, start = 0;
	for (size_t i = 0; i <= len; i++)
		if (i == len || out[i] == ' ') {
			if (i - start > best_len) {
				best = start;
				best_len = i - start;
			}
			start = i + 1;
		}
	if (best_len >= 4) {
		size_t at = best + 1 + rng() % (best_len - 2);
		char t = out[at];
		out[at] = out[at + 1];
		out[at + 1] = t;
	}
}

static const char *col(struct store_stmt *s, int i)
{
	const char *t = store_col_text(s, i);
	return t ? t : "";
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: bench_duplicates DB [PLANTED]\n");
		return 2;
	}
	long planted = argc > 2 ? strtol(argv[2], NULL, 10) : 10000;
	log_set_level(LOG_ERROR);
	struct config config;
	config_defaults(&config);
	struct crm_ctx ctx = {.config = &config, .actor = access_system_actor()};
	struct gx_error err = {0};
	if (store_open(&ctx.store, argv[1], &err) < 0 || store_migrate(ctx.store, &err) < 0) {
		fprintf(stderr, "bench_duplicates: %s\n", err.message);
		return 4;
	}
	struct store_stmt *s = store_prepare(ctx.store, "SELECT MAX(id) FROM contacts", &err);
	store_step(s, &err);
	int64_t max_id = store_col_int(s, 0);
	store_done(s);
	int64_t(*pairs)[3] = calloc((size_t)planted, sizeof *pairs);
	store_begin(ctx.store, &err);
	long made = 0;
	for (long i = 0; made < planted && i < planted * 4; i++) {
		int64_t src = 1 + (int64_t)(rng() % (uint64_t)max_id);
		s = store_prepare(
		    ctx.store,
		    "SELECT name, account_id, phones, emails, addresses, owner_id FROM "
		    "contacts WHERE id = ?",
		    &err);
		store_bind_int(s, 1, src);
		if (store_step(s, &err) != STORE_ROW) {
			store_done(s);
			continue;
		}
		char name[256], phones[1024] = "[]", emails[1024] = "[]", addresses[1024],
		                variant[256];
		snprintf(name, sizeof name, "%s", col(s, 0));
		int64_t account = store_col_is_null(s, 1) ? 0 : store_col_int(s, 1);
		snprintf(addresses, sizeof addresses, "%s", col(s, 4));
		int64_t owner = store_col_int(s, 5);
		json_t *ph = json_loads(col(s, 2), 0, NULL), *em = json_loads(col(s, 3), 0, NULL);
		store_done(s);
		enum plant kind = (enum plant)(made % NPLANT);
		int latin = is_ascii_name(name);
		snprintf(variant, sizeof variant, "%s", name);
		switch (kind) {
		case P_PHONE: {
			const char *e164 =
			    json_string_value(json_object_get(json_array_get(ph, 0), "e164"));
			if (!e164)
				goto skip;
			/* "+86 138-0013-8000": spaced and dashed, same E.164. */
			char typed[64];
			size_t n = strlen(e164);
			snprintf(typed, sizeof typed, "%.3s %.*s-%s", e164,
			         (int)(n > 7 ? n - 7 : 0), e164 + 3, n > 7 ? e164 + n - 4 : "");
			snprintf(phones, sizeof phones,
			         "[{\"kind\":\"mobile\",\"number\":\"%s\",\"e164\":\"%s\"}]", typed,
			         e164);
			account = 0; /* a stray record with only the number */
			addresses[0] = '\0';
			break;
		}
		case P_EMAIL: {
			const char *a =
			    json_string_value(json_object_get(json_array_get(em, 0), "address"));
			if (!a)
				goto skip;
			char up[256];
			snprintf(up, sizeof up, "%s", a);
			for (char *p = up; *p; p++)
				*p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
			snprintf(emails, sizeof emails, "[{\"kind\":\"work\",\"address\":\"%s\"}]",
			         up);
			account = 0;
			addresses[0] = '\0';
			break;
		}
		case P_TRADITIONAL:
			if (latin)
				goto skip;
			to_traditional(name, variant, sizeof variant);
			if (strcmp(variant, name) == 0)
				goto skip;
			break;
		case P_PINYIN:
			if (latin)
				goto skip;
			to_pinyin(name, 0, variant, sizeof variant);
			break;
		case P_TYPO:
			if (latin)
				typo(name, variant, sizeof variant);
			else {
				char py[256];
				to_pinyin(name, 0, py, sizeof py);
				typo(py, variant, sizeof variant);
			}
			if (strcmp(variant, name) == 0)
				goto skip;
			break;
		case P_SWAPPED:
			if (latin)
				swap_latin(name, variant, sizeof variant);
			else
				to_pinyin(name, 1, variant, sizeof variant);
			break;
		default: break;
		}
		if (kind >= P_TRADITIONAL && !account &&
		    (!addresses[0] || strcmp(addresses, "[]") == 0))
			goto skip; /* nothing but a name: not a duplicate by the rules */
		s = store_prepare(
		    ctx.store,
		    "INSERT INTO contacts(name, account_id, phones, emails, addresses, "
		    "owner_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 1, 1)",
		    &err);
		store_bind_text(s, 1, variant);
		if (account)
			store_bind_int(s, 2, account);
		else
			store_bind_null(s, 2);
		store_bind_text(s, 3, phones);
		store_bind_text(s, 4, emails);
		store_bind_text(s, 5, addresses[0] ? addresses : "[]");
		store_bind_int(s, 6, owner);
		if (store_exec(s, &err) < 0) {
			fprintf(stderr, "insert: %s\n", err.message);
			return 4;
		}
		pairs[made][0] = src;
		pairs[made][1] = store_last_insert_id(ctx.store);
		pairs[made][2] = kind;
		made++;
	skip:
		json_decref(ph);
		json_decref(em);
	}
	store_commit(ctx.store, &err);
	struct duplicates_scan_stats st = {0};
	if (duplicates_scan(&ctx, &contact_kind, &st, &err) < 0) {
		fprintf(stderr, "scan: %s\n", err.message);
		return 4;
	}
	long found[NPLANT] = {0}, total[NPLANT] = {0}, hits = 0;
	for (long i = 0; i < made; i++) {
		s = store_prepare(ctx.store,
		                  "SELECT 1 FROM duplicate_pairs WHERE kind = 'contact' AND a_id = "
		                  "? AND b_id = ?",
		                  &err);
		store_bind_int(s, 1, pairs[i][0] < pairs[i][1] ? pairs[i][0] : pairs[i][1]);
		store_bind_int(s, 2, pairs[i][0] < pairs[i][1] ? pairs[i][1] : pairs[i][0]);
		int ok = store_step(s, &err) == STORE_ROW;
		store_done(s);
		total[pairs[i][2]]++;
		found[pairs[i][2]] += ok;
		hits += ok;
	}
	printf("contacts %lld, planted %ld, keys %lld, pairs compared %lld, big blocks %lld\n",
	       (long long)st.records, made, (long long)st.keys, (long long)st.compared,
	       (long long)st.big_blocks);
	printf("scan %.1f s (read, build, block, score, store), candidate pairs %lld\n", st.seconds,
	       (long long)st.pairs);
	for (int k = 0; k < NPLANT; k++)
		printf("  recall %-14s %5ld / %5ld = %.3f\n", plant_names[k], found[k], total[k],
		       total[k] ? (double)found[k] / (double)total[k] : 0.0);
	printf(
	    "recall %.4f; pairs found that were not planted: %lld (%.1f%% of all found; the demo's "
	    "own look-alikes)\n",
	    made ? (double)hits / (double)made : 0.0, (long long)(st.pairs - hits),
	    st.pairs ? 100.0 * (double)(st.pairs - hits) / (double)st.pairs : 0.0);
	free(pairs);
	store_close(ctx.store);
	return 0;
}
