/* fuzz_values.c — libFuzzer driver for the small value parsers of base/: money amounts, RFC 3339
 * times and calendar dates. Beyond memory errors it checks round trips: a parsed amount formats
 * to text that parses to the same amount, a parsed time formats to text that parses to itself. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/money.h"

static void check_money(const char *text)
{
	int64_t minor, again;
	char out[32];
	if (money_parse(text, &minor) < 0)
		return;
	money_format(minor, out, sizeof out);
	if (money_parse(out, &again) < 0 || again != minor)
		abort();
}

static void check_time(const char *text)
{
	int64_t t, again;
	char out[32];
	if (clock_parse(text, &t) < 0)
		return;
	clock_format(t, out, sizeof out);
	if (clock_parse(out, &again) < 0 || again != t)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	check_money(text);
	check_time(text);
	clock_check_date(text);
	money_valid_currency(text);
	free(text);
	return 0;
}
