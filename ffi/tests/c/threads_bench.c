/*
 * Validations per second on ONE validator from 1, 2 and 4 threads through the C API: the
 * cached validation of valid/all-fingerprint-fields (the other benchmarks' case), at a given
 * time (lv_validator_validate: a what-if, reads the trust state) and at the validator's clock
 * (lv_validator_validate_now with a builder clock: also raises the floor, a write of the state),
 * and, as the baseline of the library before issue 12, the first with every call behind one
 * mutex (how libvalidate serialised calls then). Each thread validates in a loop for SECONDS;
 * the figure is all validations over wall time. A control first: the same threads running a
 * loop that shares nothing, whose scaling is what the machine gives (on a shared machine, less
 * than its core count).
 *
 *   threads_bench VECTORS_JSON [SECONDS]
 *
 * A machine with fewer cores than threads cannot scale past its core count.
 */
#define _POSIX_C_SOURCE 200809L
#include <cJSON.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "validate.h"

#define LIT(s) (s), (sizeof(s) - 1)

static const char *LICENSE;
static int64_t NOW;
static double SECONDS = 2.0;

static int64_t fixed_clock(void *userdata) { return *(const int64_t *)userdata; }

static double monotonic(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static pthread_mutex_t serialise = PTHREAD_MUTEX_INITIALIZER;

enum mode { CONTROL, AT_TIME, AT_CLOCK, SERIALISED };

/* About a validation's worth of arithmetic that touches no shared memory. */
static uint64_t spin(uint64_t x) {
    for (int i = 0; i < 4000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    return x;
}

struct run {
    lv_validator *validator;
    lv_node_facts *facts;
    enum mode mode;
    pthread_barrier_t *start;
    double deadline;
    long count;
    int failed;
    uint64_t sink;
};

static void *worker(void *arg) {
    struct run *r = arg;
    size_t len = strlen(LICENSE);
    pthread_barrier_wait(r->start);
    long n = 0;
    while (1) {
        for (int i = 0; i < 64; i++) {
            lv_verdict *verdict = NULL;
            lv_result rc;
            if (r->mode == CONTROL) {
                r->sink = spin(r->sink + (uint64_t)i);
                continue;
            }
            if (r->mode == AT_CLOCK) {
                rc = lv_validator_validate_now(r->validator, (const uint8_t *)LICENSE, len,
                                               r->facts, &verdict);
            } else if (r->mode == AT_TIME) {
                rc = lv_validator_validate(r->validator, (const uint8_t *)LICENSE, len, r->facts,
                                           NOW, &verdict);
            } else {
                pthread_mutex_lock(&serialise);
                rc = lv_validator_validate(r->validator, (const uint8_t *)LICENSE, len, r->facts,
                                           NOW, &verdict);
                pthread_mutex_unlock(&serialise);
            }
            r->failed |= rc != LV_RESULT_OK;
            lv_verdict_free(verdict);
        }
        n += 64;
        if (monotonic() >= r->deadline) break;
    }
    r->count = n;
    return NULL;
}

/* Validations per second with `threads` threads on `v`. */
static double measure(lv_validator *v, lv_node_facts *f, int threads, enum mode mode) {
    pthread_t t[8];
    struct run runs[8];
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, (unsigned)threads + 1);
    for (int i = 0; i < threads; i++) {
        runs[i] = (struct run){v, f, mode, &start, 0, 0, 0, (uint64_t)i + 1};
    }
    double begin = monotonic();
    for (int i = 0; i < threads; i++) runs[i].deadline = begin + 0.05 + SECONDS;
    for (int i = 0; i < threads; i++) pthread_create(&t[i], NULL, worker, &runs[i]);
    pthread_barrier_wait(&start);
    double t0 = monotonic();
    long total = 0;
    int failed = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(t[i], NULL);
        total += runs[i].count;
        failed |= runs[i].failed;
    }
    double elapsed = monotonic() - t0;
    pthread_barrier_destroy(&start);
    if (failed) {
        fprintf(stderr, "a validation failed\n");
        exit(1);
    }
    return (double)total / elapsed;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s VECTORS_JSON [SECONDS]\n", argv[0]);
        return 2;
    }
    if (argc > 2) SECONDS = atof(argv[2]);
    FILE *file = fopen(argv[1], "rb");
    if (!file) return 2;
    fseek(file, 0, SEEK_END);
    long size = ftell(file);
    fseek(file, 0, SEEK_SET);
    char *text = malloc((size_t)size + 1);
    if (!text || fread(text, 1, (size_t)size, file) != (size_t)size) return 2;
    text[size] = 0;
    fclose(file);
    cJSON *json = cJSON_Parse(text);
    free(text);
    const char *pem = cJSON_GetObjectItemCaseSensitive(
                          cJSON_GetObjectItemCaseSensitive(
                              cJSON_GetObjectItemCaseSensitive(json, "roots"), "root-prod-1"),
                          "pem")
                          ->valuestring;
    const cJSON *v;
    cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(json, "vectors")) {
        if (strcmp(cJSON_GetObjectItemCaseSensitive(v, "name")->valuestring,
                   "valid/all-fingerprint-fields") == 0) {
            LICENSE = cJSON_GetObjectItemCaseSensitive(v, "license")->valuestring;
            NOW = (int64_t)cJSON_GetObjectItemCaseSensitive(v, "now")->valuedouble;
        }
    }
    if (!LICENSE) return 2;

    int64_t clock = NOW;
    lv_validator_builder *b = NULL;
    lv_validator *validator = NULL;
    lv_node_facts *facts = NULL;
    if (lv_validator_builder_new(LV_ENVIRONMENT_PROD, &b) != LV_RESULT_OK ||
        lv_validator_builder_add_root(b, LIT("root-prod-1"), LV_ENVIRONMENT_PROD, pem, strlen(pem),
                                      NULL) != LV_RESULT_OK ||
        lv_validator_builder_set_clock(b, fixed_clock, &clock) != LV_RESULT_OK ||
        lv_validator_builder_build(b, &validator, NULL) != LV_RESULT_OK ||
        lv_node_facts_new(&facts) != LV_RESULT_OK ||
        lv_node_facts_add_address(facts, LIT("10.20.30.40"), NULL) != LV_RESULT_OK ||
        lv_node_facts_set_dns_name(facts, LIT("node1.berlin.acme.example")) != LV_RESULT_OK ||
        lv_node_facts_set_deployment_tag(facts, LIT("blue")) != LV_RESULT_OK) {
        fprintf(stderr, "setup failed\n");
        return 1;
    }
    lv_validator_builder_free(b);

    printf("one validator, %ld online cores, %.1f s per run\n", sysconf(_SC_NPROCESSORS_ONLN),
           SECONDS);
    const int counts[] = {1, 2, 4};
    const char *names[] = {"control: a loop sharing nothing",
                           "lv_validator_validate (at a given time)",
                           "lv_validator_validate_now (at the clock)",
                           "the same, serialised by a mutex (before)"};
    for (int mode = 0; mode < 4; mode++) {
        const char *name = names[mode];
        measure(validator, facts, 1, (enum mode)mode); /* warm the cache */
        double one = 0;
        for (int i = 0; i < 3; i++) {
            double rate = measure(validator, facts, counts[i], (enum mode)mode);
            if (i == 0) one = rate;
            printf("  %-42s %d thread%s %9.0f %s/s  %.2fx of 1 thread\n", name, counts[i],
                   counts[i] == 1 ? " " : "s", rate, mode == CONTROL ? "loops" : "validations",
                   rate / one);
        }
    }
    lv_node_facts_free(facts);
    lv_validator_free(validator);
    cJSON_Delete(json);
    return 0;
}
