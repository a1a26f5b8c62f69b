/* loadgen.h - sb-loadgen as a library: POST realistic channel messages to ingest, count answers. */
#ifndef SB_LOADGEN_H
#define SB_LOADGEN_H

#include <stdint.h>
#include <stdio.h>

#define SB_LOADGEN_CHANNELS 16   /* room for every channel of sb_channel_all() */
#define SB_LOADGEN_DEFAULT_MIX "web:20,app:20,wechat:25,phone:15,email:10,store:5,marketplace:5"

typedef struct sb_loadgen_opts {
    const char *url;           /* ingest base URL, e.g. http://127.0.0.1:8081 */
    uint64_t    messages;      /* how many distinct messages to send */
    int         concurrency;   /* keep-alive connections, one request outstanding each */
    double      rate;          /* messages per second, 0 = flat out */
    const char *run_id;        /* external_id = "<run_id>-<seq>"; [A-Za-z0-9._:-], <= 100 */
    const char *mix;           /* "channel:weight,..."; NULL = SB_LOADGEN_DEFAULT_MIX */
    const char *out_path;      /* one line per 202: the message_id; NULL = none */
    uint64_t    customers;     /* customer pool size; 0 = a new customer for every message */
    int         max_retries;   /* per message, after 503 (Retry-After) or a transport error */
    int         timeout_s;     /* per request */
    /* "Bearer" keys indexed like sb_channel_all(); NULL = none for that channel */
    const char *keys[SB_LOADGEN_CHANNELS];
    /* 1: wechat, email, phone and marketplace messages go to their native adapters in their
     * own formats (signed XML push, raw e-mail, call record, signed webhook) */
    int         native;
    const char *wechat_token;         /* signs WeChat pushes (native) */
    const char *marketplace_secret;   /* signs marketplace webhooks (native) */
} sb_loadgen_opts;

typedef struct sb_loadgen_result {
    uint64_t sent;         /* distinct messages attempted (= accepted + rejected + errors) */
    uint64_t accepted;     /* answered 202 */
    uint64_t rejected;     /* answered 4xx (not retried) */
    uint64_t unavailable;  /* 503 answers seen, each retried after Retry-After */
    uint64_t errors;       /* messages given up: transport errors, other 5xx, retries exhausted */
    uint64_t retries;      /* requests sent again */
    double   elapsed_s;    /* first request to last answer */
    double   rps;          /* accepted / elapsed_s */
    char     error[256];   /* why sb_loadgen_run returned -1 */
} sb_loadgen_result;

/* Defaults: 1000 messages, 64 connections, flat out, 10 retries, 60 s timeout, the default mix,
 * run id "lg-<time>-<pid>" (kept in a static buffer). */
void sb_loadgen_opts_init(sb_loadgen_opts *o);
/* Fills o->keys from SB_CHANNEL_KEY_<CHANNEL>, and the native secrets from SB_WECHAT_TOKEN
 * and SB_MARKETPLACE_SECRET; returns how many keys were set. */
int  sb_loadgen_keys_from_env(sb_loadgen_opts *o);
/* Sets the key of the channel called name; 0, or -1 when there is no such channel. */
int  sb_loadgen_set_key(sb_loadgen_opts *o, const char *name, const char *key);
/* Runs to completion in its own event loop. 0 when it ran (whatever the answers were), -1 when
 * the options are unusable or setup failed, with the reason in r->error. */
int  sb_loadgen_run(const sb_loadgen_opts *o, sb_loadgen_result *r);
/* The result as one JSON object line. */
void sb_loadgen_print(const sb_loadgen_result *r, FILE *f);

#endif
