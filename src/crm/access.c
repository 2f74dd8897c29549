/* access.c — role names and the permission table. Visibility SQL lives in sql.c, next to the
 * query builder that splices it into every read. */
#include "crm/access.h"

#include <string.h>

static const char *const role_names[] = {
    [ROLE_ADMIN] = "admin",     [ROLE_MANAGER] = "manager",     [ROLE_SALES] = "sales",
    [ROLE_SERVICE] = "service", [ROLE_MARKETING] = "marketing", [ROLE_FINANCE] = "finance",
};

struct actor access_system_actor(void)
{
	struct actor actor = {.user_id = 0, .role = ROLE_ADMIN};
	memcpy(actor.username, "system", sizeof "system");
	return actor;
}

int access_role_parse(const char *name, enum role *role)
{
	for (size_t i = 0; i < sizeof role_names / sizeof role_names[0]; i++) {
		if (strcmp(name, role_names[i]) == 0) {
			*role = (enum role)i;
			return 0;
		}
	}
	return -1;
}

const char *access_role_name(enum role role)
{
	return role_names[role];
}

int access_can_write(const struct actor *actor, enum access_kind kind)
{
	/* Rows: roles; columns: account, contact, interaction, order, relationship. Finance books
	 * orders but does not edit customers (nor their relationships); service and marketing log
	 * contact but do not book orders. */
	static const unsigned char table[][5] = {
	    [ROLE_ADMIN] = {1, 1, 1, 1, 1},     [ROLE_MANAGER] = {1, 1, 1, 1, 1},
	    [ROLE_SALES] = {1, 1, 1, 1, 1},     [ROLE_SERVICE] = {1, 1, 1, 0, 1},
	    [ROLE_MARKETING] = {1, 1, 1, 0, 1}, [ROLE_FINANCE] = {0, 0, 0, 1, 0},
	};
	return table[actor->role][kind];
}

int access_team_limited(const struct actor *actor)
{
	return actor->role == ROLE_SALES;
}

int access_is_admin(const struct actor *actor)
{
	return actor->role == ROLE_ADMIN;
}
