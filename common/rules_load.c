/* rules_load.c - rule sets and the taxonomy they are checked against, read from PostgreSQL. */
#include "common/rules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

/* The rules of one version as the JSON array the API speaks, built by PostgreSQL. */
static const char rules_json_sql[] =
    "SELECT coalesce(json_agg(json_build_object('name', name, 'stage', stage,"
    "                         'conditions', conditions, 'actions', actions) ORDER BY position),"
    "                '[]'::json)::text"
    " FROM rule_set_rules WHERE version = $1";

int sb_taxonomy_load(sb_pg *pg, sb_taxonomy *out)
{
    memset(out, 0, sizeof(*out));
    PGresult *c = sb_pg_query(pg, "SELECT id, department_id, coalesce(default_subtopic, '')"
                                  " FROM categories ORDER BY id", 0, NULL);
    PGresult *s = c ? sb_pg_query(pg, "SELECT category, id, default_urgency FROM subtopics"
                                      " ORDER BY category, id", 0, NULL) : NULL;
    PGresult *d = s ? sb_pg_query(pg, "SELECT id FROM departments ORDER BY id", 0, NULL) : NULL;
    int rc = d ? 0 : -1;
    for (int i = 0; rc == 0 && i < PQntuples(c); i++)
        rc = sb_taxonomy_add_category(out, PQgetvalue(c, i, 0), PQgetvalue(c, i, 1),
                                      PQgetvalue(c, i, 2));
    for (int i = 0; rc == 0 && i < PQntuples(s); i++)
        rc = sb_taxonomy_add_subtopic(out, PQgetvalue(s, i, 0), PQgetvalue(s, i, 1),
                                      PQgetvalue(s, i, 2));
    for (int i = 0; rc == 0 && i < PQntuples(d); i++)
        rc = sb_taxonomy_add_department(out, PQgetvalue(d, i, 0));
    PQclear(c);
    PQclear(s);
    PQclear(d);
    if (rc != 0) {
        sb_error("taxonomy_load", "cannot read categories, subtopics and departments");
        sb_taxonomy_free(out);
    }
    return rc;
}

int sb_rules_active_version(sb_pg *pg, int *version)
{
    PGresult *res = sb_pg_query(pg, "SELECT version FROM rule_sets WHERE status = 'active'", 0,
                                NULL);
    if (!res)
        return -1;
    *version = PQntuples(res) == 1 ? atoi(PQgetvalue(res, 0, 0)) : 0;
    PQclear(res);
    return 0;
}

json_t *sb_rules_fetch_json(sb_pg *pg, int version)
{
    char v[16];
    snprintf(v, sizeof(v), "%d", version);
    const char *p[] = {v};
    PGresult *res = sb_pg_query(pg, rules_json_sql, 1, p);
    if (!res)
        return NULL;
    json_t *rules = PQntuples(res) == 1 ? json_loads(PQgetvalue(res, 0, 0), 0, NULL) : NULL;
    PQclear(res);
    return rules;
}

/* Version's stored rules, compiled against the current taxonomy. 0 or -1 (logged). */
static int load_version(sb_pg *pg, int version, sb_ruleset *out)
{
    memset(out, 0, sizeof(*out));
    sb_taxonomy tax;
    if (sb_taxonomy_load(pg, &tax) != 0)
        return -1;
    json_t *rules = sb_rules_fetch_json(pg, version);
    sb_error err;
    int rc = rules ? sb_rules_parse(rules, &tax, out, &err) : -1;
    if (rules && rc != 0)
        sb_error("rules_invalid", "rule set %d no longer loads: %s", version, err.message);
    json_decref(rules);
    sb_taxonomy_free(&tax);
    if (rc == 0) {
        out->version = version;
        sb_info("rules_loaded", "rule set %d: %zu classify and %zu priority rules", version,
                out->nclassify, out->nrules - out->nclassify);
    }
    return rc;
}

int sb_rules_load_version(sb_pg *pg, int version, sb_ruleset *out)
{
    char v[16];
    snprintf(v, sizeof(v), "%d", version);
    const char *p[] = {v};
    PGresult *res = sb_pg_query(pg, "SELECT 1 FROM rule_sets WHERE version = $1", 1, p);
    int found = res && PQntuples(res) == 1;
    PQclear(res);
    if (!found) {
        memset(out, 0, sizeof(*out));
        if (res)
            sb_error("rules_missing", "there is no rule set %d", version);
        return -1;
    }
    return load_version(pg, version, out);
}

int sb_rules_load_active(sb_pg *pg, sb_ruleset *out)
{
    int version = 0;
    memset(out, 0, sizeof(*out));
    if (sb_rules_active_version(pg, &version) != 0)
        return -1;
    if (version > 0)
        return load_version(pg, version, out);
    /* No active set: decide with the taxonomy alone (every field takes its default). */
    sb_taxonomy tax;
    if (sb_taxonomy_load(pg, &tax) != 0)
        return -1;
    json_t *none = json_array();
    sb_error err;
    int rc = sb_rules_parse(none, &tax, out, &err);
    json_decref(none);
    sb_taxonomy_free(&tax);
    if (rc == 0)
        sb_warn("rules_none_active", "no rule set is active: every ticket takes the defaults");
    return rc;
}
