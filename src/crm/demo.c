/* demo.c — demo data (see demo.h). Every record is drawn from its own pseudo-random stream,
 * keyed by the seed, the record kind and its index, so a run is reproducible byte for byte and one
 * record's data does not shift when another's recipe changes. Phone numbers are generated as
 * digits first and then written the ways people type them, so their E.164 form is known without
 * asking libphonenumber (tests/unit/test_demo.c checks that it agrees). Search documents are built
 * with the same search_doc_add_* calls, in the same order, as search_contact_doc and
 * search_account_doc. Relies on store.h for batches in bulk mode and on search.h for documents. */
#include "crm/demo.h"

#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/money.h"
#include "base/phone.h"
#include "base/text.h"
#include "crm/search.h"

#define DEMO_MAX_CONTACTS 10000000
#define DEMO_SPAN (3 * 365 * 86400LL) /* the data covers three years before now */
#define DEMO_BATCH 250000             /* rows per transaction (see hand_over) */
#define DEMO_DOCS 32768               /* search documents written together (see hand_over) */
#define DAY 86400

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ---- pseudo-random numbers ------------------------------------------------------------ */

/* splitmix64: tiny, fast, and good enough for test data; its finaliser also mixes keys. */
struct rng {
	uint64_t state;
};

static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static uint64_t rng_next(struct rng *r)
{
	return mix64(r->state += 0x9E3779B97F4A7C15ull);
}

/* The stream of record `index` of kind `stream`: hashed, so neighbouring records' streams never
 * overlap (consecutive splitmix states would). */
static struct rng rng_for(uint64_t seed, unsigned stream, uint64_t index)
{
	struct rng r = {mix64(seed ^ mix64(index * 16 + stream + 1))};
	return r;
}

/* 0 <= result < n, for n < 2^32 (Lemire's multiply-shift; the bias is below 2^-32). */
static uint32_t rng_below(struct rng *r, uint32_t n)
{
	return (uint32_t)(((rng_next(r) >> 32) * n) >> 32);
}

static int rng_percent(struct rng *r, unsigned percent)
{
	return rng_below(r, 100) < percent;
}

/* Uniform in (0, 1]: never 0, so log() and pow() with a negative exponent stay finite. */
static double rng_unit(struct rng *r)
{
	return (double)((rng_next(r) >> 11) + 1) * 0x1.0p-53;
}

static int64_t rng_range(struct rng *r, int64_t lo, int64_t hi)
{
	return hi <= lo ? lo : lo + (int64_t)(rng_next(r) % (uint64_t)(hi - lo + 1));
}

/* An index into a list whose first entries are the most common (surnames, big cities). */
static uint32_t rng_skewed(struct rng *r, uint32_t n)
{
	double u = rng_unit(r);
	uint32_t i = (uint32_t)(u * u * n);
	return i < n ? i : n - 1;
}

/* Geometric with mean about 1/(e^(1/m) - 1): how many events a customer has. */
static uint32_t rng_count(struct rng *r, double m, uint32_t cap)
{
	double x = -m * log(rng_unit(r));
	return x >= cap ? cap : (uint32_t)x;
}

/* Pareto with shape 1.16, the shape of the 80/20 rule, from 1 up to cap. */
static double rng_pareto(struct rng *r, double cap)
{
	double x = pow(rng_unit(r), -1.0 / 1.16);
	return x > cap ? cap : x;
}

/* ---- word lists ------------------------------------------------------------------------ */

enum lang { LANG_HANS, LANG_HANT, LANG_EN };
enum origin { ORIGIN_CN, ORIGIN_HK, ORIGIN_TW, ORIGIN_US };
enum team { TEAM_NORTH, TEAM_SOUTH };

/* A word in simplified and traditional script. */
struct hanzi {
	const char *hans, *hant;
};

/* Most common first (rng_skewed). */
static const struct hanzi surnames[] = {
    {"王", "王"},     {"李", "李"},     {"张", "張"}, {"刘", "劉"},     {"陈", "陳"},
    {"杨", "楊"},     {"黄", "黃"},     {"赵", "趙"}, {"吴", "吳"},     {"周", "周"},
    {"徐", "徐"},     {"孙", "孫"},     {"马", "馬"}, {"朱", "朱"},     {"胡", "胡"},
    {"郭", "郭"},     {"何", "何"},     {"高", "高"}, {"林", "林"},     {"罗", "羅"},
    {"郑", "鄭"},     {"梁", "梁"},     {"谢", "謝"}, {"宋", "宋"},     {"唐", "唐"},
    {"许", "許"},     {"韩", "韓"},     {"冯", "馮"}, {"邓", "鄧"},     {"曹", "曹"},
    {"彭", "彭"},     {"曾", "曾"},     {"萧", "蕭"}, {"田", "田"},     {"董", "董"},
    {"袁", "袁"},     {"潘", "潘"},     {"于", "于"}, {"蒋", "蔣"},     {"蔡", "蔡"},
    {"余", "余"},     {"杜", "杜"},     {"叶", "葉"}, {"程", "程"},     {"苏", "蘇"},
    {"魏", "魏"},     {"吕", "呂"},     {"丁", "丁"}, {"任", "任"},     {"沈", "沈"},
    {"姚", "姚"},     {"卢", "盧"},     {"姜", "姜"}, {"崔", "崔"},     {"钟", "鍾"},
    {"谭", "譚"},     {"陆", "陸"},     {"汪", "汪"}, {"范", "范"},     {"金", "金"},
    {"石", "石"},     {"廖", "廖"},     {"贾", "賈"}, {"夏", "夏"},     {"韦", "韋"},
    {"傅", "傅"},     {"方", "方"},     {"白", "白"}, {"邹", "鄒"},     {"孟", "孟"},
    {"熊", "熊"},     {"秦", "秦"},     {"邱", "邱"}, {"江", "江"},     {"尹", "尹"},
    {"薛", "薛"},     {"阎", "閻"},     {"段", "段"}, {"雷", "雷"},     {"侯", "侯"},
    {"龙", "龍"},     {"史", "史"},     {"陶", "陶"}, {"黎", "黎"},     {"贺", "賀"},
    {"顾", "顧"},     {"毛", "毛"},     {"郝", "郝"}, {"龚", "龔"},     {"邵", "邵"},
    {"万", "萬"},     {"钱", "錢"},     {"严", "嚴"}, {"武", "武"},     {"戴", "戴"},
    {"莫", "莫"},     {"孔", "孔"},     {"汤", "湯"}, {"欧阳", "歐陽"}, {"司马", "司馬"},
    {"诸葛", "諸葛"}, {"上官", "上官"},
};

static const struct hanzi given_chars[] = {
    {"伟", "偉"}, {"芳", "芳"}, {"娜", "娜"}, {"敏", "敏"}, {"静", "靜"}, {"丽", "麗"},
    {"强", "強"}, {"磊", "磊"}, {"军", "軍"}, {"洋", "洋"}, {"勇", "勇"}, {"艳", "豔"},
    {"杰", "傑"}, {"娟", "娟"}, {"涛", "濤"}, {"明", "明"}, {"超", "超"}, {"秀", "秀"},
    {"霞", "霞"}, {"平", "平"}, {"刚", "剛"}, {"桂", "桂"}, {"英", "英"}, {"华", "華"},
    {"玉", "玉"}, {"兰", "蘭"}, {"萍", "萍"}, {"红", "紅"}, {"鹏", "鵬"}, {"辉", "輝"},
    {"建", "建"}, {"文", "文"}, {"斌", "斌"}, {"宇", "宇"}, {"浩", "浩"}, {"凯", "凱"},
    {"健", "健"}, {"俊", "俊"}, {"帆", "帆"}, {"帅", "帥"}, {"旭", "旭"}, {"宁", "寧"},
    {"龙", "龍"}, {"林", "林"}, {"欣", "欣"}, {"佳", "佳"}, {"婷", "婷"}, {"雪", "雪"},
    {"琳", "琳"}, {"晶", "晶"}, {"颖", "穎"}, {"倩", "倩"}, {"慧", "慧"}, {"莉", "莉"},
    {"蕾", "蕾"}, {"怡", "怡"}, {"梦", "夢"}, {"雨", "雨"}, {"晨", "晨"}, {"阳", "陽"},
    {"博", "博"}, {"昊", "昊"}, {"子", "子"}, {"轩", "軒"}, {"涵", "涵"}, {"睿", "睿"},
    {"思", "思"}, {"嘉", "嘉"}, {"泽", "澤"}, {"皓", "皓"}, {"宏", "宏"}, {"志", "志"},
    {"国", "國"}, {"海", "海"}, {"春", "春"}, {"金", "金"}, {"云", "雲"}, {"飞", "飛"},
    {"波", "波"}, {"成", "成"}, {"荣", "榮"}, {"新", "新"}, {"亮", "亮"}, {"峰", "峰"},
    {"燕", "燕"}, {"晓", "曉"}, {"丹", "丹"}, {"琴", "琴"}, {"家", "家"}, {"美", "美"},
    {"玲", "玲"}, {"雅", "雅"}, {"诗", "詩"}, {"欢", "歡"}, {"乐", "樂"}, {"豪", "豪"},
    {"伦", "倫"}, {"德", "德"}, {"铭", "銘"}, {"毅", "毅"}, {"安", "安"}, {"振", "振"},
};

static const char *const first_names[] = {
    "James",   "John",   "Robert", "Michael", "William",  "David",  "Richard", "Joseph",
    "Thomas",  "Daniel", "Mary",   "Linda",   "Jennifer", "Susan",  "Jessica", "Sarah",
    "Karen",   "Nancy",  "Kevin",  "Jason",   "Eric",     "Tony",   "Vincent", "Peter",
    "Frank",   "Jack",   "Alan",   "Amy",     "Vivian",   "Grace",  "Cindy",   "Helen",
    "Tiffany", "Sophie", "Emily",  "Olivia",  "Emma",     "Kelvin", "Ivy",     "Winnie",
};

static const char *const last_names[] = {
    "Smith",  "Johnson",  "Williams", "Brown",  "Jones",   "Miller", "Davis",  "Wilson",
    "Taylor", "Anderson", "Moore",    "Martin", "Jackson", "White",  "Harris", "Clark",
    "Lewis",  "Walker",   "Young",    "Allen",  "King",    "Wright", "Scott",  "Green",
    "Chen",   "Wong",     "Lee",      "Lam",    "Chan",    "Ho",     "Cheung", "Lau",
    "Ng",     "Tsang",    "Huang",    "Lin",    "Wu",      "Zhang",  "Liu",    "Yang",
};

/* Departments, by enum lang: the boss's first, then the heads' (see org_place). */
static const char *const departments[][3] = {
    {"总经办", "總經辦", "Management"},       {"销售部", "銷售部", "Sales"},
    {"采购部", "採購部", "Procurement"},      {"技术部", "技術部", "Engineering"},
    {"财务部", "財務部", "Finance"},          {"市场部", "行銷部", "Marketing"},
    {"运营部", "營運部", "Operations"},       {"人力资源部", "人力資源部", "Human Resources"},
    {"客服部", "客服部", "Customer Service"},
};

/* Notes on some relationships, by enum lang. */
static const char *const relationship_notes[][3] = {
    {"老客户介绍", "老客戶介紹", "Introduced by an existing customer"},
    {"在展会上认识", "在展會上認識", "Met at a trade fair"},
    {"大学同学", "大學同學", "Were at university together"},
    {"联合投标过项目", "聯合投標過專案", "Bid on a project together"},
    {"长期合作", "長期合作", "Long-standing cooperation"},
};

/* The job, by enum lang. */
static const char *const titles[][3] = {
    {"总经理", "總經理", "General Manager"},
    {"采购经理", "採購經理", "Purchasing Manager"},
    {"销售总监", "銷售總監", "Sales Director"},
    {"财务总监", "財務總監", "CFO"},
    {"技术总监", "技術總監", "CTO"},
    {"市场经理", "市場經理", "Marketing Manager"},
    {"行政助理", "行政助理", "Office Assistant"},
    {"董事长", "董事長", "Chairman"},
    {"副总经理", "副總經理", "Deputy General Manager"},
    {"项目经理", "專案經理", "Project Manager"},
    {"采购专员", "採購專員", "Procurement Specialist"},
    {"运营总监", "營運總監", "COO"},
    {"工程师", "工程師", "Engineer"},
    {"客服主管", "客服主管", "Customer Service Lead"},
    {"店长", "店長", "Store Manager"},
};

/* Two of these make a company's brand (华东, 鑫达). */
static const struct hanzi brand_chars[] = {
    {"华", "華"}, {"东", "東"}, {"盛", "盛"}, {"鑫", "鑫"}, {"达", "達"}, {"恒", "恆"},
    {"泰", "泰"}, {"嘉", "嘉"}, {"瑞", "瑞"}, {"宏", "宏"}, {"信", "信"}, {"诚", "誠"},
    {"佳", "佳"}, {"源", "源"}, {"丰", "豐"}, {"隆", "隆"}, {"兴", "興"}, {"昌", "昌"},
    {"德", "德"}, {"和", "和"}, {"安", "安"}, {"康", "康"}, {"永", "永"}, {"明", "明"},
    {"新", "新"}, {"中", "中"}, {"天", "天"}, {"金", "金"}, {"海", "海"}, {"远", "遠"},
    {"博", "博"}, {"创", "創"}, {"智", "智"}, {"联", "聯"}, {"汇", "匯"}, {"通", "通"},
    {"科", "科"}, {"美", "美"}, {"润", "潤"}, {"福", "福"}, {"南", "南"}, {"北", "北"},
    {"长", "長"}, {"江", "江"}, {"宇", "宇"}, {"辰", "辰"}, {"星", "星"}, {"光", "光"},
};

struct business {
	const char *hans, *hant;
	const char *industry; /* the accounts.industry value */
	const char *slug;     /* for web domains */
};

static const struct business businesses[] = {
    {"贸易", "貿易", "trading", "trade"},
    {"科技", "科技", "technology", "tech"},
    {"电子", "電子", "electronics", "elec"},
    {"实业", "實業", "manufacturing", "group"},
    {"网络科技", "網路科技", "internet", "net"},
    {"物流", "物流", "logistics", "logistics"},
    {"食品", "食品", "food", "food"},
    {"医药", "醫藥", "pharma", "med"},
    {"机械", "機械", "machinery", "mech"},
    {"建材", "建材", "construction", "build"},
    {"服饰", "服飾", "apparel", "fashion"},
    {"化工", "化工", "chemicals", "chem"},
    {"信息技术", "資訊科技", "software", "it"},
    {"新能源", "新能源", "energy", "energy"},
    {"文化传媒", "文化傳媒", "media", "media"},
    {"餐饮管理", "餐飲管理", "hospitality", "food"},
    {"投资", "投資", "finance", "capital"},
    {"汽车配件", "汽車配件", "automotive", "auto"},
    {"家居", "家居", "retail", "home"},
    {"软件", "軟體", "software", "soft"},
    {"环保科技", "環保科技", "environment", "eco"},
    {"教育科技", "教育科技", "education", "edu"},
    {"进出口", "進出口", "trading", "trade"},
    {"生物科技", "生物科技", "biotech", "bio"},
    {"精密仪器", "精密儀器", "instruments", "tech"},
    {"包装材料", "包裝材料", "packaging", "pack"},
    {"纺织", "紡織", "textiles", "tex"},
    {"电器", "電器", "appliances", "elec"},
    {"光电", "光電", "electronics", "opto"},
    {"供应链管理", "供應鏈管理", "logistics", "scm"},
};

static const char *const english_brands[] = {
    "Acme",     "Pacific",  "Golden",      "Northstar", "Silverline", "Evergreen",
    "Bluewave", "Summit",   "Harbour",     "Orient",    "Jade",       "Lotus",
    "Phoenix",  "Crown",    "Pearl River", "Yangtze",   "Everbright", "Sunrise",
    "Redwood",  "Atlas",    "Horizon",     "Keystone",  "Pinnacle",   "Meridian",
    "Oakridge", "Vanguard", "Zenith",      "Apex",      "Cathay",     "Dragon Gate",
};

/* The English line of business and its industry; the domain is brand + name in lower case. */
static const struct {
	const char *name, *industry;
} english_businesses[] = {
    {"Trading", "trading"},         {"Technology", "technology"},
    {"Logistics", "logistics"},     {"Foods", "food"},
    {"Electronics", "electronics"}, {"Industrial", "manufacturing"},
    {"Software", "software"},       {"Medical", "pharma"},
    {"Textiles", "textiles"},       {"Energy", "energy"},
    {"Packaging", "packaging"},     {"Machinery", "machinery"},
    {"Chemicals", "chemicals"},     {"Media", "media"},
    {"Consulting", "consulting"},   {"Hardware", "hardware"},
};

static const char *const english_suffixes[] = {
    "Ltd", "Co., Ltd.", "Inc.", "Limited", "Holdings Ltd", "Group", "Pte. Ltd.", "LLC",
};

struct city {
	const char *name[2];  /* simplified, traditional; for US cities both the English name */
	const char *region;   /* province or state as written there */
	const char *postcode; /* leading digits; NULL where there are none (Hong Kong) */
	const char *area;     /* area code without the trunk prefix */
	unsigned char local_digits;
	unsigned char origin;
	unsigned char team;
};

/* Per origin, biggest first (rng_skewed). */
static const struct city cities[] = {
    {{"上海", "上海"}, "上海市", "200", "21", 8, ORIGIN_CN, TEAM_SOUTH},
    {{"北京", "北京"}, "北京市", "100", "10", 8, ORIGIN_CN, TEAM_NORTH},
    {{"深圳", "深圳"}, "广东省", "518", "755", 8, ORIGIN_CN, TEAM_SOUTH},
    {{"广州", "廣州"}, "广东省", "510", "20", 8, ORIGIN_CN, TEAM_SOUTH},
    {{"杭州", "杭州"}, "浙江省", "310", "571", 8, ORIGIN_CN, TEAM_SOUTH},
    {{"成都", "成都"}, "四川省", "610", "28", 8, ORIGIN_CN, TEAM_SOUTH},
    {{"天津", "天津"}, "天津市", "300", "22", 8, ORIGIN_CN, TEAM_NORTH},
    {{"南京", "南京"}, "江苏省", "210", "25", 8, ORIGIN_CN, TEAM_SOUTH},
    {{"苏州", "蘇州"}, "江苏省", "215", "512", 8, ORIGIN_CN, TEAM_SOUTH},
    {{"武汉", "武漢"}, "湖北省", "430", "27", 8, ORIGIN_CN, TEAM_NORTH},
    {{"重庆", "重慶"}, "重庆市", "400", "23", 8, ORIGIN_CN, TEAM_SOUTH},
    {{"西安", "西安"}, "陕西省", "710", "29", 8, ORIGIN_CN, TEAM_NORTH},
    {{"青岛", "青島"}, "山东省", "266", "532", 8, ORIGIN_CN, TEAM_NORTH},
    {{"沈阳", "瀋陽"}, "辽宁省", "110", "24", 8, ORIGIN_CN, TEAM_NORTH},
    {{"宁波", "寧波"}, "浙江省", "315", "574", 8, ORIGIN_CN, TEAM_SOUTH},
    {{"东莞", "東莞"}, "广东省", "523", "769", 8, ORIGIN_CN, TEAM_SOUTH},
    {{"大连", "大連"}, "辽宁省", "116", "411", 8, ORIGIN_CN, TEAM_NORTH},
    {{"郑州", "鄭州"}, "河南省", "450", "371", 8, ORIGIN_CN, TEAM_NORTH},
    {{"长沙", "長沙"}, "湖南省", "410", "731", 8, ORIGIN_CN, TEAM_SOUTH},
    {{"济南", "濟南"}, "山东省", "250", "531", 8, ORIGIN_CN, TEAM_NORTH},
    {{"厦门", "廈門"}, "福建省", "361", "592", 7, ORIGIN_CN, TEAM_SOUTH},
    {{"哈尔滨", "哈爾濱"}, "黑龙江省", "150", "451", 8, ORIGIN_CN, TEAM_NORTH},
    {{"香港", "香港"}, "香港", NULL, "", 8, ORIGIN_HK, TEAM_SOUTH},
    {{"台北", "台北"}, "台北市", "100", "2", 8, ORIGIN_TW, TEAM_SOUTH},
    {{"台中", "台中"}, "台中市", "400", "4", 8, ORIGIN_TW, TEAM_SOUTH},
    {{"高雄", "高雄"}, "高雄市", "800", "7", 7, ORIGIN_TW, TEAM_SOUTH},
    {{"新竹", "新竹"}, "新竹市", "300", "3", 7, ORIGIN_TW, TEAM_SOUTH},
    {{"San Francisco", "San Francisco"}, "CA", "941", "415", 7, ORIGIN_US, TEAM_NORTH},
    {{"New York", "New York"}, "NY", "100", "212", 7, ORIGIN_US, TEAM_SOUTH},
    {{"Los Angeles", "Los Angeles"}, "CA", "900", "213", 7, ORIGIN_US, TEAM_SOUTH},
    {{"Seattle", "Seattle"}, "WA", "981", "206", 7, ORIGIN_US, TEAM_NORTH},
    {{"Chicago", "Chicago"}, "IL", "606", "312", 7, ORIGIN_US, TEAM_NORTH},
    {{"Boston", "Boston"}, "MA", "021", "617", 7, ORIGIN_US, TEAM_SOUTH},
};

static const char *const country_codes[] = {"CN", "HK", "TW", "US"};

/* Roads by origin. */
static const char *const cn_roads[] = {
    "中山路",   "人民路",   "解放路",   "建设路", "和平路",   "长江路",   "世纪大道", "科技园南路",
    "高新大道", "滨江大道", "南京西路", "建国路", "深南大道", "天府大道", "延安路",   "东风路",
};
static const char *const hk_roads[] = {"皇后大道中", "德輔道中", "彌敦道",
                                       "軒尼詩道",   "告士打道", "干諾道中"};
static const char *const tw_roads[] = {"信義路五段",   "忠孝東路四段", "敦化南路一段",
                                       "中山北路二段", "民生東路三段", "復興北路"};
static const char *const us_roads[] = {"Market St",  "Broadway", "Main St",       "5th Ave",
                                       "Mission St", "Pine St",  "Lake Shore Dr", "Beacon St"};

static const char *const cn_mobile_prefixes[] = {
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151",
    "152", "155", "156", "157", "158", "159", "166", "173", "176", "177", "180",
    "181", "182", "185", "186", "187", "188", "189", "198", "199",
};

/* Hong Kong mobile number blocks in use (3 digits each), from libphonenumber's metadata. */
static const char hk_mobile_blocks[] =
    "510511512513514516517518519520521522523524526527528529530531532533534536537538539540541542"
    "543544546547548549550551552553554556557558559560561562563564566568569570571572574576577578"
    "579590591592593594596597598599601602603604605606607608609610611612613614615616617618619620"
    "621622623624625627628629630631632633634635636637638639640641642643644645646647648649650651"
    "652653654655656657658659660661662663664665667668669670671672673674675676677679680681682683"
    "684685687688689690691692693694695696697698699901902903904905906907908909910912913914915916"
    "917918919920921922923924925926927928930931932933934935936937938940941942943944945946947948"
    "949950951952953954955956957958960961962963964965966967968969970971972973974975976977978979"
    "980981982983984985986987988";

static const char *const mail_hosts[][3] = {
    /* CN, HK, TW */
    {"163.com", "yahoo.com.hk", "yahoo.com.tw"}, {"qq.com", "netvigator.com", "gmail.com"},
    {"126.com", "gmail.com", "hinet.net"},       {"gmail.com", "outlook.com", "gmail.com"},
    {"sina.com", "hotmail.com", "hotmail.com"},  {"outlook.com", "gmail.com", "yahoo.com.tw"},
};

static const char *const contact_tags[] = {
    "vip",    "经销商", "partner", "newsletter", "重点客户",
    "老客户", "决策人", "展会",    "潜在客户",   "wechat",
};
static const char *const account_tags[] = {
    "经销商", "重点客户", "partner", "制造业", "外贸", "上市公司", "战略合作", "vip", "新客户",
};

/* ---- interactions and orders ----------------------------------------------------------- */

enum channel {
	CH_PHONE,
	CH_EMAIL,
	CH_CHAT,
	CH_SMS,
	CH_WEB,
	CH_VISIT,
	CH_MEETING,
	CH_SOCIAL,
	CH_FORUM
};

static const struct {
	const char *name;
	unsigned weight;  /* of all interactions, in percent */
	unsigned inbound; /* percent inbound */
} channels[] = {
    [CH_PHONE] = {"phone", 25, 45},    [CH_EMAIL] = {"email", 25, 50},
    [CH_CHAT] = {"chat", 12, 70},      [CH_SMS] = {"sms", 8, 20},
    [CH_WEB] = {"web", 8, 95},         [CH_VISIT] = {"visit", 7, 5},
    [CH_MEETING] = {"meeting", 8, 30}, [CH_SOCIAL] = {"social", 4, 60},
    [CH_FORUM] = {"forum", 3, 90},
};

/* By enum lang. */
static const char *const topics[][3] = {
    {"报价跟进", "報價跟進", "Quote follow-up"},
    {"产品咨询", "產品諮詢", "Product inquiry"},
    {"售后服务", "售後服務", "After-sales service"},
    {"确认交货时间", "確認交貨時間", "Delivery date confirmation"},
    {"付款提醒", "付款提醒", "Payment reminder"},
    {"合同续签", "合約續簽", "Contract renewal"},
    {"新品介绍", "新品介紹", "New product introduction"},
    {"投诉处理", "投訴處理", "Complaint handling"},
    {"样品寄送", "樣品寄送", "Sample shipment"},
    {"年度回访", "年度回訪", "Annual check-in"},
    {"展会邀请", "展會邀請", "Trade show invitation"},
    {"技术支持", "技術支援", "Technical support"},
    {"发票问题", "發票問題", "Invoice question"},
    {"价格谈判", "價格談判", "Price negotiation"},
    {"培训安排", "培訓安排", "Training schedule"},
};

static const char *const notes[][3] = {
    {"客户希望下周收到样品。", "客戶希望下週收到樣品。", "Customer would like samples next week."},
    {"已发送最新报价单，等待回复。", "已寄出最新報價單，等待回覆。",
     "Sent the latest quote, awaiting reply."},
    {"对价格有疑虑，折扣需经理审批。", "對價格有疑慮，折扣需經理審批。",
     "Price concerns; the discount needs manager approval."},
    {"问题已解决，客户满意。", "問題已解決，客戶滿意。", "Issue resolved, customer satisfied."},
    {"约定下月上门拜访。", "約定下月上門拜訪。", "Agreed to visit next month."},
    {"客户要求开具增值税专用发票。", "客戶要求開立統一發票。", "Customer asked for a VAT invoice."},
    {"请财务核对上月对账单。", "請財務核對上月對帳單。",
     "Finance to check last month's statement."},
    {"客户对新产品很感兴趣。", "客戶對新產品很感興趣。", "Customer is interested in the new line."},
};

static const char *const outcomes[] = {
    "resolved",       "follow_up",    "interested", "quote_sent", "order_placed",
    "not_interested", "left_message", "scheduled",  "no_answer",
};

struct product {
	const char *sku;
	const char *name[3]; /* by enum lang */
	int64_t price;       /* minor units */
};

static const struct product products[] = {
    {"SKU-1001", {"A4复印纸（5包/箱）", "A4影印紙（5包/箱）", "A4 copy paper (5 reams)"}, 12500},
    {"SKU-1002", {"激光打印机硒鼓", "雷射印表機碳粉匣", "Laser printer toner"}, 38900},
    {"SKU-1003", {"人体工学办公椅", "人體工學辦公椅", "Ergonomic office chair"}, 129900},
    {"SKU-1004", {"工业级路由器", "工業級路由器", "Industrial router"}, 268000},
    {"SKU-1005",
     {"不锈钢螺栓M8（100个）", "不鏽鋼螺栓M8（100個）", "Stainless bolts M8 (100)"},
     4500},
    {"SKU-1006", {"LED面板灯600x600", "LED面板燈600x600", "LED panel light 600x600"}, 18800},
    {"SKU-1007",
     {"企业版软件年费", "企業版軟體年費", "Enterprise software licence (1 year)"},
     2000000},
    {"SKU-1008", {"机架式服务器2U", "機架式伺服器2U", "2U rack server"}, 4580000},
    {"SKU-1009", {"茶叶礼盒", "茶葉禮盒", "Tea gift box"}, 68800},
    {"SKU-1010", {"安全帽", "安全帽", "Safety helmet"}, 3500},
    {"SKU-1011",
     {"工业润滑油（20升）", "工業潤滑油（20公升）", "Industrial lubricant (20 l)"},
     56000},
    {"SKU-1012", {"包装纸箱（50个）", "包裝紙箱（50個）", "Shipping cartons (50)"}, 9800},
    {"SKU-1013", {"电动螺丝刀套装", "電動螺絲起子套組", "Cordless screwdriver kit"}, 45900},
    {"SKU-1014", {"USB-C数据线（10条）", "USB-C傳輸線（10條）", "USB-C cables (10)"}, 8900},
    {"SKU-1015", {"86寸会议平板", "86吋會議平板", "86-inch meeting display"}, 2599900},
    {"SKU-1016", {"年度维保服务", "年度維保服務", "Annual maintenance contract"}, 1200000},
    {"SKU-1017", {"工作服（套）", "工作服（套）", "Work uniform (set)"}, 16900},
    {"SKU-1018", {"空气净化器", "空氣清淨機", "Air purifier"}, 219900},
    {"SKU-1019", {"传感器模块", "感測器模組", "Sensor module"}, 32000},
    {"SKU-1020", {"现场安装调试", "現場安裝調試", "On-site installation"}, 500000},
    {"SKU-1021", {"咖啡豆（1公斤）", "咖啡豆（1公斤）", "Coffee beans (1 kg)"}, 16800},
    {"SKU-1022", {"笔记本电脑", "筆記型電腦", "Laptop"}, 699900},
};

/* ---- users ----------------------------------------------------------------------------- */

enum { USER_NORTH_MANAGER, USER_NORTH_REP, USER_SOUTH_MANAGER = 4, USER_SOUTH_REP, NUSERS = 12 };

static const struct demo_user {
	const char *username, *role, *team, *display_name, *locale;
} demo_users[NUSERS] = {
    {"wang.jianguo", "manager", "north", "王建国", "zh-CN"},
    {"li.na", "sales", "north", "李娜", "zh-CN"},
    {"zhang.wei", "sales", "north", "张伟", "zh-CN"},
    {"kevin.liu", "sales", "north", "Kevin Liu", "en"},
    {"chen.meiling", "manager", "south", "陳美玲", "zh-TW"},
    {"huang.zhiqiang", "sales", "south", "黄志强", "zh-CN"},
    {"lin.jiahui", "sales", "south", "林佳慧", "zh-TW"},
    {"amy.zhou", "sales", "south", "Amy Zhou", "en"},
    {"zhao.min", "service", "service", "赵敏", "zh-CN"},
    {"wu.jiahao", "service", "service", "吳家豪", "zh-TW"},
    {"sophie.wang", "marketing", "marketing", "Sophie Wang", "en"},
    {"sun.li", "finance", "finance", "孙丽", "zh-CN"},
};

/* ---- the run --------------------------------------------------------------------------- */

#define PINYIN_MAX 16
#define MAX_EVENTS 3000 /* interactions or orders of one contact */

/* What contacts need to know of their company; names live in run->arena. */
struct demo_account {
	size_t name;   /* offset in run->arena */
	size_t domain; /* offset in run->arena: the mail domain of its people */
	int64_t owner_id;
	int64_t created_at;
	float scale;       /* how many times a one-person buyer's quantities it orders (Pareto) */
	uint32_t contacts; /* how many people it has */
	int64_t first_id;  /* of its first person; its people have consecutive ids */
	unsigned char city;
	unsigned char origin;
};

struct demo_phone {
	const char *kind;
	char typed[96];
	char e164[PHONE_E164_MAX];
};

struct demo_contact {
	int64_t id, account_id, owner_id, created_at;
	const struct demo_account *account; /* NULL: a private customer */
	enum lang lang;
	unsigned char city;
	char name[64];
	char given[PINYIN_MAX * 2], family[PINYIN_MAX]; /* lower-case ASCII, for mail addresses */
	struct demo_phone phones[3];
	int nphones;
	char emails[2][128];
	const char *email_kinds[2];
	int nemails;
	const char *tags[3];
	int ntags;
	/* its place at its company (org_place) */
	int64_t k; /* 0: the first person, the boss */
	int64_t reports_to_id;
	const char *department, *buying_role;
};

/* Rows are gathered per table and written by multi-row INSERTs: SQLite then starts one
 * statement (with its savepoint, constraint set-up and, for the search tables, one flush of the
 * FTS5 index) per statement instead of per row, which is most of the cost of a small insert.
 * Tables are written in this order, each referring only to those before it. */
enum table {
	T_ACCOUNTS,
	T_ACCOUNT_DOCS,
	T_CONTACTS,
	T_POSITIONS,
	T_RELATIONSHIPS,
	T_PHONES,
	T_CONTACT_DOCS,
	T_INTERACTIONS,
	T_ORDERS,
	NTABLES
};

static const struct table_spec {
	const char *into; /* table(columns) */
	int columns;
	int per_statement; /* rows; columns * rows stays below SQLite's 32766 parameters */
} table_specs[NTABLES] = {
    [T_ACCOUNTS] = {"accounts(id, name, industry, website, owner_id, tags, created_at, "
                    "updated_at)",
                    8, 64},
    /* Into the documents table directly (its trigger feeds the FTS5 index), so that one
     * statement carries thousands of documents: store_search_put per document would flush the
     * index per document and cost four times as much. */
    [T_ACCOUNT_DOCS] = {"search_accounts(id, doc)", 2, 16000},
    [T_CONTACTS] = {"contacts(id, name, account_id, title, birthday, phones, emails, addresses, "
                    "owner_id, tags, consent, created_at, updated_at, department, "
                    "reports_to_id, buying_role)",
                    16, 64},
    [T_POSITIONS] = {"contact_positions(contact_id, account_id, title, department, buying_role, "
                     "valid_from, valid_to)",
                     7, 500},
    [T_RELATIONSHIPS] = {"relationships(from_kind, from_id, to_kind, to_id, type, strength, note, "
                         "valid_from, valid_to, created_at, updated_at)",
                         11, 500},
    [T_PHONES] = {"contact_phones(e164, contact_id)", 2, 500},
    [T_CONTACT_DOCS] = {"search_contacts(id, doc)", 2, 16000},
    [T_INTERACTIONS] = {"interactions(id, contact_id, account_id, channel, direction, "
                        "occurred_at, duration_s, subject, body, outcome, user_id, created_at, "
                        "updated_at)",
                        13, 64},
    [T_ORDERS] = {"orders(id, account_id, contact_id, ordered_at, amount_minor, cost_minor, "
                  "currency, source, external_ref, status, lines, created_at, updated_at)",
                  13, 64},
};

/* One contact_phones row. E.164 numbers of the regions we make have at most 15 characters. */
struct phone_key {
	char e164[16];
	int32_t contact_id;
};

/* A secondary index dropped for the load and made again after it (see defer_indexes). */
struct deferred_index {
	char *name, *sql;
};

enum cell_kind { CELL_NULL, CELL_INT, CELL_STATIC, CELL_COPY };

struct cell {
	enum cell_kind kind;
	int64_t value;    /* CELL_INT; CELL_COPY: offset of the text in rows.text */
	const char *text; /* CELL_STATIC: lives as long as the run (word lists, settings) */
};

struct rows {
	struct cell *cells;
	size_t count, cap; /* cells */
	struct buf text;   /* NUL-terminated texts of CELL_COPY cells */
	int failed;
};

/* The rows the generator thread hands to the writer (the caller's thread, which alone uses
 * the store) in one go. */
struct batch {
	struct rows rows[NTABLES]; /* search documents only in a batch that commits */
	int commit;                /* write the documents and commit after this batch */
	const char *phase;         /* for progress: what the batch holds, and how far we are */
	int64_t done, total;
};

/* Two batches: the generator fills one while the writer writes the other. */
struct pipe {
	pthread_mutex_t lock;
	pthread_cond_t changed;
	int full[2];  /* batch i is ready for the writer */
	int stop;     /* the writer failed: the generator gives up */
	int finished; /* the generator has handed over its last batch (or failed, see failed) */
	int failed;   /* the generator ran out of memory */
};

/* Owned by the caller's thread, except what the comments give to the generator thread, which
 * runs from its start in write_all to the join in run_phases. */
struct demo_run {
	struct crm_ctx *ctx;
	const struct demo_options *opt;
	struct demo_stats stats; /* users by the writer; the rest by the generator */
	int64_t now, start;      /* the data lies in [start, now] */
	int national;            /* the default region is CN: numbers may be typed without +86 */
	int64_t users[NUSERS];
	int64_t naccounts, nprivate;           /* companies; contacts without one */
	unsigned city_first[4], city_count[4]; /* by enum origin */
	char surname_pinyin[COUNT(surnames)][PINYIN_MAX];
	char given_pinyin[COUNT(given_chars)][PINYIN_MAX];
	char brand_pinyin[COUNT(brand_chars)][PINYIN_MAX];
	/* the generator's */
	struct demo_account *accounts;
	struct buf arena;    /* account names and domains */
	struct batch *batch; /* the one being filled */
	int slot;
	struct rows docs[2]; /* search documents of accounts and contacts since the last commit */
	int64_t uncommitted; /* rows handed over since the last commit */
	struct demo_contact contact;
	int64_t times[MAX_EVENTS];
	struct phone_key *phones; /* the caller-id index, made last in its own order */
	size_t nphones, phones_cap;
	struct buf text[4]; /* JSON columns of the row being made, reused */
	struct buf doc;     /* its search document, reused */
	/* shared */
	struct pipe pipe;
	struct batch batches[2];
	/* the writer's */
	int in_tx;
	const char *reported_phase; /* progress told up to here */
	int64_t reported;
	struct deferred_index *indexes;
	int nindexes;
	struct buf sql; /* text of the next multi-row INSERT, reused */
};

enum stream {
	STREAM_ACCOUNT,
	STREAM_CONTACT,
	STREAM_INTERACTIONS,
	STREAM_ORDERS,
	STREAM_PLAN,
	STREAM_ORG,   /* a person's place in the org chart, positions and relationships */
	STREAM_LINKS, /* an account's relationships */
};

static void buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

/* Our word lists hold no control characters; quotes and backslashes are escaped anyway. */
static void json_add_string(struct buf *b, const char *s)
{
	buf_append_n(b, "\"", 1);
	for (const char *run = s;; s++) {
		if (*s && *s != '"' && *s != '\\')
			continue;
		buf_append_n(b, run, (size_t)(s - run));
		if (!*s)
			break;
		buf_append_n(b, "\\", 1);
		run = s;
	}
	buf_append_n(b, "\"", 1);
}

/* Appends `"key":"value"` (with a leading comma unless first). */
static void json_add_member(struct buf *b, const char *key, const char *value, int first)
{
	buf_append(b, first ? "\"" : ",\"");
	buf_append(b, key);
	buf_append(b, "\":");
	json_add_string(b, value);
}

static void json_add_list(struct buf *b, const char *const *items, int n)
{
	buf_append_n(b, "[", 1);
	for (int i = 0; i < n; i++) {
		if (i)
			buf_append_n(b, ",", 1);
		json_add_string(b, items[i]);
	}
	buf_append_n(b, "]", 1);
}

/* Copies up to size-1 bytes, always terminated. */
static void copy_text(char *out, size_t size, const char *text)
{
	size_t n = strlen(text);
	if (n >= size)
		n = size - 1;
	memcpy(out, text, n);
	out[n] = '\0';
}

static void ascii_lower(char *out, size_t size, const char *text)
{
	size_t n = 0;
	for (; *text && n + 1 < size; text++)
		if (*text != ' ')
			out[n++] = (char)(*text >= 'A' && *text <= 'Z' ? *text - 'A' + 'a' : *text);
	out[n] = '\0';
}

/* ---- phone numbers --------------------------------------------------------------------- */

/* n random digits, the first in lo..hi (local numbers never start with 0 or 1). */
static void random_digits(struct rng *r, char *out, int n, char lo, char hi)
{
	for (int i = 0; i < n; i++)
		out[i] =
		    (char)(i ? '0' + rng_below(r, 10) : lo + rng_below(r, (unsigned)(hi - lo + 1)));
	out[n] = '\0';
}

/* ASCII digits as full-width ones (１３８...), as some input methods type them. */
static void to_fullwidth(char *out, size_t size, const char *ascii)
{
	size_t n = 0;
	for (; *ascii && n + 4 < size; ascii++) {
		if (*ascii >= '0' && *ascii <= '9') {
			out[n++] = '\xEF';
			out[n++] = '\xBC';
			out[n++] = (char)(0x90 + (*ascii - '0'));
		} else {
			out[n++] = *ascii;
		}
	}
	out[n] = '\0';
}

/* Which way of writing a number: forms below `national_forms` only parse with CN as the
 * default region (no country code, or CN's international prefix 00), so other regions get
 * only the "+" forms. */
static unsigned pick_form(struct demo_run *run, struct rng *r, unsigned national_forms)
{
	return run->national ? rng_below(r, 100)
	                     : national_forms + rng_below(r, 100 - national_forms);
}

static void cn_mobile(struct demo_run *run, struct rng *r, struct demo_phone *p)
{
	char d[12], plain[16];
	memcpy(d, cn_mobile_prefixes[rng_below(r, COUNT(cn_mobile_prefixes))], 3);
	random_digits(r, d + 3, 8, '0', '9');
	snprintf(p->e164, sizeof p->e164, "+86%s", d);
	char *t = p->typed;
	size_t n = sizeof p->typed;
	unsigned form = pick_form(run, r, 60);
	if (form < 28)
		snprintf(t, n, "%s", d);
	else if (form < 46)
		snprintf(t, n, "%.3s %.4s %.4s", d, d + 3, d + 7);
	else if (form < 54)
		snprintf(t, n, "%.3s-%.4s-%.4s", d, d + 3, d + 7);
	else if (form < 58)
		snprintf(t, n, "0086 %s", d);
	else if (form < 60)
		snprintf(plain, sizeof plain, "%s", d), to_fullwidth(t, n, plain);
	else if (form < 78)
		snprintf(t, n, "+86 %.3s %.4s %.4s", d, d + 3, d + 7);
	else if (form < 85)
		snprintf(t, n, "+86 %.3s-%.4s-%.4s", d, d + 3, d + 7);
	else if (form < 93)
		snprintf(t, n, "+86%s", d);
	else if (form < 97)
		snprintf(t, n, "+86-%s", d);
	else
		snprintf(t, n, "(+86) %.3s %.4s %.4s", d, d + 3, d + 7);
}

/* An extension as people add it to an office number; phone_to_e164 drops it. */
static void add_extension(struct rng *r, struct demo_phone *p)
{
	static const char *const markers[] = {" 转", "转", " ext. ", " x", " 分机"};
	size_t len = strlen(p->typed);
	snprintf(p->typed + len, sizeof p->typed - len, "%s%u",
	         markers[rng_below(r, COUNT(markers))], 100 + rng_below(r, 9900));
}

static void cn_landline(struct demo_run *run, struct rng *r, const struct city *c,
                        struct demo_phone *p)
{
	char local[12];
	int head = c->local_digits - 4; /* written as head + 4 digits: 6552 9988, 512 3456 */
	random_digits(r, local, c->local_digits, '2', '7'); /* 80.. is not in use in 010, 021 */
	snprintf(p->e164, sizeof p->e164, "+86%s%s", c->area, local);
	char *t = p->typed;
	size_t n = sizeof p->typed;
	const char *a = c->area;
	unsigned form = pick_form(run, r, 65);
	if (form < 25)
		snprintf(t, n, "0%s-%s", a, local);
	else if (form < 38)
		snprintf(t, n, "(0%s) %.*s-%s", a, head, local, local + head);
	else if (form < 53)
		snprintf(t, n, "0%s %.*s %s", a, head, local, local + head);
	else if (form < 62)
		snprintf(t, n, "0%s%s", a, local);
	else if (form < 65)
		snprintf(t, n, "0086-%s-%s", a, local);
	else if (form < 90)
		snprintf(t, n, "+86 %s %.*s %s", a, head, local, local + head);
	else
		snprintf(t, n, "+86-%s-%s", a, local);
	if (strcmp(p->kind, "work") == 0 && rng_percent(r, 12))
		add_extension(r, p);
}

/* Hong Kong: eight digits, mobiles in the blocks in use, fixed lines from 210 to 299. */
static void hk_number(struct demo_run *run, struct rng *r, int mobile, struct demo_phone *p)
{
	char d[12];
	random_digits(r, d, 8, '0', '9');
	if (mobile) {
		memcpy(d, hk_mobile_blocks + 3 * rng_below(r, (sizeof hk_mobile_blocks - 1) / 3),
		       3);
	} else {
		unsigned block = 210 + rng_below(r, 90);
		snprintf(d, 4, "%u", block == 222 ? 223 : block); /* 222 is not in use */
		random_digits(r, d + 3, 5, '0', '9');
	}
	snprintf(p->e164, sizeof p->e164, "+852%s", d);
	char *t = p->typed;
	size_t n = sizeof p->typed;
	unsigned form = pick_form(run, r, 10);
	if (form < 10)
		snprintf(t, n, "00852 %.4s %.4s", d, d + 4);
	else if (form < 50)
		snprintf(t, n, "+852 %.4s %.4s", d, d + 4);
	else if (form < 65)
		snprintf(t, n, "+852-%.4s-%.4s", d, d + 4);
	else if (form < 80)
		snprintf(t, n, "+852%s", d);
	else if (form < 90)
		snprintf(t, n, "(+852) %.4s %.4s", d, d + 4);
	else
		snprintf(t, n, "+852 %s", d);
}

/* Taiwan: mobiles 09xx xxx xxx, fixed lines by the city's area code. */
static void tw_number(struct demo_run *run, struct rng *r, const struct city *c, int mobile,
                      struct demo_phone *p)
{
	char d[12];
	char *t = p->typed;
	size_t n = sizeof p->typed;
	unsigned form = pick_form(run, r, 10);
	if (mobile) {
		d[0] = '9';
		random_digits(r, d + 1, 8, '0', '9');
		snprintf(p->e164, sizeof p->e164, "+886%s", d);
		if (form < 10)
			snprintf(t, n, "00886 %s", d);
		else if (form < 55)
			snprintf(t, n, "+886 %.3s %.3s %.3s", d, d + 3, d + 6);
		else if (form < 75)
			snprintf(t, n, "+886-%.3s-%.3s-%.3s", d, d + 3, d + 6);
		else if (form < 90)
			snprintf(t, n, "+886%s", d);
		else
			snprintf(t, n, "(+886) %.3s-%.3s-%.3s", d, d + 3, d + 6);
		return;
	}
	int head = c->local_digits - 4;
	random_digits(r, d, c->local_digits, '2', '3'); /* what Taichung's 8 digits allow */
	snprintf(p->e164, sizeof p->e164, "+886%s%s", c->area, d);
	if (form < 10)
		snprintf(t, n, "00886-%s-%s", c->area, d);
	else if (form < 70)
		snprintf(t, n, "+886 %s %.*s %s", c->area, head, d, d + head);
	else
		snprintf(t, n, "+886-%s-%.*s-%s", c->area, head, d, d + head);
}

/* North America: NPA-NXX-XXXX with a real area code and an exchange that is not N11 or 555. */
static void us_number(struct demo_run *run, struct rng *r, const struct city *c,
                      struct demo_phone *p)
{
	static const char *const other_areas[] = {"646", "718", "310", "408",
	                                          "650", "305", "713", "202"};
	const char *npa =
	    rng_percent(r, 70) ? c->area : other_areas[rng_below(r, COUNT(other_areas))];
	char nxx[4], line[5];
	do
		random_digits(r, nxx, 3, '2', '9');
	while ((nxx[1] == '1' && nxx[2] == '1') || strcmp(nxx, "555") == 0);
	random_digits(r, line, 4, '0', '9');
	snprintf(p->e164, sizeof p->e164, "+1%s%s%s", npa, nxx, line);
	char *t = p->typed;
	size_t n = sizeof p->typed;
	unsigned form = pick_form(run, r, 8);
	if (form < 8)
		snprintf(t, n, "001 %s %s %s", npa, nxx, line);
	else if (form < 40)
		snprintf(t, n, "+1 (%s) %s-%s", npa, nxx, line);
	else if (form < 65)
		snprintf(t, n, "+1 %s-%s-%s", npa, nxx, line);
	else if (form < 80)
		snprintf(t, n, "+1 %s %s %s", npa, nxx, line);
	else if (form < 90)
		snprintf(t, n, "+1.%s.%s.%s", npa, nxx, line);
	else
		snprintf(t, n, "+1%s%s%s", npa, nxx, line);
}

/* One number of the contact's country, mobile or fixed by its kind. */
static void gen_phone(struct demo_run *run, struct rng *r, const struct city *c, const char *kind,
                      struct demo_phone *p)
{
	p->kind = kind;
	int mobile = strcmp(kind, "mobile") == 0 || strcmp(kind, "other") == 0;
	switch (c->origin) {
	case ORIGIN_HK: hk_number(run, r, mobile, p); break;
	case ORIGIN_TW: tw_number(run, r, c, mobile, p); break;
	case ORIGIN_US: us_number(run, r, c, p); break;
	default:
		if (mobile)
			cn_mobile(run, r, p);
		else
			cn_landline(run, r, c, p);
	}
}

/* ---- gathering rows -------------------------------------------------------------------- */

static struct cell *next_cell(struct rows *rows)
{
	static struct cell spare; /* written to after a failed allocation, never read */
	if (rows->count == rows->cap) {
		size_t cap = rows->cap ? rows->cap * 2 : 1024;
		struct cell *grown =
		    rows->failed ? NULL : realloc(rows->cells, cap * sizeof *grown);
		if (!grown) {
			rows->failed = 1;
			return &spare;
		}
		rows->cells = grown;
		rows->cap = cap;
	}
	return &rows->cells[rows->count++];
}

static void add_int(struct rows *rows, int64_t value)
{
	*next_cell(rows) = (struct cell){CELL_INT, value, NULL};
}

/* A reference: ids start at 1, so 0 stands for NULL. */
static void add_id(struct rows *rows, int64_t id)
{
	*next_cell(rows) = (struct cell){id > 0 ? CELL_INT : CELL_NULL, id, NULL};
}

static void add_static(struct rows *rows, const char *text)
{
	*next_cell(rows) = (struct cell){text ? CELL_STATIC : CELL_NULL, 0, text};
}

static void add_copy(struct rows *rows, const char *text)
{
	if (!text) {
		add_static(rows, NULL);
		return;
	}
	*next_cell(rows) = (struct cell){CELL_COPY, (int64_t)rows->text.len, NULL};
	buf_append_n(&rows->text, text, strlen(text) + 1);
	rows->failed |= rows->text.failed;
}

static size_t rows_count(const struct rows *rows, enum table t)
{
	return rows->count / (size_t)table_specs[t].columns;
}

static void rows_reset(struct rows *rows)
{
	rows->count = 0;
	buf_reset(&rows->text);
}

static void bind_cell(struct store_stmt *stmt, int idx, const struct rows *rows,
                      const struct cell *cell)
{
	switch (cell->kind) {
	case CELL_INT: store_bind_int(stmt, idx, cell->value); break;
	case CELL_STATIC: store_bind_text(stmt, idx, cell->text); break;
	case CELL_COPY: store_bind_text(stmt, idx, rows->text.data + cell->value); break;
	default: store_bind_null(stmt, idx);
	}
}

/* ---- writing rows (the caller's thread) ------------------------------------------------- */

/* One INSERT of n rows of t starting at cell `first`. */
static int insert_rows(struct demo_run *run, enum table t, const struct rows *rows, size_t first,
                       size_t n, struct gx_error *err)
{
	const struct table_spec *spec = &table_specs[t];
	struct buf *sql = &run->sql;
	buf_reset(sql);
	buf_append(sql, "INSERT INTO ");
	buf_append(sql, spec->into);
	buf_append(sql, " VALUES ");
	for (size_t i = 0; i < n; i++) {
		buf_append(sql, i ? ", (?" : "(?");
		for (int j = 1; j < spec->columns; j++)
			buf_append_n(sql, ", ?", 3);
		buf_append_n(sql, ")", 1);
	}
	if (!buf_text(sql))
		return gx_fail(err, GX_EINTERNAL, NULL, "out of memory");
	struct store_stmt *stmt = store_prepare(run->ctx->store, buf_text(sql), err);
	if (!stmt)
		return GX_EINTERNAL;
	size_t cells = n * (size_t)spec->columns;
	for (size_t i = 0; i < cells; i++)
		bind_cell(stmt, (int)i + 1, rows, &rows->cells[first + i]);
	return store_exec(stmt, err);
}

/* Writes all rows of t, in statements of per_statement rows and the rest in statements of
 * halving size: a few statement texts serve every count (the store caches each text it is
 * given for the connection's lifetime). */
static int rows_write(struct demo_run *run, enum table t, struct rows *rows, struct gx_error *err)
{
	size_t per = (size_t)table_specs[t].per_statement, have = rows_count(rows, t), done = 0;
	if (rows->failed)
		return gx_fail(err, GX_EINTERNAL, NULL, "out of memory");
	while (done < have) {
		size_t n = per;
		while (n > have - done)
			n /= 2;
		int rc = insert_rows(run, t, rows, done * (size_t)table_specs[t].columns, n, err);
		if (rc < 0)
			return rc;
		done += n;
	}
	rows_reset(rows);
	return 0;
}

static int is_document(enum table t)
{
	return t == T_ACCOUNT_DOCS || t == T_CONTACT_DOCS;
}

static void progress(struct demo_run *run, const char *phase, int64_t done, int64_t total)
{
	if (run->opt->progress)
		run->opt->progress(run->opt->progress_arg, phase, done, total);
}

/* Tables in order, each referring only to those before it. Search documents go in last, just
 * before the commit: once an FTS5 table takes part in a transaction, SQLite 3.40 flushes its
 * pending index data at every later statement's savepoint, which would cut the index into
 * thousands of tiny segments. */
static int write_batch(struct demo_run *run, struct batch *b, struct gx_error *err)
{
	int rc = 0;
	for (int t = 0; t < NTABLES && rc == 0; t++)
		if (!is_document((enum table)t))
			rc = rows_write(run, (enum table)t, &b->rows[t], err);
	if (rc == 0 && (b->phase != run->reported_phase ||
	                b->done / 10000 > run->reported / 10000 || b->done == b->total)) {
		run->reported_phase = b->phase;
		run->reported = b->done;
		progress(run, b->phase, b->done, b->total);
	}
	if (rc < 0 || !b->commit)
		return rc;
	rc = rows_write(run, T_ACCOUNT_DOCS, &b->rows[T_ACCOUNT_DOCS], err);
	if (rc == 0)
		rc = rows_write(run, T_CONTACT_DOCS, &b->rows[T_CONTACT_DOCS], err);
	if (rc < 0)
		return rc;
	run->in_tx = 0;
	rc = store_commit(run->ctx->store, err);
	if (rc == 0)
		rc = store_begin(run->ctx->store, err);
	run->in_tx = rc == 0;
	return rc;
}

/* Writes batches as the generator hands them over, until its last one. */
static int write_batches(struct demo_run *run, struct gx_error *err)
{
	struct pipe *pipe = &run->pipe;
	for (int slot = 0;; slot ^= 1) {
		pthread_mutex_lock(&pipe->lock);
		while (!pipe->full[slot] && !pipe->finished)
			pthread_cond_wait(&pipe->changed, &pipe->lock);
		int ready = pipe->full[slot], failed = pipe->failed;
		pthread_mutex_unlock(&pipe->lock);
		if (!ready)
			return failed ? gx_fail(err, GX_EINTERNAL, NULL, "out of memory") : 0;
		int rc = write_batch(run, &run->batches[slot], err);
		pthread_mutex_lock(&pipe->lock);
		pipe->full[slot] = 0;
		pipe->stop = rc < 0;
		pthread_cond_broadcast(&pipe->changed);
		pthread_mutex_unlock(&pipe->lock);
		if (rc < 0)
			return rc;
	}
}

/* ---- handing rows over (the generator thread) ------------------------------------------ */

/* Waits for batch `slot` to be free; 0 when the writer gave up. */
static int take_batch(struct demo_run *run, int slot)
{
	struct pipe *pipe = &run->pipe;
	pthread_mutex_lock(&pipe->lock);
	while (pipe->full[slot] && !pipe->stop)
		pthread_cond_wait(&pipe->changed, &pipe->lock);
	int ok = !pipe->stop;
	pthread_mutex_unlock(&pipe->lock);
	run->slot = slot;
	run->batch = &run->batches[slot];
	return ok;
}

static int64_t batch_rows(const struct batch *b)
{
	int64_t n = 0;
	for (int t = 0; t < NTABLES; t++)
		n += (int64_t)rows_count(&b->rows[t], (enum table)t);
	return n;
}

static int out_of_memory(const struct demo_run *run)
{
	int failed = run->arena.failed || run->docs[0].failed || run->docs[1].failed;
	for (int t = 0; t < NTABLES; t++)
		failed |= run->batch->rows[t].failed;
	return failed;
}

/* Hands the batch being filled to the writer, with a commit once DEMO_BATCH rows are waiting
 * (big enough that commits cost nothing, small enough that the WAL is checkpointed as we go)
 * or when it is the last. The search documents ride along with every commit after DEMO_DOCS
 * of them gathered: the FTS5 index is built fastest from big statements, each becoming one
 * segment to merge instead of many. Returns 0 when the run must stop. */
static int hand_over(struct demo_run *run, const char *phase, int64_t done, int64_t total, int last)
{
	struct batch *b = run->batch;
	run->uncommitted += batch_rows(b);
	b->commit = last || run->uncommitted >= DEMO_BATCH;
	int64_t docs = (int64_t)(rows_count(&run->docs[0], T_ACCOUNT_DOCS) +
	                         rows_count(&run->docs[1], T_CONTACT_DOCS));
	if (b->commit && (last || docs >= DEMO_DOCS)) {
		/* The batch's document rows are empty: swapping lends them back for reuse. */
		struct rows spare = b->rows[T_ACCOUNT_DOCS];
		b->rows[T_ACCOUNT_DOCS] = run->docs[0];
		run->docs[0] = spare;
		spare = b->rows[T_CONTACT_DOCS];
		b->rows[T_CONTACT_DOCS] = run->docs[1];
		run->docs[1] = spare;
	}
	if (b->commit)
		run->uncommitted = 0;
	b->phase = phase;
	b->done = done;
	b->total = total;
	int failed = out_of_memory(run);
	struct pipe *pipe = &run->pipe;
	pthread_mutex_lock(&pipe->lock);
	pipe->full[run->slot] = !failed;
	pipe->finished = last || failed;
	pipe->failed = failed;
	pthread_cond_broadcast(&pipe->changed);
	pthread_mutex_unlock(&pipe->lock);
	return !last && !failed && take_batch(run, run->slot ^ 1);
}

/* A batch is handed over at about this many cells: a few hundred contacts with their
 * interactions, small enough to keep both threads busy. */
#define BATCH_CELLS 65536

static int batch_cells(const struct batch *b)
{
	size_t n = 0;
	for (int t = 0; t < NTABLES; t++)
		n += b->rows[t].count;
	return n >= BATCH_CELLS;
}

/* A working moment (09:00-19:00 China time, mostly on weekdays) between from and now. */
static int64_t business_time(struct demo_run *run, struct rng *r, int64_t from)
{
	int64_t day = rng_range(r, from / DAY, run->now / DAY);
	int64_t weekday = (day + 4) % 7; /* 1970-01-01 was a Thursday; 0 is Sunday */
	if ((weekday == 0 || weekday == 6) && rng_percent(r, 80))
		day = rng_range(r, from / DAY, run->now / DAY);
	int64_t t = day * DAY + 3600 + rng_range(r, 0, 10 * 3600 - 1);
	return t < from ? from : t > run->now ? run->now : t;
}

static int compare_times(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* n moments of one customer's history, oldest first, so ids follow time per customer. */
static int64_t *event_times(struct demo_run *run, struct rng *r, int64_t from, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		run->times[i] = business_time(run, r, from);
	qsort(run->times, n, sizeof run->times[0], compare_times);
	return run->times;
}

/* ---- users ----------------------------------------------------------------------------- */

/* "!" is no hash any password matches: demo users log in once an admin sets a password. Users
 * already there (a second demo into an emptied database) are reused. */
static int put_users(struct demo_run *run, struct gx_error *err)
{
	static const char insert_sql[] =
	    "INSERT INTO users(username, password_hash, role, team, display_name, locale, "
	    "created_at, updated_at) VALUES (?, '!', ?, ?, ?, ?, ?, ?) "
	    "ON CONFLICT(username) DO NOTHING";
	static const char id_sql[] = "SELECT id FROM users WHERE username = ?";
	struct store *store = run->ctx->store;
	for (int i = 0; i < NUSERS; i++) {
		const struct demo_user *u = &demo_users[i];
		struct store_stmt *stmt = store_prepare(store, insert_sql, err);
		if (!stmt)
			return GX_EINTERNAL;
		store_bind_text(stmt, 1, u->username);
		store_bind_text(stmt, 2, u->role);
		store_bind_text(stmt, 3, u->team);
		store_bind_text(stmt, 4, u->display_name);
		store_bind_text(stmt, 5, u->locale);
		store_bind_int(stmt, 6, run->start - 30 * DAY);
		store_bind_int(stmt, 7, run->start - 30 * DAY);
		int rc = store_exec(stmt, err);
		if (rc < 0)
			return rc;
		run->stats.users += store_changes(store);
		if (!(stmt = store_prepare(store, id_sql, err)))
			return GX_EINTERNAL;
		store_bind_text(stmt, 1, u->username);
		rc = store_step(stmt, err);
		run->users[i] = rc == STORE_ROW ? store_col_int(stmt, 0) : 0;
		store_done(stmt);
		if (rc < 0)
			return rc;
		if (rc != STORE_ROW)
			return gx_fail(err, GX_EINTERNAL, NULL, "demo user %s was not stored",
			               u->username);
	}
	return 0;
}

/* One of the three sales reps of a team. */
static int64_t pick_rep(struct demo_run *run, struct rng *r, enum team team)
{
	int first = team == TEAM_NORTH ? USER_NORTH_REP : USER_SOUTH_REP;
	return run->users[first + (int)rng_below(r, 3)];
}

/* ---- accounts -------------------------------------------------------------------------- */

struct account_row {
	char name[192];
	char domain[72];
	char website[96];
	const char *industry;
	const char *tags[2];
	int ntags;
};

static unsigned pick_city(struct demo_run *run, struct rng *r, enum origin origin)
{
	return run->city_first[origin] + rng_skewed(r, run->city_count[origin]);
}

/* 上海华东贸易有限公司, 華東貿易（香港）有限公司, 台灣鑫達電子股份有限公司... */
static void chinese_account(struct demo_run *run, struct rng *r, const struct city *c,
                            struct account_row *row)
{
	unsigned b1 = rng_below(r, COUNT(brand_chars)), b2 = rng_below(r, COUNT(brand_chars) - 1);
	b2 += b2 >= b1;
	const struct business *biz = &businesses[rng_below(r, COUNT(businesses))];
	int hant = c->origin != ORIGIN_CN;
	char brand[32];
	snprintf(brand, sizeof brand, "%s%s", hant ? brand_chars[b1].hant : brand_chars[b1].hans,
	         hant ? brand_chars[b2].hant : brand_chars[b2].hans);
	const char *what = hant ? biz->hant : biz->hans;
	const char *city = c->name[hant];
	char *out = row->name;
	size_t n = sizeof row->name;
	unsigned form = rng_below(r, 100), suffix = rng_below(r, 100);
	if (c->origin == ORIGIN_HK) {
		if (form < 60)
			snprintf(out, n, "香港%s%s有限公司", brand, what);
		else if (form < 85)
			snprintf(out, n, "%s%s（香港）有限公司", brand, what);
		else
			snprintf(out, n, "%s%s集團有限公司", brand, what);
	} else if (c->origin == ORIGIN_TW) {
		if (form < 50)
			snprintf(out, n, "台灣%s%s股份有限公司", brand, what);
		else if (form < 80)
			snprintf(out, n, "%s%s股份有限公司", brand, what);
		else
			snprintf(out, n, "%s%s%s有限公司", city, brand, what);
	} else {
		const char *kind = suffix < 62   ? "有限公司"
		                   : suffix < 80 ? "股份有限公司"
		                   : suffix < 90 ? "有限责任公司"
		                                 : "集团有限公司";
		if (form < 75)
			snprintf(out, n, "%s%s%s%s", city, brand, what, kind);
		else if (form < 95)
			snprintf(out, n, "%s%s（%s）%s", brand, what, city, kind);
		else
			snprintf(out, n, "%s%s%s", brand, what, kind);
	}
	static const char *const cn_tlds[] = {".com.cn", ".cn", ".com"};
	const char *tld = c->origin == ORIGIN_HK   ? ".com.hk"
	                  : c->origin == ORIGIN_TW ? ".com.tw"
	                                           : cn_tlds[rng_below(r, COUNT(cn_tlds))];
	int slug = rng_percent(r, 35);
	snprintf(row->domain, sizeof row->domain, "%s%s%s%s%s", run->brand_pinyin[b1],
	         run->brand_pinyin[b2], slug ? "-" : "", slug ? biz->slug : "", tld);
	row->industry = biz->industry;
}

/* Acme Trading Ltd */
static void english_account(struct rng *r, struct account_row *row)
{
	const char *brand = english_brands[rng_below(r, COUNT(english_brands))];
	unsigned biz = rng_below(r, COUNT(english_businesses));
	const char *what = english_businesses[biz].name;
	snprintf(row->name, sizeof row->name, "%s %s %s", brand, what,
	         english_suffixes[rng_below(r, COUNT(english_suffixes))]);
	char lower[32], what_lower[32];
	ascii_lower(lower, sizeof lower, brand);
	ascii_lower(what_lower, sizeof what_lower, what);
	snprintf(row->domain, sizeof row->domain, "%s%s.com", lower, what_lower);
	row->industry = english_businesses[biz].industry;
}

/* Up to max distinct entries of list. */
static int pick_tags(struct rng *r, const char *const *list, unsigned n, const char **out, int max)
{
	unsigned x = rng_below(r, 100);
	int count = x < 45 ? 0 : x < 78 ? 1 : x < 94 ? 2 : 3;
	count = count > max ? max : count;
	for (int i = 0; i < count; i++) {
		const char *tag;
		int seen;
		do {
			tag = list[rng_below(r, n)];
			seen = 0;
			for (int j = 0; j < i; j++)
				seen |= out[j] == tag;
		} while (seen);
		out[i] = tag;
	}
	return count;
}

/* Keeps a string for the whole run; returns its offset in the arena. */
static size_t keep(struct demo_run *run, const char *text)
{
	size_t at = run->arena.len;
	buf_append_n(&run->arena, text, strlen(text) + 1);
	return at;
}

/* The row and, from the same values in search_account_doc's order, the search document. */
static void add_account_rows(struct demo_run *run, int64_t id, const struct demo_account *a,
                             const struct account_row *row)
{
	const char *website = row->website[0] ? row->website : NULL;
	struct buf *tags = &run->text[0], *doc = &run->doc;
	buf_reset(tags);
	json_add_list(tags, row->tags, row->ntags);
	buf_reset(doc);
	search_doc_add_name(doc, row->name);
	search_doc_add_text(doc, website);
	for (int i = 0; i < row->ntags; i++)
		search_doc_add_text(doc, row->tags[i]);
	struct rows *rows = &run->batch->rows[T_ACCOUNTS];
	add_int(rows, id);
	add_copy(rows, row->name);
	add_static(rows, row->industry);
	add_copy(rows, website);
	add_id(rows, a->owner_id);
	add_copy(rows, buf_text(tags));
	add_int(rows, a->created_at);
	add_int(rows, a->created_at);
	add_int(&run->docs[0], id);
	add_copy(&run->docs[0], buf_text(doc));
	rows->failed |= !buf_text(tags);
	run->docs[0].failed |= !buf_text(doc);
}

static void day_text(int64_t t, char *out, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, size, "%Y-%m-%d", &tm);
}

static void add_relationship(struct demo_run *run, struct rng *r, const char *kind, int64_t from,
                             int64_t to, const char *type, int64_t since, enum lang lang)
{
	char from_day[16], to_day[16];
	int64_t ended = rng_percent(r, 8) ? rng_range(r, since, run->now) : 0;
	day_text(since, from_day, sizeof from_day);
	if (ended)
		day_text(ended, to_day, sizeof to_day);
	struct rows *rows = &run->batch->rows[T_RELATIONSHIPS];
	add_static(rows, kind);
	add_int(rows, from);
	add_static(rows, kind);
	add_int(rows, to);
	add_static(rows, type);
	add_int(rows, 1 + rng_below(r, 5));
	add_static(rows, rng_percent(r, 30)
	                     ? relationship_notes[rng_below(r, COUNT(relationship_notes))][lang]
	                     : NULL);
	add_copy(rows, rng_percent(r, 70) ? from_day : NULL);
	add_copy(rows, ended ? to_day : NULL);
	add_int(rows, since);
	add_int(rows, since);
	run->stats.relationships++;
}

/* An account's relationships with earlier accounts: partners, suppliers, competitors, referrals. */
static void add_account_links(struct demo_run *run, int64_t index, const struct demo_account *a)
{
	if (index == 0)
		return;
	static const char *const types[] = {"partner", "supplier", "competitor", "referred_by",
	                                    "customer_of"};
	static const unsigned percent[] = {6, 4, 3, 3, 2};
	struct rng r = rng_for(run->opt->seed, STREAM_LINKS, (uint64_t)index);
	enum lang lang = a->origin == ORIGIN_US   ? LANG_EN
	                 : a->origin == ORIGIN_CN ? LANG_HANS
	                                          : LANG_HANT;
	for (size_t i = 0; i < COUNT(types); i++)
		if (rng_percent(&r, percent[i]))
			add_relationship(run, &r, "account", index + 1, rng_range(&r, 1, index),
			                 types[i], a->created_at + rng_range(&r, 0, 90 * DAY),
			                 lang);
}

static void make_account(struct demo_run *run, int64_t index)
{
	struct rng r = rng_for(run->opt->seed, STREAM_ACCOUNT, (uint64_t)index);
	unsigned x = rng_below(&r, 100);
	enum origin origin = x < 72   ? ORIGIN_CN
	                     : x < 79 ? ORIGIN_HK
	                     : x < 86 ? ORIGIN_TW
	                              : ORIGIN_US;
	struct demo_account *a = &run->accounts[index];
	a->city = (unsigned char)pick_city(run, &r, origin);
	a->origin = (unsigned char)origin;
	const struct city *c = &cities[a->city];
	struct account_row row = {0};
	if (origin == ORIGIN_US)
		english_account(&r, &row);
	else
		chinese_account(run, &r, c, &row);
	if (rng_percent(&r, 85))
		snprintf(row.website, sizeof row.website, "%swww.%s",
		         rng_percent(&r, 35) ? "https://" : "", row.domain);
	row.ntags = pick_tags(&r, account_tags, COUNT(account_tags), row.tags, 2);
	a->owner_id = pick_rep(run, &r, (enum team)c->team);
	a->created_at = run->start + rng_range(&r, 0, DEMO_SPAN - 60 * DAY);
	a->scale = (float)rng_pareto(&r, 400);
	a->name = keep(run, row.name);
	a->domain = keep(run, row.domain);
	add_account_rows(run, index + 1, a, &row);
	add_account_links(run, index, a);
	run->stats.accounts++;
}

/* Returns 0 when the run must stop. */
static int make_accounts(struct demo_run *run)
{
	for (int64_t i = 0; i < run->naccounts; i++) {
		make_account(run, i);
		if (batch_cells(run->batch) &&
		    !hand_over(run, "accounts", i + 1, run->naccounts, 0))
			return 0;
		if (run->arena.failed)
			return hand_over(run, "accounts", i + 1, run->naccounts, 1);
	}
	return 1;
}

/* ---- contacts -------------------------------------------------------------------------- */

/* 王伟, 張家豪, 欧阳娜娜: a surname, then one or two given-name characters. */
static void chinese_name(struct demo_run *run, struct rng *r, struct demo_contact *c)
{
	int hant = c->lang == LANG_HANT;
	unsigned s = rng_skewed(r, COUNT(surnames));
	unsigned g1 = rng_below(r, COUNT(given_chars)), g2 = rng_below(r, COUNT(given_chars));
	int two = rng_percent(r, 68);
	snprintf(c->name, sizeof c->name, "%s%s%s", hant ? surnames[s].hant : surnames[s].hans,
	         hant ? given_chars[g1].hant : given_chars[g1].hans,
	         !two   ? ""
	         : hant ? given_chars[g2].hant
	                : given_chars[g2].hans);
	copy_text(c->family, sizeof c->family, run->surname_pinyin[s]);
	snprintf(c->given, sizeof c->given, "%s%s", run->given_pinyin[g1],
	         two ? run->given_pinyin[g2] : "");
}

static void english_name(struct rng *r, struct demo_contact *c)
{
	const char *first = first_names[rng_below(r, COUNT(first_names))];
	const char *last = last_names[rng_below(r, COUNT(last_names))];
	snprintf(c->name, sizeof c->name, "%s %s", first, last);
	ascii_lower(c->given, sizeof c->given, first);
	ascii_lower(c->family, sizeof c->family, last);
}

/* The people of a company mostly write like it: mainland companies simplified, Hong Kong half
 * English, Taiwan traditional, US English; private customers a mix. */
static enum lang pick_lang(struct rng *r, const struct demo_account *a)
{
	unsigned x = rng_below(r, 100);
	if (!a)
		return x < 62 ? LANG_HANS : x < 70 ? LANG_HANT : LANG_EN;
	switch (a->origin) {
	case ORIGIN_CN: return x < 85 ? LANG_HANS : LANG_EN;
	case ORIGIN_HK: return x < 45 ? LANG_HANT : LANG_EN;
	case ORIGIN_TW: return x < 85 ? LANG_HANT : LANG_EN;
	default: return x < 20 ? LANG_HANS : LANG_EN;
	}
}

static unsigned contact_city(struct demo_run *run, struct rng *r, const struct demo_contact *c)
{
	if (c->account)
		return c->account->city;
	if (c->lang == LANG_HANT)
		return pick_city(run, r, rng_percent(r, 40) ? ORIGIN_HK : ORIGIN_TW);
	if (c->lang == LANG_EN && rng_percent(r, 50))
		return pick_city(run, r, ORIGIN_US);
	return pick_city(run, r, ORIGIN_CN);
}

/* One to three numbers: a mobile, often an office line, sometimes home, fax or a second mobile.
 * People in the US with Chinese names often keep a mainland mobile too. */
static void gen_phones(struct demo_run *run, struct rng *r, struct demo_contact *c)
{
	static const char *const third_kinds[] = {"home", "fax", "other"};
	static const struct city *const mainland = &cities[0];
	const struct city *city = &cities[c->city];
	unsigned x = rng_below(r, 100);
	c->nphones = x < 55 ? 1 : x < 90 ? 2 : 3;
	for (int i = 0; i < c->nphones; i++) {
		const char *kind = i == 0   ? "mobile"
		                   : i == 1 ? (rng_percent(r, 75) ? "work" : "mobile")
		                            : third_kinds[rng_below(r, COUNT(third_kinds))];
		int home_mobile = city->origin == ORIGIN_US && c->lang == LANG_HANS && i == 0 &&
		                  rng_percent(r, 30);
		gen_phone(run, r, home_mobile ? mainland : city, kind, &c->phones[i]);
	}
}

/* zhang.wei@huadong.cn, weizhang88@163.com, 12345678@qq.com, david.chen@acmetrading.com */
static void mail_address(struct rng *r, const struct demo_contact *c, const char *domain, char *out,
                         size_t size)
{
	if (strcmp(domain, "qq.com") == 0) {
		snprintf(out, size, "%" PRId64 "@qq.com", rng_range(r, 10000, 2999999999));
		return;
	}
	const char *g = c->given, *f = c->family;
	unsigned form = rng_below(r, 100);
	if (form < 40)
		snprintf(out, size, "%s.%s@%s", c->lang == LANG_EN ? g : f,
		         c->lang == LANG_EN ? f : g, domain);
	else if (form < 60)
		snprintf(out, size, "%s%s@%s", f, g, domain);
	else if (form < 75)
		snprintf(out, size, "%s.%s@%s", c->lang == LANG_EN ? f : g,
		         c->lang == LANG_EN ? g : f, domain);
	else if (form < 88)
		snprintf(out, size, "%c%s@%s", g[0], f, domain);
	else
		snprintf(out, size, "%s%s%02u@%s", f, g, rng_below(r, 100), domain);
}

static void gen_emails(struct demo_run *run, struct rng *r, struct demo_contact *c)
{
	unsigned x = rng_below(r, 100);
	c->nemails = x < 10 ? 0 : x < 85 ? 1 : 2;
	const struct city *city = &cities[c->city];
	int column = city->origin == ORIGIN_TW ? 2 : city->origin == ORIGIN_CN ? 0 : 1;
	for (int i = 0; i < c->nemails; i++) {
		int work = i == 0 && c->account;
		const char *domain = work ? run->arena.data + c->account->domain
		                          : mail_hosts[rng_below(r, COUNT(mail_hosts))][column];
		c->email_kinds[i] = work ? "work" : i == 0 ? "home" : "other";
		mail_address(r, c, domain, c->emails[i], sizeof c->emails[i]);
	}
}

static void add_address(struct rng *r, const struct demo_contact *c, struct buf *b)
{
	const struct city *city = &cities[c->city];
	char street[160], postcode[8] = "";
	unsigned number = 1 + rng_below(r, 998), floor = 2 + rng_below(r, 30);
	switch (city->origin) {
	case ORIGIN_HK:
		snprintf(street, sizeof street, "%s%u號%u樓",
		         hk_roads[rng_below(r, COUNT(hk_roads))], number, floor);
		break;
	case ORIGIN_TW:
		snprintf(street, sizeof street, "%s%u號%u樓",
		         tw_roads[rng_below(r, COUNT(tw_roads))], number, floor);
		snprintf(postcode, sizeof postcode, "%s", city->postcode);
		break;
	case ORIGIN_US:
		snprintf(street, sizeof street, "%u %s", number,
		         us_roads[rng_below(r, COUNT(us_roads))]);
		if (rng_percent(r, 40)) {
			size_t len = strlen(street);
			snprintf(street + len, sizeof street - len, ", Suite %u", floor * 100);
		}
		snprintf(postcode, sizeof postcode, "%s%02u", city->postcode, rng_below(r, 100));
		break;
	default:
		snprintf(street, sizeof street, "%s%u号", cn_roads[rng_below(r, COUNT(cn_roads))],
		         number);
		if (rng_percent(r, 45)) {
			size_t len = strlen(street);
			snprintf(street + len, sizeof street - len, "%c座%u%02u室",
			         (char)('A' + rng_below(r, 4)), floor, 1 + rng_below(r, 20));
		}
		snprintf(postcode, sizeof postcode, "%s%03u", city->postcode, rng_below(r, 1000));
	}
	buf_append(b, "[{");
	json_add_member(b, "kind", c->account ? "work" : "home", 1);
	json_add_member(b, "street", street, 0);
	json_add_member(b, "city", city->name[c->lang == LANG_HANT], 0);
	json_add_member(b, "region", city->region, 0);
	if (postcode[0])
		json_add_member(b, "postcode", postcode, 0);
	json_add_member(b, "country", country_codes[city->origin], 0);
	buf_append(b, "}]");
}

/* A prime above the largest account count: multiplying by it modulo the count permutes the
 * accounts, so the big ones are spread over the list instead of being the first ids. */
#define SPREAD_PRIME 2000003

/* How many people each company has: one each, the rest drawn Zipf-like, so that a few
 * companies have a hundred people and most a handful. Contacts are then made company by
 * company, so the indexes on account_id grow at their end instead of at random places, which
 * halves the cost of writing them. */
static int plan_contacts(struct demo_run *run, struct gx_error *err)
{
	int64_t total = run->opt->contacts;
	run->naccounts = total / 5 > 0 ? total / 5 : 1;
	run->nprivate = total / 10;
	run->accounts = calloc((size_t)run->naccounts, sizeof *run->accounts);
	if (!run->accounts)
		return gx_fail(err, GX_EINTERNAL, NULL, "out of memory");
	struct rng r = rng_for(run->opt->seed, STREAM_PLAN, 0);
	int64_t extra = total - run->nprivate - run->naccounts;
	for (int64_t i = 0; i < run->naccounts; i++)
		run->accounts[i].contacts = 1;
	for (int64_t i = 0; i < extra; i++) {
		double u = rng_unit(&r);
		int64_t rank = rng_percent(&r, 50)
		                   ? rng_range(&r, 0, run->naccounts - 1)
		                   : (int64_t)(u * sqrt(u) * (double)run->naccounts);
		rank = rank < run->naccounts ? rank : run->naccounts - 1;
		run->accounts[rank * SPREAD_PRIME % run->naccounts].contacts++;
	}
	/* As make_contacts numbers them: each company's people, then its share of private ones. */
	int64_t next = 1;
	for (int64_t a = 0; a < run->naccounts; a++) {
		run->accounts[a].first_id = next;
		next += run->accounts[a].contacts + ((a + 1) * run->nprivate / run->naccounts -
		                                     a * run->nprivate / run->naccounts);
	}
	return 0;
}

static void gen_contact(struct demo_run *run, struct rng *r, int64_t index,
                        const struct demo_account *account, int first, struct demo_contact *c)
{
	c->id = index + 1;
	c->account = account;
	c->account_id = account ? (int64_t)(account - run->accounts) + 1 : 0;
	c->lang = pick_lang(r, account);
	if (c->lang == LANG_EN)
		english_name(r, c);
	else
		chinese_name(run, r, c);
	c->city = (unsigned char)contact_city(run, r, c);
	c->owner_id = account ? account->owner_id
	                      : pick_rep(run, r, rng_percent(r, 50) ? TEAM_NORTH : TEAM_SOUTH);
	/* A company comes with its first person; later ones arrive over the years, more of them
	 * early on, so most people have a history. */
	int64_t from = account ? account->created_at : run->start;
	double u = rng_unit(r);
	c->created_at = first ? from + rng_range(r, 0, 4 * 3600)
	                      : from + (int64_t)(u * u * (double)(run->now - DAY - from));
	gen_phones(run, r, c);
	gen_emails(run, r, c);
	c->ntags = pick_tags(r, contact_tags, COUNT(contact_tags), c->tags, 3);
}

/* The JSON columns, in the shape contacts.c stores (compact, keys in API order). */
static void contact_json(struct demo_run *run, struct rng *r, const struct demo_contact *c)
{
	struct buf *phones = &run->text[0], *emails = &run->text[1], *addresses = &run->text[2],
	           *tags = &run->text[3];
	for (int i = 0; i < 4; i++)
		buf_reset(&run->text[i]);
	buf_append_n(phones, "[", 1);
	for (int i = 0; i < c->nphones; i++) {
		buf_append(phones, i ? ",{" : "{");
		json_add_member(phones, "kind", c->phones[i].kind, 1);
		json_add_member(phones, "number", c->phones[i].typed, 0);
		json_add_member(phones, "e164", c->phones[i].e164, 0);
		buf_append_n(phones, "}", 1);
	}
	buf_append_n(phones, "]", 1);
	buf_append_n(emails, "[", 1);
	for (int i = 0; i < c->nemails; i++) {
		buf_append(emails, i ? ",{" : "{");
		json_add_member(emails, "kind", c->email_kinds[i], 1);
		json_add_member(emails, "address", c->emails[i], 0);
		buf_append_n(emails, "}", 1);
	}
	buf_append_n(emails, "]", 1);
	if (rng_percent(r, 65))
		add_address(r, c, addresses);
	else
		buf_append(addresses, "[]");
	json_add_list(tags, c->tags, c->ntags);
}

/* search_contact_doc's pieces, in its order, from the generated values. */
static const char *contact_doc(struct demo_run *run, const struct demo_contact *c)
{
	struct buf *doc = &run->doc;
	buf_reset(doc);
	search_doc_add_name(doc, c->name);
	search_doc_add_text(doc, c->account ? run->arena.data + c->account->name : NULL);
	for (int i = 0; i < c->nphones; i++)
		search_doc_add_phone(doc, c->phones[i].typed, c->phones[i].e164);
	for (int i = 0; i < c->nemails; i++)
		search_doc_add_text(doc, c->emails[i]);
	for (int i = 0; i < c->ntags; i++)
		search_doc_add_text(doc, c->tags[i]);
	return buf_text(doc);
}

/* The org chart of a company with n people, by their order k: the boss (k = 0) has up to
 * ORG_HEADS heads of department, everyone else up to ORG_FAN reports, so a company of 2,000 is
 * six levels deep. Managers come before their reports, so reports_to_id always points back. */
#define ORG_HEADS 6
#define ORG_FAN 4

static int64_t org_manager(int64_t k)
{
	return k <= ORG_HEADS ? 0 : 1 + (k - ORG_HEADS - 1) / ORG_FAN;
}

/* Department, manager and buying role of c (of a company); its own stream, so that the rest of
 * the person stays as it was. */
static void org_place(struct rng *r, struct demo_contact *c)
{
	if (!c->account)
		return;
	int64_t head = c->k;
	while (head > ORG_HEADS)
		head = org_manager(head);
	/* The heads' departments turn with the company, so companies differ. */
	size_t dept =
	    head == 0 ? 0 : 1 + (size_t)((head - 1 + c->account_id) % (COUNT(departments) - 1));
	c->department = departments[dept][c->lang];
	c->reports_to_id = c->k == 0 ? 0 : c->account->first_id + org_manager(c->k);
	unsigned x = rng_below(r, 100);
	if (c->k == 0)
		c->buying_role = x < 90 ? "decision_maker" : "influencer";
	else if (c->k <= ORG_HEADS)
		c->buying_role = x < 30                ? "influencer"
		                 : x < 42              ? "champion"
		                 : x < 50              ? "blocker"
		                 : x < 58              ? "decision_maker"
		                 : x < 64 || dept == 2 ? "buyer"
		                 : x < 70              ? "gatekeeper"
		                                       : NULL;
	else
		c->buying_role = x < 18                ? "user"
		                 : x < 26 || dept == 2 ? "buyer"
		                 : x < 30              ? "gatekeeper"
		                                       : NULL;
}

static void add_position(struct demo_run *run, const struct demo_contact *c, int64_t account_id,
                         const char *title, int current, int64_t from, int64_t to)
{
	struct rows *rows = &run->batch->rows[T_POSITIONS];
	add_int(rows, c->id);
	add_id(rows, account_id);
	add_static(rows, title);
	add_static(rows, current ? c->department : NULL);
	add_static(rows, current ? c->buying_role : NULL);
	add_int(rows, from);
	add_id(rows, to);
	run->stats.positions++;
}

/* The position history (one open row, as contacts.c keeps it; some people were promoted, some
 * came from another company) and the person's relationships: colleagues, referrals, friends,
 * former colleagues. Each relationship points back to an earlier person (to < from), so none is
 * made twice or both ways round. */
static void add_history(struct demo_run *run, struct rng *r, const struct demo_contact *c,
                        const char *title)
{
	/* Oldest first: positions.c lists the newest by id first. */
	int64_t before = 0; /* a person at the company they came from */
	if (c->account && rng_percent(r, 8) && run->naccounts > 1) {
		int64_t p = rng_range(r, 0, run->naccounts - 2);
		p += p >= c->account_id - 1;
		const struct demo_account *prev = &run->accounts[p];
		int64_t left = c->created_at - rng_range(r, 30 * DAY, 3 * 365 * DAY);
		int64_t came = left - rng_range(r, 365 * DAY, 6 * 365 * DAY);
		add_position(run, c, p + 1, titles[rng_below(r, COUNT(titles))][c->lang], 0, came,
		             left);
		before = prev->first_id + rng_range(r, 0, prev->contacts - 1);
	}
	int64_t since = c->created_at;
	if (c->account && title && rng_percent(r, 15)) {
		int64_t moved = c->created_at +
		                (int64_t)(rng_unit(r) * 0.6 * (double)(run->now - c->created_at));
		add_position(run, c, c->account_id, titles[rng_below(r, COUNT(titles))][c->lang], 0,
		             c->created_at, moved);
		since = moved;
	}
	if (c->account_id || title)
		add_position(run, c, c->account_id, title, 1, since, 0);
	if (before && before < c->id)
		add_relationship(run, r, "contact", c->id, before, "former_colleague",
		                 c->created_at, c->lang);
	if (c->account && c->k >= 2 && rng_percent(r, 10))
		add_relationship(run, r, "contact", c->id, c->id - 1, "colleague", c->created_at,
		                 c->lang);
	if (c->id > 1 && rng_percent(r, 4))
		add_relationship(run, r, "contact", c->id, rng_range(r, 1, c->id - 1),
		                 "referred_by", c->created_at, c->lang);
	if (c->id > 1 && rng_percent(r, 2))
		add_relationship(run, r, "contact", c->id, rng_range(r, 1, c->id - 1),
		                 rng_percent(r, 70) ? "friend" : "family", c->created_at, c->lang);
}

static const char *add_contact_row(struct demo_run *run, struct rng *r,
                                   const struct demo_contact *c)
{
	char birthday[16], consent[64];
	int has_birthday = rng_percent(r, 55);
	if (has_birthday) {
		static const unsigned char days[] = {31, 28, 31, 30, 31, 30,
		                                     31, 31, 30, 31, 30, 31};
		unsigned month = rng_below(r, 12);
		snprintf(birthday, sizeof birthday, "%04u-%02u-%02u", 1958 + rng_below(r, 44),
		         month + 1, 1 + rng_below(r, days[month]));
	}
	snprintf(consent, sizeof consent, "{\"email\":%s,\"sms\":%s,\"phone\":%s}",
	         rng_percent(r, 70) ? "true" : "false", rng_percent(r, 40) ? "true" : "false",
	         rng_percent(r, 60) ? "true" : "false");
	const char *title =
	    rng_percent(r, 80) ? titles[rng_below(r, COUNT(titles))][c->lang] : NULL;
	int64_t updated =
	    rng_percent(r, 60) ? c->created_at : rng_range(r, c->created_at, run->now);
	contact_json(run, r, c);
	struct rows *rows = &run->batch->rows[T_CONTACTS];
	add_int(rows, c->id);
	add_copy(rows, c->name);
	add_id(rows, c->account_id);
	add_static(rows, title);
	add_copy(rows, has_birthday ? birthday : NULL);
	for (int i = 0; i < 3; i++) {
		add_copy(rows, buf_text(&run->text[i]));
		rows->failed |= !buf_text(&run->text[i]);
	}
	add_id(rows, c->owner_id);
	add_copy(rows, buf_text(&run->text[3]));
	rows->failed |= !buf_text(&run->text[3]);
	add_copy(rows, consent);
	add_int(rows, c->created_at);
	add_int(rows, updated);
	add_static(rows, c->department);
	add_id(rows, c->reports_to_id);
	add_static(rows, c->buying_role);
	return title;
}

/* The caller-id index, one row per distinct number of the contact as contacts.c keeps it,
 * gathered for make_phones. */
static void keep_phones(struct demo_run *run, const struct demo_contact *c)
{
	for (int i = 0; i < c->nphones; i++) {
		int seen = 0;
		for (int j = 0; j < i; j++)
			seen |= strcmp(c->phones[j].e164, c->phones[i].e164) == 0;
		if (seen)
			continue;
		if (run->nphones == run->phones_cap) {
			size_t cap = run->phones_cap ? run->phones_cap * 2 : 4096;
			struct phone_key *grown = realloc(run->phones, cap * sizeof *grown);
			if (!grown) {
				run->batch->rows[T_PHONES].failed = 1;
				return;
			}
			run->phones = grown;
			run->phones_cap = cap;
		}
		struct phone_key *key = &run->phones[run->nphones++];
		copy_text(key->e164, sizeof key->e164, c->phones[i].e164);
		key->contact_id = (int32_t)c->id;
	}
}

static int compare_phones(const void *a, const void *b)
{
	const struct phone_key *x = a, *y = b;
	int by_number = strcmp(x->e164, y->e164);
	return by_number ? by_number
	                 : (x->contact_id > y->contact_id) - (x->contact_id < y->contact_id);
}

/* In key order, after all contacts: written in contact order, the rows would land all over
 * the table and every batch would rewrite thousands of its pages. Hands over the last batch. */
static void make_phones(struct demo_run *run)
{
	qsort(run->phones, run->nphones, sizeof *run->phones, compare_phones);
	int64_t total = (int64_t)run->nphones;
	for (int64_t i = 0; i < total; i++) {
		add_copy(&run->batch->rows[T_PHONES], run->phones[i].e164);
		add_int(&run->batch->rows[T_PHONES], run->phones[i].contact_id);
		if (batch_cells(run->batch) && !hand_over(run, "phones", i + 1, total, 0))
			return;
	}
	hand_over(run, "phones", total, total, 1);
}

/* ---- interactions ---------------------------------------------------------------------- */

static enum channel pick_channel(struct rng *r)
{
	unsigned x = rng_below(r, 100), sum = 0;
	for (unsigned i = 0; i < COUNT(channels); i++)
		if (x < (sum += channels[i].weight))
			return (enum channel)i;
	return CH_EMAIL;
}

/* Seconds on the line or in the room; -1 (NULL) for written channels. */
static int64_t pick_duration(struct rng *r, enum channel channel, const char *outcome)
{
	switch (channel) {
	case CH_PHONE:
		if (outcome && strcmp(outcome, "no_answer") == 0)
			return rng_range(r, 0, 30);
		return 20 + (int64_t)rng_count(r, 180, 3600);
	case CH_VISIT: return rng_range(r, 1800, 7200);
	case CH_MEETING: return rng_range(r, 900, 5400);
	default: return -1;
	}
}

static void add_interaction(struct demo_run *run, struct rng *r, const struct demo_contact *c,
                            int64_t at)
{
	enum channel channel = pick_channel(r);
	int inbound = rng_percent(r, channels[channel].inbound);
	const char *outcome = rng_percent(r, 80) ? outcomes[rng_below(r, COUNT(outcomes))] : NULL;
	if (outcome && !strcmp(outcome, "no_answer") && channel != CH_PHONE)
		outcome = "follow_up";
	int64_t duration = pick_duration(r, channel, outcome);
	struct rows *rows = &run->batch->rows[T_INTERACTIONS];
	add_int(rows, ++run->stats.interactions);
	add_int(rows, c->id);
	add_id(rows, c->account_id);
	add_static(rows, channels[channel].name);
	add_static(rows, inbound ? "inbound" : "outbound");
	add_int(rows, at);
	if (duration >= 0)
		add_int(rows, duration);
	else
		add_static(rows, NULL);
	add_static(rows, topics[rng_below(r, COUNT(topics))][c->lang]);
	add_static(rows, rng_percent(r, 45) ? notes[rng_below(r, COUNT(notes))][c->lang] : NULL);
	add_static(rows, outcome);
	add_id(rows, c->owner_id);
	add_int(rows, at);
	add_int(rows, at);
}

/* About ten per contact: many have a few, about one in ten none, one in two thousand is a
 * key account's buyer with hundreds to thousands. */
static void add_interactions(struct demo_run *run, const struct demo_contact *c, int64_t index)
{
	struct rng r = rng_for(run->opt->seed, STREAM_INTERACTIONS, (uint64_t)index);
	uint32_t n = rng_below(&r, 2000) == 0 ? 500 + rng_below(&r, 2500) : rng_count(&r, 9.6, 400);
	const int64_t *at = event_times(run, &r, c->created_at, n);
	for (uint32_t i = 0; i < n; i++)
		add_interaction(run, &r, c, at[i]);
}

/* ---- orders ---------------------------------------------------------------------------- */

/* Lines whose quantities scale with the buyer's size; returns the total in minor units. */
static int64_t order_lines(struct rng *r, const struct demo_contact *c, struct buf *lines)
{
	unsigned x = rng_below(r, 100), used[4];
	int n = x < 50 ? 1 : x < 80 ? 2 : x < 95 ? 3 : 4;
	double scale = c->account ? c->account->scale : 1.0;
	int64_t total = 0;
	buf_reset(lines);
	buf_append_n(lines, "[", 1);
	for (int i = 0; i < n; i++) {
		int seen;
		do {
			used[i] = rng_below(r, COUNT(products));
			seen = 0;
			for (int j = 0; j < i; j++)
				seen |= used[j] == used[i];
		} while (seen);
		const struct product *p = &products[used[i]];
		double q = scale * (0.3 + 0.7 * rng_unit(r)) *
		           (rng_percent(r, 15) ? 2 + rng_below(r, 4) : 1);
		int64_t qty = q < 1 ? 1 : q > 5000 ? 5000 : (int64_t)q;
		char price[24];
		money_format(p->price, price, sizeof price);
		buf_append(lines, i ? ",{" : "{");
		json_add_member(lines, "sku", p->sku, 1);
		json_add_member(lines, "name", p->name[c->lang], 0);
		buf_printf(lines, ",\"qty\":%" PRId64 ",\"unit_price\":\"%s\"}", qty, price);
		total += qty * p->price;
	}
	buf_append_n(lines, "]", 1);
	return total;
}

static void add_order(struct demo_run *run, struct rng *r, const struct demo_contact *c, int64_t at)
{
	int64_t amount = order_lines(r, c, &run->text[0]);
	int64_t cost = amount * (55 + rng_below(r, 31)) / 100;
	unsigned x = rng_below(r, 100);
	const char *status = run->now - at < 14 * DAY && x < 60 ? "open"
	                     : x < 91                           ? "completed"
	                     : x < 97                           ? "cancelled"
	                                                        : "returned";
	int64_t updated = strcmp(status, "open") == 0 ? at : at + rng_range(r, 3600, 10 * DAY);
	int64_t id = ++run->stats.orders;
	char ref[32];
	snprintf(ref, sizeof ref, "DEMO-%" PRId64, id);
	struct rows *rows = &run->batch->rows[T_ORDERS];
	add_int(rows, id);
	add_id(rows, c->account_id);
	add_int(rows, c->id);
	add_int(rows, at);
	add_int(rows, amount);
	add_int(rows, cost);
	add_static(rows, run->ctx->config->currency);
	add_static(rows, "demo");
	add_copy(rows, ref);
	add_static(rows, status);
	add_copy(rows, buf_text(&run->text[0]));
	rows->failed |= !buf_text(&run->text[0]);
	add_int(rows, at);
	add_int(rows, updated > run->now ? run->now : updated);
}

/* About two per contact; about a third of contacts never bought anything. */
static void add_orders(struct demo_run *run, const struct demo_contact *c, int64_t index)
{
	struct rng r = rng_for(run->opt->seed, STREAM_ORDERS, (uint64_t)index);
	uint32_t n = rng_count(&r, 2.5, 100);
	const int64_t *at = event_times(run, &r, c->created_at, n);
	for (uint32_t i = 0; i < n; i++)
		add_order(run, &r, c, at[i]);
}

/* One contact with its phones, search document, interactions and orders. */
static void make_contact(struct demo_run *run, int64_t index, const struct demo_account *account,
                         int64_t k)
{
	struct demo_contact *c = &run->contact;
	struct rng r = rng_for(run->opt->seed, STREAM_CONTACT, (uint64_t)index);
	memset(c, 0, sizeof *c);
	gen_contact(run, &r, index, account, k == 0, c);
	c->k = k;
	struct rng org = rng_for(run->opt->seed, STREAM_ORG, (uint64_t)index);
	org_place(&org, c);
	add_history(run, &org, c, add_contact_row(run, &r, c));
	keep_phones(run, c);
	const char *doc = contact_doc(run, c);
	add_int(&run->docs[1], c->id);
	add_copy(&run->docs[1], doc);
	run->docs[1].failed |= !doc;
	add_interactions(run, c, index);
	add_orders(run, c, index);
	run->stats.contacts++;
}

/* Company by company, with the private customers spread evenly between them. Returns 0 when
 * the run must stop. */
static int make_contacts(struct demo_run *run)
{
	int64_t index = 0, total = run->opt->contacts;
	for (int64_t a = 0; a < run->naccounts; a++) {
		const struct demo_account *account = &run->accounts[a];
		int64_t alone =
		    (a + 1) * run->nprivate / run->naccounts - a * run->nprivate / run->naccounts;
		for (int64_t k = 0; k < account->contacts + alone; k++) {
			int with = k < account->contacts;
			make_contact(run, index++, with ? account : NULL, k);
			if (batch_cells(run->batch) && !hand_over(run, "contacts", index, total, 0))
				return 0;
		}
	}
	return 1;
}

/* The generator thread: every row but the users', handed over in batches. */
static void *generate(void *arg)
{
	struct demo_run *run = arg;
	if (take_batch(run, 0) && make_accounts(run) && make_contacts(run))
		make_phones(run);
	return NULL;
}

/* ---- indexes made after the load ------------------------------------------------------ */

#define MAX_DEFERRED 4

/* Two secondary indexes are keyed in orders unrelated to the order rows arrive in (names, and
 * contacts for phones written in number order): kept up to date during the load, every batch
 * would rewrite most of their pages. They are dropped for the load and made again at its end,
 * by one sort each. The others grow at their end (ids, owners, companies in turn) and stay.
 * The definitions are read back from the schema, so they stay the migrations' own; an index
 * renamed by a later migration is simply kept up to date instead. SQLite's schema, like the
 * search tables: the store would own this with a second backend. */
static int defer_indexes(struct demo_run *run, struct gx_error *err)
{
	static const char list_sql[] =
	    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
	    "AND name IN ('contacts_name', 'contact_phones_contact') ORDER BY name";
	struct store *store = run->ctx->store;
	run->indexes = calloc(MAX_DEFERRED, sizeof *run->indexes);
	struct store_stmt *stmt = run->indexes ? store_prepare(store, list_sql, err) : NULL;
	if (!stmt)
		return run->indexes ? GX_EINTERNAL
		                    : gx_fail(err, GX_EINTERNAL, NULL, "out of memory");
	int rc;
	while ((rc = store_step(stmt, err)) == STORE_ROW && run->nindexes < MAX_DEFERRED) {
		const char *name = store_col_text(stmt, 0);
		if (strchr(name, '"'))
			continue; /* not ours: left alone */
		struct deferred_index *d = &run->indexes[run->nindexes++];
		d->name = strdup(name);
		d->sql = strdup(store_col_text(stmt, 1));
		if (!d->name || !d->sql)
			rc = gx_fail(err, GX_EINTERNAL, NULL, "out of memory");
	}
	store_done(stmt);
	for (int i = 0; rc >= 0 && i < run->nindexes; i++) {
		struct buf *sql = &run->sql;
		buf_reset(sql);
		buf_printf(sql, "DROP INDEX \"%s\"", run->indexes[i].name);
		stmt = buf_text(sql) ? store_prepare(store, buf_text(sql), err) : NULL;
		rc = stmt ? store_exec(stmt, err) : GX_EINTERNAL;
	}
	return rc < 0 ? rc : 0;
}

/* Makes the dropped indexes again; after a failure too (err NULL), in a transaction of its own,
 * so that a database left half full still has its schema. */
static int restore_indexes(struct demo_run *run, struct gx_error *err)
{
	int rc = 0;
	for (int i = 0; i < run->nindexes; i++) {
		struct deferred_index *d = &run->indexes[i];
		if (!d->sql)
			continue;
		struct store_stmt *stmt = store_prepare(run->ctx->store, d->sql, err);
		int made = stmt ? store_exec(stmt, err) : GX_EINTERNAL;
		if (made < 0 && rc == 0)
			rc = made;
		if (made == 0) {
			free(d->sql);
			d->sql = NULL;
		}
	}
	return rc;
}

static void free_indexes(struct demo_run *run)
{
	for (int i = 0; i < run->nindexes; i++) {
		free(run->indexes[i].name);
		free(run->indexes[i].sql);
	}
	free(run->indexes);
}

/* ---- derived data and the audit trail -------------------------------------------------- */

/* Tier from lifetime revenue, the rule of orders.c (completed orders in the default currency),
 * for every account and contact at once. Rows are written only where the tier is not the
 * default bronze they were made with: rewriting a million unchanged rows costs seconds. */
static int set_tiers(struct demo_run *run, struct gx_error *err)
{
	static const char *const everyone_sql[] = {
	    "UPDATE accounts SET tier = ?",
	    "UPDATE contacts SET tier = ?",
	};
	static const char *const tier_sql[] = {
	    "UPDATE accounts SET tier = r.tier FROM (SELECT account_id AS id, CASE WHEN "
	    "SUM(amount_minor) >= ? THEN 'gold' WHEN SUM(amount_minor) >= ? THEN 'silver' ELSE "
	    "'bronze' END AS tier FROM orders WHERE account_id IS NOT NULL AND status = "
	    "'completed' AND currency = ? GROUP BY account_id) AS r "
	    "WHERE accounts.id = r.id AND accounts.tier <> r.tier",
	    "UPDATE contacts SET tier = r.tier FROM (SELECT contact_id AS id, CASE WHEN "
	    "SUM(amount_minor) >= ? THEN 'gold' WHEN SUM(amount_minor) >= ? THEN 'silver' ELSE "
	    "'bronze' END AS tier FROM orders WHERE contact_id IS NOT NULL AND status = "
	    "'completed' AND currency = ? GROUP BY contact_id) AS r "
	    "WHERE contacts.id = r.id AND contacts.tier <> r.tier",
	};
	const struct config *config = run->ctx->config;
	/* With a threshold of 0, customers without revenue are not bronze either. */
	const char *nothing = config->tier_gold <= 0     ? "gold"
	                      : config->tier_silver <= 0 ? "silver"
	                                                 : NULL;
	for (size_t i = 0; i < COUNT(tier_sql); i++) {
		struct store_stmt *stmt;
		int rc = 0;
		if (nothing) {
			if (!(stmt = store_prepare(run->ctx->store, everyone_sql[i], err)))
				return GX_EINTERNAL;
			store_bind_text(stmt, 1, nothing);
			rc = store_exec(stmt, err);
		}
		if (rc < 0 || !(stmt = store_prepare(run->ctx->store, tier_sql[i], err)))
			return rc < 0 ? rc : GX_EINTERNAL;
		store_bind_int(stmt, 1, config->tier_gold);
		store_bind_int(stmt, 2, config->tier_silver);
		store_bind_text(stmt, 3, config->currency);
		if ((rc = store_exec(stmt, err)) < 0)
			return rc;
	}
	return 0;
}

/* One 'import' row per table, by the system (no user), at the run's now. */
static int put_audit(struct demo_run *run, struct gx_error *err)
{
	static const char insert_sql[] =
	    "INSERT INTO audit(at, user_id, entity, entity_id, action, changes) "
	    "VALUES (?, NULL, ?, 0, 'import', ?)";
	const struct {
		const char *entity;
		int64_t rows;
	} tables[] = {
	    {"account", run->stats.accounts},           {"contact", run->stats.contacts},
	    {"interaction", run->stats.interactions},   {"order", run->stats.orders},
	    {"relationship", run->stats.relationships},
	};
	for (size_t i = 0; i < COUNT(tables); i++) {
		char changes[128];
		snprintf(changes, sizeof changes,
		         "{\"source\":\"demo\",\"rows\":%" PRId64 ",\"seed\":%" PRIu64 "}",
		         tables[i].rows, run->opt->seed);
		struct store_stmt *stmt = store_prepare(run->ctx->store, insert_sql, err);
		if (!stmt)
			return GX_EINTERNAL;
		store_bind_int(stmt, 1, run->now);
		store_bind_text(stmt, 2, tables[i].entity);
		store_bind_text(stmt, 3, changes);
		int rc = store_exec(stmt, err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* ---- settings for the load ------------------------------------------------------------- */

/* Runs one statement that needs no values (pragmas, FTS5 commands). */
static int run_statement(struct demo_run *run, const char *sql, struct gx_error *err)
{
	struct store_stmt *stmt = store_prepare(run->ctx->store, sql, err);
	return stmt ? store_exec(stmt, err) : GX_EINTERNAL;
}

/* FTS5 builds its index fastest with a big buffer, so that a statement of DEMO_DOCS documents
 * becomes one segment, and with wider merges (25 s instead of 36 s for a million contacts). The
 * defaults (1 MB, merge at 4 segments) are set back at the end, in the same transaction. Run
 * in a transaction of its own: an FTS5 table touched earlier in a transaction makes every
 * later statement flush it. FTS5 is SQLite's (a schema without these tables is left alone);
 * the store would own this with a second backend. */
static int tune_fts(struct demo_run *run, int loading, struct gx_error *err)
{
	static const char *const tables[] = {"search_accounts_fts", "search_contacts_fts",
	                                     "search_accounts_short", "search_contacts_short"};
	static const char exists_sql[] =
	    "SELECT COUNT(*) FROM sqlite_master WHERE name = ? AND sql LIKE '%fts5%'";
	for (size_t i = 0; i < COUNT(tables); i++) {
		struct store_stmt *stmt = store_prepare(run->ctx->store, exists_sql, err);
		if (!stmt)
			return GX_EINTERNAL;
		store_bind_text(stmt, 1, tables[i]);
		int rc = store_step(stmt, err);
		int exists = rc == STORE_ROW && store_col_int(stmt, 0) > 0;
		store_done(stmt);
		for (int setting = 0; rc >= 0 && exists && setting < 2; setting++) {
			struct buf *sql = &run->sql;
			buf_reset(sql);
			buf_printf(sql, "INSERT INTO %s(%s, rank) VALUES ('%s', %d)", tables[i],
			           tables[i], setting ? "automerge" : "hashsize",
			           setting ? (loading ? 16 : 4) : (loading ? 64 : 1) << 20);
			rc = buf_text(sql) ? run_statement(run, buf_text(sql), err) : GX_EINTERNAL;
		}
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Foreign keys are not checked during the load (it makes every reference valid by
 * construction, and tests/unit/test_demo.c runs PRAGMA foreign_key_check): the checks cost
 * three lookups per interaction. Outside any transaction, where the pragma takes effect. */
static int check_references(struct demo_run *run, int on, struct gx_error *err)
{
	return run_statement(run, on ? "PRAGMA foreign_keys = ON" : "PRAGMA foreign_keys = OFF",
	                     err);
}

/* ---- the whole run --------------------------------------------------------------------- */

static int check_empty(struct demo_run *run, struct gx_error *err)
{
	static const char sql[] =
	    "SELECT EXISTS (SELECT 1 FROM accounts) OR EXISTS (SELECT 1 FROM contacts) OR "
	    "EXISTS (SELECT 1 FROM interactions) OR EXISTS (SELECT 1 FROM orders)";
	struct store_stmt *stmt = store_prepare(run->ctx->store, sql, err);
	if (!stmt)
		return GX_EINTERNAL;
	int rc = store_step(stmt, err);
	int used = rc == STORE_ROW && store_col_int(stmt, 0) != 0;
	store_done(stmt);
	if (rc < 0)
		return rc;
	if (used)
		return gx_fail(
		    err, GX_ECONFLICT, NULL,
		    "the database already holds customer records; demo data goes only into "
		    "a new, empty database");
	return 0;
}

static int pinyin_table(const struct hanzi *words, size_t n, char (*out)[PINYIN_MAX],
                        struct gx_error *err)
{
	for (size_t i = 0; i < n; i++) {
		char *full, *initials;
		if (text_pinyin(words[i].hans, &full, &initials) < 0)
			return gx_fail(err, GX_EINTERNAL, NULL, "out of memory");
		copy_text(out[i], PINYIN_MAX, full);
		free(full);
		free(initials);
	}
	return 0;
}

static int run_init(struct demo_run *run, struct gx_error *err)
{
	for (unsigned i = COUNT(cities); i-- > 0;) {
		run->city_first[cities[i].origin] = i;
		run->city_count[cities[i].origin]++;
	}
	run->national = strcmp(run->ctx->config->region, "CN") == 0;
	run->start = run->now - DEMO_SPAN;
	int rc = pinyin_table(surnames, COUNT(surnames), run->surname_pinyin, err);
	if (rc == 0)
		rc = pinyin_table(given_chars, COUNT(given_chars), run->given_pinyin, err);
	if (rc == 0)
		rc = pinyin_table(brand_chars, COUNT(brand_chars), run->brand_pinyin, err);
	return rc == 0 ? plan_contacts(run, err) : rc;
}

/* Users, then the generator's batches, then what derives from them. */
static int write_all(struct demo_run *run, pthread_t *generator, int *started, struct gx_error *err)
{
	int rc = put_users(run, err);
	if (rc == 0) {
		*started = pthread_create(generator, NULL, generate, run) == 0;
		rc = *started ? write_batches(run, err)
		              : gx_fail(err, GX_EINTERNAL, NULL, "cannot start a thread");
	}
	if (rc == 0) {
		progress(run, "indexes", 0, run->nindexes);
		rc = restore_indexes(run, err);
	}
	if (rc == 0) {
		progress(run, "tiers", 0, 1);
		rc = set_tiers(run, err);
	}
	if (rc == 0)
		rc = put_audit(run, err);
	return rc == 0 ? tune_fts(run, 0, err) : rc;
}

/* Settings for the load, in a transaction of their own (see tune_fts). */
static int prepare_load(struct demo_run *run, struct gx_error *err)
{
	struct store *store = run->ctx->store;
	int rc = check_references(run, 0, err);
	if (rc == 0)
		rc = store_begin(store, err);
	if (rc < 0)
		return rc;
	rc = defer_indexes(run, err);
	if (rc == 0)
		rc = tune_fts(run, 1, err);
	if (rc < 0) {
		store_rollback(store);
		return rc;
	}
	return store_commit(store, err);
}

/* After a failure: the schema as it was, whatever rows were committed. */
static void undo_settings(struct demo_run *run)
{
	struct store *store = run->ctx->store;
	if (store_begin(store, NULL) == 0) {
		restore_indexes(run, NULL);
		tune_fts(run, 0, NULL);
		store_commit(store, NULL);
	}
}

static int run_phases(struct demo_run *run, struct gx_error *err)
{
	struct store *store = run->ctx->store;
	pthread_t generator;
	int started = 0;
	int rc = prepare_load(run, err);
	if (rc == 0)
		rc = store_begin(store, err);
	run->in_tx = rc == 0;
	if (rc == 0)
		rc = write_all(run, &generator, &started, err);
	if (started) {
		/* After a failure the generator sees stop at its next hand-over. */
		pthread_mutex_lock(&run->pipe.lock);
		run->pipe.stop |= rc < 0;
		pthread_cond_broadcast(&run->pipe.changed);
		pthread_mutex_unlock(&run->pipe.lock);
		pthread_join(generator, NULL);
	}
	if (rc == 0) {
		run->in_tx = 0;
		rc = store_commit(store, err);
	}
	if (rc < 0 && run->in_tx)
		store_rollback(store);
	if (rc < 0)
		undo_settings(run);
	int on = check_references(run, 1, rc < 0 ? NULL : err);
	return rc < 0 ? rc : on;
}

static void rows_free(struct rows *rows)
{
	free(rows->cells);
	buf_free(&rows->text);
}

static void run_free(struct demo_run *run)
{
	for (int b = 0; b < 2; b++)
		for (int t = 0; t < NTABLES; t++)
			rows_free(&run->batches[b].rows[t]);
	rows_free(&run->docs[0]);
	rows_free(&run->docs[1]);
	for (int i = 0; i < 4; i++)
		buf_free(&run->text[i]);
	buf_free(&run->doc);
	buf_free(&run->sql);
	buf_free(&run->arena);
	free_indexes(run);
	free(run->phones);
	free(run->accounts);
	pthread_cond_destroy(&run->pipe.changed);
	pthread_mutex_destroy(&run->pipe.lock);
	free(run);
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

int demo_generate(struct crm_ctx *ctx, const struct demo_options *opt, struct demo_stats *stats,
                  struct gx_error *err)
{
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (opt->contacts < 1 || opt->contacts > DEMO_MAX_CONTACTS)
		return gx_fail(err, GX_EVALIDATION, "contacts", "contacts must be 1 to %d",
		               DEMO_MAX_CONTACTS);
	struct demo_run *run = calloc(1, sizeof *run);
	if (!run)
		return gx_fail(err, GX_EINTERNAL, NULL, "out of memory");
	run->ctx = ctx;
	run->opt = opt;
	run->now = opt->now > 0 ? opt->now : clock_now();
	pthread_mutex_init(&run->pipe.lock, NULL);
	pthread_cond_init(&run->pipe.changed, NULL);
	int rc = check_empty(run, err);
	if (rc == 0)
		rc = run_init(run, err);
	/* Into a new database, written once without a journal (a WAL doubled every write); with
	 * another connection open, in bulk mode. */
	int unjournaled = 0;
	if (rc == 0) {
		unjournaled = store_unjournaled_load(ctx->store, 1, NULL) == 0;
		rc = unjournaled ? 0 : store_bulk_mode(ctx->store, 1, err);
	}
	if (rc == 0) {
		rc = run_phases(run, err);
		/* Full durability again, and the WAL folded in, whatever happened: a failed
		 * unjournaled load stays marked as unfinished. */
		progress(run, "checkpoint", 0, 1);
		int off = unjournaled ? (rc < 0 ? 0 : store_unjournaled_load(ctx->store, 0, err))
		                      : store_bulk_mode(ctx->store, 0, rc < 0 ? NULL : err);
		rc = rc < 0 ? rc : off;
	}
	run->stats.seconds = seconds_since(&t0);
	if (stats)
		*stats = run->stats;
	run_free(run);
	return rc;
}
