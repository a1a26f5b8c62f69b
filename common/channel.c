/* channel.c - the fixed table of channels, their codes and whether they are live. */
#include <string.h>

#include "common/channel.h"

static const sb_channel channels[] = {
    {"web", "WB", 1},    {"app", "AP", 1},   {"email", "EM", 0},       {"phone", "PH", 1},
    {"wechat", "WX", 1}, {"store", "ST", 0}, {"marketplace", "MP", 0},
};

#define CHANNEL_COUNT ((int)(sizeof channels / sizeof channels[0]))

const sb_channel *sb_channel_find(const char *name)
{
    if (!name)
        return NULL;
    for (int i = 0; i < CHANNEL_COUNT; i++)
        if (strcmp(channels[i].name, name) == 0)
            return &channels[i];
    return NULL;
}

const sb_channel *sb_channel_by_code(const char *code)
{
    if (!code)
        return NULL;
    for (int i = 0; i < CHANNEL_COUNT; i++)
        if (strcmp(channels[i].code, code) == 0)
            return &channels[i];
    return NULL;
}

const sb_channel *sb_channel_all(int *count)
{
    if (count)
        *count = CHANNEL_COUNT;
    return channels;
}
