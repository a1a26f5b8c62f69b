/* kb_body.h - desk's knowledge-base inputs checked without the database or HTTP (pure, so
 * tests/fuzz/fuzz_kb_edit.c drives them): the edit body, category and list words. */
#ifndef DESK_KB_BODY_H
#define DESK_KB_BODY_H

#include <jansson.h>
#include "common/error.h"
#include "common/kb.h"

/* 1 when s is spelt like a category or sub-topic id: 1..64 of a-z, 0-9, '-', '_'. */
int desk_kb_word_valid(const char *s);
/* The body of POST /v1/kb/articles/{id} into e (strings point into body; tags, of
 * SB_KB_TAGS_MAX entries, backs e->tags). Unknown members are refused by name, so a misspelt
 * field is not silently ignored; subtopic null clears it. 0, or -1 with a 400 in err naming
 * the field. */
int desk_kb_edit_parse(const json_t *body, sb_kb_edit *e, const char **tags, sb_error *err);

#endif
