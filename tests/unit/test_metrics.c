/* test_metrics.c - counters, gauges, histograms and their Prometheus text. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/metrics.h"

/* Renders m and asserts that text has line as one whole line. */
static void assert_line(const sb_metrics *m, const char *line)
{
    char *text = sb_metrics_render(m);
    cr_assert_not_null(text);
    char *hay, *needle;
    cr_assert_geq(asprintf(&hay, "\n%s", text), 0);
    cr_assert_geq(asprintf(&needle, "\n%s\n", line), 0);
    cr_assert_not_null(strstr(hay, needle), "line '%s' not in:\n%s", line, text);
    free(needle);
    free(hay);
    free(text);
}

/* How often needle occurs in the rendering of m. */
static int count_in_render(const sb_metrics *m, const char *needle)
{
    char *text = sb_metrics_render(m);
    int n = 0;
    for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    free(text);
    return n;
}

Test(metrics, counter_renders_with_total_suffix)
{
    sb_metrics *m = sb_metrics_new("sb");
    sb_counter *c = sb_metrics_counter(m, "messages_accepted", "Messages accepted.", NULL);
    sb_counter_add(c, 3);
    sb_counter_add(c, 2);
    cr_assert_eq(sb_counter_value(c), 5);
    assert_line(m, "# HELP sb_messages_accepted_total Messages accepted.");
    assert_line(m, "# TYPE sb_messages_accepted_total counter");
    assert_line(m, "sb_messages_accepted_total 5");
    sb_metrics_free(m);
}

Test(metrics, same_name_and_labels_is_the_same_metric)
{
    sb_metrics *m = sb_metrics_new("sb");
    sb_counter *a = sb_metrics_counter(m, "req", "Requests.", "channel=\"web\"");
    sb_counter *b = sb_metrics_counter(m, "req", "Requests.", "channel=\"web\"");
    sb_counter *c = sb_metrics_counter(m, "req", "Requests.", "channel=\"app\"");
    cr_assert_eq(a, b);
    cr_assert_neq(a, c);
    sb_counter_add(a, 1);
    sb_counter_add(b, 1);
    sb_counter_add(c, 7);
    assert_line(m, "sb_req_total{channel=\"web\"} 2");
    assert_line(m, "sb_req_total{channel=\"app\"} 7");
    cr_assert_eq(count_in_render(m, "# TYPE sb_req_total"), 1);
    cr_assert_eq(count_in_render(m, "# HELP sb_req_total"), 1);
    sb_metrics_free(m);
}

Test(metrics, null_and_empty_labels_are_the_same_series)
{
    sb_metrics *m = sb_metrics_new("sb");
    cr_assert_eq(sb_metrics_counter(m, "x", "X.", NULL), sb_metrics_counter(m, "x", "X.", ""));
    sb_metrics_free(m);
}

Test(metrics, gauge_values)
{
    sb_metrics *m = sb_metrics_new("sb");
    sb_gauge *g = sb_metrics_gauge(m, "queue_depth", "Queued.", "topic=\"sb.inbound.v1\"");
    sb_gauge_set(g, 12.5);
    assert_line(m, "# TYPE sb_queue_depth gauge");
    assert_line(m, "sb_queue_depth{topic=\"sb.inbound.v1\"} 12.5");
    sb_gauge_set(g, 0.1);
    assert_line(m, "sb_queue_depth{topic=\"sb.inbound.v1\"} 0.1");
    sb_gauge_set(g, -3);
    assert_line(m, "sb_queue_depth{topic=\"sb.inbound.v1\"} -3");
    sb_metrics_free(m);
}

Test(metrics, histogram_buckets_are_cumulative)
{
    sb_metrics *m = sb_metrics_new("sb");
    const double bounds[] = {1, 2.5, 10};
    sb_histogram *h = sb_metrics_histogram(m, "latency_ms", "Latency.", NULL, bounds, 3);
    sb_histogram_observe(h, 0.5);
    sb_histogram_observe(h, 1);     /* le is inclusive */
    sb_histogram_observe(h, 2);
    sb_histogram_observe(h, 100);
    assert_line(m, "# TYPE sb_latency_ms histogram");
    assert_line(m, "sb_latency_ms_bucket{le=\"1\"} 2");
    assert_line(m, "sb_latency_ms_bucket{le=\"2.5\"} 3");
    assert_line(m, "sb_latency_ms_bucket{le=\"10\"} 3");
    assert_line(m, "sb_latency_ms_bucket{le=\"+Inf\"} 4");
    assert_line(m, "sb_latency_ms_sum 103.5");
    assert_line(m, "sb_latency_ms_count 4");
    sb_metrics_free(m);
}

Test(metrics, histogram_labels_merge_with_le)
{
    sb_metrics *m = sb_metrics_new("sb");
    sb_histogram *h = sb_metrics_histogram(m, "e2e_ms", "End to end.", "channel=\"web\"",
                                           sb_metrics_latency_ms, 12);
    sb_histogram_observe(h, 7);
    assert_line(m, "sb_e2e_ms_bucket{channel=\"web\",le=\"5\"} 0");
    assert_line(m, "sb_e2e_ms_bucket{channel=\"web\",le=\"10\"} 1");
    assert_line(m, "sb_e2e_ms_bucket{channel=\"web\",le=\"5000\"} 1");
    assert_line(m, "sb_e2e_ms_bucket{channel=\"web\",le=\"+Inf\"} 1");
    assert_line(m, "sb_e2e_ms_sum{channel=\"web\"} 7");
    assert_line(m, "sb_e2e_ms_count{channel=\"web\"} 1");
    cr_assert_eq(sb_metrics_histogram(m, "e2e_ms", "End to end.", "channel=\"web\"",
                                      sb_metrics_latency_ms, 12), h);
    sb_metrics_free(m);
}

Test(metrics, latency_bounds_are_the_documented_ones)
{
    const double want[] = {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000};
    for (int i = 0; i < 12; i++)
        cr_assert_eq(sb_metrics_latency_ms[i], want[i]);
}

Test(metrics, help_is_escaped)
{
    sb_metrics *m = sb_metrics_new("sb");
    sb_metrics_gauge(m, "g", "line one\nback\\slash", NULL);
    assert_line(m, "# HELP sb_g line one\\nback\\\\slash");
    sb_metrics_free(m);
}

Test(metrics, families_render_in_registration_order_and_end_with_newline)
{
    sb_metrics *m = sb_metrics_new("svc");
    sb_metrics_gauge(m, "b", "B.", NULL);
    sb_metrics_counter(m, "a", "A.", NULL);
    char *text = sb_metrics_render(m);
    char *b = strstr(text, "# TYPE svc_b gauge"), *a = strstr(text, "# TYPE svc_a_total counter");
    cr_assert(b && a && b < a, "%s", text);
    cr_assert_eq(text[strlen(text) - 1], '\n');
    free(text);
    sb_metrics_free(m);
}

Test(metrics, empty_registry_renders_empty_text)
{
    sb_metrics *m = sb_metrics_new("sb");
    char *text = sb_metrics_render(m);
    cr_assert_str_eq(text, "");
    free(text);
    sb_metrics_free(m);
}

Test(metrics, reusing_a_name_with_another_type_aborts, .signal = SIGABRT)
{
    sb_metrics *m = sb_metrics_new("sb");
    sb_metrics_counter(m, "dup", "D.", NULL);
    sb_metrics_gauge(m, "dup", "D.", NULL);
    cr_assert_fail("a second type for one metric name must abort");
}
