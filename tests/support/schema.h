/* schema.h - a JSON Schema (draft 2020-12) validator for the subset proto/ uses, for tests. */
#ifndef SB_TEST_SCHEMA_H
#define SB_TEST_SCHEMA_H

#include <stddef.h>
#include <jansson.h>

/* Supported keywords: type (a name or an array of names), required, properties,
 * additionalProperties (boolean only), enum, const, pattern, minLength, maxLength, items
 * (one schema), minItems, maxItems, minimum, maximum, and $ref to "#/$defs/<name>" of the same
 * document (sibling keywords of a $ref apply too). Annotations ($schema, $id, $defs, $comment,
 * title, description, examples, default) are ignored. Any other keyword is a schema error, so
 * a schema cannot silently rely on something this validator does not check.
 *
 * pattern is compiled with POSIX regcomp(REG_EXTENDED | REG_NOSUB) and searched (unanchored,
 * as in JSON Schema). ECMA-262 escapes that POSIX ERE lacks are translated first: \d \D \s \S
 * \w \W outside brackets, \d \s \w inside them, \n \r \t, and a backslash before punctuation
 * keeps the character literal. Other escapes (\b, \u..., backreferences, lookaround) are a
 * schema error. Matching is byte-wise in the C locale.
 * minLength/maxLength count Unicode code points (UTF-8 sequences), not bytes.
 * enum/const compare JSON values with 1 == 1.0. */

/* 0 when instance is valid; -1 when it is not, or when the schema is broken, with err set to
 * "<JSON pointer>: <reason>", e.g. "/data/priority: value not in enum" ("/" is the root). */
int sb_schema_validate(const json_t *schema, const json_t *instance, char *err, size_t errlen);

/* Checks a whole schema without an instance: only the subset's keywords, well-typed values,
 * patterns that compile, every $ref resolvable. 0, or -1 with err "<schema pointer>: ...". */
int sb_schema_check(const json_t *schema, char *err, size_t errlen);

/* Parses a schema file (duplicate keys rejected); NULL on failure. Caller json_decref()s. */
json_t *sb_schema_load(const char *path);

/* sb_schema_load + sb_schema_validate; a file that does not load is -1 with err saying so. */
int sb_schema_validate_file(const char *schema_path, const json_t *instance, char *err,
                            size_t errlen);

#endif
