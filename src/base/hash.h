/* hash.h — 64-bit hashes of short keys for in-memory sets and blocking (never stored, so the
 * function may change): FNV-1a over the bytes, then splitmix64's finaliser to spread them.
 * 0 is never returned, so callers can use it for "absent". */
#ifndef GX_HASH_H
#define GX_HASH_H

#include <stddef.h>
#include <stdint.h>

#define HASH_SEED 0xcbf29ce484222325ULL

static inline uint64_t hash_byte(uint64_t h, unsigned char c)
{
	return (h ^ c) * 0x100000001b3ULL;
}

static inline uint64_t hash_mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x ? x : 1;
}

static inline uint64_t hash_bytes(const char *s, size_t len)
{
	uint64_t h = HASH_SEED;
	for (size_t i = 0; i < len; i++)
		h = hash_byte(h, (unsigned char)s[i]);
	return hash_mix(h);
}

#endif
