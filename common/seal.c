/* seal.c - AES-256-GCM sealing of contact details as base64(nonce || ciphertext || tag). */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "common/seal.h"

#define NONCE_LEN 12
#define TAG_LEN   16

void sb_seal_key(const char *secret, unsigned char key[32])
{
    const char *s = secret ? secret : "";
    SHA256((const unsigned char *)s, strlen(s), key);
}

/* AES-256-GCM over in (n bytes) with nonce; writes n bytes to out and the tag. 0 or -1. */
static int gcm_encrypt(const unsigned char key[32], const unsigned char *nonce,
                       const unsigned char *in, int n, unsigned char *out, unsigned char *tag)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int len, ok = ctx && EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, nonce) &&
                  EVP_EncryptUpdate(ctx, out, &len, in, n) &&
                  EVP_EncryptFinal_ex(ctx, out + len, &len) &&
                  EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG_LEN, tag);
    EVP_CIPHER_CTX_free(ctx);
    return ok ? 0 : -1;
}

/* Inverse of gcm_encrypt; -1 when the tag does not verify (tampered or wrong key). */
static int gcm_decrypt(const unsigned char key[32], const unsigned char *nonce,
                       const unsigned char *in, int n, const unsigned char *tag,
                       unsigned char *out)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int len, ok = ctx && EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, nonce) &&
                  EVP_DecryptUpdate(ctx, out, &len, in, n) &&
                  EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG_LEN, (void *)tag) &&
                  EVP_DecryptFinal_ex(ctx, out + len, &len) > 0;
    EVP_CIPHER_CTX_free(ctx);
    return ok ? 0 : -1;
}

char *sb_seal(const unsigned char key[32], const char *plain, size_t len)
{
    /* EVP lengths are ints, and base64 grows the box by 4/3. */
    if (!plain || len > (size_t)INT_MAX / 2)
        return NULL;
    size_t boxlen = NONCE_LEN + len + TAG_LEN;
    unsigned char *box = malloc(boxlen);
    char *b64 = malloc(4 * ((boxlen + 2) / 3) + 1);
    if (!box || !b64 || RAND_bytes(box, NONCE_LEN) != 1 ||
        gcm_encrypt(key, box, (const unsigned char *)plain, (int)len, box + NONCE_LEN,
                    box + NONCE_LEN + len) != 0) {
        free(box);
        free(b64);
        return NULL;
    }
    EVP_EncodeBlock((unsigned char *)b64, box, (int)boxlen);
    free(box);
    return b64;
}

/* Strict base64 decode into a new buffer; *n gets the true length (padding excluded). Only the
 * canonical encoding is accepted, so no two strings unseal to the same box. */
static unsigned char *base64_decode(const char *s, size_t *n)
{
    size_t slen = strlen(s);
    if (slen == 0 || slen % 4 != 0 || slen > (size_t)INT_MAX)
        return NULL;
    /* EVP_DecodeBlock counts '=' padding as zero bytes; subtract them. */
    size_t pad = (s[slen - 1] == '=') + (s[slen - 1] == '=' && s[slen - 2] == '=');
    unsigned char *buf = malloc(slen / 4 * 3 + 1);
    char *again = malloc(slen + 1);
    int got = buf && again ? EVP_DecodeBlock(buf, (const unsigned char *)s, (int)slen) : -1;
    /* Re-encoding catches set unused bits and stray '=' that EVP_DecodeBlock lets through. */
    if (got < 0 || (size_t)got != slen / 4 * 3 ||
        EVP_EncodeBlock((unsigned char *)again, buf, (int)((size_t)got - pad)) != (int)slen ||
        memcmp(again, s, slen) != 0) {
        free(buf);
        free(again);
        return NULL;
    }
    free(again);
    *n = (size_t)got - pad;
    return buf;
}

char *sb_unseal(const unsigned char key[32], const char *sealed, size_t *len)
{
    size_t boxlen = 0;
    unsigned char *box = sealed ? base64_decode(sealed, &boxlen) : NULL;
    if (!box || boxlen < NONCE_LEN + TAG_LEN) {
        free(box);
        return NULL;
    }
    size_t n = boxlen - NONCE_LEN - TAG_LEN;
    char *plain = malloc(n + 1);
    if (!plain || gcm_decrypt(key, box, box + NONCE_LEN, (int)n, box + NONCE_LEN + n,
                              (unsigned char *)plain) != 0) {
        free(box);
        free(plain);
        return NULL;
    }
    free(box);
    plain[n] = '\0';
    if (len)
        *len = n;
    return plain;
}
