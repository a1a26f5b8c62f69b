/* pg_copy.c - COPY text-format rows: the cheapest way to hand PostgreSQL a batch of new rows. */
#include "common/pg_copy.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/array.h"
#include "common/pg.h"

/* Room for need more bytes (and a terminating NUL); sets failed when there is none. */
static int copy_reserve(sb_copy_rows *r, size_t need)
{
    if (r->failed)
        return -1;
    if (need > SIZE_MAX - r->len - 1) {
        r->failed = 1;
        return -1;
    }
    char *grown = sb_array_grow(r->buf, &r->cap, r->len + need + 1, 1, 4096);
    if (!grown) {
        r->failed = 1;
        return -1;
    }
    r->buf = grown;
    return 0;
}

/* The tab before every field but a row's first. */
static int copy_field_start(sb_copy_rows *r, size_t need)
{
    if (copy_reserve(r, need + 1) != 0)
        return -1;
    if (r->fields++ > 0)
        r->buf[r->len++] = '\t';
    return 0;
}

/* Appends s[0..len) escaped; room for 2 * len bytes is reserved by the caller. */
static void copy_escape(sb_copy_rows *r, const char *s, size_t len)
{
    char *w = r->buf + r->len;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        switch (c) {
        case '\\': *w++ = '\\'; *w++ = '\\'; break;
        case '\t': *w++ = '\\'; *w++ = 't'; break;
        case '\n': *w++ = '\\'; *w++ = 'n'; break;
        case '\r': *w++ = '\\'; *w++ = 'r'; break;
        default: *w++ = c;
        }
    }
    r->len = (size_t)(w - r->buf);
}

void sb_copy_textn(sb_copy_rows *r, const char *s, size_t len)
{
    if (len > SIZE_MAX / 2 - 2) {
        r->failed = 1;
        return;
    }
    if (copy_field_start(r, 2 * len) == 0)
        copy_escape(r, s, len);
}

void sb_copy_text(sb_copy_rows *r, const char *s)
{
    if (!s)
        sb_copy_null(r);
    else
        sb_copy_textn(r, s, strlen(s));
}

void sb_copy_null(sb_copy_rows *r)
{
    if (copy_field_start(r, 2) == 0) {
        memcpy(r->buf + r->len, "\\N", 2);
        r->len += 2;
    }
}

/* A number's field: nothing in it to escape. */
static void copy_number(sb_copy_rows *r, const char *text)
{
    size_t n = strlen(text);
    if (copy_field_start(r, n) == 0) {
        memcpy(r->buf + r->len, text, n);
        r->len += n;
    }
}

void sb_copy_int(sb_copy_rows *r, int64_t v)
{
    char tmp[24];
    snprintf(tmp, sizeof(tmp), "%" PRId64, v);
    copy_number(r, tmp);
}

void sb_copy_real(sb_copy_rows *r, double v)
{
    char tmp[32];
    snprintf(tmp, sizeof(tmp), "%.9g", v);
    copy_number(r, tmp);
}

void sb_copy_text_array(sb_copy_rows *r, const char *const *items, size_t n)
{
    /* The array literal's own escaping first ({"a","b\"c"}), then COPY's on top of it. */
    char *lit = sb_pg_array_literal(items, n);
    if (!lit) {
        r->failed = 1;
        return;
    }
    sb_copy_text(r, lit);
    free(lit);
}

/* json_dump_callback's sink: the serialised bytes, escaped for COPY as they come. */
static int copy_json_chunk(const char *data, size_t size, void *opaque)
{
    sb_copy_rows *r = opaque;
    if (size > SIZE_MAX / 2 || copy_reserve(r, 2 * size) != 0)
        return -1;
    copy_escape(r, data, size);
    return 0;
}

void sb_copy_json(sb_copy_rows *r, const json_t *v)
{
    if (!v) {
        sb_copy_null(r);
        return;
    }
    if (copy_field_start(r, 0) == 0 &&
        json_dump_callback(v, copy_json_chunk, r, JSON_COMPACT | JSON_ENCODE_ANY) != 0)
        r->failed = 1;
}

void sb_copy_row_end(sb_copy_rows *r)
{
    if (copy_reserve(r, 1) == 0) {
        r->buf[r->len++] = '\n';
        r->rows++;
    }
    r->fields = 0;
}

int sb_copy_rows_failed(const sb_copy_rows *r) { return r->failed; }

void sb_copy_rows_free(sb_copy_rows *r)
{
    free(r->buf);
    *r = (sb_copy_rows){0};
}
