/* test_base.c — base/money, base/clock, base/config, base/buf and base/error: amounts in minor
 * units at their edges (sign, places, the 10^15 limit, INT64 extremes), RFC 3339 with offsets and
 * impossible dates, calendar checks across leap years, settings from flags, files and the
 * environment with bad values refused and left unchanged, the buffer's sticky failure, and the
 * error vocabulary. */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE /* mkdtemp, strdup, setenv also without the Makefile's -D flags */
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/config.h"
#include "base/error.h"
#include "base/money.h"
#include "base/tz.h"

/* ---- money ---------------------------------------------------------------------------- */

static void assert_money(const char *text, int64_t want)
{
	int64_t got = -12345; /* a value no case below expects */
	if (money_parse(text, &got) != 0)
		fail_msg("money_parse(\"%s\") refused, want %lld", text, (long long)want);
	if (got != want)
		fail_msg("money_parse(\"%s\") = %lld, want %lld", text, (long long)got,
		         (long long)want);
}

static void assert_money_refused(const char *text)
{
	int64_t got = 777;
	if (money_parse(text, &got) != -1)
		fail_msg("money_parse(\"%s\") accepted as %lld", text, (long long)got);
	if (got != 777)
		fail_msg("money_parse(\"%s\") refused but wrote %lld", text, (long long)got);
}

static void assert_format(int64_t minor, const char *want)
{
	char out[24];
	memset(out, 'x', sizeof out);
	money_format(minor, out, sizeof out);
	if (strcmp(out, want) != 0)
		fail_msg("money_format(%lld) = \"%s\", want \"%s\"", (long long)minor, out, want);
}

static void test_money_parse_whole_and_decimal_forms(void **state)
{
	(void)state;
	assert_money("0", 0);
	assert_money("1299", 129900);
	assert_money("1299.5", 129950);
	assert_money("1299.50", 129950);
	assert_money("1299.05", 129905);
	assert_money("0.01", 1);
	assert_money("0.1", 10);
	assert_money("12.00", 1200);
	assert_money("007", 700); /* leading zeros are only zeros */
}

static void test_money_parse_negative_amounts(void **state)
{
	(void)state;
	assert_money("-3.00", -300);
	assert_money("-3", -300);
	assert_money("-0.01", -1);
	assert_money("-0.5", -50);
	assert_money("-0", 0);
	assert_money("-1299.99", -129999);
	assert_money_refused("-");
	assert_money_refused("--1");
	assert_money_refused("+1");
	assert_money_refused("- 1");
	assert_money_refused("1-");
	assert_money_refused("-.5");
}

static void test_money_parse_refuses_more_than_two_places(void **state)
{
	(void)state;
	assert_money_refused("1.001");
	assert_money_refused("1.000");
	assert_money_refused("0.125");
	assert_money_refused("-0.001");
	assert_money_refused("1299.5000");
	assert_money("1.00", 100); /* two is fine */
}

static void test_money_parse_refuses_malformed_text(void **state)
{
	(void)state;
	const char *const bad[] = {"",    " ",    "1.",    ".5",  "1,000", "1 000", " 1",
	                           "1 ",  "1e3",  "0x10",  "abc", "12a",   "1.2.3", "1..2",
	                           "1.a", "１２", "12.5¥", "¥12", "NaN",   "inf",   "1.-5"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_money_refused(bad[i]);
}

static void test_money_parse_limit_is_below_10_pow_15(void **state)
{
	(void)state;
	assert_money("999999999999999.99", MONEY_MAX_MINOR);
	assert_money("-999999999999999.99", -MONEY_MAX_MINOR);
	assert_money("999999999999999", MONEY_MAX_MINOR - 99);
	assert_money_refused("1000000000000000");
	assert_money_refused("1000000000000000.00");
	assert_money_refused("-1000000000000000");
	/* Far past INT64: refused, not wrapped round. */
	assert_money_refused("92233720368547758.07");
	assert_money_refused("99999999999999999999999999999");
	assert_money_refused("-99999999999999999999999999999");
}

static void test_money_format_pads_and_signs(void **state)
{
	(void)state;
	assert_format(0, "0.00");
	assert_format(1, "0.01");
	assert_format(5, "0.05");
	assert_format(50, "0.50");
	assert_format(100, "1.00");
	assert_format(129900, "1299.00");
	assert_format(129905, "1299.05");
	assert_format(-1, "-0.01");
	assert_format(-50, "-0.50");
	assert_format(-300, "-3.00");
	assert_format(MONEY_MAX_MINOR, "999999999999999.99");
	assert_format(-MONEY_MAX_MINOR, "-999999999999999.99");

	char small[6];
	money_format(129900, small, sizeof small); /* truncated, still a string */
	assert_string_equal(small, "1299.");
}

static void test_money_format_int64_extremes(void **state)
{
	(void)state;
	assert_format(INT64_MAX, "92233720368547758.07");
	assert_format(INT64_MIN, "-92233720368547758.08");
	assert_format(INT64_MIN + 1, "-92233720368547758.07");
}

static void test_money_round_trip(void **state)
{
	(void)state;
	const int64_t values[] = {0,
	                          1,
	                          -1,
	                          99,
	                          -99,
	                          100,
	                          101,
	                          129950,
	                          -12345,
	                          1000000,
	                          4294967296,
	                          MONEY_MAX_MINOR,
	                          -MONEY_MAX_MINOR};
	for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
		char text[24];
		int64_t back = 0;
		money_format(values[i], text, sizeof text);
		if (money_parse(text, &back) != 0 || back != values[i])
			fail_msg("%lld -> \"%s\" -> %lld", (long long)values[i], text,
			         (long long)back);
	}
	/* Text comes back in its one canonical form. */
	const char *const forms[][2] = {{"1299.5", "1299.50"}, {"-0", "0.00"},  {"007", "7.00"},
	                                {"-3", "-3.00"},       {"0.1", "0.10"}, {"12.34", "12.34"}};
	for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
		int64_t minor = 0;
		char text[24];
		assert_int_equal(money_parse(forms[i][0], &minor), 0);
		money_format(minor, text, sizeof text);
		assert_string_equal(text, forms[i][1]);
	}
}

static void test_money_valid_currency(void **state)
{
	(void)state;
	assert_true(money_valid_currency("CNY"));
	assert_true(money_valid_currency("USD"));
	assert_true(money_valid_currency("EUR"));
	assert_false(money_valid_currency("cny"));
	assert_false(money_valid_currency("Cny"));
	assert_false(money_valid_currency("CN"));
	assert_false(money_valid_currency("C"));
	assert_false(money_valid_currency(""));
	assert_false(money_valid_currency("CNYX"));
	assert_false(money_valid_currency("CN1"));
	assert_false(money_valid_currency("C Y"));
	assert_false(money_valid_currency("元"));
	assert_false(money_valid_currency("[NY"));
}

/* ---- clock ---------------------------------------------------------------------------- */

static void assert_time(const char *text, int64_t want)
{
	int64_t got = -1;
	if (clock_parse(text, &got) != 0)
		fail_msg("clock_parse(\"%s\") refused, want %lld", text, (long long)want);
	if (got != want)
		fail_msg("clock_parse(\"%s\") = %lld, want %lld", text, (long long)got,
		         (long long)want);
}

static void assert_time_refused(const char *text)
{
	int64_t got = 4242;
	if (clock_parse(text, &got) != -1)
		fail_msg("clock_parse(\"%s\") accepted as %lld", text, (long long)got);
	if (got != 4242)
		fail_msg("clock_parse(\"%s\") refused but wrote %lld", text, (long long)got);
}

#define T_2026_11_22_0830Z 1795336200LL /* date -u -d 2026-11-22T08:30:00Z +%s */

static void test_clock_parse_utc(void **state)
{
	(void)state;
	assert_time("1970-01-01T00:00:00Z", 0);
	assert_time("1970-01-01T00:00:01Z", 1);
	assert_time("1969-12-31T23:59:59Z", -1);
	assert_time("2026-11-22T08:30:00Z", T_2026_11_22_0830Z);
	assert_time("2026-11-22t08:30:00z", T_2026_11_22_0830Z);
	assert_time("2026-11-22 08:30:00Z", T_2026_11_22_0830Z);
	assert_time("2038-01-19T03:14:08Z", 2147483648LL); /* past 32-bit time_t */
	assert_time("0002-01-01T00:00:00Z", -62104060800LL);
	assert_time("9998-12-31T23:59:59Z", 253370764799LL);
}

static void test_clock_parse_offsets(void **state)
{
	(void)state;
	assert_time("2026-11-22T16:30:00+08:00", T_2026_11_22_0830Z);
	assert_time("2026-11-22T03:00:00-05:30", T_2026_11_22_0830Z);
	assert_time("2026-11-22T08:30:00+00:00", T_2026_11_22_0830Z);
	assert_time("2026-11-22T08:30:00-00:00", T_2026_11_22_0830Z);
	assert_time("2026-11-23T08:29:00+23:59", T_2026_11_22_0830Z);
	assert_time("2026-11-21T08:31:00-23:59", T_2026_11_22_0830Z);
	/* The offset carries across the day and year boundary. */
	assert_time("2027-01-01T07:59:59+08:00", 1798761599LL);
	assert_time_refused("2026-11-22T16:30:00+24:00");
	assert_time_refused("2026-11-22T16:30:00+08:60");
	assert_time_refused("2026-11-22T16:30:00+0800");
	assert_time_refused("2026-11-22T16:30:00+08");
	assert_time_refused("2026-11-22T16:30:00+8:00");
	assert_time_refused("2026-11-22T16:30:00 +08:00");
	assert_time_refused("2026-11-22T16:30:00+08:00Z");
	assert_time_refused("2026-11-22T16:30:00UTC");
}

static void test_clock_parse_ignores_fraction(void **state)
{
	(void)state;
	assert_time("2026-11-22T08:30:00.5Z", T_2026_11_22_0830Z);
	assert_time("2026-11-22T08:30:00.999999999Z", T_2026_11_22_0830Z);
	assert_time("2026-11-22T16:30:00.123+08:00", T_2026_11_22_0830Z);
	assert_time_refused("2026-11-22T08:30:00.Z");
	assert_time_refused("2026-11-22T08:30:00.5");
	assert_time_refused("2026-11-22T08:30:00,5Z");
	assert_time_refused("2026-11-22T08:30:00.5.5Z");
}

static void test_clock_parse_leap_day_and_leap_second(void **state)
{
	(void)state;
	assert_time("2024-02-29T12:00:00Z", 1709208000LL);
	assert_time("2000-02-29T00:00:00Z", 951782400LL);
	assert_time_refused("2023-02-29T12:00:00Z");
	assert_time_refused("1900-02-29T12:00:00Z");
	/* :60 is a leap second; it reads as the first second of the next minute. */
	int64_t leap = 0, next = 0;
	assert_int_equal(clock_parse("2016-12-31T23:59:60Z", &leap), 0);
	assert_int_equal(clock_parse("2017-01-01T00:00:00Z", &next), 0);
	assert_int_equal(leap, next);
	assert_time("2017-01-01T07:59:60+08:00", next);
	assert_time_refused("2016-12-31T23:59:61Z");
}

static void test_clock_parse_refuses_impossible_times(void **state)
{
	(void)state;
	const char *const bad[] = {
	    "",
	    "2026-11-22",
	    "2026-11-22T08:30:00",
	    "2026-11-22T08:30Z",
	    "2026-11-22T8:30:00Z",
	    "2026-11-22X08:30:00Z",
	    "2026-11-22T24:00:00Z",
	    "2026-11-22T23:60:00Z",
	    "2026-11-22T23:59:61Z",
	    "2026-13-01T00:00:00Z",
	    "2026-00-10T00:00:00Z",
	    "2026-11-00T00:00:00Z",
	    "2026-04-31T00:00:00Z",
	    "2026-11-31T00:00:00Z",
	    "0000-01-01T00:00:00Z",
	    "0001-01-01T00:00:00Z", /* an offset could take it below year 1 */
	    "9999-12-31T23:59:59Z", /* ... or past year 9999 */
	    "26-11-22T08:30:00Z",
	    "2026/11/22T08:30:00Z",
	    "2026-11-22T08:30:00Zjunk",
	    " 2026-11-22T08:30:00Z",
	    "２０２６-11-22T08:30:00Z",
	    "-2026-11-22T08:30:00Z",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_time_refused(bad[i]);
}

static void test_clock_format_and_round_trip(void **state)
{
	(void)state;
	char out[32];
	clock_format(0, out, sizeof out);
	assert_string_equal(out, "1970-01-01T00:00:00Z");
	clock_format(-1, out, sizeof out);
	assert_string_equal(out, "1969-12-31T23:59:59Z");
	clock_format(T_2026_11_22_0830Z, out, sizeof out);
	assert_string_equal(out, "2026-11-22T08:30:00Z");
	clock_format(-62104060800LL, out, sizeof out); /* years below 1000 keep four digits */
	assert_string_equal(out, "0002-01-01T00:00:00Z");
	clock_format(-30610224000LL, out, sizeof out);
	assert_string_equal(out, "1000-01-01T00:00:00Z");

	char exact[21]; /* the documented size is enough */
	clock_format(253370764799LL, exact, sizeof exact);
	assert_string_equal(exact, "9998-12-31T23:59:59Z");

	/* A time gmtime cannot express formats as an empty string, not garbage. */
	memset(out, 'x', sizeof out);
	clock_format(INT64_MAX, out, sizeof out);
	assert_string_equal(out, "");

	const int64_t values[] = {0,
	                          1,
	                          -1,
	                          951782400,
	                          1709208000,
	                          2147483647,
	                          2147483648LL,
	                          4102444800LL,
	                          -62104060800LL,
	                          253370764799LL,
	                          T_2026_11_22_0830Z};
	for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
		int64_t back = 0;
		clock_format(values[i], out, sizeof out);
		if (clock_parse(out, &back) != 0 || back != values[i])
			fail_msg("%lld -> \"%s\" -> %lld", (long long)values[i], out,
			         (long long)back);
	}
}

static void test_clock_now_is_the_system_time(void **state)
{
	(void)state;
	int64_t before = (int64_t)time(NULL);
	int64_t now = clock_now();
	int64_t after = (int64_t)time(NULL);
	assert_true(before <= now);
	assert_true(now <= after);
	assert_true(now > 1700000000); /* after November 2023: seconds, not milliseconds */
	assert_true(now < 100000000000LL);
}

static void assert_date(const char *text, int want)
{
	int got = clock_check_date(text);
	if (got != want)
		fail_msg("clock_check_date(\"%s\") = %d, want %d", text, got, want);
}

static void test_clock_check_date_leap_years(void **state)
{
	(void)state;
	assert_date("2024-02-29", 0);
	assert_date("2000-02-29", 0); /* divisible by 400 */
	assert_date("2400-02-29", 0);
	assert_date("0004-02-29", 0);
	assert_date("2023-02-29", -1);
	assert_date("1900-02-29", -1); /* divisible by 100, not 400 */
	assert_date("2100-02-29", -1);
	assert_date("2024-02-30", -1);
	assert_date("2023-02-28", 0);
}

static void test_clock_check_date_month_lengths_and_shape(void **state)
{
	(void)state;
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	for (int month = 1; month <= 12; month++) {
		char text[32];
		snprintf(text, sizeof text, "2023-%02d-%02d", month, days[month - 1]);
		assert_date(text, 0);
		snprintf(text, sizeof text, "2023-%02d-%02d", month, days[month - 1] + 1);
		assert_date(text, -1);
		snprintf(text, sizeof text, "2023-%02d-00", month);
		assert_date(text, -1);
	}
	assert_date("0001-01-01", 0);
	assert_date("9999-12-31", 0);
	assert_date("0000-01-01", -1);
	assert_date("2023-00-01", -1);
	assert_date("2023-13-01", -1);
	assert_date("2023-1-01", -1);
	assert_date("2023-01-1", -1);
	assert_date("23-01-01", -1);
	assert_date("2023/01/01", -1);
	assert_date("2023-01-01T00:00:00Z", -1);
	assert_date("2023-01-01 ", -1);
	assert_date(" 2023-01-01", -1);
	assert_date("", -1);
	assert_date("yyyy-mm-dd", -1);
}

/* ---- config --------------------------------------------------------------------------- */

static const char *const env_names[] = {
    "GUANXI_LISTEN",    "GUANXI_DB",          "GUANXI_WEB_DIR", "GUANXI_REGION",
    "GUANXI_CURRENCY",  "GUANXI_MAX_BODY",    "GUANXI_THREADS", "GUANXI_DEMO_CONTACTS",
    "GUANXI_TIER_GOLD", "GUANXI_TIER_SILVER", "GUANXI_TIMEZONE"};

static int clear_env(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof env_names / sizeof env_names[0]; i++)
		unsetenv(env_names[i]);
	return 0;
}

/* Writes text to a new temporary file; the caller unlinks path. */
static void write_file(char *path, size_t size, const char *text)
{
	snprintf(path, size, "/tmp/gx-config-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	size_t len = strlen(text);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
}

static void assert_set(struct config *config, const char *key, const char *value)
{
	struct gx_error err = {0};
	int rc = config_set(config, key, value, &err);
	if (rc != 0)
		fail_msg("config_set(%s, \"%s\") = %d: %s", key, value, rc, err.message);
}

static void assert_set_refused(struct config *config, const char *key, const char *value)
{
	struct config before = *config;
	struct gx_error err = {0};
	int rc = config_set(config, key, value, &err);
	if (rc != GX_EVALIDATION)
		fail_msg("config_set(%s, \"%s\") = %d, want refused", key, value, rc);
	assert_int_equal(err.code, GX_EVALIDATION);
	assert_string_equal(err.field, key);
	assert_non_null(strstr(err.message, key));
	if (memcmp(&before, config, sizeof before) != 0)
		fail_msg("config_set(%s, \"%s\") was refused but changed the settings", key, value);
}

static void test_config_defaults(void **state)
{
	(void)state;
	struct config config;
	memset(&config, 0x5a, sizeof config);
	config_defaults(&config);
	assert_string_equal(config.listen, "127.0.0.1:8080");
	assert_string_equal(config.db, "./data/guanxi.db");
	assert_string_equal(config.web_dir, "./web");
	assert_string_equal(config.region, "CN");
	assert_string_equal(config.currency, "CNY");
	assert_int_equal(config.max_body, 8u << 20);
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	assert_int_equal(config.threads, 4 * (cores > 0 ? cores : 2));
	assert_int_equal(config.demo_contacts, 2000);
	assert_int_equal(config.tier_gold, 100000000);  /* 1,000,000.00 */
	assert_int_equal(config.tier_silver, 10000000); /* 100,000.00 */
	assert_string_equal(config.timezone, "Asia/Shanghai");
}

/* The timezone setting: IANA names only, from a flag, the file or GUANXI_TIMEZONE. */
static void test_config_timezone(void **state)
{
	(void)state;
	struct config config;
	config_defaults(&config);
	assert_set(&config, "timezone", "America/New_York");
	assert_string_equal(config.timezone, "America/New_York");
	assert_set(&config, "timezone", "UTC");
	assert_string_equal(config.timezone, "UTC");
	assert_set_refused(&config, "timezone", "Mars/Olympus_Mons");
	assert_set_refused(&config, "timezone", "GMT+8");
	assert_set_refused(&config, "timezone", "");
	setenv("GUANXI_TIMEZONE", "Europe/London", 1);
	struct gx_error err = {0};
	assert_int_equal(config_load(&config, NULL, &err), 0);
	assert_string_equal(config.timezone, "Europe/London");
	setenv("GUANXI_TIMEZONE", "Nowhere", 1);
	assert_int_equal(config_load(&config, NULL, &err), GX_EVALIDATION);
	assert_string_equal(err.field, "timezone");
	unsetenv("GUANXI_TIMEZONE");
}

/* Wall-clock times to UTC in a zone, daylight saving time included. */
static void test_tz_to_utc(void **state)
{
	(void)state;
	int64_t t = 0;
	assert_true(tz_valid("Asia/Shanghai"));
	assert_false(tz_valid("Asia/Nowhere"));
	assert_false(tz_valid(NULL));
	assert_int_equal(tz_to_utc("Asia/Shanghai", 2025, 3, 3, 9, 15, 0, &t), 0);
	assert_int_equal(t, 1740964500); /* 2025-03-03T01:15:00Z */
	assert_int_equal(tz_to_utc("America/New_York", 2025, 7, 1, 9, 15, 0, &t), 0);
	assert_int_equal(t, 1751375700); /* 13:15Z, EDT */
	assert_int_equal(tz_to_utc("America/New_York", 2025, 1, 15, 9, 15, 0, &t), 0);
	assert_int_equal(t, 1736950500); /* 14:15Z, EST */
	assert_int_equal(tz_to_utc("UTC", 2024, 2, 29, 23, 59, 59, &t), 0);
	assert_int_equal(t, 1709251199);
	assert_int_equal(tz_to_utc("UTC", 2025, 2, 29, 0, 0, 0, &t), -1);
	assert_int_equal(tz_to_utc("Asia/Nowhere", 2025, 1, 1, 0, 0, 0, &t), -1);
}

/* A zone opened once: its offset at an instant, daylight saving time included. */
static void test_tz_offset(void **state)
{
	(void)state;
	int offset = 0;
	struct tz_zone *shanghai = tz_open("Asia/Shanghai"), *ny = tz_open("America/New_York");
	assert_non_null(shanghai);
	assert_non_null(ny);
	assert_null(tz_open("Asia/Nowhere"));
	assert_int_equal(tz_offset(shanghai, 1740964500, &offset), 0);
	assert_int_equal(offset, 8 * 3600);
	assert_int_equal(tz_offset(ny, 1751375700, &offset), 0); /* July: EDT */
	assert_int_equal(offset, -4 * 3600);
	assert_int_equal(tz_offset(ny, 1736950500, &offset), 0); /* January: EST */
	assert_int_equal(offset, -5 * 3600);
	tz_close(shanghai);
	tz_close(ny);
	tz_close(NULL);
}

static void test_config_set_good_values(void **state)
{
	(void)state;
	struct config config;
	config_defaults(&config);
	assert_set(&config, "listen", "0.0.0.0:9000");
	assert_string_equal(config.listen, "0.0.0.0:9000");
	assert_set(&config, "db", "/var/lib/guanxi/guanxi.db");
	assert_string_equal(config.db, "/var/lib/guanxi/guanxi.db");
	assert_set(&config, "web_dir", "/srv/guanxi/web");
	assert_string_equal(config.web_dir, "/srv/guanxi/web");
	assert_set(&config, "region", "hk");
	assert_string_equal(config.region, "HK");
	assert_set(&config, "currency", "usd");
	assert_string_equal(config.currency, "USD");
	assert_set(&config, "currency", "EUR");
	assert_string_equal(config.currency, "EUR");
	assert_set(&config, "max_body", "1024");
	assert_int_equal(config.max_body, 1024);
	assert_set(&config, "max_body", "1073741824");
	assert_int_equal(config.max_body, 1073741824);
	assert_set(&config, "threads", "1");
	assert_int_equal(config.threads, 1);
	assert_set(&config, "threads", "256");
	assert_int_equal(config.threads, 256);
	assert_set(&config, "demo_contacts", "0");
	assert_int_equal(config.demo_contacts, 0);
	assert_set(&config, "demo_contacts", "10000000");
	assert_int_equal(config.demo_contacts, 10000000);
	assert_set(&config, "tier_gold", "500000000");
	assert_int_equal(config.tier_gold, 500000000);
	assert_set(&config, "tier_silver", "1152921504606846976"); /* 2^60 */
	assert_int_equal(config.tier_silver, 1152921504606846976LL);

	char longest[sizeof config.listen];
	memset(longest, 'a', sizeof longest - 1);
	longest[sizeof longest - 1] = '\0';
	assert_set(&config, "listen", longest);
	assert_string_equal(config.listen, longest);
}

static void test_config_set_refuses_bad_numbers(void **state)
{
	(void)state;
	struct config config;
	config_defaults(&config);
	const char *const keys[] = {"max_body", "threads", "demo_contacts", "tier_gold",
	                            "tier_silver"};
	const char *const never[] = {"",     "abc", "12abc", "1.5",
	                             "0x10", "1e6", "8 ",    "99999999999999999999999"};
	for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
		for (size_t i = 0; i < sizeof never / sizeof never[0]; i++)
			assert_set_refused(&config, keys[k], never[i]);
	/* Out of each key's range. */
	assert_set_refused(&config, "max_body", "1023");
	assert_set_refused(&config, "max_body", "1073741825");
	assert_set_refused(&config, "max_body", "-1");
	assert_set_refused(&config, "threads", "0");
	assert_set_refused(&config, "threads", "257");
	assert_set_refused(&config, "threads", "-4");
	assert_set_refused(&config, "demo_contacts", "-1");
	assert_set_refused(&config, "demo_contacts", "10000001");
	assert_set_refused(&config, "tier_gold", "-1");
	assert_set_refused(&config, "tier_gold", "1152921504606846977");
	assert_set_refused(&config, "tier_silver", "-100");
}

static void test_config_set_refuses_bad_text(void **state)
{
	(void)state;
	struct config config;
	config_defaults(&config);
	char too_long[2048];
	memset(too_long, 'a', sizeof too_long - 1);
	too_long[sizeof too_long - 1] = '\0';
	too_long[sizeof config.listen] = '\0'; /* 128 bytes: one past the room */
	assert_set_refused(&config, "listen", too_long);
	too_long[sizeof config.listen] = 'a';
	too_long[sizeof config.db] = '\0';
	assert_set_refused(&config, "db", too_long);
	assert_set_refused(&config, "web_dir", too_long);

	const char *const regions[] = {"", "C", "CHN", "C1", "1N", "C-", "中国", "中"};
	for (size_t i = 0; i < sizeof regions / sizeof regions[0]; i++)
		assert_set_refused(&config, "region", regions[i]);
	const char *const currencies[] = {"", "US", "USDX", "US1", "U D", "$US", "元"};
	for (size_t i = 0; i < sizeof currencies / sizeof currencies[0]; i++)
		assert_set_refused(&config, "currency", currencies[i]);
}

static void test_config_set_refused_code_keeps_old_value(void **state)
{
	(void)state;
	struct config config;
	config_defaults(&config);
	assert_set(&config, "currency", "EUR");
	assert_set(&config, "region", "tw");
	/* The first letters are good: none of them may be written before the bad one is seen. */
	assert_set_refused(&config, "currency", "us1");
	assert_string_equal(config.currency, "EUR");
	assert_set_refused(&config, "currency", "ab$");
	assert_string_equal(config.currency, "EUR");
	assert_set_refused(&config, "region", "u9");
	assert_string_equal(config.region, "TW");
	assert_set_refused(&config, "threads", "12x");
	assert_set_refused(&config, "tier_gold", "5000000000000000000000");
	assert_int_equal(config.tier_gold, 100000000);
}

static void test_config_set_unknown_key(void **state)
{
	(void)state;
	struct config config, before;
	config_defaults(&config);
	before = config;
	struct gx_error err = {0};
	assert_int_equal(config_set(&config, "colour", "blue", &err), GX_EVALIDATION);
	assert_int_equal(err.code, GX_EVALIDATION);
	assert_string_equal(err.field, "colour");
	assert_non_null(strstr(err.message, "unknown setting 'colour'"));
	/* Keys are exact: no case folding, no environment spelling. */
	assert_int_equal(config_set(&config, "LISTEN", "0.0.0.0:1", &err), GX_EVALIDATION);
	assert_int_equal(config_set(&config, "GUANXI_LISTEN", "0.0.0.0:1", &err), GX_EVALIDATION);
	assert_int_equal(config_set(&config, "", "x", &err), GX_EVALIDATION);
	assert_int_equal(config_set(&config, "colour", "blue", NULL), GX_EVALIDATION);
	assert_memory_equal(&config, &before, sizeof config);
}

static void test_config_load_file_then_environment(void **state)
{
	(void)state;
	char path[64];
	write_file(path, sizeof path,
	           "# Guanxi settings\n"
	           "\n"
	           "listen = 0.0.0.0:9090\n"
	           "  threads=4  \n"
	           "\tcurrency =  usd\n"
	           "   # an indented comment\n"
	           "db = /tmp/a b.db\n"
	           "tier_gold = 7\n");
	setenv("GUANXI_THREADS", "8", 1);
	setenv("GUANXI_REGION", "hk", 1);
	struct config config;
	config_defaults(&config);
	struct gx_error err = {0};
	int rc = config_load(&config, path, &err);
	unlink(path);
	clear_env(NULL);
	assert_int_equal(rc, 0);
	assert_string_equal(config.listen, "0.0.0.0:9090"); /* file */
	assert_string_equal(config.db, "/tmp/a b.db");      /* inner spaces kept */
	assert_string_equal(config.currency, "USD");
	assert_int_equal(config.tier_gold, 7);
	assert_int_equal(config.threads, 8); /* environment over file */
	assert_string_equal(config.region, "HK");
	assert_string_equal(config.web_dir, "./web"); /* neither: default */
	assert_int_equal(config.tier_silver, 10000000);

	/* No file at all: only the environment. */
	setenv("GUANXI_LISTEN", "127.0.0.1:1234", 1);
	setenv("GUANXI_TIER_SILVER", "12", 1);
	config_defaults(&config);
	rc = config_load(&config, NULL, &err);
	clear_env(NULL);
	assert_int_equal(rc, 0);
	assert_string_equal(config.listen, "127.0.0.1:1234");
	assert_int_equal(config.tier_silver, 12);
	assert_int_equal(
	    config.threads,
	    4 * (sysconf(_SC_NPROCESSORS_ONLN) > 0 ? sysconf(_SC_NPROCESSORS_ONLN) : 2));
}

static void test_config_load_bad_line_names_it(void **state)
{
	(void)state;
	char path[64];
	write_file(path, sizeof path, "listen = 0.0.0.0:9090\n# fine\nthreads 4\ndb = x.db\n");
	struct config config;
	config_defaults(&config);
	struct gx_error err = {0};
	int rc = config_load(&config, path, &err);
	unlink(path);
	assert_int_equal(rc, GX_EVALIDATION);
	assert_int_equal(err.code, GX_EVALIDATION);
	assert_string_equal(err.field, "config");
	char want[96];
	snprintf(want, sizeof want, "%s:3:", path);
	if (!strstr(err.message, want))
		fail_msg("\"%s\" does not name %s", err.message, want);
	assert_string_equal(config.db, "./data/guanxi.db"); /* reading stopped at line 3 */
}

static void test_config_load_bad_value_in_file(void **state)
{
	(void)state;
	char path[64];
	write_file(path, sizeof path, "threads = 3\nregion = CHN\ncurrency = EUR\n");
	setenv("GUANXI_LISTEN", "127.0.0.1:1", 1);
	struct config config;
	config_defaults(&config);
	struct gx_error err = {0};
	int rc = config_load(&config, path, &err);
	unlink(path);
	clear_env(NULL);
	assert_int_equal(rc, GX_EVALIDATION);
	assert_string_equal(err.field, "region");
	assert_non_null(strstr(err.message, "CHN"));
	assert_string_equal(config.region, "CN");             /* refused: unchanged */
	assert_string_equal(config.currency, "CNY");          /* after the bad line: not read */
	assert_string_equal(config.listen, "127.0.0.1:8080"); /* nor the environment */

	write_file(path, sizeof path, "colour = blue\n");
	config_defaults(&config);
	rc = config_load(&config, path, &err);
	unlink(path);
	assert_int_equal(rc, GX_EVALIDATION);
	assert_string_equal(err.field, "colour");
}

static void test_config_load_missing_file(void **state)
{
	(void)state;
	char dir[64];
	snprintf(dir, sizeof dir, "/tmp/gx-config-XXXXXX");
	assert_non_null(mkdtemp(dir));
	char path[96];
	snprintf(path, sizeof path, "%s/absent.conf", dir);
	struct config config, before;
	config_defaults(&config);
	before = config;
	struct gx_error err = {0};
	int rc = config_load(&config, path, &err);
	rmdir(dir);
	assert_int_equal(rc, GX_EVALIDATION);
	assert_string_equal(err.field, "config");
	assert_non_null(strstr(err.message, path));
	assert_memory_equal(&config, &before, sizeof config);
}

static void test_config_load_bad_environment(void **state)
{
	(void)state;
	struct config config;
	config_defaults(&config);
	struct gx_error err = {0};
	setenv("GUANXI_THREADS", "many", 1);
	int rc = config_load(&config, NULL, &err);
	unsetenv("GUANXI_THREADS");
	assert_int_equal(rc, GX_EVALIDATION);
	assert_string_equal(err.field, "threads");
	assert_non_null(strstr(err.message, "many"));
	assert_int_equal(
	    config.threads,
	    4 * (sysconf(_SC_NPROCESSORS_ONLN) > 0 ? sysconf(_SC_NPROCESSORS_ONLN) : 2));

	setenv("GUANXI_CURRENCY", "dollars", 1);
	memset(&err, 0, sizeof err);
	rc = config_load(&config, NULL, &err);
	unsetenv("GUANXI_CURRENCY");
	assert_int_equal(rc, GX_EVALIDATION);
	assert_string_equal(err.field, "currency");
	assert_string_equal(config.currency, "CNY");

	setenv("GUANXI_MAX_BODY", "", 1); /* set but empty is a bad value, not "unset" */
	rc = config_load(&config, NULL, &err);
	unsetenv("GUANXI_MAX_BODY");
	assert_int_equal(rc, GX_EVALIDATION);
	assert_string_equal(err.field, "max_body");
	assert_int_equal(config.max_body, 8u << 20);
}

/* ---- buf ------------------------------------------------------------------------------ */

static void test_buf_empty_reads_as_empty_string(void **state)
{
	(void)state;
	struct buf b = {0};
	assert_non_null(buf_text(&b));
	assert_string_equal(buf_text(&b), "");
	buf_append(&b, "");
	assert_string_equal(buf_text(&b), "");
	assert_int_equal(b.len, 0);
	buf_free(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
	buf_free(&b); /* twice is harmless */
}

static void test_buf_appends_and_grows(void **state)
{
	(void)state;
	struct buf b = {0};
	char want[4096] = "";
	size_t want_len = 0;
	for (int i = 0; i < 300; i++) {
		const char *piece = i % 3 == 0 ? "关系" : i % 3 == 1 ? "abc" : "-";
		buf_append(&b, piece);
		want_len += (size_t)snprintf(want + want_len, sizeof want - want_len, "%s", piece);
		assert_int_equal(b.len, want_len);
		assert_true(b.cap > b.len);
		assert_int_equal(b.data[b.len], '\0');
	}
	assert_string_equal(buf_text(&b), want);
	assert_int_equal(strlen(buf_text(&b)), want_len);

	/* append_n takes exactly n bytes, NUL included. */
	size_t before = b.len;
	buf_append_n(&b, "xyz", 2);
	assert_int_equal(b.len, before + 2);
	assert_string_equal(buf_text(&b) + before, "xy");
	buf_append_n(&b, "a\0b", 3);
	assert_int_equal(b.len, before + 5);
	assert_memory_equal(b.data + before, "xya\0b", 6);
	buf_append_n(&b, "ignored", 0);
	assert_int_equal(b.len, before + 5);
	buf_free(&b);
}

static void test_buf_printf_long_output(void **state)
{
	(void)state;
	char big[10001];
	for (size_t i = 0; i < sizeof big - 1; i++)
		big[i] = (char)('a' + i % 26);
	big[sizeof big - 1] = '\0';
	struct buf b = {0};
	buf_append(&b, "start:");
	buf_printf(&b, "[%s|%d|%lld|%.2f]", big, -42, (long long)INT64_MIN, 2.5);
	buf_printf(&b, "%s", "");
	buf_printf(&b, "%c", 'Z');
	const char *text = buf_text(&b);
	assert_non_null(text);
	size_t want = strlen("start:") + 1 + 10000 + strlen("|-42|-9223372036854775808|2.50]") + 1;
	assert_int_equal(b.len, want);
	assert_int_equal(strlen(text), want);
	assert_memory_equal(text, "start:[abcdef", 13);
	assert_memory_equal(text + 7, big, 10000);
	assert_string_equal(text + 7 + 10000, "|-42|-9223372036854775808|2.50]Z");
	buf_free(&b);
}

static void test_buf_failure_is_sticky(void **state)
{
	(void)state;
	struct buf b = {0};
	buf_append(&b, "before");
	/* In the C locale a CJK wide string cannot be converted: vsnprintf reports an error. */
	buf_printf(&b, "%ls", L"\x4e2d\x6587");
	assert_true(b.failed);
	assert_null(buf_text(&b));
	size_t len = b.len;
	buf_append(&b, "after");
	buf_append_n(&b, "after", 5);
	buf_printf(&b, "%d", 42);
	assert_null(buf_text(&b));
	assert_int_equal(b.len, len);
	assert_memory_equal(b.data, "before", 7); /* what was there is untouched */
	buf_free(&b);
	/* Freeing resets the buffer for reuse. */
	assert_false(b.failed);
	buf_append(&b, "again");
	assert_string_equal(buf_text(&b), "again");
	buf_free(&b);

	/* A buffer that fails before its first byte has nothing to free but stays failed. */
	buf_printf(&b, "%ls", L"\x4e2d");
	assert_null(buf_text(&b));
	buf_append(&b, "x");
	assert_null(buf_text(&b));
	buf_free(&b);
}

static void test_buf_refuses_sizes_that_would_wrap(void **state)
{
	(void)state;
	/* A length near SIZE_MAX must fail the buffer, not wrap the size sum round to a small
	 * number (and then copy far past the allocation) or double the capacity round to 0. */
	struct buf b = {0};
	buf_append(&b, "ab");
	buf_append_n(&b, "x", SIZE_MAX - 1);
	assert_null(buf_text(&b));
	assert_int_equal(b.len, 2);
	buf_free(&b);

	buf_append(&b, "ab");
	buf_append_n(&b, "x", SIZE_MAX / 2);
	assert_null(buf_text(&b));
	assert_int_equal(b.len, 2);
	buf_append(&b, "c"); /* sticky as any other failure */
	assert_null(buf_text(&b));
	buf_free(&b);
}

/* ---- error ---------------------------------------------------------------------------- */

static void test_gx_fail_fills_error(void **state)
{
	(void)state;
	struct gx_error err = {0};
	int rc = gx_fail(&err, GX_EVALIDATION, "lines[2].qty", "%s must be above %d", "qty", 0);
	assert_int_equal(rc, GX_EVALIDATION);
	assert_int_equal(err.code, GX_EVALIDATION);
	assert_string_equal(err.field, "lines[2].qty");
	assert_string_equal(err.message, "qty must be above 0");

	/* A later failure replaces all three; a NULL field clears the old one. */
	rc = gx_fail(&err, GX_ENOTFOUND, NULL, "no contact with id %lld", 12LL);
	assert_int_equal(rc, GX_ENOTFOUND);
	assert_int_equal(err.code, GX_ENOTFOUND);
	assert_string_equal(err.field, "");
	assert_string_equal(err.message, "no contact with id 12");

	rc = gx_fail(&err, GX_EINTERNAL, "", "%s", "storage error");
	assert_int_equal(rc, GX_EINTERNAL);
	assert_string_equal(err.field, "");
	assert_string_equal(err.message, "storage error");
}

static void test_gx_fail_without_error_returns_code(void **state)
{
	(void)state;
	assert_int_equal(gx_fail(NULL, GX_ECONFLICT, "version", "stale %d", 3), GX_ECONFLICT);
	assert_int_equal(gx_fail(NULL, GX_EFORBIDDEN, NULL, "no"), GX_EFORBIDDEN);
	assert_int_equal(gx_fail(NULL, GX_OK, NULL, "fine"), GX_OK);
}

static void test_gx_fail_truncates_long_text(void **state)
{
	(void)state;
	struct gx_error err;
	memset(&err, 'x', sizeof err);
	char long_text[1000];
	memset(long_text, 'm', sizeof long_text - 1);
	long_text[sizeof long_text - 1] = '\0';
	char long_field[300];
	memset(long_field, 'f', sizeof long_field - 1);
	long_field[sizeof long_field - 1] = '\0';
	assert_int_equal(gx_fail(&err, GX_EBADREQUEST, long_field, "%s!", long_text),
	                 GX_EBADREQUEST);
	assert_int_equal(strlen(err.message), sizeof err.message - 1);
	assert_int_equal(strlen(err.field), sizeof err.field - 1);
	assert_memory_equal(err.message, long_text, sizeof err.message - 1);
	assert_memory_equal(err.field, long_field, sizeof err.field - 1);
	assert_int_equal(err.code, GX_EBADREQUEST);

	/* UTF-8 text is cut by bytes; what fits is kept exactly. */
	char chinese[600];
	for (int i = 0; i < 150; i++)
		memcpy(chinese + 3 * i, "关", 3);
	chinese[450] = '\0';
	gx_fail(&err, GX_EVALIDATION, "name", "%s", chinese);
	assert_int_equal(strlen(err.message), sizeof err.message - 1);
	assert_memory_equal(err.message, chinese, sizeof err.message - 1);
}

static void test_gx_code_names(void **state)
{
	(void)state;
	assert_string_equal(gx_code_name(GX_EBADREQUEST), "bad_request");
	assert_string_equal(gx_code_name(GX_EUNAUTHORIZED), "unauthorized");
	assert_string_equal(gx_code_name(GX_EFORBIDDEN), "forbidden");
	assert_string_equal(gx_code_name(GX_ENOTFOUND), "not_found");
	assert_string_equal(gx_code_name(GX_ECONFLICT), "conflict");
	assert_string_equal(gx_code_name(GX_EVALIDATION), "validation_failed");
	assert_string_equal(gx_code_name(GX_ETOOLARGE), "payload_too_large");
	assert_string_equal(gx_code_name(GX_ERATELIMITED), "rate_limited");
	assert_string_equal(gx_code_name(GX_EINTERNAL), "internal");
	/* Anything unknown is our fault, never an unnamed code. */
	assert_string_equal(gx_code_name(-10), "internal");
	assert_string_equal(gx_code_name(-1000), "internal");
	assert_string_equal(gx_code_name(7), "internal");
	/* Every code has a distinct name. */
	for (int a = GX_EINTERNAL; a <= GX_EBADREQUEST; a++)
		for (int b = a + 1; b <= GX_EBADREQUEST; b++)
			assert_string_not_equal(gx_code_name(a), gx_code_name(b));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_money_parse_whole_and_decimal_forms),
	    cmocka_unit_test(test_money_parse_negative_amounts),
	    cmocka_unit_test(test_money_parse_refuses_more_than_two_places),
	    cmocka_unit_test(test_money_parse_refuses_malformed_text),
	    cmocka_unit_test(test_money_parse_limit_is_below_10_pow_15),
	    cmocka_unit_test(test_money_format_pads_and_signs),
	    cmocka_unit_test(test_money_format_int64_extremes),
	    cmocka_unit_test(test_money_round_trip),
	    cmocka_unit_test(test_money_valid_currency),
	    cmocka_unit_test(test_clock_parse_utc),
	    cmocka_unit_test(test_clock_parse_offsets),
	    cmocka_unit_test(test_clock_parse_ignores_fraction),
	    cmocka_unit_test(test_clock_parse_leap_day_and_leap_second),
	    cmocka_unit_test(test_clock_parse_refuses_impossible_times),
	    cmocka_unit_test(test_clock_format_and_round_trip),
	    cmocka_unit_test(test_clock_now_is_the_system_time),
	    cmocka_unit_test(test_clock_check_date_leap_years),
	    cmocka_unit_test(test_clock_check_date_month_lengths_and_shape),
	    cmocka_unit_test(test_config_defaults),
	    cmocka_unit_test_setup(test_config_timezone, clear_env),
	    cmocka_unit_test(test_tz_to_utc),
	    cmocka_unit_test(test_tz_offset),
	    cmocka_unit_test(test_config_set_good_values),
	    cmocka_unit_test(test_config_set_refuses_bad_numbers),
	    cmocka_unit_test(test_config_set_refuses_bad_text),
	    cmocka_unit_test(test_config_set_refused_code_keeps_old_value),
	    cmocka_unit_test(test_config_set_unknown_key),
	    cmocka_unit_test_setup(test_config_load_file_then_environment, clear_env),
	    cmocka_unit_test_setup(test_config_load_bad_line_names_it, clear_env),
	    cmocka_unit_test_setup(test_config_load_bad_value_in_file, clear_env),
	    cmocka_unit_test_setup(test_config_load_missing_file, clear_env),
	    cmocka_unit_test_setup(test_config_load_bad_environment, clear_env),
	    cmocka_unit_test(test_buf_empty_reads_as_empty_string),
	    cmocka_unit_test(test_buf_appends_and_grows),
	    cmocka_unit_test(test_buf_printf_long_output),
	    cmocka_unit_test(test_buf_failure_is_sticky),
	    cmocka_unit_test(test_buf_refuses_sizes_that_would_wrap),
	    cmocka_unit_test(test_gx_fail_fills_error),
	    cmocka_unit_test(test_gx_fail_without_error_returns_code),
	    cmocka_unit_test(test_gx_fail_truncates_long_text),
	    cmocka_unit_test(test_gx_code_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
