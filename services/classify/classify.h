/* classify.h - what classify's modules share: one inbound message on its way to a ticket. */
#ifndef SB_CLASSIFY_H
#define SB_CLASSIFY_H

#include <stdint.h>
#include <jansson.h>

#include "common/ids.h"
#include "common/kafka.h"
#include "common/pg.h"
#include "common/rules.h"

typedef struct classify_item {
    const sb_kmsg *msg;
    json_t        *ev;             /* the parsed inbound event (owned) */
    const char    *message_id;     /* views into ev */
    const char    *channel;
    const char    *channel_code;
    const char    *external_id;
    const char    *text;
    const char    *received_at;
    const char    *customer_key;
    const char    *tier;
    json_t        *customer;       /* masked customer object (borrowed from ev) */
    json_t        *contact;        /* unsealed raw contact, or NULL (owned) */
    int64_t        received_ms;
    int            is_new;         /* first time this message is applied */
    int64_t        customer_id;
    char           ticket_id[SB_UUID_STRLEN];
    char           opened_id[SB_UUID_STRLEN];
    char           classified_id[SB_UUID_STRLEN];
    char           number[40];
    sb_decision    decision;
} classify_item;

typedef struct classify_ctx {
    sb_pg         *pg;
    sb_producer   *producer;
    sb_consumer   *consumer;
    sb_ruleset     rules;
    unsigned char  seal_key[32];
    sb_counter    *c_tickets, *c_replays, *c_deadletters;
    sb_histogram  *h_apply_ms;       /* the PostgreSQL transaction alone */
} classify_ctx;

/* decode.c: inbound_message bytes -> item; 0, or -1 with a reason for the dead-letter topic. */
int  classify_decode(classify_ctx *cx, const sb_kmsg *msg, classify_item *it, const char **reason);
void classify_item_release(classify_item *it);

/* apply.c: in one transaction, turn the new items into customers, tickets, messages and
 * events; fills out with every event to publish (new ones and those a replay implies). */
int  classify_apply(classify_ctx *cx, classify_item *items, size_t n, json_t *out);

#endif
