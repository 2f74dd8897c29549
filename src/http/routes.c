/* routes.c — the endpoint table (documented in docs/api.md). */
#include "http/routes.h"

#include "crm/records.h"

#define RECORD_ROUTES(plural, kind, create)                                                        \
	{"GET", "/api/v1/" plural, h_list, &kind, 0},                                              \
	    {"POST", "/api/v1/" plural, create, &kind, 0},                                         \
	    {"GET", "/api/v1/" plural "/{id}", h_get, &kind, 0},                                   \
	    {"PATCH", "/api/v1/" plural "/{id}", h_update, &kind, 0},                              \
	{                                                                                          \
		"DELETE", "/api/v1/" plural "/{id}", h_delete, &kind, 0                            \
	}

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
    {"GET", "/api/v1/duplicates", h_duplicates_list, NULL, 0},
    {"POST", "/api/v1/duplicates/scan", h_duplicates_scan, NULL, 0},
    {"GET", "/api/v1/duplicates/check", h_duplicates_check, NULL, 0},
    {"POST", "/api/v1/duplicates/dismiss", h_duplicates_dismiss, NULL, 0},
    {"POST", "/api/v1/contacts/merge", h_merge, &contact_kind, 0},
    {"POST", "/api/v1/accounts/merge", h_merge, &account_kind, 0},
    {"POST", "/api/v1/merges/{id}/undo", h_merge_undo, NULL, 0},
    {"GET", "/api/v1/quality", h_quality, NULL, 0},
    {"GET", "/api/v1/contacts/{id}/export", h_privacy_export, NULL, 0},
    {"POST", "/api/v1/contacts/{id}/erase", h_privacy_erase, NULL, 0},
    {"POST", "/api/v1/cti/calls", h_cti_call, NULL, 0},
    {"GET", "/api/v1/events", h_events, NULL, 0},
    {"GET", "/api/v1/presence", h_presence_get, NULL, 0},
    {"PUT", "/api/v1/presence", h_presence_set, NULL, 0},
    {"POST", "/api/v1/presence", h_presence_set, NULL, 0},
    {"GET", "/api/v1/agents", h_agents, NULL, 0},
    {"PATCH", "/api/v1/agents/{id}", h_agent_update, NULL, 0},
    RECORD_ROUTES("relationships", relationship_kind, h_create),
    {"GET", "/api/v1/contacts/{id}/relationships", h_customer_relationships, "contact", 0},
    {"GET", "/api/v1/accounts/{id}/relationships", h_customer_relationships, "account", 0},
    {"GET", "/api/v1/accounts/{id}/orgchart", h_orgchart, NULL, 0},
    {"GET", "/api/v1/contacts/{id}/positions", h_contact_positions, NULL, 0},
    {"GET", "/api/v1/accounts/{id}/positions", h_account_positions, NULL, 0},
    {"GET", "/api/v1/contacts/{id}/network", h_network, "contact", 0},
    {"GET", "/api/v1/accounts/{id}/network", h_network, "account", 0},
    {"GET", "/api/v1/paths", h_paths, NULL, 0},
    {"GET", "/api/v1/insights/uncontacted-decision-makers", h_uncontacted_decision_makers, NULL, 0},
    {"GET", "/api/v1/referrals", h_referrals, NULL, 0},
    {"POST", "/api/v1/imports", h_imports_create, NULL, 0},
    {"POST", "/api/v1/imports/preview", h_imports_preview, NULL, 0},
    {"GET", "/api/v1/imports/{id}", h_imports_get, NULL, 0},
    {"POST", "/api/v1/imports/{id}/cancel", h_imports_cancel, NULL, 0},
    {"GET", "/api/v1/import-mappings", h_import_mappings_list, NULL, 0},
    {"POST", "/api/v1/import-mappings", h_import_mappings_save, NULL, 0},
    {"DELETE", "/api/v1/import-mappings/{id}", h_import_mappings_delete, NULL, 0},
    {"GET", "/api/v1/exports/contacts", h_export, &contact_kind, 0},
    {"GET", "/api/v1/exports/accounts", h_export, &account_kind, 0},
    {"GET", "/api/v1/exports/interactions", h_export, &interaction_kind, 0},
    {"GET", "/api/v1/exports/orders", h_export, &order_kind, 0},
    {NULL, NULL, NULL, NULL, 0},
};
