/* money.h — decimal strings with two places ("1299.00") to integer minor units and back.
 * Money is never a float. */
#ifndef GX_MONEY_H
#define GX_MONEY_H

#include <stddef.h>
#include <stdint.h>

/* The largest amount in minor units: 10^15 - 0.01 in major units, far below INT64_MAX. */
#define MONEY_MAX_MINOR 99999999999999999LL

/* Accepts "1299", "1299.5", "1299.50", "-3.00"; at most two decimals, |value| < 10^15.
 * Returns 0, or -1 when text is not such an amount. */
int money_parse(const char *text, int64_t *minor_units);
/* "1299.00"; out needs 24 bytes. */
void money_format(int64_t minor_units, char *out, size_t out_size);
/* ISO 4217 shape: three upper-case ASCII letters. */
int money_valid_currency(const char *code);

#endif
