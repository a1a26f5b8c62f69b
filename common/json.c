/* json.c - reading outside JSON input with errors that name the offending field. */
#include <stdio.h>
#include <string.h>

#include "common/json.h"

/* prefix+key, the field path errors report (sb_error.field is 64 bytes). */
static const char *field_path(char path[64], const char *prefix, const char *key)
{
    snprintf(path, 64, "%s%s", prefix ? prefix : "", key);
    return path;
}

/* obj[key], with JSON null read as absent; missing_field when absent and required. */
static int lookup(const json_t *obj, const char *field, const char *key, int required,
                  json_t **val, sb_error *err)
{
    *val = json_object_get(obj, key);
    if (json_is_null(*val))
        *val = NULL;
    if (!*val && required)
        return sb_error_set(err, 400, "missing_field", field, "%s is required", field);
    return 0;
}

int sb_json_get_str(const json_t *obj, const char *prefix, const char *key, int required,
                    size_t maxlen, const char **out, sb_error *err)
{
    char field[64];
    json_t *v;
    field_path(field, prefix, key);
    *out = NULL;
    if (lookup(obj, field, key, required, &v, err) != 0)
        return -1;
    if (!v)
        return 0;
    /* A "\u0000" inside would silently cut the C string the caller gets. */
    if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v))
        return sb_error_set(err, 400, "invalid_field", field, "%s must be a string", field);
    /* maxlen 0 means "no limit": no caller wants a field that may only be empty. */
    if (maxlen && json_string_length(v) > maxlen)
        return sb_error_set(err, 400, "field_too_long", field, "%s must be at most %zu bytes",
                            field, maxlen);
    *out = json_string_value(v);
    return 0;
}

int sb_json_get_obj(const json_t *obj, const char *prefix, const char *key, int required,
                    json_t **out, sb_error *err)
{
    char field[64];
    json_t *v;
    field_path(field, prefix, key);
    *out = NULL;
    if (lookup(obj, field, key, required, &v, err) != 0)
        return -1;
    if (v && !json_is_object(v))
        return sb_error_set(err, 400, "invalid_field", field, "%s must be an object", field);
    *out = v;   /* borrowed from obj, like the strings of sb_json_get_str */
    return 0;
}

int sb_json_get_arr(const json_t *obj, const char *prefix, const char *key, int required,
                    json_t **out, sb_error *err)
{
    char field[64];
    json_t *v;
    field_path(field, prefix, key);
    *out = NULL;
    if (lookup(obj, field, key, required, &v, err) != 0)
        return -1;
    if (v && !json_is_array(v))
        return sb_error_set(err, 400, "invalid_field", field, "%s must be an array", field);
    *out = v;
    return 0;
}

/* Is key one of the NULL-terminated names? */
static int key_known(const char *key, const char *const *names)
{
    for (; *names; names++)
        if (strcmp(key, *names) == 0)
            return 1;
    return 0;
}

int sb_json_only_keys(const json_t *obj, const char *const *names, const char *prefix,
                      sb_error *err)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v) {
        if (!key_known(key, names)) {
            char field[64];
            field_path(field, prefix, *key ? key : "\"\"");
            return sb_error_set(err, 400, "unknown_field", field, "%s is not a known field",
                                field);
        }
    }
    return 0;
}

const char *sb_json_str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

char *sb_json_dump(const json_t *v)
{
    return v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
}

json_t *sb_json_parse_object(const char *buf, size_t len, sb_error *err)
{
    json_error_t jerr;
    json_t *v = json_loadb(buf ? buf : "", buf ? len : 0, JSON_REJECT_DUPLICATES, &jerr);
    if (!v) {
        sb_error_set(err, 400, "invalid_json", "", "line %d, column %d: %s", jerr.line,
                     jerr.column, jerr.text);
        return NULL;
    }
    if (!json_is_object(v)) {
        json_decref(v);
        sb_error_set(err, 400, "invalid_json", "", "expected an object");
        return NULL;
    }
    return v;
}

const char *sb_json_escape_byte(unsigned char c, char tmp[8])
{
    switch (c) {
    case '"': return "\\\"";
    case '\\': return "\\\\";
    case '\n': return "\\n";
    case '\r': return "\\r";
    case '\t': return "\\t";
    case '\b': return "\\b";
    case '\f': return "\\f";
    default: break;
    }
    if (c >= 0x20)
        return NULL;
    snprintf(tmp, 8, "\\u%04x", c);
    return tmp;
}

int sb_json_one_of(const char *s, const char *const *words)
{
    for (size_t i = 0; s && words[i]; i++)
        if (strcmp(s, words[i]) == 0)
            return 1;
    return 0;
}
