/* schema.c - JSON Schema (2020-12 subset of proto/) validation over jansson, for tests. */
#include "schema.h"

#include <ctype.h>
#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define PATH_MAX_LEN 1024
#define MAX_DEPTH    64

typedef struct ctx {
    const json_t *root;            /* the document $ref resolves against */
    char         *err;
    size_t        errlen;
    char          path[PATH_MAX_LEN];
    size_t        plen;            /* current length of path (may exceed what fits) */
    int           depth;           /* $ref / nesting depth, against reference loops */
} ctx;

/* Annotation keywords: accepted, never checked. */
static const char *const ANNOTATIONS[] = {
    "$schema", "$id", "$defs", "$comment", "title", "description", "examples", "default", NULL
};
/* Assertion/applicator keywords of the subset. */
static const char *const KEYWORDS[] = {
    "type", "required", "properties", "additionalProperties", "enum", "const", "pattern",
    "minLength", "maxLength", "items", "minItems", "maxItems", "minimum", "maximum", "$ref", NULL
};
/* JSON Schema type names. */
static const char *const TYPES[] = {
    "null", "boolean", "object", "array", "number", "integer", "string", NULL
};

/* 1 when s is one of the NULL-terminated list. */
static int in_list(const char *const *list, const char *s)
{
    for (; *list; list++)
        if (strcmp(*list, s) == 0)
            return 1;
    return 0;
}

/* Writes "<path>: <message>" into the caller's buffer and returns -1. */
static int fail(ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(ctx *c, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (c->err && c->errlen)
        snprintf(c->err, c->errlen, "%s: %s", c->plen ? c->path : "/", msg);
    return -1;
}

/* Appends "/<segment>" (RFC 6901 escaped) to the path; returns the length to restore. */
static size_t path_push(ctx *c, const char *seg)
{
    size_t saved = c->plen;
    char buf[PATH_MAX_LEN];
    size_t n = 0;
    buf[n++] = '/';
    for (const char *p = seg; *p && n + 2 < sizeof buf; p++) {
        if (*p == '~' || *p == '/') {
            buf[n++] = '~';
            buf[n++] = *p == '~' ? '0' : '1';
        } else {
            buf[n++] = *p;
        }
    }
    buf[n] = '\0';
    if (c->plen + n < sizeof c->path)
        memcpy(c->path + c->plen, buf, n + 1);
    else
        snprintf(c->path + (sizeof c->path - 4), 4, "...");
    c->plen += n;
    return saved;
}

/* Appends "/<index>" to the path; returns the length to restore. */
static size_t path_push_index(ctx *c, size_t i)
{
    char seg[32];
    snprintf(seg, sizeof seg, "%zu", i);
    return path_push(c, seg);
}

/* Restores the path to a length path_push returned. */
static void path_pop(ctx *c, size_t saved)
{
    c->plen = saved;
    if (saved < sizeof c->path)
        c->path[saved] = '\0';
}

/* The JSON Schema type name of a value ("integer" for JSON integers, "number" for reals). */
static const char *type_of(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:  return "object";
    case JSON_ARRAY:   return "array";
    case JSON_STRING:  return "string";
    case JSON_INTEGER: return "integer";
    case JSON_REAL:    return "number";
    case JSON_TRUE:
    case JSON_FALSE:   return "boolean";
    default:           return "null";
    }
}

/* 1 when v is an integer, including a real with no fractional part (1.0), as 2020-12 says. */
static int is_integral(const json_t *v)
{
    if (json_is_integer(v))
        return 1;
    if (!json_is_real(v))
        return 0;
    double d = json_real_value(v);
    return isfinite(d) && floor(d) == d;
}

/* 1 when v is an instance of the named type. */
static int type_matches(const char *name, const json_t *v)
{
    if (strcmp(name, "integer") == 0) return is_integral(v);
    if (strcmp(name, "number") == 0)  return json_is_number(v);
    return strcmp(name, type_of(v)) == 0;
}

/* JSON equality where numbers compare by value (1 == 1.0), recursively. */
static int value_equal(const json_t *a, const json_t *b)
{
    if (json_is_number(a) && json_is_number(b)) {
        if (json_is_integer(a) && json_is_integer(b))
            return json_integer_value(a) == json_integer_value(b);
        return json_number_value(a) == json_number_value(b);
    }
    if (json_typeof(a) != json_typeof(b))
        return 0;
    if (json_is_array(a)) {
        if (json_array_size(a) != json_array_size(b))
            return 0;
        for (size_t i = 0; i < json_array_size(a); i++)
            if (!value_equal(json_array_get(a, i), json_array_get(b, i)))
                return 0;
        return 1;
    }
    if (json_is_object(a)) {
        const char *k;
        const json_t *va;
        if (json_object_size(a) != json_object_size(b))
            return 0;
        json_object_foreach((json_t *)a, k, va) {
            const json_t *vb = json_object_get(b, k);
            if (!vb || !value_equal(va, vb))
                return 0;
        }
        return 1;
    }
    return json_equal((json_t *)a, (json_t *)b);
}

/* -1 / 0 / 1 comparing two numbers, exactly when both are JSON integers. */
static int number_cmp(const json_t *a, const json_t *b)
{
    if (json_is_integer(a) && json_is_integer(b)) {
        json_int_t x = json_integer_value(a), y = json_integer_value(b);
        return (x > y) - (x < y);
    }
    double x = json_number_value(a), y = json_number_value(b);
    return (x > y) - (x < y);
}

/* Number of Unicode code points in a UTF-8 buffer (continuation bytes are not counted). */
static size_t utf8_count(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            n++;
    return n;
}

/* Appends a string to a bounded output buffer; -1 when it does not fit. */
static int out_put(char *out, size_t outlen, size_t *n, const char *s)
{
    size_t l = strlen(s);
    if (*n + l + 1 > outlen)
        return -1;
    memcpy(out + *n, s, l + 1);
    *n += l;
    return 0;
}

/* Appends one character to a bounded output buffer; -1 when it does not fit. */
static int out_putc(char *out, size_t outlen, size_t *n, char ch)
{
    char s[2] = { ch, '\0' };
    return out_put(out, outlen, n, s);
}

/* The control character an ECMA escape letter (n r t f v) stands for, or 0. */
static char control_escape(char e)
{
    switch (e) {
    case 'n': return '\n';
    case 'r': return '\r';
    case 't': return '\t';
    case 'f': return '\f';
    case 'v': return '\v';
    default:  return 0;
    }
}

/* Translates an ECMA bracket expression starting after '[' into POSIX form; *pp ends after ']'.
 * POSIX brackets have no escapes, so literal ']' goes first and '-' last, and '^' not first. */
static int translate_bracket(const char **pp, char *out, size_t outlen, size_t *n,
                             char *why, size_t whylen)
{
    const char *p = *pp;
    char rest[512];
    size_t r = 0;
    int neg = 0, rbracket = 0, caret = 0, dash = 0;

    rest[0] = '\0';
    if (*p == '^') {
        neg = 1;
        p++;
    }
    if (*p == '-') {                  /* leading '-' is a literal in both dialects */
        dash = 1;
        p++;
    }
    for (; *p && *p != ']'; p++) {
        const char *add = NULL;
        char one[2] = { *p, '\0' };
        if (*p == '\\') {
            char e = *++p;
            char ctl = control_escape(e);
            if (e == 'd')                    add = "0-9";
            else if (e == 's')               add = "[:space:]";
            else if (e == 'w')               add = "[:alnum:]_";
            else if (e == ']')               { rbracket = 1; continue; }
            else if (e == '^')               { caret = 1; continue; }
            else if (e == '-')               { dash = 1; continue; }
            else if (ctl)                    { one[0] = ctl; add = one; }
            else if (e && ispunct((unsigned char)e)) { one[0] = e; add = one; }
            else {
                snprintf(why, whylen, "unsupported escape '\\%c' in a bracket expression", e ? e : ' ');
                return -1;
            }
        } else if (*p == '[' && (p[1] == ':' || p[1] == '.' || p[1] == '=')) {
            snprintf(why, whylen, "'[%c' inside a bracket expression is not portable", p[1]);
            return -1;
        } else if (*p == '-' && p[1] == ']') { /* trailing '-' literal: move it last */
            dash = 1;
            continue;
        } else {
            add = one;
        }
        if (out_put(rest, sizeof rest, &r, add) < 0) {
            snprintf(why, whylen, "bracket expression too long");
            return -1;
        }
    }
    if (*p != ']') {
        snprintf(why, whylen, "unterminated bracket expression");
        return -1;
    }
    *pp = p + 1;
    if (!neg && !rbracket && r == 0 && caret && !dash)   /* only '^': no bracket needed */
        return out_put(out, outlen, n, "\\^");
    int rc = out_putc(out, outlen, n, '[');
    if (neg)      rc |= out_putc(out, outlen, n, '^');
    if (rbracket) rc |= out_putc(out, outlen, n, ']');
    if (caret && !neg && !rbracket && r == 0) {         /* '^' alone with '-': "[-^]" */
        rc |= out_put(out, outlen, n, "-^]");
        return rc ? -1 : 0;
    }
    rc |= out_put(out, outlen, n, rest);
    if (caret) rc |= out_putc(out, outlen, n, '^');
    if (dash)  rc |= out_putc(out, outlen, n, '-');
    rc |= out_putc(out, outlen, n, ']');
    return rc ? -1 : 0;
}

/* Translates an ECMA-262 pattern (the subset JSON Schema authors use) into POSIX ERE. */
static int translate_pattern(const char *pat, char *out, size_t outlen, char *why, size_t whylen)
{
    size_t n = 0;
    out[0] = '\0';
    for (const char *p = pat; *p;) {
        int rc = 0;
        if (*p == '[') {
            p++;
            if (translate_bracket(&p, out, outlen, &n, why, whylen) < 0) {
                if (!*why)
                    snprintf(why, whylen, "pattern too long");
                return -1;
            }
            continue;
        }
        if (*p != '\\') {
            rc = out_putc(out, outlen, &n, *p++);
        } else {
            char e = p[1];
            char ctl = control_escape(e);
            switch (e) {
            case 'd': rc = out_put(out, outlen, &n, "[0-9]"); break;
            case 'D': rc = out_put(out, outlen, &n, "[^0-9]"); break;
            case 's': rc = out_put(out, outlen, &n, "[[:space:]]"); break;
            case 'S': rc = out_put(out, outlen, &n, "[^[:space:]]"); break;
            case 'w': rc = out_put(out, outlen, &n, "[[:alnum:]_]"); break;
            case 'W': rc = out_put(out, outlen, &n, "[^[:alnum:]_]"); break;
            default:
                if (ctl) {
                    rc = out_putc(out, outlen, &n, ctl);
                } else if (e && strchr(".[]()*+?{}|^$\\", e)) {
                    rc = out_putc(out, outlen, &n, '\\') | out_putc(out, outlen, &n, e);
                } else if (e && ispunct((unsigned char)e)) {
                    rc = out_putc(out, outlen, &n, e);
                } else {
                    snprintf(why, whylen, "unsupported escape '\\%c'", e ? e : ' ');
                    return -1;
                }
            }
            p += 2;
        }
        if (rc < 0) {
            snprintf(why, whylen, "pattern too long");
            return -1;
        }
    }
    return 0;
}

/* Compiles a JSON Schema pattern; 0, or -1 with why filled. Caller regfree()s on success. */
static int pattern_compile(const char *pat, regex_t *re, char *why, size_t whylen)
{
    char ere[2048];
    why[0] = '\0';
    if (translate_pattern(pat, ere, sizeof ere, why, whylen) < 0)
        return -1;
    int rc = regcomp(re, ere, REG_EXTENDED | REG_NOSUB);
    if (rc != 0) {
        char msg[128];
        regerror(rc, re, msg, sizeof msg);
        regfree(re);
        snprintf(why, whylen, "does not compile as POSIX ERE '%s': %s", ere, msg);
        return -1;
    }
    return 0;
}

/* 1 when s (len bytes, NULs allowed) contains a match of re. */
static int pattern_search(const regex_t *re, const char *s, size_t len)
{
    regmatch_t m[1];
    m[0].rm_so = 0;
    m[0].rm_eo = (regoff_t)len;
    return regexec(re, s, 1, m, REG_STARTEND) == 0;
}

/* 1 when v is a JSON integer >= 0 (the shape of minLength and friends). */
static int is_count(const json_t *v)
{
    return json_is_integer(v) && json_integer_value(v) >= 0;
}

/* The $defs entry a "#/$defs/<name>" reference names, or NULL. */
static const json_t *resolve_ref(const json_t *root, const char *ref)
{
    static const char prefix[] = "#/$defs/";
    if (strncmp(ref, prefix, sizeof prefix - 1) != 0)
        return NULL;
    const char *name = ref + sizeof prefix - 1;
    if (!*name || strchr(name, '/') || strchr(name, '~'))
        return NULL;
    return json_object_get(json_object_get(root, "$defs"), name);
}

/* Checks the shape of one keyword's value (not its subschemas); 0, or -1 via fail(). */
static int check_keyword(ctx *c, const char *key, const json_t *val)
{
    char why[256];
    if (in_list(ANNOTATIONS, key)) {
        if (strcmp(key, "$defs") == 0 && !json_is_object(val))
            return fail(c, "schema error: $defs must be an object");
        return 0;
    }
    if (!in_list(KEYWORDS, key))
        return fail(c, "schema error: unsupported keyword '%s'", key);
    if (strcmp(key, "type") == 0) {
        if (json_is_string(val))
            return in_list(TYPES, json_string_value(val)) ? 0
                 : fail(c, "schema error: unknown type '%s'", json_string_value(val));
        if (!json_is_array(val) || json_array_size(val) == 0)
            return fail(c, "schema error: type must be a name or a non-empty array of names");
        for (size_t i = 0; i < json_array_size(val); i++) {
            const json_t *t = json_array_get(val, i);
            if (!json_is_string(t) || !in_list(TYPES, json_string_value(t)))
                return fail(c, "schema error: type[%zu] is not a type name", i);
        }
        return 0;
    }
    if (strcmp(key, "required") == 0) {
        if (!json_is_array(val))
            return fail(c, "schema error: required must be an array");
        for (size_t i = 0; i < json_array_size(val); i++)
            if (!json_is_string(json_array_get(val, i)))
                return fail(c, "schema error: required[%zu] is not a string", i);
        return 0;
    }
    if (strcmp(key, "properties") == 0)
        return json_is_object(val) ? 0 : fail(c, "schema error: properties must be an object");
    if (strcmp(key, "additionalProperties") == 0)
        return json_is_boolean(val) ? 0
             : fail(c, "schema error: additionalProperties must be a boolean in this subset");
    if (strcmp(key, "enum") == 0)
        return json_is_array(val) ? 0 : fail(c, "schema error: enum must be an array");
    if (strcmp(key, "pattern") == 0) {
        regex_t re;
        if (!json_is_string(val))
            return fail(c, "schema error: pattern must be a string");
        if (pattern_compile(json_string_value(val), &re, why, sizeof why) < 0)
            return fail(c, "schema error: pattern '%s' %s", json_string_value(val), why);
        regfree(&re);
        return 0;
    }
    if (!strcmp(key, "minLength") || !strcmp(key, "maxLength") || !strcmp(key, "minItems") ||
        !strcmp(key, "maxItems"))
        return is_count(val) ? 0 : fail(c, "schema error: %s must be an integer >= 0", key);
    if (!strcmp(key, "minimum") || !strcmp(key, "maximum"))
        return json_is_number(val) ? 0 : fail(c, "schema error: %s must be a number", key);
    if (strcmp(key, "items") == 0)
        return json_is_object(val) || json_is_boolean(val) ? 0
             : fail(c, "schema error: items must be a schema");
    if (strcmp(key, "$ref") == 0) {
        if (!json_is_string(val) || !resolve_ref(c->root, json_string_value(val)))
            return fail(c, "schema error: unresolved $ref '%s' (only #/$defs/<name>)",
                        json_is_string(val) ? json_string_value(val) : "?");
        return 0;
    }
    return 0;                                            /* const: any value */
}

/* Checks every keyword of one schema object for the subset. */
static int check_keywords(ctx *c, const json_t *schema)
{
    const char *key;
    const json_t *val;
    json_object_foreach((json_t *)schema, key, val)
        if (check_keyword(c, key, val) < 0)
            return -1;
    return 0;
}

static int validate(ctx *c, const json_t *schema, const json_t *inst);

/* type: the instance is one of the named types. */
static int kw_type(ctx *c, const json_t *t, const json_t *inst)
{
    char names[128] = "";
    if (json_is_string(t))
        return type_matches(json_string_value(t), inst) ? 0
             : fail(c, "expected type %s, got %s", json_string_value(t), type_of(inst));
    for (size_t i = 0; i < json_array_size(t); i++) {
        const char *name = json_string_value(json_array_get(t, i));
        if (type_matches(name, inst))
            return 0;
        size_t l = strlen(names);
        snprintf(names + l, sizeof names - l, "%s%s", i ? "|" : "", name);
    }
    return fail(c, "expected type %s, got %s", names, type_of(inst));
}

/* enum: the instance equals one of the listed values. */
static int kw_enum(ctx *c, const json_t *list, const json_t *inst)
{
    for (size_t i = 0; i < json_array_size(list); i++)
        if (value_equal(json_array_get(list, i), inst))
            return 0;
    return fail(c, "value not in enum");
}

/* minLength, maxLength, pattern on a string instance. */
static int kw_string(ctx *c, const json_t *schema, const json_t *inst)
{
    const char *s = json_string_value(inst);
    size_t len = json_string_length(inst);
    size_t cps = utf8_count(s, len);
    const json_t *v;
    if ((v = json_object_get(schema, "minLength")) && cps < (size_t)json_integer_value(v))
        return fail(c, "string shorter than minLength %" JSON_INTEGER_FORMAT " (%zu code points)",
                    json_integer_value(v), cps);
    if ((v = json_object_get(schema, "maxLength")) && cps > (size_t)json_integer_value(v))
        return fail(c, "string longer than maxLength %" JSON_INTEGER_FORMAT " (%zu code points)",
                    json_integer_value(v), cps);
    if ((v = json_object_get(schema, "pattern"))) {
        regex_t re;
        char why[256];
        if (pattern_compile(json_string_value(v), &re, why, sizeof why) < 0)
            return fail(c, "schema error: pattern '%s' %s", json_string_value(v), why);
        int ok = pattern_search(&re, s, len);
        regfree(&re);
        if (!ok)
            return fail(c, "string does not match pattern '%s'", json_string_value(v));
    }
    return 0;
}

/* Formats a schema number (integer or real) for a message. */
static const char *number_str(const json_t *v, char *buf, size_t len)
{
    if (json_is_integer(v))
        snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    else
        snprintf(buf, len, "%g", json_real_value(v));
    return buf;
}

/* minimum, maximum on a numeric instance. */
static int kw_number(ctx *c, const json_t *schema, const json_t *inst)
{
    const json_t *v;
    char num[64];
    if ((v = json_object_get(schema, "minimum")) && number_cmp(inst, v) < 0)
        return fail(c, "value below minimum %s", number_str(v, num, sizeof num));
    if ((v = json_object_get(schema, "maximum")) && number_cmp(inst, v) > 0)
        return fail(c, "value above maximum %s", number_str(v, num, sizeof num));
    return 0;
}

/* required, properties, additionalProperties on an object instance. */
static int kw_object(ctx *c, const json_t *schema, const json_t *inst)
{
    const json_t *req = json_object_get(schema, "required");
    const json_t *props = json_object_get(schema, "properties");
    const json_t *addl = json_object_get(schema, "additionalProperties");
    const char *key;
    const json_t *val;

    for (size_t i = 0; i < json_array_size(req); i++) {
        const char *name = json_string_value(json_array_get(req, i));
        if (!json_object_get(inst, name)) {
            size_t saved = path_push(c, name);
            int rc = fail(c, "required property missing");
            path_pop(c, saved);
            return rc;
        }
    }
    json_object_foreach((json_t *)inst, key, val) {
        const json_t *sub = json_object_get(props, key);
        size_t saved = path_push(c, key);
        int rc = 0;
        if (sub)
            rc = validate(c, sub, val);
        else if (json_is_false(addl))
            rc = fail(c, "additional property not allowed");
        path_pop(c, saved);
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* minItems, maxItems, items on an array instance. */
static int kw_array(ctx *c, const json_t *schema, const json_t *inst)
{
    const json_t *v;
    size_t n = json_array_size(inst);
    if ((v = json_object_get(schema, "minItems")) && n < (size_t)json_integer_value(v))
        return fail(c, "array has %zu items, fewer than minItems %" JSON_INTEGER_FORMAT, n,
                    json_integer_value(v));
    if ((v = json_object_get(schema, "maxItems")) && n > (size_t)json_integer_value(v))
        return fail(c, "array has %zu items, more than maxItems %" JSON_INTEGER_FORMAT, n,
                    json_integer_value(v));
    if ((v = json_object_get(schema, "items"))) {
        for (size_t i = 0; i < n; i++) {
            size_t saved = path_push_index(c, i);
            int rc = validate(c, v, json_array_get(inst, i));
            path_pop(c, saved);
            if (rc < 0)
                return -1;
        }
    }
    return 0;
}

/* Validates inst against one (sub)schema: $ref, type, const, enum, then the typed keywords. */
static int validate(ctx *c, const json_t *schema, const json_t *inst)
{
    const json_t *v;
    if (json_is_true(schema))
        return 0;
    if (json_is_false(schema))
        return fail(c, "no value is allowed here");
    if (!json_is_object(schema))
        return fail(c, "schema error: a schema must be an object or a boolean");
    if (c->depth >= MAX_DEPTH)
        return fail(c, "schema error: nesting deeper than %d (a $ref loop?)", MAX_DEPTH);
    if (check_keywords(c, schema) < 0)
        return -1;

    c->depth++;
    int rc = 0;
    if ((v = json_object_get(schema, "$ref")))
        rc = validate(c, resolve_ref(c->root, json_string_value(v)), inst);
    if (rc == 0 && (v = json_object_get(schema, "type")))
        rc = kw_type(c, v, inst);
    if (rc == 0 && (v = json_object_get(schema, "const")) && !value_equal(v, inst))
        rc = fail(c, "value does not equal const");
    if (rc == 0 && (v = json_object_get(schema, "enum")))
        rc = kw_enum(c, v, inst);
    if (rc == 0 && json_is_string(inst))
        rc = kw_string(c, schema, inst);
    if (rc == 0 && json_is_number(inst))
        rc = kw_number(c, schema, inst);
    if (rc == 0 && json_is_object(inst))
        rc = kw_object(c, schema, inst);
    if (rc == 0 && json_is_array(inst))
        rc = kw_array(c, schema, inst);
    c->depth--;
    return rc;
}

/* Walks a whole schema (every subschema, every $defs entry) checking it for the subset. */
static int check_schema(ctx *c, const json_t *schema)
{
    const char *key;
    const json_t *val;
    if (json_is_boolean(schema))
        return 0;
    if (!json_is_object(schema))
        return fail(c, "schema error: a schema must be an object or a boolean");
    if (c->depth >= MAX_DEPTH)
        return fail(c, "schema error: nesting deeper than %d", MAX_DEPTH);
    if (check_keywords(c, schema) < 0)
        return -1;
    c->depth++;
    int rc = 0;
    json_object_foreach((json_t *)schema, key, val) {
        const char *name;
        const json_t *sub;
        size_t outer = path_push(c, key);
        if (!strcmp(key, "items")) {
            rc = check_schema(c, val);
        } else if (!strcmp(key, "properties") || !strcmp(key, "$defs")) {
            json_object_foreach((json_t *)val, name, sub) {
                size_t inner = path_push(c, name);
                rc = check_schema(c, sub);
                path_pop(c, inner);
                if (rc < 0)
                    break;
            }
        }
        path_pop(c, outer);
        if (rc < 0)
            break;
    }
    c->depth--;
    return rc;
}

/* Sets up a context over root for the public entry points. */
static void ctx_init(ctx *c, const json_t *root, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    c->root = root;
    c->err = err;
    c->errlen = errlen;
    if (err && errlen)
        err[0] = '\0';
}

int sb_schema_validate(const json_t *schema, const json_t *instance, char *err, size_t errlen)
{
    ctx c;
    ctx_init(&c, schema, err, errlen);
    if (!schema || !instance)
        return fail(&c, "no %s given", schema ? "instance" : "schema");
    return validate(&c, schema, instance);
}

int sb_schema_check(const json_t *schema, char *err, size_t errlen)
{
    ctx c;
    ctx_init(&c, schema, err, errlen);
    if (!schema)
        return fail(&c, "no schema given");
    return check_schema(&c, schema);
}

json_t *sb_schema_load(const char *path)
{
    json_error_t jerr;
    return json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
}

int sb_schema_validate_file(const char *schema_path, const json_t *instance, char *err,
                            size_t errlen)
{
    json_error_t jerr;
    json_t *schema = json_load_file(schema_path, JSON_REJECT_DUPLICATES, &jerr);
    if (!schema) {
        if (err && errlen)
            snprintf(err, errlen, "%s: cannot load schema: %s (line %d)", schema_path, jerr.text,
                     jerr.line);
        return -1;
    }
    int rc = sb_schema_validate(schema, instance, err, errlen);
    json_decref(schema);
    return rc;
}
