/* tz.c — wall-clock times in IANA zones through ICU's calendar (tz.h). */
#include "base/tz.h"

#include <string.h>
#include <unicode/ucal.h>
#include <unicode/ustring.h>

#include "base/clock.h"

/* The zone's id as UTF-16; 0 when it cannot be one (too long, not ASCII). */
static int zone_id(const char *zone, UChar *id, size_t size)
{
	size_t n = zone ? strlen(zone) : 0;
	if (n == 0 || n >= size)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)zone[i];
		if (c < 0x21 || c > 0x7e)
			return 0;
		id[i] = (UChar)c;
	}
	id[n] = 0;
	return 1;
}

int tz_valid(const char *zone)
{
	UChar id[64], canonical[64];
	UBool system = 0;
	UErrorCode status = U_ZERO_ERROR;
	if (!zone_id(zone, id, sizeof id / sizeof id[0]))
		return 0;
	ucal_getCanonicalTimeZoneID(id, -1, canonical, sizeof canonical / sizeof canonical[0],
	                            &system, &status);
	return U_SUCCESS(status) && system;
}

/* A Gregorian calendar in the zone; NULL when the zone is not an IANA zone. */
static UCalendar *open_calendar(const char *zone)
{
	UChar id[64];
	if (!tz_valid(zone) || !zone_id(zone, id, sizeof id / sizeof id[0]))
		return NULL;
	UErrorCode status = U_ZERO_ERROR;
	UCalendar *cal = ucal_open(id, -1, "en_US_POSIX", UCAL_GREGORIAN, &status);
	if (U_FAILURE(status)) {
		ucal_close(cal);
		return NULL;
	}
	return cal;
}

int tz_to_utc(const char *zone, int y, int mo, int d, int h, int mi, int s, int64_t *out)
{
	/* Checked here: the calendar is lenient (2025-02-30 would be 2 March). */
	if (y < 1 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > clock_days_in_month(y, mo) ||
	    h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 59)
		return -1;
	UCalendar *cal = open_calendar(zone);
	if (!cal)
		return -1;
	UErrorCode status = U_ZERO_ERROR;
	ucal_clear(cal);
	ucal_setAttribute(cal, UCAL_REPEATED_WALL_TIME, UCAL_WALLTIME_LAST);
	ucal_setAttribute(cal, UCAL_SKIPPED_WALL_TIME, UCAL_WALLTIME_LAST);
	ucal_setDateTime(cal, y, mo - 1, d, h, mi, s, &status);
	UDate ms = ucal_getMillis(cal, &status);
	ucal_close(cal);
	if (U_FAILURE(status))
		return -1;
	*out = (int64_t)(ms / 1000.0);
	return 0;
}

struct tz_zone *tz_open(const char *zone)
{
	return (struct tz_zone *)open_calendar(zone);
}

int tz_offset(struct tz_zone *zone, int64_t utc, int *seconds)
{
	UCalendar *cal = (UCalendar *)zone;
	UErrorCode status = U_ZERO_ERROR;
	ucal_setMillis(cal, (UDate)utc * 1000.0, &status);
	int32_t ms =
	    ucal_get(cal, UCAL_ZONE_OFFSET, &status) + ucal_get(cal, UCAL_DST_OFFSET, &status);
	if (U_FAILURE(status))
		return -1;
	*seconds = ms / 1000;
	return 0;
}

void tz_close(struct tz_zone *zone)
{
	if (zone)
		ucal_close((UCalendar *)zone);
}
