/* test_pipeline.c - end to end over the running stack: HTTP in, dispatched tickets out, none lost,
 * none doubled, also across a SIGKILL of classify; every emitted event matches its schema. */
#include <criterion/criterion.h>
#include <errno.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "replica.h"
#include "schema.h"

/* How the run's messages ended up in PostgreSQL. */
typedef struct run_counts {
    long messages;       /* message rows of the run */
    long tickets;        /* ticket rows of the run */
    long assigned;       /* tickets dispatch decided: assigned to an agent, or queued for one */
    long doubled;        /* tickets decided twice: two first assignments or two queueings */
    long accepted_lost;  /* accepted ids with no dispatched ticket */
} run_counts;

/* The environment the stack wrote (var/local.env, exported by tests/run). */
static const char *env_or_skip(const char *name)
{
    const char *v = getenv(name);
    if (!v || !*v)
        cr_skip_test("%s is not set: run through tests/run", name);
    return v;
}

/* A run id nobody used before: external ids are "<run>-<seq>". */
static void run_id(char *out, size_t len, const char *what)
{
    snprintf(out, len, "e2e-%s-%ld-%d", what, (long)time(NULL), (int)getpid());
}

/* Launch sb-loadgen; returns its pid, stdout goes to out_json. */
static pid_t loadgen_start_as(const char *run, int messages, int rate, int retries, int native,
                              const char *ids_file, const char *out_json)
{
    const char *bin = env_or_skip("SB_LOADGEN");
    const char *url = env_or_skip("SB_INGEST_URL");
    char n[16], r[16], re[16];
    snprintf(n, sizeof(n), "%d", messages);
    snprintf(r, sizeof(r), "%d", rate);
    snprintf(re, sizeof(re), "%d", retries);
    pid_t pid = fork();
    cr_assert(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        FILE *f = freopen(out_json, "w", stdout);
        if (!f)
            _exit(126);
        execl(bin, bin, "--url", url, "--messages", n, "--rate", r, "--concurrency", "16",
              "--run-id", run, "--keys-from-env", "--retries", re, "--out", ids_file,
              native ? "--native" : (char *)NULL, (char *)NULL);
        _exit(127);
    }
    return pid;
}

/* Launch sb-loadgen with its default retries. */
static pid_t loadgen_start(const char *run, int messages, int rate, const char *ids_file,
                           const char *out_json)
{
    return loadgen_start_as(run, messages, rate, 10, 0, ids_file, out_json);
}

/* Wait for sb-loadgen and return its JSON summary. */
static json_t *loadgen_wait(pid_t pid, const char *out_json)
{
    int status = 0;
    cr_assert(waitpid(pid, &status, 0) == pid);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "sb-loadgen failed (status %d)", status);
    json_error_t e;
    json_t *summary = json_load_file(out_json, 0, &e);
    cr_assert(summary, "loadgen summary: %s", e.text);
    return summary;
}

/* One integer from a query with parameters. */
static long query_long(PGconn *pg, const char *sql, int n, const char *const *params)
{
    PGresult *res = PQexecParams(pg, sql, n, NULL, params, NULL, NULL, 0);
    cr_assert(PQresultStatus(res) == PGRES_TUPLES_OK, "%s: %s", sql, PQresultErrorMessage(res));
    long v = atol(PQgetvalue(res, 0, 0));
    PQclear(res);
    return v;
}

/* Load the accepted message ids into a temp table, to find the lost ones. */
static void load_accepted(PGconn *pg, const char *ids_file)
{
    PGresult *res = PQexec(pg, "CREATE TEMP TABLE IF NOT EXISTS accepted (id uuid);"
                               "TRUNCATE accepted");
    cr_assert(PQresultStatus(res) == PGRES_COMMAND_OK, "%s", PQresultErrorMessage(res));
    PQclear(res);
    FILE *f = fopen(ids_file, "r");
    cr_assert(f, "cannot open %s", ids_file);
    char line[128];
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (!*line)
            continue;
        const char *p[] = {line};
        res = PQexecParams(pg, "INSERT INTO accepted VALUES ($1::uuid)", 1, NULL, p, NULL, NULL, 0);
        cr_assert(PQresultStatus(res) == PGRES_COMMAND_OK, "%s", PQresultErrorMessage(res));
        PQclear(res);
    }
    fclose(f);
}

/* Count where the run's messages are now. */
static run_counts run_count(PGconn *pg, const char *run)
{
    char like[128];
    /* Anywhere in the id: a marketplace's external id is "<marketplace>:<event id>". */
    snprintf(like, sizeof(like), "%%%s-%%", run);
    const char *p[] = {like};
    run_counts c;
    c.messages = query_long(pg, "SELECT count(*) FROM messages WHERE external_id LIKE $1", 1, p);
    c.tickets = query_long(pg, "SELECT count(DISTINCT t.id) FROM tickets t JOIN messages m"
                               " ON m.ticket_id = t.id WHERE m.external_id LIKE $1", 1, p);
    /* Dispatched: given to an agent, or queued because every fitting agent was full (the
     * stack's tickets accumulate over the suites, so a department may be at capacity). */
    c.assigned = query_long(pg, "SELECT count(*) FROM tickets t JOIN messages m"
                                " ON m.ticket_id = t.id WHERE m.external_id LIKE $1"
                                " AND t.dispatched_at IS NOT NULL", 1, p);
    /* A re-offer or reassignment names the agent it released; a first decision does not. */
    c.doubled = query_long(pg, "SELECT count(*) FROM (SELECT e.ticket_id FROM ticket_events e"
                               " JOIN messages m ON m.ticket_id = e.ticket_id"
                               " WHERE m.external_id LIKE $1 AND e.type IN ('assigned', 'queued')"
                               " AND NOT e.payload->'data' ? 'released_agent'"
                               " GROUP BY e.ticket_id, e.type HAVING count(*) > 1) d", 1, p);
    c.accepted_lost = query_long(pg, "SELECT count(*) FROM accepted a WHERE NOT EXISTS ("
                                     " SELECT 1 FROM messages m JOIN tickets t"
                                     " ON t.id = m.ticket_id WHERE m.message_id = a.id"
                                     " AND t.dispatched_at IS NOT NULL)",
                                 0, NULL);
    return c;
}

/* Poll until every accepted message is a dispatched ticket, or the deadline. */
static run_counts run_wait(PGconn *pg, const char *run, long accepted, int timeout_s)
{
    run_counts c = {0};
    for (int waited = 0; waited <= timeout_s * 4; waited++) {
        c = run_count(pg, run);
        if (c.assigned >= accepted && c.accepted_lost == 0)
            break;
        usleep(250 * 1000);
    }
    return c;
}

/* Connect to the stack's PostgreSQL. */
static PGconn *pg_open(void)
{
    PGconn *pg = PQconnectdb(env_or_skip("SB_PG_DSN"));
    cr_assert(PQstatus(pg) == CONNECTION_OK, "%s", PQerrorMessage(pg));
    return pg;
}

/* Assert the full no-loss, no-double picture for a run. */
static void assert_exactly_once(const run_counts *c, long accepted, long sent)
{
    cr_expect_eq(accepted, sent, "every message sent should be accepted (%ld of %ld)", accepted, sent);
    cr_expect_eq(c->accepted_lost, 0, "accepted but never dispatched: %ld", c->accepted_lost);
    cr_expect_eq(c->messages, accepted, "message rows %ld for %ld accepted", c->messages, accepted);
    cr_expect_eq(c->tickets, accepted, "tickets %ld for %ld accepted messages", c->tickets, accepted);
    cr_expect_eq(c->assigned, accepted, "dispatched %ld of %ld", c->assigned, accepted);
    cr_expect_eq(c->doubled, 0, "tickets dispatched twice: %ld", c->doubled);
}

Test(e2e, thousand_messages_from_every_channel_become_dispatched_tickets, .timeout = 300)
{
    char run[96], ids[256], out[256];
    run_id(run, sizeof(run), "thousand");
    snprintf(ids, sizeof(ids), "/tmp/%s.ids", run);
    snprintf(out, sizeof(out), "/tmp/%s.json", run);
    pid_t pid = loadgen_start_as(run, 1000, 0, 10, 1, ids, out);   /* native formats */
    json_t *summary = loadgen_wait(pid, out);
    long sent = (long)json_integer_value(json_object_get(summary, "sent"));
    long accepted = (long)json_integer_value(json_object_get(summary, "accepted"));
    json_decref(summary);
    cr_assert_eq(sent, 1000);

    PGconn *pg = pg_open();
    load_accepted(pg, ids);
    run_counts c = run_wait(pg, run, accepted, 180);
    assert_exactly_once(&c, accepted, sent);

    char like[128];
    /* Anywhere in the id: a marketplace's external id is "<marketplace>:<event id>". */
    snprintf(like, sizeof(like), "%%%s-%%", run);
    const char *p[] = {like};
    long channels = query_long(pg, "SELECT count(DISTINCT channel) FROM messages WHERE external_id LIKE $1", 1, p);
    cr_expect_eq(channels, 7, "messages came through %ld channels, expected all 7", channels);
    long numbered = query_long(pg, "SELECT count(*) FROM tickets t JOIN messages m ON m.ticket_id = t.id"
                                   " WHERE m.external_id LIKE $1"
                                   " AND t.number ~ '^(WB|AP|EM|PH|WX|ST|MP)-[0-9]{8}-[0-9]{6,}$'"
                                   " AND t.priority IS NOT NULL AND t.category IS NOT NULL", 1, p);
    cr_expect_eq(numbered, accepted, "every ticket is numbered, categorised and prioritised");
    /* Queued tickets have no agent yet, so no acknowledgement clock: only the assigned ones. */
    long given = query_long(pg, "SELECT count(*) FROM assignments a JOIN messages m"
                                " ON m.ticket_id = a.ticket_id WHERE m.external_id LIKE $1", 1, p);
    cr_expect_gt(given, 0, "some of the run's tickets went to an agent");
    long armed = 0;
    for (int i = 0; i < 240; i++) {
        armed = query_long(pg, "SELECT count(*) FROM sla_timers s JOIN messages m"
                               " ON m.ticket_id = s.ticket_id WHERE m.external_id LIKE $1"
                               " AND s.kind = 'acknowledgement'", 1, p);
        if (armed >= given)
            break;
        usleep(250 * 1000);
    }
    cr_expect_eq(armed, given, "sla armed the acknowledgement deadline of %ld of %ld assigned tickets",
                 armed, given);
    PQfinish(pg);
    unlink(ids);
    unlink(out);
}

/* SIGKILL the service, wait for it to exit, then bring it back with deploy/local/service. */
static void kill_and_restart(const char *service)
{
    env_or_skip("SB_VAR");
    cr_assert_eq(sb_test_stack_kill(service), 0, "could not kill -9 %s", service);
    cr_assert_eq(sb_test_stack_service("start", service), 0, "could not restart %s", service);
}

Test(e2e, classify_killed_mid_stream_loses_and_doubles_nothing, .timeout = 300)
{
    char run[96], ids[256], out[256];
    run_id(run, sizeof(run), "sigkill");
    snprintf(ids, sizeof(ids), "/tmp/%s.ids", run);
    snprintf(out, sizeof(out), "/tmp/%s.json", run);
    /* ~8 s of traffic; classify dies after 2 s, with batches in flight. */
    pid_t pid = loadgen_start(run, 2000, 250, ids, out);
    sleep(2);
    kill_and_restart("classify");
    json_t *summary = loadgen_wait(pid, out);
    long sent = (long)json_integer_value(json_object_get(summary, "sent"));
    long accepted = (long)json_integer_value(json_object_get(summary, "accepted"));
    json_decref(summary);
    cr_assert_eq(sent, 2000);

    PGconn *pg = pg_open();
    load_accepted(pg, ids);
    run_counts c = run_wait(pg, run, accepted, 180);
    assert_exactly_once(&c, accepted, sent);
    PQfinish(pg);
    unlink(ids);
    unlink(out);
}

/* Signal the broker process (the devbroker's fault injection: SIGUSR1 down, SIGUSR2 up). */
static void broker_signal(int sig)
{
    const char *var = env_or_skip("SB_VAR");
    char path[512];
    snprintf(path, sizeof(path), "%s/run/devbroker.pid", var);
    FILE *f = fopen(path, "r");
    if (!f)
        cr_skip_test("no %s: the broker is not the local devbroker", path);
    long pid = 0;
    int ok = fscanf(f, "%ld", &pid) == 1 && pid > 1;
    fclose(f);
    cr_assert(ok, "bad pid file %s", path);
    cr_assert(kill((pid_t)pid, sig) == 0, "kill %ld: %s", pid, strerror(errno));
}

/* Whatever happens in the test, the broker comes back up for the suites after it. */
static void broker_back_up(void)
{
    const char *var = getenv("SB_VAR");
    char path[512];
    if (!var)
        return;
    snprintf(path, sizeof(path), "%s/run/devbroker.pid", var);
    FILE *f = fopen(path, "r");
    long pid = 0;
    if (f && fscanf(f, "%ld", &pid) == 1 && pid > 1)
        kill((pid_t)pid, SIGUSR2);
    if (f)
        fclose(f);
}

Test(e2e, broker_down_means_503_never_202_then_lost, .timeout = 300, .fini = broker_back_up)
{
    char run[96], ids[256], out[256];
    run_id(run, sizeof(run), "brokerdown");
    snprintf(ids, sizeof(ids), "/tmp/%s.ids", run);
    snprintf(out, sizeof(out), "/tmp/%s.json", run);
    /* ~10 s of traffic; the broker is down from 2 s to 9 s, longer than ingest's ack deadline
     * (4 s): requests in flight get 503, new ones 503 at once, and loadgen resends every 503
     * (each resend is the same message). */
    pid_t pid = loadgen_start_as(run, 1500, 150, 200, 0, ids, out);
    sleep(2);
    broker_signal(SIGUSR1);
    sleep(7);
    broker_signal(SIGUSR2);
    json_t *summary = loadgen_wait(pid, out);
    long sent = (long)json_integer_value(json_object_get(summary, "sent"));
    long accepted = (long)json_integer_value(json_object_get(summary, "accepted"));
    long unavailable = (long)json_integer_value(json_object_get(summary, "unavailable"));
    long errors = (long)json_integer_value(json_object_get(summary, "errors"));
    json_decref(summary);
    cr_assert_eq(sent, 1500);
    cr_expect_gt(unavailable, 0, "ingest never answered 503 while the broker was down");
    cr_expect_eq(errors, 0, "messages given up by the client: %ld", errors);

    PGconn *pg = pg_open();
    load_accepted(pg, ids);
    run_counts c = run_wait(pg, run, accepted, 180);
    assert_exactly_once(&c, accepted, sent);
    PQfinish(pg);
    unlink(ids);
    unlink(out);
}

/* The schema file for an event of topic and type, or NULL when the type has none yet. */
static const char *schema_for(const char *topic, const char *type, char *buf, size_t len)
{
    const char *dir = getenv("SB_PROTO_DIR") ? getenv("SB_PROTO_DIR") : SB_SOURCE_DIR "/proto";
    const char *sub = !strcmp(topic, "sb.inbound.v1") ? "inbound"
                      : !strcmp(topic, "sb.tickets.v1") ? "tickets"
                      : !strcmp(topic, "sb.notifications.v1") ? "notifications" : "deadletter";
    snprintf(buf, len, "%s/%s/%s.v1.json", dir, sub, type);
    return access(buf, R_OK) == 0 ? buf : NULL;
}

/* A consumer of the three topics from their beginning, in a group of its own. */
static rd_kafka_t *topics_reader(void)
{
    const char *brokers = env_or_skip("SB_KAFKA_BROKERS");
    char group[96], err[512];
    snprintf(group, sizeof(group), "e2e-schema-%ld-%d", (long)time(NULL), (int)getpid());
    const char *conf_kv[][2] = {{"bootstrap.servers", brokers}, {"group.id", group},
                                {"auto.offset.reset", "earliest"}, {"session.timeout.ms", "6000"},
                                {"enable.partition.eof", "true"}};
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    for (size_t i = 0; i < sizeof(conf_kv) / sizeof(conf_kv[0]); i++)
        cr_assert(rd_kafka_conf_set(conf, conf_kv[i][0], conf_kv[i][1], err, sizeof(err)) ==
                  RD_KAFKA_CONF_OK, "%s", err);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
    cr_assert(rk, "%s", err);
    rd_kafka_poll_set_consumer(rk);
    rd_kafka_topic_partition_list_t *t = rd_kafka_topic_partition_list_new(3);
    rd_kafka_topic_partition_list_add(t, "sb.inbound.v1", RD_KAFKA_PARTITION_UA);
    rd_kafka_topic_partition_list_add(t, "sb.tickets.v1", RD_KAFKA_PARTITION_UA);
    rd_kafka_topic_partition_list_add(t, "sb.notifications.v1", RD_KAFKA_PARTITION_UA);
    cr_assert(rd_kafka_subscribe(rk, t) == 0);
    rd_kafka_topic_partition_list_destroy(t);
    return rk;
}

/* 1 when the event belongs to this run: its external id or ticket number says so. */
static int event_of_run(const json_t *ev, const char *run, PGconn *pg)
{
    const char *ext = json_string_value(json_object_get(ev, "external_id"));
    if (ext)
        return strncmp(ext, run, strlen(run)) == 0;
    const char *number = json_string_value(json_object_get(ev, "ticket_number"));
    if (!number)
        return 0;
    char like[128];
    /* Anywhere in the id: a marketplace's external id is "<marketplace>:<event id>". */
    snprintf(like, sizeof(like), "%%%s-%%", run);
    const char *p[] = {number, like};
    return query_long(pg, "SELECT count(*) FROM tickets t JOIN messages m ON m.ticket_id = t.id"
                          " WHERE t.number = $1 AND m.external_id LIKE $2", 2, p) > 0;
}

/* Count of validated events per type of this run. */
typedef struct type_count {
    char type[32];
    long n;
} type_count;

/* Add one to the type's count. */
static void count_type(type_count *tc, size_t *ntc, size_t cap, const char *type)
{
    for (size_t i = 0; i < *ntc; i++)
        if (!strcmp(tc[i].type, type)) {
            tc[i].n++;
            return;
        }
    cr_assert(*ntc < cap, "too many event types");
    snprintf(tc[*ntc].type, sizeof(tc[0].type), "%s", type);
    tc[(*ntc)++].n = 1;
}

/* The count for type, 0 when never seen. */
static long type_total(const type_count *tc, size_t ntc, const char *type)
{
    for (size_t i = 0; i < ntc; i++)
        if (!strcmp(tc[i].type, type))
            return tc[i].n;
    return 0;
}

Test(e2e, every_emitted_event_validates_against_its_schema, .timeout = 300)
{
    char run[96], ids[256], out[256];
    run_id(run, sizeof(run), "schema");
    snprintf(ids, sizeof(ids), "/tmp/%s.ids", run);
    snprintf(out, sizeof(out), "/tmp/%s.json", run);
    json_t *summary = loadgen_wait(loadgen_start(run, 140, 0, ids, out), out);
    long accepted = (long)json_integer_value(json_object_get(summary, "accepted"));
    json_decref(summary);
    cr_assert_eq(accepted, 140);
    PGconn *pg = pg_open();
    load_accepted(pg, ids);
    run_counts c = run_wait(pg, run, accepted, 120);
    cr_assert_eq(c.assigned, accepted);

    rd_kafka_t *rk = topics_reader();
    type_count tc[16];
    size_t ntc = 0;
    long idle = 0;
    while (idle < 20) {   /* 5 s without a message: every partition has been read to its end */
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 250);
        if (!m || m->err) {
            idle++;
            if (m)
                rd_kafka_message_destroy(m);
            continue;
        }
        idle = 0;
        const char *topic = rd_kafka_topic_name(m->rkt);
        json_t *ev = json_loadb(m->payload, m->len, 0, NULL);
        if (ev && event_of_run(ev, run, pg)) {
            const char *type = json_string_value(json_object_get(ev, "type"));
            char path[512], verr[512];
            cr_assert(type, "%s: event without type", topic);
            const char *schema = schema_for(topic, type, path, sizeof(path));
            cr_assert(schema, "%s: no schema for event type %s", topic, type);
            cr_assert(sb_schema_validate_file(schema, ev, verr, sizeof(verr)) == 0,
                      "%s %s: %s", topic, type, verr);
            count_type(tc, &ntc, 16, type);
        }
        json_decref(ev);
        rd_kafka_message_destroy(m);
    }
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    PQfinish(pg);
    static const char *const emitted[] = {"inbound_message", "opened", "classified"};
    for (size_t i = 0; i < sizeof(emitted) / sizeof(emitted[0]); i++)
        cr_expect_geq(type_total(tc, ntc, emitted[i]), accepted,
                      "%s: %ld valid events for %ld tickets", emitted[i],
                      type_total(tc, ntc, emitted[i]), accepted);
    long decided = type_total(tc, ntc, "assigned") + type_total(tc, ntc, "queued");
    cr_expect_geq(decided, accepted, "%ld valid dispatch decisions for %ld tickets", decided,
                  accepted);
    cr_expect_geq(type_total(tc, ntc, "task_notice"), type_total(tc, ntc, "assigned"),
                  "every assignment has its task notice");
    unlink(ids);
    unlink(out);
}
