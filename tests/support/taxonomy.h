/* taxonomy.h - the seeded taxonomy (categories, sub-topics, departments) built in memory, for
 * tests and fuzzing of the rule engine without a database. */
#ifndef SB_TEST_TAXONOMY_H
#define SB_TEST_TAXONOMY_H

#include "common/rules.h"

/* Fills t (zeroed first) with what 002/004/007 seed. 0 or -1. Free with sb_taxonomy_free. */
int sb_test_taxonomy(sb_taxonomy *t);

#endif
