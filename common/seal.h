/* seal.h - authenticated encryption (AES-256-GCM) of raw contact details, so they can cross
 * Kafka on their way to the restricted store without being readable in the event. */
#ifndef SB_SEAL_H
#define SB_SEAL_H

#include <stddef.h>

/* key: 32 bytes derived from a secret with sb_seal_key(). */
void  sb_seal_key(const char *secret, unsigned char key[32]);
/* base64(nonce(12) || ciphertext || tag(16)); caller frees; NULL on failure. */
char *sb_seal(const unsigned char key[32], const char *plain, size_t len);
/* Inverse; NUL-terminated plaintext (caller frees) and *len; NULL when tampered/invalid. */
char *sb_unseal(const unsigned char key[32], const char *sealed, size_t *len);

#endif
