/* channel.h - the channels Switchboard serves, their two-letter codes, and which are live. */
#ifndef SB_CHANNEL_H
#define SB_CHANNEL_H

typedef struct sb_channel {
    const char *name;   /* "web", "app", "email", "phone", "wechat", "store", "marketplace" */
    const char *code;   /* "WB", "AP", "EM", "PH", "WX", "ST", "MP" */
    int         live;   /* 1 for conversational channels (web, app, wechat, phone) */
} sb_channel;

const sb_channel *sb_channel_find(const char *name);        /* NULL when unknown */
const sb_channel *sb_channel_by_code(const char *code);     /* NULL when unknown */
const sb_channel *sb_channel_all(int *count);

#endif
