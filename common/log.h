/* log.h - JSON-lines logging on stderr: {"ts","level","service","event","msg"}. */
#ifndef SB_LOG_H
#define SB_LOG_H

typedef enum { SB_LOG_DEBUG = 0, SB_LOG_INFO, SB_LOG_WARN, SB_LOG_ERROR } sb_log_level;

void sb_log_init(const char *service, sb_log_level min_level);
/* "debug", "info", "warn", "error" -> level; -1 when unknown. */
int  sb_log_level_parse(const char *s, sb_log_level *out);
/* event is a short machine key ("batch_applied"); the message is JSON-escaped. Never log raw
 * personal data: mask it first (mask.h). */
void sb_log(sb_log_level level, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define sb_debug(ev, ...) sb_log(SB_LOG_DEBUG, ev, __VA_ARGS__)
#define sb_info(ev, ...)  sb_log(SB_LOG_INFO, ev, __VA_ARGS__)
#define sb_warn(ev, ...)  sb_log(SB_LOG_WARN, ev, __VA_ARGS__)
#define sb_error(ev, ...) sb_log(SB_LOG_ERROR, ev, __VA_ARGS__)

#endif
