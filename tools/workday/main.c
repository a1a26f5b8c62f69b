/* main.c - sb-workday: a contact centre's day on the running stack: agents work their tickets
 * through desk, customers answer the survey links; prints what happened as one JSON line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "tools/workday/workday.h"

/* Prints the usage text to f. */
static void wd_usage(FILE *f)
{
    fprintf(f,
            "usage: sb-workday [options]   (defaults from SB_DESK_URL, SB_ADMIN_TOKEN, SB_KAFKA_BROKERS)\n"
            "  --desk URL            desk base URL\n"
            "  --admin-token T       issues each agent's own token\n"
            "  --brokers B           Kafka bootstrap servers, for the survey links (\"\": none)\n"
            "  --seconds S           how long the day lasts (default 60)\n"
            "  --think-ms MS         an agent's pause between tickets (default 100)\n"
            "  --answer-pct P        share of survey links answered (default 80)\n"
            "  --dissatisfied-pct P  share of answers that are dissatisfied (default 8)\n");
}

int wd_url_parse(const char *url, wd_url *out)
{
    memset(out, 0, sizeof *out);
    if (!url || strncmp(url, "http://", 7) != 0)
        return -1;
    const char *h = url + 7, *slash = strchr(h, '/'), *colon = strchr(h, ':');
    size_t hl = (colon && (!slash || colon < slash) ? colon : slash ? slash : h + strlen(h)) - h;
    if (hl == 0 || hl >= sizeof out->host || (slash && strlen(slash) >= sizeof out->path))
        return -1;
    memcpy(out->host, h, hl);
    out->port = 80;
    if (colon && (!slash || colon < slash)) {
        char *end;
        long p = strtol(colon + 1, &end, 10);
        if (p <= 0 || p > 65535 || (*end && *end != '/'))
            return -1;
        out->port = (int)p;
    }
    if (slash)
        strcpy(out->path, slash);
    /* A bare base URL's path is ""; callers append "/v1/...". Keep "/" out of it. */
    if (strcmp(out->path, "/") == 0)
        out->path[0] = '\0';
    return 0;
}

int wd_dice(const char *s, const char *salt)
{
    uint64_t h = 1469598103934665603ULL;   /* FNV-1a over salt, then s */
    for (const char *p = salt; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    for (const char *p = s ? s : ""; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    return (int)(h % 100) + 1;
}

/* A whole-number option in [lo, hi]; 0 or -1. */
static int wd_int_arg(const char *name, const char *v, int lo, int hi, int *out)
{
    char *end;
    long n = v ? strtol(v, &end, 10) : 0;
    if (!v || *end || n < lo || n > hi) {
        fprintf(stderr, "sb-workday: %s takes a whole number from %d to %d\n", name, lo, hi);
        return -1;
    }
    *out = (int)n;
    return 0;
}

/* Reads the command line over the environment's defaults. 0, 1 (--help) or -1. */
static int wd_parse_args(int argc, char **argv, wd_opts *o)
{
    o->desk_url = getenv("SB_DESK_URL");
    o->admin_token = getenv("SB_ADMIN_TOKEN");
    o->brokers = getenv("SB_KAFKA_BROKERS");
    o->seconds = 60;
    o->think_ms = 100;
    o->answer_pct = 80;
    o->dissatisfied_pct = 8;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int rc = 0;
        if (strcmp(a, "--help") == 0)
            return 1;
        if (strcmp(a, "--desk") == 0 && v)
            o->desk_url = v;
        else if (strcmp(a, "--admin-token") == 0 && v)
            o->admin_token = v;
        else if (strcmp(a, "--brokers") == 0 && v)
            o->brokers = v;
        else if (strcmp(a, "--seconds") == 0)
            rc = wd_int_arg(a, v, 1, 86400, &o->seconds);
        else if (strcmp(a, "--think-ms") == 0)
            rc = wd_int_arg(a, v, 0, 60000, &o->think_ms);
        else if (strcmp(a, "--answer-pct") == 0)
            rc = wd_int_arg(a, v, 0, 100, &o->answer_pct);
        else if (strcmp(a, "--dissatisfied-pct") == 0)
            rc = wd_int_arg(a, v, 0, 100, &o->dissatisfied_pct);
        else {
            fprintf(stderr, "sb-workday: unknown option or missing value: %s\n", a);
            return -1;
        }
        if (rc != 0)
            return -1;
        i++;
    }
    if (!o->desk_url || !o->admin_token || !*o->admin_token) {
        fprintf(stderr, "sb-workday: needs --desk and --admin-token (or SB_DESK_URL, SB_ADMIN_TOKEN)\n");
        return -1;
    }
    return 0;
}

/* Timer callback: the day is over. */
static void wd_on_end(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    event_base_loopbreak(arg);
}

/* Prints the day's figures as one JSON line. */
static void wd_print(const wd_stats *s)
{
    printf("{\"workers\":%llu,\"acknowledged\":%llu,\"replied\":%llu,\"awaited_customer\":%llu,"
           "\"resolved\":%llu,\"second_handled\":%llu,\"skipped\":%llu,\"errors\":%llu,"
           "\"survey_links\":%llu,\"answers\":{\"very_satisfied\":%llu,\"satisfied\":%llu,"
           "\"neutral\":%llu,\"dissatisfied\":%llu},\"answers_recorded\":%llu,"
           "\"answer_errors\":%llu}\n",
           (unsigned long long)s->workers, (unsigned long long)s->acked,
           (unsigned long long)s->replied, (unsigned long long)s->paused,
           (unsigned long long)s->resolved, (unsigned long long)s->second_handled,
           (unsigned long long)s->skipped, (unsigned long long)s->errors,
           (unsigned long long)s->links_seen, (unsigned long long)s->ratings[0],
           (unsigned long long)s->ratings[1], (unsigned long long)s->ratings[2],
           (unsigned long long)s->ratings[3], (unsigned long long)s->answered,
           (unsigned long long)s->answer_errors);
}

int main(int argc, char **argv)
{
    wd_opts o = {0};
    int prc = wd_parse_args(argc, argv, &o);
    if (prc != 0) {
        wd_usage(prc > 0 ? stdout : stderr);
        return prc > 0 ? 0 : 2;
    }
    wd_stats st = {0};
    struct event_base *base = event_base_new();
    wd_agents *agents = base ? wd_agents_start(base, &o, &st) : NULL;
    wd_customers *customers = NULL;
    if (agents && o.brokers && *o.brokers)
        customers = wd_customers_start(base, &o, &st);
    struct event *end = base ? evtimer_new(base, wd_on_end, base) : NULL;
    struct timeval tv = {o.seconds, 0};
    int rc = 1;
    if (!agents || (o.brokers && *o.brokers && !customers) || !end || evtimer_add(end, &tv) != 0)
        fprintf(stderr, "sb-workday: cannot start\n");
    else if (event_base_dispatch(base) == 0 || st.workers > 0)
        rc = st.workers > 0 ? 0 : 1;
    wd_print(&st);
    if (end)
        event_free(end);
    wd_customers_free(customers);
    wd_agents_free(agents);
    if (base)
        event_base_free(base);
    return rc;
}
