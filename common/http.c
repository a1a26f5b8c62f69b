/* http.c - evhttp server with prefix routing, JSON replies and errors, /healthz and /metrics. */
#include "common/http.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <event2/buffer.h>
#include <sys/queue.h>
#include <event2/keyvalq_struct.h>

#include "common/json.h"
#include "common/log.h"

#define SB_HTTP_MAX_ROUTES 96

typedef struct sb_route {
    enum evhttp_cmd_type method;
    char                 prefix[128];
    size_t               prefix_len;
    int                  subtree;      /* prefix ends in '/' */
    sb_http_handler      fn;
    void                *ctx;
} sb_route;

struct sb_http {
    struct evhttp      *http;
    int                 port;
    sb_metrics         *metrics;
    sb_http_health_fn   health;
    void               *health_ctx;
    sb_route            routes[SB_HTTP_MAX_ROUTES];
    size_t              nroutes;
};

/* "GET" -> EVHTTP_REQ_GET; 0 when unknown. */
static enum evhttp_cmd_type method_parse(const char *m)
{
    static const struct { const char *name; enum evhttp_cmd_type t; } tbl[] = {
        {"GET", EVHTTP_REQ_GET}, {"POST", EVHTTP_REQ_POST}, {"PUT", EVHTTP_REQ_PUT},
        {"DELETE", EVHTTP_REQ_DELETE}, {"PATCH", EVHTTP_REQ_PATCH}, {"HEAD", EVHTTP_REQ_HEAD},
    };
    for (size_t i = 0; i < sizeof(tbl) / sizeof(tbl[0]); i++)
        if (strcmp(tbl[i].name, m) == 0)
            return tbl[i].t;
    return 0;
}

/* Replies by status class; one HTTP server per process, so the counters are per process. */
static sb_counter *http_status_counters[6];

/* Count the reply by status class for /metrics. */
static void http_count(struct evhttp_request *req, int status)
{
    (void)req;
    int cls = status / 100;
    if (cls >= 1 && cls <= 5 && http_status_counters[cls])
        sb_counter_add(http_status_counters[cls], 1);
}

void sb_http_reply_text(struct evhttp_request *req, int status, const char *content_type,
                        const char *body, size_t len)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Content-Type", content_type);
    if (!evhttp_find_header(h, "Cache-Control"))   /* API answers are never cached */
        evhttp_add_header(h, "Cache-Control", "no-store");
    struct evbuffer *out = evbuffer_new();
    if (out && len)
        evbuffer_add(out, body, len);
    http_count(req, status);
    evhttp_send_reply(req, status, NULL, out);
    if (out)
        evbuffer_free(out);
}

void sb_http_reply_json(struct evhttp_request *req, int status, json_t *body)
{
    char *s = body ? sb_json_dump(body) : NULL;
    json_decref(body);
    if (!s) {
        static const char oom[] = "{\"error\":{\"code\":\"internal\",\"message\":\"cannot encode reply\",\"field\":\"\"}}";
        sb_http_reply_text(req, 500, "application/json", oom, sizeof(oom) - 1);
        return;
    }
    sb_http_reply_text(req, status, "application/json", s, strlen(s));
    free(s);
}

void sb_http_reply_error(struct evhttp_request *req, const sb_error *err)
{
    int status = err->status >= 400 && err->status <= 599 ? err->status : 500;
    json_t *body = json_pack("{s:{s:s, s:s, s:s}}", "error", "code",
                             err->code[0] ? err->code : "error", "message", err->message,
                             "field", err->field);
    sb_http_reply_json(req, status, body);
}

void sb_http_reply_errorf(struct evhttp_request *req, int status, const char *code,
                          const char *field, const char *fmt, ...)
{
    sb_error err;
    sb_error_set(&err, status, code, field, "%s", "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err.message, sizeof(err.message), fmt, ap);
    va_end(ap);
    sb_http_reply_error(req, &err);
}

char *sb_http_body_raw(struct evhttp_request *req, size_t max_len, size_t *len, sb_error *err)
{
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t n = evbuffer_get_length(in);
    if (n > max_len) {
        sb_error_set(err, 413, "body_too_large", "", "body is %zu bytes, the limit is %zu", n, max_len);
        return NULL;
    }
    char *buf = malloc(n + 1);
    if (!buf) {
        sb_error_set(err, 503, "overloaded", "", "out of memory");
        return NULL;
    }
    if (n)
        evbuffer_copyout(in, buf, n);
    buf[n] = '\0';
    *len = n;
    return buf;
}

json_t *sb_http_body_json(struct evhttp_request *req, size_t max_len, sb_error *err)
{
    const char *ct = evhttp_find_header(evhttp_request_get_input_headers(req), "Content-Type");
    if (ct && strncasecmp(ct, "application/json", 16) != 0) {
        sb_error_set(err, 415, "unsupported_media_type", "Content-Type",
                     "expected application/json");
        return NULL;
    }
    size_t n = 0;
    char *buf = sb_http_body_raw(req, max_len, &n, err);
    if (!buf)
        return NULL;
    json_t *v = sb_json_parse_object(buf, n, err);
    free(buf);
    return v;
}

const char *sb_http_bearer(struct evhttp_request *req)
{
    const char *a = evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization");
    if (!a || strncasecmp(a, "Bearer ", 7) != 0)
        return NULL;
    a += 7;
    while (*a == ' ')
        a++;
    return *a ? a : NULL;
}

int sb_http_query_param(struct evhttp_request *req, const char *name, char *out, size_t len)
{
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    const char *q = uri ? evhttp_uri_get_query(uri) : NULL;
    if (!q)
        return 0;
    struct evkeyvalq kv;
    TAILQ_INIT(&kv);
    if (evhttp_parse_query_str(q, &kv) != 0)
        return 0;
    const char *v = evhttp_find_header(&kv, name);
    int found = v != NULL;
    if (found)
        snprintf(out, len, "%s", v);
    evhttp_clear_headers(&kv);
    return found;
}

/* GET /healthz: 200 {"status":"ok",...} or 503 {"status":"unavailable",...}. */
static void health_handler(struct evhttp_request *req, const char *tail, void *ctx)
{
    (void)tail;
    sb_http *h = ctx;
    json_t *detail = json_object();
    int ok = h->health ? h->health(h->health_ctx, detail) : 1;
    json_object_set_new(detail, "status", json_string(ok ? "ok" : "unavailable"));
    sb_http_reply_json(req, ok ? 200 : 503, detail);
}

/* GET /metrics in Prometheus text format. */
static void metrics_handler(struct evhttp_request *req, const char *tail, void *ctx)
{
    (void)tail;
    sb_http *h = ctx;
    char *text = sb_metrics_render(h->metrics);
    if (!text) {
        sb_http_reply_errorf(req, 500, "internal", "", "cannot render metrics");
        return;
    }
    sb_http_reply_text(req, 200, "text/plain; version=0.0.4", text, strlen(text));
    free(text);
}

/* Does route r match path? */
static int route_matches(const sb_route *r, const char *path)
{
    if (r->subtree)
        return strncmp(path, r->prefix, r->prefix_len) == 0;
    return strcmp(path, r->prefix) == 0;
}

/* Every request: find the longest matching route, then check the method. */
static void http_dispatch(struct evhttp_request *req, void *arg)
{
    sb_http *h = arg;
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
    if (!path || !*path)
        path = "/";
    enum evhttp_cmd_type m = evhttp_request_get_command(req);
    const sb_route *best = NULL, *best_any = NULL;
    for (size_t i = 0; i < h->nroutes; i++) {
        const sb_route *r = &h->routes[i];
        if (!route_matches(r, path))
            continue;
        if (!best_any || r->prefix_len > best_any->prefix_len)
            best_any = r;
        if (r->method == m && (!best || r->prefix_len > best->prefix_len))
            best = r;
    }
    if (best) {
        best->fn(req, path + best->prefix_len, best->ctx);
        return;
    }
    if (best_any)
        sb_http_reply_errorf(req, 405, "method_not_allowed", "", "method not allowed on %s", path);
    else
        sb_http_reply_errorf(req, 404, "not_found", "", "no such resource");
}

sb_http *sb_http_new(struct event_base *base, const char *host, int port, size_t max_body,
                     sb_metrics *metrics, sb_error *err)
{
    sb_http *h = calloc(1, sizeof(*h));
    if (!h || !(h->http = evhttp_new(base))) {
        free(h);
        sb_error_set(err, 500, "http", "", "cannot create HTTP server");
        return NULL;
    }
    h->metrics = metrics;
    struct evhttp_bound_socket *sock = evhttp_bind_socket_with_handle(h->http, host, (ev_uint16_t)port);
    if (!sock) {
        evhttp_free(h->http);
        free(h);
        sb_error_set(err, 500, "http", "SB_HTTP_ADDR", "cannot listen on %s:%d", host, port);
        return NULL;
    }
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    evutil_socket_t fd = evhttp_bound_socket_get_fd(sock);
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0 && ss.ss_family == AF_INET)
        h->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
    else
        h->port = port;
    /* libevent answers bodies over its limit with its own HTML page; keeping its limit above
     * ours lets the handlers' checks answer an oversize body with our JSON 413, while libevent
     * still caps what a client can make us buffer. */
    evhttp_set_max_body_size(h->http, (ev_ssize_t)(max_body * 4));
    evhttp_set_timeout(h->http, 60);
    evhttp_set_allowed_methods(h->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
                                            EVHTTP_REQ_DELETE | EVHTTP_REQ_PATCH | EVHTTP_REQ_HEAD);
    evhttp_set_gencb(h->http, http_dispatch, h);
    for (int cls = 1; cls <= 5; cls++) {
        char labels[32];
        snprintf(labels, sizeof(labels), "code=\"%dxx\"", cls);
        http_status_counters[cls] = sb_metrics_counter(metrics, "http_responses", "HTTP responses by status class", labels);
    }
    sb_http_route(h, "GET", "/healthz", health_handler, h);
    sb_http_route(h, "GET", "/metrics", metrics_handler, h);
    return h;
}

void sb_http_free(sb_http *h)
{
    if (!h)
        return;
    memset(http_status_counters, 0, sizeof(http_status_counters));
    evhttp_free(h->http);
    free(h);
}

int sb_http_port(const sb_http *h) { return h->port; }

void sb_http_set_health(sb_http *h, sb_http_health_fn fn, void *ctx)
{
    h->health = fn;
    h->health_ctx = ctx;
}

int sb_http_route(sb_http *h, const char *method, const char *prefix, sb_http_handler fn, void *ctx)
{
    enum evhttp_cmd_type m = method_parse(method);
    size_t n = strlen(prefix);
    if (!m || h->nroutes >= SB_HTTP_MAX_ROUTES || n == 0 || n >= sizeof(h->routes[0].prefix)) {
        sb_error("http_route", "cannot add route %s %s", method, prefix);
        return -1;
    }
    sb_route *r = &h->routes[h->nroutes++];
    r->method = m;
    memcpy(r->prefix, prefix, n + 1);
    r->prefix_len = n;
    r->subtree = prefix[n - 1] == '/';
    r->fn = fn;
    r->ctx = ctx;
    return 0;
}
