/* main.c - sb-loadgen: command line over the loadgen library; prints a JSON summary on stdout. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/loadgen/loadgen.h"

/* Prints the usage text to f. */
static void lg_usage(FILE *f)
{
    fprintf(f,
            "usage: sb-loadgen [options]\n"
            "  --url URL            ingest base URL (default http://127.0.0.1:8081)\n"
            "  --messages N         messages to send (default 1000)\n"
            "  --concurrency C      keep-alive connections, one request each (default 64)\n"
            "  --rate R             messages/s, 0 = flat out (default 0)\n"
            "  --run-id ID          external_id = ID-<seq> (default lg-<time>-<pid>)\n"
            "  --mix SPEC           channel weights (default %s)\n"
            "  --customers K        customer pool size, 0 = a new one per message (default 0)\n"
            "  --keys-from-env      channel keys from SB_CHANNEL_KEY_<CHANNEL>, native secrets from\n"
            "                       SB_WECHAT_TOKEN and SB_MARKETPLACE_SECRET\n"
            "  --native             wechat, email, phone, marketplace in their own formats, to their\n"
            "                       native adapters (signed XML, raw e-mail, call record, signed webhook)\n"
            "  --key CHANNEL=KEY    one channel's key (repeatable)\n"
            "  --retries N          resends per message after 503/transport errors (default 10)\n"
            "  --timeout S          per request, seconds (default 60)\n"
            "  --out FILE           write the message_id of every 202, one per line\n",
            SB_LOADGEN_DEFAULT_MIX);
}

/* Strict unsigned decimal into *out; 0 or -1. */
static int lg_parse_u64(const char *s, unsigned long long max, unsigned long long *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || *s == '-' || v > max)
        return -1;
    *out = v;
    return 0;
}

/* --key web=abc */
static int lg_parse_key(sb_loadgen_opts *o, char *arg)
{
    char *eq = strchr(arg, '=');
    if (!eq || !eq[1])
        return -1;
    *eq = '\0';
    return sb_loadgen_set_key(o, arg, eq + 1);
}

/* One option with its value; 0, or -1 when unknown or malformed. */
static int lg_parse_opt(sb_loadgen_opts *o, const char *name, char *val)
{
    unsigned long long v;
    if (!strcmp(name, "--url"))
        o->url = val;
    else if (!strcmp(name, "--run-id"))
        o->run_id = val;
    else if (!strcmp(name, "--mix"))
        o->mix = val;
    else if (!strcmp(name, "--out"))
        o->out_path = val;
    else if (!strcmp(name, "--key"))
        return lg_parse_key(o, val);
    else if (lg_parse_u64(val, 1ull << 40, &v) != 0)
        return -1;
    else if (!strcmp(name, "--messages"))
        o->messages = v;
    else if (!strcmp(name, "--customers"))
        o->customers = v;
    else if (!strcmp(name, "--rate"))
        o->rate = (double)v;
    else if (!strcmp(name, "--concurrency") && v <= 10000)
        o->concurrency = (int)v;
    else if (!strcmp(name, "--retries") && v <= 1000)
        o->max_retries = (int)v;
    else if (!strcmp(name, "--timeout") && v <= 3600)
        o->timeout_s = (int)v;
    else
        return -1;
    return 0;
}

int main(int argc, char **argv)
{
    sb_loadgen_opts o;
    sb_loadgen_opts_init(&o);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            lg_usage(stdout);
            return 0;
        }
        if (!strcmp(argv[i], "--keys-from-env")) {
            sb_loadgen_keys_from_env(&o);
            continue;
        }
        if (!strcmp(argv[i], "--native")) {
            o.native = 1;
            continue;
        }
        if (i + 1 >= argc || lg_parse_opt(&o, argv[i], argv[i + 1]) != 0) {
            fprintf(stderr, "sb-loadgen: bad option %s%s%s\n", argv[i], i + 1 < argc ? " " : "",
                    i + 1 < argc ? argv[i + 1] : "");
            lg_usage(stderr);
            return 2;
        }
        i++;
    }
    sb_loadgen_result r;
    if (sb_loadgen_run(&o, &r) != 0) {
        fprintf(stderr, "sb-loadgen: %s\n", r.error);
        return 1;
    }
    sb_loadgen_print(&r, stdout);
    return fflush(stdout) == 0 ? 0 : 1;
}
