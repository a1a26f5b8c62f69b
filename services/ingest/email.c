/* email.c - a MIME message -> the generic message body: sender, ids, thread, subject, date,
 * text (charset-converted, HTML flattened) and attachment metadata, parsed with GMime 3. */
#include "services/ingest/email.h"

#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <gmime/gmime.h>
#include <openssl/evp.h>

#include "common/clock.h"
#include "common/utf8.h"
#include "services/ingest/normalize.h"

#define EMAIL_THREAD_ID_MAX  300   /* characters of a thread id, as the normaliser bounds it */
#define EMAIL_REFS_MAX       20    /* References kept: the newest */
#define EMAIL_ADDR_MAX       254   /* characters of customer.email */
#define EMAIL_FILENAME_MAX   255   /* characters of an attachment name */
#define EMAIL_TYPE_MAX       255   /* characters of an attachment content type */
#define EMAIL_DEPTH_MAX      32    /* MIME nesting walked; deeper parts are ignored */
/* sent_at is kept within the normaliser's window, a minute inside its past bound because the
 * normaliser looks at the clock a moment later. */
#define EMAIL_SENT_PAST_MS   (INGEST_SENT_AT_PAST_MS - 60 * 1000)
#define EMAIL_REPLACEMENT    "\xEF\xBF\xBD"   /* U+FFFD, for bytes no charset explains */

/* What the walk over the MIME tree found. */
typedef struct email_walk {
    GMimePart *plain, *html;   /* the first inline text/plain and text/html parts */
    json_t    *attachments;    /* metadata of the first INGEST_ATTACHMENTS_MAX attachments */
    int        failed;         /* memory ran out while building the metadata */
} email_walk;

/* Flattening HTML: the text so far and the whitespace not yet written. */
typedef struct email_html {
    GString *out;
    int      space;    /* whitespace seen since the last character written */
    int      breaks;   /* line breaks asked for since then (at most 2 are written) */
} email_html;

static int email_ready;

void ingest_email_init(void)
{
    if (email_ready)
        return;
    g_mime_init();
    email_ready = 1;
}

void ingest_email_shutdown(void)
{
    if (!email_ready)
        return;
    g_mime_shutdown();
    email_ready = 0;
}

/* 503 for an allocation that failed; -1 like sb_error_set. */
static int email_oom(sb_error *err)
{
    return sb_error_set(err, 503, "overloaded", "", "out of memory");
}

/* Is every byte of s[0..n) part of a well-formed UTF-8 character? */
static int email_utf8_valid(const char *s, size_t n)
{
    for (size_t i = 0, k; i < n; i += k)
        if ((k = sb_utf8_char_len(s + i, n - i)) == 0)
            return 0;
    return 1;
}

/* Appends s[0..n) as clean text: valid UTF-8 (each bad byte becomes U+FFFD), CRLF and CR as
 * LF, no NUL or other control character but tab and newline. */
static void email_clean_append(GString *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        size_t k = sb_utf8_char_len(s + i, n - i);
        if (k == 0) {
            g_string_append(out, EMAIL_REPLACEMENT);
            i++;
        } else if (k == 1 && (c < 0x20 || c == 0x7F)) {
            if (c == '\t' || c == '\n' || (c == '\r' && (i + 1 == n || s[i + 1] != '\n')))
                g_string_append_c(out, c == '\t' ? '\t' : '\n');
            i++;
        } else {
            g_string_append_len(out, s + i, (gssize)k);
            i += k;
        }
    }
}

/* Cuts valid UTF-8 s to at most max characters. */
static void email_cut_chars(GString *s, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < s->len; i++) {
        if (((unsigned char)s->str[i] & 0xC0) != 0x80 && n++ == max) {
            g_string_truncate(s, i);
            return;
        }
    }
}

/* Cuts valid UTF-8 s to at most max bytes, at a character boundary. */
static void email_cut_bytes(GString *s, size_t max)
{
    if (s->len <= max)
        return;
    size_t i = max;
    while (i > 0 && ((unsigned char)s->str[i] & 0xC0) == 0x80)
        i--;
    g_string_truncate(s, i);
}

/* Is c a blank or a line break? */
static int email_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Removes leading and trailing blanks and line breaks. */
static void email_trim(GString *s)
{
    size_t end = s->len, start = 0;
    while (end > 0 && email_space(s->str[end - 1]))
        end--;
    while (start < end && email_space(s->str[start]))
        start++;
    g_string_truncate(s, end);
    g_string_erase(s, 0, (gssize)start);
}

/* A header value (decoded UTF-8 from GMime) as one clean line of at most max characters:
 * whitespace runs become one blank. NULL when nothing is left; g_free it. */
static char *email_line(const char *value, size_t max)
{
    if (!value)
        return NULL;
    GString *clean = g_string_new(NULL), *line = g_string_new(NULL);
    email_clean_append(clean, value, strlen(value));
    for (size_t i = 0; i < clean->len; i++) {
        char c = clean->str[i];
        if (!email_space(c))
            g_string_append_c(line, c);
        else if (line->len && line->str[line->len - 1] != ' ')
            g_string_append_c(line, ' ');
    }
    g_string_free(clean, TRUE);
    email_trim(line);
    email_cut_chars(line, max);
    email_trim(line);
    return g_string_free(line, line->len == 0);
}

/* local@domain as the normaliser takes it: valid UTF-8, one '@' with something on either
 * side, no blank or control character, at most EMAIL_ADDR_MAX characters. */
static int email_addr_ok(const char *a)
{
    const char *at = strchr(a, '@');
    if (!at || at == a || !at[1] || strchr(at + 1, '@'))
        return 0;
    for (const char *p = a; *p; p++)
        if ((unsigned char)*p <= 0x20 || *p == 0x7F)
            return 0;
    return email_utf8_valid(a, strlen(a)) && sb_utf8_count(a, strlen(a)) <= EMAIL_ADDR_MAX;
}

/* A message id fit to pass on: 1..max characters of UTF-8 without blanks or controls. */
static int email_id_ok(const char *id, size_t max)
{
    if (!id || !*id)
        return 0;
    for (const char *p = id; *p; p++)
        if ((unsigned char)*p <= 0x20 || *p == 0x7F)
            return 0;
    return email_utf8_valid(id, strlen(id)) && sb_utf8_count(id, strlen(id)) <= max;
}

/* The first mailbox of an address list, looking into groups ("team: a@b;"); NULL when none. */
static InternetAddressMailbox *email_first_mailbox(InternetAddressList *list, int depth)
{
    int n = list && depth < 2 ? internet_address_list_length(list) : 0;
    for (int i = 0; i < n; i++) {
        InternetAddress *ia = internet_address_list_get_address(list, i);
        if (INTERNET_ADDRESS_IS_MAILBOX(ia))
            return INTERNET_ADDRESS_MAILBOX(ia);
        if (INTERNET_ADDRESS_IS_GROUP(ia)) {
            InternetAddressList *members =
                internet_address_group_get_members(INTERNET_ADDRESS_GROUP(ia));
            InternetAddressMailbox *mb = email_first_mailbox(members, depth + 1);
            if (mb)
                return mb;
        }
    }
    return NULL;
}

/* customer {email, name} from From: its first mailbox and decoded display name. */
static int email_customer(GMimeMessage *msg, json_t *body, sb_error *err)
{
    const char *from = g_mime_object_get_header(GMIME_OBJECT(msg), "From");
    if (!from || !from[strspn(from, " \t\r\n")])
        return sb_error_set(err, 400, "missing_field", "From", "the message has no From header");
    InternetAddressMailbox *mb = email_first_mailbox(g_mime_message_get_from(msg), 0);
    const char *addr = mb ? internet_address_mailbox_get_addr(mb) : NULL;
    if (!addr || !email_addr_ok(addr))
        return sb_error_set(err, 400, "invalid_field", "From",
                            "From must name the sender's address, e.g. Zhang Wei <z@example.com>");
    json_t *c = json_object();
    if (json_object_set_new(body, "customer", c) != 0 ||
        json_object_set_new(c, "email", json_string(addr)) != 0)
        return email_oom(err);
    char *name =
        email_line(internet_address_get_name(INTERNET_ADDRESS(mb)), INGEST_EMAIL_NAME_MAX);
    int rc = name ? json_object_set_new(c, "name", json_string(name)) : 0;
    g_free(name);
    return rc == 0 ? 0 : email_oom(err);
}

/* "sha256:<hex>" of the raw message into out: the id of a message without a usable Message-ID,
 * the same for the same bytes posted again. */
static const char *email_hash_id(const char *raw, size_t len, char out[7 + 64 + 1])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (EVP_Digest(raw, len, md, &n, EVP_sha256(), NULL) != 1 || n != 32)
        return NULL;
    memcpy(out, "sha256:", 7);
    for (unsigned int i = 0; i < n; i++)
        snprintf(out + 7 + 2 * i, 3, "%02x", md[i]);
    return out;
}

/* external_id: the Message-ID without angle brackets, else the hash of the message. */
static int email_external_id(GMimeMessage *msg, const char *raw, size_t len, json_t *body,
                             sb_error *err)
{
    char hashed[7 + 64 + 1];
    const char *mid = g_mime_message_get_message_id(msg);
    const char *ext = email_id_ok(mid, INGEST_EXTERNAL_ID_MAX) ? mid
                                                               : email_hash_id(raw, len, hashed);
    if (!ext || json_object_set_new(body, "external_id", json_string(ext)) != 0)
        return email_oom(err);
    return 0;
}

/* The usable message ids of header name (In-Reply-To, References), in header order, into
 * arr: at most keep of them, the first ones, or the newest ones when newest. 0, or -1 when
 * memory ran out. */
static int email_header_ids(GMimeMessage *msg, const char *name, size_t keep, int newest,
                            json_t *arr)
{
    const char *value = g_mime_object_get_header(GMIME_OBJECT(msg), name);
    GMimeReferences *refs = value ? g_mime_references_parse(NULL, value) : NULL;
    int n = refs ? g_mime_references_length(refs) : 0, rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        const char *id = g_mime_references_get_message_id(refs, i);
        if (!email_id_ok(id, EMAIL_THREAD_ID_MAX))
            continue;
        if (json_array_size(arr) == keep && !newest)
            break;
        if (json_array_size(arr) == keep)
            json_array_remove(arr, 0);
        rc = json_array_append_new(arr, json_string(id));
    }
    if (refs)
        g_mime_references_free(refs);
    return rc;
}

/* thread {message_id, in_reply_to, references[]}: what the message names, when it names any.
 * In-Reply-To names the parent (the first id when a client lists several); References the
 * ancestors, oldest first, of which the newest EMAIL_REFS_MAX are kept. */
static int email_thread(GMimeMessage *msg, json_t *body, sb_error *err)
{
    json_t *t = json_object(), *parent = json_array(), *refs = json_array();
    const char *mid = g_mime_message_get_message_id(msg);
    int rc = t && parent && refs ? 0 : -1;
    if (rc == 0 && email_id_ok(mid, EMAIL_THREAD_ID_MAX))
        rc = json_object_set_new(t, "message_id", json_string(mid));
    if (rc == 0)
        rc = email_header_ids(msg, "In-Reply-To", 1, 0, parent);
    if (rc == 0 && json_array_size(parent))
        rc = json_object_set(t, "in_reply_to", json_array_get(parent, 0));
    if (rc == 0)
        rc = email_header_ids(msg, "References", EMAIL_REFS_MAX, 1, refs);
    if (rc == 0 && json_array_size(refs))
        rc = json_object_set(t, "references", refs);
    if (rc == 0 && json_object_size(t))
        rc = json_object_set(body, "thread", t);
    json_decref(t);
    json_decref(parent);
    json_decref(refs);
    return rc == 0 ? 0 : email_oom(err);
}

/* hints.subject (decoded, one line, at most INGEST_EMAIL_SUBJECT_MAX characters) and sent_at
 * (Date, when it lies within the normaliser's window: a sender's wrong clock must not lose the
 * message, so a Date outside it is left out rather than refused). */
static int email_subject_date(GMimeMessage *msg, int64_t now_ms, json_t *body, sb_error *err)
{
    char *subject = email_line(g_mime_message_get_subject(msg), INGEST_EMAIL_SUBJECT_MAX);
    int rc = 0;
    if (subject) {
        json_t *hints = json_pack("{s:s}", "subject", subject);
        rc = json_object_set_new(body, "hints", hints);
        g_free(subject);
    }
    GDateTime *date = g_mime_message_get_date(msg);
    int64_t sent_ms = date ? (int64_t)g_date_time_to_unix(date) * 1000 : 0;
    if (rc == 0 && date && sent_ms <= now_ms + INGEST_SENT_AT_FUTURE_MS &&
        sent_ms >= now_ms - EMAIL_SENT_PAST_MS) {
        char iso[40];
        rc = json_object_set_new(body, "sent_at",
                                 json_string(sb_clock_format_iso(sent_ms, iso, sizeof iso)));
    }
    return rc == 0 ? 0 : email_oom(err);
}

/* Is c a character of an RFC 7230 token as the normaliser's content-type check allows it? */
static int email_type_char(char c, int first)
{
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
        return 1;
    return !first && c && strchr("!#$&^_.+-", c) != NULL;
}

/* Steps *p over a token starting with a letter or digit; 0 when there is none. */
static int email_type_token(const char **p)
{
    if (!email_type_char(**p, 1))
        return 0;
    for ((*p)++; email_type_char(**p, 0); (*p)++) {
    }
    return 1;
}

/* Is s (lower case) exactly token/token? */
static int email_type_ok(const char *s)
{
    return email_type_token(&s) && *s++ == '/' && email_type_token(&s) && !*s;
}

/* The lower-case type/subtype of o, or application/octet-stream when GMime's reading of it
 * is not a plain token pair; g_free it. */
static char *email_mime_type(GMimeObject *o)
{
    char *t = g_mime_content_type_get_mime_type(g_mime_object_get_content_type(o));
    char *lower = t ? g_ascii_strdown(t, -1) : NULL;
    g_free(t);
    if (!lower || !email_type_ok(lower) || strlen(lower) > EMAIL_TYPE_MAX) {
        g_free(lower);
        return g_strdup("application/octet-stream");
    }
    return lower;
}

/* A signature of multipart/signed: proof, not something the customer sent. */
static int email_is_signature(GMimeObject *o)
{
    GMimeContentType *ct = g_mime_object_get_content_type(o);
    return g_mime_content_type_is_type(ct, "application", "pgp-signature") ||
           g_mime_content_type_is_type(ct, "application", "pkcs7-signature") ||
           g_mime_content_type_is_type(ct, "application", "x-pkcs7-signature");
}

/* An attachment's name: the file name without any folder a client left in it, decoded, one
 * line of at most EMAIL_FILENAME_MAX characters; "attachment-<n>" when it has none. g_free it. */
static char *email_attachment_name(const char *filename, size_t n)
{
    const char *base = filename;
    for (const char *p = filename; p && *p; p++)
        if (*p == '/' || *p == '\\')
            base = p + 1;
    char *name = email_line(base, EMAIL_FILENAME_MAX);
    return name ? name : g_strdup_printf("attachment-%zu", n + 1);
}

/* Bytes written to a null stream: how sizes are measured without keeping content. */
static size_t email_null_written(GMimeStream *null)
{
    return GMIME_STREAM_NULL(null)->written;
}

/* Appends {name, content_type, size} to the walk's attachments (each string borrowed). */
static void email_attach(email_walk *w, const char *name, const char *type, size_t size)
{
    json_t *a = json_pack("{s:s, s:s, s:I}", "name", name, "content_type", type, "size",
                          (json_int_t)size);
    if (json_array_append_new(w->attachments, a) != 0)
        w->failed = 1;
}

/* Room for one more attachment? Past INGEST_ATTACHMENTS_MAX the rest are left out. */
static int email_attach_room(const email_walk *w)
{
    return json_array_size(w->attachments) < INGEST_ATTACHMENTS_MAX;
}

/* A leaf part kept as an attachment: its name, type and decoded size, never its content. */
static void email_attach_part(email_walk *w, GMimePart *part)
{
    if (!email_attach_room(w))
        return;
    GMimeDataWrapper *content = g_mime_part_get_content(part);
    GMimeStream *null = g_mime_stream_null_new();
    if (content)
        g_mime_data_wrapper_write_to_stream(content, null);
    char *name = email_attachment_name(g_mime_part_get_filename(part),
                                       json_array_size(w->attachments));
    char *type = email_mime_type(GMIME_OBJECT(part));
    email_attach(w, name, type, email_null_written(null));
    g_free(name);
    g_free(type);
    g_object_unref(null);
}

/* An attached (forwarded) message, kept whole as one attachment named after its file name or
 * subject; its size is that of the message as GMime writes it out. */
static void email_attach_message(email_walk *w, GMimeMessagePart *mp)
{
    if (!email_attach_room(w))
        return;
    GMimeObject *o = GMIME_OBJECT(mp);
    GMimeMessage *inner = g_mime_message_part_get_message(mp);
    GMimeStream *null = g_mime_stream_null_new();
    if (inner)
        g_mime_object_write_to_stream(GMIME_OBJECT(inner), NULL, null);
    const char *filename = g_mime_object_get_content_disposition_parameter(o, "filename");
    const char *subject = inner ? g_mime_message_get_subject(inner) : NULL;
    char *named = !filename && subject ? g_strconcat(subject, ".eml", NULL) : NULL;
    char *name = email_attachment_name(filename ? filename : named ? named : "message.eml",
                                       json_array_size(w->attachments));
    char *type = email_mime_type(o);
    email_attach(w, name, type, email_null_written(null));
    g_free(named);
    g_free(name);
    g_free(type);
    g_object_unref(null);
}

/* A leaf: the first inline text/plain and text/html are the body's candidates (further inline
 * ones are alternatives or fragments, left out); every other part is an attachment. */
static void email_walk_leaf(email_walk *w, GMimePart *part)
{
    GMimeObject *o = GMIME_OBJECT(part);
    GMimeContentType *ct = g_mime_object_get_content_type(o);
    int inline_text = !g_mime_part_is_attachment(part) && !g_mime_part_get_filename(part) &&
                      g_mime_content_type_is_type(ct, "text", "*");
    if (inline_text && g_mime_content_type_is_type(ct, "text", "plain")) {
        if (!w->plain)
            w->plain = part;
    } else if (inline_text && g_mime_content_type_is_type(ct, "text", "html")) {
        if (!w->html)
            w->html = part;
    } else if (!email_is_signature(o)) {
        email_attach_part(w, part);
    }
}

/* Depth-first over the MIME tree, in document order, at most EMAIL_DEPTH_MAX levels deep. */
static void email_walk_object(email_walk *w, GMimeObject *o, int depth)
{
    if (!o || depth > EMAIL_DEPTH_MAX)
        return;
    if (GMIME_IS_MULTIPART(o)) {
        GMimeMultipart *mp = GMIME_MULTIPART(o);
        int n = g_mime_multipart_get_count(mp);
        for (int i = 0; i < n; i++)
            email_walk_object(w, g_mime_multipart_get_part(mp, i), depth + 1);
    } else if (GMIME_IS_MESSAGE_PART(o)) {
        email_attach_message(w, GMIME_MESSAGE_PART(o));
    } else if (GMIME_IS_PART(o)) {
        email_walk_leaf(w, GMIME_PART(o));
    }
}

/* iconv's name for a declared charset: the superset mail software really means for labels it
 * routinely stretches (the WHATWG Encoding Standard's mapping: GB2312 mail carries GBK
 * characters, ISO-8859-1 mail carries Windows-1252 quotes, Shift_JIS mail Windows-31J), else
 * GMime's canonical iconv name. */
static const char *email_iconv_name(const char *label)
{
    static const struct {
        const char *label, *name;
    } supersets[] = {
        {"gb2312", "GB18030"},          {"gbk", "GB18030"},
        {"x-gbk", "GB18030"},           {"cp936", "GB18030"},
        {"euc-cn", "GB18030"},          {"big5", "BIG5-HKSCS"},
        {"x-x-big5", "BIG5-HKSCS"},     {"iso-8859-1", "WINDOWS-1252"},
        {"latin1", "WINDOWS-1252"},     {"iso-8859-9", "WINDOWS-1254"},
        {"tis-620", "WINDOWS-874"},     {"iso-8859-11", "WINDOWS-874"},
        {"ks_c_5601-1987", "CP949"},    {"euc-kr", "CP949"},
        {"shift_jis", "CP932"},         {"sjis", "CP932"},
        {"x-sjis", "CP932"},            {"windows-31j", "CP932"},
    };
    for (size_t i = 0; i < sizeof supersets / sizeof supersets[0]; i++)
        if (g_ascii_strcasecmp(label, supersets[i].label) == 0)
            return supersets[i].name;
    return g_mime_charset_iconv_name(label);
}

/* n bytes through cd into out. A byte that does not convert (or a character cut at the end)
 * fails the conversion, or when lenient becomes U+FFFD and the rest goes on. 0 or -1. */
static int email_iconv(iconv_t cd, const char *in, size_t n, GString *out, int lenient)
{
    char buf[4096];
    char *ip = (char *)in, *op;
    size_t il = n, ol;
    while (il > 0) {
        op = buf;
        ol = sizeof buf;
        size_t r = iconv(cd, &ip, &il, &op, &ol);
        g_string_append_len(out, buf, (gssize)(op - buf));
        if (r != (size_t)-1 || errno == E2BIG)
            continue;
        if (!lenient)
            return -1;
        g_string_append(out, EMAIL_REPLACEMENT);
        ip++;
        il--;
    }
    op = buf;
    ol = sizeof buf;
    iconv(cd, NULL, NULL, &op, &ol);   /* the shift back of stateful charsets (ISO-2022-JP) */
    g_string_append_len(out, buf, (gssize)(op - buf));
    return 0;
}

/* n bytes in the charset iconv calls name, as UTF-8 into out; 0, or -1 when iconv does not
 * know the charset or (strict) the bytes are not in it. out is reset either way. */
static int email_convert(const char *name, const char *in, size_t n, GString *out, int lenient)
{
    g_string_truncate(out, 0);
    iconv_t cd = iconv_open("UTF-8", name);
    if (cd == (iconv_t)-1)
        return -1;
    int rc = email_iconv(cd, in, n, out, lenient);
    iconv_close(cd);
    return rc;
}

/* Is label one of the names of UTF-8? */
static int email_charset_utf8(const char *label)
{
    return g_ascii_strcasecmp(label, "utf-8") == 0 || g_ascii_strcasecmp(label, "utf8") == 0;
}

/* Is label a charset that says nothing about 8-bit bytes (none, US-ASCII)? */
static int email_charset_vague(const char *label)
{
    return !label || !*label || g_ascii_strcasecmp(label, "us-ascii") == 0 ||
           g_ascii_strcasecmp(label, "ascii") == 0;
}

/* n bytes of text in the declared charset (NULL: none) as clean UTF-8 (email_clean_append):
 * UTF-8 as it is; a charset iconv knows converted, U+FFFD for bytes it cannot explain; an
 * absent, vague or unknown one as UTF-8 when the bytes are that, else as GB18030 when they are
 * that, else as Windows-1252 (the fallbacks the headers are decoded with). */
static GString *email_to_utf8(const char *in, size_t n, const char *charset)
{
    GString *conv = g_string_new(NULL), *out = g_string_sized_new(n + 16);
    int utf8 = charset && email_charset_utf8(charset);
    int done = !utf8 && !email_charset_vague(charset) &&
               email_convert(email_iconv_name(charset), in, n, conv, 1) == 0;
    if (!utf8 && !done && !email_utf8_valid(in, n) &&
        (email_convert("GB18030", in, n, conv, 0) == 0 ||
         email_convert("WINDOWS-1252", in, n, conv, 1) == 0))
        done = 1;
    if (done)
        email_clean_append(out, conv->str, conv->len);
    else
        email_clean_append(out, in, n);   /* UTF-8 already, or nothing converts: U+FFFD */
    g_string_free(conv, TRUE);
    return out;
}

/* Writes s[0..n) to the flattened HTML after the whitespace or line breaks pending. */
static void email_html_put(email_html *h, const char *s, size_t n)
{
    if (h->out->len && h->breaks)
        g_string_append_len(h->out, "\n\n", h->breaks > 1 ? 2 : 1);
    else if (h->out->len && h->space)
        g_string_append_c(h->out, ' ');
    h->space = h->breaks = 0;
    g_string_append_len(h->out, s, (gssize)n);
}

/* Tags that end a line of text (block elements), for HTML flattening. */
static int email_html_block(const char *name)
{
    static const char *const blocks[] = {
        "p",     "div",   "tr",     "li",      "ul",     "ol",      "table", "blockquote",
        "h1",    "h2",    "h3",     "h4",      "h5",     "h6",      "hr",    "pre",
        "dl",    "dt",    "dd",     "section", "article", "header", "footer", "address",
        "tbody", "thead", "center", "form",    "fieldset", NULL};
    for (const char *const *b = blocks; *b; b++)
        if (strcmp(name, *b) == 0)
            return 1;
    return 0;
}

/* The named character references mail HTML commonly uses, as UTF-8; NULL when unknown. */
static const char *email_html_entity(const char *name, size_t n)
{
    static const struct {
        const char *name, *utf8;
    } entities[] = {
        {"amp", "&"},          {"lt", "<"},           {"gt", ">"},
        {"quot", "\""},        {"apos", "'"},         {"nbsp", " "},
        {"copy", "\xC2\xA9"},  {"reg", "\xC2\xAE"},   {"trade", "\xE2\x84\xA2"},
        {"hellip", "\xE2\x80\xA6"}, {"mdash", "\xE2\x80\x94"}, {"ndash", "\xE2\x80\x93"},
        {"lsquo", "\xE2\x80\x98"},  {"rsquo", "\xE2\x80\x99"}, {"ldquo", "\xE2\x80\x9C"},
        {"rdquo", "\xE2\x80\x9D"},  {"laquo", "\xC2\xAB"},     {"raquo", "\xC2\xBB"},
        {"middot", "\xC2\xB7"},     {"bull", "\xE2\x80\xA2"},  {"euro", "\xE2\x82\xAC"},
        {"yen", "\xC2\xA5"},        {"pound", "\xC2\xA3"},     {"cent", "\xC2\xA2"},
        {"deg", "\xC2\xB0"},        {"times", "\xC3\x97"},
    };
    for (size_t i = 0; i < sizeof entities / sizeof entities[0]; i++)
        if (strlen(entities[i].name) == n && strncmp(name, entities[i].name, n) == 0)
            return entities[i].utf8;
    return NULL;
}

/* A character reference at s ("&amp;", "&#20320;", "&#x4F60;") written to h; bytes of s used,
 * 0 when s is not one (the '&' is then text). */
static size_t email_html_ref(email_html *h, const char *s)
{
    size_t n = 1;
    while (n < 12 && (g_ascii_isalnum(s[n]) || s[n] == '#'))
        n++;
    if (s[n] != ';' || n < 2)
        return 0;
    if (s[1] != '#') {
        const char *utf8 = email_html_entity(s + 1, n - 1);
        if (!utf8)
            return 0;
        if (strcmp(utf8, " ") == 0)
            h->space = 1;
        else
            email_html_put(h, utf8, strlen(utf8));
        return n + 1;
    }
    int hex = s[2] == 'x' || s[2] == 'X';
    char *end;
    unsigned long cp = strtoul(s + 2 + hex, &end, hex ? 16 : 10);
    if (end != s + n || end == s + 2 + hex)
        return 0;
    if (cp < 0x20 || cp == 0x7F || cp == 0xA0) {
        h->space = 1;   /* a control character or no-break space: whitespace */
        return n + 1;
    }
    char utf8[8];
    int valid = cp <= 0x10FFFF && (cp < 0xD800 || cp > 0xDFFF);
    gint len = g_unichar_to_utf8(valid ? (gunichar)cp : 0xFFFD, utf8);
    email_html_put(h, utf8, (size_t)len);
    return n + 1;
}

/* The end of the tag that starts at s ('<'): past its '>', quoted attribute values skipped. */
static const char *email_html_tag_end(const char *s)
{
    char quote = 0;
    for (s++; *s; s++) {
        if (quote)
            quote = *s == quote ? 0 : quote;
        else if (*s == '"' || *s == '\'')
            quote = *s;
        else if (*s == '>')
            return s + 1;
    }
    return s;
}

/* Past the element whose content is not text (script, style): after "</name ...>", or the end. */
static const char *email_html_skip_element(const char *s, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = strstr(s, "</"); p; p = strstr(p + 2, "</"))
        if (g_ascii_strncasecmp(p + 2, name, n) == 0 && !g_ascii_isalnum(p[2 + n]))
            return email_html_tag_end(p);
    return s + strlen(s);
}

/* A tag, comment or declaration at s ('<') handled; where the text goes on. NULL when s is not
 * markup (a '<' in text). */
static const char *email_html_markup(email_html *h, const char *s)
{
    if (strncmp(s, "<!--", 4) == 0) {
        const char *end = strstr(s + 4, "-->");
        return end ? end + 3 : s + strlen(s);
    }
    if (s[1] == '!' || s[1] == '?')
        return email_html_tag_end(s);
    int closing = s[1] == '/';
    const char *p = s + 1 + closing;
    if (!g_ascii_isalpha(*p))
        return NULL;
    char name[16];
    size_t n = 0;
    for (; g_ascii_isalnum(*p); p++)
        if (n < sizeof name - 1)
            name[n++] = g_ascii_tolower(*p);
    name[n] = '\0';
    const char *end = email_html_tag_end(s);
    if (!closing && (strcmp(name, "script") == 0 || strcmp(name, "style") == 0 ||
                     strcmp(name, "title") == 0))
        return email_html_skip_element(end, name);
    if (strcmp(name, "br") == 0)
        h->breaks++;
    else if (email_html_block(name))
        h->breaks = h->breaks ? h->breaks : 1;
    else if (strcmp(name, "td") == 0 || strcmp(name, "th") == 0)
        h->space = 1;
    return end;
}

/* HTML (clean UTF-8) as plain text: markup dropped with the content of script, style and title,
 * the common character references decoded, whitespace collapsed, block ends as line breaks
 * (at most one blank line in a row). */
static GString *email_html_text(const GString *html)
{
    email_html h = {g_string_sized_new(html->len / 2 + 16), 0, 0};
    const char *s = html->str, *end = html->str + html->len;
    while (s < end) {
        const char *next = NULL;
        size_t used = 0;
        if (*s == '<')
            next = email_html_markup(&h, s);
        else if (*s == '&')
            used = email_html_ref(&h, s);
        if (next) {
            s = next;
        } else if (used) {
            s += used;
        } else if (email_space(*s)) {
            h.space = 1;
            s++;
        } else {
            size_t k = sb_utf8_char_len(s, (size_t)(end - s));
            k = k ? k : 1;
            email_html_put(&h, s, k);
            s += k;
        }
    }
    return h.out;
}

/* The text of a body part: transfer encoding undone, charset converted, HTML flattened when
 * html, trimmed, at most INGEST_TEXT_MAX bytes cut at a character boundary. */
static GString *email_part_text(GMimePart *part, int html)
{
    GMimeStream *mem = g_mime_stream_mem_new();
    GMimeDataWrapper *content = g_mime_part_get_content(part);
    if (content)
        g_mime_data_wrapper_write_to_stream(content, mem);
    GByteArray *bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
    const char *charset = g_mime_object_get_content_type_parameter(GMIME_OBJECT(part), "charset");
    GString *text = email_to_utf8((const char *)bytes->data, bytes->len, charset);
    g_object_unref(mem);
    if (html) {
        GString *flat = email_html_text(text);
        g_string_free(text, TRUE);
        text = flat;
    }
    email_trim(text);
    email_cut_bytes(text, INGEST_TEXT_MAX);
    return text;
}

/* text and attachments from the MIME tree: the text/plain body, else the text/html one
 * flattened; 400 "text" when the message has neither text nor an attachment. */
static int email_content(GMimeMessage *msg, json_t *body, sb_error *err)
{
    email_walk w = {NULL, NULL, json_array(), 0};
    if (!w.attachments)
        return email_oom(err);
    email_walk_object(&w, g_mime_message_get_mime_part(msg), 0);
    GString *text = w.plain ? email_part_text(w.plain, 0) : NULL;
    if ((!text || !text->len) && w.html) {
        if (text)
            g_string_free(text, TRUE);
        text = email_part_text(w.html, 1);
    }
    int rc = w.failed ? email_oom(err) : 0;
    if (rc == 0 && (!text || !text->len) && !json_array_size(w.attachments))
        rc = sb_error_set(err, 400, "missing_field", "text",
                          "the message has neither text nor attachments");
    if (rc == 0 && text && text->len &&
        json_object_set_new(body, "text", json_stringn(text->str, text->len)) != 0)
        rc = email_oom(err);
    if (rc == 0 && json_array_size(w.attachments) &&
        json_object_set(body, "attachments", w.attachments) != 0)
        rc = email_oom(err);
    if (text)
        g_string_free(text, TRUE);
    json_decref(w.attachments);
    return rc;
}

/* Nothing but blanks and line breaks (or nothing at all)? */
static int email_blank(const char *raw, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!email_space(raw[i]))
            return 0;
    return 1;
}

/* GMime's reading of the raw bytes; NULL when it finds no message there. Header text in no
 * declared charset is tried as UTF-8, then GB18030, then Windows-1252. */
static GMimeMessage *email_parse(const char *raw, size_t len)
{
    static const char *fallback[] = {"utf-8", "gb18030", "windows-1252", NULL};
    GMimeParserOptions *opts = g_mime_parser_options_new();
    g_mime_parser_options_set_fallback_charsets(opts, fallback);
    GMimeStream *stream = g_mime_stream_mem_new_with_buffer(raw, len);
    GMimeParser *parser = g_mime_parser_new_with_stream(stream);
    g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
    GMimeMessage *msg = g_mime_parser_construct_message(parser, opts);
    g_object_unref(parser);
    g_object_unref(stream);
    g_mime_parser_options_free(opts);
    return msg;
}

json_t *ingest_email_to_body(const char *raw, size_t len, int64_t now_ms, sb_error *err)
{
    if (email_blank(raw, len)) {
        sb_error_set(err, 400, "missing_field", "body", "the message is empty");
        return NULL;
    }
    ingest_email_init();
    GMimeMessage *msg = email_parse(raw, len);
    if (!msg) {
        sb_error_set(err, 400, "invalid_field", "body", "the body is not an e-mail message");
        return NULL;
    }
    json_t *body = json_pack("{s:s}", "channel", "email");
    int rc = body ? 0 : email_oom(err);
    if (rc == 0)
        rc = email_customer(msg, body, err);
    if (rc == 0)
        rc = email_external_id(msg, raw, len, body, err);
    if (rc == 0)
        rc = email_thread(msg, body, err);
    if (rc == 0)
        rc = email_subject_date(msg, now_ms, body, err);
    if (rc == 0)
        rc = email_content(msg, body, err);
    g_object_unref(msg);
    if (rc != 0) {
        json_decref(body);
        return NULL;
    }
    return body;
}
