/* sessions.h — signing in and proving who you are: sessions from a password (browser, CLI),
 * long-lived API tokens for integrations (created by an admin, shown once), and login
 * throttling. Only a hash of each secret is stored. */
#ifndef GX_CRM_SESSIONS_H
#define GX_CRM_SESSIONS_H

#include <jansson.h>

#include "crm/access.h"

#define SESSION_TOKEN_MAX 64 /* base64url of 32 random bytes, NUL included */
#define SESSION_SECONDS (7 * 24 * 3600)

/* Checks the password and opens a session: {"token", "user"}. Repeated failures for a username
 * or from a client are slowed, then refused with GX_ERATELIMITED (*retry_after seconds). */
int sessions_login(struct crm_ctx *ctx, const json_t *body, const char *client, json_t **out,
                   int *retry_after, struct gx_error *err);
int sessions_logout(struct crm_ctx *ctx, const char *token, struct gx_error *err);
/* The actor a session or API token stands for; GX_EUNAUTHORIZED when unknown or expired. */
int sessions_authenticate(struct store *store, const char *token, struct actor *actor,
                          struct gx_error *err);

/* API tokens (admin): body {"name", "user_id" (default: the admin), "expires_at" (optional)}
 * -> the token record with "token" (the secret, shown this once). */
int tokens_create(struct crm_ctx *ctx, const json_t *body, json_t **out, struct gx_error *err);
int tokens_list(struct crm_ctx *ctx, json_t **out, struct gx_error *err);
int tokens_delete(struct crm_ctx *ctx, int64_t id, struct gx_error *err);

/* Forgets all throttling state (tests, and the CLI between commands). */
void sessions_reset_throttle(void);

#endif
