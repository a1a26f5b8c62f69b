/* mask.c - masked personal data and the keyed customer identity (HMAC-SHA256). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/mask.h"
#include "common/utf8.h"

/* snprintf into out, mapping truncation to -1 as every mask promises. */
static int emit(char *out, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int emit(char *out, size_t len, const char *fmt, ...)
{
    if (!out || len == 0)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out, len, fmt, ap);
    va_end(ap);
    return n >= 0 && (size_t)n < len ? 0 : -1;
}

/* Copies the digits of s (at most cap-1 of the last ones) into d; returns how many. */
static size_t last_digits(const char *s, char *d, size_t cap)
{
    size_t n = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            continue;
        if (n == cap - 1) {
            memmove(d, d + 1, n - 1);  /* keep the tail: the country code is the least useful */
            n--;
        }
        d[n++] = *s;
    }
    d[n] = '\0';
    return n;
}

int sb_mask_phone(const char *phone, char *out, size_t len)
{
    if (!phone || !*phone)
        return emit(out, len, "%s", "");
    char d[12];
    size_t n = last_digits(phone, d, sizeof d);
    if (n == 11) {
        d[3] = '\0';
        return emit(out, len, "%s****%s", d, d + 7);
    }
    /* Two digits or fewer would be the whole number: show none of it. */
    return emit(out, len, "****%s", n > 2 ? d + n - 2 : "");
}

int sb_mask_email(const char *email, char *out, size_t len)
{
    if (!email || !*email)
        return emit(out, len, "%s", "");
    const char *at = strrchr(email, '@');
    size_t first = sb_utf8_char_len(email, strlen(email));
    if (!at || at == email || !at[1] || first == 0 || email + first > at)
        return emit(out, len, "***");
    char head[5];
    memcpy(head, email, first);
    head[first] = '\0';
    return emit(out, len, "%s***@%s", head, at + 1);
}

/* Start of the last n characters of s (continuation bytes never start one). */
static const char *last_chars(const char *s, int n)
{
    const char *p = s + strlen(s);
    while (p > s && n > 0) {
        p--;
        if (((unsigned char)*p & 0xC0) != 0x80)
            n--;
    }
    return p;
}

int sb_mask_id(const char *id, char *out, size_t len)
{
    if (!id || !*id)
        return emit(out, len, "%s", "");
    const char *tail = last_chars(id, 2);
    /* An id of two characters or fewer would be shown whole: show none of it. */
    return emit(out, len, "ID-\u2026%s", tail == id ? "" : tail);
}

int sb_mask_name(const char *name, char *out, size_t len)
{
    if (!name || !*name)
        return emit(out, len, "%s", "");
    while (*name == ' ' || *name == '\t')
        name++;
    size_t n = sb_utf8_char_len(name, strlen(name));
    if (n == 0 || (unsigned char)*name < 0x20)
        return emit(out, len, "***");
    char head[5];
    memcpy(head, name, n);
    head[n] = '\0';
    return emit(out, len, "%s**", head);
}

/* "phone:+8613812345678": digits only, a leading '+' kept; NULL when there are no digits. */
static char *phone_identity(const char *phone)
{
    const char *p = phone;
    while (*p == ' ' || *p == '\t')
        p++;
    char *id = malloc(strlen("phone:") + strlen(p) + 1);
    if (!id)
        return NULL;
    char *w = id + sprintf(id, "phone:%s", *p == '+' ? "+" : "");
    char *digits = w;
    for (; *p; p++)
        if (*p >= '0' && *p <= '9')
            *w++ = *p;
    *w = '\0';
    if (w == digits) {
        free(id);
        return NULL;
    }
    return id;
}

/* "email:" + the address lower-cased (ASCII), surrounding blanks dropped. */
static char *email_identity(const char *email)
{
    while (*email == ' ' || *email == '\t')
        email++;
    size_t n = strlen(email);
    while (n > 0 && (email[n - 1] == ' ' || email[n - 1] == '\t'))
        n--;
    if (n == 0)
        return NULL;
    char *id = malloc(strlen("email:") + n + 1);
    if (!id)
        return NULL;
    char *w = id + sprintf(id, "email:");
    for (size_t i = 0; i < n; i++)
        w[i] = email[i] >= 'A' && email[i] <= 'Z' ? (char)(email[i] - 'A' + 'a') : email[i];
    w[n] = '\0';
    return id;
}

/* The identity string to hash, by precedence phone > e-mail > channel id; caller frees. */
static char *customer_identity(const char *channel, const char *id, const char *phone,
                               const char *email)
{
    char *s = phone && *phone ? phone_identity(phone) : NULL;
    if (!s && email && *email)
        s = email_identity(email);
    if (!s && channel && *channel && id && *id) {
        if (asprintf(&s, "id:%s:%s", channel, id) < 0)
            s = NULL;
    }
    return s;
}

int sb_customer_key(const char *secret, const char *channel, const char *id, const char *phone,
                    const char *email, char out[65])
{
    if (!secret)
        return -1;
    char *identity = customer_identity(channel, id, phone, email);
    if (!identity)
        return -1;
    unsigned char mac[32];
    unsigned int maclen = 0;
    int ok = HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)identity,
                  strlen(identity), mac, &maclen) != NULL &&
             maclen == sizeof mac;
    free(identity);
    if (!ok)
        return -1;
    for (size_t i = 0; i < sizeof mac; i++)
        sprintf(out + 2 * i, "%02x", mac[i]);
    return 0;
}
