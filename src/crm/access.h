/* access.h — who acts (struct actor), what each role may do, and which records they may see.
 * API.md: `sales` users see and change their own and their team's records only, and a record they
 * may not see reads as not found. Every domain call carries a struct crm_ctx. */
#ifndef GX_CRM_ACCESS_H
#define GX_CRM_ACCESS_H

#include <stdint.h>

#include "base/config.h"
#include "store/store.h"

enum role { ROLE_ADMIN, ROLE_MANAGER, ROLE_SALES, ROLE_SERVICE, ROLE_MARKETING, ROLE_FINANCE };

struct actor {
	int64_t user_id; /* 0 for the system itself (CLI maintenance, demo data) */
	enum role role;
	char username[64];
	char team[64]; /* "" when the user has no team */
	int api_token; /* 1 when authenticated by an API (integration) token, not a session */
};

/* What every domain function needs: this thread's store connection, the settings, who acts. */
struct crm_ctx {
	struct store *store;
	const struct config *config;
	struct actor actor;
};

/* The system actor: an admin with user id 0, for the CLI's maintenance commands. */
struct actor access_system_actor(void);

int access_role_parse(const char *name, enum role *role);
const char *access_role_name(enum role role);

/* Record kinds as permissions see them. */
enum access_kind {
	ACCESS_ACCOUNT,
	ACCESS_CONTACT,
	ACCESS_INTERACTION,
	ACCESS_ORDER,
	ACCESS_RELATIONSHIP, /* between two customers: visible when both ends are */
};

/* 1 when the role may create, change or delete records of this kind at all (visibility still
 * applies per record). */
int access_can_write(const struct actor *actor, enum access_kind kind);
/* 1 when only records owned by the actor's team are visible to this actor. */
int access_team_limited(const struct actor *actor);
/* 1 for roles that administer users and tokens. */
int access_is_admin(const struct actor *actor);

#endif
