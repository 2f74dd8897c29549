/* config.h — Guanxi's settings. Precedence: command-line flags, then GUANXI_* environment
 * variables, then an optional config file (key = value lines), then defaults; the defaults need
 * no file at all. */
#ifndef GX_CONFIG_H
#define GX_CONFIG_H

#include <stddef.h>

#include "base/error.h"

struct config {
	char listen[128];      /* host:port; GUANXI_LISTEN; default 127.0.0.1:8080 */
	char db[1024];         /* GUANXI_DB; default ./data/guanxi.db */
	char web_dir[1024];    /* static browser app; GUANXI_WEB_DIR; default ./web */
	char region[3];        /* default phone region; GUANXI_REGION; default CN */
	char currency[4];      /* default currency; GUANXI_CURRENCY; default CNY */
	char timezone[64];     /* IANA zone of imported times written without an offset;
	                        * GUANXI_TIMEZONE; default Asia/Shanghai (as region CN) */
	size_t max_body;       /* request body limit in bytes; GUANXI_MAX_BODY; default 8 MiB */
	int threads;           /* HTTP worker threads; GUANXI_THREADS; default: one per core */
	int demo_contacts;     /* demo contacts made for a new database; GUANXI_DEMO_CONTACTS */
	long long tier_gold;   /* lifetime revenue (minor units) for tier gold; GUANXI_TIER_GOLD */
	long long tier_silver; /* ... for tier silver; GUANXI_TIER_SILVER */
	char gold_team[64];    /* the team that answers gold customers' calls; GUANXI_GOLD_TEAM;
	                        * default "" (no gold line: the best available agent of all) */
};

void config_defaults(struct config *config);
/* Reads the file (if path is not NULL) and then the environment over the current values. */
int config_load(struct config *config, const char *path, struct gx_error *err);
/* Sets one key ("listen", "db", ...) from a flag or file; GX_EVALIDATION for unknown keys or bad
 * values. */
int config_set(struct config *config, const char *key, const char *value, struct gx_error *err);

#endif
