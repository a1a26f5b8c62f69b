/* main.c - sb-ingest: channel messages in over HTTP, normalised, out to sb.inbound.v1. */
#include <stdio.h>

#include "common/config.h"
#include "common/log.h"
#include "common/service.h"
#include "services/ingest/accept.h"
#include "services/ingest/credentials.h"
#include "services/ingest/marketplace.h"
#include "services/ingest/email.h"
#include "services/ingest/normalize.h"
#include "services/ingest/phone.h"
#include "services/ingest/recent.h"
#include "services/ingest/status.h"
#include "services/ingest/wechat_http.h"

/* How long shutdown waits for outstanding delivery reports before purging them. */
#define INGEST_DRAIN_MS 5000

/* Everything ingest adds to the shared service runtime. */
typedef struct ingest_app {
    ingest_credentials *creds;
    ingest_secrets  secrets;
    ingest_recent  *recent;
    ingest_accept  *accept;
    ingest_status  *status;
    ingest_wechat  *wechat;
} ingest_app;

/* Healthy while messages can be accepted: POST needs the broker path only, so PostgreSQL (used
 * by GET lookups alone) is reported but does not fail the check. */
static int ingest_health(void *ctx, json_t *detail)
{
    sb_service *s = ctx;
    int pg_ok = s->pg && PQstatus(sb_pg_conn(s->pg)) == CONNECTION_OK;
    json_object_set_new(detail, "service", json_string(s->cfg.service));
    json_object_set_new(detail, "postgres", json_string(pg_ok ? "ok" : "down"));
    json_object_set_new(detail, "in_flight",
                        json_integer((json_int_t)sb_producer_in_flight(s->producer)));
    return 1;
}

/* The door's settings: SB_INGEST_HIGH_WATER (messages in flight past which new ones get 503),
 * SB_INGEST_ACK_TIMEOUT_MS (a request unacknowledged this long gets 503; under the 5 s the
 * WeChat platform waits), SB_INGEST_CREDENTIALS_REFRESH_MS, SB_INGEST_SEED_RATE (messages/s of
 * the credentials seeded from the environment). 0, or -1 with err naming the variable. */
static int ingest_config(ingest_accept_limits *limits, long *recent_max, long *refresh_ms,
                         const char **seed_rate, sb_error *err)
{
    long high_water, ack_ms, rate;
    if (sb_config_int("SB_INGEST_RECENT_IDS", 1000000, 1, 16 * 1024 * 1024, recent_max, err) ||
        sb_config_int("SB_INGEST_HIGH_WATER", 100000, 1, 190000, &high_water, err) ||
        sb_config_int("SB_INGEST_ACK_TIMEOUT_MS", 4000, 100, 600000, &ack_ms, err) ||
        sb_config_int("SB_INGEST_CREDENTIALS_REFRESH_MS", 10000, 100, 3600000, refresh_ms, err) ||
        sb_config_int("SB_INGEST_SEED_RATE", 50000, 1, 10000000, &rate, err))
        return -1;
    static char rate_text[24];
    snprintf(rate_text, sizeof rate_text, "%ld", rate);
    *seed_rate = rate_text;
    limits->high_water = (size_t)high_water;
    limits->ack_timeout_ms = ack_ms;
    return 0;
}

/* Build the modules and route the endpoints. 0, or -1 after logging why. */
static int ingest_open(ingest_app *app, sb_service *s)
{
    sb_error err;
    long recent_max, refresh_ms;
    const char *seed_rate;
    ingest_accept_limits limits;
    sb_error_clear(&err);
    if (ingest_config(&limits, &recent_max, &refresh_ms, &seed_rate, &err) != 0 ||
        !(app->creds = ingest_credentials_open(s->base, s->cfg.pg_dsn, refresh_ms, seed_rate,
                                               &err))) {
        sb_error("config", "%s", err.message);
        return -1;
    }
    ingest_secrets_init(&app->secrets, s->cfg.customer_key_secret);
    app->recent = ingest_recent_new((size_t)recent_max);
    app->accept = app->recent ? ingest_accept_new(s->base, s->producer, s->metrics, app->creds,
                                                  &app->secrets, app->recent, &limits)
                              : NULL;
    app->status = ingest_status_new(s->base, s->pg, app->creds, app->recent);
    app->wechat = app->accept ? ingest_wechat_new(app->accept, s->metrics) : NULL;
    if (!app->recent || !app->accept || !app->status || !app->wechat) {
        sb_error("startup", "out of memory");
        return -1;
    }
    sb_http_set_health(s->http, ingest_health, s);
    ingest_email_init();
    if (sb_http_route(s->http, "POST", "/v1/messages", ingest_accept_handle, app->accept) != 0 ||
        sb_http_route(s->http, "GET", "/v1/messages/", ingest_status_handle, app->status) != 0 ||
        sb_http_route(s->http, "GET", "/v1/channels/wechat", ingest_wechat_handle_get,
                      app->wechat) != 0 ||
        sb_http_route(s->http, "POST", "/v1/channels/wechat", ingest_wechat_handle_post,
                      app->wechat) != 0 ||
        sb_http_route(s->http, "POST", "/v1/channels/phone", ingest_phone_handle,
                      app->accept) != 0 ||
        sb_http_route(s->http, "POST", "/v1/channels/marketplace/", ingest_marketplace_handle,
                      app->accept) != 0 ||
        sb_http_route(s->http, "POST", "/v1/channels/email", ingest_email_handle,
                      app->accept) != 0)
        return -1;
    return 0;
}

/* Answer or let go of every held request while the HTTP server still exists, then free. */
static void ingest_close(ingest_app *app, sb_service *s)
{
    if (app->accept) {
        ingest_accept_drain(app->accept, INGEST_DRAIN_MS);
        /* One pass of the loop writes the answers out; what arrives meanwhile is drained too
         * (answered 503, its client retries). */
        event_base_loop(s->base, EVLOOP_NONBLOCK);
        ingest_accept_drain(app->accept, 0);
    }
    ingest_wechat_free(app->wechat);
    ingest_status_free(app->status);
    ingest_accept_free(app->accept);
    ingest_recent_free(app->recent);
    ingest_credentials_free(app->creds);
    ingest_email_shutdown();
}

int main(void)
{
    sb_service s;
    ingest_app app = {0};
    int rc = 1;
    if (sb_service_init(&s, "ingest", "127.0.0.1:8081", SB_SVC_PG | SB_SVC_PRODUCER) == 0 &&
        ingest_open(&app, &s) == 0)
        rc = sb_service_run(&s) == 0 ? 0 : 1;
    ingest_close(&app, &s);
    sb_service_close(&s);
    return rc;
}
