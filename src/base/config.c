/* config.c — defaults, config file, GUANXI_* environment and flags folded into one struct. */
#include "base/config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/tz.h"

void config_defaults(struct config *config)
{
	memset(config, 0, sizeof *config);
	snprintf(config->listen, sizeof config->listen, "127.0.0.1:8080");
	snprintf(config->db, sizeof config->db, "./data/guanxi.db");
	snprintf(config->web_dir, sizeof config->web_dir, "./web");
	snprintf(config->region, sizeof config->region, "CN");
	snprintf(config->currency, sizeof config->currency, "CNY");
	snprintf(config->timezone, sizeof config->timezone, "Asia/Shanghai");
	config->max_body = 8u << 20;
	/* Four HTTP workers per core: a worker also waits (page faults on the mapped database, a
	 * deferred reply's commit); see docs/decisions.md, HTTP server. */
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	config->threads = 4 * (cores > 0 ? (int)cores : 2);
	config->demo_contacts = 2000;
	config->tier_gold = 100000000;  /* 1,000,000.00 */
	config->tier_silver = 10000000; /* 100,000.00 */
}

static int parse_number(const char *value, long long min, long long max, long long *out)
{
	char *end = NULL;
	errno = 0;
	long long n = strtoll(value, &end, 10);
	if (errno || end == value || *end != '\0' || n < min || n > max)
		return -1;
	*out = n;
	return 0;
}

static int set_text(char *dest, size_t size, const char *value)
{
	if (strlen(value) >= size)
		return -1;
	memcpy(dest, value, strlen(value) + 1);
	return 0;
}

static int set_upper(char *dest, size_t size, const char *value)
{
	if (strlen(value) != size - 1)
		return -1;
	for (size_t i = 0; i + 1 < size; i++) /* check all before writing any */
		if (!isalpha((unsigned char)value[i]))
			return -1;
	for (size_t i = 0; i + 1 < size; i++)
		dest[i] = (char)toupper((unsigned char)value[i]);
	dest[size - 1] = '\0';
	return 0;
}

int config_set(struct config *config, const char *key, const char *value, struct gx_error *err)
{
	long long n = 0;
	int bad;
	if (strcmp(key, "listen") == 0)
		bad = set_text(config->listen, sizeof config->listen, value);
	else if (strcmp(key, "db") == 0)
		bad = set_text(config->db, sizeof config->db, value);
	else if (strcmp(key, "web_dir") == 0)
		bad = set_text(config->web_dir, sizeof config->web_dir, value);
	else if (strcmp(key, "region") == 0)
		bad = set_upper(config->region, sizeof config->region, value);
	else if (strcmp(key, "currency") == 0)
		bad = set_upper(config->currency, sizeof config->currency, value);
	else if (strcmp(key, "timezone") == 0)
		bad =
		    !tz_valid(value) || set_text(config->timezone, sizeof config->timezone, value);
	else if (strcmp(key, "max_body") == 0)
		bad = parse_number(value, 1024, 1LL << 30, &n) || (config->max_body = (size_t)n, 0);
	else if (strcmp(key, "threads") == 0)
		bad = parse_number(value, 1, 256, &n) || (config->threads = (int)n, 0);
	else if (strcmp(key, "demo_contacts") == 0)
		bad = parse_number(value, 0, 10000000, &n) || (config->demo_contacts = (int)n, 0);
	else if (strcmp(key, "tier_gold") == 0)
		bad = parse_number(value, 0, 1LL << 60, &config->tier_gold);
	else if (strcmp(key, "tier_silver") == 0)
		bad = parse_number(value, 0, 1LL << 60, &config->tier_silver);
	else if (strcmp(key, "gold_team") == 0)
		bad = set_text(config->gold_team, sizeof config->gold_team, value);
	else
		return gx_fail(err, GX_EVALIDATION, key, "unknown setting '%s'", key);
	if (bad)
		return gx_fail(err, GX_EVALIDATION, key, "bad value for %s: '%s'", key, value);
	return 0;
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

static int load_file(struct config *config, const char *path, struct gx_error *err)
{
	FILE *file = fopen(path, "r");
	if (!file)
		return gx_fail(err, GX_EVALIDATION, "config", "cannot read config file %s", path);
	char line[2048];
	int lineno = 0, rc = 0;
	while (rc == 0 && fgets(line, sizeof line, file)) {
		lineno++;
		char *text = trim(line);
		if (*text == '\0' || *text == '#')
			continue;
		char *eq = strchr(text, '=');
		if (!eq) {
			rc = gx_fail(err, GX_EVALIDATION, "config", "%s:%d: expected key = value",
			             path, lineno);
			break;
		}
		*eq = '\0';
		rc = config_set(config, trim(text), trim(eq + 1), err);
	}
	fclose(file);
	return rc;
}

int config_load(struct config *config, const char *path, struct gx_error *err)
{
	static const char *const keys[] = {"listen",    "db",          "web_dir",   "region",
	                                   "currency",  "max_body",    "threads",   "demo_contacts",
	                                   "tier_gold", "tier_silver", "gold_team", "timezone"};
	if (path && load_file(config, path, err) < 0)
		return GX_EVALIDATION;
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		char name[64] = "GUANXI_";
		for (size_t j = 0; keys[i][j] && j + 8 < sizeof name; j++)
			name[7 + j] = (char)toupper((unsigned char)keys[i][j]);
		const char *value = getenv(name);
		if (value && config_set(config, keys[i], value, err) < 0)
			return GX_EVALIDATION;
	}
	return 0;
}
