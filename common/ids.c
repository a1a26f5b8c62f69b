/* ids.c - random and name-based UUIDs, derived event ids and ticket numbers. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "common/clock.h"
#include "common/ids.h"

/* Namespace of message ids: uuid5(5877280b-377c-45f6-8caa-49d036b684c7, channel "\n" external_id).
 * Fixed forever: changing it would make every retried message a new one. */
static const sb_uuid ns_message = {{0x58, 0x77, 0x28, 0x0b, 0x37, 0x7c, 0x45, 0xf6, 0x8c, 0xaa,
                                    0x49, 0xd0, 0x36, 0xb6, 0x84, 0xc7}};
/* Namespace of derived event ids: uuid5(455edbb4-f7e4-4ac1-81cd-34439c041aff, source ":" what).
 * Fixed forever: a replay must re-derive the ids it published before. */
static const sb_uuid ns_derived = {{0x45, 0x5e, 0xdb, 0xb4, 0xf7, 0xe4, 0x4a, 0xc1, 0x81, 0xcd,
                                    0x34, 0x43, 0x9c, 0x04, 0x1a, 0xff}};

/* Stamps the RFC 4122 version nibble and the 10xx variant bits. */
static void set_version(sb_uuid *u, int version)
{
    u->b[6] = (uint8_t)((u->b[6] & 0x0F) | (version << 4));
    u->b[8] = (uint8_t)((u->b[8] & 0x3F) | 0x80);
}

int sb_uuid_v4(sb_uuid *out)
{
    size_t got = 0;
    while (got < sizeof out->b) {
        ssize_t n = getrandom(out->b + got, sizeof out->b - got, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        got += (size_t)n;
    }
    set_version(out, 4);
    return 0;
}

void sb_uuid_v4_str(char out[SB_UUID_STRLEN])
{
    sb_uuid u;
    if (sb_uuid_v4(&u) != 0) {
        /* getrandom() only fails on ancient kernels or seccomp; OpenSSL's CSPRNG is as good. A
         * non-random id would silently merge unrelated events, so no id at all is better. */
        if (RAND_bytes(u.b, sizeof u.b) != 1)
            abort();
        set_version(&u, 4);
    }
    sb_uuid_format(&u, out);
}

void sb_uuid_v5(sb_uuid *out, const sb_uuid *ns, const void *name, size_t len)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    /* Only allocation can fail here, and the API (void) has no way to report it. */
    if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) ||
        !EVP_DigestUpdate(ctx, ns->b, sizeof ns->b) || !EVP_DigestUpdate(ctx, name, len) ||
        !EVP_DigestFinal_ex(ctx, md, &mdlen))
        abort();
    EVP_MD_CTX_free(ctx);
    memcpy(out->b, md, sizeof out->b);
    set_version(out, 5);
}

void sb_uuid_format(const sb_uuid *u, char out[SB_UUID_STRLEN])
{
    static const char hex[] = "0123456789abcdef";
    char *p = out;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *p++ = '-';
        *p++ = hex[u->b[i] >> 4];
        *p++ = hex[u->b[i] & 0x0F];
    }
    *p = '\0';
}

/* Value of a hex digit (either case), -1 otherwise. */
static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int sb_uuid_parse(const char *s, sb_uuid *out)
{
    if (!s)
        return -1;
    sb_uuid u;
    int byte = 0;
    for (int i = 0; i < 36; byte++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i++] != '-')
                return -1;
        }
        int hi = hex_value(s[i]), lo = hi < 0 ? -1 : hex_value(s[i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        u.b[byte] = (uint8_t)(hi << 4 | lo);
        i += 2;
    }
    if (s[36] != '\0')
        return -1;
    if (out)
        *out = u;
    return 0;
}

int sb_uuid_valid(const char *s)
{
    return sb_uuid_parse(s, NULL) == 0;
}

/* uuid5 in ns of a + sep + b, as the canonical string. */
static void uuid5_pair(const sb_uuid *ns, const char *a, char sep, const char *b,
                       char out[SB_UUID_STRLEN])
{
    size_t la = strlen(a), lb = strlen(b);
    char small[256];
    char *name = la + lb + 1 <= sizeof small ? small : malloc(la + lb + 1);
    if (!name)
        abort();    /* the API is void; an id that silently differs would double a message */
    memcpy(name, a, la);
    name[la] = sep;
    memcpy(name + la + 1, b, lb);
    sb_uuid u;
    sb_uuid_v5(&u, ns, name, la + lb + 1);
    if (name != small)
        free(name);
    sb_uuid_format(&u, out);
}

void sb_ids_message_id(const char *channel, const char *external_id, char out[SB_UUID_STRLEN])
{
    /* "\n" cannot appear in a channel name, so ("a","b\nc") and ("a\nb","c") never collide. */
    uuid5_pair(&ns_message, channel ? channel : "", '\n', external_id ? external_id : "", out);
}

void sb_ids_derived(const char *source_id, const char *what, char out[SB_UUID_STRLEN])
{
    uuid5_pair(&ns_derived, source_id ? source_id : "", ':', what ? what : "", out);
}

/* 1 when code is exactly two ASCII capital letters. */
static int valid_code(const char *code)
{
    return code && code[0] >= 'A' && code[0] <= 'Z' && code[1] >= 'A' && code[1] <= 'Z' &&
           code[2] == '\0';
}

/* 1 when yyyymmdd is a real calendar date with a four-digit year. */
static int valid_date(int yyyymmdd)
{
    int y = yyyymmdd / 10000, m = yyyymmdd / 100 % 100, d = yyyymmdd % 100;
    if (y < 1000 || y > 9999 || m < 1 || m > 12 || d < 1 || d > 31)
        return 0;
    struct tm tm = {.tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d};
    /* timegm rolls 30 February into March; the round trip shows whether the day exists. */
    return sb_clock_yyyymmdd((int64_t)timegm(&tm) * 1000) == yyyymmdd;
}

int sb_ticket_number_format(char *out, size_t len, const char *channel_code, int yyyymmdd,
                            int64_t serial)
{
    if (!out || !valid_code(channel_code) || !valid_date(yyyymmdd) || serial < 1)
        return -1;
    int n = snprintf(out, len, "%s-%08d-%06" PRId64, channel_code, yyyymmdd, serial);
    if (n < 0 || (size_t)n >= len)
        return -1;
    return n;
}

/* Reads a run of digits as a positive int64; -1 on no digits, overflow or a non-canonical
 * leading zero beyond the 6-digit padding. */
static int read_serial(const char *p, int64_t *serial)
{
    size_t n = strspn(p, "0123456789");
    if (n < 6 || p[n] != '\0' || (n > 6 && p[0] == '0'))
        return -1;
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        int d = p[i] - '0';
        if (v > (INT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    if (v < 1)
        return -1;
    *serial = v;
    return 0;
}

int sb_ticket_number_parse(const char *s, char code[3], int *yyyymmdd, int64_t *serial)
{
    if (!s || strlen(s) < 18)
        return -1;
    char c[3] = {s[0], s[1], '\0'};
    if (!valid_code(c) || s[2] != '-' || strspn(s + 3, "0123456789") != 8 || s[11] != '-')
        return -1;
    int date = 0;
    for (int i = 3; i < 11; i++)
        date = date * 10 + (s[i] - '0');
    int64_t v;
    if (!valid_date(date) || read_serial(s + 12, &v) != 0)
        return -1;
    memcpy(code, c, 3);
    *yyyymmdd = date;
    *serial = v;
    return 0;
}
