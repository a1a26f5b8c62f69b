/* mask.h - masked personal data for events, logs and API answers; keyed customer identity. */
#ifndef SB_MASK_H
#define SB_MASK_H

#include <stddef.h>

/* Each writes a NUL-terminated masked form into out and returns 0, or -1 when out is too small.
 * Empty input gives empty output. They never copy more of the input than the mask shows. */
int sb_mask_phone(const char *phone, char *out, size_t len);  /* 13812345678 -> 138****5678; short: ****78 */
int sb_mask_email(const char *email, char *out, size_t len);  /* zhang@example.com -> z***@example.com */
int sb_mask_id(const char *id, char *out, size_t len);        /* any id -> "ID-…" + last 2 chars */
int sb_mask_name(const char *name, char *out, size_t len);    /* first UTF-8 character + "**" */

/* Stable customer key: hex HMAC-SHA256(secret, identity) where identity is the normalised
 * phone (digits, leading + kept), else the lower-cased e-mail, else "<channel>:<id>".
 * out gets 64 hex chars + NUL. Returns 0, or -1 when there is no identity at all. */
int sb_customer_key(const char *secret, const char *channel, const char *id, const char *phone,
                    const char *email, char out[65]);

#endif
