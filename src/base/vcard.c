/* vcard.c — the vCard reader (vcard.h). Works on the raw bytes, line by line: a logical line
 * is unfolded first (a line starting with space or tab continues the previous one; a
 * QUOTED-PRINTABLE value ending in '=' continues on the next line), then split into name,
 * parameters and value, then decoded. */
#include "base/vcard.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "base/encoding.h"
#include "base/text.h"

struct parser {
	const char *fallback;
	struct vcard card;
	size_t cap;
	int in_card;
	struct buf logical;
};

static void free_props(struct vcard *card)
{
	for (size_t i = 0; i < card->nprops; i++)
		free(card->props[i].value);
	free(card->props);
	card->props = NULL;
	card->nprops = 0;
}

static int hex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Decodes quoted-printable in place (soft breaks were already removed by unfolding). */
static size_t qp_decode(char *s, size_t len)
{
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '=' && i + 2 < len && hex((unsigned char)s[i + 1]) >= 0 &&
		    hex((unsigned char)s[i + 2]) >= 0) {
			s[o++] = (char)(hex((unsigned char)s[i + 1]) * 16 +
			                hex((unsigned char)s[i + 2]));
			i += 2;
		} else if (s[i] == '=' && i + 1 == len) {
			/* a trailing soft break */
		} else {
			s[o++] = s[i];
		}
	}
	s[o] = '\0';
	return o;
}

static int upper_eq(const char *a, size_t n, const char *b)
{
	return strlen(b) == n && strncasecmp(a, b, n) == 0;
}

static void add_type(char *types, size_t size, const char *t, size_t n)
{
	size_t len = strlen(types);
	if (n == 0 || len + n + 2 > size)
		return;
	if (len)
		types[len++] = ',';
	for (size_t i = 0; i < n; i++)
		types[len++] = (char)tolower((unsigned char)t[i]);
	types[len] = '\0';
}

static int is_binary(const char *name)
{
	return strcmp(name, "PHOTO") == 0 || strcmp(name, "LOGO") == 0 ||
	       strcmp(name, "SOUND") == 0 || strcmp(name, "KEY") == 0;
}

/* One unfolded content line: NAME[;params]:value, with an optional "group." before NAME. */
static int handle_line(struct parser *p, char *line, size_t len)
{
	char *colon = NULL;
	int quoted = 0;
	for (size_t i = 0; i < len; i++) {
		if (line[i] == '"')
			quoted = !quoted;
		else if (line[i] == ':' && !quoted) {
			colon = line + i;
			break;
		}
	}
	if (!colon)
		return 0; /* not a content line: ignored */
	*colon = '\0';
	char *value = colon + 1;
	size_t vlen = len - (size_t)(value - line);
	char *params = strchr(line, ';');
	if (params)
		*params++ = '\0';
	char *name = strrchr(line, '.');
	name = name ? name + 1 : line;
	if (!p->in_card) {
		if (strcasecmp(name, "BEGIN") == 0 && strncasecmp(value, "VCARD", 5) == 0)
			p->in_card = 1;
		return 0;
	}
	struct vcard_prop prop;
	memset(&prop, 0, sizeof prop);
	size_t nlen = strlen(name);
	if (nlen >= sizeof prop.name)
		return 0;
	for (size_t i = 0; i < nlen; i++)
		prop.name[i] = (char)toupper((unsigned char)name[i]);
	if (strcmp(prop.name, "VERSION") == 0) {
		size_t n = vlen < sizeof p->card.version - 1 ? vlen : sizeof p->card.version - 1;
		memcpy(p->card.version, value, n);
		p->card.version[n] = '\0';
		return 0;
	}
	if (is_binary(prop.name))
		return 0;
	int qp = 0;
	char charset[32] = "";
	/* Parameters: TYPE=a,b / TYPE="a,b" / bare 2.1 types / ENCODING / CHARSET / PREF. */
	for (char *param = params; param && *param;) {
		char *end = param;
		int q = 0;
		while (*end && (q || *end != ';')) {
			if (*end == '"')
				q = !q;
			end++;
		}
		char *next = *end ? end + 1 : end;
		*end = '\0';
		char *eq = strchr(param, '=');
		if (!eq) {
			if (strcasecmp(param, "QUOTED-PRINTABLE") == 0)
				qp = 1;
			else if (strcasecmp(param, "BASE64") == 0 || strcasecmp(param, "B") == 0)
				return 0;
			else
				add_type(prop.types, sizeof prop.types, param, strlen(param));
		} else {
			*eq = '\0';
			char *v = eq + 1;
			size_t n = strlen(v);
			if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
				v++;
				n -= 2;
			}
			if (strcasecmp(param, "TYPE") == 0) {
				for (char *t = v; t < v + n;) {
					char *comma = memchr(t, ',', (size_t)(v + n - t));
					size_t tn =
					    comma ? (size_t)(comma - t) : (size_t)(v + n - t);
					add_type(prop.types, sizeof prop.types, t, tn);
					t += tn + 1;
				}
			} else if (strcasecmp(param, "ENCODING") == 0) {
				if (upper_eq(v, n, "QUOTED-PRINTABLE"))
					qp = 1;
				else if (upper_eq(v, n, "BASE64") || upper_eq(v, n, "B"))
					return 0; /* binary data: never text we keep */
			} else if (strcasecmp(param, "CHARSET") == 0 && n < sizeof charset) {
				memcpy(charset, v, n);
				charset[n] = '\0';
			} else if (strcasecmp(param, "PREF") == 0) {
				add_type(prop.types, sizeof prop.types, "pref", 4);
			}
		}
		param = next;
	}
	if (qp)
		vlen = qp_decode(value, vlen);
	char *text = NULL;
	size_t tlen = 0;
	const char *from = charset[0] ? encoding_name(charset) : NULL;
	if (!from && charset[0] == '\0' && !text_valid_utf8(value, vlen))
		from = p->fallback ? p->fallback : "GB18030";
	if (from && strcmp(from, "UTF-8") != 0) {
		if (encoding_to_utf8(value, vlen, from, &text, &tlen, NULL, NULL) == -2)
			return -1;
	} else {
		text = strndup(value, vlen);
		if (!text)
			return -1;
		tlen = strlen(text);
	}
	if (!text || !text_valid_utf8(text, tlen)) {
		free(text);
		return 0;
	}
	if (p->card.nprops == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;
		struct vcard_prop *grown = realloc(p->card.props, cap * sizeof *grown);
		if (!grown) {
			free(text);
			return -1;
		}
		p->card.props = grown;
		p->cap = cap;
	}
	prop.value = text;
	p->card.props[p->card.nprops++] = prop;
	return 0;
}

/* 1 when the logical line so far is a quoted-printable property (its '=' ending continues). */
static int is_qp_line(const char *line, size_t len)
{
	const char *colon = memchr(line, ':', len);
	size_t head = colon ? (size_t)(colon - line) : len;
	for (size_t i = 0; i + 16 <= head; i++)
		if (strncasecmp(line + i, "QUOTED-PRINTABLE", 16) == 0)
			return 1;
	return 0;
}

static int finish_line(struct parser *p, int (*on_card)(void *, const struct vcard *), void *arg,
                       long *cards)
{
	struct buf *b = &p->logical;
	if (b->failed)
		return -1;
	if (b->len == 0)
		return 0;
	char *line = b->data;
	size_t len = b->len;
	int rc = 0;
	if (p->in_card && len >= 9 && strncasecmp(line, "END:VCARD", 9) == 0) {
		rc = on_card(arg, &p->card);
		if (cards)
			(*cards)++;
		free_props(&p->card);
		p->cap = 0;
		p->in_card = 0;
	} else {
		long start = p->card.line;
		int was_in = p->in_card;
		rc = handle_line(p, line, len);
		if (!was_in && p->in_card) {
			memset(p->card.version, 0, sizeof p->card.version);
			p->card.line = start;
		}
	}
	b->len = 0;
	return rc;
}

int vcard_parse(const char *data, size_t len, const char *fallback,
                int (*on_card)(void *arg, const struct vcard *card), void *arg, long *cards)
{
	struct parser p = {.fallback = fallback};
	if (cards)
		*cards = 0;
	size_t at = 0;
	long line_no = 0;
	int rc = 0;
	if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
		at = 3;
	while (at < len && rc == 0) {
		const char *nl = memchr(data + at, '\n', len - at);
		size_t n = nl ? (size_t)(nl - (data + at)) : len - at;
		const char *line = data + at;
		at += n + (nl ? 1 : 0);
		line_no++;
		if (n && line[n - 1] == '\r')
			n--;
		int folded = n > 0 && (line[0] == ' ' || line[0] == '\t');
		int qp_cont = p.logical.len > 0 && p.logical.data[p.logical.len - 1] == '=' &&
		              is_qp_line(p.logical.data, p.logical.len);
		if (qp_cont) {
			p.logical.len--; /* the soft line break */
			/* Some writers indent QP continuation lines too. */
			while (n > 0 && (line[0] == ' ' || line[0] == '\t')) {
				line++;
				n--;
			}
			buf_append_n(&p.logical, line, n);
			continue;
		}
		if (folded && p.logical.len > 0) {
			buf_append_n(&p.logical, line + 1, n - 1);
			continue;
		}
		rc = finish_line(&p, on_card, arg, cards);
		if (rc == 0 && !p.in_card)
			p.card.line = line_no;
		if (n && rc == 0)
			buf_append_n(&p.logical, line, n);
	}
	if (rc == 0)
		rc = finish_line(&p, on_card, arg, cards);
	free_props(&p.card);
	buf_free(&p.logical);
	return rc;
}

const struct vcard_prop *vcard_get(const struct vcard *card, const char *name)
{
	for (size_t i = 0; i < card->nprops; i++)
		if (strcmp(card->props[i].name, name) == 0)
			return &card->props[i];
	return NULL;
}

int vcard_split(char *value, char sep, char **parts, int max)
{
	int n = 0;
	char *out = value, *start = value;
	if (max < 1)
		return 0;
	parts[n++] = start;
	for (char *s = value; *s; s++) {
		if (*s == '\\' && s[1]) {
			s++;
			*out++ = *s == 'n' || *s == 'N' ? '\n' : *s;
		} else if (*s == sep && n < max) {
			*out++ = '\0';
			parts[n++] = out;
		} else {
			*out++ = *s;
		}
	}
	*out = '\0';
	return n;
}
