/* customers.c - simulated customers: a consumer of sb.notifications.v1 that answers the survey
 * links sent to customers, most of them, through the survey service's real JSON API. */
#include "tools/workday/workday.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <librdkafka/rdkafka.h>

#define WD_POLL_MS     50
#define WD_POLL_BATCH  200

struct wd_customers {
    struct event_base        *base;
    const wd_opts            *o;
    wd_stats                 *st;
    rd_kafka_t               *rk;
    struct event             *ev_poll;
    struct evhttp_connection *evcon;      /* to the survey service, made from the first link */
    wd_url                    survey;
};

static const char *const wd_ratings[] = {"very_satisfied", "satisfied", "neutral", "dissatisfied"};

/* Counts the survey service's answer to one of our POSTs. */
static void wd_on_answer(struct evhttp_request *req, void *arg)
{
    wd_customers *c = arg;
    int code = req ? evhttp_request_get_response_code(req) : 0;
    if (code == 200)
        c->st->answered++;
    else
        c->st->answer_errors++;
}

/* The rating this customer gives (index into wd_ratings), decided by the link. */
static int wd_rating_of(const wd_customers *c, const char *key)
{
    int d = wd_dice(key, "rating");
    if (d <= c->o->dissatisfied_pct)
        return 3;
    d = wd_dice(key, "rating-rest");
    return d <= 58 ? 0 : d <= 90 ? 1 : 2;
}

/* The connection to the link's host, made at the first link; NULL when a link names another. */
static struct evhttp_connection *wd_survey_conn(wd_customers *c, const wd_url *u)
{
    if (!c->evcon) {
        c->survey = *u;
        c->evcon = evhttp_connection_base_new(c->base, NULL, u->host, (unsigned short)u->port);
        if (c->evcon)
            evhttp_connection_set_timeout(c->evcon, 30);
    }
    if (strcmp(c->survey.host, u->host) != 0 || c->survey.port != u->port)
        return NULL;
    return c->evcon;
}

/* Answers (or, as some customers do, ignores) one survey link. */
static void wd_answer_link(wd_customers *c, const char *url, const char *key)
{
    wd_url u;
    c->st->links_seen++;
    if (wd_dice(key, "answer") > c->o->answer_pct)
        return;
    struct evhttp_connection *evcon = wd_url_parse(url, &u) == 0 ? wd_survey_conn(c, &u) : NULL;
    struct evhttp_request *req = evcon ? evhttp_request_new(wd_on_answer, c) : NULL;
    int r = wd_rating_of(c, key);
    json_t *b = json_pack("{s:s, s:s}", "rating", wd_ratings[r], "comment",
                          r == 3 ? "Still not solved, and nobody called me back." : "");
    char *body = b ? json_dumps(b, JSON_COMPACT) : NULL;
    json_decref(b);
    if (!req || !body) {
        c->st->answer_errors++;
        free(body);
        if (req)
            evhttp_request_free(req);
        return;
    }
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Host", u.host);
    evhttp_add_header(h, "Content-Type", "application/json");
    evbuffer_add(evhttp_request_get_output_buffer(req), body, strlen(body));
    free(body);
    /* On failure evhttp_make_request frees req itself. */
    if (evhttp_make_request(evcon, req, EVHTTP_REQ_POST, u.path) != 0) {
        c->st->answer_errors++;
        return;
    }
    c->st->ratings[r]++;
}

/* A notification's field, at the top level or under data. */
static const char *wd_field(json_t *n, const char *name)
{
    const char *v = json_string_value(json_object_get(n, name));
    return v ? v : json_string_value(json_object_get(json_object_get(n, "data"), name));
}

/* Takes what the broker has; answers the survey links among it. */
static void wd_on_poll(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    wd_customers *c = arg;
    for (int i = 0; i < WD_POLL_BATCH; i++) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(c->rk, 0);
        if (!m)
            break;
        if (m->err) {
            if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                fprintf(stderr, "sb-workday: notifications: %s\n", rd_kafka_message_errstr(m));
        } else {
            json_t *n = json_loadb(m->payload, m->len, 0, NULL);
            const char *type = json_string_value(json_object_get(n, "type"));
            const char *url = wd_field(n, "url");
            const char *id = json_string_value(json_object_get(n, "event_id"));
            if (type && strcmp(type, "survey_link") == 0 && url && id)
                wd_answer_link(c, url, id);
            json_decref(n);
        }
        rd_kafka_message_destroy(m);
    }
}

/* A consumer of sb.notifications.v1 in a group of its own, from now on. NULL on error. */
static rd_kafka_t *wd_consumer_new(const char *brokers)
{
    char err[512], group[96];
    snprintf(group, sizeof group, "sb-workday-%ld-%d", (long)time(NULL), (int)getpid());
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    const char *kv[][2] = {{"bootstrap.servers", brokers}, {"group.id", group},
                           {"auto.offset.reset", "latest"}, {"session.timeout.ms", "6000"},
                           {"heartbeat.interval.ms", "500"}, {"fetch.wait.max.ms", "20"}};
    for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++)
        if (rd_kafka_conf_set(conf, kv[i][0], kv[i][1], err, sizeof err) != RD_KAFKA_CONF_OK) {
            fprintf(stderr, "sb-workday: %s\n", err);
            rd_kafka_conf_destroy(conf);
            return NULL;
        }
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    if (!rk) {
        fprintf(stderr, "sb-workday: %s\n", err);
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    rd_kafka_poll_set_consumer(rk);
    rd_kafka_topic_partition_list_t *t = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(t, "sb.notifications.v1", RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t e = rd_kafka_subscribe(rk, t);
    rd_kafka_topic_partition_list_destroy(t);
    if (e) {
        fprintf(stderr, "sb-workday: subscribe: %s\n", rd_kafka_err2str(e));
        rd_kafka_destroy(rk);
        return NULL;
    }
    return rk;
}

wd_customers *wd_customers_start(struct event_base *base, const wd_opts *o, wd_stats *st)
{
    wd_customers *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->base = base;
    c->o = o;
    c->st = st;
    c->rk = wd_consumer_new(o->brokers);
    c->ev_poll = event_new(base, -1, EV_PERSIST, wd_on_poll, c);
    struct timeval tv = {0, WD_POLL_MS * 1000};
    if (!c->rk || !c->ev_poll || event_add(c->ev_poll, &tv) != 0) {
        wd_customers_free(c);
        return NULL;
    }
    return c;
}

void wd_customers_free(wd_customers *c)
{
    if (!c)
        return;
    if (c->ev_poll)
        event_free(c->ev_poll);
    if (c->rk) {
        rd_kafka_consumer_close(c->rk);
        rd_kafka_destroy(c->rk);
    }
    if (c->evcon)
        evhttp_connection_free(c->evcon);
    free(c);
}
