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
