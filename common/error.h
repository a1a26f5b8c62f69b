/* error.h - one error value for every layer: HTTP status, machine code, message, offending field. */
#ifndef SB_ERROR_H
#define SB_ERROR_H

typedef struct sb_error {
    int  status;          /* HTTP status to answer with (4xx/5xx), 0 when no error */
    char code[48];        /* machine-readable, e.g. "invalid_field" */
    char field[64];       /* offending field path, e.g. "customer.phone", "" if none */
    char message[256];    /* human-readable */
} sb_error;

/* Fill err (if not NULL) and return -1, so callers can `return sb_error_set(...)`. */
int sb_error_set(sb_error *err, int status, const char *code, const char *field,
                 const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void sb_error_clear(sb_error *err);

#endif
