/* tz.h — wall-clock times in IANA time zones ("Asia/Shanghai", "America/New_York").
 *
 * glibc converts local times only in the process's zone (TZ, tzset, mktime): switching it per
 * import would race with every other thread. ICU's calendar (libicu, already a dependency of
 * libphonenumber) converts in any zone with an object of the caller's own, so any thread can
 * convert in any zone. Its zone data are ICU's own (see docs/decisions.md). */
#ifndef GX_TZ_H
#define GX_TZ_H

#include <stdint.h>

/* 1 when zone is an IANA zone name ("UTC" included); custom ids such as "GMT+8" are not. */
int tz_valid(const char *zone);

/* The Unix time of the wall-clock time y-mo-d h:mi:s in zone. A time that occurs twice (the
 * hour a clock is set back) is the later, standard-time one; a time that does not occur (the
 * hour a clock is set forward) is moved forward by the gap. -1 when the zone is unknown or the
 * fields are out of range. Thread-safe. */
int tz_to_utc(const char *zone, int y, int mo, int d, int h, int mi, int s, int64_t *out);

/* A zone opened once for many conversions, by one thread at a time; NULL when zone is not an
 * IANA zone. tz_offset: the seconds to add to the Unix time utc for the wall-clock time in the
 * zone at that instant (28800 in Asia/Shanghai). */
struct tz_zone;
struct tz_zone *tz_open(const char *zone);
int tz_offset(struct tz_zone *zone, int64_t utc, int *seconds);
void tz_close(struct tz_zone *zone);

#endif
