/* fuzz_rules.c - rule sets as admins POST them, through sb_rules_parse, then every compiled set
 * through sb_rules_decide and sb_decision_explain: errors name a field, decisions stay inside the
 * taxonomy, nothing leaks, no pattern hangs. */
#define FUZZ_NAME "fuzz_rules"
#include "fuzz.h"

#include "common/json.h"
#include "common/rules.h"
#include "taxonomy.h"

static sb_taxonomy tax;

/* A decision is complete and inside the taxonomy, and its explanation encodes. */
static void check_decision(const sb_decision *d)
{
    static const char *const urg[] = {"high", "medium", "low", NULL};
    static const char *const pri[] = {"P1", "P2", "P3", NULL};
    int sub_ok = 0;
    for (size_t i = 0; i < tax.nsubtopics; i++)
        sub_ok |= !strcmp(tax.subtopics[i].category, d->category) &&
                  !strcmp(tax.subtopics[i].id, d->subtopic);
    CHECK(sub_ok, "%s/%s is not in the taxonomy", d->category, d->subtopic);
    CHECK(sb_json_one_of(d->urgency, urg), "urgency '%s'", d->urgency);
    CHECK(sb_json_one_of(d->priority, pri), "priority '%s'", d->priority);
    CHECK(d->department[0] && d->source[0] && d->priority_reason[0], "a field left empty");
    CHECK(d->nfired >= 0 && d->nfired <= SB_RULES_MAX_FIRED, "nfired %d", d->nfired);
    CHECK(d->ntags >= 0 && d->ntags <= SB_RULES_MAX_TAGS, "ntags %d", d->ntags);
    json_t *e = sb_decision_explain(d);
    CHECK(e && json_array_size(json_object_get(e, "rules")) == (size_t)d->nfired,
          "explanation does not list the fired rules");
    char *s = json_dumps(e, JSON_COMPACT);
    CHECK(s, "explanation does not encode");
    free(s);
    json_decref(e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!tax.ncategories && sb_test_taxonomy(&tax) != 0)
        abort();
    json_t *v = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    if (!v)
        return 0;
    json_t *rules = json_is_object(v) ? json_object_get(v, "rules") : v;
    sb_ruleset rs;
    sb_error err;
    int rc = sb_rules_parse(rules, &tax, &rs, &err);
    if (rc != 0) {
        CHECK(rc == -1 && err.status == 400 && err.code[0] && err.message[0], "bad error %d %s",
              err.status, err.code);
        CHECK(strncmp(err.field, "rules", 5) == 0, "error names '%s'", err.field);
        CHECK(rs.rules == NULL && rs.mem == NULL && rs.nrules == 0, "failure left a set");
        json_decref(v);
        return 0;
    }
    CHECK(err.status == 0, "success with an error");
    CHECK(rs.nrules == json_array_size(rules) && rs.nclassify <= rs.nrules, "rule count");

    /* The input itself as the message (it holds the rules' own keywords), then fixed ones. */
    char *text = malloc(size + 1);
    CHECK(text, "out of memory");
    memcpy(text, data, size);
    text[size] = '\0';
    json_t *hints = json_pack("{s:s, s:s}", "category", "complaint", "urgency", "high");
    const sb_rule_input inputs[] = {
        {text, "web", "regular", "", -1, 0, 0, NULL},
        {"我的账号被盗了 refund CHARGED TWICE 退款", "wechat", "vip", "2>1 投诉/物流", 5000, 3, 1, hints},
        {"", "phone", "new", "2", 0, 0, 0, NULL},
        {"\xff\xfe broken \xe4\xbd", "email", "vip", "3>1", 1e9, 100, 100, hints},
    };
    for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
        sb_decision d;
        sb_rules_decide(&rs, &inputs[i], NULL, NULL, &d);
        check_decision(&d);
    }
    json_decref(hints);
    free(text);
    sb_rules_free(&rs);
    CHECK(rs.rules == NULL && rs.mem == NULL, "free left something");
    json_decref(v);
    return 0;
}
