/* test_ticket_state.c - the ticket state machine's table. */
#include <criterion/criterion.h>

#include "common/ticket_state.h"

Test(ticket_state, the_main_path_from_new_to_closed)
{
    cr_expect_str_eq(sb_ticket_state_next("new", "classify"), "classified");
    cr_expect_str_eq(sb_ticket_state_next("classified", "assign"), "assigned");
    cr_expect_str_eq(sb_ticket_state_next("assigned", "acknowledge"), "acknowledged");
    cr_expect_str_eq(sb_ticket_state_next("acknowledged", "await_customer"), "awaiting_customer");
    cr_expect_str_eq(sb_ticket_state_next("awaiting_customer", "resume"), "acknowledged");
    cr_expect_str_eq(sb_ticket_state_next("acknowledged", "resolve"), "resolved");
    cr_expect_str_eq(sb_ticket_state_next("resolved", "close"), "closed");
    cr_expect_str_eq(sb_ticket_state_next("resolved", "reopen"), "reopened");
}

Test(ticket_state, actions_that_do_not_move_keep_the_status)
{
    cr_expect_str_eq(sb_ticket_state_next("assigned", "reclassify"), "assigned");
    cr_expect_str_eq(sb_ticket_state_next("resolved", "reclassify"), "resolved");
    cr_expect_str_eq(sb_ticket_state_next("closed", "note"), "closed");
}

Test(ticket_state, forbidden_moves_and_unknown_words_are_refused)
{
    cr_expect_null(sb_ticket_state_next("closed", "resolve"));
    cr_expect_null(sb_ticket_state_next("new", "resolve"));
    cr_expect_null(sb_ticket_state_next("closed", "reclassify"));
    cr_expect_null(sb_ticket_state_next("resolved", "resolve"));
    cr_expect_null(sb_ticket_state_next("assigned", "fly"));
    cr_expect_null(sb_ticket_state_next("limbo", "resolve"));
    cr_expect_null(sb_ticket_state_next(NULL, "resolve"));
    cr_expect_null(sb_ticket_state_next("assigned", "resolve close"));
    /* A status that is a substring of a listed one must not match it. */
    cr_expect_null(sb_ticket_state_next("opened", "reopen"));
}

Test(ticket_state, reassigning_requeueing_and_merging)
{
    /* A supervisor reassigns open work to another agent, or back to a queue. */
    cr_expect_str_eq(sb_ticket_state_next("acknowledged", "assign"), "assigned");
    cr_expect_str_eq(sb_ticket_state_next("awaiting_customer", "assign"), "assigned");
    cr_expect_str_eq(sb_ticket_state_next("assigned", "requeue"), "classified");
    cr_expect_str_eq(sb_ticket_state_next("reopened", "requeue"), "classified");
    cr_expect_str_eq(sb_ticket_state_next("classified", "requeue"), "classified");
    cr_expect_null(sb_ticket_state_next("new", "requeue"));
    cr_expect_null(sb_ticket_state_next("resolved", "requeue"));
    cr_expect_null(sb_ticket_state_next("new", "assign"));
    /* A duplicate is closed, open or resolved; never twice, never before it is classified. */
    cr_expect_str_eq(sb_ticket_state_next("assigned", "merge"), "closed");
    cr_expect_str_eq(sb_ticket_state_next("resolved", "merge"), "closed");
    cr_expect_null(sb_ticket_state_next("closed", "merge"));
    cr_expect_null(sb_ticket_state_next("new", "merge"));
    /* A reply goes out on open tickets only. */
    cr_expect_str_eq(sb_ticket_state_next("awaiting_customer", "reply"), "awaiting_customer");
    cr_expect_null(sb_ticket_state_next("resolved", "reply"));
}
