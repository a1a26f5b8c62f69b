/* fuzz.h - what every libFuzzer harness shares: CHECK, which turns a violated property into a
 * crash libFuzzer reports with its input, and the input as a C string. A harness defines
 * FUZZ_NAME (how its messages start) before including this. */
#ifndef SB_FUZZ_H
#define SB_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef FUZZ_NAME
#error "define FUZZ_NAME before including tests/fuzz/fuzz.h"
#endif

/* A violated property: print why and abort, which libFuzzer reports as a crash with the input. */
#define CHECK(cond, ...)                                                                        \
    do {                                                                                        \
        if (!(cond)) {                                                                          \
            fprintf(stderr, FUZZ_NAME ": property failed: %s: ", #cond);                        \
            fprintf(stderr, __VA_ARGS__);                                                       \
            fputc('\n', stderr);                                                                \
            abort();                                                                            \
        }                                                                                       \
    } while (0)

/* The input as a NUL-terminated copy, as services meet such input (URL path tails, string
 * members); caller frees. NULL when memory ran out: the harness skips the input. */
static inline char *fuzz_cstring(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (s) {
        memcpy(s, data, size);
        s[size] = '\0';
    }
    return s;
}

#endif
