/* phone.cc — the C API of base/phone.h over libphonenumber, the reference for E.164 parsing,
 * validation and formatting (its metadata covers every region's trunk prefixes, international
 * prefixes and number lengths; we do not maintain our own). It is C++ only because the library
 * is: this is the one C++ file in Guanxi. Nothing C++ crosses the boundary: every function is
 * extern "C", catches every exception and copies results into caller-owned buffers.
 *
 * Thread safety: Debian's libphonenumber is built without Boost, so on Linux
 * PhoneNumberUtil::GetInstance() creates the singleton under pthread_once and the library's
 * regexp cache is guarded by a pthread mutex (base/memory/singleton_posix.h,
 * base/synchronization/lock_posix.h, regexp_cache.h); the methods used here are const.
 * SetLogger is the one unsynchronised mutation, so it runs once, inside a function-local
 * static initialiser (thread-safe since C++11). */

/* UBSan's vptr check is the one check whose runtime lives in clang's C++ sanitizer library,
 * which clang links only when clang++ drives the link. Guanxi links with the C compiler, so the
 * check is off in this file (libphonenumber is not instrumented anyway); every other check
 * stays on. */
#if defined(__clang__)
#pragma clang attribute push(__attribute__((no_sanitize("vptr"))), apply_to = function)
#endif

#include <cstring>
#include <string>

#include <phonenumbers/logger.h>
#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>

extern "C" {
#include "base/error.h"
#include "base/phone.h"
#include "base/phone_internal.h"
}

using i18n::phonenumbers::NullLogger;
using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

namespace
{

/* libphonenumber refuses longer input itself (kMaxInputStringLength); refusing it before the
 * copy bounds the work one hostile form field can cause. */
constexpr size_t phone_typed_max = 250;

/* Extension markers written in Chinese, unknown to libphonenumber ("010-65529988转123" would
 * not parse). The extension is dropped anyway, so the text is cut at the marker. */
const char *const phone_extension_markers[] = {
    "\xe8\xbd\xac",             /* 转 */
    "\xe8\xbd\x89",             /* 轉 */
    "\xe5\x88\x86\xe6\x9c\xba", /* 分机 */
    "\xe5\x88\x86\xe6\xa9\x9f", /* 分機 */
};

/* The singleton, with its logger replaced by a silent one before first use: parse errors on
 * user input are expected, and some builds of the library print them. */
const PhoneNumberUtil &phone_util()
{
	static const PhoneNumberUtil *const util = [] {
		PhoneNumberUtil *instance = PhoneNumberUtil::GetInstance();
		instance->SetLogger(new NullLogger()); /* owned by the singleton from here on */
		return instance;
	}();
	return *util;
}

/* "cn" and "CN" both name China; NULL or "" means no default region ("ZZ" to the library), so
 * only numbers written with a country code parse. */
bool phone_region(const char *region, std::string *code)
{
	if (!region || region[0] == '\0') {
		*code = "ZZ";
		return true;
	}
	code->clear();
	for (size_t i = 0; i < 2; i++) {
		char c = region[i];
		if (c >= 'a' && c <= 'z')
			c = static_cast<char>(c - 'a' + 'A');
		if (c < 'A' || c > 'Z')
			return false;
		code->push_back(c);
	}
	return region[2] == '\0';
}

/* A stored number must normalise to itself, or the same number typed later, or a caller ID,
 * would not match it. A few readings break that: in TW, "00345 6389" keeps its trunk '0' as
 * +88603456389, which reads back as +8863456389. Such a number is refused. */
bool phone_is_fixed_point(const PhoneNumberUtil &util, const std::string &e164)
{
	PhoneNumber again;
	if (util.Parse(e164, "ZZ", &again) != PhoneNumberUtil::NO_PARSING_ERROR)
		return false;
	if (util.IsPossibleNumberWithReason(again) != PhoneNumberUtil::IS_POSSIBLE)
		return false;
	std::string e164_again;
	util.Format(again, PhoneNumberUtil::E164, &e164_again);
	return e164_again == e164;
}

/* 0, *number and *e164 when typed reads as a possible complete number. A number possible only
 * as a local number (dialled without its area code) is refused: we cannot know its area. */
int phone_parse(const char *typed, const char *default_region, PhoneNumber *number,
                std::string *e164)
{
	std::string region;
	if (!typed || !phone_region(default_region, &region))
		return GX_EVALIDATION;
	size_t length = strnlen(typed, phone_typed_max + 1);
	if (length > phone_typed_max)
		return GX_EVALIDATION;
	std::string text(typed, length);
	for (const char *marker : phone_extension_markers) {
		size_t at = text.find(marker);
		if (at != std::string::npos)
			text.resize(at);
	}
	const PhoneNumberUtil &util = phone_util();
	if (util.Parse(text, region, number) != PhoneNumberUtil::NO_PARSING_ERROR)
		return GX_EVALIDATION;
	if (util.IsPossibleNumberWithReason(*number) != PhoneNumberUtil::IS_POSSIBLE)
		return GX_EVALIDATION;
	util.Format(*number, PhoneNumberUtil::E164, e164);
	if (!phone_is_fixed_point(util, *e164))
		return GX_EVALIDATION;
	return 0;
}

/* Returns code, leaving out as "" so a caller that ignores the code prints nothing stale. */
int phone_fail(char *out, size_t out_size, int code)
{
	if (out && out_size > 0)
		out[0] = '\0';
	return code;
}

int phone_copy_out(const std::string &text, char *out, size_t out_size)
{
	if (!out || text.size() >= out_size)
		return phone_fail(out, out_size, GX_EVALIDATION);
	memcpy(out, text.data(), text.size());
	out[text.size()] = '\0';
	return 0;
}

/* '+' then 1 to 20 ASCII digits, nothing else: the form phone_to_e164 writes. */
bool phone_is_e164(const char *text)
{
	if (!text || text[0] != '+')
		return false;
	size_t digits = 0;
	for (const char *p = text + 1; *p; p++) {
		if (*p < '0' || *p > '9' || ++digits > PHONE_E164_MAX - 2)
			return false;
	}
	return digits > 0;
}

} // namespace

extern "C" int phone_to_e164_reference(const char *typed, const char *default_region, char *out,
                                       size_t out_size)
{
	try {
		PhoneNumber number;
		std::string e164;
		int rc = phone_parse(typed, default_region, &number, &e164);
		if (rc != 0)
			return phone_fail(out, out_size, rc);
		return phone_copy_out(e164, out, out_size);
	} catch (...) {
		return phone_fail(out, out_size, GX_EINTERNAL);
	}
}

/* Chinese mobiles, most numbers of an import, skip the library (phone_fast.c): its parse costs
 * ~125,000 instructions and the fixed-point check needs a second one. */
extern "C" int phone_to_e164(const char *typed, const char *default_region, char *out,
                             size_t out_size)
{
	char fast[PHONE_E164_MAX];
	if (phone_fast_e164(typed, default_region, fast)) {
		size_t length = strlen(fast);
		if (!out || length >= out_size)
			return phone_fail(out, out_size, GX_EVALIDATION);
		memcpy(out, fast, length + 1);
		return 0;
	}
	return phone_to_e164_reference(typed, default_region, out, out_size);
}

extern "C" int phone_is_valid(const char *typed, const char *default_region)
{
	try {
		PhoneNumber number;
		std::string e164;
		if (phone_parse(typed, default_region, &number, &e164) != 0)
			return 0;
		return phone_util().IsValidNumber(number) ? 1 : 0;
	} catch (...) {
		return 0;
	}
}

extern "C" int phone_format_national(const char *e164, char *out, size_t out_size)
{
	try {
		if (!phone_is_e164(e164))
			return phone_fail(out, out_size, GX_EVALIDATION);
		PhoneNumber number;
		const PhoneNumberUtil &util = phone_util();
		if (util.Parse(e164, "ZZ", &number) != PhoneNumberUtil::NO_PARSING_ERROR)
			return phone_fail(out, out_size, GX_EVALIDATION);
		std::string national;
		util.Format(number, PhoneNumberUtil::NATIONAL, &national);
		return phone_copy_out(national, out, out_size);
	} catch (...) {
		return phone_fail(out, out_size, GX_EINTERNAL);
	}
}

#if defined(__clang__)
#pragma clang attribute pop
#endif
