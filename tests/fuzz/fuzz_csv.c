/* fuzz_csv.c — libFuzzer driver for the CSV path of imports: encoding detection and conversion
 * (base/encoding), delimiter detection and parsing (base/csvread). Beyond memory errors it
 * checks the contract: every row's cells lie inside the table, rows start on increasing lines
 * within the file, and converted text is NUL-terminated at its stated length. */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/csvread.h"
#include "base/encoding.h"
#include "base/table.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	char *text = NULL;
	size_t len = 0, bad = 0;
	const char *used = NULL;
	if (encoding_to_utf8(in, size, NULL, &text, &len, &used, &bad) != 0)
		return 0;
	assert(text[len] == '\0');
	struct table t = {0};
	long open_quote = 0;
	long lines = 1;
	for (size_t i = 0; i < len; i++)
		lines += text[i] == '\n';
	if (csvread_parse(text, len, 0, &t, &open_quote) == 0) {
		long last = 0;
		for (size_t r = 0; r < t.nrows; r++) {
			assert(t.lines[r] >= last && t.lines[r] <= lines);
			last = t.lines[r];
			for (size_t c = 0; c < table_width(&t, r); c++)
				assert(strlen(table_cell(&t, r, c)) <= t.text_len);
		}
		assert(open_quote >= 0 && open_quote <= lines);
	}
	table_free(&t);
	free(text);
	return 0;
}
