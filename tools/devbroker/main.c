/* sb-devbroker: standalone Kafka-protocol broker on loopback, built on librdkafka's mock cluster. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* strsignal, flockfile, pthread_sigmask under -std=c11 */
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

/* Broker id the fault-injection signals act on (the mock cluster numbers brokers from 1). */
#define DEVBROKER_BROKER_ID 1
#define MAX_TOPICS 64
#define MAX_TOPIC_NAME 249   /* Kafka's own limit on a topic name */
#define MAX_PARTITIONS 10000

typedef struct {
    char name[MAX_TOPIC_NAME + 1];
    int partitions;
} topic_spec;

/*
 * Default topics and partition counts. The mock broker keeps every partition in memory and
 * retains only ~5 MiB per partition (oldest message sets dropped first, DESIGN.md "The broker on
 * one machine"): a consumer that falls further behind than that is silently reset. Total
 * retention therefore scales with the partition count, so the busy topics get many partitions:
 * 64 x 5 MiB = 320 MiB lets a 1,000,000-message peak (~300 B each) sit in sb.inbound.v1 while
 * the consumers drain it. The partition count is also the upper bound on consumer replicas.
 * The mock broker has no CreateTopics, and auto-created topics get only 4 partitions, so every
 * topic the services use must be created here.
 */
static const topic_spec default_topics[] = {
    {"sb.inbound.v1", 64},
    {"sb.tickets.v1", 64},
    {"sb.notifications.v1", 16},
    {"sb.deadletter.v1", 4},
    /* dispatch's department commands: few keys (departments), so few partitions carry them */
    {"sb.dispatch.v1", 16},
};

/* Writes s to f as the body of a JSON string (quotes not included). */
static void json_escape(FILE *f, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"':  fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        default:
            if (*p < 0x20)
                fprintf(f, "\\u%04x", *p);
            else
                fputc(*p, f);
        }
    }
}

/* Formats the current UTC time as 2026-11-22T10:00:00.123Z into out. */
static void format_now(char *out, size_t len)
{
    struct timeval tv;
    struct tm tm;

    gettimeofday(&tv, NULL);
    if (!gmtime_r(&tv.tv_sec, &tm)) {
        snprintf(out, len, "1970-01-01T00:00:00.000Z");
        return;
    }
    size_t n = strftime(out, len, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, len - n, ".%03dZ", (int)(tv.tv_usec / 1000));
}

/* Logs one JSON line on stderr; extra is a raw JSON fragment (",\"k\":v") or NULL. */
static void log_json(const char *level, const char *event, const char *extra, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void log_json(const char *level, const char *event, const char *extra, const char *fmt, ...)
{
    char ts[32], msg[1024];
    va_list ap;

    format_now(ts, sizeof ts);
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);

    flockfile(stderr);
    fprintf(stderr, "{\"ts\":\"%s\",\"level\":\"%s\",\"service\":\"devbroker\",\"event\":\"", ts,
            level);
    json_escape(stderr, event);
    fputs("\",\"msg\":\"", stderr);
    json_escape(stderr, msg);
    fputc('"', stderr);
    if (extra)
        fputs(extra, stderr);
    fputs("}\n", stderr);
    fflush(stderr);
    funlockfile(stderr);
}

/* librdkafka log callback: forwards the library's own messages as JSON lines. */
static void rdkafka_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    const char *lvl = level <= 3 ? "error" : level == 4 ? "warn" : level <= 6 ? "info" : "debug";

    (void)rk;
    /* The hosting handle has no bootstrap.servers by design: that warning is noise here. */
    if (!strcmp(fac, "CONFWARN") && strstr(buf, "bootstrap.servers"))
        return;
    log_json(lvl, "rdkafka", NULL, "%s: %s", fac, buf);
}

/* Prints the usage text to f. */
static void usage(FILE *f)
{
    fprintf(f,
            "usage: sb-devbroker [--bootstrap-file PATH] [--topic NAME:PARTITIONS]...\n"
            "\n"
            "Runs a one-broker Kafka-protocol mock cluster on 127.0.0.1 (random port) until\n"
            "SIGTERM/SIGINT. The first stdout line is bootstrap=127.0.0.1:PORT.\n"
            "\n"
            "  --bootstrap-file PATH   also write the address to PATH (atomically) once ready\n"
            "  --topic NAME:N          create topic NAME with N partitions (repeatable; overrides\n"
            "                          a default of the same name)\n"
            "  -h, --help              this text\n"
            "\n"
            "Default topics: sb.inbound.v1:64 sb.tickets.v1:64 sb.notifications.v1:16 sb.dispatch.v1:16\n"
            "sb.deadletter.v1:4.\n"
            "Signals: SIGUSR1 = broker %d down, SIGUSR2 = broker %d up (fault injection).\n",
            DEVBROKER_BROKER_ID, DEVBROKER_BROKER_ID);
}

/* Checks a topic name against Kafka's rules: 1..249 chars of [A-Za-z0-9._-], not "." or "..". */
static int topic_name_valid(const char *name, size_t len)
{
    if (len == 0 || len > MAX_TOPIC_NAME)
        return 0;
    if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

/* Parses "name:partitions" into the topic list (replacing a same-named entry); 0 or -1. */
static int add_topic_arg(topic_spec *topics, int *ntopics, const char *arg)
{
    const char *colon = strrchr(arg, ':');
    char *end;
    long parts;
    size_t len;

    if (!colon) {
        fprintf(stderr, "sb-devbroker: --topic wants NAME:PARTITIONS, got '%s'\n", arg);
        return -1;
    }
    len = (size_t)(colon - arg);
    if (!topic_name_valid(arg, len)) {
        fprintf(stderr, "sb-devbroker: invalid topic name in '%s'\n", arg);
        return -1;
    }
    errno = 0;
    parts = strtol(colon + 1, &end, 10);
    if (errno || end == colon + 1 || *end || parts < 1 || parts > MAX_PARTITIONS) {
        fprintf(stderr, "sb-devbroker: partitions must be 1..%d in '%s'\n", MAX_PARTITIONS, arg);
        return -1;
    }
    for (int i = 0; i < *ntopics; i++) {
        if (strlen(topics[i].name) == len && !memcmp(topics[i].name, arg, len)) {
            topics[i].partitions = (int)parts;
            return 0;
        }
    }
    if (*ntopics >= MAX_TOPICS) {
        fprintf(stderr, "sb-devbroker: at most %d topics\n", MAX_TOPICS);
        return -1;
    }
    memcpy(topics[*ntopics].name, arg, len);
    topics[*ntopics].name[len] = '\0';
    topics[*ntopics].partitions = (int)parts;
    (*ntopics)++;
    return 0;
}

/* Writes all of buf to fd, retrying on short writes and EINTR; 0 or -1 (errno set). */
static int write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Writes "addr\n" to path via a temporary file and rename(), so readers never see half of it. */
static int write_bootstrap_file(const char *path, const char *addr)
{
    char tmp[PATH_MAX];
    int fd, n;

    n = snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    if (n < 0 || (size_t)n >= sizeof tmp) {
        log_json("error", "bootstrap_file_failed", NULL, "path too long: %s", path);
        return -1;
    }
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        log_json("error", "bootstrap_file_failed", NULL, "open %s: %s", tmp, strerror(errno));
        return -1;
    }
    if (write_all(fd, addr, strlen(addr)) < 0 || write_all(fd, "\n", 1) < 0) {
        log_json("error", "bootstrap_file_failed", NULL, "write %s: %s", tmp, strerror(errno));
        close(fd);
        unlink(tmp);
        return -1;
    }
    if (close(fd) < 0) {
        log_json("error", "bootstrap_file_failed", NULL, "close %s: %s", tmp, strerror(errno));
        unlink(tmp);
        return -1;
    }
    if (rename(tmp, path) < 0) {
        log_json("error", "bootstrap_file_failed", NULL, "rename %s -> %s: %s", tmp, path,
                 strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

/* Creates every topic in the list on the mock cluster; 0 or -1 (logged). */
static int create_topics(rd_kafka_mock_cluster_t *mcluster, const topic_spec *topics, int n)
{
    for (int i = 0; i < n; i++) {
        rd_kafka_resp_err_t err =
            rd_kafka_mock_topic_create(mcluster, topics[i].name, topics[i].partitions, 1);
        if (err) {
            log_json("error", "topic_create_failed", NULL, "topic %s (%d partitions): %s",
                     topics[i].name, topics[i].partitions, rd_kafka_err2str(err));
            return -1;
        }
        log_json("info", "topic_created", NULL, "topic %s with %d partitions", topics[i].name,
                 topics[i].partitions);
    }
    return 0;
}

/* Sets broker DEVBROKER_BROKER_ID down or up and logs the outcome. */
static void set_broker_state(rd_kafka_mock_cluster_t *mcluster, int up)
{
    char extra[64];
    rd_kafka_resp_err_t err = up ? rd_kafka_mock_broker_set_up(mcluster, DEVBROKER_BROKER_ID)
                                 : rd_kafka_mock_broker_set_down(mcluster, DEVBROKER_BROKER_ID);

    snprintf(extra, sizeof extra, ",\"broker_id\":%d", DEVBROKER_BROKER_ID);
    if (err)
        log_json("error", up ? "broker_up_failed" : "broker_down_failed", extra, "broker %d: %s",
                 DEVBROKER_BROKER_ID, rd_kafka_err2str(err));
    else
        log_json("info", up ? "broker_up" : "broker_down", extra, "broker %d is %s",
                 DEVBROKER_BROKER_ID, up ? "up" : "down");
}

/* Waits for the control signals and handles them until a terminating one arrives. */
static void signal_loop(rd_kafka_mock_cluster_t *mcluster, const sigset_t *set)
{
    for (;;) {
        int sig = 0;
        int rc = sigwait(set, &sig);

        if (rc != 0) {
            log_json("error", "sigwait_failed", NULL, "sigwait: %s", strerror(rc));
            return;
        }
        switch (sig) {
        case SIGUSR1:
            set_broker_state(mcluster, 0);
            break;
        case SIGUSR2:
            set_broker_state(mcluster, 1);
            break;
        default:
            log_json("info", "stopping", NULL, "received %s", strsignal(sig));
            return;
        }
    }
}

int main(int argc, char **argv)
{
    topic_spec topics[MAX_TOPICS];
    int ntopics = 0;
    const char *bootstrap_file = NULL;
    char errstr[512];
    sigset_t set;
    rd_kafka_conf_t *conf;
    rd_kafka_t *rk;
    rd_kafka_mock_cluster_t *mcluster;
    const char *addr;
    int rc, status = 1, wrote_file = 0;

    for (size_t i = 0; i < sizeof default_topics / sizeof default_topics[0]; i++)
        topics[ntopics++] = default_topics[i];

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(argv[i], "--bootstrap-file") && i + 1 < argc) {
            bootstrap_file = argv[++i];
        } else if (!strcmp(argv[i], "--topic") && i + 1 < argc) {
            if (add_topic_arg(topics, &ntopics, argv[++i]) < 0)
                return 2;
        } else {
            fprintf(stderr, "sb-devbroker: unknown or incomplete argument '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }

    /* Block the control signals before librdkafka starts threads, so they all inherit the mask
     * and only sigwait() below ever receives them. */
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGUSR2);
    rc = pthread_sigmask(SIG_BLOCK, &set, NULL);
    if (rc != 0) {
        log_json("error", "startup_failed", NULL, "pthread_sigmask: %s", strerror(rc));
        return 1;
    }
    if (signal(SIGPIPE, SIG_IGN) == SIG_ERR) {
        log_json("error", "startup_failed", NULL, "ignoring SIGPIPE: %s", strerror(errno));
        return 1;
    }

    conf = rd_kafka_conf_new();
    rd_kafka_conf_set_log_cb(conf, rdkafka_log_cb);
    if (rd_kafka_conf_set(conf, "client.id", "sb-devbroker", errstr, sizeof errstr) !=
        RD_KAFKA_CONF_OK) {
        log_json("error", "startup_failed", NULL, "config: %s", errstr);
        rd_kafka_conf_destroy(conf);
        return 1;
    }
    /* The handle only hosts the mock cluster; it never produces. */
    rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (!rk) {
        log_json("error", "startup_failed", NULL, "rd_kafka_new: %s", errstr);
        rd_kafka_conf_destroy(conf);
        return 1;
    }

    /* The listener binds 127.0.0.1:0: librdkafka 2.0.2's mock API offers no way to choose the
     * port (only bind() interposition could), so the address is published instead: on stdout
     * and in --bootstrap-file. */
    mcluster = rd_kafka_mock_cluster_new(rk, 1);
    if (!mcluster) {
        log_json("error", "startup_failed", NULL, "rd_kafka_mock_cluster_new failed");
        rd_kafka_destroy(rk);
        return 1;
    }

    if (create_topics(mcluster, topics, ntopics) < 0)
        goto out;

    addr = rd_kafka_mock_cluster_bootstraps(mcluster);
    if (!addr || !*addr) {
        log_json("error", "startup_failed", NULL, "mock cluster has no bootstrap address");
        goto out;
    }
    if (printf("bootstrap=%s\n", addr) < 0 || fflush(stdout) == EOF) {
        log_json("error", "startup_failed", NULL, "writing stdout: %s", strerror(errno));
        goto out;
    }
    if (bootstrap_file) {
        if (write_bootstrap_file(bootstrap_file, addr) < 0)
            goto out;
        wrote_file = 1;
    }
    {
        char extra[600];
        snprintf(extra, sizeof extra, ",\"bootstrap\":\"%s\",\"pid\":%ld", addr, (long)getpid());
        log_json("info", "ready", extra, "mock broker listening on %s", addr);
    }

    signal_loop(mcluster, &set);
    status = 0;

out:
    if (wrote_file && unlink(bootstrap_file) < 0 && errno != ENOENT)
        log_json("warn", "bootstrap_file_cleanup_failed", NULL, "unlink %s: %s", bootstrap_file,
                 strerror(errno));
    rd_kafka_mock_cluster_destroy(mcluster);
    rd_kafka_destroy(rk);
    log_json("info", "stopped", NULL, "devbroker stopped");
    return status;
}
