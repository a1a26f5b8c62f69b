/* agents.c - simulated agents and supervisors: each works the tickets desk assigned to them
 * (ack, reply, sometimes a wait for the customer, resolve), one request at a time, through
 * the real desk API with a token of their own. */
#include "tools/workday/workday.h"

#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#define WD_LIST_LIMIT   20
#define WD_IDLE_MS      1000      /* an empty list is asked again after this */
#define WD_TIMEOUT_S    30

/* Where one worker is in their ticket's handling: an explicit state machine. */
typedef enum {
    WD_TOKEN,     /* asking desk (as admin) for this worker's token */
    WD_LIST,      /* asking for the tickets waiting for them */
    WD_ACK,
    WD_REPLY,
    WD_AWAIT,     /* status -> awaiting_customer */
    WD_RESUME,    /* status -> in_progress */
    WD_RESOLVE,
    WD_PAUSE      /* thinking, or nothing to do */
} wd_step;

typedef struct wd_worker wd_worker;

struct wd_agents {
    struct event_base        *base;
    const wd_opts            *o;
    wd_stats                 *st;
    wd_url                    desk;
    struct evhttp_connection *admin;   /* the roster request */
    char                      admin_bearer[160];
    wd_worker                *w;
    size_t                    nw;
};

/* One agent or supervisor with one request in flight at most. */
struct wd_worker {
    wd_agents                *a;
    struct evhttp_connection *evcon;
    struct event             *ev_pause;
    wd_step                   step;
    int                       supervisor;    /* works reopened tickets (second handling) */
    char                      id[64];
    char                      bearer[128];   /* "Bearer <token>" */
    json_t                   *queue;         /* ticket numbers still to work, owned */
    size_t                    next;
    char                      number[64];    /* the ticket in hand */
    char                      category[64];
};

/* The canned words of each step, chosen by the ticket number so a run is reproducible. */
static const char *const wd_replies[] = {
    "Thank you for contacting us. I have checked your case and I am on it.",
    "您好，已收到您的反馈，我们正在为您处理。",
    "Sorry for the trouble. I have escalated the shipment with the courier.",
};
static const char *const wd_solutions[] = {
    "Checked the order in the system, confirmed the status with the warehouse and told the customer.",
    "Refund issued to the original payment method; it arrives in 3-5 working days.",
    "Sent a replacement and a prepaid return label for the faulty unit.",
    "Explained the product feature and sent the manual link.",
};

static void wd_worker_send(wd_worker *w);

/* Pauses a worker for ms, then sends the request of its (already set) next step. */
static void wd_worker_pause(wd_worker *w, int ms)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    evtimer_add(w->ev_pause, &tv);
}

/* Timer callback: the pause is over. */
static void wd_on_pause(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    wd_worker_send(arg);
}

/* Moves to the next ticket of the queue, or lists again after a pause when none is left. */
static void wd_worker_next_ticket(wd_worker *w, int think_ms)
{
    while (w->next < json_array_size(w->queue)) {
        json_t *t = json_array_get(w->queue, w->next++);
        const char *n = json_string_value(json_object_get(t, "number"));
        const char *c = json_string_value(json_object_get(t, "category"));
        if (!n || strlen(n) >= sizeof w->number)
            continue;
        strcpy(w->number, n);
        snprintf(w->category, sizeof w->category, "%s", c && *c ? c : "other");
        w->step = WD_ACK;
        wd_worker_pause(w, think_ms);
        return;
    }
    w->step = WD_LIST;
    wd_worker_pause(w, WD_IDLE_MS);
}

/* The step after `done` for the ticket in hand (WD_LIST when it is finished). */
static wd_step wd_step_after(const wd_worker *w, wd_step done)
{
    switch (done) {
    case WD_ACK:    return WD_REPLY;
    /* One ticket in ten waits for the customer before it can be resolved. */
    case WD_REPLY:  return wd_dice(w->number, "await") <= 10 ? WD_AWAIT : WD_RESOLVE;
    case WD_AWAIT:  return WD_RESUME;
    case WD_RESUME: return WD_RESOLVE;
    default:        return WD_LIST;
    }
}

/* Counts a finished step. */
static void wd_count(wd_worker *w, wd_step done)
{
    wd_stats *st = w->a->st;
    switch (done) {
    case WD_ACK:     st->acked++; break;
    case WD_REPLY:   st->replied++; break;
    case WD_AWAIT:   st->paused++; break;
    case WD_RESOLVE: w->supervisor ? st->second_handled++ : st->resolved++; break;
    default: break;
    }
}

/* The reply body as a NUL-terminated malloc'd string (NULL when there is none). */
static char *wd_reply_body(struct evhttp_request *req)
{
    struct evbuffer *b = req ? evhttp_request_get_input_buffer(req) : NULL;
    size_t n = b ? evbuffer_get_length(b) : 0;
    char *s = malloc(n + 1);
    if (!s)
        return NULL;
    if (n)
        evbuffer_remove(b, s, n);
    s[n] = '\0';
    return s;
}

/* Handles the answer to a worker's request. */
static void wd_on_reply(struct evhttp_request *req, void *arg)
{
    wd_worker *w = arg;
    int code = req ? evhttp_request_get_response_code(req) : 0;
    char *body = wd_reply_body(req);
    json_t *j = body ? json_loads(body, 0, NULL) : NULL;
    free(body);
    if (w->step == WD_TOKEN || w->step == WD_LIST) {
        const char *key = w->step == WD_TOKEN ? "token" : "tickets";
        json_t *v = code / 100 == 2 ? json_object_get(j, key) : NULL;
        if (!v) {
            w->a->st->errors++;
            wd_worker_pause(w, WD_IDLE_MS);   /* same step again */
        } else if (w->step == WD_TOKEN) {
            snprintf(w->bearer, sizeof w->bearer, "Bearer %s", json_string_value(v));
            w->step = WD_LIST;
            wd_worker_pause(w, 0);
        } else {
            json_decref(w->queue);
            w->queue = json_incref(v);
            w->next = 0;
            wd_worker_next_ticket(w, 0);
        }
        json_decref(j);
        return;
    }
    json_decref(j);
    if (code == 200 || code == 201) {
        wd_count(w, w->step);
        w->step = wd_step_after(w, w->step);
        if (w->step != WD_LIST) {
            wd_worker_pause(w, 0);
            return;
        }
    } else if (code == 404 || code == 409) {
        w->a->st->skipped++;    /* moved on meanwhile (re-offered, merged): not ours any more */
    } else {
        w->a->st->errors++;
    }
    wd_worker_next_ticket(w, w->a->o->think_ms);
}

/* Path and JSON body of the worker's current step (body "" for a GET). */
static void wd_request_of(const wd_worker *w, char *path, size_t plen, char **body)
{
    const char *base = w->a->desk.path;
    json_t *b = NULL;
    *body = NULL;
    switch (w->step) {
    case WD_TOKEN:
        snprintf(path, plen, "%s/v1/admin/agents/%s/tokens", base, w->id);
        b = json_object();
        break;
    case WD_LIST:
        snprintf(path, plen, "%s/v1/tickets?assignee=me&status=%s&limit=%d", base,
                 w->supervisor ? "reopened" : "assigned", WD_LIST_LIMIT);
        return;
    case WD_ACK:
        snprintf(path, plen, "%s/v1/tickets/%s/ack", base, w->number);
        b = json_object();
        break;
    case WD_REPLY:
        snprintf(path, plen, "%s/v1/tickets/%s/reply", base, w->number);
        b = json_pack("{s:s}", "text", wd_replies[wd_dice(w->number, "reply") % 3]);
        break;
    case WD_AWAIT:
    case WD_RESUME:
        snprintf(path, plen, "%s/v1/tickets/%s/status", base, w->number);
        b = json_pack("{s:s}", "status", w->step == WD_AWAIT ? "awaiting_customer" : "in_progress");
        break;
    default: {
        int d = wd_dice(w->number, "resolution");
        snprintf(path, plen, "%s/v1/tickets/%s/resolve", base, w->number);
        b = json_pack("{s:s, s:s, s:[s,s]}", "resolution", d <= 88 ? "fully" : d <= 96 ? "partly" : "not",
                      "solution", wd_solutions[wd_dice(w->number, "solution") % 4], "tags",
                      w->category, w->supervisor ? "second-handling" : "workday");
        break;
    }
    }
    *body = b ? json_dumps(b, JSON_COMPACT) : NULL;
    json_decref(b);
}

/* Sends the request of the worker's current step. */
static void wd_worker_send(wd_worker *w)
{
    char path[1400], *body;
    wd_request_of(w, path, sizeof path, &body);
    struct evhttp_request *req = evhttp_request_new(wd_on_reply, w);
    if (!req) {
        free(body);
        w->a->st->errors++;
        wd_worker_pause(w, WD_IDLE_MS);
        return;
    }
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Host", w->a->desk.host);
    evhttp_add_header(h, "Authorization",
                      w->step == WD_TOKEN ? w->a->admin_bearer : w->bearer);
    enum evhttp_cmd_type method = body ? EVHTTP_REQ_POST : EVHTTP_REQ_GET;
    if (body) {
        evhttp_add_header(h, "Content-Type", "application/json");
        evbuffer_add(evhttp_request_get_output_buffer(req), body, strlen(body));
    }
    free(body);
    /* On failure evhttp_make_request frees req itself. */
    if (evhttp_make_request(w->evcon, req, method, path) != 0) {
        w->a->st->errors++;
        wd_worker_pause(w, WD_IDLE_MS);
    }
}

/* Makes one worker per agent and supervisor of the roster (on duty or not: supervisors answer
 * reopened tickets whatever their duty flag). 0 or -1. */
static int wd_agents_from_roster(wd_agents *a, json_t *roster)
{
    json_t *list = json_object_get(roster, "agents");
    size_t n = json_array_size(list);
    a->w = calloc(n ? n : 1, sizeof *a->w);
    if (!a->w)
        return -1;
    for (size_t i = 0; i < n; i++) {
        json_t *ag = json_array_get(list, i);
        const char *id = json_string_value(json_object_get(ag, "id"));
        const char *role = json_string_value(json_object_get(ag, "role"));
        if (!id || !role || strlen(id) >= sizeof a->w->id || strcmp(role, "admin") == 0)
            continue;
        if (strcmp(role, "agent") == 0 && !json_is_true(json_object_get(ag, "on_duty")))
            continue;
        wd_worker *w = &a->w[a->nw];
        w->a = a;
        w->supervisor = strcmp(role, "supervisor") == 0;
        strcpy(w->id, id);
        w->evcon = evhttp_connection_base_new(a->base, NULL, a->desk.host, (unsigned short)a->desk.port);
        w->ev_pause = evtimer_new(a->base, wd_on_pause, w);
        a->nw++;   /* counted before the check, so wd_agents_free frees what was made */
        if (!w->evcon || !w->ev_pause)
            return -1;
        evhttp_connection_set_timeout(w->evcon, WD_TIMEOUT_S);
        w->step = WD_TOKEN;
        wd_worker_pause(w, (int)(a->nw % 50) * 20);   /* spread the start */
    }
    a->st->workers = a->nw;
    return 0;
}

/* Handles desk's roster answer: one worker per agent, or a failed start. */
static void wd_on_roster(struct evhttp_request *req, void *arg)
{
    wd_agents *a = arg;
    int code = req ? evhttp_request_get_response_code(req) : 0;
    char *body = wd_reply_body(req);
    json_t *j = body ? json_loads(body, 0, NULL) : NULL;
    free(body);
    if (code != 200 || !j || wd_agents_from_roster(a, j) != 0) {
        fprintf(stderr, "sb-workday: cannot read the agents from desk (HTTP %d)\n", code);
        a->st->errors++;
        event_base_loopbreak(a->base);
    }
    json_decref(j);
}

wd_agents *wd_agents_start(struct event_base *base, const wd_opts *o, wd_stats *st)
{
    wd_agents *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->base = base;
    a->o = o;
    a->st = st;
    snprintf(a->admin_bearer, sizeof a->admin_bearer, "Bearer %s", o->admin_token);
    if (wd_url_parse(o->desk_url, &a->desk) != 0) {
        fprintf(stderr, "sb-workday: bad desk URL %s (http://host:port)\n", o->desk_url);
        free(a);
        return NULL;
    }
    a->admin = evhttp_connection_base_new(base, NULL, a->desk.host, (unsigned short)a->desk.port);
    struct evhttp_request *req = a->admin ? evhttp_request_new(wd_on_roster, a) : NULL;
    char path[1100];
    snprintf(path, sizeof path, "%s/v1/admin/agents", a->desk.path);
    if (req) {
        evhttp_add_header(evhttp_request_get_output_headers(req), "Host", a->desk.host);
        evhttp_add_header(evhttp_request_get_output_headers(req), "Authorization", a->admin_bearer);
    }
    if (!req || evhttp_make_request(a->admin, req, EVHTTP_REQ_GET, path) != 0) {
        wd_agents_free(a);
        return NULL;
    }
    return a;
}

void wd_agents_free(wd_agents *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->nw; i++) {
        if (a->w[i].evcon)
            evhttp_connection_free(a->w[i].evcon);
        if (a->w[i].ev_pause)
            event_free(a->w[i].ev_pause);
        json_decref(a->w[i].queue);
    }
    free(a->w);
    if (a->admin)
        evhttp_connection_free(a->admin);
    free(a);
}
