/* token.c - signs and verifies the survey link's token (HMAC-SHA256, constant-time compare). */
#include "services/survey/token.h"

#include <stdio.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

/* Domain separation: a MAC made for anything else under the same secret never verifies here. */
static const char token_context[] = "sb-survey-link:v1:";

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* base64url without padding of the 32-byte MAC: 43 chars + NUL into out. */
static void token_b64url(const unsigned char mac[32], char out[SURVEY_TOKEN_SIG_LEN + 1])
{
    size_t o = 0;
    for (size_t i = 0; i < 32; i += 3) {
        uint32_t v = (uint32_t)mac[i] << 16;
        if (i + 1 < 32)
            v |= (uint32_t)mac[i + 1] << 8;
        if (i + 2 < 32)
            v |= mac[i + 2];
        size_t chars = i + 2 < 32 ? 4 : (i + 1 < 32 ? 3 : 2);
        for (size_t k = 0; k < chars; k++)
            out[o++] = b64url[(v >> (18 - 6 * k)) & 63];
    }
    out[o] = '\0';
}

/* The signature of the signed part "<id32>.<expiry>" into sig. 0 or -1. */
static int token_mac(const void *secret, size_t secret_len, const char *signed_part, size_t len,
                     char sig[SURVEY_TOKEN_SIG_LEN + 1])
{
    unsigned char msg[sizeof(token_context) + SURVEY_TOKEN_MAX], mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    size_t ctx_len = sizeof(token_context) - 1;
    if (len > SURVEY_TOKEN_MAX || secret_len == 0 || secret_len > 1024)
        return -1;
    memcpy(msg, token_context, ctx_len);
    memcpy(msg + ctx_len, signed_part, len);
    if (!HMAC(EVP_sha256(), secret, (int)secret_len, msg, ctx_len + len, mac, &mac_len) ||
        mac_len != 32)
        return -1;
    token_b64url(mac, sig);
    return 0;
}

/* 1 when c is a lower-case hex digit. */
static int token_is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* 1 when c is a base64url character. */
static int token_is_b64url(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_';
}

int survey_token_sign(const void *secret, size_t secret_len, const char *survey_id,
                      int64_t expires_ms, char *out, size_t out_len)
{
    char part[SURVEY_TOKEN_MAX + 1], sig[SURVEY_TOKEN_SIG_LEN + 1];
    size_t n = 0;
    if (!survey_id || strlen(survey_id) != 36 || expires_ms <= 0 || out_len < SURVEY_TOKEN_MAX + 1)
        return -1;
    for (const char *p = survey_id; *p; p++) {
        if (*p == '-')
            continue;
        if (!token_is_hex(*p) || n >= SURVEY_TOKEN_ID_LEN)
            return -1;
        part[n++] = *p;
    }
    if (n != SURVEY_TOKEN_ID_LEN)
        return -1;
    int w = snprintf(part + n, sizeof(part) - n, ".%lld", (long long)expires_ms);
    if (w < 2 || (size_t)w > SURVEY_TOKEN_EXP_MAX + 1)
        return -1;
    n += (size_t)w;
    if (token_mac(secret, secret_len, part, n, sig) != 0)
        return -1;
    snprintf(out, out_len, "%s.%s", part, sig);
    return 0;
}

survey_token_rc survey_token_verify(const void *secret, size_t secret_len, const char *tok,
                                    size_t len, survey_token *out)
{
    /* Shape first: id, '.', 1..15 digits without a leading zero, '.', signature. */
    if (!tok || len < SURVEY_TOKEN_ID_LEN + 3 + SURVEY_TOKEN_SIG_LEN || len > SURVEY_TOKEN_MAX)
        return SURVEY_TOKEN_MALFORMED;
    size_t signed_len = len - SURVEY_TOKEN_SIG_LEN - 1;
    if (tok[SURVEY_TOKEN_ID_LEN] != '.' || tok[signed_len] != '.')
        return SURVEY_TOKEN_MALFORMED;
    for (size_t i = 0; i < SURVEY_TOKEN_ID_LEN; i++)
        if (!token_is_hex(tok[i]))
            return SURVEY_TOKEN_MALFORMED;
    const char *exp = tok + SURVEY_TOKEN_ID_LEN + 1;
    size_t exp_len = signed_len - SURVEY_TOKEN_ID_LEN - 1;
    if (exp_len < 1 || exp_len > SURVEY_TOKEN_EXP_MAX || exp[0] == '0')
        return SURVEY_TOKEN_MALFORMED;
    int64_t expires = 0;
    for (size_t i = 0; i < exp_len; i++) {
        if (exp[i] < '0' || exp[i] > '9')
            return SURVEY_TOKEN_MALFORMED;
        expires = expires * 10 + (exp[i] - '0');
    }
    for (size_t i = signed_len + 1; i < len; i++)
        if (!token_is_b64url(tok[i]))
            return SURVEY_TOKEN_MALFORMED;
    char want[SURVEY_TOKEN_SIG_LEN + 1];
    if (token_mac(secret, secret_len, tok, signed_len, want) != 0)
        return SURVEY_TOKEN_BAD_SIGNATURE;
    if (CRYPTO_memcmp(want, tok + signed_len + 1, SURVEY_TOKEN_SIG_LEN) != 0)
        return SURVEY_TOKEN_BAD_SIGNATURE;
    /* The id back in canonical form: 8-4-4-4-12. */
    size_t o = 0;
    for (size_t i = 0; i < SURVEY_TOKEN_ID_LEN; i++) {
        if (i == 8 || i == 12 || i == 16 || i == 20)
            out->survey_id[o++] = '-';
        out->survey_id[o++] = tok[i];
    }
    out->survey_id[o] = '\0';
    out->expires_ms = expires;
    return SURVEY_TOKEN_OK;
}
