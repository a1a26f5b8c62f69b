/* config.c - survey's SB_SURVEY_* settings, checked at start: a wrong one stops the service
 * with a log line naming it, never a silently different behaviour. */
#include "services/survey/survey.h"

#include <stdio.h>
#include <string.h>

#include "common/log.h"

#define SURVEY_DELAY_DEFAULT_MS (10L * 60 * 1000)
#define SURVEY_TICK_DEFAULT_MS  1000L
#define SURVEY_TTL_DEFAULT_MS   (7L * 24 * 3600 * 1000)
#define SURVEY_TTL_MAX_MS       (90L * 24 * 3600 * 1000)
#define SURVEY_SECRET_MIN       16   /* bytes: a guessable secret would forge links */

int survey_config_load(survey_config *c, const sb_config *svc)
{
    sb_error err;
    sb_error_clear(&err);
    memset(c, 0, sizeof(*c));
    if (sb_config_int("SB_SURVEY_DELAY_MS", SURVEY_DELAY_DEFAULT_MS, 0, SURVEY_DELAY_MAX_MS,
                      &c->delay_ms, &err) != 0) {
        sb_error("config", "%s (the survey goes out within 30 min of resolution: at most %d ms)",
                 err.message, SURVEY_DELAY_MAX_MS);
        return -1;
    }
    if (sb_config_int("SB_SURVEY_TICK_MS", SURVEY_TICK_DEFAULT_MS, 10, 60000, &c->tick_ms,
                      &err) != 0 ||
        sb_config_int("SB_SURVEY_TTL_MS", SURVEY_TTL_DEFAULT_MS, 60000, SURVEY_TTL_MAX_MS,
                      &c->ttl_ms, &err) != 0 ||
        sb_config_str("SB_SURVEY_SECRET", "", &c->secret, &err) != 0) {
        sb_error("config", "%s", err.message);
        return -1;
    }
    c->secret_len = strlen(c->secret);
    if (c->secret_len < SURVEY_SECRET_MIN) {
        sb_error("config", "SB_SURVEY_SECRET: %s (at least %d bytes; it signs the survey links)",
                 c->secret_len ? "too short" : "not set", SURVEY_SECRET_MIN);
        return -1;
    }
    char def[128];
    snprintf(def, sizeof(def), "http://%s:%d", svc->http_host, svc->http_port);
    const char *url;
    if (sb_config_str("SB_SURVEY_PUBLIC_URL", def, &url, &err) != 0) {
        sb_error("config", "%s", err.message);
        return -1;
    }
    size_t n = strlen(url);
    while (n && url[n - 1] == '/')
        n--;
    if ((strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) ||
        n >= sizeof(c->public_url) - 160 || strpbrk(url, " \"'<>\\")) {
        sb_error("config", "SB_SURVEY_PUBLIC_URL: expected an http(s) URL, got '%s'", url);
        return -1;
    }
    memcpy(c->public_url, url, n);
    c->public_url[n] = '\0';
    sb_info("config", "survey delay %ld ms, link lifetime %ld ms, tick %ld ms, links at %s",
            c->delay_ms, c->ttl_ms, c->tick_ms, c->public_url);
    return 0;
}
