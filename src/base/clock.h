/* clock.h — time as Guanxi stores and shows it: Unix seconds (UTC) inside, RFC 3339 outside. */
#ifndef GX_CLOCK_H
#define GX_CLOCK_H

#include <stddef.h>
#include <stdint.h>

int64_t clock_now(void);
/* "2026-11-22T08:30:00Z"; out needs 21 bytes. */
void clock_format(int64_t unix_seconds, char *out, size_t out_size);
/* Accepts RFC 3339 with Z or an offset ("2026-11-22T16:30:00+08:00"), fractional seconds
 * ignored. Returns 0, or -1 when text is not such a time. */
int clock_parse(const char *text, int64_t *unix_seconds);
/* "YYYY-MM-DD" that names a real calendar day: 0, else -1. */
int clock_check_date(const char *text);
/* Days in month 1..12 of a Gregorian year (leap years counted). */
int clock_days_in_month(int year, int month);

#endif
