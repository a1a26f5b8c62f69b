/* classify.h - what classify's modules share: one inbound message on its way to a ticket. */
#ifndef SB_CLASSIFY_H
#define SB_CLASSIFY_H

#include <stdint.h>
#include <jansson.h>

#include <event2/event.h>

#include "common/ids.h"
#include "common/kb.h"
#include "common/nbayes.h"
#include "common/kafka.h"
#include "common/pg.h"
#include "common/rules.h"
#include "common/ticket_event.h"
#include "orders.h"

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
    const char    *ivr_path;       /* hints.ivr_path, "" when none */
    const char    *subject;        /* hints.subject (e-mail), or NULL */
    const char    *thread_mid;     /* thread.message_id (e-mail Message-ID), or NULL */
    const json_t  *thread;         /* {message_id, in_reply_to, references[]}, borrowed, or NULL */
    char           orders[CLASSIFY_ORDER_REFS_MAX][CLASSIFY_ORDER_REF_LEN];
    size_t         norders;
    int64_t        received_ms;
    int            is_new;         /* first time this message is applied */
    int64_t        customer_id;
    int            tickets_90d;    /* the customer's earlier tickets in the last 90 days */
    int            open_tickets;   /* of which still open */
    const char    *joined_by;      /* NULL: opens a ticket; else "thread" | "order" | "customer" */
    const struct classify_item *opener;  /* joins a ticket opened earlier in this batch, or NULL */
    char           ticket_id[SB_UUID_STRLEN];   /* the ticket it opens or joins */
    char           number[40];
    char           opened_id[SB_UUID_STRLEN];
    char           classified_id[SB_UUID_STRLEN];
    char           appended_id[SB_UUID_STRLEN];
    sb_decision    decision;
    json_t        *explain;        /* the decision's explanation (owned) */
    int            predicted;      /* the classifier was asked: prediction is set */
    sb_nb_prediction prediction;
} classify_item;

/* The parts of a batch's work, timed separately (classify_stage_us_total{stage=...}) so the
 * part that limits the peak is visible in /metrics. */
typedef enum classify_stage {
    CLASSIFY_ST_CLAIM, CLASSIFY_ST_CUSTOMERS, CLASSIFY_ST_THREAD, CLASSIFY_ST_NUMBER,
    CLASSIFY_ST_DECIDE, CLASSIFY_ST_TICKETS, CLASSIFY_ST_ORDERS, CLASSIFY_ST_SUGGEST,
    CLASSIFY_ST_EVENTS, CLASSIFY_ST_REPLAY, CLASSIFY_ST_COMMIT, CLASSIFY_ST_COUNT
} classify_stage;

/* serials.c: the ticket serials a process reserved ahead, per channel and day. */
#define CLASSIFY_SERIAL_BLOCK 256   /* serials reserved at least at a time */

typedef struct classify_serial_block {
    char    code[4];                /* channel code, e.g. "WX" */
    int     day;                    /* YYYYMMDD */
    int64_t next, end;              /* serials next..end are ours; end 0: none yet */
    int64_t need;                   /* serials the batch being applied may take */
} classify_serial_block;

typedef struct classify_serials {
    classify_serial_block *b;       /* owned */
    size_t                 n, cap;
} classify_serials;

typedef struct classify_ctx {
    sb_pg         *pg;
    sb_producer   *producer;
    sb_consumer   *consumer;
    sb_ruleset     rules;          /* the active rule set, swapped when an admin activates one */
    sb_nb_model   *model;          /* the newest classifier model, swapped when one is trained */
    int            model_version;
    double         min_confidence; /* below it the triage desk decides, not the model */
    struct event  *refresh;        /* looks for a newer rule set and model */
    sb_kb_suggester *suggester;    /* published knowledge-base articles, for suggestions */
    char          *textbuf;        /* subject + body of an e-mail being decided */
    size_t         textcap;
    unsigned char  seal_key[32];
    classify_serials serials;      /* ticket serials reserved ahead of the batches */
    sb_event_texts texts;          /* the batch's new events as stored: published as they are */
    sb_counter    *c_tickets, *c_replays, *c_deadletters;
    sb_histogram  *h_apply_ms;       /* the PostgreSQL transaction alone */
    sb_counter    *c_stage_us[CLASSIFY_ST_COUNT];
} classify_ctx;

/* decide.c: rules, hints, classifier or triage for an item that opens a ticket; fills
 * it->decision and it->explain. */
void classify_decide(classify_ctx *cx, classify_item *it);
/* tickets.decided_by for a decision. */
const char *classify_decided_by(const sb_decision *d);
/* Loads the active rule set and the newest model (training the first one when there is none)
 * and arms the refresh timer. 0 or -1. */
int  classify_decide_init(classify_ctx *cx, struct event_base *base);
void classify_decide_close(classify_ctx *cx);

/* decode.c: inbound_message bytes -> item; 0, or -1 with a reason for the dead-letter topic. */
int  classify_decode(classify_ctx *cx, const sb_kmsg *msg, classify_item *it, const char **reason);
void classify_item_release(classify_item *it);

/* thread.c: inside the batch's transaction, after customers are known: decide for every new
 * item whether it joins an open ticket (by e-mail thread, order number, or the customer's open
 * ticket, in that order) or opens one, and fill each item's customer history. 0 or -1. */
int  classify_thread(classify_ctx *cx, classify_item *items, size_t n);
/* After the openers were numbered: items that joined them take the number. */
void classify_thread_numbers(classify_item *items, size_t n);

/* serials.c: before the batch's transaction, in a statement of its own, makes sure s holds a
 * serial for every item of the batch (by its channel and day). 0 or -1. */
int     classify_serials_reserve(sb_pg *pg, classify_serials *s, const classify_item *items,
                                 size_t n);
/* The next reserved serial of a channel and day; -1 (logged) when none is left. */
int64_t classify_serials_take(classify_serials *s, const char *code, int day);
void    classify_serials_free(classify_serials *s);

/* apply.c: in one transaction, turn the new items into customers, tickets, messages and
 * events; fills out with every event to publish (new ones and those a replay implies). */
int  classify_apply(classify_ctx *cx, classify_item *items, size_t n, json_t *out);

#endif
