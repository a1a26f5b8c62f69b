/* content.h - what sb-loadgen posts: channel mix, customers, texts, JSON bodies. */
#ifndef SB_LOADGEN_CONTENT_H
#define SB_LOADGEN_CONTENT_H

#include <stddef.h>
#include <stdint.h>

#include "tools/loadgen/loadgen.h"

/* Channel weights, indexed like sb_channel_all(). */
typedef struct lg_mix {
    unsigned weight[SB_LOADGEN_CHANNELS];
    unsigned total;
} lg_mix;

/* Parses "web:20,app:20,..."; 0, or -1 with the reason in err. */
int lg_mix_parse(const char *spec, lg_mix *mix, char *err, size_t errlen);
/* The channel (index) of message seq: a fixed function of seq, so runs are reproducible. */
int lg_mix_pick(const lg_mix *mix, uint64_t seq);

/* 64-bit mixing (splitmix64 finaliser). */
uint64_t lg_hash64(uint64_t x);
/* A per-run salt, so customers of different runs are different people. */
uint64_t lg_run_salt(const char *run_id);
/* 1 when run_id is 1..100 characters of [A-Za-z0-9._:-] (it is written into JSON as is). */
int lg_run_id_ok(const char *run_id);

/* Who sends message seq (customers: the pool size, 0 = one per message). */
typedef struct lg_person {
    const char *name, *tier;
    char        phone[32];   /* "" when the person has none */
    char        email[96];   /* "" when the person has none */
    char        id[48];      /* always set; the only identity when id_only */
    int         id_only;
} lg_person;
void lg_person_of(uint64_t salt, uint64_t seq, uint64_t customers, lg_person *p);
/* What message seq says (no quote, backslash, '<' or '&': safe in JSON and XML as it is). */
const char *lg_text_of(uint64_t salt, uint64_t seq);
/* The order number message seq names: unique per run (salt), so classify, which joins a message
 * to the open ticket naming the same order, never threads one run into another's tickets. */
void lg_order_id(char out[32], uint64_t salt, uint64_t seq);

/* The POST body of message seq on channel into buf. Returns its length, or -1 if it does not
 * fit (a buffer of LG_BODY_MAX always does). */
#define LG_BODY_MAX 4096
int lg_body(char *buf, size_t len, const char *run_id, uint64_t salt, uint64_t seq,
            const char *channel, uint64_t customers);

#endif
