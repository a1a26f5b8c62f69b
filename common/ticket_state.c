/* ticket_state.c - the transition table of a ticket's life (DESIGN.md, Domain: Status). */
#include "common/ticket_state.h"

#include <stddef.h>
#include <string.h>

/* One allowed move: in any status of `from` (space-separated, padded), action leads to `to`
 * (NULL: the status stays as it is). */
typedef struct transition {
    const char *action;
    const char *from;
    const char *to;
} transition;

#define OPEN " classified assigned acknowledged awaiting_customer reopened "

static const transition transitions[] = {
    {"classify",       " new ",                                   "classified"},
    {"assign",         " classified assigned reopened acknowledged awaiting_customer ", "assigned"},
    {"acknowledge",    " assigned reopened ",                     "acknowledged"},
    {"await_customer", " acknowledged ",                          "awaiting_customer"},
    {"resume",         " awaiting_customer ",                     "acknowledged"},
    {"reply",          OPEN,                                      NULL},
    {"note",           " new" OPEN "resolved closed ",            NULL},
    {"reclassify",     " new" OPEN "resolved ",                   NULL},
    {"urge",           OPEN,                                      NULL},
    {"resolve",        OPEN,                                      "resolved"},
    {"reopen",         " resolved closed ",                       "reopened"},
    {"close",          " resolved ",                              "closed"},
    /* A supervisor hands an assigned (or waiting) ticket back to a department's queue. */
    {"requeue",        OPEN,                                      "classified"},
    /* A duplicate joins another ticket: closed, whether still open or already resolved. */
    {"merge",          OPEN "resolved ",                          "closed"},
};

static const char *const statuses[] = {"new", "classified", "assigned", "acknowledged",
                                       "awaiting_customer", "resolved", "closed", "reopened"};

/* 1 when word appears in the padded, space-separated list. */
static int in_list(const char *list, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = strstr(list, word); p; p = strstr(p + 1, word))
        if (p[-1] == ' ' && p[n] == ' ')
            return 1;
    return 0;
}

int sb_ticket_status_valid(const char *s)
{
    for (size_t i = 0; s && i < sizeof(statuses) / sizeof(statuses[0]); i++)
        if (strcmp(s, statuses[i]) == 0)
            return 1;
    return 0;
}

const char *sb_ticket_state_next(const char *status, const char *action)
{
    if (!sb_ticket_status_valid(status) || !action || strchr(action, ' '))
        return NULL;
    for (size_t i = 0; i < sizeof(transitions) / sizeof(transitions[0]); i++)
        if (strcmp(transitions[i].action, action) == 0)
            return in_list(transitions[i].from, status) ? (transitions[i].to ? transitions[i].to : status)
                                                         : NULL;
    return NULL;
}
