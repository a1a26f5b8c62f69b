/* test_kafka_partition.c - sb_kafka_partition_of agrees with librdkafka's own partitioner, so a
 * consumer can tell which ticket ids its partitions hold. */
#include <criterion/criterion.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <string.h>

#include "common/ids.h"
#include "common/kafka.h"

Test(kafka_partition, matches_librdkafka_consistent_partitioner)
{
    for (int n = 1; n <= 64; n *= 2) {
        for (int i = 0; i < 500; i++) {
            char key[SB_UUID_STRLEN], name[32];
            snprintf(name, sizeof(name), "ticket-%d", i);
            sb_ids_derived("6f1c2a7e-3b4d-5e6f-8a9b-0c1d2e3f4a5b", name, key);
            int32_t want = rd_kafka_msg_partitioner_consistent(NULL, key, strlen(key), n, NULL,
                                                               NULL);
            cr_assert_eq(sb_kafka_partition_of(key, strlen(key), n), want, "%s of %d", key, n);
        }
    }
    /* The CRC-32 check value: "123456789" -> 0xCBF43926. */
    cr_assert_eq(sb_kafka_partition_of("123456789", 9, 1000), (int32_t)(0xCBF43926u % 1000u));
    cr_assert_eq(sb_kafka_partition_of("", 0, 4), -1);
    cr_assert_eq(sb_kafka_partition_of("k", 1, 0), -1);
}
