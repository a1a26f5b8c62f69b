/* console.c - GET /console: the web console agents and supervisors work in, served from the
 * files compiled into the binary (console.h), with a strict Content-Security-Policy. */
#include "services/desk/desk.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/hash.h"
#include "common/http.h"
#include "services/desk/console.h"

/* Scripts, styles and calls only from desk itself; no inline code, no frames, no forms posted
 * anywhere: injected markup could neither run nor send data away. */
#define CONSOLE_CSP                                                                           \
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self';"           \
    " img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

/* The media type a file name's extension stands for. */
static const char *console_type(const char *name)
{
    static const struct { const char *ext, *type; } types[] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".svg", "image/svg+xml"},
    };
    const char *dot = strrchr(name, '.');
    for (size_t i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
        if (strcmp(dot, types[i].ext) == 0)
            return types[i].type;
    return "application/octet-stream";
}

/* The asset called name, or NULL. */
static const desk_console_asset *console_find(const char *name)
{
    for (const desk_console_asset *a = desk_console_assets; a->name; a++)
        if (strcmp(a->name, name) == 0)
            return a;
    return NULL;
}

/* A strong validator of the asset's bytes (FNV-1a 64): a browser revalidates (no-cache) and
 * gets a 304 until sb-desk is rebuilt with other files, so a new console is never stale. */
static void console_etag(const desk_console_asset *a, char out[24])
{
    uint64_t h = sb_fnv1a(SB_FNV1A_OFFSET, a->data, a->len);
    snprintf(out, 24, "\"%016llx\"", (unsigned long long)h);
}

/* GET /console and /console/{file}: index.html for the folder itself. */
static void console_get(struct evhttp_request *req, const char *tail, void *ctx)
{
    (void)ctx;
    const desk_console_asset *a = console_find(tail && *tail ? tail : "index.html");
    if (!a) {
        sb_http_reply_errorf(req, 404, "not_found", "path", "no such console file");
        return;
    }
    char etag[24];
    console_etag(a, etag);
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Cache-Control", "no-cache");
    evhttp_add_header(h, "ETag", etag);
    evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
    evhttp_add_header(h, "Referrer-Policy", "no-referrer");
    evhttp_add_header(h, "Content-Security-Policy", CONSOLE_CSP);
    const char *seen = evhttp_find_header(evhttp_request_get_input_headers(req), "If-None-Match");
    if (seen && strcmp(seen, etag) == 0)
        sb_http_reply_text(req, 304, console_type(a->name), NULL, 0);
    else
        sb_http_reply_text(req, 200, console_type(a->name), (const char *)a->data, a->len);
}

int desk_console_routes(sb_service *s)
{
    if (sb_http_route(s->http, "GET", "/console", console_get, NULL) != 0)
        return -1;
    return sb_http_route(s->http, "GET", "/console/", console_get, NULL);
}
