/* export.c - an overview as a printable HTML page or as CSV (weekly and monthly reports). */
#include "services/analytics/analytics.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A growing text buffer; on allocation failure it stays failed and the export returns NULL. */
typedef struct out {
    char  *p;
    size_t len, cap;
    int    failed;
} out;

/* Appends a string literal. */
#define OUT_LIT(o, lit) out_add((o), (lit), sizeof(lit) - 1)

/* Appends len bytes of s. */
static void out_add(out *o, const char *s, size_t len)
{
    if (o->failed)
        return;
    if (o->len + len + 1 > o->cap) {
        size_t cap = o->cap ? o->cap : 4096;
        while (cap < o->len + len + 1)
            cap *= 2;
        char *p = realloc(o->p, cap);
        if (!p) {
            o->failed = 1;
            return;
        }
        o->p = p;
        o->cap = cap;
    }
    memcpy(o->p + o->len, s, len);
    o->len += len;
    o->p[o->len] = '\0';
}

/* printf into the buffer (trusted formats; values go through the escapers). */
static void out_fmt(out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void out_fmt(out *o, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n > 0)
        out_add(o, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* Text with &<>"' escaped for HTML. */
static void out_html(out *o, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': OUT_LIT(o, "&amp;"); break;
        case '<': OUT_LIT(o, "&lt;"); break;
        case '>': OUT_LIT(o, "&gt;"); break;
        case '"': OUT_LIT(o, "&quot;"); break;
        case '\'': OUT_LIT(o, "&#39;"); break;
        default: out_add(o, s, 1);
        }
    }
}

/* A CSV field: quoted, quotes doubled; a leading = + - @ is prefixed with ' so spreadsheets
 * do not run it as a formula. */
static void out_csv(out *o, const char *s)
{
    OUT_LIT(o, "\"");
    if (s && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@'))
        OUT_LIT(o, "'");
    for (; s && *s; s++)
        out_add(o, *s == '"' ? "\"\"" : s, 1 + (*s == '"'));
    OUT_LIT(o, "\"");
}

/* A JSON number (or null) as text with 1 decimal, "-" for null. */
static void num_text(const json_t *v, char *buf, size_t len)
{
    if (json_is_integer(v))
        snprintf(buf, len, "%lld", (long long)json_integer_value(v));
    else if (json_is_number(v))
        snprintf(buf, len, "%.1f", json_number_value(v));
    else
        snprintf(buf, len, "-");
}

/* The KPI names, in the order reports show them, with their labels. */
static const char *const kpi_names[][2] = {
    {"satisfaction_pct", "Satisfaction (% satisfied or better)"},
    {"first_response_live_s", "First response on live channels (s, mean)"},
    {"resolution_pct", "Resolution rate (% fully resolved)"},
    {"repeat_contact_pct", "Repeat contact rate (%, 7 days)"},
    {"tickets_per_agent_hour", "Tickets resolved per agent-hour"},
    {"fcr_pct", "First-contact resolution (%)"},
    {"reopen_pct", "Reopen rate (%)"},
    {"survey_response_pct", "Survey response rate (%)"}};
#define NKPI (sizeof(kpi_names) / sizeof(kpi_names[0]))

/* Visits each table row of an overview: section, name, value, target (text). */
typedef void (*row_fn)(out *o, const char *section, const char *name, const char *value,
                       const char *target);

/* Every row a report shows, in order. */
static void report_rows(out *o, const json_t *ov, row_fn row)
{
    char v[96], t[96];
    const json_t *k = json_object_get(ov, "kpis");
    for (size_t i = 0; i < NKPI; i++) {
        const json_t *x = json_object_get(k, kpi_names[i][0]);
        num_text(json_object_get(x, "value"), v, sizeof(v));
        const char *op = json_string_value(json_object_get(x, "op"));
        char tv[32];
        num_text(json_object_get(x, "target"), tv, sizeof(tv));
        snprintf(t, sizeof(t), "%s%s", op ? op : "", op ? tv : "");
        row(o, "kpi", kpi_names[i][1], v, t);
    }
    const char *key;
    const json_t *x;
    json_object_foreach((json_t *)json_object_get(ov, "totals"), key, x) {
        num_text(x, v, sizeof(v));
        row(o, "volume", key, v, "");
    }
    json_object_foreach((json_t *)json_object_get(ov, "by_channel"), key, x) {
        num_text(json_object_get(x, "opened"), v, sizeof(v));
        row(o, "tickets opened by channel", key, v, "");
    }
    size_t i;
    json_array_foreach(json_object_get(ov, "top_issues"), i, x) {
        char name[2 * ANALYTICS_DIM_MAX + 2];
        snprintf(name, sizeof(name), "%s/%s", json_string_value(json_object_get(x, "category")),
                 json_string_value(json_object_get(x, "subtopic")));
        num_text(json_object_get(x, "tickets"), v, sizeof(v));
        row(o, "top issues", name, v, "");
    }
    json_object_foreach((json_t *)json_object_get(ov, "stages"), key, x) {
        char p50[32], p90[32];
        num_text(json_object_get(x, "p50_ms"), p50, sizeof(p50));
        num_text(json_object_get(x, "p90_ms"), p90, sizeof(p90));
        snprintf(v, sizeof(v), "p50 %s ms, p90 %s ms", p50, p90);
        row(o, "stage times", key, v, "");
    }
    json_object_foreach((json_t *)json_object_get(json_object_get(ov, "sla"), "by_kind"), key, x) {
        num_text(json_object_get(x, "compliance_pct"), v, sizeof(v));
        row(o, "SLA compliance (%)", key, v, "");
    }
    json_object_foreach((json_t *)json_object_get(json_object_get(ov, "sla"), "by_policy"), key, x) {
        num_text(json_object_get(x, "compliance_pct"), v, sizeof(v));
        row(o, "SLA compliance by policy (%)", key, v, "");
    }
}

/* row_fn for HTML: one <tr>. */
static void html_row(out *o, const char *section, const char *name, const char *value,
                     const char *target)
{
    OUT_LIT(o, "<tr><td>");
    out_html(o, section);
    OUT_LIT(o, "</td><td>");
    out_html(o, name);
    OUT_LIT(o, "</td><td class=\"n\">");
    out_html(o, value);
    OUT_LIT(o, "</td><td class=\"n\">");
    out_html(o, target);
    OUT_LIT(o, "</td></tr>\n");
}

/* row_fn for CSV: one line. */
static void csv_row(out *o, const char *section, const char *name, const char *value,
                    const char *target)
{
    out_csv(o, section);
    OUT_LIT(o, ",");
    out_csv(o, name);
    OUT_LIT(o, ",");
    out_csv(o, value);
    OUT_LIT(o, ",");
    out_csv(o, target);
    OUT_LIT(o, "\r\n");
}

/* The buffer's text, or NULL (freed) when it failed. */
static char *out_done(out *o)
{
    if (o->failed || !o->p) {
        free(o->p);
        return NULL;
    }
    return o->p;
}

char *analytics_export_html(const json_t *ov, const char *title)
{
    out o = {0};
    OUT_LIT(&o, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>");
    out_html(&o, title);
    OUT_LIT(&o, "</title>\n<style>body{font-family:system-ui,sans-serif;margin:2rem;color:#222}"
                "table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:"
                ".3rem .6rem;text-align:left}td.n{text-align:right}@media print{body{margin:0}}"
                "</style></head><body>\n<h1>");
    out_html(&o, title);
    OUT_LIT(&o, "</h1>\n<p>");
    out_html(&o, json_string_value(json_object_get(ov, "from")));
    OUT_LIT(&o, " &ndash; ");
    out_html(&o, json_string_value(json_object_get(ov, "to")));
    out_fmt(&o, " (UTC), metric definitions version %d</p>\n",
            (int)json_integer_value(json_object_get(ov, "definitions_version")));
    OUT_LIT(&o, "<table><thead><tr><th>Section</th><th>Metric</th><th>Value</th><th>Target</th>"
                "</tr></thead><tbody>\n");
    report_rows(&o, ov, html_row);
    OUT_LIT(&o, "</tbody></table></body></html>\n");
    return out_done(&o);
}

char *analytics_export_csv(const json_t *ov)
{
    out o = {0};
    OUT_LIT(&o, "section,metric,value,target\r\n");
    char meta[96];
    snprintf(meta, sizeof(meta), "%s..%s v%d", json_string_value(json_object_get(ov, "from")),
             json_string_value(json_object_get(ov, "to")),
             (int)json_integer_value(json_object_get(ov, "definitions_version")));
    csv_row(&o, "period", "range and definitions version", meta, "");
    report_rows(&o, ov, csv_row);
    return out_done(&o);
}
