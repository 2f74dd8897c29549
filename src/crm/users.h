/* users.h — the people who use Guanxi: roles, teams, passwords (argon2id, never stored or
 * shown in clear), locale. Admins manage users; everyone may read and change their own
 * display name, locale and password. */
#ifndef GX_CRM_USERS_H
#define GX_CRM_USERS_H

#include <jansson.h>

#include "crm/access.h"

/* body: {"username", "password", "role", "team", "display_name", "locale"}; admin only. */
int users_create(struct crm_ctx *ctx, const json_t *body, json_t **out, struct gx_error *err);
int users_list(struct crm_ctx *ctx, json_t **out, struct gx_error *err);
/* Who is who, for every signed-in user (owner names in lists): the active users' id, username,
 * role, team and display_name. */
int users_directory(struct crm_ctx *ctx, json_t **out, struct gx_error *err);
/* Admins read anyone; others themselves only (GX_ENOTFOUND otherwise). */
int users_get(struct crm_ctx *ctx, int64_t id, json_t **out, struct gx_error *err);
/* Admins change anything but the username; others their own display_name, locale, password. */
int users_update(struct crm_ctx *ctx, int64_t id, const json_t *body, json_t **out,
                 struct gx_error *err);
/* The actor from a row whose first four columns are users.id, username, role, team. */
void users_actor_row(struct store_stmt *stmt, struct actor *actor);
/* The acting identity of an active user. */
int users_actor(struct store *store, int64_t id, struct actor *actor, struct gx_error *err);
/* Verifies a password; GX_EUNAUTHORIZED for an unknown user, a wrong password or an inactive
 * account (alike, so the reply does not tell which). */
int users_check_password(struct store *store, const char *username, const char *password,
                         int64_t *id, struct gx_error *err);
int users_count(struct store *store, int64_t *count, struct gx_error *err);

#endif
