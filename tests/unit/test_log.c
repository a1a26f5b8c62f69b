/* test_log.c - JSON-lines logging: exact shape, level filter, escaping, one line per call. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"

static int saved_stderr = -1, pipe_read = -1;

/* Points fd 2 at a pipe until end_capture(). */
static void start_capture(void)
{
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    fflush(stderr);
    saved_stderr = dup(2);
    cr_assert_geq(dup2(fds[1], 2), 0);
    close(fds[1]);
    pipe_read = fds[0];
}

/* Restores stderr and returns everything written meanwhile (caller frees). */
static char *end_capture(void)
{
    fflush(stderr);
    dup2(saved_stderr, 2);
    close(saved_stderr);
    size_t len = 0, cap = 1 << 16;
    char *buf = malloc(cap);
    ssize_t n;
    while ((n = read(pipe_read, buf + len, cap - len - 1)) > 0)
        len += (size_t)n;
    close(pipe_read);
    buf[len] = '\0';
    return buf;
}

static void setup(void)
{
    sb_clock_fake_set(1795341600123LL);  /* 2026-11-22T10:00:00.123Z */
    sb_log_init("ingest", SB_LOG_INFO);
}

TestSuite(log, .init = setup);

Test(log, exact_line_shape)
{
    start_capture();
    sb_info("started", "listening on port %d", 8081);
    char *out = end_capture();
    cr_assert_str_eq(out, "{\"ts\":\"2026-11-22T10:00:00.123Z\",\"level\":\"info\","
                          "\"service\":\"ingest\",\"event\":\"started\","
                          "\"msg\":\"listening on port 8081\"}\n");
    free(out);
}

Test(log, level_filter)
{
    start_capture();
    sb_debug("hidden", "debug is below info");
    sb_warn("w", "shown");
    sb_error("e", "shown");
    sb_log_init("ingest", SB_LOG_ERROR);
    sb_warn("hidden", "warn is below error");
    sb_log_init("ingest", SB_LOG_DEBUG);
    sb_debug("d", "shown");
    char *out = end_capture();
    cr_assert_null(strstr(out, "hidden"), "%s", out);
    cr_assert_not_null(strstr(out, "\"level\":\"warn\",\"service\":\"ingest\",\"event\":\"w\""));
    cr_assert_not_null(strstr(out, "\"level\":\"error\""));
    cr_assert_not_null(strstr(out, "\"level\":\"debug\""));
    free(out);
}

Test(log, message_is_escaped_to_valid_json)
{
    start_capture();
    sb_info("esc", "quote\" back\\slash\nnew\ttab\x01 ctl \xe5\xbc\xa0\xe4\xb8\x89 bad\xff end");
    char *out = end_capture();
    cr_assert(strstr(out, "\\\"") && strstr(out, "\\\\") && strstr(out, "\\n"), "%s", out);
    cr_assert_not_null(strstr(out, "\\u0001"), "%s", out);
    cr_assert_eq(strchr(out, '\n'), out + strlen(out) - 1, "not exactly one line: %s", out);
    json_error_t jerr;
    json_t *line = json_loads(out, 0, &jerr);
    cr_assert_not_null(line, "invalid JSON (%s): %s", jerr.text, out);
    /* Valid UTF-8 is kept as is; the invalid byte becomes U+FFFD. */
    cr_assert_str_eq(json_string_value(json_object_get(line, "msg")),
                     "quote\" back\\slash\nnew\ttab\x01 ctl \xe5\xbc\xa0\xe4\xb8\x89 bad\xef\xbf\xbd end");
    json_decref(line);
    free(out);
}

Test(log, event_and_service_are_escaped_too)
{
    sb_log_init("svc\"x", SB_LOG_INFO);
    start_capture();
    sb_info("ev\"1", "m");
    char *out = end_capture();
    json_t *line = json_loads(out, 0, NULL);
    cr_assert_not_null(line, "%s", out);
    cr_assert_str_eq(json_string_value(json_object_get(line, "service")), "svc\"x");
    cr_assert_str_eq(json_string_value(json_object_get(line, "event")), "ev\"1");
    json_decref(line);
    free(out);
}

Test(log, long_message_stays_one_line)
{
    char big[20000];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    start_capture();
    sb_info("big", "%s", big);
    sb_info("next", "second");
    char *out = end_capture();
    char *nl = strchr(out, '\n');
    cr_assert_not_null(nl);
    cr_assert_eq(strncmp(nl + 1, "{\"ts\"", 5), 0);
    *nl = '\0';
    json_t *line = json_loads(out, 0, NULL);
    cr_assert_not_null(line);
    cr_assert_eq(strlen(json_string_value(json_object_get(line, "msg"))), sizeof big - 1);
    json_decref(line);
    free(out);
}

Test(log, level_parse)
{
    sb_log_level l = SB_LOG_ERROR;
    cr_assert_eq(sb_log_level_parse("debug", &l), 0);
    cr_assert_eq(l, SB_LOG_DEBUG);
    cr_assert_eq(sb_log_level_parse("info", &l), 0);
    cr_assert_eq(l, SB_LOG_INFO);
    cr_assert_eq(sb_log_level_parse("WARN", &l), 0);
    cr_assert_eq(l, SB_LOG_WARN);
    cr_assert_eq(sb_log_level_parse("error", &l), 0);
    cr_assert_eq(l, SB_LOG_ERROR);
    cr_assert_eq(sb_log_level_parse("verbose", &l), -1);
    cr_assert_eq(sb_log_level_parse("", &l), -1);
    cr_assert_eq(sb_log_level_parse(NULL, &l), -1);
    cr_assert_eq(l, SB_LOG_ERROR);
}
