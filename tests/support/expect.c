/* expect.c - Criterion helpers the suites share (environment, files, JSON, error replies). */
#include "expect.h"

#include <stdio.h>
#include <stdlib.h>

#include <criterion/criterion.h>

const char *sb_test_env(const char *name)
{
    const char *v = getenv(name);
    if (!v || !*v)
        cr_skip_test("%s is not set: run through tests/run", name);
    return v;
}

char *sb_test_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    cr_assert(f, "cannot open %s", path);
    size_t cap = 64 * 1024, n = 0;
    char *buf = malloc(cap);
    cr_assert(buf);
    for (size_t got; (got = fread(buf + n, 1, cap - n - 1, f)) > 0;) {
        n += got;
        if (n + 1 == cap) {
            buf = realloc(buf, cap *= 2);
            cr_assert(buf);
        }
    }
    cr_assert(!ferror(f), "cannot read %s", path);
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
}

void sb_test_assert_json(const json_t *got, const char *want)
{
    json_error_t e;
    json_t *w = json_loads(want, JSON_REJECT_DUPLICATES, &e);
    cr_assert(w, "bad expected JSON: %s", e.text);
    char *g = json_dumps(got, JSON_SORT_KEYS | JSON_COMPACT);
    char *x = json_dumps(w, JSON_SORT_KEYS | JSON_COMPACT);
    cr_expect(json_equal(got, w), "got:\n%s\nwant:\n%s", g ? g : "(null)", x);
    free(g);
    free(x);
    json_decref(w);
}

/* error.<member> of a reply, "" when absent. */
static const char *error_member(const json_t *reply, const char *member)
{
    const char *s = json_string_value(json_object_get(json_object_get(reply, "error"), member));
    return s ? s : "";
}

const char *sb_test_error_field(const json_t *reply)
{
    return error_member(reply, "field");
}

const char *sb_test_error_code(const json_t *reply)
{
    return error_member(reply, "code");
}
