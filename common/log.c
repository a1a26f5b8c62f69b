/* log.c - JSON-lines logging on stderr, one write per line so concurrent processes don't mix. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/clock.h"
#include "common/json.h"
#include "common/log.h"
#include "common/utf8.h"

/* Process-wide log settings: set once at start by sb_log_init. */
static char         log_service[32] = "switchboard";
static sb_log_level log_min = SB_LOG_INFO;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void sb_log_init(const char *service, sb_log_level min_level)
{
    snprintf(log_service, sizeof log_service, "%s", service ? service : "switchboard");
    log_min = min_level;
}

int sb_log_level_parse(const char *s, sb_log_level *out)
{
    for (int i = SB_LOG_DEBUG; s && i <= SB_LOG_ERROR; i++) {
        if (strcasecmp(s, level_names[i]) == 0) {
            *out = (sb_log_level)i;
            return 0;
        }
    }
    return -1;
}

/* Growable line buffer; a failed growth marks it broken and later appends are dropped. */
typedef struct {
    char  *buf;
    size_t len, cap;
    int    broken;
} line_buf;

/* Appends n bytes, doubling the capacity as needed. */
static void put(line_buf *b, const char *s, size_t n)
{
    if (b->broken)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (b->len + n + 1 > cap)
            cap *= 2;
        char *nb = realloc(b->buf, cap);
        if (!nb) {
            b->broken = 1;
            return;
        }
        b->buf = nb;
        b->cap = cap;
    }
    memcpy(b->buf + b->len, s, n);
    b->len += n;
    b->buf[b->len] = '\0';
}

/* Appends s as a JSON string literal; invalid UTF-8 bytes become U+FFFD so the line stays JSON. */
static void put_json_string(line_buf *b, const char *s)
{
    put(b, "\"", 1);
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        char tmp[8];
        const char *esc = sb_json_escape_byte((unsigned char)s[i], tmp);
        size_t clen = esc ? 1 : sb_utf8_char_len(s + i, n - i);
        if (esc)
            put(b, esc, strlen(esc));
        else if (clen == 0)
            put(b, "\\ufffd", 6);
        else
            put(b, s + i, clen);
        i += clen ? clen : 1;
    }
    put(b, "\"", 1);
}

/* Appends `,"key":` followed by the string value. */
static void put_field(line_buf *b, const char *key, const char *value)
{
    put(b, ",\"", 2);
    put(b, key, strlen(key));
    put(b, "\":", 2);
    put_json_string(b, value);
}

/* The formatted message, or NULL when out of memory (vasprintf leaves msg undefined then). */
static char *format_msg(const char *fmt, va_list ap)
{
    char *msg = NULL;
    if (vasprintf(&msg, fmt, ap) < 0)
        return NULL;
    return msg;
}

void sb_log(sb_log_level level, const char *event, const char *fmt, ...)
{
    if ((int)level < (int)log_min || (int)level < SB_LOG_DEBUG || (int)level > SB_LOG_ERROR)
        return;
    va_list ap;
    va_start(ap, fmt);
    char *msg = format_msg(fmt, ap);
    va_end(ap);

    char ts[40];
    sb_clock_format_iso(sb_clock_now_ms(), ts, sizeof ts);
    line_buf b = {0};
    put(&b, "{\"ts\":\"", 7);
    put(&b, ts, strlen(ts));
    put(&b, "\"", 1);
    put_field(&b, "level", level_names[level]);
    put_field(&b, "service", log_service);
    put_field(&b, "event", event ? event : "");
    put_field(&b, "msg", msg ? msg : "(message lost: out of memory)");
    put(&b, "}\n", 2);
    if (!b.broken)
        fwrite(b.buf, 1, b.len, stderr);
    free(b.buf);
    free(msg);
}
