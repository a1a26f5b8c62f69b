/* action_body.h - the bodies of desk's ticket actions checked without the database or HTTP
 * (pure, so tests/fuzz/fuzz_desk_action.c drives them). */
#ifndef DESK_ACTION_BODY_H
#define DESK_ACTION_BODY_H

#include <jansson.h>
#include "common/error.h"

#define DESK_REASON_MAX    1000
#define DESK_SOLUTION_MAX  65536
#define DESK_TAGS_MAX      32
#define DESK_TAG_MAX       64

/* POST .../reclassify: strings point into the body; urgency and priority may be NULL. */
typedef struct desk_reclass_body {
    const char *category, *subtopic, *urgency, *priority, *reason;
} desk_reclass_body;

/* POST .../resolve: strings point into the body; tags is a new reference (an array). */
typedef struct desk_resolve_body {
    const char *resolution, *solution;
    json_t     *tags;
} desk_resolve_body;

/* Reads and checks the fields (the taxonomy itself is checked against the database later).
 * 0, or -1 with a 400 in err naming the field. */
int desk_reclass_body_read(const json_t *body, desk_reclass_body *r, sb_error *err);
/* Same; on success the caller owns r->tags. */
int desk_resolve_body_read(const json_t *body, desk_resolve_body *r, sb_error *err);

#define DESK_NOTE_MAX      4000
#define DESK_MESSAGE_MAX   1000

/* POST .../status {"status": "in_progress" | "awaiting_customer", "note"?}: the state machine's
 * action for it ("resume" | "await_customer") into *action. 0 or -1 with err. */
int desk_status_body_read(const json_t *body, const char **action, const char **note,
                          sb_error *err);
/* POST .../note {"text"}. 0 or -1 with err. */
int desk_note_body_read(const json_t *body, const char **text, sb_error *err);
/* POST .../urge {"message"?}. 0 or -1 with err. */
int desk_urge_body_read(const json_t *body, const char **message, sb_error *err);

#define DESK_REPLY_MAX     4000
#define DESK_VAR_NAME_MAX  32
#define DESK_VAR_VALUE_MAX 1000
#define DESK_VARS_MAX      32
#define DESK_TEMPLATE_MAX  64

/* POST .../reply: {"text"} or {"template", "variables"?}; exactly one of text and template is
 * set (pointing into the body); variables is borrowed (an object of strings) or NULL. */
typedef struct desk_reply_body {
    const char   *text, *template_id;
    const json_t *variables;
} desk_reply_body;

/* 0 or -1 with a 400 naming the field ("text", "template", "variables",
 * "variables.<name>": a name desk fills itself may not be given). */
int desk_reply_body_read(const json_t *body, desk_reply_body *r, sb_error *err);

/* The template text with every {{name}} replaced by vars[name] (an object of strings): a
 * malloc'd string, or NULL with a 400 naming "variables.<name>" for a placeholder without a
 * value (missing_variable) or a variable the template does not have (unknown_variable; the
 * ones desk fills itself, customer_name, ticket_number and agent_name, may go unused), or
 * "variables" when the reply would exceed DESK_REPLY_MAX bytes. A "{{" not followed by a
 * name and "}}" is text. */
char *desk_reply_fill(const char *tmpl, const json_t *vars, sb_error *err);

/* POST .../reassign: {"agent_id", "reason"} or {"department", "reason"}; exactly one of
 * agent_id and department is set. */
typedef struct desk_reassign_body {
    const char *agent_id, *department, *reason;
} desk_reassign_body;

int desk_reassign_body_read(const json_t *body, desk_reassign_body *r, sb_error *err);

/* POST .../merge {"into": "<ticket number>", "reason"}. The number's form is checked by the
 * caller (desk_number_valid needs the channel table). */
int desk_merge_body_read(const json_t *body, const char **into, const char **reason,
                         sb_error *err);

#endif
