/* search.h — the one search box: accounts and contacts by any substring of name, company, email,
 * phone or tag, in any script, case, width, simplified or traditional, or by pinyin.
 * A record's searchable text is one folded document (text_fold pieces joined by '|', which a
 * folded needle never contains, so no match spans two fields). The store indexes the documents. */
#ifndef GX_CRM_SEARCH_H
#define GX_CRM_SEARCH_H

#include <jansson.h>

#include "base/buf.h"
#include "crm/access.h"

/* Document pieces. Each appends '|' and the folded piece(s); text that does not fold to
 * anything (or is NULL) adds nothing. */
void search_doc_add_text(struct buf *doc, const char *text);
/* The folded name, its full pinyin and its initials (张伟 -> 张伟|zhangwei|zw). */
void search_doc_add_name(struct buf *doc, const char *name);
/* The number as typed (folded) and its E.164 digits without '+' (so 138..., +86 138... and
 * 0086 138... all find it through search_run's phone needle). */
void search_doc_add_phone(struct buf *doc, const char *typed, const char *e164);

/* The documents of one record from its API representation: a contact (name, phones, emails,
 * tags) with its account's name, or an account (name, website, tags). */
char *search_contact_doc(const json_t *contact, const char *account_name);
char *search_account_doc(const json_t *account);

/* Writes the current document of contact/account id (reads the record), in the caller's
 * transaction. */
int search_index_contact(struct crm_ctx *ctx, int64_t id, struct gx_error *err);
int search_index_account(struct crm_ctx *ctx, int64_t id, struct gx_error *err);

/* The folded needles for a query: the folded text, plus the E.164 digits when the query reads
 * as a phone number. Returns how many (0 when q folds to nothing); free with search_needles_free.
 */
int search_needles(const char *q, const char *region, char *needles[2]);
void search_needles_free(char *needles[2]);

/* GET /search: {"data":[{"kind":"contact"|"account", "id", "name", ...}]} visible to the actor,
 * at most limit of each kind. */
int search_run(struct crm_ctx *ctx, const char *q, int limit, json_t **out, struct gx_error *err);

#endif
