/* rules_taxonomy.c - the categories, sub-topics and departments rules are checked against. */
#include "common/rules.h"

#include <stdlib.h>
#include <string.h>

/* Copy s into a fixed field; -1 when it does not fit. */
static int copy_field(char *dst, size_t cap, const char *s)
{
    size_t n = strlen(s ? s : "");
    if (n >= cap)
        return -1;
    memcpy(dst, s ? s : "", n + 1);
    return 0;
}

/* Room for element n of an array whose capacity is 8, 16, 32, ... (grown when n reaches it). */
static int grow(void **arr, size_t n, size_t elem)
{
    if (n != 0 && (n < 8 || (n & (n - 1)) != 0))
        return 0;
    void *p = realloc(*arr, (n == 0 ? 8 : n * 2) * elem);
    if (!p)
        return -1;
    *arr = p;
    return 0;
}

int sb_taxonomy_add_category(sb_taxonomy *t, const char *id, const char *department,
                             const char *default_subtopic)
{
    if (grow((void **)&t->categories, t->ncategories, sizeof(*t->categories)) != 0)
        return -1;
    sb_taxonomy_category *c = &t->categories[t->ncategories];
    if (copy_field(c->id, sizeof(c->id), id) != 0 || !*c->id ||
        copy_field(c->department, sizeof(c->department), department) != 0 ||
        copy_field(c->default_subtopic, sizeof(c->default_subtopic), default_subtopic) != 0)
        return -1;
    t->ncategories++;
    return 0;
}

int sb_taxonomy_add_subtopic(sb_taxonomy *t, const char *category, const char *id,
                             const char *default_urgency)
{
    if (grow((void **)&t->subtopics, t->nsubtopics, sizeof(*t->subtopics)) != 0)
        return -1;
    sb_taxonomy_subtopic *s = &t->subtopics[t->nsubtopics];
    if (copy_field(s->category, sizeof(s->category), category) != 0 ||
        copy_field(s->id, sizeof(s->id), id) != 0 || !*s->id ||
        copy_field(s->default_urgency, sizeof(s->default_urgency), default_urgency) != 0)
        return -1;
    t->nsubtopics++;
    return 0;
}

int sb_taxonomy_add_department(sb_taxonomy *t, const char *id)
{
    if (grow((void **)&t->departments, t->ndepartments, sizeof(*t->departments)) != 0)
        return -1;
    if (copy_field(t->departments[t->ndepartments], sizeof(*t->departments), id) != 0 || !*id)
        return -1;
    t->ndepartments++;
    return 0;
}

void sb_taxonomy_free(sb_taxonomy *t)
{
    free(t->categories);
    free(t->subtopics);
    free(t->departments);
    memset(t, 0, sizeof(*t));
}

int sb_taxonomy_copy(sb_taxonomy *dst, const sb_taxonomy *src)
{
    memset(dst, 0, sizeof(*dst));
    for (size_t i = 0; i < src->ncategories; i++)
        if (sb_taxonomy_add_category(dst, src->categories[i].id, src->categories[i].department,
                                     src->categories[i].default_subtopic) != 0)
            return -1;
    for (size_t i = 0; i < src->nsubtopics; i++)
        if (sb_taxonomy_add_subtopic(dst, src->subtopics[i].category, src->subtopics[i].id,
                                     src->subtopics[i].default_urgency) != 0)
            return -1;
    for (size_t i = 0; i < src->ndepartments; i++)
        if (sb_taxonomy_add_department(dst, src->departments[i]) != 0)
            return -1;
    return 0;
}

const sb_taxonomy_category *sb_taxonomy_category_find(const sb_taxonomy *t, const char *id)
{
    for (size_t i = 0; id && i < t->ncategories; i++)
        if (strcmp(t->categories[i].id, id) == 0)
            return &t->categories[i];
    return NULL;
}

const sb_taxonomy_subtopic *sb_taxonomy_subtopic_find(const sb_taxonomy *t, const char *category,
                                                      const char *id)
{
    for (size_t i = 0; id && i < t->nsubtopics; i++)
        if (strcmp(t->subtopics[i].id, id) == 0 &&
            (!category || strcmp(t->subtopics[i].category, category) == 0))
            return &t->subtopics[i];
    return NULL;
}

int sb_taxonomy_has_department(const sb_taxonomy *t, const char *id)
{
    for (size_t i = 0; i < t->ndepartments; i++)
        if (strcmp(t->departments[i], id) == 0)
            return 1;
    return 0;
}

const char *sb_taxonomy_default_subtopic(const sb_taxonomy *t, const char *category)
{
    const sb_taxonomy_category *c = sb_taxonomy_category_find(t, category);
    if (c && c->default_subtopic[0] && sb_taxonomy_subtopic_find(t, category, c->default_subtopic))
        return c->default_subtopic;
    for (size_t i = 0; i < t->nsubtopics; i++)
        if (strcmp(t->subtopics[i].category, category) == 0)
            return t->subtopics[i].id;
    return "general";
}
