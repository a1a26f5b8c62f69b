/* ids.h - UUIDs (random and name-based), derived event ids and ticket numbers. */
#ifndef SB_IDS_H
#define SB_IDS_H

#include <stddef.h>
#include <stdint.h>

#define SB_UUID_STRLEN 37   /* 36 chars + NUL */

typedef struct { uint8_t b[16]; } sb_uuid;

int  sb_uuid_v4(sb_uuid *out);                       /* getrandom(); 0 or -1 */
/* RFC 4122 v5 (SHA-1) of name in namespace ns. */
void sb_uuid_v5(sb_uuid *out, const sb_uuid *ns, const void *name, size_t len);
void sb_uuid_format(const sb_uuid *u, char out[SB_UUID_STRLEN]);
int  sb_uuid_parse(const char *s, sb_uuid *out);     /* canonical 8-4-4-4-12 hex; 0 or -1 */
int  sb_uuid_valid(const char *s);                   /* 1 when s is a canonical UUID */
void sb_uuid_v4_str(char out[SB_UUID_STRLEN]);

/* The message id of (channel, external_id): the same pair always yields the same id, so a
 * retried POST, or one after an ingest restart, is one message downstream. */
void sb_ids_message_id(const char *channel, const char *external_id, char out[SB_UUID_STRLEN]);
/* The id of the event `what` caused by source event `source_id`: a replay re-derives the same
 * id, so republished events are recognised downstream. */
void sb_ids_derived(const char *source_id, const char *what, char out[SB_UUID_STRLEN]);

/* "WX-20261122-000123" (code, yyyymmdd, serial >= 1, at least 6 digits). Returns the length
 * written, or -1 when it does not fit or an argument is invalid. */
int  sb_ticket_number_format(char *out, size_t len, const char *channel_code, int yyyymmdd,
                             int64_t serial);
/* Inverse; 0 or -1. code gets 2 letters + NUL. */
int  sb_ticket_number_parse(const char *s, char code[3], int *yyyymmdd, int64_t *serial);

#endif
