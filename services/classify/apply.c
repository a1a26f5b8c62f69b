/* apply.c - one transaction per batch: customers, ticket numbers, tickets, messages, events. */
#include "classify.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/array.h"
#include "common/clock.h"
#include "common/json.h"
#include "common/log.h"
#include "common/pg_copy.h"
#include "common/textfeat.h"
#include "common/ticket_event.h"
#include "common/utf8.h"

#define CLASSIFY_SUBJECT_MAX 120

/* Adds the time since *t to the stage's counter and restarts *t. */
static void stage_lap(classify_ctx *cx, classify_stage stage, struct timespec *t)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    int64_t us = (int64_t)(now.tv_sec - t->tv_sec) * 1000000 + (now.tv_nsec - t->tv_nsec) / 1000;
    sb_counter_add(cx->c_stage_us[stage], us > 0 ? (uint64_t)us : 0);
    *t = now;
}

/* 1 when the item is applied now and opens a ticket (rather than joining one). */
static int opens_ticket(const classify_item *it)
{
    return it->is_new && !it->joined_by;
}

/* Run a statement whose single parameter is a JSON document; takes ownership of doc. */
static PGresult *query_json(sb_pg *pg, const char *sql, json_t *doc)
{
    char *body = sb_json_dump(doc);
    json_decref(doc);
    if (!body)
        return NULL;
    const char *p[] = {body};
    PGresult *res = sb_pg_query(pg, sql, 1, p);
    free(body);
    return res;
}

/* Same, when no rows are needed back. */
static int exec_json(sb_pg *pg, const char *sql, json_t *doc)
{
    PGresult *res = query_json(pg, sql, doc);
    if (!res)
        return -1;
    PQclear(res);
    return 0;
}

/* A new item by its customer key, to find a customer's items by binary search. */
typedef struct keyed_item {
    const char *key;
    size_t      i;
} keyed_item;

/* Orders by customer key. */
static int keyed_item_cmp(const void *a, const void *b)
{
    return strcmp(((const keyed_item *)a)->key, ((const keyed_item *)b)->key);
}

/* A customer key against a keyed item, for sb_array_lower_bound. */
static int key_vs_item(const void *key, const void *item)
{
    return strcmp(key, ((const keyed_item *)item)->key);
}

/* Gives every new item its customer's id and stored tier from the upsert's rows (key, id,
 * tier), each row's items found by binary search rather than a scan of the batch per row. */
static int customers_from_result(PGresult *res, classify_item *items, size_t n)
{
    keyed_item *ix = malloc((n ? n : 1) * sizeof(*ix));
    if (!ix)
        return -1;
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (items[i].is_new)
            ix[m++] = (keyed_item){items[i].customer_key, i};
    qsort(ix, m, sizeof(*ix), keyed_item_cmp);
    for (int r = 0; r < PQntuples(res); r++) {
        const char *key = PQgetvalue(res, r, 0);
        int64_t id = strtoll(PQgetvalue(res, r, 1), NULL, 10);
        const char *tier = PQgetvalue(res, r, 2);
        /* The stored tier decides priority (a returning customer is no longer new). */
        const char *t = !strcmp(tier, "vip") ? "vip" : !strcmp(tier, "new") ? "new" : "regular";
        size_t lo = sb_array_lower_bound(ix, m, sizeof(*ix), key, key_vs_item);
        for (; lo < m && strcmp(ix[lo].key, key) == 0; lo++) {
            items[ix[lo].i].customer_id = id;
            items[ix[lo].i].tier = t;
        }
    }
    free(ix);
    return 0;
}

/* Upsert each distinct customer of the new items; fills customer_id and the stored tier. */
static int upsert_customers(sb_pg *pg, classify_item *items, size_t n)
{
    json_t *rows = json_array();
    for (size_t i = 0; i < n; i++) {
        if (!items[i].is_new)
            continue;
        json_t *c = items[i].customer;
        json_array_append_new(rows, json_pack("{s:s, s:s, s:s, s:s, s:s}",
            "customer_key", items[i].customer_key, "tier", items[i].tier,
            "display_name", sb_json_str(c, "display_name") ? sb_json_str(c, "display_name") : "",
            "phone_masked", sb_json_str(c, "phone_masked") ? sb_json_str(c, "phone_masked") : "",
            "email_masked", sb_json_str(c, "email_masked") ? sb_json_str(c, "email_masked") : ""));
    }
    /* DISTINCT ON: one customer twice in a batch must not be updated twice by one statement;
     * ORDER BY key: concurrent batches lock customers in the same order, so never deadlock.
     * Tier: VIP when the channel or the admins' list says so; "new" at first contact, then
     * "regular" from the second on. */
    PGresult *res = query_json(pg,
        "INSERT INTO customers AS c (customer_key, display_name, phone_masked, email_masked, tier)"
        " SELECT DISTINCT ON (x.customer_key) x.customer_key, display_name, phone_masked,"
        "  email_masked, CASE WHEN x.tier = 'vip' OR v.customer_key IS NOT NULL THEN 'vip'"
        "                     WHEN x.tier = 'regular' THEN 'regular' ELSE 'new' END"
        " FROM jsonb_to_recordset($1::jsonb) AS x(customer_key text, display_name text,"
        "      phone_masked text, email_masked text, tier text)"
        " LEFT JOIN vip_customers v ON v.customer_key = x.customer_key"
        " ORDER BY x.customer_key"
        " ON CONFLICT (customer_key) DO UPDATE SET last_seen = now(),"
        "  display_name = COALESCE(NULLIF(EXCLUDED.display_name, ''), c.display_name),"
        "  phone_masked = COALESCE(NULLIF(EXCLUDED.phone_masked, ''), c.phone_masked),"
        "  email_masked = COALESCE(NULLIF(EXCLUDED.email_masked, ''), c.email_masked),"
        "  tier = CASE WHEN EXCLUDED.tier = 'vip' OR c.tier = 'vip' THEN 'vip' ELSE 'regular' END"
        " RETURNING customer_key, id, tier",
        rows);
    if (!res)
        return -1;
    int rc = customers_from_result(res, items, n);
    PQclear(res);
    return rc;
}

/* Keep the raw contact details in the restricted table only. */
static int store_contacts(sb_pg *pg, const classify_item *items, size_t n)
{
    json_t *rows = json_array();
    for (size_t i = 0; i < n; i++) {
        const json_t *ct = items[i].contact;
        if (!items[i].is_new || !ct)
            continue;
        json_t *row = json_pack("{s:I}", "customer_id", (json_int_t)items[i].customer_id);
        const char *fields[][2] = {{"name", "name"}, {"phone", "phone"}, {"email", "email"},
                                   {"external_id", "id"}};
        for (size_t f = 0; f < 4; f++) {
            const char *v = sb_json_str(ct, fields[f][1]);
            json_object_set_new(row, fields[f][0], json_string(v ? v : ""));
        }
        json_array_append_new(rows, row);
    }
    if (json_array_size(rows) == 0) {
        json_decref(rows);
        return 0;
    }
    return exec_json(pg,
        "INSERT INTO customer_contacts AS k (customer_id, name, phone, email, external_id)"
        " SELECT DISTINCT ON (customer_id) customer_id, name, phone, email, external_id"
        " FROM jsonb_to_recordset($1::jsonb) AS x(customer_id bigint, name text, phone text,"
        "      email text, external_id text)"
        " ORDER BY customer_id"
        " ON CONFLICT (customer_id) DO UPDATE SET updated_at = now(),"
        "  name = COALESCE(NULLIF(EXCLUDED.name, ''), k.name),"
        "  phone = COALESCE(NULLIF(EXCLUDED.phone, ''), k.phone),"
        "  email = COALESCE(NULLIF(EXCLUDED.email, ''), k.email),"
        "  external_id = COALESCE(NULLIF(EXCLUDED.external_id, ''), k.external_id)",
        rows);
}

/* Numbers the new tickets from the serials reserved before the transaction (serials.c). */
static int number_tickets(classify_ctx *cx, classify_item *items, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        classify_item *it = &items[i];
        if (!opens_ticket(it))
            continue;
        int day = sb_clock_yyyymmdd(it->received_ms);
        int64_t serial = classify_serials_take(&cx->serials, it->channel_code, day);
        if (serial < 0)
            return -1;
        sb_ticket_number_format(it->number, sizeof(it->number), it->channel_code, day, serial);
    }
    return 0;
}

/* How many bytes of text the ticket subject keeps: its first characters, cut on a character
 * boundary. */
static size_t subject_cut(const char *text)
{
    size_t len = strlen(text), cut = 0, chars = 0;
    while (cut < len && chars < CLASSIFY_SUBJECT_MAX) {
        size_t c = sb_utf8_char_len(text + cut, len - cut);
        if (c == 0)
            break;
        cut += c;
        chars++;
    }
    return cut;
}

/* The ticket subject as a JSON string. */
static json_t *subject_of(const char *text)
{
    return json_stringn(text, subject_cut(text));
}

/* The language of the ticket's first message. */
static const char *ticket_language(const classify_item *it)
{
    const char *t = it->subject ? it->subject : it->text;
    return sb_textfeat_language(t, strlen(t));
}

/* The inbound customer with the tier classify decided: a shallow copy (its values are
 * shared, never changed), so the inbound event keeps its own. */
static json_t *event_customer(const classify_item *it)
{
    json_t *customer = json_copy(it->customer);
    json_object_set_new(customer, "tier", json_string(it->tier));
    return customer;
}

/* opened + classified for a new item, appended to events. The explanation is shared with the
 * item (decided just before, not changed after). */
static void build_events(const classify_item *it, int64_t now, json_t *events)
{
    const sb_decision *d = &it->decision;
    json_t *customer = event_customer(it);
    json_t *opened = json_pack("{s:s, s:s, s:s, s:o, s:o}", "channel", it->channel,
                               "message_id", it->message_id, "received_at", it->received_at,
                               "subject", subject_of(it->subject ? it->subject : it->text), "customer", customer);
    /* The language lets dispatch route to agents who speak it without reading PostgreSQL. */
    json_t *classified = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:s}",
                                   "channel", it->channel, "category", d->category,
                                   "subtopic", d->subtopic, "urgency", d->urgency,
                                   "priority", d->priority, "department", d->department,
                                   "explanation", json_incref(it->explain),
                                   "language", ticket_language(it));
    json_array_append_new(events, sb_ticket_event_new("opened", it->opened_id, it->message_id,
                                                      it->ticket_id, it->number, now, opened));
    json_array_append_new(events, sb_ticket_event_new("classified", it->classified_id,
                                                      it->message_id, it->ticket_id, it->number,
                                                      now, classified));
}

/* message_appended for an item that joined an open ticket. */
static void build_appended(const classify_item *it, int64_t now, json_t *events)
{
    json_t *customer = event_customer(it);
    json_t *data = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o}", "channel", it->channel,
                             "message_id", it->message_id, "received_at", it->received_at,
                             "joined_by", it->joined_by, "excerpt", subject_of(it->subject ? it->subject : it->text),
                             "customer", customer);
    json_array_append_new(events, sb_ticket_event_new("message_appended", it->appended_id,
                                                      it->message_id, it->ticket_id, it->number,
                                                      now, data));
}

/* A ticket's row in the COPY of insert_tickets. */
static void ticket_row(sb_copy_rows *r, const classify_item *it)
{
    const sb_decision *d = &it->decision;
    const char *text = it->subject ? it->subject : it->text;
    const char *tags[SB_RULES_MAX_TAGS];
    for (int k = 0; k < d->ntags; k++)
        tags[k] = d->tags[k];
    sb_copy_text(r, it->ticket_id);
    sb_copy_text(r, it->number);
    sb_copy_text(r, it->channel);
    sb_copy_int(r, it->customer_id);
    sb_copy_text(r, "classified");
    sb_copy_text(r, d->category);
    sb_copy_text(r, d->subtopic);
    sb_copy_text(r, d->urgency);
    sb_copy_text(r, d->priority);
    sb_copy_text(r, d->department);
    sb_copy_textn(r, text, subject_cut(text));
    sb_copy_json(r, it->explain);
    sb_copy_text(r, it->received_at);
    sb_copy_text(r, it->ivr_path);
    sb_copy_text_array(r, tags, (size_t)d->ntags);
    sb_copy_text(r, classify_decided_by(d));
    if (d->rule_version)
        sb_copy_int(r, d->rule_version);
    else
        sb_copy_null(r);
    if (d->model_version) {
        sb_copy_int(r, d->model_version);
        sb_copy_real(r, d->confidence);
    } else {
        sb_copy_null(r);
        sb_copy_null(r);
    }
    sb_copy_text(r, ticket_language(it));
    sb_copy_row_end(r);
}

/* A message's row in the COPY of insert_tickets. */
static void message_row(sb_copy_rows *r, const classify_item *it)
{
    sb_copy_text(r, it->message_id);
    sb_copy_text(r, it->ticket_id);
    sb_copy_text(r, it->channel);
    sb_copy_text(r, it->external_id);
    sb_copy_text(r, it->text);
    sb_copy_text(r, it->received_at);
    sb_copy_text(r, it->thread_mid);
    sb_copy_row_end(r);
}

/* Insert tickets and messages of the new items, each table in one COPY: the rows are new (the
 * batch claimed their messages in this transaction), and COPY's text format costs PostgreSQL
 * far less to read than the same rows as one JSON document, and classify less to write. */
static int insert_tickets(sb_pg *pg, const classify_item *items, size_t n)
{
    sb_copy_rows tickets = {0}, messages = {0};
    for (size_t i = 0; i < n; i++) {
        if (!items[i].is_new)
            continue;
        message_row(&messages, &items[i]);
        if (opens_ticket(&items[i]))
            ticket_row(&tickets, &items[i]);
    }
    int rc = sb_copy_rows_failed(&tickets) || sb_copy_rows_failed(&messages) ? -1 : 0;
    if (rc == 0 && tickets.rows > 0)
        rc = sb_pg_copy_in(pg,
            "COPY tickets (id, number, channel, customer_id, status, category, subtopic, urgency,"
            "  priority, department_id, subject, explanation, created_at, ivr_path, tags,"
            "  decided_by, rule_version, model_version, confidence, language) FROM STDIN",
            tickets.buf, tickets.len);
    if (rc == 0 && messages.rows > 0)
        rc = sb_pg_copy_in(pg,
            "COPY messages (message_id, ticket_id, channel, external_id, body, received_at,"
            "  thread_ref) FROM STDIN",
            messages.buf, messages.len);
    sb_copy_rows_free(&tickets);
    sb_copy_rows_free(&messages);
    return rc;
}

/* The order references of the new items, each linked to its ticket; joined tickets that
 * existed before this batch get their updated_at moved. */
static int link_orders_and_touch(sb_pg *pg, const classify_item *items, size_t n)
{
    json_t *orders = json_array();
    json_t *touched = json_array();
    for (size_t i = 0; i < n; i++) {
        const classify_item *it = &items[i];
        if (!it->is_new)
            continue;
        for (size_t k = 0; k < it->norders; k++)
            json_array_append_new(orders, json_pack("{s:s, s:s}", "order_ref", it->orders[k],
                                                    "ticket_id", it->ticket_id));
        if (it->joined_by && !it->opener)
            json_array_append_new(touched, json_string(it->ticket_id));
    }
    int rc = 0;
    if (json_array_size(orders) > 0)
        rc = exec_json(pg,
            "INSERT INTO ticket_orders (order_ref, ticket_id)"
            " SELECT DISTINCT order_ref, ticket_id"
            " FROM jsonb_to_recordset($1::jsonb) AS x(order_ref text, ticket_id uuid)"
            " ON CONFLICT DO NOTHING",
            orders);
    else
        json_decref(orders);
    if (rc == 0 && json_array_size(touched) > 0)
        rc = exec_json(pg,
            "UPDATE tickets SET updated_at = now()"
            " WHERE id IN (SELECT (jsonb_array_elements_text($1::jsonb))::uuid)",
            touched);
    else
        json_decref(touched);
    return rc;
}

/* The top knowledge-base articles for each new ticket, stored with it (one statement). A
 * ticket waiting for triage has no category to favour. */
static int suggest_articles(classify_ctx *cx, const classify_item *items, size_t n)
{
    sb_kb_query *q = calloc(n ? n : 1, sizeof(*q));
    if (!q)
        return -1;
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (!opens_ticket(&items[i]))
            continue;
        const sb_decision *d = &items[i].decision;
        int triage = strcmp(d->source, "triage") == 0;
        q[m++] = (sb_kb_query){items[i].ticket_id, items[i].text, triage ? NULL : d->category,
                               triage ? NULL : d->subtopic};
    }
    int rc = m ? sb_kb_suggest_batch(cx->pg, cx->suggester, q, m) : 0;
    free(q);
    return rc == 0 ? 0 : -1;
}

/* Events a replayed message implies, as stored when it was first applied. */
static int load_replayed(sb_pg *pg, const classify_item *items, size_t n, json_t *out)
{
    const char **ids = malloc(3 * n * sizeof(char *) + 1);
    size_t m = 0;
    if (!ids)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (!items[i].is_new) {
            /* Whichever it was: a ticket it opened, or a ticket it joined. */
            ids[m++] = items[i].opened_id;
            ids[m++] = items[i].classified_id;
            ids[m++] = items[i].appended_id;
        }
    int rc = sb_ticket_events_load(pg, ids, m, out);
    free(ids);
    return rc;
}

/* The steps of a batch's new items, one signature each so they run from a table. */
static int step_customers(classify_ctx *cx, classify_item *items, size_t n, json_t *out)
{
    (void)out;
    int rc = upsert_customers(cx->pg, items, n);
    return rc == 0 ? store_contacts(cx->pg, items, n) : rc;
}

static int step_thread(classify_ctx *cx, classify_item *items, size_t n, json_t *out)
{
    (void)out;
    return classify_thread(cx, items, n);
}

static int step_number(classify_ctx *cx, classify_item *items, size_t n, json_t *out)
{
    (void)out;
    int rc = number_tickets(cx, items, n);
    classify_thread_numbers(items, n);
    return rc;
}

/* Decide every opener and build the events of every new item. */
static int step_decide(classify_ctx *cx, classify_item *items, size_t n, json_t *out)
{
    int64_t now = sb_clock_now_ms();
    for (size_t i = 0; i < n; i++) {
        if (opens_ticket(&items[i])) {
            classify_decide(cx, &items[i]);
            build_events(&items[i], now, out);
        } else if (items[i].is_new) {
            build_appended(&items[i], now, out);
        }
    }
    return 0;
}

static int step_tickets(classify_ctx *cx, classify_item *items, size_t n, json_t *out)
{
    (void)out;
    return insert_tickets(cx->pg, items, n);
}

static int step_orders(classify_ctx *cx, classify_item *items, size_t n, json_t *out)
{
    (void)out;
    return link_orders_and_touch(cx->pg, items, n);
}

static int step_suggest(classify_ctx *cx, classify_item *items, size_t n, json_t *out)
{
    (void)out;
    return suggest_articles(cx, items, n);
}

static int step_events(classify_ctx *cx, classify_item *items, size_t n, json_t *out)
{
    (void)items;
    (void)n;
    return sb_event_texts_dump(&cx->texts, out) == 0 &&
                   sb_ticket_events_store_texts(cx->pg, &cx->texts) == 0 ? 0 : -1;
}

/* Customers, threads, numbers, decisions and rows of the batch's new items, in this order,
 * each timed as its stage; events to out. Stops at the first failure. */
static int apply_new(classify_ctx *cx, classify_item *items, size_t n, json_t *out,
                     struct timespec *t)
{
    static const struct {
        classify_stage stage;
        int (*run)(classify_ctx *, classify_item *, size_t, json_t *);
    } steps[] = {
        {CLASSIFY_ST_CUSTOMERS, step_customers}, {CLASSIFY_ST_THREAD, step_thread},
        {CLASSIFY_ST_NUMBER, step_number},       {CLASSIFY_ST_DECIDE, step_decide},
        {CLASSIFY_ST_TICKETS, step_tickets},     {CLASSIFY_ST_ORDERS, step_orders},
        {CLASSIFY_ST_SUGGEST, step_suggest},     {CLASSIFY_ST_EVENTS, step_events},
    };
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        if (steps[i].run(cx, items, n, out) != 0)
            return -1;
        stage_lap(cx, steps[i].stage, t);
    }
    return 0;
}

/* Everything inside the transaction; -1 makes the caller roll back. */
static int apply_in_tx(classify_ctx *cx, classify_item *items, size_t n, json_t *out,
                       struct timespec *t)
{
    const char **ids = malloc(n * sizeof(char *));
    unsigned char *is_new = malloc(n);
    int fresh = ids && is_new ? 0 : -1;
    for (size_t i = 0; i < n && fresh == 0; i++)
        ids[i] = items[i].message_id;
    if (fresh == 0)
        fresh = sb_pg_claim_events(cx->pg, "classify", ids, n, is_new);
    for (size_t i = 0; i < n && fresh >= 0; i++)
        items[i].is_new = is_new[i];
    free(ids);
    free(is_new);
    stage_lap(cx, CLASSIFY_ST_CLAIM, t);
    int rc = fresh < 0 ? -1 : 0;
    if (rc == 0 && fresh > 0)
        rc = apply_new(cx, items, n, out, t);
    if (rc == 0 && (size_t)fresh < n) {
        rc = load_replayed(cx->pg, items, n, out);
        stage_lap(cx, CLASSIFY_ST_REPLAY, t);
    }
    return rc;
}

int classify_apply(classify_ctx *cx, classify_item *items, size_t n, json_t *out)
{
    sb_event_texts_free(&cx->texts);
    if (n == 0)
        return 0;
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    if (sb_pg_ensure(cx->pg) != 0 || classify_serials_reserve(cx->pg, &cx->serials, items, n) != 0)
        return -1;
    stage_lap(cx, CLASSIFY_ST_NUMBER, &t);
    if (sb_pg_begin(cx->pg) != 0)
        return -1;
    if (apply_in_tx(cx, items, n, out, &t) != 0 || sb_pg_commit(cx->pg) != 0) {
        sb_pg_rollback(cx->pg);
        json_array_clear(out);
        sb_event_texts_free(&cx->texts);
        return -1;
    }
    stage_lap(cx, CLASSIFY_ST_COMMIT, &t);
    return 0;
}
