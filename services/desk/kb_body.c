/* kb_body.c - desk's knowledge-base edit body and words, validated (kb_body.h). */
#include "services/desk/kb_body.h"

#include <string.h>

#include "common/json.h"

int desk_kb_word_valid(const char *s)
{
    size_t n = strlen(s);
    return n > 0 && n <= 64 && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-_") == n;
}

/* The tags of an edit: an array of at most SB_KB_TAGS_MAX strings of 1..SB_KB_TAG_MAX bytes,
 * into tags (pointers into the body). 0 or -1 with err. */
static int kb_edit_tags(const json_t *arr, const char **tags, sb_kb_edit *e, sb_error *err)
{
    size_t i;
    json_t *v;
    if (json_array_size(arr) > SB_KB_TAGS_MAX)
        return sb_error_set(err, 400, "invalid_field", "tags", "at most %d tags", SB_KB_TAGS_MAX);
    json_array_foreach(arr, i, v) {
        if (!json_is_string(v) || json_string_length(v) == 0 ||
            json_string_length(v) > SB_KB_TAG_MAX ||
            strlen(json_string_value(v)) != json_string_length(v))
            return sb_error_set(err, 400, "invalid_field", "tags",
                                "each tag must be a string of 1..%d bytes", SB_KB_TAG_MAX);
        tags[i] = json_string_value(v);
    }
    e->tags = tags;
    e->ntags = json_array_size(arr);
    e->set_tags = 1;
    return 0;
}

/* 1 when s is empty or only whitespace. */
static int kb_blank(const char *s) { return s && strspn(s, " \t\r\n") == strlen(s); }

/* An unknown member refused by its name, cut to what the error's field holds on a UTF-8
 * character (a name cut inside one could not be written as JSON). */
static int kb_unknown_member(const char *key, sb_error *err)
{
    char name[sizeof(err->field)];
    size_t n = strlen(key);
    if (n > sizeof(name) - 1) {
        n = sizeof(name) - 1;
        while (n > 0 && ((unsigned char)key[n] & 0xC0) == 0x80)
            n--;
    }
    memcpy(name, key, n);
    name[n] = '\0';
    return sb_error_set(err, 400, "unknown_field", name, "%s is not an article field", name);
}

int desk_kb_edit_parse(const json_t *body, sb_kb_edit *e, const char **tags, sb_error *err)
{
    static const char *const known[] = {"title", "solution", "tags", "category", "subtopic", NULL};
    const char *key;
    json_t *v, *arr;
    memset(e, 0, sizeof(*e));
    json_object_foreach((json_t *)body, key, v)
        if (!sb_json_one_of(key, known))
            return kb_unknown_member(key, err);
    if (sb_json_get_str(body, "", "title", 0, SB_KB_TITLE_MAX, &e->title, err) != 0 ||
        sb_json_get_str(body, "", "solution", 0, SB_KB_SOLUTION_MAX, &e->solution, err) != 0 ||
        sb_json_get_str(body, "", "category", 0, 64, &e->category, err) != 0 ||
        sb_json_get_str(body, "", "subtopic", 0, 64, &e->subtopic, err) != 0 ||
        sb_json_get_arr(body, "", "tags", 0, &arr, err) != 0)
        return -1;
    if (kb_blank(e->title))
        return sb_error_set(err, 400, "invalid_field", "title", "title must not be empty");
    if (kb_blank(e->solution))
        return sb_error_set(err, 400, "invalid_field", "solution", "solution must not be empty");
    if (e->category && !desk_kb_word_valid(e->category))
        return sb_error_set(err, 400, "invalid_field", "category",
                            "category must be a category id");
    if (json_is_null(json_object_get(body, "subtopic")))
        e->subtopic = "";   /* null clears it */
    else if (e->subtopic && !desk_kb_word_valid(e->subtopic))
        return sb_error_set(err, 400, "invalid_field", "subtopic",
                            "subtopic must be a sub-topic id");
    if (arr && kb_edit_tags(arr, tags, e, err) != 0)
        return -1;
    if (json_object_size(body) == 0)
        return sb_error_set(err, 400, "missing_field", "title",
                            "give at least one of title, solution, tags, category, subtopic");
    return 0;
}
