/* test_rules.c - the rule engine without a database: every condition kind, first-wins per
 * field, stage order, hints, fallback, defaults, explanations, and parser errors naming fields. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "common/rules.h"
#include "taxonomy.h"

static sb_taxonomy tax;
static sb_ruleset  rs;

static void setup(void)
{
    cr_assert_eq(sb_test_taxonomy(&tax), 0);
}

static void teardown(void)
{
    sb_rules_free(&rs);
    sb_taxonomy_free(&tax);
}

TestSuite(rules, .init = setup, .fini = teardown, .timeout = 30);

/* Compiles the rules (JSON text) into rs, or fails the test with the parser's message. */
static void compile(const char *rules_json)
{
    json_error_t jerr;
    json_t *rules = json_loads(rules_json, 0, &jerr);
    cr_assert_not_null(rules, "test JSON: %s", jerr.text);
    sb_error err;
    sb_rules_free(&rs);
    int rc = sb_rules_parse(rules, &tax, &rs, &err);
    json_decref(rules);
    cr_assert_eq(rc, 0, "parse: %s (%s)", err.message, err.field);
}

/* An input with defaults: web, regular, no IVR, no order, no history, no hints. */
static sb_rule_input input(const char *text)
{
    return (sb_rule_input){.text = text, .channel = "web", .tier = "regular", .ivr_path = "",
                           .order_value = -1};
}

static sb_decision decide(const sb_rule_input *in)
{
    sb_decision d;
    sb_rules_decide(&rs, in, NULL, NULL, &d);
    return d;
}

/* A classify rule named "hit" with these conditions setting complaint/overcharge. */
static void one_condition(const char *conditions)
{
    char buf[2048];
    snprintf(buf, sizeof(buf),
             "[{\"name\":\"hit\",\"stage\":\"classify\",\"conditions\":%s,"
             "\"actions\":{\"category\":\"complaint\",\"subtopic\":\"overcharge\"}}]",
             conditions);
    compile(buf);
}

/* 1 when the rule "hit" decided the category for this input. */
static int hits(const sb_rule_input *in)
{
    sb_decision d = decide(in);
    return strcmp(d.category, "complaint") == 0 && strcmp(d.source, "rules") == 0;
}

Test(rules, channel_and_tier)
{
    one_condition("{\"channel\":[\"wechat\",\"phone\"],\"tier\":[\"vip\"]}");
    sb_rule_input in = input("anything");
    cr_expect(!hits(&in), "web is not in the list");
    in.channel = "wechat";
    cr_expect(!hits(&in), "regular is not vip");
    in.tier = "vip";
    cr_expect(hits(&in));
}

Test(rules, ivr_prefix_matches_whole_steps)
{
    one_condition("{\"ivr_path_prefix\":\"2>1\"}");
    sb_rule_input in = input("");
    const char *yes[] = {"2>1", "2>1>4", "2>1 投诉/物流"};
    const char *no[] = {"", "2", "2>11", "21>1", "1>2>1"};
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        in.ivr_path = yes[i];
        cr_expect(hits(&in), "%s", yes[i]);
    }
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
        in.ivr_path = no[i];
        cr_expect(!hits(&in), "%s", no[i]);
    }
    in.ivr_path = NULL;
    cr_expect(!hits(&in), "no path at all");
}

Test(rules, keywords_any_is_case_insensitive_in_english_and_chinese)
{
    one_condition("{\"keywords_any\":[\"Charged Twice\",\"多扣\"]}");
    sb_rule_input in = input("I was CHARGED twice!");
    cr_expect(hits(&in));
    in.text = "这个月被多扣了一百元";
    cr_expect(hits(&in));
    in.text = "charged once";
    cr_expect(!hits(&in));
    in.text = NULL;
    cr_expect(!hits(&in), "no text matches no keyword");
}

Test(rules, keywords_all_needs_every_keyword)
{
    one_condition("{\"keywords_all\":[\"refund\",\"退款\"]}");
    sb_rule_input in = input("refund please");
    cr_expect(!hits(&in));
    in.text = "REFUND 退款";
    cr_expect(hits(&in));
}

Test(rules, keywords_in_a_long_text)
{
    one_condition("{\"keywords_any\":[\"needle\"]}");
    static char text[20000];
    memset(text, 'x', sizeof(text) - 1);
    memcpy(text + sizeof(text) - 8, "NEEDLE!", 7);
    sb_rule_input in = input(text);
    cr_expect(hits(&in), "the keyword at the end of a 20 kB text");
    in.text = "short needle";
    cr_expect(hits(&in), "the buffer is reused for a short one after");
}

Test(rules, regex_is_caseless_and_utf8)
{
    one_condition("{\"regex\":\"\\\\b(late|overdue)\\\\b|还没.{0,3}到\"}");
    sb_rule_input in = input("My parcel is LATE");
    cr_expect(hits(&in));
    in.text = "chocolate";
    cr_expect(!hits(&in), "word boundary");
    in.text = "快递还没送到";
    cr_expect(hits(&in), "a Chinese pattern, . is a character");
    in.text = "bad \xff\xfe bytes late";
    cr_expect(hits(&in), "invalid UTF-8 in the text is no error");
}

Test(rules, catastrophic_regex_gives_up_as_no_match)
{
    one_condition("{\"regex\":\"^(a+)+$\"}");
    static char text[5000];
    memset(text, 'a', sizeof(text) - 2);
    text[sizeof(text) - 2] = 'b';
    sb_rule_input in = input(text);
    cr_expect(!hits(&in), "the match limit stops the backtracking");
    in.text = "aaaa";
    cr_expect(hits(&in), "and the set still works after");
}

Test(rules, order_value_bounds)
{
    one_condition("{\"order_value_min\":100,\"order_value_max\":500.5}");
    sb_rule_input in = input("");
    cr_expect(!hits(&in), "unknown order value");
    in.order_value = 99.99;
    cr_expect(!hits(&in));
    in.order_value = 100;
    cr_expect(hits(&in));
    in.order_value = 500.5;
    cr_expect(hits(&in));
    in.order_value = 501;
    cr_expect(!hits(&in));
}

Test(rules, history)
{
    one_condition("{\"history\":{\"tickets_90d_min\":3,\"open_tickets_min\":1}}");
    sb_rule_input in = input("");
    in.tickets_90d = 3;
    cr_expect(!hits(&in), "none open");
    in.open_tickets = 1;
    cr_expect(hits(&in));
    in.tickets_90d = 2;
    cr_expect(!hits(&in));
}

Test(rules, empty_conditions_always_hold)
{
    compile("[{\"name\":\"all\",\"stage\":\"classify\",\"actions\":{\"urgency\":\"low\"}}]");
    sb_rule_input in = input("x");
    sb_decision d = decide(&in);
    cr_expect_str_eq(d.urgency, "low");
    cr_expect_eq(d.nfired, 1);
}

Test(rules, first_wins_per_field)
{
    compile("["
            "{\"name\":\"urgent\",\"stage\":\"classify\",\"conditions\":{\"keywords_any\":[\"urgent\"]},"
            " \"actions\":{\"urgency\":\"high\",\"tags\":[\"urgent\"]}},"
            "{\"name\":\"refund\",\"stage\":\"classify\",\"conditions\":{\"keywords_any\":[\"refund\"]},"
            " \"actions\":{\"category\":\"after-sales\",\"subtopic\":\"refund\",\"urgency\":\"medium\","
            "  \"department\":\"service\",\"tags\":[\"money\",\"urgent\"]}},"
            "{\"name\":\"late\",\"stage\":\"classify\",\"conditions\":{\"keywords_any\":[\"late\"]},"
            " \"actions\":{\"category\":\"complaint\",\"subtopic\":\"logistics-delay\",\"urgency\":\"low\"}}"
            "]");
    sb_rule_input in = input("urgent: refund for the late parcel");
    sb_decision d = decide(&in);
    cr_expect_str_eq(d.urgency, "high", "the first rule's urgency stays");
    cr_expect_str_eq(d.category, "after-sales");
    cr_expect_str_eq(d.subtopic, "refund", "category and sub-topic come together");
    cr_expect_str_eq(d.department, "service", "a rule's department beats the lead department");
    cr_expect_str_eq(d.source, "rules");
    cr_assert_eq(d.nfired, 3, "every matching rule is recorded");
    cr_expect_eq(d.fired[0].set, SB_RULE_SET_URGENCY);
    cr_expect_eq(d.fired[1].set, SB_RULE_SET_CATEGORY | SB_RULE_SET_DEPARTMENT);
    cr_expect_eq(d.fired[2].set, 0, "the last rule found everything decided");
    cr_expect_eq(d.fired[1].position, 1);
    cr_assert_eq(d.ntags, 2, "tags accumulate without repeats");
    cr_expect_str_eq(d.tags[0], "urgent");
    cr_expect_str_eq(d.tags[1], "money");
    cr_expect_eq(d.fired[1].tags, 2, "the refund rule added tags[1] only");
}

Test(rules, priority_stage_runs_after_classify_whatever_the_array_order)
{
    compile("["
            "{\"name\":\"money\",\"stage\":\"priority\",\"conditions\":{\"subtopic\":[\"refund\"]},"
            " \"actions\":{\"priority\":\"P1\"}},"
            "{\"name\":\"vip high\",\"stage\":\"priority\",\"conditions\":{\"tier\":[\"vip\"],"
            "  \"urgency\":[\"high\"],\"category\":[\"after-sales\"]},"
            " \"actions\":{\"priority\":\"P3\",\"tags\":[\"vip\"],\"department\":\"quality\"}},"
            "{\"name\":\"refund\",\"stage\":\"classify\",\"conditions\":{\"keywords_any\":[\"refund\"]},"
            " \"actions\":{\"category\":\"after-sales\",\"subtopic\":\"refund\"}}"
            "]");
    cr_expect_eq(rs.nclassify, 1);
    sb_rule_input in = input("refund");
    in.tier = "vip";
    sb_decision d = decide(&in);
    cr_expect_str_eq(d.urgency, "high", "refund's default urgency, known to the priority stage");
    cr_expect_str_eq(d.priority, "P1", "the first priority rule wins");
    cr_expect_str_eq(d.priority_reason, "money");
    cr_expect_str_eq(d.department, "quality", "a later priority rule may still set the department");
    cr_expect_eq(d.ntags, 1);
    cr_assert_eq(d.nfired, 3);
    cr_expect_str_eq(d.fired[0].name, "refund");
    cr_expect_eq(d.fired[0].stage, SB_RULE_STAGE_CLASSIFY);
    cr_expect_str_eq(d.fired[1].name, "money");
    cr_expect_eq(d.fired[2].set, SB_RULE_SET_DEPARTMENT);
}

Test(rules, a_classify_rule_may_set_priority_first)
{
    compile("[{\"name\":\"hacked\",\"stage\":\"classify\",\"conditions\":{\"keywords_any\":[\"hacked\"]},"
            " \"actions\":{\"priority\":\"P1\"}},"
            "{\"name\":\"p3\",\"stage\":\"priority\",\"actions\":{\"priority\":\"P3\"}}]");
    sb_rule_input in = input("I was hacked");
    sb_decision d = decide(&in);
    cr_expect_str_eq(d.priority, "P1");
    cr_expect_str_eq(d.priority_reason, "hacked");
}

Test(rules, defaults_without_rules)
{
    compile("[]");
    sb_rule_input in = input("hello");
    sb_decision d = decide(&in);
    cr_expect_str_eq(d.category, "other");
    cr_expect_str_eq(d.subtopic, "general");
    cr_expect_str_eq(d.urgency, "low", "general's default urgency");
    cr_expect_str_eq(d.priority, "P2");
    cr_expect_str_eq(d.priority_reason, "default");
    cr_expect_str_eq(d.department, "service", "other's lead department");
    cr_expect_str_eq(d.source, "default");
    cr_expect_eq(d.nfired, 0);
}

Test(rules, hints_decide_when_no_rule_did)
{
    compile("[{\"name\":\"refund\",\"stage\":\"classify\",\"conditions\":{\"keywords_any\":[\"refund\"]},"
            " \"actions\":{\"category\":\"after-sales\",\"subtopic\":\"refund\"}}]");
    json_t *hints = json_pack("{s:s, s:s}", "category", "complaint", "urgency", "low");
    sb_rule_input in = input("卖家不回消息");
    in.hints = hints;
    sb_decision d = decide(&in);
    cr_expect_str_eq(d.category, "complaint");
    cr_expect_str_eq(d.subtopic, "service-quality", "the category's default sub-topic");
    cr_expect_str_eq(d.urgency, "low", "the hint's urgency beats the sub-topic's default");
    cr_expect_str_eq(d.source, "hint");
    cr_expect_str_eq(d.department, "quality");

    json_object_set_new(hints, "subtopic", json_string("logistics-delay"));
    d = decide(&in);
    cr_expect_str_eq(d.subtopic, "logistics-delay", "a sub-topic hint of that category");
    json_object_set_new(hints, "subtopic", json_string("refund"));
    d = decide(&in);
    cr_expect_str_eq(d.subtopic, "service-quality", "not a sub-topic of complaint: ignored");

    in.text = "refund";
    d = decide(&in);
    cr_expect_str_eq(d.category, "after-sales", "a rule beats the hint");
    cr_expect_str_eq(d.source, "rules");
    cr_expect_str_eq(d.urgency, "low", "the urgency hint still fills what no rule set");

    json_object_set_new(hints, "category", json_string("billing"));
    json_object_set_new(hints, "urgency", json_string("very"));
    in.text = "x";
    d = decide(&in);
    cr_expect_str_eq(d.category, "other", "an unknown hint is ignored");
    cr_expect_str_eq(d.source, "default");
    json_decref(hints);
}

/* A classifier stand-in: its answer comes from ctx ("category/subtopic/source"). */
static int fallback_calls;
static void fake_classifier(void *ctx, const sb_rule_input *in, sb_decision *d)
{
    (void)in;
    const char *const *answer = ctx;
    fallback_calls++;
    snprintf(d->category, sizeof(d->category), "%s", answer[0]);
    snprintf(d->subtopic, sizeof(d->subtopic), "%s", answer[1]);
    snprintf(d->source, sizeof(d->source), "%s", answer[2]);
    snprintf(d->model_label, sizeof(d->model_label), "%s/%s", answer[0], answer[1]);
    d->model_version = 4;
    d->confidence = 0.875;
}

Test(rules, fallback_only_when_the_category_is_open)
{
    compile("[{\"name\":\"refund\",\"stage\":\"classify\",\"conditions\":{\"keywords_any\":[\"refund\"]},"
            " \"actions\":{\"category\":\"after-sales\",\"subtopic\":\"refund\"}}]");
    const char *answer[] = {"suggestion", "app-experience", "classifier"};
    sb_rule_input in = input("refund");
    sb_decision d;
    fallback_calls = 0;
    sb_rules_decide(&rs, &in, fake_classifier, answer, &d);
    cr_expect_eq(fallback_calls, 0, "a rule decided");
    in.text = "dark mode please";
    sb_rules_decide(&rs, &in, fake_classifier, answer, &d);
    cr_expect_eq(fallback_calls, 1);
    cr_expect_str_eq(d.category, "suggestion");
    cr_expect_str_eq(d.subtopic, "app-experience");
    cr_expect_str_eq(d.urgency, "low");
    cr_expect_str_eq(d.department, "product");

    json_t *e = sb_decision_explain(&d);
    json_t *c = json_object_get(e, "classifier");
    cr_assert(json_is_object(c), "the classifier is explained");
    cr_expect_eq(json_integer_value(json_object_get(c, "model")), 4);
    cr_expect_str_eq(json_string_value(json_object_get(c, "label")), "suggestion/app-experience");
    cr_expect_float_eq(json_real_value(json_object_get(c, "confidence")), 0.875, 1e-9);
    json_decref(e);

    const char *unsure[] = {"other", "unclassified", "triage"};
    sb_rules_decide(&rs, &in, fake_classifier, unsure, &d);
    cr_expect_str_eq(d.department, "triage", "an unsure classifier sends it to the triage desk");
    cr_expect_str_eq(d.urgency, "medium");

    const char *bogus[] = {"billing", "x", "classifier"};
    sb_rules_decide(&rs, &in, fake_classifier, bogus, &d);
    cr_expect_str_eq(d.category, "other", "an answer outside the taxonomy is not used");
    cr_expect_str_eq(d.subtopic, "general");
    const char *half[] = {"complaint", "refund", "classifier"};
    sb_rules_decide(&rs, &in, fake_classifier, half, &d);
    cr_expect_str_eq(d.category, "complaint");
    cr_expect_str_eq(d.subtopic, "service-quality", "a sub-topic of another category is not");
}

Test(rules, tags_stop_at_the_limit)
{
    compile("[{\"name\":\"a\",\"stage\":\"classify\",\"actions\":{\"tags\":[\"1\",\"2\",\"3\",\"4\",\"5\"]}},"
            " {\"name\":\"b\",\"stage\":\"priority\",\"actions\":{\"tags\":[\"5\",\"6\",\"7\",\"8\",\"9\"]}}]");
    sb_rule_input in = input("");
    sb_decision d = decide(&in);
    cr_expect_eq(d.ntags, SB_RULES_MAX_TAGS);
    cr_expect_str_eq(d.tags[7], "8");
    cr_expect_eq(d.fired[1].tags, 0xe0, "b added 6, 7, 8 at 5..7");
}

Test(rules, fired_rules_beyond_the_limit_are_counted)
{
    char buf[8192] = "[";
    for (int i = 0; i < 20; i++)
        snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf),
                 "%s{\"name\":\"r%d\",\"stage\":\"classify\",\"actions\":{\"tags\":[\"t\"]}}",
                 i ? "," : "", i);
    strcat(buf, "]");
    compile(buf);
    sb_rule_input in = input("");
    sb_decision d = decide(&in);
    cr_expect_eq(d.nfired, SB_RULES_MAX_FIRED);
    cr_expect_eq(d.fired_omitted, 4);
    json_t *e = sb_decision_explain(&d);
    cr_expect_eq(json_integer_value(json_object_get(e, "rules_omitted")), 4);
    json_decref(e);
}

Test(rules, explanation_names_what_each_rule_set)
{
    compile("[{\"name\":\"overcharge\",\"stage\":\"classify\",\"conditions\":{\"keywords_any\":[\"twice\"]},"
            " \"actions\":{\"category\":\"complaint\",\"subtopic\":\"overcharge\",\"urgency\":\"high\"}},"
            " {\"name\":\"money\",\"stage\":\"priority\",\"conditions\":{\"subtopic\":[\"overcharge\"]},"
            " \"actions\":{\"priority\":\"P1\",\"tags\":[\"money\"]}}]");
    rs.version = 7;
    sb_rule_input in = input("charged twice");
    sb_decision d = decide(&in);
    json_t *e = sb_decision_explain(&d);
    json_t *want = json_loads(
        "{\"source\":\"rules\",\"rule_set\":7,\"rules\":["
        "{\"name\":\"overcharge\",\"stage\":\"classify\",\"set\":{\"category\":\"complaint\","
        "\"subtopic\":\"overcharge\",\"urgency\":\"high\"}},"
        "{\"name\":\"money\",\"stage\":\"priority\",\"set\":{\"priority\":\"P1\",\"tags\":[\"money\"]}}],"
        "\"priority_reason\":\"money\",\"tags\":[\"money\"]}", 0, NULL);
    char *got = json_dumps(e, JSON_SORT_KEYS);
    cr_expect(json_equal(e, want), "explanation: %s", got);
    free(got);
    cr_expect_null(json_object_get(e, "classifier"), "no model decided");
    json_decref(want);
    json_decref(e);
}

/* The parser refuses bad input with the field that is wrong. */
typedef struct bad_case {
    const char *rules;
    const char *field;
    const char *code;
} bad_case;

Test(rules, parser_errors_name_the_field)
{
    static const bad_case cases[] = {
        {"{}", "rules", "invalid_field"},
        {"[3]", "rules[0]", "invalid_field"},
        {"[{\"stage\":\"classify\",\"actions\":{\"urgency\":\"low\"}}]", "rules[0].name", "missing_field"},
        {"[{\"name\":\"\",\"stage\":\"classify\",\"actions\":{\"urgency\":\"low\"}}]", "rules[0].name", "invalid_field"},
        {"[{\"name\":\"a\",\"actions\":{\"urgency\":\"low\"}}]", "rules[0].stage", "missing_field"},
        {"[{\"name\":\"a\",\"stage\":\"later\",\"actions\":{\"urgency\":\"low\"}}]", "rules[0].stage", "invalid_field"},
        {"[{\"name\":\"a\",\"stage\":\"classify\",\"actions\":{\"urgency\":\"low\"},\"colour\":1}]", "rules[0].colour", "unknown_field"},
        {"[{\"name\":\"a\",\"stage\":\"classify\"}]", "rules[0].actions", "missing_field"},
        {"[{\"name\":\"a\",\"stage\":\"classify\",\"actions\":{}}]", "rules[0].actions", "missing_field"},
        {"[{\"name\":\"a\",\"stage\":\"classify\",\"actions\":{\"urgency\":\"low\"}},"
         " {\"name\":\"a\",\"stage\":\"classify\",\"actions\":{\"urgency\":\"low\"}}]", "rules[1].name", "invalid_field"},
        {"[{\"name\":\"a\",\"stage\":\"classify\",\"actions\":{\"urgency\":\"low\"}},"
         " {\"name\":\"b\",\"stage\":\"classify\",\"conditions\":{\"regex\":\"(a\"},\"actions\":{\"urgency\":\"low\"}}]",
         "rules[1].conditions.regex", "invalid_regex"},
        {"[{\"name\":\"a\",\"stage\":\"classify\",\"conditions\":{\"regex\":\"\"},\"actions\":{\"urgency\":\"low\"}}]",
         "rules[0].conditions.regex", "invalid_field"},
        {"[{\"name\":\"a\",\"stage\":\"classify\",\"conditions\":{\"channel\":[\"fax\"]},\"actions\":{\"urgency\":\"low\"}}]",
         "rules[0].conditions.channel[0]", "invalid_field"},
        {"[{\"name\":\"a\",\"stage\":\"classify\",\"conditions\":{\"channel\":[]},\"actions\":{\"urgency\":\"low\"}}]",
         "rules[0].conditions.channel", "invalid_field"},
        {"[{\"name\":\"a\",\"stage\":\"classify\",\"conditions\":{\"tier\":\"vip\"},\"actions\":{\"urgency\":\"low\"}}]",
         "rules[0].conditions.tier", "invalid_field"},
        {"[{\"name\":\"a\",\"stage\":\"classify\",\"conditions\":{\"keywords_any\":[\"ok\",7]},\"actions\":{\"urgency\":\"low\"}}]",
         "rules[0].conditions.keywords_any[1]", "invalid_field"},
        {"[{\"name\":\"a\",\"stage\":\"classify\",\"conditions\":{\"keywords_all\":[\"  \"]},\"actions\":{\"urgency\":\"low\"}}]",
         "rules[0].conditions.keywords_all[0]", "invalid_field"},
        {"[{\"name\":\"a\",\"stage\":\"classify\",\"conditions\":{\"ivr_path_prefix\":\"2>>1\"},\"actions\":{\"urgency\":\"low\"}}]",
         "rules[0].conditions.ivr_path_prefix", "invalid_field"},
        {"[{\"name\":\"a\",\"stage\":\"classify\",\"conditions\":{\"order_value_min\":\"5\"},\"actions\":{\"urgency\":\"low\"}}]",
         "rules[0].conditions.order_value_min", "invalid_field"},
        {"[{\"name\":\"a\",\"stage\":\"classify\",\"conditions\":{\"order_value_min\":9,\"order_value_max\":5},\"actions\":{\"urgency\":\"low\"}}]",
         "rules[0].conditions.order_value_max", "invalid_field"},
        {"[{\"name\":\"a\",\"stage\":\"classify\",\"conditions\":{\"history\":{\"tickets_90d_min\":-1}},\"actions\":{\"urgency\":\"low\"}}]",
         "rules[0].conditions.history.tickets_90d_min", "invalid_field"},
        {"[{\"name\":\"a\",\"stage\":\"classify\",\"conditions\":{\"history\":{\"ever\":1}},\"actions\":{\"urgency\":\"low\"}}]",
         "rules[0].conditions.history.ever", "unknown_field"},
        {"[{\"name\":\"a\",\"stage\":\"classify\",\"conditions\":{\"category\":[\"complaint\"]},\"actions\":{\"urgency\":\"low\"}}]",
         "rules[0].conditions.category", "invalid_field"},
        {"[{\"name\":\"a\",\"stage\":\"priority\",\"conditions\":{\"subtopic\":[\"nope\"]},\"actions\":{\"priority\":\"P1\"}}]",
         "rules[0].conditions.subtopic[0]", "invalid_field"},
        {"[{\"name\":\"a\",\"stage\":\"classify\",\"conditions\":{\"when\":1},\"actions\":{\"urgency\":\"low\"}}]",
         "rules[0].conditions.when", "unknown_field"},
        {"[{\"name\":\"a\",\"stage\":\"classify\",\"actions\":{\"category\":\"complaint\"}}]",
         "rules[0].actions.subtopic", "missing_field"},
        {"[{\"name\":\"a\",\"stage\":\"classify\",\"actions\":{\"subtopic\":\"refund\"}}]",
         "rules[0].actions.category", "missing_field"},
        {"[{\"name\":\"a\",\"stage\":\"classify\",\"actions\":{\"category\":\"complaint\",\"subtopic\":\"refund\"}}]",
         "rules[0].actions.subtopic", "invalid_field"},
        {"[{\"name\":\"a\",\"stage\":\"classify\",\"actions\":{\"category\":\"billing\",\"subtopic\":\"refund\"}}]",
         "rules[0].actions.category", "invalid_field"},
        {"[{\"name\":\"a\",\"stage\":\"classify\",\"actions\":{\"urgency\":\"urgent\"}}]",
         "rules[0].actions.urgency", "invalid_field"},
        {"[{\"name\":\"a\",\"stage\":\"classify\",\"actions\":{\"priority\":\"P4\"}}]",
         "rules[0].actions.priority", "invalid_field"},
        {"[{\"name\":\"a\",\"stage\":\"classify\",\"actions\":{\"department\":\"finance\"}}]",
         "rules[0].actions.department", "invalid_field"},
        {"[{\"name\":\"a\",\"stage\":\"classify\",\"actions\":{\"tags\":[\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\",\"9\"]}}]",
         "rules[0].actions.tags", "too_many_items"},
        {"[{\"name\":\"a\",\"stage\":\"priority\",\"actions\":{\"urgency\":\"low\"}}]",
         "rules[0].actions.urgency", "invalid_field"},
        {"[{\"name\":\"a\",\"stage\":\"classify\",\"actions\":{\"escalate\":true}}]",
         "rules[0].actions.escalate", "unknown_field"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *rules = json_loads(cases[i].rules, 0, NULL);
        cr_assert_not_null(rules, "case %zu is JSON", i);
        sb_error err;
        sb_ruleset bad;
        cr_expect_eq(sb_rules_parse(rules, &tax, &bad, &err), -1, "case %zu accepted", i);
        cr_expect_eq(err.status, 400, "case %zu", i);
        cr_expect_str_eq(err.field, cases[i].field, "case %zu: %s", i, err.message);
        cr_expect_str_eq(err.code, cases[i].code, "case %zu: %s", i, err.message);
        cr_expect_null(bad.rules, "case %zu: nothing is left allocated", i);
        json_decref(rules);
    }
}

Test(rules, too_many_rules)
{
    json_t *rules = json_array();
    for (int i = 0; i <= SB_RULES_MAX_RULES; i++)
        json_array_append_new(rules, json_object());
    sb_error err;
    sb_ruleset bad;
    cr_expect_eq(sb_rules_parse(rules, &tax, &bad, &err), -1);
    cr_expect_str_eq(err.field, "rules");
    cr_expect_str_eq(err.code, "too_many_items");
    json_decref(rules);
}
