/* content.c - realistic message bodies: mixed Chinese/English texts that hit the seeded classify
 * rules (deploy/sql/002_seed.sql), a customer pool, hints and the odd attachment. */
#include "tools/loadgen/content.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/channel.h"

/* What customers write, one or more seeded keywords in most (none in the last few, which
 * classify files under "other"). No quote or backslash: they go into JSON as they are. */
static const char *const lg_texts[] = {
    "我的账号被盗了，有人用我的账户下单，请马上处理",
    "My account was hacked and someone changed my password, please lock it",
    "收到诈骗电话说要给我退款，这是你们的客服吗？",
    "I think this is fraud: there is an order I never placed",
    "申请退款：订单已经取消三天了，钱还没有退回来",
    "I was charged twice for the same order, I want a refund",
    "付款成功了但是订单显示未支付，扣款两次",
    "Payment went through but the order still says unpaid",
    "物流信息三天没有更新了，快递到底什么时候到？",
    "Where is my parcel? It was supposed to arrive on Monday",
    "My delivery is late again, tracking has not moved for a week",
    "包裹还没到，已经超过承诺时间两天了",
    "我要投诉，客服态度太差了，等了半个小时没人理",
    "This is terrible service, I want to complain to a manager",
    "非常生气，第三次打电话了问题还是没解决，差评",
    "耳机坏了，只有一边有声音，可以换货或者维修吗？",
    "The blender arrived broken, I would like to return it",
    "洗衣机出现故障，需要上门维修，型号是XQG100",
    "Screen has a defect (dead pixels), can I get a repair?",
    "建议你们的APP增加夜间模式，晚上看太刺眼了",
    "It would be nice to filter orders by date in the app",
    "希望以后可以支持分期付款和更多的配送时间选择",
    "Feature request: let me save more than one delivery address",
    "请问这款外套有没有XL尺寸？",
    "How long is the battery life and does it support fast charging?",
    "这个型号多少钱？会员有折扣吗？",
    "What is the price of the 256GB version, and what are the specs?",
    "怎么修改收货地址？订单刚刚提交",
    "Hello, just saying thanks for the quick help last week",
    "你好，在吗？",
    "Hi there, I have a question about my membership card",
};

/* Display names: Chinese and English, as contact centres here see them. */
static const char *const lg_names[] = {
    "张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊", "赵敏", "黄强",
    "周杰", "吴倩", "Emily Chen", "John Smith", "Olivia Wang", "Liam Zhang", "Sophia Li", "Noah Liu",
};

#define LG_COUNT(a) (sizeof(a) / sizeof((a)[0]))

uint64_t lg_hash64(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

uint64_t lg_run_salt(const char *run_id)
{
    uint64_t h = 1469598103934665603ull;   /* FNV-1a, then mixed */
    for (const char *p = run_id; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    return lg_hash64(h);
}

int lg_run_id_ok(const char *run_id)
{
    size_t n = run_id ? strlen(run_id) : 0;
    if (n == 0 || n > 100)
        return 0;
    static const char ok[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-";
    return strspn(run_id, ok) == n;
}

/* Index of the channel called name (length len), or -1. */
static int lg_channel_index(const char *name, size_t len)
{
    int count;
    const sb_channel *all = sb_channel_all(&count);
    for (int i = 0; i < count && i < SB_LOADGEN_CHANNELS; i++)
        if (strlen(all[i].name) == len && strncmp(all[i].name, name, len) == 0)
            return i;
    return -1;
}

/* One "name:weight" item of the mix. */
static int lg_mix_item(const char *item, size_t len, lg_mix *mix, char *err, size_t errlen)
{
    const char *colon = memchr(item, ':', len);
    int ch = colon ? lg_channel_index(item, (size_t)(colon - item)) : -1;
    char *end;
    unsigned long w = colon ? strtoul(colon + 1, &end, 10) : 0;
    if (ch < 0 || colon + 1 == item + len || end != item + len || w > 1000000) {
        snprintf(err, errlen, "--mix: bad item '%.*s' (want channel:weight)", (int)len, item);
        return -1;
    }
    mix->weight[ch] = (unsigned)w;
    return 0;
}

int lg_mix_parse(const char *spec, lg_mix *mix, char *err, size_t errlen)
{
    memset(mix, 0, sizeof *mix);
    for (const char *p = spec; *p;) {
        size_t len = strcspn(p, ",");
        if (lg_mix_item(p, len, mix, err, errlen) != 0)
            return -1;
        p += len + (p[len] == ',');
    }
    for (int i = 0; i < SB_LOADGEN_CHANNELS; i++)
        mix->total += mix->weight[i];
    if (mix->total == 0) {
        snprintf(err, errlen, "--mix: every weight is 0");
        return -1;
    }
    return 0;
}

int lg_mix_pick(const lg_mix *mix, uint64_t seq)
{
    unsigned x = (unsigned)(lg_hash64(seq) % mix->total);
    for (int i = 0; i < SB_LOADGEN_CHANNELS; i++) {
        if (x < mix->weight[i])
            return i;
        x -= mix->weight[i];
    }
    return 0;   /* not reached: the weights add up to total */
}

void lg_person_of(uint64_t salt, uint64_t seq, uint64_t customers, lg_person *p)
{
    uint64_t c = customers ? lg_hash64(seq) % customers : seq;
    uint64_t h = lg_hash64(salt ^ (c * 0x2545F4914F6CDD1Dull));
    unsigned kind = (unsigned)(h % 10), tier = (unsigned)((h >> 8) % 10);
    /* 13x + 9 digits: the run salt offsets a window that a run never wraps around. */
    uint64_t digits = (salt + c) % 1000000000ull;
    uint32_t tag = (uint32_t)(salt >> 32);
    memset(p, 0, sizeof *p);
    p->tier = tier == 0 ? "vip" : tier < 4 ? "regular" : "new";
    p->name = lg_names[(h >> 16) % LG_COUNT(lg_names)];
    if (kind < 4)
        snprintf(p->phone, sizeof p->phone, "13%09" PRIu64, digits);
    else if (kind < 7)
        snprintf(p->phone, sizeof p->phone, "+86 13%09" PRIu64, digits);
    if (kind >= 4 && kind < 7)
        snprintf(p->email, sizeof p->email, "u%08x.%" PRIu64 "@example.com", tag, c);
    else if (kind >= 7 && kind < 9)
        snprintf(p->email, sizeof p->email, "U%08x.%" PRIu64 "@Example.com", tag, c);
    snprintf(p->id, sizeof p->id, "C%08x-%" PRIu64, tag, c);
    p->id_only = kind >= 9;
}

const char *lg_text_of(uint64_t salt, uint64_t seq)
{
    return lg_texts[(lg_hash64(seq ^ salt) >> 20) % LG_COUNT(lg_texts)];
}

/* The "customer" object of message seq: a phone and/or e-mail or only an id, a name, a tier.
 * Identities are unique per (run, customer): a customer with an open ticket would otherwise
 * join it, and the tests count one ticket per message. */
static int lg_customer(char *buf, size_t len, uint64_t salt, uint64_t seq, uint64_t customers)
{
    lg_person p;
    lg_person_of(salt, seq, customers, &p);
    if (p.id_only)
        return snprintf(buf, len, "\"id\":\"%s\",\"tier\":\"%s\"", p.id, p.tier);
    int n = snprintf(buf, len, "\"name\":\"%s\"", p.name);
    if (n >= 0 && (size_t)n < len && p.phone[0])
        n += snprintf(buf + n, len - (size_t)n, ",\"phone\":\"%s\"", p.phone);
    if (n >= 0 && (size_t)n < len && p.email[0])
        n += snprintf(buf + n, len - (size_t)n, ",\"email\":\"%s\"", p.email);
    if (n >= 0 && (size_t)n < len)
        n += snprintf(buf + n, len - (size_t)n, ",\"tier\":\"%s\"", p.tier);
    return n;
}

void lg_order_id(char out[32], uint64_t salt, uint64_t seq)
{
    snprintf(out, 32, "SO%08" PRIu64 "%010" PRIu64, lg_hash64(salt) % 100000000u, seq % 10000000000u);
}

/* Optional members after "text": attachments now and then, hints the channel knows. */
static int lg_extras(char *buf, size_t len, uint64_t salt, uint64_t seq, const char *channel,
                     uint64_t h)
{
    char order[32];
    lg_order_id(order, salt, seq);
    int n = 0;
    if (h % 16 == 0)
        n = snprintf(buf, len, ",\"attachments\":[{\"name\":\"photo-%" PRIu64 ".jpg\","
                     "\"content_type\":\"image/jpeg\",\"size\":%u,"
                     "\"url\":\"https://files.example.com/u/%" PRIu64 ".jpg\"}]",
                     seq, (unsigned)(h % 900000) + 20000, seq);
    if (n < 0 || (size_t)n >= len)
        return -1;
    const char *ivr = strcmp(channel, "phone") == 0 ? ",\"ivr_path\":\"1>3>2\"" : "";
    int m = (h >> 8) % 4 == 0
                ? snprintf(buf + n, len - (size_t)n, ",\"hints\":{\"order_id\":\"%s\"%s}", order,
                           ivr)
                : snprintf(buf + n, len - (size_t)n, "%s%s%s", *ivr ? ",\"hints\":{" : "",
                           *ivr ? ivr + 1 : "", *ivr ? "}" : "");
    return m < 0 || (size_t)m >= len - (size_t)n ? -1 : n + m;
}

int lg_body(char *buf, size_t len, const char *run_id, uint64_t salt, uint64_t seq,
            const char *channel, uint64_t customers)
{
    char cust[512], extras[512];
    uint64_t h = lg_hash64(seq ^ salt);
    int cn = lg_customer(cust, sizeof cust, salt, seq, customers);
    if (cn < 0 || (size_t)cn >= sizeof cust ||
        lg_extras(extras, sizeof extras, salt, seq, channel, h) < 0)
        return -1;
    const char *text = lg_text_of(salt, seq);
    int n = snprintf(buf, len, "{\"channel\":\"%s\",\"external_id\":\"%s-%" PRIu64 "\","
                     "\"customer\":{%s},\"text\":\"%s\"%s}", channel, run_id, seq, cust, text,
                     extras);
    return n < 0 || (size_t)n >= len ? -1 : n;
}
