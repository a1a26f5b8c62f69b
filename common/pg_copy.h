/* pg_copy.h - rows in PostgreSQL's COPY text format, built in memory for sb_pg_copy_in. */
#ifndef SB_PG_COPY_H
#define SB_PG_COPY_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* A growing buffer of rows. Zero-initialise; every append is a no-op once one failed (out of
 * memory), and sb_copy_rows_failed says so before the rows are sent. */
typedef struct sb_copy_rows {
    char  *buf;
    size_t len, cap;
    size_t rows;
    int    fields;   /* fields in the row being written */
    int    failed;
} sb_copy_rows;

/* A text field: the bytes escaped as COPY wants (backslash, tab, newline, carriage return);
 * NULL is SQL NULL. */
void sb_copy_text(sb_copy_rows *r, const char *s);
/* The first len bytes of s (which must not be NULL). */
void sb_copy_textn(sb_copy_rows *r, const char *s, size_t len);
void sb_copy_int(sb_copy_rows *r, int64_t v);
/* A float4/float8 field (%.9g: a float survives the round trip). */
void sb_copy_real(sb_copy_rows *r, double v);
void sb_copy_null(sb_copy_rows *r);
/* A text[] field from n strings (each quoted inside the array literal). */
void sb_copy_text_array(sb_copy_rows *r, const char *const *items, size_t n);
/* A json / jsonb field: v serialised straight into the rows (compact), no text in between;
 * NULL is SQL NULL. */
void sb_copy_json(sb_copy_rows *r, const json_t *v);
/* Ends the current row. */
void sb_copy_row_end(sb_copy_rows *r);
int  sb_copy_rows_failed(const sb_copy_rows *r);
void sb_copy_rows_free(sb_copy_rows *r);

#endif
