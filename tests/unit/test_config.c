/* test_config.c - SB_* readers, defaults, and errors naming the variable. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"

/* Each Criterion test runs in its own process, but clear anything the environment brings. */
static void clean_env(void)
{
    const char *vars[] = {"SB_KAFKA_BROKERS", "SB_PG_DSN", "SB_HTTP_ADDR", "SB_LOG_LEVEL",
                          "SB_SQL_DIR", "SB_CUSTOMER_KEY_SECRET", "SB_TEST_INT", "SB_TEST_STR"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        unsetenv(vars[i]);
}

TestSuite(config, .init = clean_env);

Test(config, load_defaults)
{
    sb_config cfg;
    sb_error err = {0};
    cr_assert_eq(sb_config_load(&cfg, "ingest", "127.0.0.1:8081", &err), 0);
    cr_assert_str_eq(cfg.service, "ingest");
    cr_assert_str_eq(cfg.kafka_brokers, "127.0.0.1:9092");
    cr_assert_str_eq(cfg.pg_dsn, "postgresql://switchboard@127.0.0.1:5432/switchboard");
    cr_assert_str_eq(cfg.http_host, "127.0.0.1");
    cr_assert_eq(cfg.http_port, 8081);
    cr_assert_eq(cfg.log_level, SB_LOG_INFO);
    cr_assert_str_eq(cfg.sql_dir, SB_SOURCE_DIR "/deploy/sql");
    cr_assert_str_eq(cfg.customer_key_secret, "switchboard-dev-secret");
}

Test(config, load_from_environment)
{
    setenv("SB_KAFKA_BROKERS", "k1:9092,k2:9092", 1);
    setenv("SB_PG_DSN", "postgresql://x@db/y", 1);
    setenv("SB_HTTP_ADDR", "0.0.0.0:9000", 1);
    setenv("SB_LOG_LEVEL", "debug", 1);
    setenv("SB_SQL_DIR", "/opt/sql", 1);
    setenv("SB_CUSTOMER_KEY_SECRET", "s3cret", 1);
    sb_config cfg;
    sb_error err = {0};
    cr_assert_eq(sb_config_load(&cfg, "desk", "127.0.0.1:8080", &err), 0);
    cr_assert_str_eq(cfg.kafka_brokers, "k1:9092,k2:9092");
    cr_assert_str_eq(cfg.pg_dsn, "postgresql://x@db/y");
    cr_assert_str_eq(cfg.http_host, "0.0.0.0");
    cr_assert_eq(cfg.http_port, 9000);
    cr_assert_eq(cfg.log_level, SB_LOG_DEBUG);
    cr_assert_str_eq(cfg.sql_dir, "/opt/sql");
    cr_assert_str_eq(cfg.customer_key_secret, "s3cret");
}

Test(config, empty_variable_means_default)
{
    setenv("SB_KAFKA_BROKERS", "", 1);
    setenv("SB_HTTP_ADDR", "", 1);
    sb_config cfg;
    sb_error err = {0};
    cr_assert_eq(sb_config_load(&cfg, "classify", "127.0.0.1:8090", &err), 0);
    cr_assert_str_eq(cfg.kafka_brokers, "127.0.0.1:9092");
    cr_assert_eq(cfg.http_port, 8090);
}

Test(config, bad_http_addr_names_the_variable)
{
    setenv("SB_HTTP_ADDR", "x", 1);
    sb_config cfg;
    sb_error err = {0};
    cr_assert_eq(sb_config_load(&cfg, "ingest", "127.0.0.1:8081", &err), -1);
    cr_assert_eq(err.status, 500);
    cr_assert_str_eq(err.code, "config");
    cr_assert_str_eq(err.field, "SB_HTTP_ADDR");
    cr_assert_str_eq(err.message, "SB_HTTP_ADDR: expected host:port, got 'x'");
}

Test(config, bad_log_level)
{
    setenv("SB_LOG_LEVEL", "verbose", 1);
    sb_config cfg;
    sb_error err = {0};
    cr_assert_eq(sb_config_load(&cfg, "sla", "127.0.0.1:8084", &err), -1);
    cr_assert_str_eq(err.field, "SB_LOG_LEVEL");
    cr_assert_not_null(strstr(err.message, "'verbose'"));
}

Test(config, addr_forms)
{
    char host[64];
    int port;
    sb_error err = {0};
    cr_assert_eq(sb_config_addr("SB_TEST_ADDR", "localhost:65535", host, sizeof host, &port, &err), 0);
    cr_assert_str_eq(host, "localhost");
    cr_assert_eq(port, 65535);
    cr_assert_eq(sb_config_addr("SB_TEST_ADDR", "[::1]:8080", host, sizeof host, &port, &err), 0);
    cr_assert_str_eq(host, "::1");
    cr_assert_eq(port, 8080);
    /* Port 0 lets tests bind a free port (sb_http_port reports it). */
    cr_assert_eq(sb_config_addr("SB_TEST_ADDR", "127.0.0.1:0", host, sizeof host, &port, &err), 0);
    cr_assert_eq(port, 0);
}

Test(config, addr_rejects)
{
    const char *bad[] = {"x", "127.0.0.1", ":8080", "127.0.0.1:", "127.0.0.1:65536",
                         "127.0.0.1:-1", "127.0.0.1:+80", "127.0.0.1:80x", "::1:80", "[]:80",
                         "[::1:80", "127.0.0.1:80 "};
    char host[64];
    int port;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sb_error err = {0};
        cr_assert_eq(sb_config_addr("SB_TEST_ADDR", bad[i], host, sizeof host, &port, &err), -1,
                     "accepted '%s'", bad[i]);
        cr_assert_str_eq(err.field, "SB_TEST_ADDR");
        cr_assert_eq(err.status, 500);
    }
}

Test(config, addr_host_too_long_for_buffer)
{
    char host[8];
    int port;
    sb_error err = {0};
    cr_assert_eq(sb_config_addr("SB_TEST_ADDR", "1234567:80", host, sizeof host, &port, &err), 0);
    cr_assert_eq(sb_config_addr("SB_TEST_ADDR", "12345678:80", host, sizeof host, &port, &err), -1);
}

Test(config, int_reader)
{
    long v = 0;
    sb_error err = {0};
    cr_assert_eq(sb_config_int("SB_TEST_INT", 7, 1, 10, &v, &err), 0);
    cr_assert_eq(v, 7);
    setenv("SB_TEST_INT", "10", 1);
    cr_assert_eq(sb_config_int("SB_TEST_INT", 7, 1, 10, &v, &err), 0);
    cr_assert_eq(v, 10);
    setenv("SB_TEST_INT", "-3", 1);
    cr_assert_eq(sb_config_int("SB_TEST_INT", 7, -5, 10, &v, &err), 0);
    cr_assert_eq(v, -3);
}

Test(config, int_reader_rejects)
{
    const char *bad[] = {"11", "0", "abc", "5x", " 5", "99999999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        long v = 42;
        sb_error err = {0};
        setenv("SB_TEST_INT", bad[i], 1);
        cr_assert_eq(sb_config_int("SB_TEST_INT", 7, 1, 10, &v, &err), -1, "accepted '%s'", bad[i]);
        cr_assert_eq(v, 42);
        cr_assert_str_eq(err.code, "config");
        cr_assert_str_eq(err.field, "SB_TEST_INT");
        cr_assert_eq(strncmp(err.message, "SB_TEST_INT: ", 13), 0, "%s", err.message);
    }
}

Test(config, str_reader)
{
    const char *v = NULL;
    cr_assert_eq(sb_config_str("SB_TEST_STR", "dflt", &v, NULL), 0);
    cr_assert_str_eq(v, "dflt");
    setenv("SB_TEST_STR", "set", 1);
    cr_assert_eq(sb_config_str("SB_TEST_STR", "dflt", &v, NULL), 0);
    cr_assert_str_eq(v, "set");
}
