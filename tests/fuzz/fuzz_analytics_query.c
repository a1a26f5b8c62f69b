/* fuzz_analytics_query.c - analytics' outside input: report query strings (overview, time
 * series, weekly, monthly, anomalies) and PUT /v1/targets bodies. What is accepted keeps every
 * limit (a range in order, at most 10,080 points, bounded printable filters, targets in their
 * ranges); what is refused is a 400 naming a field. */
#define FUZZ_NAME "fuzz_analytics_query"
#include "fuzz.h"

#include <math.h>

#include "services/analytics/query.h"

#define NOW_MS 1795340000000LL   /* 2026-11-23 */

/* A refusal is a 400 with a machine code and a message. */
static void check_refused(const sb_error *err)
{
    CHECK(err->status == 400, "status %d", err->status);
    CHECK(err->code[0] != '\0' && err->message[0] != '\0', "code/message empty");
}

/* A filter as accepted: at most 64 bytes, no control character. */
static void check_filter(const char *f)
{
    size_t n = strlen(f);
    CHECK(n <= ANALYTICS_DIM_MAX, "filter of %zu bytes", n);
    for (size_t i = 0; i < n; i++)
        CHECK((unsigned char)f[i] >= 0x20 && f[i] != 0x7f, "control byte in filter");
}

/* A query as accepted. */
static void check_query(const analytics_query *q, const char *what)
{
    static const int64_t step[] = {60000, 3600000, 86400000};
    CHECK(q->from_ms < q->to_ms, "from %lld >= to %lld", (long long)q->from_ms, (long long)q->to_ms);
    CHECK(q->grain >= ANALYTICS_MINUTE && q->grain <= ANALYTICS_DAY, "grain %d", (int)q->grain);
    if (strcmp(what, "timeseries") == 0)
        CHECK((q->to_ms - q->from_ms) / step[q->grain] <= 10080, "too many points");
    if (strcmp(what, "weekly") == 0)
        CHECK(q->to_ms - q->from_ms == 7 * 86400000LL && q->from_ms % 86400000 == 0, "week");
    CHECK(q->from_text[0] && q->to_text[0], "texts");
    check_filter(q->channel);
    check_filter(q->category);
    check_filter(q->department);
    check_filter(q->agent);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const whats[] = {"overview", "timeseries", "weekly", "monthly", "anomalies"};
    char *s = fuzz_cstring(data, size);
    if (!s)
        return 0;
    for (size_t i = 0; i < sizeof(whats) / sizeof(whats[0]); i++) {
        analytics_query q;
        sb_error err;
        sb_error_clear(&err);
        if (analytics_query_parse(s, whats[i], NOW_MS, &q, &err) == 0)
            check_query(&q, whats[i]);
        else
            check_refused(&err);
    }
    double v[ANALYTICS_NTARGETS];
    unsigned mask = 0;
    sb_error err;
    sb_error_clear(&err);
    if (analytics_targets_parse((const char *)data, size, v, &mask, &err) == 0) {
        CHECK(mask != 0 && mask < (1u << ANALYTICS_NTARGETS), "mask %u", mask);
        for (int i = 0; i < ANALYTICS_NTARGETS; i++)
            CHECK(!(mask & (1u << i)) || (isfinite(v[i]) && v[i] >= 0 && v[i] <= 86400), "value %d", i);
    } else {
        check_refused(&err);
        CHECK(err.field[0] != '\0' || strcmp(err.code, "invalid_json") == 0, "no field named");
    }
    free(s);
    return 0;
}
