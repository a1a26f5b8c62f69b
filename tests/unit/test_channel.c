/* test_channel.c - the channel table: names, codes, live flags. */
#include <criterion/criterion.h>
#include <string.h>

#include "common/channel.h"

Test(channel, find_by_name_and_code)
{
    const sb_channel *c = sb_channel_find("wechat");
    cr_assert_not_null(c);
    cr_assert_str_eq(c->code, "WX");
    cr_assert_eq(c->live, 1);
    cr_assert_eq(sb_channel_by_code("WX"), c);
    cr_assert_eq(sb_channel_find("email")->live, 0);
}

Test(channel, live_flags_match_design)
{
    const char *live[] = {"web", "app", "phone", "wechat"};
    const char *not_live[] = {"email", "store", "marketplace"};
    for (int i = 0; i < 4; i++)
        cr_assert_eq(sb_channel_find(live[i])->live, 1, "%s", live[i]);
    for (int i = 0; i < 3; i++)
        cr_assert_eq(sb_channel_find(not_live[i])->live, 0, "%s", not_live[i]);
}

Test(channel, all_has_seven_distinct_codes)
{
    int n = 0;
    const sb_channel *all = sb_channel_all(&n);
    cr_assert_eq(n, 7);
    for (int i = 0; i < n; i++) {
        cr_assert_eq(strlen(all[i].code), 2);
        cr_assert_eq(sb_channel_by_code(all[i].code), &all[i]);
        cr_assert_eq(sb_channel_find(all[i].name), &all[i]);
    }
}

Test(channel, unknown_is_null)
{
    cr_assert_null(sb_channel_find("fax"));
    cr_assert_null(sb_channel_find("WeChat"));
    cr_assert_null(sb_channel_find(NULL));
    cr_assert_null(sb_channel_by_code("wx"));
    cr_assert_null(sb_channel_by_code(""));
    cr_assert_null(sb_channel_by_code(NULL));
}
