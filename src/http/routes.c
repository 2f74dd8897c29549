/* routes.c — the endpoint table (documented in docs/api.md). */
#include "http/routes.h"

#include "crm/records.h"

#define RECORD_ROUTES(plural, kind, create)                              \
	{"GET", "/api/v1/" plural, h_list, &kind, 0},                    \
		{"POST", "/api/v1/" plural, create, &kind, 0},           \
		{"GET", "/api/v1/" plural "/{id}", h_get, &kind, 0},     \
		{"PATCH", "/api/v1/" plural "/{id}", h_update, &kind, 0}, \
		{"DELETE", "/api/v1/" plural "/{id}", h_delete, &kind, 0}

const struct route routes[] = {
	{"GET", "/api/v1/health", h_health, NULL, 1},
	{"POST", "/api/v1/auth/login", h_login, NULL, 1},
	{"POST", "/api/v1/auth/logout", h_logout, NULL, 0},
	{"GET", "/api/v1/me", h_me, NULL, 0},
	{"PATCH", "/api/v1/me", h_me_update, NULL, 0},
	{"GET", "/api/v1/users", h_users_list, NULL, 0},
	{"POST", "/api/v1/users", h_users_create, NULL, 0},
	{"GET", "/api/v1/users/directory", h_users_directory, NULL, 0},
	{"GET", "/api/v1/users/{id}", h_users_get, NULL, 0},
	{"PATCH", "/api/v1/users/{id}", h_users_update, NULL, 0},
	{"GET", "/api/v1/tokens", h_tokens_list, NULL, 0},
	{"POST", "/api/v1/tokens", h_tokens_create, NULL, 0},
	{"DELETE", "/api/v1/tokens/{id}", h_tokens_delete, NULL, 0},
	{"POST", "/api/v1/orders/bulk", h_orders_bulk, NULL, 0},
	RECORD_ROUTES("accounts", account_kind, h_create),
	RECORD_ROUTES("contacts", contact_kind, h_create),
	RECORD_ROUTES("interactions", interaction_kind, h_create),
	RECORD_ROUTES("orders", order_kind, h_order_put),
	{"GET", "/api/v1/contacts/{id}/360", h_contact_360, NULL, 0},
	{"GET", "/api/v1/accounts/{id}/360", h_account_360, NULL, 0},
	{"GET", "/api/v1/lookup/phone", h_lookup_phone, NULL, 0},
	{"GET", "/api/v1/search", h_search, NULL, 0},
	{"GET", "/api/v1/audit", h_audit, NULL, 0},
	{NULL, NULL, NULL, NULL, 0},
};
