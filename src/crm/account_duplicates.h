/* account_duplicates.h — the account rule of crm/duplicates: likely duplicate companies, as
 * they arrive from spreadsheets with one company written several ways. Evidence: the same
 * company name once case, width, simplified/traditional, punctuation, spaces and the legal form
 * are ignored ("华为技术有限公司" = "華為技術" = "华为技术", "Acme Corp." = "ACME Corporation"),
 * the same name in pinyin and in characters ("华为技术" = "Huawei Jishu"), a similar Latin name,
 * one name a short form of the other, and the same website domain. Only the same normalised name
 * reaches DUPLICATES_THRESHOLD alone; anything weaker needs the same domain. Accounts have no
 * phone or address fields, so neither counts. Callers use duplicates.h with &account_kind;
 * these are its building blocks. */
#ifndef GX_CRM_ACCOUNT_DUPLICATES_H
#define GX_CRM_ACCOUNT_DUPLICATES_H

#include <jansson.h>

#include "crm/duplicates.h"

/* The normalised company name: folded (base/text.h text_fold), legal-form suffixes dropped from
 * the end (有限公司, 股份有限公司, 有限责任公司, 集团, 公司; Co., Ltd., Limited, Inc., Corp.,
 * Corporation, LLC, LLP, GmbH, Company, Group, Pte, PLC), spaces and punctuation ignored.
 * A name that is nothing but a legal form keeps it. "" when name has no letters or digits.
 * Caller frees; NULL when name is NULL or not UTF-8. */
char *account_duplicates_name(const char *name);

/* The website's domain, lower case, without scheme, "www.", port and path:
 * "https://WWW.Huawei.com/cn/" -> "huawei.com". "" when there is none (no dot). Caller frees;
 * NULL when website is NULL. */
char *account_duplicates_domain(const char *website);

/* Score 0..100 of two accounts in their API form ("name", "website") and the reasons
 * [{"code", "points", "text"}] (reasons may be NULL). */
int account_duplicates_compare(const json_t *a, const json_t *b, json_t **reasons);

/* For duplicates_scan: rescans every account and replaces the open account pairs. Blocks on the
 * normalised name and the domain, the two pieces of evidence every candidate shares with its
 * other half. Fills stats except seconds. */
int account_duplicates_scan(struct crm_ctx *ctx, struct duplicates_scan_stats *stats,
                            struct gx_error *err);

/* For duplicates_check: adds to ids ({"<id>": true}) the visible accounts found by the search
 * index for the account's normalised name, its pinyin and its domain. */
int account_duplicates_candidates(struct crm_ctx *ctx, const json_t *account, json_t *ids,
                                  struct gx_error *err);

#endif
