/* imports.c — files of customer data into records (imports.h).
 *
 * The pipeline: the whole file is read into a struct table (header row first; a vCard file is
 * turned into a table with fixed columns), each column is mapped to a target (a record field
 * or a helper such as "mobile" or "account"), and rows go through two stages. Worker threads
 * (one per core) turn chunks of rows into checked JSON records — phones normalised to E.164,
 * search documents built — without touching the store. The caller's thread, which owns the
 * store connection, takes the chunks in order and writes each as one transaction: it finds the
 * record a row means (by the row's hash, an external id, a phone, an email or a name), skips it
 * when nothing would change, updates it when something would, creates it otherwise, and writes
 * the job's counters in the same transaction, so a batch and its progress commit together.
 * Creates of contacts and accounts take a fast path (prepared INSERTs, documents written at the
 * end of the batch); everything else goes through records.c, each row under a savepoint so
 * that one bad row is rejected without failing its batch. A dry run is the same run inside one
 * transaction that is rolled back at the end, so its counts are exactly the real run's. */
#include "crm/imports.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/csvread.h"
#include "base/encoding.h"
#include "base/hash.h"
#include "base/log.h"
#include "base/money.h"
#include "base/phone.h"
#include "base/table.h"
#include "base/text.h"
#include "base/tz.h"
#include "base/vcard.h"
#include "base/xlsx.h"
#include "crm/orders.h"
#include "crm/records.h"
#include "crm/search.h"
#include "store/migrations.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_COLUMNS 256
/* Rows per transaction of the empty-database fast path unless told otherwise: fewer, bigger
 * FTS5 segments and statements; a resumed run loses at most this much work. */
#define IMPORT_FAST_BATCH 32768

/* ---- targets: what a column can mean ----------------------------------------------------- */

enum kind_id { K_ACCOUNTS, K_CONTACTS, K_INTERACTIONS, K_ORDERS, NKINDS };
static const char *const kind_names[] = {"accounts", "contacts", "interactions", "orders"};

/* A target's synonyms are folded (base/text.h text_fold: no spaces or punctuation, lower case,
 * simplified script), between '|'. Headers of Salesforce and HubSpot exports and common Chinese
 * headers are here; a header with a trailing number ("Email 2") matches without it. */
struct target {
	const char *name;
	const char *synonyms;
	int multi; /* several columns may map to it (phones, emails, tags) */
};

static const struct target contact_targets[] = {
    {"name",
     "|name|fullname|contactname|displayname|姓名|名字|联系人|联系人姓名|客户姓名|客户名称|全名|",
     0},
    {"first_name", "|firstname|givenname|名|", 0},
    {"last_name", "|lastname|surname|familyname|姓|姓氏|", 0},
    {"mobile",
     "|mobile|mobilephone|mobilephonenumber|cell|cellphone|cellular|手机|手机号|手机号码|移动电话|"
     "行动电话|",
     1},
    {"phone",
     "|phone|phonenumber|telephone|tel|businessphone|workphone|officephone|电话|电话号码|联系电话|"
     "办公电话|工作电话|座机|",
     1},
    {"home_phone", "|homephone|家庭电话|住宅电话|家里电话|", 1},
    {"fax", "|fax|faxnumber|businessfax|传真|", 1},
    {"other_phone", "|otherphone|其他电话|", 1},
    {"email", "|email|emailaddress|mail|邮箱|电子邮件|电子邮箱|邮件|电邮|邮箱地址|", 1},
    {"work_email", "|workemail|businessemail|工作邮箱|", 1},
    {"home_email", "|homeemail|personalemail|个人邮箱|", 1},
    {"other_email", "|otheremail|secondaryemail|", 1},
    {"account",
     "|company|companyname|account|accountname|organization|organisation|org|公司|公司名称|单位|"
     "工作单位|企业|企业名称|所属公司|",
     0},
    {"title", "|title|jobtitle|position|职位|职务|头衔|", 0},
    {"birthday", "|birthday|birthdate|dateofbirth|dob|生日|出生日期|", 0},
    {"street",
     "|street|address|streetaddress|mailingstreet|otherstreet|地址|联系地址|通讯地址|详细地址|"
     "街道|",
     0},
    {"city", "|city|mailingcity|城市|市|", 0},
    {"region",
     "|state|province|region|stateregion|stateprovince|mailingstate|mailingstateprovince|省|省份|"
     "地区|",
     0},
    {"postcode",
     "|zip|zipcode|postcode|postalcode|mailingzip|mailingpostalcode|mailingzippostalcode|邮编|"
     "邮政编码|",
     0},
    {"country", "|country|countryregion|mailingcountry|国家|国家地区|", 0},
    {"notes", "|notes|note|description|comments|comment|remark|remarks|备注|说明|", 0},
    {"tags", "|tags|tag|labels|categories|标签|分组|", 1},
    {"owner", "|owner|contactowner|owneralias|负责人|所有者|销售负责人|", 0},
    {"external_id", "|id|contactid|recordid|externalid|编号|客户编号|联系人编号|", 0},
    {"department", "|department|dept|部门|所属部门|科室|", 0},
    {"buying_role", "|buyingrole|role|contactrole|决策角色|采购角色|角色|", 0},
    /* Whom the contact reports to: a name, and a phone to tell namesakes apart. */
    {"reports_to", "|reportsto|manager|上级|直属上级|汇报对象|", 0},
    {"reports_to_phone", "|reportstophone|managerphone|上级电话|上级手机|", 0},
    {"phones", "|phones|", 0},
    {"emails", "|emails|", 0},
    {"addresses", "|addresses|", 0},
    {"consent", "|consent|", 0},
};

static const struct target account_targets[] = {
    {"name",
     "|name|accountname|companyname|company|organization|organisation|公司|公司名称|客户名称|名称|"
     "企业名称|单位名称|",
     0},
    {"industry", "|industry|行业|所属行业|", 0},
    {"website", "|website|web|url|domain|companydomainname|网站|网址|官网|", 0},
    {"notes", "|notes|note|description|comments|备注|说明|简介|", 0},
    {"tags", "|tags|tag|labels|标签|", 1},
    {"owner", "|owner|accountowner|companyowner|负责人|所有者|", 0},
    {"external_id", "|id|accountid|recordid|companyid|externalid|编号|客户编号|", 0},
    {"parent", "|parent|parentaccount|parentcompany|上级公司|母公司|总公司|上级单位|", 0},
};

/* The columns by which an interaction or an order names its customer. */
// clang-format off
#define CUSTOMER_TARGETS \
    {"contact", "|contact|contactname|name|联系人|联系人姓名|姓名|客户|客户姓名|", 0}, \
    {"contact_phone", \
     "|contactphone|phone|phonenumber|mobile|mobilephone|电话|手机|手机号|手机号码|电话号码|" \
     "联系电话|联系人电话|联系人手机|客户电话|客户手机|", 0}, \
    {"contact_email", "|contactemail|email|emailaddress|邮箱|电子邮件|电子邮箱|联系人邮箱|客户邮箱|", \
     0}, \
    {"account", \
     "|account|accountname|company|companyname|公司|公司名称|客户名称|客户公司|单位|单位名称|" \
     "企业名称|", 0}, \
    {"contact_id", "|contactid|", 0}, \
    {"account_id", "|accountid|", 0}
// clang-format on

static const struct target interaction_targets[] = {
    {"channel", "|channel|type|activitytype|渠道|方式|类型|沟通方式|联系类型|跟进方式|活动类型|",
     0},
    {"direction", "|direction|calldirection|calltype|方向|呼叫方向|呼叫类型|通话方向|", 0},
    {"occurred_at",
     "|occurredat|date|time|datetime|activitydate|createdate|calltime|starttime|时间|日期|发生时间|"
     "沟通时间|联系时间|跟进时间|跟进日期|拜访时间|拜访日期|通话时间|开始时间|",
     0},
    {"duration_s",
     "|durations|duration|callduration|durationseconds|时长|通话时长|通话时长秒|时长秒|持续时间|",
     0},
    {"subject", "|subject|topic|主题|标题|事由|摘要|", 0},
    {"body", "|body|content|description|details|notes|内容|记录|详情|沟通内容|跟进内容|备注|", 0},
    {"outcome", "|outcome|result|结果|跟进结果|处理结果|", 0},
    CUSTOMER_TARGETS,
    {"external_id", "|id|externalid|activityid|编号|记录编号|记录id|活动编号|", 0},
};

static const struct target order_targets[] = {
    {"external_ref",
     "|externalref|ordernumber|orderno|orderid|order|salesorder|salesorderno|订单号|订单编号|单号|"
     "单据编号|单据号|销售单号|销售订单号|销售订单编号|",
     0},
    {"ordered_at",
     "|orderedat|orderdate|date|createdate|下单时间|下单日期|订单日期|订单时间|单据日期|开单日期|"
     "成交日期|日期|时间|",
     0},
    {"amount",
     "|amount|total|totalamount|ordertotal|grandtotal|金额|总金额|订单金额|金额元|订单总额|"
     "销售金额|实收金额|价税合计|含税金额|",
     0},
    {"cost", "|cost|totalcost|成本|成本金额|总成本|", 0},
    {"currency", "|currency|currencycode|币种|币别|货币|", 0},
    {"status", "|status|orderstatus|状态|订单状态|单据状态|", 0},
    {"source", "|source|来源|订单来源|", 0},
    {"lines", "|lines|明细|订单明细|", 0},
    CUSTOMER_TARGETS,
    /* One row per order line (ERP exports): the rows of an order share its external_ref. */
    {"sku",
     "|sku|skucode|productcode|productid|itemcode|itemnumber|itemno|partnumber|partno|物料编码|"
     "物料代码|物料编号|商品编码|商品编号|产品编码|产品编号|存货编码|货号|料号|",
     0},
    {"product",
     "|product|productname|item|itemname|物料名称|商品名称|产品名称|存货名称|品名|商品|产品|", 0},
    {"qty", "|qty|quantity|数量|销售数量|订货数量|订购数量|", 0},
    {"unit_price", "|unitprice|price|单价|含税单价|销售单价|售价|单价元|含税单价元|", 0},
    {"unit_cost", "|unitcost|costprice|成本单价|单位成本|成本价|", 0},
};

static const struct {
	const struct target *targets;
	size_t n;
	const struct record_kind *kind;
} kinds[] = {
    {account_targets, COUNT(account_targets), &account_kind},
    {contact_targets, COUNT(contact_targets), &contact_kind},
    {interaction_targets, COUNT(interaction_targets), &interaction_kind},
    {order_targets, COUNT(order_targets), &order_kind},
};

static int kind_of(const char *name)
{
	for (int k = 0; name && k < NKINDS; k++)
		if (strcmp(name, kind_names[k]) == 0)
			return k;
	return -1;
}

static int target_of(int kind, const char *name)
{
	for (size_t i = 0; name && i < kinds[kind].n; i++)
		if (strcmp(kinds[kind].targets[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* The target a header proposes for kind, or -1. */
static int propose(int kind, const char *header)
{
	char *folded = text_fold(header);
	if (!folded)
		return -1;
	size_t n = strlen(folded);
	while (n > 0 && folded[n - 1] >= '0' && folded[n - 1] <= '9' && n > 1)
		folded[--n] = '\0';
	int found = -1;
	if (n > 0) {
		char needle[260];
		snprintf(needle, sizeof needle, "|%s|", folded);
		for (size_t i = 0; i < kinds[kind].n && found < 0; i++)
			if (strstr(kinds[kind].targets[i].synonyms, needle))
				found = (int)i;
	}
	free(folded);
	return found;
}

/* ---- the source as a table --------------------------------------------------------------- */

enum format { FMT_CSV, FMT_XLSX, FMT_VCARD };
static const char *const format_names[] = {"csv", "xlsx", "vcard"};

static int ends_with(const char *s, const char *suffix)
{
	size_t a = s ? strlen(s) : 0, b = strlen(suffix);
	return a >= b && strcasecmp(s + a - b, suffix) == 0;
}

static int looks_like_vcard(const char *data, size_t len)
{
	size_t i = 0;
	if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
		i = 3;
	while (i < len && (data[i] == ' ' || data[i] == '\r' || data[i] == '\n' || data[i] == '\t'))
		i++;
	return len - i >= 11 && strncasecmp(data + i, "BEGIN:VCARD", 11) == 0;
}

static int detect_format(const struct import_options *opt, const char *data, size_t len)
{
	if (opt->format) {
		for (int f = 0; f < 3; f++)
			if (strcasecmp(opt->format, format_names[f]) == 0)
				return f;
		if (strcasecmp(opt->format, "vcf") == 0)
			return FMT_VCARD;
		return -1;
	}
	if (xlsx_sniff(data, len) || ends_with(opt->filename, ".xlsx"))
		return FMT_XLSX;
	if (looks_like_vcard(data, len) || ends_with(opt->filename, ".vcf"))
		return FMT_VCARD;
	return FMT_CSV;
}

/* vCards become rows of these columns; phones, emails and addresses in the forms the row
 * conversion reads ("mobile: +86...; work: ..." and a JSON list). */
static const char *const vcard_columns[] = {"name",    "phones",     "emails", "addresses",
                                            "account", "department", "title",  "birthday",
                                            "notes",   "tags"};

struct vcard_sink {
	struct table *t;
	struct buf cell;
	int failed;
};

static const char *phone_kind_of(const char *types)
{
	if (strstr(types, "fax"))
		return "fax";
	if (strstr(types, "cell") || strstr(types, "mobile") || strstr(types, "iphone"))
		return "mobile";
	if (strstr(types, "work"))
		return "work";
	if (strstr(types, "home"))
		return "home";
	return "other";
}

static const char *email_kind_of(const char *types)
{
	return strstr(types, "work") ? "work" : strstr(types, "home") ? "home" : "other";
}

static void add_listed(struct buf *b, const char *kind, const char *value)
{
	if (!value || !*value || strchr(value, ';'))
		return;
	buf_printf(b, "%s%s: %s", b->len ? "; " : "", kind, value);
}

static void put_cell(struct table *t, const char *text)
{
	table_add_cell(t, text ? text : "", text ? strlen(text) : 0);
}

static char *vcard_copy(const char *value)
{
	return value ? strdup(value) : NULL;
}

/* N is family;given;additional;prefix;suffix: Han names run together (张伟), others
 * "given family". */
static void name_from_n(char *n, struct buf *out)
{
	char *parts[5] = {0};
	int k = vcard_split(n, ';', parts, 5);
	const char *family = k > 0 ? parts[0] : "", *given = k > 1 ? parts[1] : "";
	int han = (unsigned char)family[0] >= 0xE3 || (unsigned char)given[0] >= 0xE3;
	if (han)
		buf_printf(out, "%s%s", family, given);
	else
		buf_printf(out, "%s%s%s", given, *given && *family ? " " : "", family);
}

static int on_card(void *arg, const struct vcard *card)
{
	struct vcard_sink *s = arg;
	struct buf phones = {0}, emails = {0}, name = {0}, tags = {0};
	json_t *addresses = json_array();
	char *account = NULL, *department = NULL, *title = NULL, *bday = NULL, *note = NULL;
	for (size_t i = 0; i < card->nprops; i++) {
		const struct vcard_prop *p = &card->props[i];
		char *v = strdup(p->value);
		if (!v) {
			s->failed = 1;
			break;
		}
		char *parts[7] = {0};
		if (strcmp(p->name, "FN") == 0 && !name.len) {
			vcard_split(v, '\0', parts, 1);
			buf_append(&name, parts[0]);
		} else if (strcmp(p->name, "TEL") == 0) {
			char *number = v;
			if (strncasecmp(number, "tel:", 4) == 0)
				number += 4;
			add_listed(&phones, phone_kind_of(p->types), number);
		} else if (strcmp(p->name, "EMAIL") == 0) {
			add_listed(&emails, email_kind_of(p->types), v);
		} else if (strcmp(p->name, "ADR") == 0) {
			int k = vcard_split(v, ';', parts, 7);
			json_t *a =
			    json_pack("{s:s}", "kind", strstr(p->types, "home") ? "home" : "work");
			static const char *const keys[] = {NULL,     NULL,       "street", "city",
			                                   "region", "postcode", "country"};
			for (int j = 2; j < k && a; j++) {
				for (char *c = parts[j]; *c; c++)
					if (*c == '\n')
						*c = ' ';
				if (*parts[j])
					json_object_set_new(a, keys[j], json_string(parts[j]));
			}
			if (a && json_object_size(a) > 1)
				json_array_append(addresses, a);
			json_decref(a);
		} else if (strcmp(p->name, "ORG") == 0 && !account) {
			/* The organisation, then its units: the first is the department. */
			if (vcard_split(v, ';', parts, 3) > 1)
				department = vcard_copy(parts[1]);
			account = vcard_copy(parts[0]);
		} else if (strcmp(p->name, "TITLE") == 0 && !title) {
			vcard_split(v, '\0', parts, 1);
			title = vcard_copy(parts[0]);
		} else if (strcmp(p->name, "BDAY") == 0 && !bday) {
			bday = vcard_copy(v);
		} else if (strcmp(p->name, "NOTE") == 0 && !note) {
			vcard_split(v, '\0', parts, 1);
			note = vcard_copy(parts[0]);
		} else if (strcmp(p->name, "CATEGORIES") == 0) {
			int k = vcard_split(v, ',', parts, 7);
			for (int j = 0; j < k; j++)
				if (*parts[j])
					buf_printf(&tags, "%s%s", tags.len ? "; " : "", parts[j]);
		}
		free(v);
	}
	if (!name.len) {
		const struct vcard_prop *n = vcard_get(card, "N");
		char *v = n ? strdup(n->value) : NULL;
		if (v)
			name_from_n(v, &name);
		free(v);
	}
	char *addr = json_array_size(addresses) ? json_dumps(addresses, JSON_COMPACT) : NULL;
	const char *cells[] = {buf_text(&name),
	                       buf_text(&phones),
	                       buf_text(&emails),
	                       addr,
	                       account,
	                       department,
	                       title,
	                       bday,
	                       note,
	                       buf_text(&tags)};
	for (size_t i = 0; i < COUNT(cells); i++)
		put_cell(s->t, cells[i]);
	table_end_row(s->t, card->line);
	free(addr);
	json_decref(addresses);
	free(account);
	free(department);
	free(title);
	free(bday);
	free(note);
	buf_free(&phones);
	buf_free(&emails);
	buf_free(&name);
	buf_free(&tags);
	return s->failed ? -1 : 0;
}

struct source {
	enum format format;
	const char *encoding; /* as decoded */
	struct table table;   /* row 0: the headers */
	long open_quote;      /* line of an unterminated quoted field (CSV), or 0 */
	char delimiter;
};

static int read_source(const char *data, size_t len, const struct import_options *opt,
                       struct source *src, struct gx_error *err)
{
	int format = detect_format(opt, data, len);
	if (format < 0)
		return gx_fail(err, GX_EVALIDATION, "format", "format must be csv, xlsx or vcard");
	src->format = (enum format)format;
	const char *chosen = NULL;
	if (opt->encoding && strcasecmp(opt->encoding, "auto") != 0 &&
	    !(chosen = encoding_name(opt->encoding)))
		return gx_fail(err, GX_EVALIDATION, "encoding",
		               "encoding must be auto, utf-8, gbk, gb18030 or big5");
	if (format == FMT_XLSX) {
		char message[200];
		src->encoding = ENCODING_UTF8;
		if (xlsx_read(data, len, &src->table, message, sizeof message) < 0)
			return gx_fail(err, GX_EVALIDATION, "file", "%s", message);
		return 0;
	}
	if (format == FMT_VCARD) {
		src->encoding = chosen ? opt->encoding : ENCODING_UTF8;
		for (size_t i = 0; i < COUNT(vcard_columns); i++)
			put_cell(&src->table, vcard_columns[i]);
		table_end_row(&src->table, 0);
		struct vcard_sink sink = {.t = &src->table};
		if (vcard_parse(data, len, chosen, on_card, &sink, NULL) < 0 || src->table.failed)
			return gx_fail(err, GX_EINTERNAL, NULL, "out of memory");
		return 0;
	}
	char *text = NULL;
	size_t text_len = 0, bad = 0;
	int rc = encoding_to_utf8(data, len, chosen, &text, &text_len, &src->encoding, &bad);
	if (rc == -1)
		return gx_fail(err, GX_EVALIDATION, "encoding",
		               "the file is not valid %s (byte %zu); choose another encoding",
		               opt->encoding, bad + 1);
	if (rc < 0)
		return gx_fail(err, GX_EINTERNAL, NULL, "out of memory");
	src->delimiter = csvread_detect_delimiter(text, text_len);
	rc = csvread_parse(text, text_len, src->delimiter, &src->table, &src->open_quote);
	free(text);
	return rc < 0 ? gx_fail(err, GX_EINTERNAL, NULL, "out of memory") : 0;
}

/* ---- the mapping -------------------------------------------------------------------------- */

struct mapping {
	int kind;
	size_t ncols;
	int target[MAX_COLUMNS]; /* per column, -1: ignored */
};

static int load_saved(struct crm_ctx *ctx, const char *name, json_t **mapping, char *kind,
                      struct gx_error *err)
{
	struct store_stmt *stmt = store_prepare(
	    ctx->store, "SELECT kind, mapping FROM import_mappings WHERE name = ?", err);
	if (!stmt)
		return GX_EINTERNAL;
	store_bind_text(stmt, 1, name);
	int rc = store_step(stmt, err);
	if (rc == STORE_ROW) {
		snprintf(kind, 16, "%s", store_col_text(stmt, 0));
		*mapping = json_loads(store_col_text(stmt, 1), 0, NULL);
	}
	store_done(stmt);
	if (rc == STORE_DONE)
		return gx_fail(err, GX_EVALIDATION, "mapping", "no saved mapping called \"%s\"",
		               name);
	return rc < 0 ? rc : 0;
}

/* Proposals for every header, then the saved mapping, then the caller's, each over the last. */
static int build_mapping(struct crm_ctx *ctx, const struct source *src,
                         const struct import_options *opt, struct mapping *m, struct gx_error *err)
{
	const struct table *t = &src->table;
	if (t->nrows == 0)
		return gx_fail(err, GX_EVALIDATION, "file", "the file is empty");
	m->ncols = table_width(t, 0);
	if (m->ncols > MAX_COLUMNS)
		return gx_fail(err, GX_EVALIDATION, "file", "more than %d columns", MAX_COLUMNS);
	json_t *saved = NULL;
	char saved_kind[16] = "";
	if (opt->mapping_name) {
		int rc = load_saved(ctx, opt->mapping_name, &saved, saved_kind, err);
		if (rc < 0)
			return rc;
	}
	const char *kind_name = opt->kind ? opt->kind : saved_kind[0] ? saved_kind : NULL;
	if (src->format == FMT_VCARD)
		kind_name = kind_name ? kind_name : "contacts";
	m->kind = kind_of(kind_name);
	if (kind_name && m->kind < 0) {
		json_decref(saved);
		return gx_fail(err, GX_EVALIDATION, "type",
		               "type must be accounts, contacts, interactions or orders");
	}
	if (m->kind < 0) {
		/* The kind whose targets the headers name most (ties: contacts, accounts, ...). */
		static const int order[] = {K_CONTACTS, K_ACCOUNTS, K_ORDERS, K_INTERACTIONS};
		int best = -1, best_score = 0;
		for (size_t o = 0; o < COUNT(order); o++) {
			int score = 0;
			for (size_t c = 0; c < m->ncols; c++)
				score += propose(order[o], table_cell(t, 0, c)) >= 0;
			if (score > best_score) {
				best_score = score;
				best = order[o];
			}
		}
		m->kind = best >= 0 ? best : K_CONTACTS;
	}
	int used[64] = {0};
	for (size_t c = 0; c < m->ncols; c++) {
		const char *header = table_cell(t, 0, c);
		int target = propose(m->kind, header);
		json_t *v = saved ? json_object_get(saved, header) : NULL;
		if (json_is_string(v) || json_is_null(v))
			target = json_is_null(v) ? -1 : target_of(m->kind, json_string_value(v));
		v = opt->mapping ? json_object_get(opt->mapping, header) : NULL;
		if (json_is_string(v) && target_of(m->kind, json_string_value(v)) < 0) {
			json_decref(saved);
			return gx_fail(err, GX_EVALIDATION, "mapping",
			               "\"%s\" is not an importable field of %s",
			               json_string_value(v), kind_names[m->kind]);
		}
		if (json_is_string(v) || json_is_null(v))
			target = json_is_null(v) ? -1 : target_of(m->kind, json_string_value(v));
		if (target >= 0 && used[target] && !kinds[m->kind].targets[target].multi)
			target = -1; /* the first column of a single-valued field wins */
		if (target >= 0)
			used[target] = 1;
		m->target[c] = target;
	}
	json_decref(saved);
	return 0;
}

/* The column mapped to a field, or -1. */
static int column_of(const struct mapping *m, const char *field)
{
	int target = target_of(m->kind, field);
	for (size_t c = 0; target >= 0 && c < m->ncols; c++)
		if (m->target[c] == target)
			return (int)c;
	return -1;
}

static int mapped(const struct mapping *m, const char *field)
{
	return column_of(m, field) >= 0;
}

/* The columns of one order line: an ERP export with one row per line has some of them. */
static const char *const line_fields[] = {"sku", "product", "qty", "unit_price", "unit_cost"};
enum { LINE_SKU, LINE_PRODUCT, LINE_QTY, LINE_PRICE, LINE_COST, NLINE };

static int line_field(const char *name)
{
	for (int i = 0; i < NLINE; i++)
		if (strcmp(name, line_fields[i]) == 0)
			return i;
	return -1;
}

static int has_line_columns(const struct mapping *m)
{
	for (int i = 0; m->kind == K_ORDERS && i < NLINE; i++)
		if (mapped(m, line_fields[i]))
			return 1;
	return 0;
}

/* What a file cannot do without: a column for one field of each group (contacts: a name or
 * its parts; orders: an amount or lines to add up, and a date). */
static int check_needed(const struct mapping *m, struct gx_error *err)
{
	static const char *const needed[][2][3] = {
	    [K_ACCOUNTS] = {{"name", NULL, NULL}, {NULL, NULL, NULL}},
	    [K_CONTACTS] = {{"name", "first_name", "last_name"}, {NULL, NULL, NULL}},
	    [K_INTERACTIONS] = {{"channel", NULL, NULL}, {NULL, NULL, NULL}},
	    [K_ORDERS] = {{"amount", "lines", "unit_price"}, {"ordered_at", NULL, NULL}},
	};
	for (int g = 0; g < 2 && needed[m->kind][g][0]; g++) {
		const char *const *group = needed[m->kind][g];
		int have = 0;
		for (int i = 0; i < 3 && group[i]; i++)
			for (size_t c = 0; c < m->ncols; c++)
				have |= m->target[c] == target_of(m->kind, group[i]);
		if (!have)
			return gx_fail(err, GX_EVALIDATION, "mapping",
			               "no column is mapped to %s%s%s, which %s need", group[0],
			               m->kind == K_ORDERS && group[1] ? " or " : "",
			               m->kind == K_ORDERS && group[1] ? group[1] : "",
			               kind_names[m->kind]);
	}
	if (m->kind == K_ORDERS && has_line_columns(m) && !mapped(m, "unit_price"))
		return gx_fail(err, GX_EVALIDATION, "mapping",
		               "no column is mapped to unit_price, which order lines need");
	return 0;
}

static json_t *mapping_json(const struct source *src, const struct mapping *m)
{
	json_t *out = json_object();
	for (size_t c = 0; c < m->ncols; c++) {
		const char *header = table_cell(&src->table, 0, c);
		if (!*header || !text_valid_utf8(header, strlen(header)))
			continue;
		json_object_set_new(out, header,
		                    m->target[c] >= 0
		                        ? json_string(kinds[m->kind].targets[m->target[c]].name)
		                        : json_null());
	}
	return out;
}

/* ---- one row into a record (worker threads) -------------------------------------------- */

/* A row ready to write. status: 0 to write, -1 rejected (field, message). */
struct prow {
	long line;
	int status;
	char field[96];
	char message[256];
	json_t *record; /* checked fields of the kind */
	char *doc;      /* search document, for a create (contacts, accounts) */
	char *account;  /* contacts, interactions, orders: the account's name */
	char *owner;    /* a username */
	char *external; /* the row's external id */
	char *contact, *contact_phone, *contact_email; /* interactions and orders */
	char *link, *link_phone; /* contacts: whom they report to; accounts: the parent's name */
	char hash[33];           /* of the row's mapped values */
	/* contacts: the JSON columns (phones, emails, addresses, tags, consent) as the INSERT
	 * binds them, made here on the worker so the writer only binds */
	char *lists[5];
};

static const char *const contact_lists[] = {"phones", "emails", "addresses", "tags", "consent"};

static void prow_free(struct prow *r)
{
	json_decref(r->record);
	free(r->doc);
	free(r->account);
	free(r->owner);
	free(r->external);
	free(r->contact);
	free(r->contact_phone);
	free(r->contact_email);
	free(r->link);
	free(r->link_phone);
	for (int i = 0; i < 5; i++)
		free(r->lists[i]);
	memset(r, 0, sizeof *r);
}

static int reject(struct prow *r, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int reject(struct prow *r, const char *field, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->message, sizeof r->message, fmt, ap);
	va_end(ap);
	snprintf(r->field, sizeof r->field, "%s", field ? field : "");
	r->status = -1;
	return -1;
}

/* Trims ASCII and ideographic spaces and a lone zero-width no-break space. */
static char *trimmed(const char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n' ||
	       (strncmp(s, "\xE3\x80\x80", 3) == 0 && (s += 2)) ||
	       (strncmp(s, "\xEF\xBB\xBF", 3) == 0 && (s += 2)))
		s++;
	size_t n = strlen(s);
	while (n > 0 &&
	       (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
		n--;
	while (n >= 3 && memcmp(s + n - 3, "\xE3\x80\x80", 3) == 0)
		n -= 3;
	return strndup(s, n);
}

static int digits_only(const char *s, int allow_dot)
{
	int seen = 0, dots = 0;
	for (; *s; s++) {
		if (*s >= '0' && *s <= '9')
			seen = 1;
		else if (*s == '.' && allow_dot && !dots++)
			continue;
		else
			return 0;
	}
	return seen;
}

/* Excel's serial day number (1900 system, with its phantom 29 Feb 1900) to Unix seconds. */
static int64_t excel_serial(const char *s)
{
	double d = strtod(s, NULL);
	return (int64_t)((d - 25569.0) * 86400.0 + (d >= 0 ? 0.5 : -0.5));
}

static int valid_date(int y, int m, int d)
{
	return y >= 1000 && y <= 9999 && m >= 1 && m <= 12 && d >= 1 &&
	       d <= clock_days_in_month(y, m);
}

/* YYYY-MM-DD from the ways dates are written: 2024-03-05, 2024/3/5, 2024.3.5, 20240305,
 * 2024年3月5日, 3/5/2024 (month first, as Salesforce and HubSpot in English write), an Excel
 * serial number, or an RFC 3339 time. */
static int parse_date(const char *s, char out[11])
{
	int y = 0, m = 0, d = 0;
	char rest[8] = "";
	if (digits_only(s, 1) && strlen(s) != 8) {
		int64_t t = excel_serial(s);
		char full[32];
		clock_format(t, full, sizeof full);
		memcpy(out, full, 10);
		out[10] = '\0';
		return strtod(s, NULL) >= 1 ? 0 : -1;
	}
	if (strlen(s) == 8 && digits_only(s, 0))
		sscanf(s, "%4d%2d%2d", &y, &m, &d);
	else if (sscanf(s, "%d年%d月%d日", &y, &m, &d) == 3 ||
	         sscanf(s, "%d-%d-%d%7s", &y, &m, &d, rest) >= 3 ||
	         sscanf(s, "%d/%d/%d", &y, &m, &d) == 3 || sscanf(s, "%d.%d.%d", &y, &m, &d) == 3) {
		if (y < 100 && d > 999) { /* M/D/YYYY */
			int yy = d;
			d = m;
			m = y;
			y = yy;
		}
	}
	if (!valid_date(y, m, d))
		return -1;
	char text[40];
	snprintf(text, sizeof text, "%04d-%02d-%02d", y, m, d);
	memcpy(out, text, 11);
	return 0;
}

/* An instant: RFC 3339 with its offset; a wall-clock time without one ("YYYY-MM-DD HH:MM[:SS]",
 * "YYYY-MM-DDTHH:MM:SS", "YYYY/M/D H:MM", "M/D/YYYY H:MM", an Excel serial with a time of day)
 * in zone (an IANA name); a date alone, written or as a whole Excel serial, is midnight UTC. */
static int parse_time(const char *s, const char *zone, char out[32])
{
	int64_t t;
	if (clock_parse(s, &t) == 0) {
		clock_format(t, out, 32);
		return 0;
	}
	int y, mo, d, h = 0, mi = 0, sec = 0;
	if (digits_only(s, 1) && (strchr(s, '.') || strlen(s) != 8)) { /* not YYYYMMDD */
		t = excel_serial(s);
		struct tm tm;
		if (t % 86400 == 0 || !gmtime_r(&(time_t){(time_t)t}, &tm)) {
			clock_format(t, out, 32);
			return 0;
		}
		if (tz_to_utc(zone, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		              tm.tm_min, tm.tm_sec, &t) < 0)
			return -1;
		clock_format(t, out, 32);
		return 0;
	}
	char date[11];
	if (sscanf(s, "%d-%d-%d %d:%d:%d", &y, &mo, &d, &h, &mi, &sec) >= 5 ||
	    sscanf(s, "%d-%d-%dT%d:%d:%d", &y, &mo, &d, &h, &mi, &sec) >= 5 ||
	    sscanf(s, "%d/%d/%d %d:%d:%d", &y, &mo, &d, &h, &mi, &sec) >= 5) {
		if (y < 100 && d > 999) { /* M/D/YYYY */
			int yy = d;
			d = mo;
			mo = y;
			y = yy;
		}
		if (!valid_date(y, mo, d) || tz_to_utc(zone, y, mo, d, h, mi, sec, &t) < 0)
			return -1;
		clock_format(t, out, 32);
		return 0;
	}
	if (parse_date(s, date) == 0) {
		snprintf(out, 32, "%sT00:00:00Z", date);
		return 0;
	}
	return -1;
}

/* "1,299.00", "¥1299", "RMB 1299.5", "$12" to "1299.00". */
/* A spreadsheet keeps a number as a binary double, so 9098.70 can come back as
 * 9098.700000000001: a value within a rounding error of whole cents is those cents; a finer
 * one (1.005) is not an amount of money. */
static int spreadsheet_cents(const char *text, int64_t *minor)
{
	char *end;
	double cents = strtod(text, &end) * 100.0, whole = nearbyint(cents);
	if (*end || !(fabs(whole) < 1e17) || fabs(cents - whole) > 1e-6 * fmax(1.0, fabs(cents)))
		return -1;
	*minor = (int64_t)whole;
	return 0;
}

static int parse_money(const char *s, char out[40])
{
	char digits[40];
	size_t n = 0;
	int neg = 0;
	for (; *s && n + 1 < sizeof digits; s++) {
		if ((*s >= '0' && *s <= '9') || *s == '.')
			digits[n++] = *s;
		else if (*s == '-' && n == 0)
			neg = 1;
		else if (*s == ',' || *s == ' ' || (unsigned char)*s >= 0x80 ||
		         (*s >= 'A' && *s <= 'Z') || *s == '$')
			continue;
		else
			return -1;
	}
	digits[n] = '\0';
	int64_t minor;
	char text[44];
	snprintf(text, sizeof text, "%s%s", neg ? "-" : "", digits);
	if (!n || (money_parse(text, &minor) < 0 && spreadsheet_cents(text, &minor) < 0))
		return -1;
	money_format(minor, out, 40);
	return 0;
}

static const char *const channel_words[][2] = {
    {"电话", "phone"}, {"通话", "phone"},   {"call", "phone"},  {"邮件", "email"},
    {"mail", "email"}, {"微信", "chat"},    {"wechat", "chat"}, {"聊天", "chat"},
    {"短信", "sms"},   {"text", "sms"},     {"网站", "web"},    {"拜访", "visit"},
    {"上门", "visit"}, {"会议", "meeting"}, {"社交", "social"}, {"论坛", "forum"},
};

static const char *const status_words[][2] = {
    {"已完成", "completed"}, {"完成", "completed"},  {"closed", "completed"},
    {"待处理", "open"},      {"未完成", "open"},     {"pending", "open"},
    {"已取消", "cancelled"}, {"取消", "cancelled"},  {"canceled", "cancelled"},
    {"退货", "returned"},    {"已退货", "returned"},
};

static const char *const role_words[][2] = {
    {"决策者", "decision_maker"},
    {"决策人", "decision_maker"},
    {"decision maker", "decision_maker"},
    {"影响者", "influencer"},
    {"采购", "buyer"},
    {"采购员", "buyer"},
    {"使用者", "user"},
    {"用户", "user"},
    {"把关者", "gatekeeper"},
    {"守门人", "gatekeeper"},
    {"支持者", "champion"},
    {"内线", "champion"},
    {"反对者", "blocker"},
    {"阻碍者", "blocker"},
};

static const char *word_of(const char *value, const char *const (*words)[2], size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(value, words[i][0]) == 0)
			return words[i][1];
	return value;
}

/* Words of call logs and activity exports that hold a direction (a cell is lower case here):
 * "Inbound", "incoming", "in", 呼入, 来电, 未接来电, 收到; "outgoing", 呼出, 去电, 外呼, 发出. */
static const char *direction_of(const char *v)
{
	static const char *const in[] = {"呼入", "来电", "打入", "接听",
	                                 "收到", "接收", "来信", "received"};
	static const char *const out[] = {"呼出", "去电", "拨出", "外呼",
	                                  "发出", "发送", "回复", "sent"};
	if (strncmp(v, "in", 2) == 0 || strcmp(v, "入") == 0)
		return "inbound";
	if (strncmp(v, "out", 3) == 0 || strcmp(v, "出") == 0)
		return "outbound";
	for (size_t i = 0; i < COUNT(in); i++)
		if (strstr(v, in[i]))
			return "inbound";
	for (size_t i = 0; i < COUNT(out); i++)
		if (strstr(v, out[i]))
			return "outbound";
	return v;
}

/* A length of time in seconds as call logs write it: "325", "05:30", "1:02:03", "90s",
 * "5 min", "5分30秒", "5分钟", "1小时5分". -1 when it is none of those. */
static long long parse_duration(const char *s)
{
	static const struct {
		const char *unit;
		long long seconds;
	} units[] = {
	    {"hours", 3600}, {"hour", 3600}, {"hrs", 3600},   {"hr", 3600},   {"h", 3600},
	    {"小时", 3600},  {"时", 3600},   {"minutes", 60}, {"minute", 60}, {"mins", 60},
	    {"min", 60},     {"m", 60},      {"分钟", 60},    {"分", 60},     {"seconds", 1},
	    {"second", 1},   {"secs", 1},    {"sec", 1},      {"s", 1},       {"秒钟", 1},
	    {"秒", 1},
	};
	long long total = 0, part[3];
	int n = 0, colons = 0;
	const char *p = s;
	for (;;) { /* [[h:]m:]s */
		if (*p < '0' || *p > '9' || n == 3)
			break;
		char *end;
		part[n++] = strtoll(p, &end, 10);
		p = end;
		if (*p != ':')
			break;
		colons++;
		p++;
	}
	if (n > 0 && !*p && colons == n - 1) {
		for (int i = 0; i < n; i++) {
			if ((i > 0 && part[i] >= 60) || part[i] > 100000000 || total > 100000000)
				return -1;
			total = total * 60 + part[i];
		}
		return total > 100000000 ? -1 : total;
	}
	long long last_unit = 0;
	int any = 0;
	for (p = s; *p;) {
		while (*p == ' ')
			p++;
		if (*p < '0' || *p > '9')
			return -1;
		char *end;
		long long v = strtoll(p, &end, 10);
		p = end;
		while (*p == ' ')
			p++;
		long long unit = 0;
		for (size_t i = 0; i < COUNT(units) && !unit; i++) {
			size_t len = strlen(units[i].unit);
			if (strncasecmp(p, units[i].unit, len) == 0 &&
			    !(p[len] >= 'a' && p[len] <= 'z')) {
				unit = units[i].seconds;
				p += len;
			}
		}
		if (!unit && !*p && last_unit == 60)
			unit = 1; /* "5分30": the seconds after the minutes */
		if (!unit || v > 100000000 || (last_unit && unit >= last_unit))
			return -1;
		total += v * unit;
		last_unit = unit;
		any = 1;
		while (*p == ' ')
			p++;
	}
	return any && total <= 100000000 ? total : -1;
}

/* Splits a list cell at ; , 、 ， | or newlines into a JSON array of distinct strings. */
static json_t *split_list(const char *s)
{
	json_t *list = json_array();
	struct buf item = {0};
	for (const char *p = s;; p++) {
		int sep = !*p || *p == ';' || *p == ',' || *p == '|' || *p == '\n';
		int wide = !sep && (strncmp(p, "、", 3) == 0 || strncmp(p, "，", 3) == 0 ||
		                    strncmp(p, "；", 3) == 0);
		if (sep || wide) {
			char *t = trimmed(buf_text(&item) ? buf_text(&item) : "");
			int dup = 0;
			size_t i;
			json_t *v;
			json_array_foreach(list, i, v)
			{
				dup |= t && strcmp(json_string_value(v), t) == 0;
			}
			if (t && *t && !dup)
				json_array_append_new(list, json_string(t));
			free(t);
			item.len = 0;
			if (!*p)
				break;
			if (wide)
				p += 2;
			continue;
		}
		buf_append_n(&item, p, 1);
	}
	buf_free(&item);
	return list;
}

static const char *const phone_kinds[] = {"mobile", "work", "home", "fax", "other"};
static const char *const email_kinds[] = {"work", "home", "other"};

/* "mobile: 138...; work: 010..." (our export, vCards) or a JSON list into items. */
static int add_items(json_t *list, const char *cell, const char *key, const char *const *kinds_,
                     size_t nkinds, const char *default_kind)
{
	if (cell[0] == '[') {
		json_t *parsed = json_loads(cell, 0, NULL);
		if (!json_is_array(parsed)) {
			json_decref(parsed);
			return -1;
		}
		json_array_extend(list, parsed);
		json_decref(parsed);
		return 0;
	}
	char *copy = strdup(cell);
	for (char *item = copy, *next; item && *item; item = next) {
		next = strpbrk(item, ";\n");
		if (next)
			*next++ = '\0';
		char *colon = strchr(item, ':');
		const char *kind = default_kind;
		if (colon) {
			*colon = '\0';
			char *k = trimmed(item);
			int named = 0;
			for (size_t i = 0; k && i < nkinds; i++)
				if (strcasecmp(k, kinds_[i]) == 0) {
					kind = kinds_[i];
					named = 1;
				}
			free(k);
			if (named)
				item = colon + 1;
			else
				*colon = ':'; /* not a kind: part of the value */
		}
		char *v = trimmed(item);
		if (v && *v)
			json_array_append_new(list, json_pack("{s:s, s:s}", "kind", kind, key, v));
		free(v);
	}
	free(copy);
	return 0;
}

struct run;
static void hash_unit(const struct run *run, size_t unit, char out[33]);

struct run {
	struct crm_ctx *ctx;
	const struct import_options *opt;
	struct source src;
	struct mapping map;
	struct config config; /* the caller's, with the import's region */
	int64_t job_id;
	int64_t start_row; /* data rows (units) already done (a resumed job) */
	/* Orders with line columns: the rows of one order (the same external_ref) are one unit,
	 * converted and written together; units are in the order of their first rows. Without
	 * line columns (unit_rows NULL) every data row is a unit. */
	int zone_in_hash; /* a time column is mapped: the zone is part of what a row says */
	size_t nunits;
	size_t *unit_start; /* unit u: unit_rows[unit_start[u]] up to unit_start[u + 1] */
	size_t *unit_rows;  /* table rows */
	int batch;
	int64_t now;
	/* the pipeline */
	pthread_mutex_t lock;
	pthread_cond_t changed;
	size_t nchunks, next_chunk, written;
	struct prow **chunks;
	int *ready;
	size_t *garbage; /* chunks written, for a worker to free (the writer has enough to do) */
	size_t ngarbage;
	int stop;
	/* results */
	struct import_progress progress;
	int64_t accounts_created;
	json_t *rejects;   /* [{"line","field","message"}] of a dry run */
	struct fast *fast; /* the empty-database fast path; NULL when not taken */
	struct buf docs_sql;
	int64_t *doc_ids;
	char **docs;
	int *doc_kinds;
	size_t ndocs, docs_cap;
};

static const char *header_of(const struct run *run, size_t col)
{
	return table_cell(&run->src.table, 0, col);
}

/* The column a record field came from, for a reject: "direction" -> "方向", "lines[2].qty" ->
 * the lines column; the field itself when no column maps to it. */
static const char *column_for(const struct run *run, const char *field)
{
	size_t n = field ? strcspn(field, "[.") : 0;
	for (size_t c = 0; n && c < run->map.ncols; c++) {
		int target = run->map.target[c];
		const char *name = target >= 0 ? kinds[run->map.kind].targets[target].name : NULL;
		if (name && strlen(name) == n && strncmp(name, field, n) == 0 && *header_of(run, c))
			return header_of(run, c);
	}
	return field;
}

static void set_text(json_t *record, const char *field, const char *value)
{
	json_object_set_new(record, field, json_string(value));
}

static void add_address_part(json_t *record, const char *key, const char *value)
{
	json_t *list = json_object_get(record, "addresses");
	if (!list) {
		list = json_array();
		json_object_set_new(record, "addresses", list);
	}
	json_t *first = json_array_get(list, 0);
	if (!first) {
		first = json_pack("{s:s}", "kind", "work");
		json_array_append_new(list, first);
	}
	json_object_set_new(first, key, json_string(value));
}

/* One mapped cell into the record or the row's helpers; -1 rejects the row. */
static int put_value(struct run *run, struct prow *r, json_t *record, const char *target,
                     const char *header, const char *v, char **first, char **last,
                     const char **phone_headers, size_t *nphones, const char **email_headers,
                     size_t *nemails)
{
	const struct record_kind *kind = kinds[run->map.kind].kind;
	const struct field *f = NULL;
	for (size_t i = 0; i < kind->nfields; i++)
		if (strcmp(kind->fields[i].name, target) == 0)
			f = &kind->fields[i];
	static const struct {
		const char *target, *kind;
	} phone_targets[] = {{"mobile", "mobile"},
	                     {"phone", "work"},
	                     {"home_phone", "home"},
	                     {"fax", "fax"},
	                     {"other_phone", "other"}},
	  email_targets[] = {{"email", "work"},
	                     {"work_email", "work"},
	                     {"home_email", "home"},
	                     {"other_email", "other"}};
	if (run->map.kind == K_CONTACTS) {
		for (size_t i = 0; i < COUNT(phone_targets); i++)
			if (strcmp(target, phone_targets[i].target) == 0) {
				json_t *list = json_object_get(record, "phones");
				size_t before = json_array_size(list);
				add_items(list, v, "number", phone_kinds, COUNT(phone_kinds),
				          phone_targets[i].kind);
				for (size_t k = before; k < json_array_size(list) && *nphones < 50;
				     k++)
					phone_headers[(*nphones)++] = header;
				return 0;
			}
		for (size_t i = 0; i < COUNT(email_targets); i++)
			if (strcmp(target, email_targets[i].target) == 0) {
				json_t *list = json_object_get(record, "emails");
				size_t before = json_array_size(list);
				add_items(list, v, "address", email_kinds, COUNT(email_kinds),
				          email_targets[i].kind);
				for (size_t k = before; k < json_array_size(list) && *nemails < 50;
				     k++)
					email_headers[(*nemails)++] = header;
				return 0;
			}
		if (strcmp(target, "phones") == 0 || strcmp(target, "emails") == 0) {
			int phones = target[0] == 'p';
			json_t *list = json_object_get(record, target);
			size_t before = json_array_size(list);
			if (phones ? add_items(list, v, "number", phone_kinds, COUNT(phone_kinds),
			                       "mobile")
			           : add_items(list, v, "address", email_kinds, COUNT(email_kinds),
			                       "work"))
				return reject(r, header, "%s must be a list", header);
			for (size_t k = before; k < json_array_size(list); k++) {
				if (phones && *nphones < 50)
					phone_headers[(*nphones)++] = header;
				else if (!phones && *nemails < 50)
					email_headers[(*nemails)++] = header;
			}
			return 0;
		}
		if (strcmp(target, "first_name") == 0 || strcmp(target, "last_name") == 0) {
			char **slot = target[0] == 'f' ? first : last;
			free(*slot);
			*slot = strdup(v);
			return 0;
		}
		static const char *const parts[] = {"street", "city", "region", "postcode",
		                                    "country"};
		for (size_t i = 0; i < COUNT(parts); i++)
			if (strcmp(target, parts[i]) == 0) {
				add_address_part(record, parts[i], v);
				return 0;
			}
		if (strcmp(target, "addresses") == 0 || strcmp(target, "consent") == 0) {
			json_t *parsed = json_loads(v, JSON_DECODE_ANY, NULL);
			if (!parsed)
				return reject(r, header, "%s must be JSON as the export writes it",
				              header);
			json_object_set_new(record, target, parsed);
			return 0;
		}
	}
	char **helper = strcmp(target, "account") == 0         ? &r->account
	                : strcmp(target, "owner") == 0         ? &r->owner
	                : strcmp(target, "external_id") == 0   ? &r->external
	                : strcmp(target, "contact") == 0       ? &r->contact
	                : strcmp(target, "contact_phone") == 0 ? &r->contact_phone
	                : strcmp(target, "contact_email") == 0 ? &r->contact_email
	                : strcmp(target, "reports_to") == 0 || strcmp(target, "parent") == 0
	                    ? &r->link
	                : strcmp(target, "reports_to_phone") == 0 ? &r->link_phone
	                                                          : NULL;
	if (helper) {
		free(*helper);
		*helper = strdup(v);
		return 0;
	}
	if (!f)
		return 0;
	char text[64];
	switch (f->type) {
	case F_DATE:
		if (parse_date(v, text) < 0)
			return reject(r, header, "\"%s\" is not a date (YYYY-MM-DD)", v);
		set_text(record, f->name, text);
		return 0;
	case F_TIME:
		if (parse_time(v, run->config.timezone, text) < 0)
			return reject(r, header, "\"%s\" is not a date and time", v);
		set_text(record, f->name, text);
		return 0;
	case F_MONEY:
		if (parse_money(v, text) < 0)
			return reject(r, header, "\"%s\" is not an amount of money", v);
		set_text(record, f->name, text);
		return 0;
	case F_COUNT:
		if (strcmp(f->name, "duration_s") == 0) {
			long long seconds = parse_duration(v);
			if (seconds < 0)
				return reject(r, header,
				              "\"%s\" is not a duration (seconds, 05:30, 5分30秒)",
				              v);
			json_object_set_new(record, f->name, json_integer(seconds));
			return 0;
		}
		/* fall through */
	case F_REF:
	case F_USER: {
		char *end;
		long long n = strtoll(v, &end, 10);
		if (*end || n < 0)
			return reject(r, header, "\"%s\" is not a whole number", v);
		json_object_set_new(record, f->name, json_integer(n));
		return 0;
	}
	case F_TAGS: {
		json_t *have = json_object_get(record, f->name);
		json_t *more = split_list(v);
		if (have)
			json_array_extend(have, more);
		else
			json_object_set(record, f->name, more);
		json_decref(more);
		return 0;
	}
	case F_JSON: {
		json_t *parsed = json_loads(v, JSON_DECODE_ANY, NULL);
		if (!parsed)
			return reject(r, header, "%s must be JSON", header);
		json_object_set_new(record, f->name, parsed);
		return 0;
	}
	case F_ENUM: {
		char *lower = strdup(v);
		if (!lower)
			return reject(r, header, "out of memory");
		for (char *p = lower; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
		const char *word = lower;
		if (strcmp(f->name, "channel") == 0)
			word = word_of(lower, channel_words, COUNT(channel_words));
		else if (strcmp(f->name, "status") == 0)
			word = word_of(lower, status_words, COUNT(status_words));
		else if (strcmp(f->name, "direction") == 0)
			word = direction_of(lower);
		else if (strcmp(f->name, "buying_role") == 0)
			word = word_of(lower, role_words, COUNT(role_words));
		int known = 0;
		for (const char *const *c = f->choices; *c && !known; c++)
			known = strcmp(*c, word) == 0;
		if (!known) {
			struct buf list = {0};
			for (const char *const *c = f->choices; *c; c++)
				buf_printf(&list, "%s%s", c == f->choices ? "" : ", ", *c);
			reject(r, header, "\"%s\" is not a %s (%s)", v, f->name,
			       buf_text(&list) ? buf_text(&list) : "");
			buf_free(&list);
		} else {
			set_text(record, f->name, word);
		}
		free(lower);
		return r->status;
	}
	case F_CURRENCY: {
		char up[8] = "";
		for (size_t i = 0; v[i] && i < 7; i++)
			up[i] = (char)(v[i] >= 'a' && v[i] <= 'z' ? v[i] - 'a' + 'A' : v[i]);
		set_text(record, f->name, strcmp(up, "RMB") == 0 ? "CNY" : up);
		return 0;
	}
	default: set_text(record, f->name, v); return 0;
	}
}

/* Points a validation error at the column it came from: "phones[1].number" -> the header. */
static void blame(struct prow *r, const struct gx_error *e, const char **phone_headers,
                  size_t nphones, const char **email_headers, size_t nemails)
{
	unsigned i = 0;
	const char *field = e->field;
	if (sscanf(field, "phones[%u]", &i) == 1 && i < nphones)
		field = phone_headers[i];
	else if (sscanf(field, "emails[%u]", &i) == 1 && i < nemails)
		field = email_headers[i];
	reject(r, field, "%s", e->message);
}

/* The table rows of a unit (see struct run). */
static void unit_span(const struct run *run, size_t unit, size_t *from, size_t *to)
{
	*from = run->unit_rows ? run->unit_start[unit] : unit;
	*to = run->unit_rows ? run->unit_start[unit + 1] : unit + 1;
}

static size_t unit_row(const struct run *run, size_t k)
{
	return run->unit_rows ? run->unit_rows[k] : k + 1;
}

static int order_lines(struct run *run, size_t unit, struct prow *r, json_t *record);

/* A CSV row must have the header's number of fields: else r is rejected on that row's line. */
static int check_width(const struct run *run, size_t row, struct prow *r)
{
	const struct table *t = &run->src.table;
	if (run->src.format != FMT_CSV || table_width(t, row) == run->map.ncols)
		return 0;
	r->line = t->lines[row];
	if (run->src.open_quote && r->line >= run->src.open_quote)
		return reject(r, NULL, "a quoted field opened on line %ld is never closed",
		              run->src.open_quote);
	return reject(r, NULL, "the row has %zu fields but the header has %zu", table_width(t, row),
	              run->map.ncols);
}

/* One unit (a row; an order of several rows) into r. */
static void convert_row(struct run *run, size_t unit, struct prow *r)
{
	const struct table *t = &run->src.table;
	size_t from, to;
	unit_span(run, unit, &from, &to);
	size_t row = unit_row(run, from);
	r->line = t->lines[row];
	if (check_width(run, row, r) < 0)
		return;
	json_t *record = json_object();
	if (run->map.kind == K_CONTACTS) {
		json_object_set_new(record, "phones", json_array());
		json_object_set_new(record, "emails", json_array());
	}
	char *first = NULL, *last = NULL;
	const char *phone_headers[50], *email_headers[50];
	size_t nphones = 0, nemails = 0;
	for (size_t c = 0; c < run->map.ncols && r->status == 0; c++) {
		int target = run->map.target[c];
		if (target < 0)
			continue;
		const char *cell = table_cell(t, row, c);
		if (!text_valid_utf8(cell, strlen(cell)) && *cell) {
			reject(r, header_of(run, c), "not valid text in the file's encoding");
			break;
		}
		char *v = trimmed(cell);
		if (v && v[0] == '\'' && v[1] && strchr("=+-@\t\r", v[1]))
			memmove(v, v + 1, strlen(v)); /* the export's CSV-injection guard */
		if (v && *v)
			put_value(run, r, record, kinds[run->map.kind].targets[target].name,
			          header_of(run, c), v, &first, &last, phone_headers, &nphones,
			          email_headers, &nemails);
		free(v);
	}
	if (r->status == 0 && run->map.kind == K_CONTACTS && !json_object_get(record, "name") &&
	    (first || last)) {
		const char *a = first ? first : "", *b = last ? last : "";
		int han = (unsigned char)b[0] >= 0xE3 || (unsigned char)a[0] >= 0xE3;
		char name[420];
		/* Han names: family name first, no space (张 + 伟 = 张伟). */
		if (han)
			snprintf(name, sizeof name, "%s%s", b, a);
		else
			snprintf(name, sizeof name, "%s%s%s", a, *a && *b ? " " : "", b);
		set_text(record, "name", name);
	}
	free(first);
	free(last);
	if (r->status == 0 && run->map.kind == K_ORDERS && run->unit_rows)
		order_lines(run, unit, r, record);
	struct gx_error e = {0};
	const struct record_kind *kind = kinds[run->map.kind].kind;
	if (r->status == 0 && (run->map.kind == K_CONTACTS || run->map.kind == K_ACCOUNTS) &&
	    !json_object_get(record, "name"))
		reject(r, column_for(run, "name"), "name is required");
	/* A visit is made by us unless the file says otherwise (visit logs have no direction). */
	const char *channel = json_string_value(json_object_get(record, "channel"));
	if (r->status == 0 && run->map.kind == K_INTERACTIONS &&
	    !json_object_get(record, "direction") && channel && strcmp(channel, "visit") == 0)
		set_text(record, "direction", "outbound");
	if (r->status == 0 && run->map.kind == K_INTERACTIONS && channel &&
	    !json_object_get(record, "direction"))
		reject(r, column_for(run, "direction"),
		       "direction is required: inbound or outbound (呼入, 呼出)");
	if (r->status == 0 && records_check_body(kind, record, 1, &e) < 0)
		reject(r, column_for(run, e.field), "%s", e.message);
	if (r->status == 0 && run->map.kind == K_CONTACTS) {
		struct crm_ctx wctx = {
		    .store = NULL, .config = &run->config, .actor = run->ctx->actor};
		if (kind->normalise(&wctx, record, NULL, &e) < 0)
			blame(r, &e, phone_headers, nphones, email_headers, nemails);
		else
			r->doc = search_contact_doc(record, r->account);
	} else if (r->status == 0 && run->map.kind == K_ACCOUNTS) {
		json_t *tags = json_object_get(record, "tags");
		if (!tags)
			json_object_set_new(record, "tags", json_array());
		r->doc = search_account_doc(record);
	}
	if (r->status == 0 && run->map.kind == K_CONTACTS) {
		for (int i = 0; i < 5; i++) {
			const json_t *v = json_object_get(record, contact_lists[i]);
			r->lists[i] = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY)
			                : strdup(i == 4 ? "{}" : "[]");
		}
	}
	if (r->status == 0) {
		r->record = record;
		hash_unit(run, unit, r->hash);
	} else {
		json_decref(record);
	}
}

/* The hash of a unit's mapped values (all its rows': an order's lines are part of it). */
static void hash_unit(const struct run *run, size_t unit, char out[33])
{
	crypto_generichash_state h;
	unsigned char digest[16];
	crypto_generichash_init(&h, NULL, 0, sizeof digest);
	const char *kind = kind_names[run->map.kind];
	crypto_generichash_update(&h, (const unsigned char *)kind, strlen(kind) + 1);
	/* The same wall-clock times read in another zone are other instants, not the same row. */
	if (run->zone_in_hash)
		crypto_generichash_update(&h, (const unsigned char *)run->config.timezone,
		                          strlen(run->config.timezone) + 1);
	size_t from, to;
	unit_span(run, unit, &from, &to);
	for (size_t k = from; k < to; k++)
		for (size_t c = 0; c < run->map.ncols; c++) {
			if (run->map.target[c] < 0)
				continue;
			const char *v = table_cell(&run->src.table, unit_row(run, k), c);
			const char *target = kinds[run->map.kind].targets[run->map.target[c]].name;
			crypto_generichash_update(&h, (const unsigned char *)target,
			                          strlen(target) + 1);
			crypto_generichash_update(&h, (const unsigned char *)v, strlen(v) + 1);
		}
	crypto_generichash_final(&h, digest, sizeof digest);
	for (int i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", digest[i]);
}

/* A quantity: a whole number above 0, written "3", "3.000" or "1,200". */
static long long parse_qty(const char *s)
{
	long long n = 0;
	int digits = 0;
	for (; *s && *s != '.'; s++) {
		if (*s == ',')
			continue;
		if (*s < '0' || *s > '9' || n > 1000000000)
			return -1;
		n = n * 10 + (*s - '0');
		digits++;
	}
	if (*s == '.')
		for (s++; *s; s++)
			if (*s != '0')
				return -1;
	return digits && n > 0 && n <= 1000000000 ? n : -1;
}

/* The amount column of a line-level file holds the order's total (on its first row, or the
 * same on every row) or each line's amount (qty x unit price, or less after a discount).
 * Line amounts tell themselves apart by differing between rows, or, in an order of several
 * lines, by each equalling its own line's qty x unit price: then the order's amount is their
 * sum, a line without one counting as qty x unit price, and a row without a line (a header
 * row) that states a total must state that sum. line_total: qty x unit price of each row in
 * minor units, NO_LINE for a row without a line. */
#define NO_LINE INT64_MIN
static void order_amount(struct run *run, size_t from, size_t to, size_t col,
                         const int64_t *line_total, struct prow *r, json_t *record)
{
	const struct table *t = &run->src.table;
	int64_t first = 0, stated = 0, sum = 0;
	int lines = 0, amounts = 0, differ = 0, own = 1;
	long stated_line = 0; /* 0: no header row states a total */
	for (size_t k = from; k < to && r->status == 0; k++) {
		size_t row = unit_row(run, k);
		char *v = trimmed(table_cell(t, row, col)), text[40];
		int64_t a = 0, own_total = line_total[k - from];
		int has = v && *v;
		if (has && (parse_money(v, text) < 0 || money_parse(text, &a) < 0)) {
			r->line = t->lines[row];
			reject(r, header_of(run, col), "\"%s\" is not an amount of money", v);
		}
		free(v);
		if (r->status < 0 || (own_total == NO_LINE && !has))
			continue;
		if (own_total == NO_LINE) {
			stated = a;
			stated_line = t->lines[row];
			continue;
		}
		lines++;
		if (__builtin_add_overflow(sum, has ? a : own_total, &sum) ||
		    sum > MONEY_MAX_MINOR || sum < -MONEY_MAX_MINOR) {
			r->line = t->lines[row];
			reject(r, header_of(run, col),
			       "the order's amount is larger than money allows");
		}
		if (!has)
			continue;
		differ |= amounts && a != first;
		first = amounts++ ? first : a;
		own &= a == own_total;
	}
	if (r->status < 0 || !amounts)
		return;
	int per_line = lines >= 2 && (differ || own);
	int64_t total = per_line ? sum : first;
	char text[40], said[40];
	money_format(total, text, sizeof text);
	if (stated_line && stated != total) {
		money_format(stated, said, sizeof said);
		r->line = stated_line;
		reject(r, header_of(run, col), "the order's total %s is not %s, %s", said,
		       per_line ? "the sum of its lines" : "what its lines say", text);
	} else if (per_line) {
		set_text(record, "amount", text);
	}
}

/* An order of several rows (an ERP export with one row per line): its lines from every row
 * ({"sku", "name", "qty", "unit_price"}; orders.c adds qty x unit price up into the amount
 * unless an amount column gave the total), its cost from the unit costs when every line has
 * one and no cost column gave it. Every other mapped column of a later row must be empty or
 * say what the first row says. A bad row rejects the whole order, naming that row's line. */
static int order_lines(struct run *run, size_t unit, struct prow *r, json_t *record)
{
	const struct table *t = &run->src.table;
	size_t from, to;
	unit_span(run, unit, &from, &to);
	size_t first = unit_row(run, from);
	int have_qty = mapped(&run->map, "qty"), costs = mapped(&run->map, "unit_cost");
	int amount_col = column_of(&run->map, "amount");
	const char *ref = json_string_value(json_object_get(record, "external_ref"));
	json_t *lines = json_array();
	int64_t cost = 0;
	int64_t *line_total = malloc((to - from) * sizeof *line_total);
	if (!line_total) {
		json_decref(lines);
		return reject(r, NULL, "out of memory");
	}
	for (size_t k = from; k < to && r->status == 0; k++) {
		line_total[k - from] = NO_LINE;
		size_t row = unit_row(run, k);
		long line = t->lines[row];
		if (check_width(run, row, r) < 0)
			break;
		char *v[NLINE] = {0};
		const char *h[NLINE] = {0};
		for (size_t c = 0; c < run->map.ncols && r->status == 0; c++) {
			int target = run->map.target[c];
			if (target < 0)
				continue;
			const char *cell = table_cell(t, row, c);
			int li = line_field(kinds[K_ORDERS].targets[target].name);
			if (*cell && !text_valid_utf8(cell, strlen(cell))) {
				reject(r, header_of(run, c),
				       "not valid text in the file's encoding");
			} else if (li >= 0) {
				v[li] = trimmed(cell);
				h[li] = header_of(run, c);
			} else if (k > from && (int)c != amount_col) {
				char *here = trimmed(cell),
				     *there = trimmed(table_cell(t, first, c));
				if (here && there && *here && strcmp(here, there) != 0)
					reject(r, header_of(run, c),
					       "order %s: \"%s\" here but \"%s\" on line %ld",
					       ref ? ref : "", here, there, t->lines[first]);
				free(here);
				free(there);
			}
		}
		int empty = 1;
		for (int i = 0; i < NLINE; i++)
			empty &= !v[i] || !*v[i];
		long long qty = 1;
		char price[40], unit_cost[40];
		int64_t minor = 0, sum = 0, unit_minor = 0;
		if (r->status < 0 || empty) {
			/* rejected, or a row without a line (an order's header row) */
		} else if (have_qty && !*v[LINE_QTY]) {
			reject(r, h[LINE_QTY], "a line needs a quantity");
		} else if (have_qty && (qty = parse_qty(v[LINE_QTY])) < 0) {
			reject(r, h[LINE_QTY], "\"%s\" is not a quantity (a whole number above 0)",
			       v[LINE_QTY]);
		} else if (!*v[LINE_PRICE]) {
			reject(r, h[LINE_PRICE], "a line needs a unit price");
		} else if (parse_money(v[LINE_PRICE], price) < 0) {
			reject(r, h[LINE_PRICE], "\"%s\" is not an amount of money", v[LINE_PRICE]);
		} else if (costs && *v[LINE_COST] &&
		           (parse_money(v[LINE_COST], unit_cost) < 0 ||
		            money_parse(unit_cost, &minor) < 0)) {
			reject(r, h[LINE_COST], "\"%s\" is not an amount of money", v[LINE_COST]);
		} else if (money_parse(price, &unit_minor) < 0 ||
		           __builtin_mul_overflow(unit_minor, qty, &line_total[k - from]) ||
		           line_total[k - from] > MONEY_MAX_MINOR ||
		           line_total[k - from] < -MONEY_MAX_MINOR) {
			reject(r, h[LINE_PRICE], "the line's amount is larger than money allows");
		} else {
			json_t *item =
			    json_pack("{s:I, s:s}", "qty", (json_int_t)qty, "unit_price", price);
			if (v[LINE_SKU] && *v[LINE_SKU])
				json_object_set_new(item, "sku", json_string(v[LINE_SKU]));
			if (v[LINE_PRODUCT] && *v[LINE_PRODUCT])
				json_object_set_new(item, "name", json_string(v[LINE_PRODUCT]));
			json_array_append_new(lines, item);
			if (!costs || !*v[LINE_COST])
				costs =
				    0; /* a line without a unit cost: the order's cost is unknown */
			else if (__builtin_mul_overflow(minor, qty, &sum) ||
			         __builtin_add_overflow(cost, sum, &cost) ||
			         cost > MONEY_MAX_MINOR || cost < -MONEY_MAX_MINOR)
				reject(r, h[LINE_COST],
				       "the order's cost is larger than money allows");
		}
		for (int i = 0; i < NLINE; i++)
			free(v[i]);
		if (r->status < 0)
			r->line = line;
	}
	if (r->status == 0 && amount_col >= 0)
		order_amount(run, from, to, (size_t)amount_col, line_total, r, record);
	free(line_total);
	if (r->status == 0 && json_array_size(lines)) {
		json_object_set(record, "lines", lines);
		if (costs && !json_object_get(record, "cost")) {
			char text[40];
			money_format(cost, text, sizeof text);
			set_text(record, "cost", text);
		}
	}
	json_decref(lines);
	return r->status;
}

struct order_row {
	char *ref;         /* the external_ref, trimmed */
	size_t row, first; /* the table row; the first row of its order */
};

static int by_ref(const void *a, const void *b)
{
	const struct order_row *x = a, *y = b;
	int c = strcmp(x->ref, y->ref);
	return c ? c : x->row < y->row ? -1 : x->row > y->row;
}

static int by_first(const void *a, const void *b)
{
	const struct order_row *x = a, *y = b;
	if (x->first != y->first)
		return x->first < y->first ? -1 : 1;
	return x->row < y->row ? -1 : x->row > y->row;
}

/* Orders with line columns: rows with the same external_ref (anywhere in the file) become one
 * unit; a row without one is an order of its own. */
static int group_orders(struct run *run, struct gx_error *err)
{
	size_t n = run->src.table.nrows > 0 ? run->src.table.nrows - 1 : 0;
	int target = target_of(K_ORDERS, "external_ref");
	size_t ref_col = (size_t)-1;
	for (size_t c = 0; c < run->map.ncols; c++)
		if (run->map.target[c] == target && ref_col == (size_t)-1)
			ref_col = c;
	struct order_row *rows = calloc(n ? n : 1, sizeof *rows);
	run->unit_rows = calloc(n ? n : 1, sizeof *run->unit_rows);
	run->unit_start = calloc(n + 1, sizeof *run->unit_start);
	int failed = !rows || !run->unit_rows || !run->unit_start;
	for (size_t i = 0; i < n && !failed; i++) {
		rows[i].row = i + 1;
		rows[i].ref = trimmed(
		    ref_col == (size_t)-1 ? "" : table_cell(&run->src.table, i + 1, ref_col));
		failed = !rows[i].ref;
	}
	if (!failed) {
		qsort(rows, n, sizeof *rows, by_ref);
		for (size_t i = 0; i < n; i++)
			rows[i].first =
			    *rows[i].ref && i > 0 && strcmp(rows[i].ref, rows[i - 1].ref) == 0
			        ? rows[i - 1].first
			        : rows[i].row;
		qsort(rows, n, sizeof *rows, by_first);
		run->nunits = 0;
		for (size_t i = 0; i < n; i++) {
			if (i == 0 || rows[i].first != rows[i - 1].first)
				run->unit_start[run->nunits++] = i;
			run->unit_rows[i] = rows[i].row;
		}
		run->unit_start[run->nunits] = n;
	}
	for (size_t i = 0; rows && i < n; i++)
		free(rows[i].ref);
	free(rows);
	return failed ? gx_fail(err, GX_EINTERNAL, NULL, "out of memory") : 0;
}

/* ---- the pipeline --------------------------------------------------------------------- */

/* ---- links between rows: whom a contact reports to, an account's parent ------------------ */

/* The target that names another record of the same kind, or "" for kinds without one. */
static const char *link_target(const struct run *run)
{
	return run->map.kind == K_CONTACTS   ? "reports_to"
	       : run->map.kind == K_ACCOUNTS ? "parent"
	                                     : "";
}

struct named_row {
	char *name;
	size_t row;
};

static int by_name(const void *a, const void *b)
{
	const struct named_row *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	return c ? c : x->row < y->row ? -1 : x->row > y->row;
}

/* The first row called name, other than self; 0 when none. */
static size_t row_called(const struct named_row *names, size_t n, const char *name, size_t self)
{
	struct named_row key = {(char *)name, 0};
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (by_name(&names[mid], &key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < n && strcmp(names[lo].name, name) == 0; lo++)
		if (names[lo].row != self)
			return names[lo].row;
	return 0;
}

/* Each row's depth in the chains of links within the file (a row whose link is not in the
 * file is 0, its reports 1...), followed without recursion; a cycle is cut where it closes. */
static void link_depths(const size_t *next, size_t n, size_t *depth, size_t *path, char *on_path)
{
	const size_t unknown = (size_t)-1;
	for (size_t i = 1; i <= n; i++)
		depth[i] = unknown;
	for (size_t i = 1; i <= n; i++) {
		size_t len = 0, j = i;
		while (j && depth[j] == unknown && !on_path[j]) {
			on_path[j] = 1;
			path[len++] = j;
			j = next[j];
		}
		size_t d = j && !on_path[j] ? depth[j] + 1 : 0;
		while (len--) {
			depth[path[len]] = d++;
			on_path[path[len]] = 0;
		}
	}
}

/* A file that links rows to one another (an export's reports_to or parent column) is written
 * managers and parents first, so that each link finds its record already in the database.
 * The rows become units in that order (stable, so a file without links keeps its own). */
static int order_by_links(struct run *run, struct gx_error *err)
{
	const struct table *t = &run->src.table;
	size_t n = t->nrows > 0 ? t->nrows - 1 : 0;
	int name_col = column_of(&run->map, "name"),
	    link_col = column_of(&run->map, link_target(run));
	struct named_row *names = calloc(n + 1, sizeof *names);
	size_t *next = calloc(n + 1, sizeof *next), *depth = calloc(n + 1, sizeof *depth),
	       *path = calloc(n + 1, sizeof *path);
	char *on_path = calloc(n + 1, 1);
	run->unit_rows = calloc(n + 1, sizeof *run->unit_rows);
	run->unit_start = calloc(n + 1, sizeof *run->unit_start);
	int failed =
	    !names || !next || !depth || !path || !on_path || !run->unit_rows || !run->unit_start;
	for (size_t i = 0; i < n && !failed; i++) {
		names[i].row = i + 1;
		names[i].name = trimmed(name_col < 0 ? "" : table_cell(t, i + 1, (size_t)name_col));
		failed = !names[i].name;
	}
	if (!failed) {
		qsort(names, n, sizeof *names, by_name);
		for (size_t i = 1; i <= n; i++) {
			char *link = trimmed(table_cell(t, i, (size_t)link_col));
			next[i] = link && *link ? row_called(names, n, link, i) : 0;
			free(link);
		}
		link_depths(next, n, depth, path, on_path);
		/* Rows by depth, in file order within a depth: a counting sort, with next[] (no
		 * longer needed) counting the rows of each depth. */
		memset(next, 0, (n + 1) * sizeof *next);
		for (size_t i = 1; i <= n; i++)
			next[depth[i]]++;
		for (size_t d = 0, at = 0; d <= n; d++) {
			size_t rows = next[d];
			next[d] = at;
			at += rows;
		}
		for (size_t i = 1; i <= n; i++)
			run->unit_rows[next[depth[i]]++] = i;
		for (size_t i = 0; i <= n; i++)
			run->unit_start[i] = i;
		run->nunits = n;
	}
	for (size_t i = 0; names && i < n; i++)
		free(names[i].name);
	free(names);
	free(next);
	free(depth);
	free(path);
	free(on_path);
	return failed ? gx_fail(err, GX_EINTERNAL, NULL, "out of memory") : 0;
}

/* Units to write: data rows, or orders when an order's rows are grouped. */
static size_t data_rows(const struct run *run)
{
	if (run->unit_rows)
		return run->nunits;
	return run->src.table.nrows > 0 ? run->src.table.nrows - 1 : 0;
}

/* Chunks converted ahead of the writer: bounds memory (about 64k rows). */
static size_t window(const struct run *run)
{
	size_t n = 65536 / (size_t)run->batch;
	return n < 2 ? 2 : n > 8 ? 8 : n;
}

static size_t chunk_rows(const struct run *run, size_t k)
{
	size_t first = (size_t)run->start_row + k * (size_t)run->batch;
	return data_rows(run) - first < (size_t)run->batch ? data_rows(run) - first
	                                                   : (size_t)run->batch;
}

/* Frees the chunks the writer is done with (rows are freed by the thread that made them,
 * mostly: glibc's arenas then need no locking and the writer no time). */
static void free_garbage(struct run *run)
{
	for (;;) {
		pthread_mutex_lock(&run->lock);
		size_t k = run->ngarbage ? run->garbage[--run->ngarbage] : (size_t)-1;
		struct prow *rows = k != (size_t)-1 ? run->chunks[k] : NULL;
		if (rows)
			run->chunks[k] = NULL;
		pthread_mutex_unlock(&run->lock);
		if (k == (size_t)-1)
			return;
		for (size_t i = 0; rows && i < chunk_rows(run, k); i++)
			prow_free(&rows[i]);
		free(rows);
	}
}

static void *worker(void *arg)
{
	struct run *run = arg;
	for (;;) {
		free_garbage(run);
		pthread_mutex_lock(&run->lock);
		while (!run->stop && run->next_chunk < run->nchunks &&
		       run->next_chunk >= run->written + window(run))
			pthread_cond_wait(&run->changed, &run->lock);
		size_t k = run->next_chunk;
		int done = run->stop || k >= run->nchunks;
		if (!done)
			run->next_chunk++;
		pthread_mutex_unlock(&run->lock);
		if (done)
			return NULL;
		size_t first = (size_t)run->start_row + k * (size_t)run->batch;
		size_t n = data_rows(run) - first < (size_t)run->batch ? data_rows(run) - first
		                                                       : (size_t)run->batch;
		struct prow *rows = calloc(n ? n : 1, sizeof *rows);
		for (size_t i = 0; rows && i < n; i++)
			convert_row(run, first + i, &rows[i]);
		pthread_mutex_lock(&run->lock);
		run->chunks[k] = rows;
		run->ready[k] = rows ? 1 : -1;
		pthread_cond_broadcast(&run->changed);
		pthread_mutex_unlock(&run->lock);
	}
}

/* ---- writing (the caller's thread) ------------------------------------------------------ */

static int64_t lookup_id(struct run *run, const char *sql, const char *a, const char *b,
                         struct gx_error *err)
{
	struct store_stmt *stmt = store_prepare(run->ctx->store, sql, err);
	if (!stmt)
		return GX_EINTERNAL;
	store_bind_text(stmt, 1, a);
	if (b)
		store_bind_text(stmt, 2, b);
	int rc = store_step(stmt, err);
	int64_t id = rc == STORE_ROW ? store_col_int(stmt, 0) : 0;
	store_done(stmt);
	return rc < 0 ? rc : id;
}

static int64_t key_lookup(struct run *run, const char *prefix, const char *key,
                          struct gx_error *err)
{
	char full[300];
	snprintf(full, sizeof full, "%s%s", prefix, key);
	return lookup_id(run, "SELECT record_id FROM import_keys WHERE kind = ? AND key = ?",
	                 kind_names[run->map.kind], full, err);
}

static int key_put(struct run *run, const char *prefix, const char *key, int64_t id,
                   struct gx_error *err)
{
	char full[300];
	snprintf(full, sizeof full, "%s%s", prefix, key);
	struct store_stmt *stmt =
	    store_prepare(run->ctx->store,
	                  "INSERT INTO import_keys(kind, key, record_id) VALUES (?, ?, ?) "
	                  "ON CONFLICT(kind, key) DO UPDATE SET record_id = excluded.record_id",
	                  err);
	if (!stmt)
		return GX_EINTERNAL;
	store_bind_text(stmt, 1, kind_names[run->map.kind]);
	store_bind_text(stmt, 2, full);
	store_bind_int(stmt, 3, id);
	return store_exec(stmt, err);
}

static int put_keys(struct run *run, const struct prow *r, int64_t id, struct gx_error *err)
{
	int rc = key_put(run, "r:", r->hash, id, err);
	if (rc == 0 && r->external)
		rc = key_put(run, "x:", r->external, id, err);
	return rc;
}

static int audit_import(struct run *run, const char *entity, int64_t id, long line,
                        struct gx_error *err)
{
	char changes[96];
	snprintf(changes, sizeof changes, "{\"import\":%" PRId64 ",\"line\":%ld}", run->job_id,
	         line);
	struct store_stmt *stmt =
	    store_prepare(run->ctx->store,
	                  "INSERT INTO audit(at, user_id, entity, entity_id, action, changes) "
	                  "VALUES (?, ?, ?, ?, 'import', ?)",
	                  err);
	if (!stmt)
		return GX_EINTERNAL;
	store_bind_int(stmt, 1, run->now);
	if (run->ctx->actor.user_id > 0)
		store_bind_int(stmt, 2, run->ctx->actor.user_id);
	else
		store_bind_null(stmt, 2);
	store_bind_text(stmt, 3, entity);
	store_bind_int(stmt, 4, id);
	store_bind_text(stmt, 5, changes);
	return store_exec(stmt, err);
}

static void json_text(struct buf *b, const json_t *v)
{
	b->len = 0;
	char *text = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	buf_append(b, text ? text : "[]");
	free(text);
}

static void bind_opt_text(struct store_stmt *stmt, int idx, const json_t *record, const char *key)
{
	store_bind_text(stmt, idx, json_string_value(json_object_get(record, key)));
}

static void bind_opt_int(struct store_stmt *stmt, int idx, const json_t *record, const char *key)
{
	const json_t *v = json_object_get(record, key);
	if (json_is_integer(v))
		store_bind_int(stmt, idx, json_integer_value(v));
	else
		store_bind_null(stmt, idx);
}

/* Documents wait for the end of the batch (see write_docs). */
static int queue_doc(struct run *run, int kind, int64_t id, char *doc)
{
	if (run->ndocs == run->docs_cap) {
		size_t cap = run->docs_cap ? run->docs_cap * 2 : 1024;
		int64_t *ids = realloc(run->doc_ids, cap * sizeof *ids);
		if (ids)
			run->doc_ids = ids;
		char **docs = ids ? realloc(run->docs, cap * sizeof *docs) : NULL;
		if (docs)
			run->docs = docs;
		int *kinds_ = docs ? realloc(run->doc_kinds, cap * sizeof *kinds_) : NULL;
		if (!kinds_)
			return -1;
		run->doc_kinds = kinds_;
		run->docs_cap = cap;
	}
	run->doc_ids[run->ndocs] = id;
	run->docs[run->ndocs] = doc;
	run->doc_kinds[run->ndocs++] = kind;
	return 0;
}

/* Search documents last in the batch, and many per statement: once an FTS5 table is written in
 * a transaction, every later statement flushes its pending index data as a new segment (see
 * demo.c's write_batch), so one INSERT per document made a segment per row and cost ~200 us
 * a row in merges. Statements of 1024, 512, ... rows: a few texts serve every count. */
static int insert_docs(struct run *run, int kind, size_t *at, size_t n, struct gx_error *err)
{
	struct buf *sql = &run->docs_sql;
	sql->len = 0;
	buf_printf(sql, "INSERT INTO %s(id, doc) VALUES ",
	           kind ? "search_contacts" : "search_accounts");
	for (size_t i = 0; i < n; i++)
		buf_append(sql, i ? ", (?, ?)" : "(?, ?)");
	struct store_stmt *stmt =
	    buf_text(sql) ? store_prepare(run->ctx->store, buf_text(sql), err) : NULL;
	if (!stmt)
		return GX_EINTERNAL;
	int idx = 1;
	for (size_t i = *at, taken = 0; taken < n; i++) {
		if (run->doc_kinds[i] != kind || !run->docs[i])
			continue;
		store_bind_int(stmt, idx++, run->doc_ids[i]);
		store_bind_text(stmt, idx++, run->docs[i]);
		taken++;
		*at = i + 1;
	}
	return store_exec(stmt, err);
}

/* 8,192 documents (16,384 values, below SQLite's 32,766) per statement: with the fast path's
 * batches of as many rows, a batch's documents make one FTS5 segment per index. */
#define DOCS_PER_STATEMENT 8192

static int write_docs(struct run *run, struct gx_error *err)
{
	int rc = 0;
	for (int kind = 0; kind < 2 && rc == 0; kind++) {
		size_t have = 0, at = 0;
		for (size_t i = 0; i < run->ndocs; i++)
			have += run->doc_kinds[i] == kind && run->docs[i];
		while (rc == 0 && have > 0) {
			size_t n = DOCS_PER_STATEMENT;
			while (n > have)
				n /= 2;
			rc = insert_docs(run, kind, &at, n, err);
			have -= n;
		}
	}
	for (size_t i = 0; i < run->ndocs; i++)
		free(run->docs[i]);
	run->ndocs = 0;
	return rc;
}

static int64_t owner_id(struct run *run, struct prow *r, struct gx_error *err)
{
	if (!r->owner)
		return run->ctx->actor.user_id;
	/* A username, or the display name of exactly one user: exports of other CRMs name the
	 * owner as a person ("Kevin Liu", 刘凯), not as a login. */
	int64_t id =
	    lookup_id(run,
	              "SELECT COALESCE((SELECT id FROM users WHERE username = ?1 AND active "
	              "= 1), (SELECT MIN(id) FROM users WHERE display_name = ?1 COLLATE "
	              "NOCASE AND active = 1 HAVING COUNT(*) = 1), 0)",
	              r->owner, NULL, err);
	if (id == 0)
		reject(r, column_for(run, "owner"),
		       "no active user has the username or the display name \"%s\"", r->owner);
	return id;
}

static int create_account(struct run *run, const json_t *record, char *doc, long line,
                          int64_t owner, int64_t *id, struct gx_error *err)
{
	struct store_stmt *stmt = store_prepare(
	    run->ctx->store,
	    "INSERT INTO accounts(name, industry, website, parent_id, owner_id, tags, notes, "
	    "created_at, updated_at, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
	    err);
	if (!stmt) {
		free(doc);
		return GX_EINTERNAL;
	}
	struct buf tags = {0};
	json_text(&tags, json_object_get(record, "tags"));
	bind_opt_text(stmt, 1, record, "name");
	bind_opt_text(stmt, 2, record, "industry");
	bind_opt_text(stmt, 3, record, "website");
	bind_opt_int(stmt, 4, record, "parent_id");
	if (owner > 0)
		store_bind_int(stmt, 5, owner);
	else
		store_bind_null(stmt, 5);
	store_bind_text(stmt, 6, buf_text(&tags));
	bind_opt_text(stmt, 7, record, "notes");
	store_bind_int(stmt, 8, run->now);
	store_bind_int(stmt, 9, run->now);
	int rc = store_exec(stmt, err);
	buf_free(&tags);
	*id = store_last_insert_id(run->ctx->store);
	if (rc == 0)
		rc = audit_import(run, "account", *id, line, err);
	if (rc == 0 && queue_doc(run, 0, *id, doc) < 0)
		rc = gx_fail(err, GX_EINTERNAL, NULL, "out of memory");
	else if (rc < 0)
		free(doc);
	return rc;
}

/* The account a row names, made when there is none (a contact's company); 0 when unnamed. */
static int64_t account_id(struct run *run, struct prow *r, int create, struct gx_error *err)
{
	if (!r->account)
		return 0;
	int64_t id =
	    lookup_id(run, "SELECT MIN(id) FROM accounts WHERE name = ?", r->account, NULL, err);
	if (id != 0 || !create)
		return id;
	json_t *account = json_pack("{s:s, s:[]}", "name", r->account, "tags");
	int rc = create_account(run, account, search_account_doc(account), r->line,
	                        run->ctx->actor.user_id, &id, err);
	json_decref(account);
	if (rc == 0)
		run->accounts_created++;
	return rc < 0 ? rc : id;
}

static int create_contact(struct run *run, struct prow *r, int64_t account, int64_t owner,
                          int64_t *id, struct gx_error *err)
{
	struct store_stmt *stmt = store_prepare(
	    run->ctx->store,
	    "INSERT INTO contacts(name, account_id, title, birthday, phones, emails, addresses, "
	    "owner_id, tags, consent, notes, created_at, updated_at, version, department, "
	    "buying_role, reports_to_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, "
	    "?)",
	    err);
	if (!stmt)
		return GX_EINTERNAL;
	const json_t *c = r->record;
	bind_opt_text(stmt, 1, c, "name");
	if (account > 0)
		store_bind_int(stmt, 2, account);
	else
		store_bind_null(stmt, 2);
	bind_opt_text(stmt, 3, c, "title");
	bind_opt_text(stmt, 4, c, "birthday");
	store_bind_text(stmt, 5, r->lists[0] ? r->lists[0] : "[]");
	store_bind_text(stmt, 6, r->lists[1] ? r->lists[1] : "[]");
	store_bind_text(stmt, 7, r->lists[2] ? r->lists[2] : "[]");
	if (owner > 0)
		store_bind_int(stmt, 8, owner);
	else
		store_bind_null(stmt, 8);
	store_bind_text(stmt, 9, r->lists[3] ? r->lists[3] : "[]");
	store_bind_text(stmt, 10, r->lists[4] ? r->lists[4] : "{}");
	bind_opt_text(stmt, 11, c, "notes");
	store_bind_int(stmt, 12, run->now);
	store_bind_int(stmt, 13, run->now);
	bind_opt_text(stmt, 14, c, "department");
	bind_opt_text(stmt, 15, c, "buying_role");
	bind_opt_int(stmt, 16, c, "reports_to_id");
	int rc = store_exec(stmt, err);
	*id = store_last_insert_id(run->ctx->store);
	size_t i;
	json_t *phone;
	json_array_foreach(json_object_get(c, "phones"), i, phone)
	{
		if (rc < 0)
			break;
		stmt = store_prepare(run->ctx->store,
		                     "INSERT INTO contact_phones(e164, contact_id) VALUES (?, ?) "
		                     "ON CONFLICT DO NOTHING",
		                     err);
		if (!stmt)
			return GX_EINTERNAL;
		store_bind_text(stmt, 1, json_string_value(json_object_get(phone, "e164")));
		store_bind_int(stmt, 2, *id);
		rc = store_exec(stmt, err);
	}
	if (rc == 0)
		rc = audit_import(run, "contact", *id, r->line, err);
	if (rc == 0) {
		if (queue_doc(run, 1, *id, r->doc) < 0)
			return gx_fail(err, GX_EINTERNAL, NULL, "out of memory");
		r->doc = NULL;
	}
	return rc;
}

/* The existing contact a row means: by phone, then by email. */
static int64_t match_contact(struct run *run, const struct prow *r, struct gx_error *err)
{
	size_t i;
	json_t *item;
	json_array_foreach(json_object_get(r->record, "phones"), i, item)
	{
		int64_t id = lookup_id(run,
		                       "SELECT contact_id FROM contact_phones WHERE e164 = ? ORDER "
		                       "BY contact_id LIMIT 1",
		                       json_string_value(json_object_get(item, "e164")), NULL, err);
		if (id != 0)
			return id;
	}
	json_array_foreach(json_object_get(r->record, "emails"), i, item)
	{
		const char *address = json_string_value(json_object_get(item, "address"));
		char lower[300];
		snprintf(lower, sizeof lower, "%s", address ? address : "");
		for (char *p = lower; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
		int64_t id = lookup_id(run,
		                       "SELECT contact_id FROM contact_emails WHERE email = ? "
		                       "ORDER BY contact_id LIMIT 1",
		                       lower, NULL, err);
		if (id != 0)
			return id;
	}
	return 0;
}

/* Adds to `merged` the items of `incoming` whose identity (key) is new; 1 when any was. */
static int union_items(json_t *merged, const json_t *incoming, const char *key)
{
	int added = 0;
	size_t i, j;
	json_t *a, *b;
	json_array_foreach(incoming, i, a)
	{
		int found = 0;
		json_array_foreach(merged, j, b)
		{
			if (key ? json_is_string(json_object_get(a, key)) &&
			              strcasecmp(json_string_value(json_object_get(a, key)),
			                         json_string_value(json_object_get(b, key))
			                             ? json_string_value(json_object_get(b, key))
			                             : "") == 0
			        : json_equal(a, b))
				found = 1;
		}
		if (!found) {
			json_array_append_new(merged, json_deep_copy(a));
			added = 1;
		}
	}
	return added;
}

/* The patch that makes old say what the row says: scalars the row gives and old lacks or has
 * otherwise; lists merged (a number or address already there is not added again). Empty
 * cells never blank a field. */
static json_t *patch_for(const struct record_kind *kind, const json_t *old, const json_t *row)
{
	json_t *patch = json_object();
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)row, key, v)
	{
		const json_t *was = json_object_get(old, key);
		const char *identity = strcmp(key, "phones") == 0   ? "e164"
		                       : strcmp(key, "emails") == 0 ? "address"
		                                                    : NULL;
		if (json_is_array(v)) {
			json_t *merged = json_is_array(was) ? json_deep_copy(was) : json_array();
			/* Matched by E.164 while both sides still carry it; the list then goes
			 * back as typed (the write computes e164 again). */
			int added = union_items(merged, v, identity);
			if (added && identity && strcmp(identity, "e164") == 0) {
				size_t i;
				json_t *item;
				json_array_foreach(merged, i, item)
				{
					json_object_del(item, "e164");
				}
			}
			if (added)
				json_object_set_new(patch, key, merged);
			else
				json_decref(merged);
		} else if (json_is_object(v) && json_is_object(was)) {
			json_t *merged = json_deep_copy(was);
			json_object_update(merged, v);
			if (!json_equal(merged, was))
				json_object_set_new(patch, key, merged);
			else
				json_decref(merged);
		} else if (!json_equal(v, was)) {
			json_object_set(patch, key, v);
		}
	}
	(void)kind;
	return patch;
}

/* Runs fn's writes for one row under a savepoint: a validation or conflict failure rejects
 * the row and undoes its writes; anything else fails the batch. */
static int guarded(struct run *run, struct prow *r, int rc, const struct gx_error *e)
{
	if (rc == GX_EVALIDATION || rc == GX_ECONFLICT || rc == GX_ENOTFOUND ||
	    rc == GX_EFORBIDDEN) {
		store_rollback_to(run->ctx->store);
		reject(r, column_for(run, e->field), "%s", e->message);
		return 0;
	}
	if (rc < 0) {
		store_rollback_to(run->ctx->store);
		return rc;
	}
	struct gx_error ignored = {0};
	return store_release(run->ctx->store, &ignored);
}

/* A matched record: skipped when the row changes nothing, else patched. 1: updated. */
static int update_matched(struct run *run, struct prow *r, int64_t id, json_t *extra,
                          struct gx_error *err)
{
	const struct record_kind *kind = kinds[run->map.kind].kind;
	json_t *old = NULL;
	int rc = records_get(run->ctx, kind, id, &old, err);
	if (rc < 0)
		return rc;
	json_t *row = json_deep_copy(r->record);
	if (extra)
		json_object_update(row, extra);
	json_t *patch = patch_for(kind, old, row);
	json_decref(row);
	json_decref(old);
	int updated = json_object_size(patch) > 0;
	if (updated) {
		json_t *out = NULL;
		rc = records_update(run->ctx, kind, id, patch, &out, err);
		json_decref(out);
	}
	json_decref(patch);
	return rc < 0 ? rc : updated;
}

/* Interactions and orders: the contact a row names (by phone, email, then name) and the
 * account (by name, never made here) into body as ids; the owner as the interaction's user. */
static int resolve_refs(struct run *run, struct prow *r, json_t *body, int64_t owner,
                        struct gx_error *e)
{
	int rc = 0;
	if (!json_object_get(body, "contact_id") &&
	    (r->contact_phone || r->contact_email || r->contact)) {
		char e164[32] = "";
		int64_t contact = 0;
		if (r->contact_phone &&
		    phone_to_e164(r->contact_phone, run->config.region, e164, sizeof e164) == 0)
			contact = lookup_id(run,
			                    "SELECT contact_id FROM contact_phones WHERE e164 = ? "
			                    "ORDER BY contact_id LIMIT 1",
			                    e164, NULL, e);
		if (contact == 0 && r->contact_email) {
			char lower[300];
			snprintf(lower, sizeof lower, "%s", r->contact_email);
			for (char *p = lower; *p; p++)
				if (*p >= 'A' && *p <= 'Z')
					*p = (char)(*p - 'A' + 'a');
			contact = lookup_id(run,
			                    "SELECT contact_id FROM contact_emails WHERE email = ? "
			                    "ORDER BY contact_id LIMIT 1",
			                    lower, NULL, e);
		}
		if (contact == 0 && r->contact)
			contact = lookup_id(run, "SELECT MIN(id) FROM contacts WHERE name = ?",
			                    r->contact, NULL, e);
		if (contact < 0)
			rc = (int)contact;
		else if (contact == 0)
			rc = gx_fail(e, GX_EVALIDATION,
			             r->contact_phone   ? "contact_phone"
			             : r->contact_email ? "contact_email"
			                                : "contact",
			             "no contact \"%s\"",
			             r->contact_phone   ? r->contact_phone
			             : r->contact_email ? r->contact_email
			                                : r->contact);
		else
			json_object_set_new(body, "contact_id", json_integer(contact));
	}
	if (rc == 0 && !json_object_get(body, "account_id") && r->account) {
		int64_t account = account_id(run, r, 0, e);
		if (account < 0)
			rc = (int)account;
		else if (account == 0)
			rc = gx_fail(e, GX_EVALIDATION, "account", "no account \"%s\"", r->account);
		else
			json_object_set_new(body, "account_id", json_integer(account));
	}
	if (rc == 0 && r->owner && run->map.kind == K_INTERACTIONS)
		json_object_set_new(body, "user_id", json_integer(owner));
	return rc;
}

/* An interaction already stored that says everything the row says (the same customer,
 * channel, direction and moment, and no other subject, body, outcome or duration): an
 * export imported back, or a call log sent again with its dates written another way. 0 when
 * there is none. Only an exact match: two calls logged at the same date are both kept. */
static int64_t match_interaction(struct run *run, const json_t *body, struct gx_error *err)
{
	const char *at = json_string_value(json_object_get(body, "occurred_at"));
	const char *channel = json_string_value(json_object_get(body, "channel"));
	const char *direction = json_string_value(json_object_get(body, "direction"));
	const json_t *contact = json_object_get(body, "contact_id");
	const json_t *account = json_object_get(body, "account_id");
	int64_t t;
	if (!at || !channel || !direction || clock_parse(at, &t) < 0 ||
	    (!json_is_integer(contact) && !json_is_integer(account)))
		return 0;
	struct store_stmt *stmt = store_prepare(
	    run->ctx->store,
	    json_is_integer(contact)
	        ? "SELECT id FROM interactions WHERE contact_id = ? AND occurred_at = ? AND "
	          "channel = ? AND direction = ? ORDER BY id LIMIT 16"
	        : "SELECT id FROM interactions WHERE account_id = ? AND occurred_at = ? AND "
	          "channel = ? AND direction = ? ORDER BY id LIMIT 16",
	    err);
	if (!stmt)
		return GX_EINTERNAL;
	store_bind_int(stmt, 1, json_integer_value(json_is_integer(contact) ? contact : account));
	store_bind_int(stmt, 2, t);
	store_bind_text(stmt, 3, channel);
	store_bind_text(stmt, 4, direction);
	int64_t ids[16];
	size_t n = 0;
	int rc;
	while ((rc = store_step(stmt, err)) == STORE_ROW && n < COUNT(ids))
		ids[n++] = store_col_int(stmt, 0);
	store_done(stmt);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		json_t *old = NULL;
		struct gx_error ignored = {0};
		if (records_get(run->ctx, &interaction_kind, ids[i], &old, &ignored) < 0)
			continue; /* not the actor's to see */
		json_t *patch = patch_for(&interaction_kind, old, body);
		size_t differs = json_object_size(patch);
		json_decref(patch);
		json_decref(old);
		if (!differs)
			return ids[i];
	}
	return 0;
}

/* An interaction row: the one with the row's external id is updated when the row says
 * something new about it (a duplicate otherwise); one that says the same as a stored record
 * is a duplicate; anything else is created. */
static int write_interaction(struct run *run, struct prow *r, int64_t id, json_t *body,
                             struct gx_error *e)
{
	int rc = 0;
	if (id > 0) {
		rc = update_matched(run, r, id, body, e);
		if (rc >= 0) {
			if (rc == 1)
				run->progress.updated++;
			else
				run->progress.duplicates++;
			rc = put_keys(run, r, id, e);
		}
		return rc;
	}
	if ((id = match_interaction(run, body, e)) < 0)
		return (int)id;
	if (id > 0) {
		run->progress.duplicates++;
		return put_keys(run, r, id, e);
	}
	json_t *out = NULL;
	rc = records_create(run->ctx, &interaction_kind, body, &out, e);
	id = rc == 0 ? json_integer_value(json_object_get(out, "id")) : 0;
	json_decref(out);
	if (rc == 0) {
		run->progress.created++;
		rc = put_keys(run, r, id, e);
	}
	return rc;
}

/* The version of the order under the body's source and external_ref, 0 when there is none. */
static int64_t order_version(struct run *run, const json_t *body, struct gx_error *err)
{
	const char *ref = json_string_value(json_object_get(body, "external_ref"));
	if (!ref)
		return 0;
	return lookup_id(run, "SELECT version FROM orders WHERE source = ? AND external_ref = ?",
	                 json_string_value(json_object_get(body, "source")), ref, err);
}

/* An order row through orders_put (idempotent by source and external_ref): created, updated
 * when the ERP changed it, or a duplicate when the stored order already says all that. */
static int write_order(struct run *run, struct prow *r, json_t *body, struct gx_error *e)
{
	if (!json_object_get(body, "source"))
		json_object_set_new(body, "source", json_string("import"));
	int64_t version = order_version(run, body, e);
	if (version < 0)
		return (int)version;
	json_t *out = NULL;
	int created = 1;
	int rc = orders_put(run->ctx, body, &out, &created, e);
	int64_t id = rc == 0 ? json_integer_value(json_object_get(out, "id")) : 0;
	int64_t now = rc == 0 ? json_integer_value(json_object_get(out, "version")) : 0;
	json_decref(out);
	if (rc < 0)
		return rc;
	if (created)
		run->progress.created++;
	else if (now != version)
		run->progress.updated++;
	else
		run->progress.duplicates++;
	return put_keys(run, r, id, e);
}

/* The id and number of the contacts called name (in one account when account > 0). */
static int64_t contacts_called(struct run *run, const char *name, int64_t account, int64_t *n,
                               struct gx_error *err)
{
	struct store_stmt *stmt = store_prepare(run->ctx->store,
	                                        "SELECT MIN(id), COUNT(*) FROM contacts WHERE name "
	                                        "= ?1 AND (?2 = 0 OR account_id = ?2)",
	                                        err);
	if (!stmt)
		return GX_EINTERNAL;
	store_bind_text(stmt, 1, name);
	store_bind_int(stmt, 2, account);
	int rc = store_step(stmt, err);
	int64_t id = rc == STORE_ROW ? store_col_int(stmt, 0) : 0;
	*n = rc == STORE_ROW ? store_col_int(stmt, 1) : 0;
	store_done(stmt);
	return rc < 0 ? rc : id;
}

/* Whom a contact row reports to: by the manager's phone when it is known, else by name, a
 * namesake in the row's own company first. 0 with the row rejected when there is none, or
 * several with nothing to tell them apart. */
static int64_t manager_id(struct run *run, struct prow *r, struct gx_error *err)
{
	char e164[32];
	int64_t id = 0, n = 0;
	if (r->link_phone &&
	    phone_to_e164(r->link_phone, run->config.region, e164, sizeof e164) == 0)
		id = lookup_id(run,
		               "SELECT contact_id FROM contact_phones WHERE e164 = ? ORDER BY "
		               "contact_id LIMIT 1",
		               e164, NULL, err);
	if (id != 0)
		return id;
	int64_t account = account_id(run, r, 0, err);
	if (account > 0)
		id = contacts_called(run, r->link, account, &n, err);
	if (id == 0 && account >= 0)
		id = contacts_called(run, r->link, 0, &n, err);
	if (id < 0 || account < 0)
		return id < 0 ? id : account;
	if (n > 1)
		reject(
		    r, column_for(run, "reports_to"),
		    "%lld contacts are called \"%s\": a reports_to_phone column tells them apart",
		    (long long)n, r->link);
	else if (id == 0)
		reject(r, column_for(run, "reports_to"), "no contact called \"%s\"", r->link);
	return r->status < 0 ? 0 : id;
}

/* A row's link into its record: reports_to_id of a contact, parent_id of an account. */
static int put_link(struct run *run, struct prow *r, struct gx_error *err)
{
	if (!r->link)
		return 0;
	int contacts = run->map.kind == K_CONTACTS;
	int64_t id = contacts ? manager_id(run, r, err)
	                      : lookup_id(run, "SELECT MIN(id) FROM accounts WHERE name = ?",
	                                  r->link, NULL, err);
	if (id == 0 && !contacts)
		reject(r, column_for(run, "parent"), "no account called \"%s\"", r->link);
	if (id > 0)
		json_object_set_new(r->record, contacts ? "reports_to_id" : "parent_id",
		                    json_integer(id));
	return id < 0 ? (int)id : 0;
}

static int write_row(struct run *run, struct prow *r, struct gx_error *err)
{
	int64_t id = key_lookup(run, "r:", r->hash, err);
	if (id < 0)
		return (int)id;
	if (id > 0) {
		run->progress.duplicates++;
		return 0;
	}
	if (r->external && (id = key_lookup(run, "x:", r->external, err)) < 0)
		return (int)id;
	int kind = run->map.kind;
	if (id == 0 && kind == K_CONTACTS && (id = match_contact(run, r, err)) < 0)
		return (int)id;
	if (id == 0 && kind == K_ACCOUNTS) {
		id = lookup_id(run, "SELECT MIN(id) FROM accounts WHERE name = ?",
		               json_string_value(json_object_get(r->record, "name")), NULL, err);
		if (id < 0)
			return (int)id;
	}
	if (id > 0 && records_visible(run->ctx, kinds[kind].kind, id, err) <= 0)
		id = 0; /* someone else's record: this row makes the actor's own */
	int64_t owner = owner_id(run, r, err);
	int linked = owner >= 0 && r->status == 0 ? put_link(run, r, err) : 0;
	if (owner < 0 || linked < 0 || r->status < 0)
		return owner < 0 ? (int)owner : linked < 0 ? linked : 0;
	struct gx_error e = {0};
	int rc = 0;
	if (id == 0 && (kind == K_CONTACTS || kind == K_ACCOUNTS)) {
		/* The fast path: INSERTs that fail only when the store does (the batch fails). */
		if (kind == K_CONTACTS) {
			int64_t account = account_id(run, r, 1, err);
			rc = account < 0 ? (int)account
			                 : create_contact(run, r, account, owner, &id, err);
		} else {
			rc = create_account(run, r->record, r->doc, r->line, owner, &id, err);
			r->doc = NULL;
		}
		if (rc == 0) {
			run->progress.created++;
			rc = put_keys(run, r, id, err);
		}
		return rc;
	}
	/* The record layer writes search documents itself: the batch's queued ones go first, or
	 * an update of a record made earlier in the batch would insert its document twice. */
	if (run->ndocs && (rc = write_docs(run, err)) < 0)
		return rc;
	if ((rc = store_savepoint(run->ctx->store, err)) < 0)
		return rc;
	if (id > 0 && (kind == K_CONTACTS || kind == K_ACCOUNTS)) {
		json_t *extra = json_object();
		if (r->owner)
			json_object_set_new(extra, "owner_id", json_integer(owner));
		int64_t account = kind == K_CONTACTS ? account_id(run, r, 1, &e) : 0;
		if (account > 0)
			json_object_set_new(extra, "account_id", json_integer(account));
		rc = account < 0 ? (int)account : update_matched(run, r, id, extra, &e);
		json_decref(extra);
		if (rc >= 0 && r->status == 0) {
			if (rc == 1)
				run->progress.updated++;
			else
				run->progress.duplicates++;
			rc = put_keys(run, r, id, &e);
		}
		return guarded(run, r, rc < 0 ? rc : 0, rc < 0 ? &e : err);
	}
	json_t *body = json_deep_copy(r->record);
	rc = resolve_refs(run, r, body, owner, &e);
	if (rc == 0 && kind == K_INTERACTIONS)
		rc = write_interaction(run, r, id, body, &e);
	else if (rc == 0)
		rc = write_order(run, r, body, &e);
	json_decref(body);
	return guarded(run, r, rc, &e);
}

/* ---- the empty-database fast path (the writer) ------------------------------------------ */

/* A contacts import into a database without contacts or accounts (the first load of a
 * customer's data) cannot match anything it did not write itself. So instead of asking the
 * database for every row (row hash, external id, each phone, each email, the company), the
 * writer keeps 64-bit hashes of every key the run has written, and a row none of whose keys
 * is known is created without a single lookup: ids are given out by the writer (the table is
 * ours alone, see fast_still_ours) and every table gets multi-row INSERTs at the end of the
 * batch. A row with a known key is a duplicate within the file: the pending rows are written
 * and the row takes the ordinary path (write_row), which asks the database. A hash collision
 * only sends a row the slow way. */

struct keyset {
	uint64_t *slots; /* 0: empty */
	size_t cap, n;
};

/* Company names the run made, to their ids (exact names, as accounts are matched). */
struct name_slot {
	uint64_t hash;
	int64_t id;
	char *name;
};

enum ftable { FT_ACCOUNTS, FT_CONTACTS, FT_PHONES, FT_AUDIT, FT_KEYS, NFT };

/* Written in this order: each refers only to those before it. */
static const struct {
	const char *into, *tail;
	int columns, per_statement; /* columns * per_statement below SQLite's 32766 parameters */
} ftables[NFT] = {
    [FT_ACCOUNTS] = {"accounts(id, name, owner_id, tags, created_at, updated_at, version)", "", 7,
                     256},
    [FT_CONTACTS] = {"contacts(id, name, account_id, title, birthday, phones, emails, addresses, "
                     "owner_id, tags, consent, notes, created_at, updated_at, version, "
                     "department, buying_role)",
                     "", 17, 256},
    [FT_PHONES] = {"contact_phones(e164, contact_id)", " ON CONFLICT DO NOTHING", 2, 1024},
    [FT_AUDIT] = {"audit(at, user_id, entity, entity_id, action, changes)", "", 6, 1024},
    [FT_KEYS] = {"import_keys(kind, key, record_id)",
                 " ON CONFLICT(kind, key) DO UPDATE SET record_id = excluded.record_id", 3, 1024},
};

struct fcell {
	int64_t value; /* FC_INT; FC_TEXT: offset in pending.text */
	int kind;
};
enum { FC_NULL, FC_INT, FC_TEXT };

struct pending {
	struct fcell *cells;
	size_t n, cap;
	struct buf text;
	int failed;
};

struct fast {
	int on;
	struct keyset keys;
	struct name_slot *names;
	size_t names_cap, nnames;
	int64_t next_contact, next_account, last_audit;
	struct pending rows[NFT];
	struct buf sql;
	int tuned; /* FTS5 settings changed for the load */
};

static uint64_t key_hash(char type, const char *text, int lower)
{
	uint64_t h = hash_byte(HASH_SEED, (unsigned char)type);
	for (const unsigned char *p = (const unsigned char *)text; p && *p; p++)
		h = hash_byte(h, lower && *p >= 'A' && *p <= 'Z' ? (unsigned char)(*p - 'A' + 'a')
		                                                 : *p);
	return hash_mix(h);
}

static int keyset_has(const struct keyset *s, uint64_t h)
{
	if (!s->cap)
		return 0;
	for (size_t i = h & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
		if (s->slots[i] == h)
			return 1;
		if (s->slots[i] == 0)
			return 0;
	}
}

static int keyset_add(struct keyset *s, uint64_t h)
{
	if (2 * (s->n + 1) > s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 1 << 16;
		uint64_t *slots = calloc(cap, sizeof *slots);
		if (!slots)
			return -1;
		for (size_t k = 0; k < s->cap; k++) {
			if (!s->slots[k])
				continue;
			size_t i = s->slots[k] & (cap - 1);
			while (slots[i])
				i = (i + 1) & (cap - 1);
			slots[i] = s->slots[k];
		}
		free(s->slots);
		s->slots = slots;
		s->cap = cap;
	}
	size_t i = h & (s->cap - 1);
	while (s->slots[i] && s->slots[i] != h)
		i = (i + 1) & (s->cap - 1);
	if (!s->slots[i]) {
		s->slots[i] = h;
		s->n++;
	}
	return 0;
}

static int64_t name_get(const struct fast *f, const char *name)
{
	if (!f->names_cap)
		return 0;
	uint64_t h = key_hash('a', name, 0);
	for (size_t i = h & (f->names_cap - 1);; i = (i + 1) & (f->names_cap - 1)) {
		const struct name_slot *s = &f->names[i];
		if (!s->name)
			return 0;
		if (s->hash == h && strcmp(s->name, name) == 0)
			return s->id;
	}
}

static int name_put(struct fast *f, const char *name, int64_t id)
{
	if (2 * (f->nnames + 1) > f->names_cap) {
		size_t cap = f->names_cap ? 2 * f->names_cap : 1 << 12;
		struct name_slot *slots = calloc(cap, sizeof *slots);
		if (!slots)
			return -1;
		for (size_t k = 0; k < f->names_cap; k++) {
			if (!f->names[k].name)
				continue;
			size_t i = f->names[k].hash & (cap - 1);
			while (slots[i].name)
				i = (i + 1) & (cap - 1);
			slots[i] = f->names[k];
		}
		free(f->names);
		f->names = slots;
		f->names_cap = cap;
	}
	uint64_t h = key_hash('a', name, 0);
	size_t i = h & (f->names_cap - 1);
	while (f->names[i].name)
		i = (i + 1) & (f->names_cap - 1);
	if (!(f->names[i].name = strdup(name)))
		return -1;
	f->names[i].hash = h;
	f->names[i].id = id;
	f->nnames++;
	return 0;
}

static void pending_add(struct pending *p, int kind, int64_t value)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 4096;
		struct fcell *cells = realloc(p->cells, cap * sizeof *cells);
		if (!cells) {
			p->failed = 1;
			return;
		}
		p->cells = cells;
		p->cap = cap;
	}
	p->cells[p->n].kind = kind;
	p->cells[p->n++].value = value;
}

static void pending_int(struct pending *p, int64_t value)
{
	pending_add(p, FC_INT, value);
}

/* NULL text: SQL NULL. */
static void pending_text(struct pending *p, const char *text)
{
	if (!text) {
		pending_add(p, FC_NULL, 0);
		return;
	}
	pending_add(p, FC_TEXT, (int64_t)p->text.len);
	buf_append_n(&p->text, text, strlen(text) + 1);
	if (p->text.failed)
		p->failed = 1;
}

static int fast_insert(struct run *run, enum ftable t, size_t first, size_t n, struct gx_error *err)
{
	struct fast *f = run->fast;
	struct buf *sql = &f->sql;
	sql->len = 0;
	buf_printf(sql, "INSERT INTO %s VALUES ", ftables[t].into);
	for (size_t i = 0; i < n; i++) {
		buf_append(sql, i ? ", (?" : "(?");
		for (int j = 1; j < ftables[t].columns; j++)
			buf_append_n(sql, ", ?", 3);
		buf_append_n(sql, ")", 1);
	}
	buf_append(sql, ftables[t].tail);
	struct store_stmt *stmt =
	    buf_text(sql) ? store_prepare(run->ctx->store, buf_text(sql), err) : NULL;
	if (!stmt)
		return buf_text(sql) ? GX_EINTERNAL
		                     : gx_fail(err, GX_EINTERNAL, NULL, "out of memory");
	const struct pending *p = &f->rows[t];
	size_t cells = n * (size_t)ftables[t].columns;
	for (size_t i = 0; i < cells; i++) {
		const struct fcell *c = &p->cells[first + i];
		if (c->kind == FC_INT)
			store_bind_int(stmt, (int)i + 1, c->value);
		else if (c->kind == FC_TEXT)
			store_bind_text(stmt, (int)i + 1, p->text.data + c->value);
		else
			store_bind_null(stmt, (int)i + 1);
	}
	return store_exec(stmt, err);
}

/* Writes the pending rows, table by table, in statements of per_statement rows and then of
 * halving sizes (a few statement texts serve every count; the store caches them). */
static int fast_flush(struct run *run, struct gx_error *err)
{
	struct fast *f = run->fast;
	int rc = 0;
	for (int t = 0; t < NFT && rc == 0; t++) {
		struct pending *p = &f->rows[t];
		if (p->failed)
			rc = gx_fail(err, GX_EINTERNAL, NULL, "out of memory");
		size_t columns = (size_t)ftables[t].columns, have = p->n / columns, done = 0;
		while (rc == 0 && done < have) {
			size_t n = (size_t)ftables[t].per_statement;
			while (n > have - done)
				n /= 2;
			rc = fast_insert(run, (enum ftable)t, done * columns, n, err);
			done += n;
		}
		p->n = 0;
		p->text.len = 0;
		p->failed = 0;
	}
	return rc;
}

static int64_t scalar(struct run *run, const char *sql, struct gx_error *err)
{
	struct store_stmt *stmt = store_prepare(run->ctx->store, sql, err);
	if (!stmt)
		return GX_EINTERNAL;
	int rc = store_step(stmt, err);
	int64_t v = rc == STORE_ROW ? store_col_int(stmt, 0) : 0;
	store_done(stmt);
	return rc < 0 ? rc : v;
}

/* Ids after the last the table ever had (AUTOINCREMENT's own record, so that an id of a
 * deleted record is never given again). */
static int fast_sync_ids(struct run *run, struct gx_error *err)
{
	struct fast *f = run->fast;
	int64_t c = scalar(run,
	                   "SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = "
	                   "'contacts'), 0), COALESCE((SELECT MAX(id) FROM contacts), 0))",
	                   err);
	int64_t a = c < 0 ? c
	                  : scalar(run,
	                           "SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE "
	                           "name = 'accounts'), 0), COALESCE((SELECT MAX(id) FROM "
	                           "accounts), 0))",
	                           err);
	if (a < 0)
		return (int)a;
	f->next_contact = c + 1;
	f->next_account = a + 1;
	return 0;
}

/* Every write through the record layer leaves an audit row: when the newest one is not ours,
 * someone else wrote while we imported, and the rest of the run takes the ordinary path. */
static int fast_still_ours(struct run *run, struct gx_error *err)
{
	struct fast *f = run->fast;
	int64_t last = scalar(run, "SELECT COALESCE(MAX(id), 0) FROM audit", err);
	if (last < 0)
		return (int)last;
	if (last != f->last_audit) {
		log_info("import %" PRId64 ": another writer: the rest row by row", run->job_id);
		f->on = 0;
	}
	return 0;
}

static void fast_audit(struct run *run, const char *entity, int64_t id, long line)
{
	struct pending *p = &run->fast->rows[FT_AUDIT];
	char changes[96];
	snprintf(changes, sizeof changes, "{\"import\":%" PRId64 ",\"line\":%ld}", run->job_id,
	         line);
	pending_int(p, run->now);
	if (run->ctx->actor.user_id > 0)
		pending_int(p, run->ctx->actor.user_id);
	else
		pending_text(p, NULL);
	pending_text(p, entity);
	pending_int(p, id);
	pending_text(p, "import");
	pending_text(p, changes);
}

static void fast_key(struct run *run, const char *prefix, const char *key, int64_t id)
{
	struct pending *p = &run->fast->rows[FT_KEYS];
	char full[300];
	snprintf(full, sizeof full, "%s%s", prefix, key);
	pending_text(p, kind_names[run->map.kind]);
	pending_text(p, full);
	pending_int(p, id);
}

/* The row's keys into the set: 1 when any was there already. */
static int fast_keys(struct run *run, const struct prow *r, int add)
{
	struct keyset *s = &run->fast->keys;
	int known = 0, failed = 0;
	uint64_t h = key_hash('r', r->hash, 0);
	known |= keyset_has(s, h);
	failed |= add && keyset_add(s, h) < 0;
	if (r->external) {
		h = key_hash('x', r->external, 0);
		known |= keyset_has(s, h);
		failed |= add && keyset_add(s, h) < 0;
	}
	size_t i;
	json_t *item;
	json_array_foreach(json_object_get(r->record, "phones"), i, item)
	{
		h = key_hash('p', json_string_value(json_object_get(item, "e164")), 0);
		known |= keyset_has(s, h);
		failed |= add && keyset_add(s, h) < 0;
	}
	json_array_foreach(json_object_get(r->record, "emails"), i, item)
	{
		h = key_hash('e', json_string_value(json_object_get(item, "address")), 1);
		known |= keyset_has(s, h);
		failed |= add && keyset_add(s, h) < 0;
	}
	if (failed)
		run->fast->on = 0; /* out of memory for the set: the ordinary path from here */
	return known;
}

/* A row whose keys are known: what is pending is written, then the ordinary path. */
static int fast_slow_row(struct run *run, struct prow *r, struct gx_error *err)
{
	int rc = fast_flush(run, err);
	if (rc == 0)
		rc = write_docs(run, err);
	if (rc == 0)
		rc = write_row(run, r, err);
	if (rc == 0 && r->status == 0) {
		fast_keys(run, r, 1);
		if (r->account && name_get(run->fast, r->account) == 0) {
			int64_t id = lookup_id(run, "SELECT MIN(id) FROM accounts WHERE name = ?",
			                       r->account, NULL, err);
			if (id < 0)
				return (int)id;
			if (id > 0 && name_put(run->fast, r->account, id) < 0)
				run->fast->on = 0;
		}
	}
	return rc == 0 ? fast_sync_ids(run, err) : rc;
}

static int fast_row(struct run *run, struct prow *r, struct gx_error *err)
{
	struct fast *f = run->fast;
	if (fast_keys(run, r, 0) || !f->on)
		return fast_slow_row(run, r, err);
	int64_t owner = owner_id(run, r, err);
	if (owner < 0 || r->status < 0)
		return owner < 0 ? (int)owner : 0;
	fast_keys(run, r, 1);
	int64_t actor = run->ctx->actor.user_id;
	int64_t account = r->account ? name_get(f, r->account) : 0;
	if (r->account && account == 0) {
		account = f->next_account++;
		json_t *a = json_pack("{s:s, s:[]}", "name", r->account, "tags");
		char *doc = a ? search_account_doc(a) : NULL;
		json_decref(a);
		struct pending *p = &f->rows[FT_ACCOUNTS];
		pending_int(p, account);
		pending_text(p, r->account);
		if (actor > 0)
			pending_int(p, actor);
		else
			pending_text(p, NULL);
		pending_text(p, "[]");
		pending_int(p, run->now);
		pending_int(p, run->now);
		pending_int(p, 1);
		fast_audit(run, "account", account, r->line);
		if (!doc || queue_doc(run, 0, account, doc) < 0 ||
		    name_put(f, r->account, account) < 0)
			return gx_fail(err, GX_EINTERNAL, NULL, "out of memory");
		run->accounts_created++;
	}
	int64_t id = f->next_contact++;
	const json_t *c = r->record;
	struct pending *p = &f->rows[FT_CONTACTS];
	pending_int(p, id);
	pending_text(p, json_string_value(json_object_get(c, "name")));
	if (account > 0)
		pending_int(p, account);
	else
		pending_text(p, NULL);
	pending_text(p, json_string_value(json_object_get(c, "title")));
	pending_text(p, json_string_value(json_object_get(c, "birthday")));
	for (int i = 0; i < 3; i++)
		pending_text(p, r->lists[i] ? r->lists[i] : "[]");
	if (owner > 0)
		pending_int(p, owner);
	else
		pending_text(p, NULL);
	pending_text(p, r->lists[3] ? r->lists[3] : "[]");
	pending_text(p, r->lists[4] ? r->lists[4] : "{}");
	pending_text(p, json_string_value(json_object_get(c, "notes")));
	pending_int(p, run->now);
	pending_int(p, run->now);
	pending_int(p, 1);
	pending_text(p, json_string_value(json_object_get(c, "department")));
	pending_text(p, json_string_value(json_object_get(c, "buying_role")));
	size_t i;
	json_t *item;
	json_array_foreach(json_object_get(c, "phones"), i, item)
	{
		pending_text(&f->rows[FT_PHONES], json_string_value(json_object_get(item, "e164")));
		pending_int(&f->rows[FT_PHONES], id);
	}
	fast_audit(run, "contact", id, r->line);
	if (queue_doc(run, 1, id, r->doc) < 0)
		return gx_fail(err, GX_EINTERNAL, NULL, "out of memory");
	r->doc = NULL;
	run->progress.created++;
	fast_key(run, "r:", r->hash, id);
	if (r->external)
		fast_key(run, "x:", r->external, id);
	return 0;
}

/* FTS5 builds its index fastest with a big buffer and wide merges (see demo.c's tune_fts, of
 * which this is a copy for the two contacts and two accounts indexes). In a transaction of
 * its own: an FTS5 table touched earlier in a transaction makes every later statement flush. */
static int fast_tune_fts(struct run *run, int loading, struct gx_error *err)
{
	static const char *const tables[] = {"search_accounts_fts", "search_contacts_fts",
	                                     "search_accounts_short", "search_contacts_short"};
	int rc = store_begin(run->ctx->store, err);
	for (size_t i = 0; rc == 0 && i < COUNT(tables); i++) {
		struct store_stmt *stmt = store_prepare(
		    run->ctx->store,
		    "SELECT COUNT(*) FROM sqlite_master WHERE name = ? AND sql LIKE '%fts5%'", err);
		if (!stmt) {
			rc = GX_EINTERNAL;
			break;
		}
		store_bind_text(stmt, 1, tables[i]);
		rc = store_step(stmt, err);
		int exists = rc == STORE_ROW && store_col_int(stmt, 0) > 0;
		store_done(stmt);
		rc = rc < 0 ? rc : 0;
		for (int setting = 0; rc == 0 && exists && setting < 2; setting++) {
			struct buf *sql = &run->fast->sql;
			sql->len = 0;
			buf_printf(sql, "INSERT INTO %s(%s, rank) VALUES ('%s', %d)", tables[i],
			           tables[i], setting ? "automerge" : "hashsize",
			           setting ? (loading ? 16 : 4) : (loading ? 64 : 1) << 20);
			stmt = buf_text(sql) ? store_prepare(run->ctx->store, buf_text(sql), err)
			                     : NULL;
			rc = stmt ? store_exec(stmt, err) : GX_EINTERNAL;
		}
	}
	if (rc == 0)
		return store_commit(run->ctx->store, err);
	store_rollback(run->ctx->store);
	return rc;
}

/* Secondary indexes of contacts keyed in an order unrelated to the rows' (names; companies
 * drawn at random): kept up to date during a big load, every batch rewrites most of their
 * pages. The fast path drops them and makes them again at the end, one sort each (~10 s of
 * a million-row import saved). The definitions are the migrations' own, read from the
 * migrations compiled in, so that they can be made again after a crash too: every real run
 * starts by making any of them that is missing (fast_restore_indexes). SQLite's schema, like
 * the FTS5 settings: the store would own this with a second backend. */
static const char *const deferred_indexes[] = {"contacts_name", "contacts_account"};

/* The last "CREATE INDEX name ..." of the migrations, up to its ';', or NULL. */
static char *index_definition(const char *name)
{
	char head[96];
	snprintf(head, sizeof head, "CREATE INDEX %s ", name);
	char *found = NULL;
	for (int i = 0; i < store_migration_count; i++) {
		for (const char *at = strstr(store_migrations[i].sql, head); at;
		     at = strstr(at + 1, head)) {
			const char *end = strchr(at, ';');
			if (!end)
				continue;
			free(found);
			found = strndup(at, (size_t)(end - at));
		}
	}
	return found;
}

static int index_exists(struct run *run, const char *name, struct gx_error *err)
{
	struct store_stmt *stmt = store_prepare(
	    run->ctx->store, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = ?",
	    err);
	if (!stmt)
		return GX_EINTERNAL;
	store_bind_text(stmt, 1, name);
	int rc = store_step(stmt, err);
	int exists = rc == STORE_ROW && store_col_int(stmt, 0) > 0;
	store_done(stmt);
	return rc < 0 ? rc : exists;
}

/* Makes the deferred indexes that are missing (after a fast run, or a crash during one). */
static int fast_restore_indexes(struct run *run, struct gx_error *err)
{
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < COUNT(deferred_indexes); i++) {
		int exists = index_exists(run, deferred_indexes[i], err);
		if (exists != 0) {
			rc = exists < 0 ? exists : 0;
			continue;
		}
		char *sql = index_definition(deferred_indexes[i]);
		if (!sql)
			continue; /* not the migrations' any more */
		log_info("import: making index %s", deferred_indexes[i]);
		struct store_stmt *stmt = store_prepare(run->ctx->store, sql, err);
		rc = stmt ? store_exec(stmt, err) : GX_EINTERNAL;
		free(sql);
	}
	return rc;
}

static int fast_drop_indexes(struct run *run, struct gx_error *err)
{
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < COUNT(deferred_indexes); i++) {
		int exists = index_exists(run, deferred_indexes[i], err);
		if (exists <= 0) {
			rc = exists;
			continue;
		}
		char sql[96];
		snprintf(sql, sizeof sql, "DROP INDEX %s", deferred_indexes[i]);
		struct store_stmt *stmt = store_prepare(run->ctx->store, sql, err);
		rc = stmt ? store_exec(stmt, err) : GX_EINTERNAL;
	}
	return rc;
}

/* The fast path when the database holds no contacts, accounts or import keys of contacts
 * (a fresh start; a resumed run or a second run takes the ordinary path). */
static int fast_start(struct run *run, struct gx_error *err)
{
	/* Links need their records looked up, which the fast path's pending rows are not. */
	if (run->opt->dry_run || run->map.kind != K_CONTACTS || run->start_row != 0 ||
	    mapped(&run->map, "reports_to"))
		return 0;
	int64_t used = scalar(run,
	                      "SELECT EXISTS (SELECT 1 FROM contacts) OR EXISTS (SELECT 1 FROM "
	                      "accounts) OR EXISTS (SELECT 1 FROM import_keys WHERE kind IN "
	                      "('contacts', 'accounts'))",
	                      err);
	if (used != 0)
		return used < 0 ? (int)used : 0;
	struct fast *f = calloc(1, sizeof *f);
	if (!f)
		return 0;
	run->fast = f;
	int rc = fast_sync_ids(run, err);
	int64_t last = rc < 0 ? rc : scalar(run, "SELECT COALESCE(MAX(id), 0) FROM audit", err);
	if (last < 0)
		return (int)last;
	f->last_audit = last;
	if ((rc = fast_tune_fts(run, 1, err)) < 0)
		return rc;
	f->tuned = 1;
	if ((rc = fast_drop_indexes(run, err)) < 0)
		return rc;
	f->on = 1;
	if (run->opt->batch_rows <= 0)
		run->batch = IMPORT_FAST_BATCH;
	return 0;
}

/* FTS5 settings back (after a failure too). */
static int fast_end(struct run *run, struct gx_error *err)
{
	struct fast *f = run->fast;
	int rc = f ? fast_restore_indexes(run, err) : 0;
	int tuned = f && f->tuned ? fast_tune_fts(run, 0, rc < 0 ? NULL : err) : 0;
	if (f)
		f->tuned = 0;
	return rc < 0 ? rc : tuned;
}

static void fast_free(struct fast *f)
{
	if (!f)
		return;
	free(f->keys.slots);
	for (size_t i = 0; i < f->names_cap; i++)
		free(f->names[i].name);
	free(f->names);
	for (int t = 0; t < NFT; t++) {
		free(f->rows[t].cells);
		buf_free(&f->rows[t].text);
	}
	buf_free(&f->sql);
	free(f);
}

/* ---- the job row ------------------------------------------------------------------------- */

static int add_reject(struct run *run, const struct prow *r, int in_db, struct gx_error *err)
{
	run->progress.rejected++;
	if (run->progress.rejected > IMPORT_REJECTS_KEPT)
		return 0;
	if (!in_db) {
		json_array_append_new(run->rejects,
		                      json_pack("{s:I, s:s?, s:s}", "line", (json_int_t)r->line,
		                                "field", r->field[0] ? r->field : NULL, "message",
		                                r->message));
		return 0;
	}
	struct store_stmt *stmt = store_prepare(
	    run->ctx->store,
	    "INSERT INTO import_rejects(import_id, line, field, message) VALUES (?, ?, ?, ?)", err);
	if (!stmt)
		return GX_EINTERNAL;
	store_bind_int(stmt, 1, run->job_id);
	store_bind_int(stmt, 2, r->line);
	store_bind_text(
	    stmt, 3, r->field[0] && text_valid_utf8(r->field, strlen(r->field)) ? r->field : NULL);
	store_bind_text(
	    stmt, 4, text_valid_utf8(r->message, strlen(r->message)) ? r->message : "invalid text");
	return store_exec(stmt, err);
}

static int save_progress(struct run *run, const char *status, const char *message,
                         struct gx_error *err)
{
	struct store_stmt *stmt = store_prepare(
	    run->ctx->store,
	    "UPDATE imports SET status = CASE WHEN ?1 IS NULL OR (status = 'cancelling' AND "
	    "?1 = 'running') THEN status ELSE ?1 END, rows_total = ?2, rows_done = ?3, "
	    "created = ?4, updated = ?5, duplicates = ?6, rejected = ?7, "
	    "message = COALESCE(?8, message), updated_at = ?9 WHERE id = ?10",
	    err);
	if (!stmt)
		return GX_EINTERNAL;
	const struct import_progress *p = &run->progress;
	store_bind_text(stmt, 1, status);
	store_bind_int(stmt, 2, p->rows_total);
	store_bind_int(stmt, 3, p->rows_done);
	store_bind_int(stmt, 4, p->created);
	store_bind_int(stmt, 5, p->updated);
	store_bind_int(stmt, 6, p->duplicates);
	store_bind_int(stmt, 7, p->rejected);
	store_bind_text(stmt, 8, message);
	store_bind_int(stmt, 9, clock_now());
	store_bind_int(stmt, 10, run->job_id);
	return store_exec(stmt, err);
}

/* Live figures of the jobs running in this process, for a dry run's progress (its counters
 * are in a transaction that is never committed) and for cancelling. */
#define LIVE_MAX 32
static struct {
	int64_t id;
	struct import_progress p;
} live[LIVE_MAX];
static pthread_mutex_t live_lock = PTHREAD_MUTEX_INITIALIZER;

static void live_set(int64_t id, const struct import_progress *p, int remove)
{
	pthread_mutex_lock(&live_lock);
	int slot = -1, unused = -1;
	for (int i = 0; i < LIVE_MAX && slot < 0; i++) {
		if (live[i].id == id)
			slot = i;
		else if (live[i].id == 0 && unused < 0)
			unused = i;
	}
	if (slot < 0 && !remove)
		slot = unused;
	if (slot >= 0 && remove)
		live[slot].id = 0;
	else if (slot >= 0) {
		live[slot].id = id;
		if (p)
			live[slot].p = *p;
	}
	pthread_mutex_unlock(&live_lock);
}

static int live_get(int64_t id, struct import_progress *p)
{
	pthread_mutex_lock(&live_lock);
	int found = 0;
	for (int i = 0; i < LIVE_MAX && !found; i++)
		if (live[i].id == id) {
			*p = live[i].p;
			found = 1;
		}
	pthread_mutex_unlock(&live_lock);
	return found;
}

static int job_status(struct run *run, char *status, size_t size, struct gx_error *err)
{
	struct store_stmt *stmt =
	    store_prepare(run->ctx->store, "SELECT status FROM imports WHERE id = ?", err);
	if (!stmt)
		return GX_EINTERNAL;
	store_bind_int(stmt, 1, run->job_id);
	int rc = store_step(stmt, err);
	snprintf(status, size, "%s", rc == STORE_ROW ? store_col_text(stmt, 0) : "");
	store_done(stmt);
	return rc < 0 ? rc : 0;
}

static int cancelled(struct run *run, struct gx_error *err)
{
	if (run->opt->cancel && atomic_load(run->opt->cancel))
		return 1;
	char status[24];
	if (run->opt->dry_run)
		return 0; /* the job row is not read inside the dry run's transaction */
	int rc = job_status(run, status, sizeof status, err);
	return rc < 0 ? rc : strcmp(status, "cancelling") == 0;
}

static void report_progress(struct run *run)
{
	live_set(run->job_id, &run->progress, 0);
	if (run->opt->progress)
		run->opt->progress(run->opt->progress_arg, &run->progress);
}

/* One chunk as one transaction (a real run) or as part of the dry run's. */
static int write_chunk(struct run *run, struct prow *rows, size_t n, struct gx_error *err)
{
	struct import_progress before = run->progress;
	int64_t accounts_before = run->accounts_created;
	int rc = store_begin(run->ctx->store, err);
	int fast = 0;
	if (rc == 0 && run->fast && run->fast->on) {
		rc = fast_still_ours(run, err);
		fast = run->fast->on;
	}
	for (size_t i = 0; rc == 0 && i < n; i++)
		if (rows[i].status == 0)
			rc = fast ? fast_row(run, &rows[i], err) : write_row(run, &rows[i], err);
	if (rc == 0 && fast)
		rc = fast_flush(run, err);
	if (rc == 0)
		rc = write_docs(run, err);
	for (size_t i = 0; rc == 0 && i < n; i++)
		if (rows[i].status < 0)
			rc = add_reject(run, &rows[i], !run->opt->dry_run, err);
	run->progress.rows_done += (int64_t)n;
	if (rc == 0 && !run->opt->dry_run)
		rc = save_progress(run, NULL, NULL, err);
	if (rc == 0 && fast) {
		int64_t last = scalar(run, "SELECT COALESCE(MAX(id), 0) FROM audit", err);
		rc = last < 0 ? (int)last : 0;
		run->fast->last_audit = last;
	}
	if (rc == 0)
		rc = store_commit(run->ctx->store, err);
	else
		store_rollback(run->ctx->store);
	if (rc < 0) {
		if (run->fast) {
			/* what was pending went with the transaction */
			for (int t = 0; t < NFT; t++)
				run->fast->rows[t].n = run->fast->rows[t].text.len = 0;
			run->fast->on = 0;
		}
		for (size_t i = 0; i < run->ndocs; i++)
			free(run->docs[i]);
		run->ndocs = 0;
		int64_t total = run->progress.rows_total;
		run->progress = before;
		run->progress.rows_total = total;
		run->accounts_created = accounts_before;
	}
	return rc;
}

static int write_all(struct run *run, int *was_cancelled, struct gx_error *err)
{
	int rc = 0;
	for (size_t k = 0; k < run->nchunks && rc == 0; k++) {
		int c = cancelled(run, err);
		if (c != 0) {
			*was_cancelled = c > 0;
			rc = c < 0 ? c : 0;
			break;
		}
		pthread_mutex_lock(&run->lock);
		while (!run->ready[k])
			pthread_cond_wait(&run->changed, &run->lock);
		pthread_mutex_unlock(&run->lock);
		struct prow *rows = run->chunks[k];
		size_t first = (size_t)run->start_row + k * (size_t)run->batch;
		size_t n = data_rows(run) - first < (size_t)run->batch ? data_rows(run) - first
		                                                       : (size_t)run->batch;
		rc = rows ? write_chunk(run, rows, n, err)
		          : gx_fail(err, GX_EINTERNAL, NULL, "out of memory");
		pthread_mutex_lock(&run->lock);
		if (rows)
			run->garbage[run->ngarbage++] = k;
		run->written = k + 1;
		pthread_cond_broadcast(&run->changed);
		pthread_mutex_unlock(&run->lock);
		if (rc == 0)
			report_progress(run);
	}
	return rc;
}

static int pipeline(struct run *run, int *was_cancelled, struct gx_error *err)
{
	size_t rows = data_rows(run) - (size_t)run->start_row;
	run->nchunks = (rows + (size_t)run->batch - 1) / (size_t)run->batch;
	run->chunks = calloc(run->nchunks ? run->nchunks : 1, sizeof *run->chunks);
	run->ready = calloc(run->nchunks ? run->nchunks : 1, sizeof *run->ready);
	run->garbage = calloc(run->nchunks ? run->nchunks : 1, sizeof *run->garbage);
	if (!run->chunks || !run->ready || !run->garbage)
		return gx_fail(err, GX_EINTERNAL, NULL, "out of memory");
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	int nthreads = run->opt->threads > 0 ? run->opt->threads : cores > 0 ? (int)cores : 2;
	if (nthreads > 16)
		nthreads = 16;
	pthread_t threads[16];
	int started = 0;
	for (int i = 0; i < nthreads; i++)
		if (pthread_create(&threads[started], NULL, worker, run) == 0)
			started++;
	int rc = started ? write_all(run, was_cancelled, err)
	                 : gx_fail(err, GX_EINTERNAL, NULL, "cannot start a thread");
	pthread_mutex_lock(&run->lock);
	run->stop = 1;
	pthread_cond_broadcast(&run->changed);
	pthread_mutex_unlock(&run->lock);
	for (int i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	for (size_t k = 0; k < run->nchunks; k++) {
		if (!run->chunks[k])
			continue;
		size_t first = (size_t)run->start_row + k * (size_t)run->batch;
		size_t n = data_rows(run) - first < (size_t)run->batch ? data_rows(run) - first
		                                                       : (size_t)run->batch;
		for (size_t i = 0; i < n; i++)
			prow_free(&run->chunks[k][i]);
		free(run->chunks[k]);
	}
	return rc;
}

/* ---- jobs ---------------------------------------------------------------------------------- */

static void file_hash(const char *data, size_t len, char out[65])
{
	unsigned char digest[32];
	crypto_generichash(digest, sizeof digest, (const unsigned char *)data, len, NULL, 0);
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", digest[i]);
}

static int insert_job(struct crm_ctx *ctx, const struct import_options *opt, const char *kind,
                      const char *format, const char *hash, const char *data, size_t len,
                      const char *status, int64_t *id, struct gx_error *err)
{
	struct store_stmt *stmt = store_prepare(
	    ctx->store,
	    "INSERT INTO imports(user_id, kind, format, encoding, region, mapping, filename, "
	    "file_hash, source, dry_run, status, created_at, updated_at, timezone) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	    err);
	if (!stmt)
		return GX_EINTERNAL;
	char *mapping = opt->mapping ? json_dumps(opt->mapping, JSON_COMPACT) : NULL;
	if (ctx->actor.user_id > 0)
		store_bind_int(stmt, 1, ctx->actor.user_id);
	else
		store_bind_null(stmt, 1);
	store_bind_text(stmt, 2, kind);
	store_bind_text(stmt, 3, format);
	store_bind_text(stmt, 4, opt->encoding ? opt->encoding : "auto");
	store_bind_text(stmt, 5, opt->region);
	store_bind_text(stmt, 6, mapping ? mapping : "{}");
	store_bind_text(stmt, 7, opt->filename);
	store_bind_text(stmt, 8, hash);
	store_bind_null(stmt, 9);
	store_bind_int(stmt, 10, opt->dry_run);
	store_bind_text(stmt, 11, status);
	store_bind_int(stmt, 12, clock_now());
	store_bind_int(stmt, 13, clock_now());
	store_bind_text(stmt, 14,
	                opt->timezone && *opt->timezone ? opt->timezone : ctx->config->timezone);
	free(mapping);
	int rc = store_exec(stmt, err);
	*id = store_last_insert_id(ctx->store);
	if (rc == 0 && data) {
		/* The file rides in the job row, base64 (store.h binds text only), so the job
		 * thread has it and a restarted server could resume it. */
		size_t b64 = sodium_base64_encoded_len(len, sodium_base64_VARIANT_ORIGINAL);
		char *text = malloc(b64);
		if (!text)
			return gx_fail(err, GX_EINTERNAL, NULL, "out of memory");
		sodium_bin2base64(text, b64, (const unsigned char *)data, len,
		                  sodium_base64_VARIANT_ORIGINAL);
		stmt = store_prepare(ctx->store, "UPDATE imports SET source = ? WHERE id = ?", err);
		if (stmt) {
			store_bind_text(stmt, 1, text);
			store_bind_int(stmt, 2, *id);
			rc = store_exec(stmt, err);
		} else {
			rc = GX_EINTERNAL;
		}
		free(text);
	}
	return rc;
}

/* The last real run of the same file and kind if it is unfinished: its id, rows done and time
 * zone (empty for a job made before zones were recorded). An unfinished run older than a later
 * one (finished, or started afresh with --restart) is never resumed. */
static int find_resumable(struct run *run, const char *hash, int64_t *id, int64_t *done, char *zone,
                          size_t zone_size, struct gx_error *err)
{
	struct store_stmt *stmt = store_prepare(
	    run->ctx->store,
	    "SELECT id, rows_done, created, updated, duplicates, rejected, timezone FROM (SELECT * "
	    "FROM imports WHERE file_hash = ? AND kind = ? AND dry_run = 0 ORDER BY id DESC "
	    "LIMIT 1) WHERE status IN ('running','cancelling','cancelled','failed')",
	    err);
	if (!stmt)
		return GX_EINTERNAL;
	store_bind_text(stmt, 1, hash);
	store_bind_text(stmt, 2, kind_names[run->map.kind]);
	int rc = store_step(stmt, err);
	if (rc == STORE_ROW) {
		*id = store_col_int(stmt, 0);
		*done = store_col_int(stmt, 1);
		run->progress.created = store_col_int(stmt, 2);
		run->progress.updated = store_col_int(stmt, 3);
		run->progress.duplicates = store_col_int(stmt, 4);
		run->progress.rejected = store_col_int(stmt, 5);
		const char *z = store_col_text(stmt, 6);
		snprintf(zone, zone_size, "%s", z ? z : "");
	}
	store_done(stmt);
	return rc < 0 ? rc : 0;
}

static int set_job(struct run *run, const char *status, const char *message, struct gx_error *err)
{
	int rc = store_begin(run->ctx->store, err);
	if (rc == 0)
		rc = save_progress(run, status, message, err);
	if (rc == 0 && run->map.ncols) {
		json_t *mapping = mapping_json(&run->src, &run->map);
		char *text = json_dumps(mapping, JSON_COMPACT);
		json_decref(mapping);
		struct store_stmt *stmt = store_prepare(run->ctx->store,
		                                        "UPDATE imports SET mapping = ?, kind = ?, "
		                                        "format = ?, encoding = ? WHERE id = ?",
		                                        err);
		if (stmt) {
			store_bind_text(stmt, 1, text);
			store_bind_text(stmt, 2, kind_names[run->map.kind]);
			store_bind_text(stmt, 3, format_names[run->src.format]);
			store_bind_text(stmt, 4, run->src.encoding);
			store_bind_int(stmt, 5, run->job_id);
			rc = store_exec(stmt, err);
		} else {
			rc = GX_EINTERNAL;
		}
		free(text);
	}
	if (rc == 0 && run->rejects && json_array_size(run->rejects)) {
		size_t i;
		json_t *r;
		json_array_foreach(run->rejects, i, r)
		{
			struct prow p = {.line =
			                     (long)json_integer_value(json_object_get(r, "line"))};
			snprintf(p.field, sizeof p.field, "%s",
			         json_string_value(json_object_get(r, "field"))
			             ? json_string_value(json_object_get(r, "field"))
			             : "");
			snprintf(p.message, sizeof p.message, "%s",
			         json_string_value(json_object_get(r, "message")));
			run->progress.rejected--; /* add_reject counts it again */
			if (rc == 0)
				rc = add_reject(run, &p, 1, err);
		}
		json_array_clear(run->rejects);
	}
	if (rc == 0)
		return store_commit(run->ctx->store, err);
	store_rollback(run->ctx->store);
	return rc;
}

static const char *const role_kinds[] = {"accounts", "contacts", "interactions", "orders"};

static int run_import(struct run *run, const char *data, size_t len, int64_t job_id,
                      struct gx_error *err)
{
	struct crm_ctx *ctx = run->ctx;
	const struct import_options *opt = run->opt;
	int rc = read_source(data, len, opt, &run->src, err);
	if (rc == 0)
		rc = build_mapping(ctx, &run->src, opt, &run->map, err);
	if (rc == 0)
		rc = check_needed(&run->map, err);
	if (rc == 0 && !access_can_write(&ctx->actor, kinds[run->map.kind].kind->access))
		rc = gx_fail(err, GX_EFORBIDDEN, NULL, "the %s role may not import %s",
		             access_role_name(ctx->actor.role), role_kinds[run->map.kind]);
	if (rc == 0 && has_line_columns(&run->map))
		rc = group_orders(run, err);
	if (rc == 0 && column_of(&run->map, link_target(run)) >= 0)
		rc = order_by_links(run, err);
	for (size_t c = 0; rc == 0 && c < run->map.ncols; c++) {
		const struct record_kind *kind = kinds[run->map.kind].kind;
		int target = run->map.target[c];
		for (size_t i = 0; target >= 0 && i < kind->nfields; i++)
			if (kind->fields[i].type == F_TIME &&
			    strcmp(kind->fields[i].name,
			           kinds[run->map.kind].targets[target].name) == 0)
				run->zone_in_hash = 1;
	}
	if (rc < 0) {
		if (job_id) {
			run->job_id = job_id;
			set_job(run, "failed", err->message, NULL);
		}
		return rc;
	}
	run->progress.rows_total = (int64_t)data_rows(run);
	char hash[65];
	file_hash(data, len, hash);
	if (job_id) {
		run->job_id = job_id;
	} else {
		int64_t resume = 0, done = 0;
		char zone[sizeof run->config.timezone] = "";
		if (!opt->dry_run && !opt->restart &&
		    (rc = find_resumable(run, hash, &resume, &done, zone, sizeof zone, err)) < 0)
			return rc;
		/* A resumed job reads its times in the zone it started with (its first rows were
		 * read so, and the zone is part of every row's hash); another zone asked for
		 * explicitly is refused rather than silently ignored or mixed in. */
		if (resume && *zone && opt->timezone && strcmp(opt->timezone, zone) != 0)
			return gx_fail(
			    err, GX_EVALIDATION, "timezone",
			    "this file's unfinished import %lld reads times in %s: it resumes "
			    "in that zone, not in %.64s (give no time zone, or %s, or --restart "
			    "for "
			    "a new import)",
			    (long long)resume, zone, opt->timezone, zone);
		if (resume && *zone)
			snprintf(run->config.timezone, sizeof run->config.timezone, "%s", zone);
		if (resume) {
			run->job_id = resume;
			run->start_row = done;
			run->progress.rows_done = done;
			log_info("import %" PRId64 ": resuming after %" PRId64 " rows", resume,
			         done);
		} else {
			memset(&run->progress, 0, sizeof run->progress);
			run->progress.rows_total = (int64_t)data_rows(run);
			rc = insert_job(ctx, opt, kind_names[run->map.kind],
			                format_names[run->src.format], hash, NULL, 0, "running",
			                &run->job_id, err);
			if (rc < 0)
				return rc;
		}
	}
	if (run->start_row > (int64_t)data_rows(run))
		run->start_row = (int64_t)data_rows(run);
	if ((rc = set_job(run, "running", NULL, err)) < 0)
		return rc;
	report_progress(run);
	int was_cancelled = 0;
	/* Commits without waiting for the disk (this connection only): a batch lost to a power
	 * cut is simply imported again on the next run, which resumes from the job row written
	 * in the same transaction. At the end: full durability again and the WAL folded in. */
	if ((rc = store_bulk_mode(ctx->store, 1, err)) < 0)
		return rc;
	/* The keys of a big import (row hashes, E.164 numbers, emails) land all over their
	 * indexes: with SQLite's default 2 MB page cache every insert became a read from disk
	 * after a few hundred thousand rows. 256 MB for this connection while it imports. */
	struct store_stmt *pragma = store_prepare(ctx->store, "PRAGMA cache_size = -262144", err);
	if (!pragma || (rc = store_exec(pragma, err)) < 0)
		return pragma ? rc : GX_EINTERNAL;
	/* A fast run that crashed left its deferred indexes out: made first, whatever this run. */
	if (!opt->dry_run)
		rc = fast_restore_indexes(run, err);
	if (rc == 0)
		rc = fast_start(run, err);
	if (rc < 0) {
		/* nothing imported; fast_end below puts back what fast_start changed */
	} else if (opt->dry_run) {
		/* Everything in one transaction, rolled back: the counts are the real run's. */
		rc = store_begin(ctx->store, err);
		if (rc == 0) {
			rc = pipeline(run, &was_cancelled, err);
			store_rollback(ctx->store);
		}
	} else {
		rc = pipeline(run, &was_cancelled, err);
	}
	int tuned = fast_end(run, rc < 0 ? NULL : err);
	if (rc == 0 && tuned < 0)
		rc = tuned;
	pragma = store_prepare(ctx->store, "PRAGMA cache_size = -2000", NULL);
	if (pragma)
		store_exec(pragma, NULL);
	int durable = store_bulk_mode(ctx->store, 0, rc < 0 ? NULL : err);
	if (rc == 0 && durable < 0)
		rc = durable;
	const char *status = rc < 0 ? "failed" : was_cancelled ? "cancelled" : "done";
	int saved = set_job(run, status, rc < 0 ? err->message : NULL, rc < 0 ? NULL : err);
	live_set(run->job_id, NULL, 1);
	return rc < 0 ? rc : saved;
}

static void run_free(struct run *run)
{
	table_free(&run->src.table);
	json_decref(run->rejects);
	free(run->chunks);
	free(run->ready);
	free(run->garbage);
	free(run->doc_ids);
	free(run->docs);
	free(run->doc_kinds);
	buf_free(&run->docs_sql);
	fast_free(run->fast);
	free(run->unit_start);
	free(run->unit_rows);
	pthread_mutex_destroy(&run->lock);
	pthread_cond_destroy(&run->changed);
	free(run);
}

static struct run *run_new(struct crm_ctx *ctx, const struct import_options *opt)
{
	struct run *run = calloc(1, sizeof *run);
	if (!run)
		return NULL;
	run->ctx = ctx;
	run->opt = opt;
	run->config = *ctx->config;
	if (opt->region && *opt->region)
		snprintf(run->config.region, sizeof run->config.region, "%s", opt->region);
	if (opt->timezone && *opt->timezone)
		snprintf(run->config.timezone, sizeof run->config.timezone, "%s", opt->timezone);
	run->batch = opt->batch_rows > 0 ? opt->batch_rows : IMPORT_BATCH;
	run->now = clock_now();
	run->rejects = json_array();
	pthread_mutex_init(&run->lock, NULL);
	pthread_cond_init(&run->changed, NULL);
	return run;
}

/* The options every entry point checks first: region and time zone. */
static int check_options(const struct import_options *opt, struct gx_error *err)
{
	if (opt->region && *opt->region && strlen(opt->region) != 2)
		return gx_fail(err, GX_EVALIDATION, "region",
		               "region must be a two-letter country code (CN, TW, HK...)");
	if (opt->timezone && !tz_valid(opt->timezone))
		return gx_fail(
		    err, GX_EVALIDATION, "timezone",
		    "\"%.64s\" is not a time zone; use an IANA name such as Asia/Shanghai "
		    "or America/New_York",
		    opt->timezone);
	return 0;
}

int imports_run(struct crm_ctx *ctx, const char *data, size_t len, const struct import_options *opt,
                int64_t job_id, json_t **report, struct gx_error *err)
{
	if (check_options(opt, err) < 0)
		return GX_EVALIDATION;
	struct run *run = run_new(ctx, opt);
	if (!run)
		return gx_fail(err, GX_EINTERNAL, NULL, "out of memory");
	int rc = run_import(run, data, len, job_id, err);
	int64_t id = run->job_id;
	run_free(run);
	if (rc < 0 || !report)
		return rc;
	struct actor actor = ctx->actor;
	ctx->actor = access_system_actor(); /* the report of the job just run, whoever ran it */
	rc = imports_get(ctx, id, report, err);
	ctx->actor = actor;
	return rc;
}

/* The proposal; with complete, a mapping without what the kind needs fails (an import),
 * without, it is proposed all the same (the mapping step, for the user to complete). */
static int proposal(struct crm_ctx *ctx, const char *data, size_t len,
                    const struct import_options *opt, int complete, json_t **out,
                    struct gx_error *err)
{
	struct run *run = run_new(ctx, opt);
	if (!run)
		return gx_fail(err, GX_EINTERNAL, NULL, "out of memory");
	int rc = read_source(data, len, opt, &run->src, err);
	if (rc == 0)
		rc = build_mapping(ctx, &run->src, opt, &run->map, err);
	if (rc == 0 && complete)
		rc = check_needed(&run->map, err);
	if (rc == 0) {
		json_t *headers = json_array(), *fields = json_array();
		for (size_t c = 0; c < run->map.ncols; c++)
			json_array_append_new(headers, json_string(header_of(run, c)));
		for (size_t i = 0; i < kinds[run->map.kind].n; i++)
			json_array_append_new(fields,
			                      json_string(kinds[run->map.kind].targets[i].name));
		*out = json_pack("{s:s, s:s, s:s, s:s, s:I, s:o, s:o, s:o}", "kind",
		                 kind_names[run->map.kind], "format", format_names[run->src.format],
		                 "encoding", run->src.encoding, "timezone", run->config.timezone,
		                 "rows", (json_int_t)data_rows(run), "headers", headers, "mapping",
		                 mapping_json(&run->src, &run->map), "fields", fields);
	}
	run_free(run);
	return rc;
}

int imports_propose(struct crm_ctx *ctx, const char *data, size_t len,
                    const struct import_options *opt, json_t **out, struct gx_error *err)
{
	if (check_options(opt, err) < 0)
		return GX_EVALIDATION;
	return proposal(ctx, data, len, opt, 0, out, err);
}

/* ---- the server's job threads ------------------------------------------------------------- */

struct job {
	struct config config;
	struct actor actor;
	int64_t id;
	pthread_t thread;
	int finished;
	struct job *next;
};

static struct job *jobs;
static pthread_mutex_t jobs_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_int shutting_down;

static int load_job(struct crm_ctx *ctx, int64_t id, char **data, size_t *len, json_t **opts,
                    struct gx_error *err)
{
	struct store_stmt *stmt = store_prepare(ctx->store,
	                                        "SELECT kind, format, encoding, region, mapping, "
	                                        "filename, dry_run, source, timezone FROM imports "
	                                        "WHERE id = ?",
	                                        err);
	if (!stmt)
		return GX_EINTERNAL;
	store_bind_int(stmt, 1, id);
	int rc = store_step(stmt, err);
	if (rc == STORE_ROW) {
		*opts = json_pack("{s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:b, s:s?}", "kind",
		                  store_col_text(stmt, 0), "format", store_col_text(stmt, 1),
		                  "encoding", store_col_text(stmt, 2), "region",
		                  store_col_text(stmt, 3), "mapping", store_col_text(stmt, 4),
		                  "filename", store_col_text(stmt, 5), "dry_run",
		                  (int)store_col_int(stmt, 6), "timezone", store_col_text(stmt, 8));
		const char *b64 = store_col_text(stmt, 7);
		size_t n = b64 ? strlen(b64) : 0;
		*data = malloc(n + 1);
		if (*data &&
		    sodium_base642bin((unsigned char *)*data, n + 1, b64 ? b64 : "", n, NULL, len,
		                      NULL, sodium_base64_VARIANT_ORIGINAL) != 0)
			*len = 0;
	}
	store_done(stmt);
	if (rc == STORE_DONE)
		return gx_fail(err, GX_ENOTFOUND, NULL, "no import %" PRId64, id);
	return rc < 0 ? rc : 0;
}

static void *job_main(void *arg)
{
	struct job *job = arg;
	struct crm_ctx ctx = {.config = &job->config, .actor = job->actor};
	struct gx_error err = {0};
	char *data = NULL;
	size_t len = 0;
	json_t *o = NULL;
	if (store_open(&ctx.store, job->config.db, &err) == 0 &&
	    load_job(&ctx, job->id, &data, &len, &o, &err) == 0) {
		json_t *mapping =
		    json_loads(json_string_value(json_object_get(o, "mapping")), 0, NULL);
		struct import_options opt = {
		    .kind = json_string_value(json_object_get(o, "kind")),
		    .format = json_string_value(json_object_get(o, "format")),
		    .encoding = json_string_value(json_object_get(o, "encoding")),
		    .region = json_string_value(json_object_get(o, "region")),
		    .timezone = json_string_value(json_object_get(o, "timezone")),
		    .mapping = json_object_size(mapping) ? mapping : NULL,
		    .filename = json_string_value(json_object_get(o, "filename")),
		    .dry_run = json_is_true(json_object_get(o, "dry_run")),
		    .cancel = &shutting_down,
		};
		if (imports_run(&ctx, data ? data : "", len, &opt, job->id, NULL, &err) < 0)
			log_info("import %" PRId64 " failed: %s", job->id, err.message);
		json_decref(mapping);
	} else {
		log_info("import %" PRId64 " cannot start: %s", job->id, err.message);
	}
	json_decref(o);
	free(data);
	store_close(ctx.store);
	pthread_mutex_lock(&jobs_lock);
	job->finished = 1;
	pthread_mutex_unlock(&jobs_lock);
	return NULL;
}

/* Joins the job threads that are done (so their memory goes back). */
static void reap(int all)
{
	for (;;) {
		struct job *done = NULL;
		pthread_mutex_lock(&jobs_lock);
		for (struct job **p = &jobs; *p; p = &(*p)->next)
			if ((*p)->finished || all) {
				done = *p;
				*p = done->next;
				break;
			}
		pthread_mutex_unlock(&jobs_lock);
		if (!done)
			return;
		pthread_join(done->thread, NULL);
		free(done);
	}
}

int imports_submit(struct crm_ctx *ctx, const char *db_path, const char *data, size_t len,
                   const struct import_options *opt, json_t **out, struct gx_error *err)
{
	reap(0);
	if (opt->kind && kind_of(opt->kind) < 0)
		return gx_fail(err, GX_EVALIDATION, "type",
		               "type must be accounts, contacts, interactions or orders");
	if (check_options(opt, err) < 0)
		return GX_EVALIDATION;
	if (len == 0)
		return gx_fail(err, GX_EVALIDATION, "file", "the file is empty");
	/* A quick look now, so a file that cannot be imported fails the request itself. */
	json_t *proposed = NULL;
	int rc = proposal(ctx, data, len, opt, 1, &proposed, err);
	if (rc < 0)
		return rc;
	const char *kind = json_string_value(json_object_get(proposed, "kind"));
	if (!access_can_write(&ctx->actor, kinds[kind_of(kind)].kind->access)) {
		json_decref(proposed);
		return gx_fail(err, GX_EFORBIDDEN, NULL, "the %s role may not import %s",
		               access_role_name(ctx->actor.role), kind);
	}
	/* The job thread gets the mapping itself: a saved one with the caller's over it. */
	struct import_options job_opt = *opt;
	json_t *mapping = NULL;
	char saved_kind[16];
	if (opt->mapping_name &&
	    (rc = load_saved(ctx, opt->mapping_name, &mapping, saved_kind, err)) < 0) {
		json_decref(proposed);
		return rc;
	}
	if (mapping && opt->mapping)
		json_object_update(mapping, (json_t *)opt->mapping);
	if (mapping)
		job_opt.mapping = mapping;
	job_opt.kind = kind;
	char hash[65];
	file_hash(data, len, hash);
	int64_t id = 0;
	rc = insert_job(ctx, &job_opt, kind, json_string_value(json_object_get(proposed, "format")),
	                hash, data, len, "queued", &id, err);
	json_decref(proposed);
	json_decref(mapping);
	if (rc < 0)
		return rc;
	struct job *job = calloc(1, sizeof *job);
	if (!job)
		return gx_fail(err, GX_EINTERNAL, NULL, "out of memory");
	job->config = *ctx->config;
	snprintf(job->config.db, sizeof job->config.db, "%s", db_path);
	job->actor = ctx->actor;
	job->id = id;
	pthread_mutex_lock(&jobs_lock);
	if (pthread_create(&job->thread, NULL, job_main, job) != 0) {
		pthread_mutex_unlock(&jobs_lock);
		free(job);
		return gx_fail(err, GX_EINTERNAL, NULL, "cannot start a thread");
	}
	job->next = jobs;
	jobs = job;
	pthread_mutex_unlock(&jobs_lock);
	return imports_get(ctx, id, out, err);
}

void imports_shutdown(void)
{
	atomic_store(&shutting_down, 1);
	reap(1);
}

/* ---- reading jobs ------------------------------------------------------------------------ */

int imports_get(struct crm_ctx *ctx, int64_t id, json_t **out, struct gx_error *err)
{
	struct store_stmt *stmt = store_prepare(
	    ctx->store,
	    "SELECT id, user_id, status, kind, format, encoding, region, dry_run, filename, "
	    "mapping, rows_total, rows_done, created, updated, duplicates, rejected, message, "
	    "created_at, updated_at, timezone FROM imports WHERE id = ?",
	    err);
	if (!stmt)
		return GX_EINTERNAL;
	store_bind_int(stmt, 1, id);
	int rc = store_step(stmt, err);
	if (rc != STORE_ROW) {
		store_done(stmt);
		return rc < 0 ? rc : gx_fail(err, GX_ENOTFOUND, NULL, "no import %" PRId64, id);
	}
	int64_t owner = store_col_is_null(stmt, 1) ? 0 : store_col_int(stmt, 1);
	if (owner != ctx->actor.user_id && !access_is_admin(&ctx->actor) &&
	    ctx->actor.role != ROLE_MANAGER) {
		store_done(stmt);
		return gx_fail(err, GX_ENOTFOUND, NULL, "no import %" PRId64, id);
	}
	char created[32], updated[32];
	clock_format(store_col_int(stmt, 17), created, sizeof created);
	clock_format(store_col_int(stmt, 18), updated, sizeof updated);
	struct import_progress p = {
	    .rows_total = store_col_int(stmt, 10),
	    .rows_done = store_col_int(stmt, 11),
	    .created = store_col_int(stmt, 12),
	    .updated = store_col_int(stmt, 13),
	    .duplicates = store_col_int(stmt, 14),
	    .rejected = store_col_int(stmt, 15),
	};
	live_get(id, &p);
	json_t *mapping = json_loads(store_col_text(stmt, 9), 0, NULL);
	json_t *job = json_pack(
	    "{s:I, s:s, s:s, s:s, s:s, s:s?, s:b, s:s?, s:o, s:I, s:I, s:f, s:I, s:I, s:I, "
	    "s:I, s:s?, s:s, s:s}",
	    "id", (json_int_t)id, "status", store_col_text(stmt, 2), "kind",
	    store_col_text(stmt, 3), "format", store_col_text(stmt, 4), "encoding",
	    store_col_text(stmt, 5), "region", store_col_text(stmt, 6), "dry_run",
	    (int)store_col_int(stmt, 7), "filename", store_col_text(stmt, 8), "mapping",
	    mapping ? mapping : json_object(), "rows_total", (json_int_t)p.rows_total, "rows_done",
	    (json_int_t)p.rows_done, "progress",
	    p.rows_total ? (double)p.rows_done / (double)p.rows_total : 1.0, "created",
	    (json_int_t)p.created, "updated", (json_int_t)p.updated, "duplicates",
	    (json_int_t)p.duplicates, "rejected", (json_int_t)p.rejected, "message",
	    store_col_text(stmt, 16), "created_at", created, "updated_at", updated);
	json_object_set_new(job, "timezone",
	                    store_col_is_null(stmt, 19) ? json_null()
	                                                : json_string(store_col_text(stmt, 19)));
	store_done(stmt);
	if (!job)
		return gx_fail(err, GX_EINTERNAL, NULL, "out of memory");
	stmt = store_prepare(ctx->store,
	                     "SELECT line, field, message FROM import_rejects WHERE import_id = ? "
	                     "ORDER BY line LIMIT 1000",
	                     err);
	if (!stmt) {
		json_decref(job);
		return GX_EINTERNAL;
	}
	store_bind_int(stmt, 1, id);
	json_t *rejects = json_array();
	while ((rc = store_step(stmt, err)) == STORE_ROW)
		json_array_append_new(rejects, json_pack("{s:I, s:s?, s:s}", "line",
		                                         (json_int_t)store_col_int(stmt, 0),
		                                         "field", store_col_text(stmt, 1),
		                                         "message", store_col_text(stmt, 2)));
	store_done(stmt);
	json_object_set_new(job, "rejects", rejects);
	if (rc < 0) {
		json_decref(job);
		return rc;
	}
	*out = job;
	return 0;
}

int imports_cancel(struct crm_ctx *ctx, int64_t id, json_t **out, struct gx_error *err)
{
	json_t *job = NULL;
	int rc = imports_get(ctx, id, &job, err);
	if (rc < 0)
		return rc;
	char status[24];
	snprintf(status, sizeof status, "%s", json_string_value(json_object_get(job, "status")));
	json_decref(job);
	if (strcmp(status, "queued") != 0 && strcmp(status, "running") != 0)
		return gx_fail(err, GX_ECONFLICT, "status", "the import is %s already", status);
	struct store_stmt *stmt = store_prepare(
	    ctx->store,
	    "UPDATE imports SET status = 'cancelling', updated_at = ? WHERE id = ? AND status IN "
	    "('queued','running')",
	    err);
	if (!stmt)
		return GX_EINTERNAL;
	store_bind_int(stmt, 1, clock_now());
	store_bind_int(stmt, 2, id);
	rc = store_exec(stmt, err);
	return rc < 0 ? rc : imports_get(ctx, id, out, err);
}

/* ---- saved mappings ---------------------------------------------------------------------- */

/* Everyone reads saved mappings; their author, managers and admins change them. */
static int may_change_mapping(const struct crm_ctx *ctx, int has_author, int64_t author)
{
	return access_is_admin(&ctx->actor) || ctx->actor.role == ROLE_MANAGER ||
	       (has_author && ctx->actor.user_id > 0 && author == ctx->actor.user_id);
}

/* The mapping called name (or with id, when name is NULL): its id and author. 0: none. */
static int64_t mapping_author(struct crm_ctx *ctx, const char *name, int64_t id, int *has_author,
                              int64_t *author, struct gx_error *err)
{
	struct store_stmt *stmt =
	    store_prepare(ctx->store,
	                  name ? "SELECT id, user_id FROM import_mappings WHERE name = ?"
	                       : "SELECT id, user_id FROM import_mappings WHERE id = ?",
	                  err);
	if (!stmt)
		return GX_EINTERNAL;
	if (name)
		store_bind_text(stmt, 1, name);
	else
		store_bind_int(stmt, 1, id);
	int rc = store_step(stmt, err);
	int64_t found = 0;
	if (rc == STORE_ROW) {
		found = store_col_int(stmt, 0);
		*has_author = !store_col_is_null(stmt, 1);
		*author = *has_author ? store_col_int(stmt, 1) : 0;
	}
	store_done(stmt);
	return rc < 0 ? rc : found;
}

static int mapping_forbidden(const char *name, struct gx_error *err)
{
	return gx_fail(err, GX_EFORBIDDEN, NULL,
	               "the mapping \"%s\" was saved by another user: only they, a manager or an "
	               "admin may change or delete it",
	               name);
}

int imports_mappings_list(struct crm_ctx *ctx, json_t **out, struct gx_error *err)
{
	struct store_stmt *stmt = store_prepare(
	    ctx->store,
	    "SELECT id, name, kind, mapping, user_id FROM import_mappings ORDER BY name", err);
	if (!stmt)
		return GX_EINTERNAL;
	json_t *data = json_array();
	int rc;
	while ((rc = store_step(stmt, err)) == STORE_ROW) {
		json_t *mapping = json_loads(store_col_text(stmt, 3), 0, NULL);
		json_t *item = json_pack(
		    "{s:I, s:s, s:s, s:o, s:o, s:b}", "id", (json_int_t)store_col_int(stmt, 0),
		    "name", store_col_text(stmt, 1), "kind", store_col_text(stmt, 2), "mapping",
		    mapping ? mapping : json_object(), "user_id",
		    store_col_is_null(stmt, 4) ? json_null() : json_integer(store_col_int(stmt, 4)),
		    "editable",
		    may_change_mapping(ctx, !store_col_is_null(stmt, 4), store_col_int(stmt, 4)));
		json_array_append_new(data, item);
	}
	store_done(stmt);
	if (rc < 0) {
		json_decref(data);
		return rc;
	}
	*out = json_pack("{s:o}", "data", data);
	return 0;
}

int imports_mapping_save(struct crm_ctx *ctx, const json_t *body, json_t **out,
                         struct gx_error *err)
{
	const char *name = json_string_value(json_object_get(body, "name"));
	const char *kind = json_string_value(json_object_get(body, "kind"));
	json_t *mapping = json_object_get(body, "mapping");
	if (!name || !*name || strlen(name) > 100)
		return gx_fail(err, GX_EVALIDATION, "name", "name must be 1 to 100 bytes");
	int k = kind_of(kind);
	if (k < 0)
		return gx_fail(err, GX_EVALIDATION, "kind",
		               "kind must be accounts, contacts, interactions or orders");
	if (!json_is_object(mapping))
		return gx_fail(err, GX_EVALIDATION, "mapping",
		               "mapping must be an object of column header to field (or null)");
	const char *header;
	json_t *v;
	json_object_foreach(mapping, header, v)
	{
		if (!json_is_null(v) && target_of(k, json_string_value(v)) < 0)
			return gx_fail(err, GX_EVALIDATION, "mapping",
			               "\"%s\" is not an importable field of %s",
			               json_string_value(v) ? json_string_value(v) : "?", kind);
	}
	if (!access_can_write(&ctx->actor, kinds[k].kind->access))
		return gx_fail(err, GX_EFORBIDDEN, NULL, "the %s role may not import %s",
		               access_role_name(ctx->actor.role), kind);
	/* The author check and the write in one transaction: no one slips in between. */
	int rc = store_begin(ctx->store, err);
	if (rc < 0)
		return rc;
	int has_author = 0;
	int64_t author = 0;
	int64_t id = mapping_author(ctx, name, 0, &has_author, &author, err);
	if (id < 0)
		rc = (int)id;
	else if (id > 0 && !may_change_mapping(ctx, has_author, author))
		rc = mapping_forbidden(name, err);
	struct store_stmt *stmt =
	    rc < 0 ? NULL
	           : store_prepare(ctx->store,
	                           "INSERT INTO import_mappings(name, kind, mapping, created_at, "
	                           "updated_at, user_id) VALUES (?, ?, ?, ?, ?, ?) "
	                           "ON CONFLICT(name) DO UPDATE SET kind = excluded.kind, "
	                           "mapping = excluded.mapping, updated_at = excluded.updated_at",
	                           err);
	if (rc == 0 && !stmt)
		rc = GX_EINTERNAL;
	if (rc == 0) {
		char *text = json_dumps(mapping, JSON_COMPACT);
		store_bind_text(stmt, 1, name);
		store_bind_text(stmt, 2, kind);
		store_bind_text(stmt, 3, text);
		store_bind_int(stmt, 4, clock_now());
		store_bind_int(stmt, 5, clock_now());
		if (ctx->actor.user_id > 0)
			store_bind_int(stmt, 6, ctx->actor.user_id);
		else
			store_bind_null(stmt, 6);
		free(text);
		rc = store_exec(stmt, err);
	}
	if (rc == 0 && id == 0) {
		/* a new mapping: its author is who saved it (an overwrite keeps the author) */
		id = store_last_insert_id(ctx->store);
		has_author = ctx->actor.user_id > 0;
		author = ctx->actor.user_id;
	}
	if (rc < 0) {
		store_rollback(ctx->store);
		return rc;
	}
	if ((rc = store_commit(ctx->store, err)) < 0)
		return rc;
	*out = json_pack("{s:I, s:s, s:s, s:O, s:o}", "id", (json_int_t)id, "name", name, "kind",
	                 kind, "mapping", mapping, "user_id",
	                 has_author ? json_integer(author) : json_null());
	return 0;
}

int imports_mapping_delete(struct crm_ctx *ctx, int64_t id, struct gx_error *err)
{
	int rc = store_begin(ctx->store, err);
	if (rc < 0)
		return rc;
	int has_author = 0;
	int64_t author = 0;
	int64_t found = mapping_author(ctx, NULL, id, &has_author, &author, err);
	if (found < 0)
		rc = (int)found;
	else if (found == 0)
		rc = gx_fail(err, GX_ENOTFOUND, NULL, "no import mapping %" PRId64, id);
	else if (!may_change_mapping(ctx, has_author, author))
		rc = gx_fail(err, GX_EFORBIDDEN, NULL,
		             "import mapping %" PRId64 " was saved by another user: only they, a "
		             "manager or an admin may change or delete it",
		             id);
	struct store_stmt *stmt =
	    rc < 0 ? NULL
	           : store_prepare(ctx->store, "DELETE FROM import_mappings WHERE id = ?", err);
	if (rc == 0 && !stmt)
		rc = GX_EINTERNAL;
	if (rc == 0) {
		store_bind_int(stmt, 1, id);
		rc = store_exec(stmt, err);
	}
	if (rc < 0) {
		store_rollback(ctx->store);
		return rc;
	}
	return store_commit(ctx->store, err);
}
