/* secret.c - generated secrets (OpenSSL's CSPRNG) and their stored form (hex SHA-256). */
#include "common/secret.h"

#include <stdio.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

/* n bytes as lower-case hex into out (2n + NUL). */
static void secret_hex(const unsigned char *b, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[b[i] >> 4];
        out[2 * i + 1] = digits[b[i] & 15];
    }
    out[2 * n] = '\0';
}

int sb_secret_generate(char out[SB_SECRET_HEX_LEN + 1])
{
    unsigned char b[SB_SECRET_BYTES];
    out[0] = '\0';
    if (RAND_bytes(b, sizeof b) != 1)
        return -1;
    secret_hex(b, sizeof b, out);
    OPENSSL_cleanse(b, sizeof b);
    return 0;
}

void sb_secret_sha256_hex(const char *s, char out[65])
{
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)s, strlen(s), md);
    secret_hex(md, sizeof md, out);
}
