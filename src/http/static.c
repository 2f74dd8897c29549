/* static.c — the browser app's files from web/: safe paths only, correct content types, long
 * caching for content-hashed assets, and index.html for the app's own routes. */
#include <fcntl.h>
#include <microhttpd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http/http.h"

static const char *content_type(const char *path)
{
	static const char *const types[][2] = {
	    {".html", "text/html; charset=utf-8"},
	    {".js", "text/javascript; charset=utf-8"},
	    {".mjs", "text/javascript; charset=utf-8"},
	    {".css", "text/css; charset=utf-8"},
	    {".json", "application/json; charset=utf-8"},
	    {".svg", "image/svg+xml"},
	    {".png", "image/png"},
	    {".ico", "image/x-icon"},
	    {".woff2", "font/woff2"},
	    {".txt", "text/plain; charset=utf-8"},
	};
	const char *dot = strrchr(path, '.');
	for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
		if (strcmp(dot, types[i][0]) == 0)
			return types[i][1];
	return "application/octet-stream";
}

/* Only plain names below web/: no "..", no hidden files, no backslashes or control bytes. */
static int safe_path(const char *path)
{
	if (path[0] != '/' || strlen(path) > 512)
		return 0;
	for (const char *p = path; *p; p++) {
		if ((unsigned char)*p < 0x20 || *p == '\\')
			return 0;
		if (p[0] == '/' && p[1] == '.')
			return 0;
	}
	return 1;
}

/* Built assets carry a content hash in their name (app.3f2a9c1b.js) and never change. */
static int hashed(const char *path)
{
	const char *base = strrchr(path, '/');
	const char *dot = base ? strchr(base, '.') : NULL;
	size_t hex = 0;
	if (dot)
		for (const char *p = dot + 1; (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f');
		     p++)
			hex++;
	return hex >= 8;
}

static int reply_text(struct MHD_Connection *connection, unsigned status, const char *text)
{
	struct MHD_Response *response =
	    MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
	if (!response)
		return MHD_NO;
	MHD_add_response_header(response, "Content-Type", "text/plain; charset=utf-8");
	http_security_headers(response);
	int ret = MHD_queue_response(connection, status, response);
	MHD_destroy_response(response);
	return ret;
}

static int open_file(const struct config *config, const char *path, struct stat *st)
{
	char full[1600];
	int n = snprintf(full, sizeof full, "%s%s", config->web_dir, path);
	if (n < 0 || (size_t)n >= sizeof full)
		return -1;
	int fd = open(full, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0 && (fstat(fd, st) < 0 || !S_ISREG(st->st_mode))) {
		close(fd);
		fd = -1;
	}
	return fd;
}

int static_serve(struct MHD_Connection *connection, const struct config *config, const char *method,
                 const char *path)
{
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return reply_text(connection, 405, "method not allowed\n");
	if (!safe_path(path))
		return reply_text(connection, 400, "bad path\n");
	if (strcmp(path, "/") == 0)
		path = "/index.html";
	struct stat st;
	int fd = open_file(config, path, &st);
	/* A path without an extension is one of the app's own routes (/contacts/42). */
	if (fd < 0 && !strchr(strrchr(path, '/'), '.')) {
		path = "/index.html";
		fd = open_file(config, path, &st);
	}
	if (fd < 0)
		return reply_text(connection, 404, "not found\n");
	struct MHD_Response *response = MHD_create_response_from_fd((uint64_t)st.st_size, fd);
	if (!response) {
		close(fd);
		return MHD_NO;
	}
	MHD_add_response_header(response, "Content-Type", content_type(path));
	MHD_add_response_header(response, "Cache-Control",
	                        hashed(path) ? "public, max-age=31536000, immutable" : "no-cache");
	http_security_headers(response);
	int ret = MHD_queue_response(connection, MHD_HTTP_OK, response);
	MHD_destroy_response(response);
	return ret;
}
