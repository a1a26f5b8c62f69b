/* loadgen.c - keep-alive evhttp client connections posting messages, flat out or paced by a
 * token bucket, retrying 503s after Retry-After; counts every outcome. */
#include "tools/loadgen/loadgen.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "common/channel.h"
#include "common/ids.h"
#include "tools/loadgen/content.h"
#include "tools/loadgen/native.h"

#define LG_TICK_US         2000      /* token bucket refill period */
#define LG_ERROR_RETRY_MS  200       /* pause before resending after a transport error */
#define LG_RETRY_AFTER_MAX 30        /* seconds; a larger Retry-After is capped */

typedef enum { LG_IDLE, LG_WAITING, LG_BUSY, LG_RETRY } lg_state;

typedef struct lg_run lg_run;

/* One keep-alive connection with at most one message in hand. */
typedef struct lg_conn {
    lg_run                   *run;
    struct evhttp_connection *evcon;
    struct event             *ev_retry;
    lg_state                  state;
    uint64_t                  seq;        /* the message in hand */
    int                       attempts;   /* resends of it so far */
    int                       channel;    /* its channel (index) */
    char                      external_id[256];   /* native only: what ingest derives */
} lg_conn;

struct lg_run {
    const sb_loadgen_opts *o;
    sb_loadgen_result     *r;
    struct event_base     *base;
    struct event          *ev_tick;
    lg_conn               *conns;
    int                    nconns;
    lg_mix                 mix;
    const sb_channel      *channels;
    char                  *bearer[SB_LOADGEN_CHANNELS];   /* "Bearer <key>" */
    char                   host[256];
    int                    port;
    char                   hostport[300];
    char                   prefix[256];   /* the base URL's path, no trailing '/' */
    char                   path[512];     /* prefix + /v1/messages */
    uint64_t               salt;
    uint64_t               next_seq;
    uint64_t               finished;
    double                 tokens;
    int64_t                last_refill_us;
    int64_t                t0_us, t_end_us;
    FILE                  *out;
};

static char lg_default_run_id[64];

/* Monotonic microseconds. */
static int64_t lg_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void sb_loadgen_opts_init(sb_loadgen_opts *o)
{
    memset(o, 0, sizeof *o);
    o->url = "http://127.0.0.1:8081";
    o->messages = 1000;
    o->concurrency = 64;
    o->max_retries = 10;
    o->timeout_s = 60;
    o->mix = SB_LOADGEN_DEFAULT_MIX;
    snprintf(lg_default_run_id, sizeof lg_default_run_id, "lg-%ld-%d", (long)time(NULL),
             (int)getpid());
    o->run_id = lg_default_run_id;
}

int sb_loadgen_set_key(sb_loadgen_opts *o, const char *name, const char *key)
{
    int count;
    const sb_channel *all = sb_channel_all(&count);
    for (int i = 0; i < count && i < SB_LOADGEN_CHANNELS; i++) {
        if (strcmp(all[i].name, name) == 0) {
            o->keys[i] = key;
            return 0;
        }
    }
    return -1;
}

int sb_loadgen_keys_from_env(sb_loadgen_opts *o)
{
    int count, set = 0;
    const sb_channel *all = sb_channel_all(&count);
    for (int i = 0; i < count && i < SB_LOADGEN_CHANNELS; i++) {
        char var[64];
        int n = snprintf(var, sizeof var, "SB_CHANNEL_KEY_");
        for (const char *p = all[i].name; *p && n + 1 < (int)sizeof var; p++)
            var[n++] = (char)(*p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p);
        var[n] = '\0';
        const char *v = getenv(var);
        if (v && *v) {
            o->keys[i] = v;
            set++;
        }
    }
    const char *wx = getenv("SB_WECHAT_TOKEN"), *mp = getenv("SB_MARKETPLACE_SECRET");
    o->wechat_token = wx && *wx ? wx : o->wechat_token;
    o->marketplace_secret = mp && *mp ? mp : o->marketplace_secret;
    return set;
}

void sb_loadgen_print(const sb_loadgen_result *r, FILE *f)
{
    fprintf(f,
            "{\"sent\":%" PRIu64 ",\"accepted\":%" PRIu64 ",\"rejected\":%" PRIu64
            ",\"unavailable\":%" PRIu64 ",\"errors\":%" PRIu64 ",\"retries\":%" PRIu64
            ",\"elapsed_s\":%.3f,\"rps\":%.0f}\n",
            r->sent, r->accepted, r->rejected, r->unavailable, r->errors, r->retries,
            r->elapsed_s, r->rps);
}

/* Record why the run cannot start; returns -1. */
static int lg_fail(lg_run *run, const char *what)
{
    snprintf(run->r->error, sizeof run->r->error, "%s", what);
    return -1;
}

/* host, port and path prefix of the base URL. */
static int lg_parse_url(lg_run *run, const char *url)
{
    struct evhttp_uri *u = evhttp_uri_parse(url);
    const char *host = u ? evhttp_uri_get_host(u) : NULL;
    const char *scheme = u ? evhttp_uri_get_scheme(u) : NULL;
    int ok = host && *host && scheme && strcmp(scheme, "http") == 0 &&
             strlen(host) < sizeof run->host;
    if (ok) {
        const char *path = evhttp_uri_get_path(u);
        size_t plen = path ? strlen(path) : 0;
        while (plen > 0 && path[plen - 1] == '/')
            plen--;
        snprintf(run->host, sizeof run->host, "%s", host);
        run->port = evhttp_uri_get_port(u) > 0 ? evhttp_uri_get_port(u) : 80;
        snprintf(run->hostport, sizeof run->hostport, "%s:%d", host, run->port);
        snprintf(run->prefix, sizeof run->prefix, "%.*s", (int)plen, plen ? path : "");
        snprintf(run->path, sizeof run->path, "%s/v1/messages", run->prefix);
    }
    if (u)
        evhttp_uri_free(u);
    return ok ? 0 : lg_fail(run, "--url: expected http://host[:port][/prefix]");
}

/* Does message of channel i go to its native adapter? */
static int lg_is_native(const lg_run *run, int i)
{
    return run->o->native && lg_native_has(run->channels[i].name);
}

/* The secret channel i's native format signs with, when it signs instead of a key. */
static int lg_native_secret_missing(const lg_run *run, int i, const char **what)
{
    const char *name = run->channels[i].name;
    *what = strcmp(name, "wechat") == 0        ? "SB_WECHAT_TOKEN"
            : strcmp(name, "marketplace") == 0 ? "SB_MARKETPLACE_SECRET"
                                               : NULL;
    if (!*what)
        return 0;
    return strcmp(name, "wechat") == 0 ? !run->o->wechat_token : !run->o->marketplace_secret;
}

/* Every channel the mix sends to needs a key (or, natively signed, its secret). */
static int lg_check_keys(lg_run *run)
{
    for (int i = 0; i < SB_LOADGEN_CHANNELS; i++) {
        if (!run->mix.weight[i])
            continue;
        const char *secret;
        if (lg_is_native(run, i) && lg_native_secret_missing(run, i, &secret)) {
            char why[128];
            snprintf(why, sizeof why, "--native: %s is needed for channel %s", secret,
                     run->channels[i].name);
            return lg_fail(run, why);
        }
        if (!run->o->keys[i]) {
            char why[128];
            snprintf(why, sizeof why, "no key for channel %s (use --keys-from-env or --key)",
                     run->channels[i].name);
            return lg_fail(run, why);
        }
        if (asprintf(&run->bearer[i], "Bearer %s", run->o->keys[i]) < 0) {
            run->bearer[i] = NULL;
            return lg_fail(run, "out of memory");
        }
    }
    return 0;
}

static void lg_conn_next(lg_conn *c);
static void lg_send(lg_conn *c);

/* The message in hand is over, whatever its outcome; take the next one. */
static void lg_finish(lg_conn *c)
{
    lg_run *run = c->run;
    run->finished++;
    run->t_end_us = lg_now_us();
    if (run->finished == run->o->messages)
        event_base_loopbreak(run->base);
    lg_conn_next(c);
}

/* 202 (200 "success" for WeChat): count it and write the message id to the --out file; an
 * answer without one (WeChat's) gets the id ingest derives from (channel, external_id). */
static void lg_accepted(lg_conn *c, struct evhttp_request *req)
{
    lg_run *run = c->run;
    run->r->accepted++;
    if (!run->out)
        return;
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t n = evbuffer_get_length(in);
    json_t *body = n ? json_loadb((const char *)evbuffer_pullup(in, -1), n, 0, NULL) : NULL;
    const char *id = json_string_value(json_object_get(body, "message_id"));
    char derived[SB_UUID_STRLEN];
    if (!id && c->external_id[0]) {
        sb_ids_message_id(run->channels[c->channel].name, c->external_id, derived);
        id = derived;
    }
    if (id)
        fprintf(run->out, "%s\n", id);
    json_decref(body);
}

/* Seconds the server asks us to wait (Retry-After: <seconds>), 1 when absent or odd. */
static int lg_retry_after(struct evhttp_request *req)
{
    const char *v = evhttp_find_header(evhttp_request_get_input_headers(req), "Retry-After");
    int s = v ? atoi(v) : 1;
    return s < 1 ? 1 : s > LG_RETRY_AFTER_MAX ? LG_RETRY_AFTER_MAX : s;
}

/* Send the message in hand again after delay_ms, unless it used up its retries. */
static void lg_retry(lg_conn *c, int delay_ms)
{
    if (c->attempts >= c->run->o->max_retries) {
        c->run->r->errors++;
        lg_finish(c);
        return;
    }
    c->attempts++;
    c->run->r->retries++;
    c->state = LG_RETRY;
    struct timeval tv = {delay_ms / 1000, (delay_ms % 1000) * 1000};
    evtimer_add(c->ev_retry, &tv);
}

/* An answer (or NULL: the connection failed). */
static void lg_on_response(struct evhttp_request *req, void *arg)
{
    lg_conn *c = arg;
    int code = req ? evhttp_request_get_response_code(req) : 0;
    if (code == 202 || (code == 200 && c->run->channels[c->channel].name[0] == 'w')) {
        lg_accepted(c, req);
        lg_finish(c);
    } else if (code == 503) {
        c->run->r->unavailable++;
        lg_retry(c, lg_retry_after(req) * 1000);
    } else if (code >= 400 && code < 500) {
        c->run->r->rejected++;
        lg_finish(c);
    } else {
        /* Transport error or 5xx: the message may or may not be in; a resend is idempotent. */
        lg_retry(c, LG_ERROR_RETRY_MS);
    }
}

/* Retry timer. */
static void lg_on_retry(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    lg_send(arg);
}

/* The request for the message in hand: body into buf (its length into *n), path, headers. */
static struct evhttp_request *lg_request(lg_conn *c, char *buf, size_t len, int *n,
                                         const char **path, char *native_path, size_t plen)
{
    lg_run *run = c->run;
    const char *ch = run->channels[c->channel].name;
    lg_native_req nr;
    const char *ctype = "application/json", *auth = "Authorization", *auth_value;
    c->external_id[0] = '\0';
    *path = run->path;
    auth_value = run->bearer[c->channel];
    if (lg_is_native(run, c->channel)) {
        lg_native_secrets sec = {run->o->wechat_token, run->o->marketplace_secret};
        *n = lg_native_build(buf, len, &nr, ch, run->o->run_id, run->salt, c->seq,
                             run->o->customers, run->bearer[c->channel], &sec,
                             (int64_t)time(NULL));
        snprintf(native_path, plen, "%s%s", run->prefix, nr.path);
        snprintf(c->external_id, sizeof c->external_id, "%s", nr.external_id);
        *path = native_path;
        ctype = nr.content_type;
        auth = nr.auth_header;
        auth_value = nr.auth_value;
    } else {
        *n = lg_body(buf, len, run->o->run_id, run->salt, c->seq, ch, run->o->customers);
    }
    struct evhttp_request *req = *n > 0 ? evhttp_request_new(lg_on_response, c) : NULL;
    if (!req)
        return NULL;
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Host", run->hostport);
    evhttp_add_header(h, "Content-Type", ctype);
    if (auth)
        evhttp_add_header(h, auth, auth_value);
    evbuffer_add(evhttp_request_get_output_buffer(req), buf, (size_t)*n);
    return req;
}

/* Post the message in hand (again, after a retry). */
static void lg_send(lg_conn *c)
{
    char body[LG_BODY_MAX], native_path[LG_NATIVE_PATH_MAX + 256];
    const char *path;
    int n;
    c->channel = lg_mix_pick(&c->run->mix, c->seq);
    struct evhttp_request *req = lg_request(c, body, sizeof body, &n, &path, native_path,
                                            sizeof native_path);
    if (!req) {
        c->run->r->errors++;
        lg_finish(c);
        return;
    }
    c->state = LG_BUSY;
    /* On failure evhttp_make_request frees req itself. */
    if (evhttp_make_request(c->evcon, req, EVHTTP_REQ_POST, path) != 0)
        lg_retry(c, LG_ERROR_RETRY_MS);
}

/* Take the next message if there is one and the rate allows it. */
static void lg_conn_next(lg_conn *c)
{
    lg_run *run = c->run;
    if (run->next_seq >= run->o->messages) {
        c->state = LG_IDLE;
        return;
    }
    if (run->o->rate > 0) {
        if (run->tokens < 1.0) {
            c->state = LG_WAITING;
            return;
        }
        run->tokens -= 1.0;
    }
    c->seq = run->next_seq++;
    c->attempts = 0;
    run->r->sent++;
    lg_send(c);
}

/* Token bucket: add what the rate earned since the last tick (at most a short burst), then let
 * waiting connections spend it. */
static void lg_on_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    lg_run *run = arg;
    int64_t now = lg_now_us();
    double burst = run->o->rate * 0.02 > 1.0 ? run->o->rate * 0.02 : 1.0;
    run->tokens += run->o->rate * (double)(now - run->last_refill_us) / 1e6;
    if (run->tokens > burst)
        run->tokens = burst;
    run->last_refill_us = now;
    for (int i = 0; i < run->nconns && run->tokens >= 1.0; i++)
        if (run->conns[i].state == LG_WAITING)
            lg_conn_next(&run->conns[i]);
}

/* Connections, the tick and the output file. 0 or -1. */
static int lg_open(lg_run *run)
{
    run->base = event_base_new();
    run->conns = calloc((size_t)run->nconns, sizeof *run->conns);
    if (!run->base || !run->conns)
        return lg_fail(run, "out of memory");
    for (int i = 0; i < run->nconns; i++) {
        lg_conn *c = &run->conns[i];
        c->run = run;
        c->evcon = evhttp_connection_base_new(run->base, NULL, run->host, (uint16_t)run->port);
        c->ev_retry = evtimer_new(run->base, lg_on_retry, c);
        if (!c->evcon || !c->ev_retry)
            return lg_fail(run, "cannot create connections");
        evhttp_connection_set_timeout(c->evcon, run->o->timeout_s);
    }
    if (run->o->rate > 0) {
        struct timeval tick = {0, LG_TICK_US};
        run->ev_tick = event_new(run->base, -1, EV_PERSIST, lg_on_tick, run);
        if (!run->ev_tick || event_add(run->ev_tick, &tick) != 0)
            return lg_fail(run, "cannot start the rate timer");
    }
    if (run->o->out_path && !(run->out = fopen(run->o->out_path, "w")))
        return lg_fail(run, "--out: cannot open the file");
    return 0;
}

/* Free everything lg_open and lg_check_keys made. */
static void lg_close(lg_run *run)
{
    for (int i = 0; run->conns && i < run->nconns; i++) {
        if (run->conns[i].evcon)
            evhttp_connection_free(run->conns[i].evcon);
        if (run->conns[i].ev_retry)
            event_free(run->conns[i].ev_retry);
    }
    free(run->conns);
    if (run->ev_tick)
        event_free(run->ev_tick);
    if (run->base)
        event_base_free(run->base);
    for (int i = 0; i < SB_LOADGEN_CHANNELS; i++)
        free(run->bearer[i]);
    if (run->out && fclose(run->out) != 0 && !run->r->error[0])
        snprintf(run->r->error, sizeof run->r->error, "--out: write failed");
}

/* Validate the options that need no resources. 0 or -1. */
static int lg_check_opts(lg_run *run)
{
    const sb_loadgen_opts *o = run->o;
    char why[160];
    if (o->concurrency < 1 || o->concurrency > 10000)
        return lg_fail(run, "--concurrency: expected 1..10000");
    if (o->rate < 0 || o->max_retries < 0 || o->timeout_s < 1)
        return lg_fail(run, "--rate, retries and timeout must not be negative");
    if (!lg_run_id_ok(o->run_id))
        return lg_fail(run, "--run-id: 1..100 characters of A-Z a-z 0-9 . _ : -");
    if (lg_mix_parse(o->mix ? o->mix : SB_LOADGEN_DEFAULT_MIX, &run->mix, why, sizeof why) != 0)
        return lg_fail(run, why);
    return lg_parse_url(run, o->url);
}

int sb_loadgen_run(const sb_loadgen_opts *o, sb_loadgen_result *r)
{
    lg_run run;
    memset(&run, 0, sizeof run);
    memset(r, 0, sizeof *r);
    int count;
    run.o = o;
    run.r = r;
    run.channels = sb_channel_all(&count);
    run.nconns = o->concurrency;
    if ((uint64_t)run.nconns > o->messages && o->messages > 0)
        run.nconns = (int)o->messages;
    run.salt = o->run_id ? lg_run_salt(o->run_id) : 0;
    int rc = lg_check_opts(&run) == 0 && lg_check_keys(&run) == 0 && lg_open(&run) == 0 ? 0 : -1;
    if (rc == 0 && o->messages > 0) {
        run.t0_us = run.t_end_us = run.last_refill_us = lg_now_us();
        run.tokens = 1.0;
        for (int i = 0; i < run.nconns; i++)
            lg_conn_next(&run.conns[i]);
        event_base_dispatch(run.base);
        r->elapsed_s = (double)(run.t_end_us - run.t0_us) / 1e6;
        r->rps = r->elapsed_s > 0 ? (double)r->accepted / r->elapsed_s : 0;
    }
    lg_close(&run);
    return rc == 0 && !r->error[0] ? 0 : -1;
}
