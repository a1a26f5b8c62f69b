/* token.h - the survey link's token: survey id + expiry, signed with HMAC-SHA256 under
 * SB_SURVEY_SECRET, so the link is its own credential and nothing secret is stored. */
#ifndef SURVEY_TOKEN_H
#define SURVEY_TOKEN_H

#include <stddef.h>
#include <stdint.h>

/* <32 hex survey id>.<expiry, unix ms, decimal>.<43 base64url HMAC-SHA256> */
#define SURVEY_TOKEN_ID_LEN  32
#define SURVEY_TOKEN_SIG_LEN 43
#define SURVEY_TOKEN_EXP_MAX 15                  /* digits: far beyond year 9999 */
#define SURVEY_TOKEN_MAX     (SURVEY_TOKEN_ID_LEN + 1 + SURVEY_TOKEN_EXP_MAX + 1 + SURVEY_TOKEN_SIG_LEN)

typedef enum survey_token_rc {
    SURVEY_TOKEN_OK = 0,
    SURVEY_TOKEN_MALFORMED = -1,   /* not shaped like a token we issue */
    SURVEY_TOKEN_BAD_SIGNATURE = -2,
} survey_token_rc;

typedef struct survey_token {
    char    survey_id[37];   /* canonical UUID */
    int64_t expires_ms;
} survey_token;

/* The token for survey_id (canonical UUID) expiring at expires_ms, into out (at least
 * SURVEY_TOKEN_MAX + 1 bytes). 0, or -1 when an argument is invalid. */
int survey_token_sign(const void *secret, size_t secret_len, const char *survey_id,
                      int64_t expires_ms, char *out, size_t out_len);
/* Parses and verifies tok (len bytes, not necessarily NUL-terminated); the signature is
 * compared in constant time. Fills out only on SURVEY_TOKEN_OK. Expiry is the caller's. */
survey_token_rc survey_token_verify(const void *secret, size_t secret_len, const char *tok,
                                    size_t len, survey_token *out);

#endif
