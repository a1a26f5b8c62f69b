/* error.c - filling and clearing the shared sb_error value. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/error.h"

/* Copies with truncation and always NUL-terminates (strncpy does neither reliably). */
static void copy_bounded(char *dst, size_t len, const char *src)
{
    snprintf(dst, len, "%s", src ? src : "");
}

int sb_error_set(sb_error *err, int status, const char *code, const char *field,
                 const char *fmt, ...)
{
    if (!err)
        return -1;
    err->status = status;
    copy_bounded(err->code, sizeof err->code, code);
    copy_bounded(err->field, sizeof err->field, field);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return -1;
}

void sb_error_clear(sb_error *err)
{
    if (err)
        memset(err, 0, sizeof *err);
}
