/* encoding.c — detection and conversion to UTF-8 with glibc iconv and uchardet (encoding.h). */
#include "base/encoding.h"

#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <uchardet.h>

#include "base/text.h"

static int has_prefix(const char *data, size_t len, const char *bom, size_t n)
{
	return len >= n && memcmp(data, bom, n) == 0;
}

/* Converts with iconv; -1 at the first invalid or truncated sequence (offset in *bad_at). */
static int convert(const char *from, const char *data, size_t len, char **out, size_t *out_len,
                   size_t *bad_at)
{
	iconv_t cd = iconv_open("UTF-8", from);
	if (cd == (iconv_t)-1)
		return -2;
	size_t cap = len * 2 + 16, used = 0;
	char *buf = malloc(cap);
	char *in = (char *)data;
	size_t left = len;
	int rc = buf ? 0 : -2;
	while (rc == 0 && left > 0) {
		char *dst = buf + used;
		size_t room = cap - used - 1;
		size_t r = iconv(cd, &in, &left, &dst, &room);
		used = (size_t)(dst - buf);
		if (r != (size_t)-1)
			break;
		if (errno == E2BIG) {
			char *grown = realloc(buf, cap * 2);
			if (!grown)
				rc = -2;
			else {
				buf = grown;
				cap *= 2;
			}
		} else {
			if (bad_at)
				*bad_at = (size_t)(in - data);
			rc = -1;
		}
	}
	iconv_close(cd);
	if (rc < 0) {
		free(buf);
		return rc;
	}
	buf[used] = '\0';
	*out = buf;
	*out_len = used;
	return 0;
}

/* How Chinese the decoded text looks: characters among the most frequent Han characters (in
 * both scripts) count for, rare ones and private-use or compatibility code points against. */
static long han_score(const char *utf8)
{
	static const char common[] =
	    "的一是不了人我在有他这這中大来來上国國个個到说說们們为為子和你地出道也时時年得就那"
	    "要下以生会會自着著去之过過家学學对對可她里裏后後小么麼心多天而能好都然没沒日于於起还"
	    "還发發成事只作当當想看文无無开開手十用主行方又如前所本见見经經头頭面公同三已老从從动"
	    "動两兩长長知民样樣现現分将將外但身些与與高意进進把法此实實回二理美点點月明其种種声聲"
	    "全工己话話儿兒者向情部正名定女问問力机機给給等几幾很业業最间間新什打便位因重被走电電"
	    "四第门門相次东東政海口使教西再平真听聽世气氣信北少关關并內加化由却卻代军軍产產入先山"
	    "五太水万萬市眼体體别別处處总總才场場师師书書比住员員九笑性通目华華报報立马馬命张張活"
	    "难難神数數件安表原车車白应應路期叫死常提感金何更反合放做系计計或司利受光王果亲親界及"
	    "今京务務制解各任至清物台象记記边邊共风風战戰干接它许許八特觉覺望直服毛林题題建南度统"
	    "統色字请請交爱愛让讓认認算论論百吃义義科怎元社术術结結六功指思非流每青管夫连連远遠资"
	    "資队隊跟带帶花快条條院变變联聯言权權往展该該领領传傳近留红紅治决決周保达達办辦运運武"
	    "半候七必城父强強步完革深区區即求品士转轉量空甚众眾技轻輕程告江语語英基派满滿式李息写"
	    "寫呢识識极極令黄黃德收脸臉钱錢党黨倒未持取设設始版双雙历歷越史商千片容研像找友孩站广"
	    "廣改议議形委早房音火际際则則首单單据據导導影失拿网網香似斯专專石若兵弟谁誰校读讀志飞"
	    "飛观觀争爭究包组組造落视視济濟喜离離虽雖坐集编編宝寶谈談府拉黑且随隨格尽盡剑劍讲講布"
	    "杀殺微怕母调調局根曾准團团段终終乐樂切级級克精哪官示冷域客户戶电話话号號码碼址邮郵箱"
	    "姓名电子司限责責任有限公司街道路省市区縣县镇鎮村楼樓室号栋棟座层層厦廈园園";
	long score = 0;
	const unsigned char *p = (const unsigned char *)utf8;
	while (*p) {
		if (*p < 0x80) {
			p++;
			continue;
		}
		int n = *p >= 0xF0 ? 4 : *p >= 0xE0 ? 3 : 2;
		char ch[5] = {0};
		for (int i = 0; i < n && p[i]; i++)
			ch[i] = (char)p[i];
		if (n == 3 && strstr(common, ch))
			score += 4;
		else if (n == 4 || (n == 3 && (p[0] == 0xEE || (p[0] == 0xEF && p[1] < 0xBC))))
			score -= 8; /* supplementary planes, private use, compatibility forms */
		else
			score -= 1;
		for (int i = 0; i < n && *p; i++)
			p++;
	}
	return score;
}

static const char *ask_uchardet(const char *data, size_t len)
{
	uchardet_t ud = uchardet_new();
	if (!ud)
		return NULL;
	const char *found = NULL;
	if (uchardet_handle_data(ud, data, len) == 0) {
		uchardet_data_end(ud);
		const char *name = uchardet_get_charset(ud);
		if (name &&
		    (strcasecmp(name, "GB18030") == 0 || strcasecmp(name, "GBK") == 0 ||
		     strcasecmp(name, "GB2312") == 0 || strcasecmp(name, "HZ-GB-2312") == 0))
			found = ENCODING_GB18030;
		else if (name && strncasecmp(name, "BIG5", 4) == 0)
			found = ENCODING_BIG5;
	}
	uchardet_delete(ud);
	return found;
}

const char *encoding_detect(const char *data, size_t len)
{
	if (has_prefix(data, len, "\xEF\xBB\xBF", 3))
		return ENCODING_UTF8;
	if (has_prefix(data, len, "\xFF\xFE", 2))
		return ENCODING_UTF16LE;
	if (has_prefix(data, len, "\xFE\xFF", 2))
		return ENCODING_UTF16BE;
	/* Valid UTF-8 (NUL bytes aside) is UTF-8: legacy CJK text almost never is. */
	size_t start = 0, valid = 1;
	while (start < len && valid) {
		const char *nul = memchr(data + start, '\0', len - start);
		size_t end = nul ? (size_t)(nul - data) : len;
		valid = text_valid_utf8(data + start, end - start) || end == start;
		start = end + 1;
	}
	if (valid)
		return ENCODING_UTF8;
	char *gb = NULL, *big5 = NULL;
	size_t n, bad;
	int gb_ok = convert("GB18030", data, len, &gb, &n, &bad) == 0;
	int big5_ok = convert("BIG5-HKSCS", data, len, &big5, &n, &bad) == 0;
	const char *pick = ENCODING_GB18030;
	if (big5_ok && !gb_ok)
		pick = ENCODING_BIG5;
	else if (big5_ok && gb_ok) {
		long gs = han_score(gb), bs = han_score(big5);
		const char *guess = ask_uchardet(data, len);
		if (bs > gs || (bs == gs && guess && strcmp(guess, ENCODING_BIG5) == 0))
			pick = ENCODING_BIG5;
	}
	free(gb);
	free(big5);
	return pick;
}

const char *encoding_name(const char *name)
{
	static const struct {
		const char *alias, *iconv;
	} names[] = {
	    {"utf-8", "UTF-8"},       {"utf8", "UTF-8"},
	    {"gbk", "GB18030"},       {"gb2312", "GB18030"},
	    {"gb18030", "GB18030"},   {"cp936", "GB18030"},
	    {"big5", "BIG5-HKSCS"},   {"big5-hkscs", "BIG5-HKSCS"},
	    {"cp950", "BIG5-HKSCS"},  {"utf-16le", "UTF-16LE"},
	    {"utf-16be", "UTF-16BE"},
	};
	if (!name)
		return NULL;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcasecmp(name, names[i].alias) == 0)
			return names[i].iconv;
	return NULL;
}

int encoding_to_utf8(const char *data, size_t len, const char *encoding, char **out,
                     size_t *out_len, const char **used, size_t *bad_at)
{
	const char *detected = encoding ? NULL : encoding_detect(data, len);
	const char *from = encoding ? encoding : encoding_name(detected);
	if (!from)
		return -2;
	if (has_prefix(data, len, "\xEF\xBB\xBF", 3) && strcmp(from, "UTF-8") == 0) {
		data += 3;
		len -= 3;
	} else if ((has_prefix(data, len, "\xFF\xFE", 2) && strcmp(from, "UTF-16LE") == 0) ||
	           (has_prefix(data, len, "\xFE\xFF", 2) && strcmp(from, "UTF-16BE") == 0)) {
		data += 2;
		len -= 2;
	}
	if (used)
		*used = detected                          ? detected
		        : strcmp(from, "UTF-8") == 0      ? ENCODING_UTF8
		        : strcmp(from, "GB18030") == 0    ? ENCODING_GB18030
		        : strcmp(from, "BIG5-HKSCS") == 0 ? ENCODING_BIG5
		        : strcmp(from, "UTF-16LE") == 0   ? ENCODING_UTF16LE
		                                          : ENCODING_UTF16BE;
	if (strcmp(from, "UTF-8") == 0) {
		/* No conversion: check and copy (NUL bytes are refused later, field by field). */
		char *copy = malloc(len + 1);
		if (!copy)
			return -2;
		memcpy(copy, data, len);
		copy[len] = '\0';
		*out = copy;
		*out_len = len;
		return 0;
	}
	return convert(from, data, len, out, out_len, bad_at);
}
