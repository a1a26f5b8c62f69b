/* json.h - small helpers over jansson for reading outside input with field-named errors. */
#ifndef SB_JSON_H
#define SB_JSON_H

#include <stddef.h>
#include <jansson.h>
#include "common/error.h"

/* Reads obj[key] as a string. Missing/null: if required -> 400 "missing_field", else *out=NULL
 * and 0. Wrong type -> 400 "invalid_field". Longer than maxlen bytes -> 400 "field_too_long".
 * The field reported is prefix+key (prefix like "customer." or ""). */
int sb_json_get_str(const json_t *obj, const char *prefix, const char *key, int required,
                    size_t maxlen, const char **out, sb_error *err);
/* Same for an object member (NULL when absent and not required). */
int sb_json_get_obj(const json_t *obj, const char *prefix, const char *key, int required,
                    json_t **out, sb_error *err);
/* Same for an array member. */
int sb_json_get_arr(const json_t *obj, const char *prefix, const char *key, int required,
                    json_t **out, sb_error *err);
/* 400 "unknown_field" naming prefix+key for the first member of obj that is not one of the
 * NULL-terminated names (a member named "" is named by its quotes): a typo ("txt") must not
 * pass as an absent field. 0 when every member is known. */
int sb_json_only_keys(const json_t *obj, const char *const *names, const char *prefix,
                      sb_error *err);
/* 1 when s is one of the NULL-terminated words: checking an enumerated input value. */
int sb_json_one_of(const char *s, const char *const *words);
/* obj[key] as a string or NULL, no error reporting: for trusted internal events. */
const char *sb_json_str(const json_t *obj, const char *key);

/* The JSON escape of byte c ('"', '\\' or a control byte), or NULL when it goes out as it is
 * (UTF-8 passes through). tmp backs \u00XX escapes. For writers that do not build a tree. */
const char *sb_json_escape_byte(unsigned char c, char tmp[8]);

/* Compact dump; caller frees. NULL on failure. */
char *sb_json_dump(const json_t *v);
/* Parse a buffer that must be a JSON object; 400 "invalid_json" with the position otherwise. */
json_t *sb_json_parse_object(const char *buf, size_t len, sb_error *err);

#endif
