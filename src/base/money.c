/* money.c — exact decimal parsing and formatting of amounts in minor units (two places). */
#include "base/money.h"

#include <inttypes.h>
#include <stdio.h>

int money_parse(const char *text, int64_t *minor_units)
{
	const char *p = text;
	int negative = 0;
	if (*p == '-') {
		negative = 1;
		p++;
	}
	if (*p < '0' || *p > '9')
		return -1;
	int64_t major = 0;
	for (; *p >= '0' && *p <= '9'; p++) {
		major = major * 10 + (*p - '0');
		if (major >= MONEY_MAX_MINOR / 100 + 1)
			return -1;
	}
	int64_t cents = 0;
	if (*p == '.') {
		p++;
		int places = 0;
		for (; *p >= '0' && *p <= '9'; p++) {
			if (++places > 2)
				return -1;
			cents = cents * 10 + (*p - '0');
		}
		if (places == 0)
			return -1;
		if (places == 1)
			cents *= 10;
	}
	if (*p != '\0')
		return -1;
	int64_t value = major * 100 + cents;
	*minor_units = negative ? -value : value;
	return 0;
}

void money_format(int64_t minor_units, char *out, size_t out_size)
{
	/* Magnitude as unsigned so INT64_MIN cannot overflow. */
	uint64_t magnitude = minor_units < 0 ? 0 - (uint64_t)minor_units : (uint64_t)minor_units;
	snprintf(out, out_size, "%s%" PRIu64 ".%02" PRIu64, minor_units < 0 ? "-" : "",
	         magnitude / 100, magnitude % 100);
}

int money_valid_currency(const char *code)
{
	for (int i = 0; i < 3; i++)
		if (code[i] < 'A' || code[i] > 'Z')
			return 0;
	return code[3] == '\0';
}
