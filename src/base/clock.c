/* clock.c — RFC 3339 parsing and formatting without locale or TZ state (timegm, gmtime_r). */
#include "base/clock.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

int64_t clock_now(void)
{
	return (int64_t)time(NULL);
}

/* Writes value as exactly n digits. */
static void put_digits(char *out, unsigned value, int n)
{
	for (int i = n - 1; i >= 0; i--, value /= 10)
		out[i] = (char)('0' + value % 10);
}

/* Every record in every reply carries three or more times, so this is a hot path: the civil date
 * by day arithmetic (H. Hinnant's days-to-civil) instead of gmtime_r and snprintf, about ten
 * times cheaper. Years outside 0..9999 take the slow path. */
void clock_format(int64_t unix_seconds, char *out, size_t out_size)
{
	int64_t days = unix_seconds / 86400, secs = unix_seconds % 86400;
	if (secs < 0) {
		secs += 86400;
		days--;
	}
	int64_t z = days + 719468; /* days since 0000-03-01 */
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	unsigned day = doy - (153 * mp + 2) / 5 + 1;
	unsigned month = mp < 10 ? mp + 3 : mp - 9;
	int64_t year = (int64_t)yoe + era * 400 + (month <= 2);
	if (year < 0 || year > 9999 || out_size < 21) {
		time_t t = (time_t)unix_seconds;
		struct tm tm;
		if (!gmtime_r(&t, &tm)) {
			snprintf(out, out_size, "%s", "");
			return;
		}
		/* Not strftime: its %Y does not pad years below 1000 to the four digits RFC 3339
		 * needs. */
		snprintf(out, out_size, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
		         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
		return;
	}
	memcpy(out, "0000-00-00T00:00:00Z", 21);
	put_digits(out, (unsigned)year, 4);
	put_digits(out + 5, month, 2);
	put_digits(out + 8, day, 2);
	put_digits(out + 11, (unsigned)(secs / 3600), 2);
	put_digits(out + 14, (unsigned)(secs / 60 % 60), 2);
	put_digits(out + 17, (unsigned)(secs % 60), 2);
}

/* Reads exactly n digits. */
static int read_digits(const char **p, int n, int *value)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		char c = (*p)[i];
		if (c < '0' || c > '9')
			return -1;
		v = v * 10 + (c - '0');
	}
	*p += n;
	*value = v;
	return 0;
}

static int expect(const char **p, char c)
{
	if (**p != c)
		return -1;
	(*p)++;
	return 0;
}

int clock_days_in_month(int year, int month)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
	return month == 2 && leap ? 29 : days[month - 1];
}

static int read_date(const char **p, struct tm *tm)
{
	int year, month, day;
	if (read_digits(p, 4, &year) || expect(p, '-') || read_digits(p, 2, &month) ||
	    expect(p, '-') || read_digits(p, 2, &day))
		return -1;
	if (year < 1 || month < 1 || month > 12 || day < 1 ||
	    day > clock_days_in_month(year, month))
		return -1;
	tm->tm_year = year - 1900;
	tm->tm_mon = month - 1;
	tm->tm_mday = day;
	return 0;
}

int clock_check_date(const char *text)
{
	struct tm tm = {0};
	const char *p = text;
	return read_date(&p, &tm) == 0 && *p == '\0' ? 0 : -1;
}

int clock_parse(const char *text, int64_t *unix_seconds)
{
	struct tm tm = {0};
	const char *p = text;
	int hour, minute, second;
	if (read_date(&p, &tm) || (*p != 'T' && *p != 't' && *p != ' '))
		return -1;
	/* Years 0001 and 9999 could leave four digits once the offset applies. */
	if (tm.tm_year + 1900 < 2 || tm.tm_year + 1900 > 9998)
		return -1;
	p++;
	if (read_digits(&p, 2, &hour) || expect(&p, ':') || read_digits(&p, 2, &minute) ||
	    expect(&p, ':') || read_digits(&p, 2, &second))
		return -1;
	if (hour > 23 || minute > 59 || second > 60)
		return -1;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return -1;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	int offset = 0;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int sign = *p == '-' ? -1 : 1, oh, om;
		p++;
		if (read_digits(&p, 2, &oh) || expect(&p, ':') || read_digits(&p, 2, &om) ||
		    oh > 23 || om > 59)
			return -1;
		offset = sign * (oh * 3600 + om * 60);
	} else {
		return -1;
	}
	if (*p != '\0')
		return -1;
	tm.tm_hour = hour;
	tm.tm_min = minute;
	tm.tm_sec = second;
	*unix_seconds = (int64_t)timegm(&tm) - offset;
	return 0;
}
