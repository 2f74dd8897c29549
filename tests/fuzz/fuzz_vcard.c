/* fuzz_vcard.c — libFuzzer driver for base/vcard: arbitrary bytes as a vCard file. Beyond memory
 * errors it checks the contract: property names are upper case, every value handed out is valid
 * UTF-8, and splitting a value never yields more parts than asked for. */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/text.h"
#include "base/vcard.h"

static int on_card(void *arg, const struct vcard *card)
{
	long *props = arg;
	for (size_t i = 0; i < card->nprops; i++) {
		const struct vcard_prop *p = &card->props[i];
		for (const char *c = p->name; *c; c++)
			assert(!(*c >= 'a' && *c <= 'z'));
		assert(text_valid_utf8(p->value, strlen(p->value)) || !*p->value);
		char *copy = strdup(p->value);
		char *parts[7];
		if (copy)
			assert(vcard_split(copy, ';', parts, 7) <= 7);
		free(copy);
		(*props)++;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	long props = 0, cards = 0;
	vcard_parse((const char *)data, size, NULL, on_card, &props, &cards);
	return 0;
}
