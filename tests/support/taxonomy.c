/* taxonomy.c - the seeded taxonomy in memory (mirrors deploy/sql 002, 004 and 007). */
#include "taxonomy.h"

#include <string.h>

int sb_test_taxonomy(sb_taxonomy *t)
{
    static const char *const categories[][3] = {
        {"consultation", "presales", "product-feature"}, {"complaint", "quality", "service-quality"},
        {"suggestion", "product", "product-idea"},       {"after-sales", "after-sales", "return-exchange"},
        {"other", "service", "general"},
    };
    static const char *const subtopics[][3] = {
        {"consultation", "product-feature", "low"},   {"consultation", "pricing-promotion", "low"},
        {"consultation", "order-status", "medium"},   {"consultation", "delivery-policy", "low"},
        {"consultation", "membership", "low"},        {"complaint", "logistics-delay", "medium"},
        {"complaint", "service-quality", "high"},     {"complaint", "product-quality", "medium"},
        {"complaint", "account-safety", "high"},      {"complaint", "overcharge", "high"},
        {"suggestion", "product-idea", "low"},        {"suggestion", "service-improvement", "low"},
        {"suggestion", "app-experience", "low"},      {"after-sales", "refund", "high"},
        {"after-sales", "return-exchange", "medium"}, {"after-sales", "repair", "medium"},
        {"after-sales", "warranty", "medium"},        {"after-sales", "invoice", "low"},
        {"other", "general", "low"},                  {"other", "business-cooperation", "low"},
        {"other", "unclassified", "medium"},
    };
    static const char *const departments[] = {"presales", "service", "after-sales", "quality",
                                              "product", "triage"};
    memset(t, 0, sizeof(*t));
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < sizeof(categories) / sizeof(categories[0]); i++)
        rc = sb_taxonomy_add_category(t, categories[i][0], categories[i][1], categories[i][2]);
    for (size_t i = 0; rc == 0 && i < sizeof(subtopics) / sizeof(subtopics[0]); i++)
        rc = sb_taxonomy_add_subtopic(t, subtopics[i][0], subtopics[i][1], subtopics[i][2]);
    for (size_t i = 0; rc == 0 && i < sizeof(departments) / sizeof(departments[0]); i++)
        rc = sb_taxonomy_add_department(t, departments[i]);
    if (rc != 0)
        sb_taxonomy_free(t);
    return rc;
}
