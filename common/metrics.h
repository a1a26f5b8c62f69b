/* metrics.h - counters, gauges and histograms rendered in Prometheus text format. */
#ifndef SB_METRICS_H
#define SB_METRICS_H

#include <stddef.h>
#include <stdint.h>

typedef struct sb_metrics sb_metrics;
typedef struct sb_counter sb_counter;
typedef struct sb_gauge sb_gauge;
typedef struct sb_histogram sb_histogram;

sb_metrics *sb_metrics_new(const char *prefix);     /* names get "<prefix>_" in front, e.g. "sb" */
void        sb_metrics_free(sb_metrics *m);

/* labels is a Prometheus label body such as `channel="web"`, or NULL. The same name+labels
 * returns the same metric, so lookups may be repeated. Never NULL (aborts on OOM). */
sb_counter   *sb_metrics_counter(sb_metrics *m, const char *name, const char *help, const char *labels);
sb_gauge     *sb_metrics_gauge(sb_metrics *m, const char *name, const char *help, const char *labels);
/* bounds: ascending upper bounds (le); +Inf is implicit. */
sb_histogram *sb_metrics_histogram(sb_metrics *m, const char *name, const char *help,
                                   const char *labels, const double *bounds, size_t nbounds);

void sb_counter_add(sb_counter *c, uint64_t n);
void sb_gauge_set(sb_gauge *g, double v);
void sb_histogram_observe(sb_histogram *h, double v);
uint64_t sb_counter_value(const sb_counter *c);

/* Prometheus text exposition (HELP/TYPE once per name). Caller frees. */
char *sb_metrics_render(const sb_metrics *m);

/* Default latency bounds in milliseconds: 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000. */
extern const double sb_metrics_latency_ms[12];

#endif
