/* secret.h - random secrets shown once and the hex SHA-256 they are stored as: desk's bearer
 * tokens and channel API keys, which ingest and desk must hash the same way. */
#ifndef SB_SECRET_H
#define SB_SECRET_H

#include <stddef.h>

/* Bytes of randomness in a generated secret; its hex form is twice as long. */
#define SB_SECRET_BYTES 32
#define SB_SECRET_HEX_LEN (2 * SB_SECRET_BYTES)

/* SB_SECRET_BYTES from the CSPRNG as lower-case hex into out (SB_SECRET_HEX_LEN + NUL).
 * 0, or -1 when the generator failed (out is then ""). */
int  sb_secret_generate(char out[SB_SECRET_HEX_LEN + 1]);
/* Lower-case hex SHA-256 of s (64 chars + NUL): how api_tokens and channel_credentials keep
 * keys. */
void sb_secret_sha256_hex(const char *s, char out[65]);

#endif
