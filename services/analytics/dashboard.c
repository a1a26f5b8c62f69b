/* dashboard.c - GET /dashboard: a self-contained page (inline CSS, JS drawing SVG charts, no CDN). */
#include "services/analytics/analytics.h"

#include <event2/http.h>

#include "common/http.h"

/* The page (dashboard.html, embedded at build time as analytics_dashboard_html[]) holds no
 * data: it asks for a supervisor token once (kept in localStorage) and fetches the overview,
 * the time series and the anomalies with it every 3 s, so the page itself needs no auth. */
#include "dashboard_html.h"

/* GET /dashboard */
static void analytics_dashboard(struct evhttp_request *req, const char *tail, void *ctx)
{
    (void)tail;
    (void)ctx;
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
    evhttp_add_header(h, "Content-Security-Policy",
                      "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline';"
                      " connect-src 'self'; form-action 'none'; frame-ancestors 'none'");
    sb_http_reply_text(req, 200, "text/html; charset=utf-8", analytics_dashboard_html,
                       sizeof(analytics_dashboard_html) - 1);
}

int analytics_dashboard_routes(sb_service *s)
{
    return sb_http_route(s->http, "GET", "/dashboard", analytics_dashboard, NULL);
}
