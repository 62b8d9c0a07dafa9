/*
 * Tests of the C API's contract (docs/C_API.md), beyond the conformance vectors: NULL
 * arguments, text that is not UTF-8, zero lengths, oversized input, free(NULL), out-parameters
 * written only on success, error_out, versions, result names, the system clock, the clock
 * floor, roots added after first use, the builder (a C clock callback, a fixed nonce seed), the
 * trust state across a restart (export, import: clock rollback, revocation lists, bad bytes),
 * the environment policy on cached chains, and one validator shared by several threads whose
 * calls run at the same time.
 *
 *   api VECTORS_JSON DOCUMENTS_JSON EXPECTED_VERSION
 *
 * EXPECTED_VERSION is the crate version (scripts/test-c.sh passes `cargo pkgid`'s). Prints each
 * failed check and a summary; exits 1 on any failure.
 */
#define _POSIX_C_SOURCE 200809L
#include <cJSON.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "validate.h"

static int checks, failures;

#define CHECK(cond)                                                            \
    do {                                                                       \
        checks++;                                                              \
        if (!(cond)) {                                                         \
            failures++;                                                        \
            fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);    \
        }                                                                      \
    } while (0)

/* A pointer no library call may write: out-parameters start as SENTINEL and must stay so on
 * failure. */
static char sentinel_target;
#define SENTINEL ((void *)&sentinel_target)

#define LIT(s) (s), (sizeof(s) - 1)

static const char NOT_UTF8[] = "\xff\xfe\xc3(";

static bool str_is(lv_str s, const char *want) {
    size_t n = strlen(want);
    return s.data && s.len == n && memcmp(s.data, want, n) == 0 && s.data[n] == 0;
}

static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    if (buf) buf[n] = 0;
    fclose(f);
    return buf;
}

static const cJSON *find(const cJSON *file, const char *name) {
    const cJSON *v;
    cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(file, "vectors")) {
        if (strcmp(cJSON_GetObjectItemCaseSensitive(v, "name")->valuestring, name) == 0) return v;
    }
    fprintf(stderr, "vector %s not found\n", name);
    exit(2);
}

static const char *member(const cJSON *v, const char *name) {
    return cJSON_GetObjectItemCaseSensitive(v, name)->valuestring;
}

/* Fixtures from the vectors. */
static const char *PROD_PEM, *DEV_PEM, *LICENSE, *FP_LICENSE, *HB_LICENSE, *ANSWER, *NONCE,
    *REVOCATION_LIST;
static const char *DEV_LICENSE;      /* a dev chain (valid/dev-chain-prod-validator-opt-in) */
static const char *RL_LICENSE;       /* revocation/revoked-in-newer-list's license */
static const char *RL_REVOKING;      /* its list #2, revoking that license */
static const char *RL_OLDER;         /* list #1 of revocation/revoked (older than #2) */
static const char *RL_OTHER;         /* list #1 of revocation/other-site-revoked (not this site) */
static int64_t NOW, HB_NOW;
static const char *DOC_CML, *DOC_MANIFEST; /* documents.json manifest/valid */
static const char *DOC_ENTRIES[16];        /* documents.json ledger/valid */
static size_t DOC_ENTRIES_LEN;

enum { DAY = 86400 };
static const int64_t T0 = 1767225600; /* 2026-01-01, the vectors' epoch */

/* A host clock for the builder: reads the int64_t userdata points to. */
static int64_t read_clock(void *userdata) { return *(const int64_t *)userdata; }

static const uint8_t SEED[32] = {0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a,
                                 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a,
                                 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a,
                                 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a};

/* A validator of `environment` made by the builder: both roots, the clock `*clock` reads (NULL:
 * the system clock), a fixed nonce seed. */
static lv_validator *built_validator(uint32_t environment, int64_t *clock, bool accept_other) {
    lv_validator_builder *b = NULL;
    lv_validator *v = NULL;
    CHECK(lv_validator_builder_new(environment, &b) == LV_RESULT_OK && b != NULL);
    CHECK(lv_validator_builder_add_root(b, LIT("root-prod-1"), LV_ENVIRONMENT_PROD, PROD_PEM,
                                        strlen(PROD_PEM), NULL) == LV_RESULT_OK);
    CHECK(lv_validator_builder_add_root(b, LIT("root-dev-1"), LV_ENVIRONMENT_DEV, DEV_PEM,
                                        strlen(DEV_PEM), NULL) == LV_RESULT_OK);
    if (clock) CHECK(lv_validator_builder_set_clock(b, read_clock, clock) == LV_RESULT_OK);
    CHECK(lv_validator_builder_set_nonce_seed(b, SEED, sizeof SEED) == LV_RESULT_OK);
    CHECK(lv_validator_builder_accept_other_environment(b, accept_other) == LV_RESULT_OK);
    CHECK(lv_validator_builder_build(b, &v, NULL) == LV_RESULT_OK && v != NULL);
    lv_validator_builder_free(b);
    return v;
}

/* A validation at the validator's clock. */
static lv_result validate_now(lv_validator *v, const char *license, const lv_node_facts *f) {
    lv_verdict *verdict = NULL;
    lv_result rc = lv_validator_validate_now(v, (const uint8_t *)license, strlen(license), f,
                                             &verdict);
    CHECK(verdict != NULL);
    CHECK(lv_verdict_error(verdict) == rc);
    lv_verdict_free(verdict);
    return rc;
}

static int64_t floor_of(const lv_validator *v) {
    int64_t floor = -1;
    CHECK(lv_validator_clock_floor(v, &floor) == LV_RESULT_OK);
    return floor;
}

/* The trust state bytes, malloc'd (the library's buffer is freed at once). */
static uint8_t *export_state(const lv_validator *v, size_t *len_out) {
    uint8_t *state = NULL;
    size_t len = 0;
    lv_error *err = SENTINEL;
    CHECK(lv_validator_export_state(v, &state, &len, &err) == LV_RESULT_OK);
    CHECK(err == SENTINEL && state != NULL && len > 0);
    uint8_t *copy = malloc(len);
    if (copy && state) memcpy(copy, state, len);
    lv_bytes_free(state, len);
    *len_out = len;
    return copy;
}

static lv_result apply_list_now(lv_validator *v, const char *license, const char *list,
                                uint64_t *seq) {
    return lv_validator_apply_revocation_list_now(v, (const uint8_t *)license, strlen(license),
                                                  list, strlen(list), seq, NULL);
}

static lv_validator *prod_validator(void) {
    lv_validator *v = NULL;
    CHECK(lv_validator_new(LV_ENVIRONMENT_PROD, &v) == LV_RESULT_OK && v != NULL);
    CHECK(lv_validator_add_root(v, LIT("root-prod-1"), LV_ENVIRONMENT_PROD, PROD_PEM,
                                strlen(PROD_PEM), NULL) == LV_RESULT_OK);
    return v;
}

static lv_node_facts *facts_berlin(void) {
    lv_node_facts *f = NULL;
    CHECK(lv_node_facts_new(&f) == LV_RESULT_OK && f != NULL);
    CHECK(lv_node_facts_add_address(f, LIT("10.20.30.40"), NULL) == LV_RESULT_OK);
    CHECK(lv_node_facts_set_dns_name(f, LIT("node1.berlin.acme.example")) == LV_RESULT_OK);
    CHECK(lv_node_facts_set_deployment_tag(f, LIT("blue")) == LV_RESULT_OK);
    return f;
}

static lv_result validate_license(lv_validator *v, const char *license, const lv_node_facts *f,
                                  int64_t now) {
    lv_verdict *verdict = NULL;
    lv_result rc = lv_validator_validate(v, (const uint8_t *)license, strlen(license), f, now,
                                         &verdict);
    CHECK(verdict != NULL);
    CHECK(lv_verdict_error(verdict) == rc);
    lv_verdict_free(verdict);
    return rc;
}

static lv_result validate(lv_validator *v, const lv_node_facts *f, int64_t now) {
    return validate_license(v, LICENSE, f, now);
}

static void test_versions(const char *expected) {
    CHECK(strcmp(lv_version(), expected) == 0);
    CHECK(strcmp(LV_VERSION, expected) == 0);
    char composed[64];
    snprintf(composed, sizeof composed, "%d.%d.%d", LV_VERSION_MAJOR, LV_VERSION_MINOR,
             LV_VERSION_PATCH);
    CHECK(strcmp(composed, lv_version()) == 0);
}

static void test_result_names(void) {
    static const struct { lv_result code; unsigned number; const char *name; } table[] = {
        {LV_RESULT_OK, 0, "ok"},
        {LV_RESULT_MALFORMED, 100, "malformed"},
        {LV_RESULT_TOO_LARGE, 101, "too_large"},
        {LV_RESULT_BAD_ENCODING, 102, "bad_encoding"},
        {LV_RESULT_BAD_JWS, 103, "bad_jws"},
        {LV_RESULT_UNSUPPORTED_ALGORITHM, 104, "unsupported_algorithm"},
        {LV_RESULT_WRONG_DOCUMENT_TYPE, 105, "wrong_document_type"},
        {LV_RESULT_UNKNOWN_KEY_ID, 106, "unknown_key_id"},
        {LV_RESULT_BAD_PAYLOAD, 107, "bad_payload"},
        {LV_RESULT_UNSUPPORTED_VERSION, 108, "unsupported_version"},
        {LV_RESULT_BAD_KEY, 109, "bad_key"},
        {LV_RESULT_INVALID_ARGUMENT, 110, "invalid_argument"},
        {LV_RESULT_BAD_STATE, 111, "bad_state"},
        {LV_RESULT_BAD_SIGNATURE, 200, "bad_signature"},
        {LV_RESULT_ENVIRONMENT_MISMATCH, 201, "environment_mismatch"},
        {LV_RESULT_PARENT_MISMATCH, 202, "parent_mismatch"},
        {LV_RESULT_ORG_MISMATCH, 203, "org_mismatch"},
        {LV_RESULT_FEATURE_NOT_IN_CML, 204, "feature_not_in_cml"},
        {LV_RESULT_SIGNER_MISMATCH, 205, "signer_mismatch"},
        {LV_RESULT_NOT_YET_VALID, 300, "not_yet_valid"},
        {LV_RESULT_EXPIRED, 301, "expired"},
        {LV_RESULT_CLOCK_ROLLBACK, 302, "clock_rollback"},
        {LV_RESULT_OFFLINE_TOO_LONG, 303, "offline_too_long"},
        {LV_RESULT_ADDRESS_MISMATCH, 400, "address_mismatch"},
        {LV_RESULT_DNS_MISMATCH, 401, "dns_mismatch"},
        {LV_RESULT_DEPLOYMENT_TAG_MISMATCH, 402, "deployment_tag_mismatch"},
        {LV_RESULT_REVOKED, 403, "revoked"},
        {LV_RESULT_REVOCATION_LIST_STALE, 404, "revocation_list_stale"},
        {LV_RESULT_BINDING_MISMATCH, 405, "binding_mismatch"},
        {LV_RESULT_NONCE_MISMATCH, 406, "nonce_mismatch"},
        {LV_RESULT_LEDGER_BROKEN, 500, "ledger_broken"},
        {LV_RESULT_MANIFEST_INVALID, 501, "manifest_invalid"},
        {LV_RESULT_NULL_PARAMETER, 900, "null_parameter"},
        {LV_RESULT_INVALID_UTF8, 901, "invalid_utf8"},
        {LV_RESULT_PANIC, 902, "panic"},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        CHECK(table[i].code == table[i].number);
        CHECK(strcmp(lv_result_name(table[i].code), table[i].name) == 0);
    }
    CHECK(strcmp(lv_result_name(1), "unknown") == 0);
    CHECK(strcmp(lv_result_name(UINT32_MAX), "unknown") == 0);
}

static void test_free_null(void) {
    lv_validator_free(NULL);
    lv_verdict_free(NULL);
    lv_node_facts_free(NULL);
    lv_heartbeat_free(NULL);
    lv_error_free(NULL);
    lv_validator_builder_free(NULL);
    lv_bytes_free(NULL, 0);
    lv_bytes_free(NULL, 12);
    lv_string_free(NULL);
    lv_cml_free(NULL);
    lv_manifest_free(NULL);
    lv_ledger_free(NULL);
    CHECK(1); /* reaching here is the test */
}

static void test_null_arguments(void) {
    lv_validator *v = prod_validator();
    lv_node_facts *f = facts_berlin();
    const uint8_t *lic = (const uint8_t *)LICENSE;
    size_t lic_len = strlen(LICENSE);

    /* Constructors: a NULL out-parameter. */
    CHECK(lv_validator_new(LV_ENVIRONMENT_PROD, NULL) == LV_RESULT_NULL_PARAMETER);
    CHECK(lv_node_facts_new(NULL) == LV_RESULT_NULL_PARAMETER);

    /* Validator calls: a NULL validator, each NULL input, and error_out carrying it. */
    lv_error *err = SENTINEL;
    CHECK(lv_validator_add_root(NULL, LIT("k"), LV_ENVIRONMENT_PROD, PROD_PEM, strlen(PROD_PEM),
                                &err) == LV_RESULT_NULL_PARAMETER);
    CHECK(err != SENTINEL && lv_error_code(err) == LV_RESULT_NULL_PARAMETER);
    CHECK(str_is(lv_error_message(err), "validator is NULL"));
    lv_error_free(err);
    CHECK(lv_validator_add_root(v, NULL, 1, LV_ENVIRONMENT_PROD, PROD_PEM, strlen(PROD_PEM), NULL) ==
          LV_RESULT_NULL_PARAMETER);
    CHECK(lv_validator_add_root(v, NULL, 0, LV_ENVIRONMENT_PROD, PROD_PEM, strlen(PROD_PEM), NULL) ==
          LV_RESULT_NULL_PARAMETER);
    CHECK(lv_validator_add_root(v, LIT("k"), LV_ENVIRONMENT_PROD, NULL, 10, NULL) ==
          LV_RESULT_NULL_PARAMETER);
    CHECK(lv_validator_accept_other_environment(NULL, true) == LV_RESULT_NULL_PARAMETER);
    CHECK(lv_validator_set_last_seen(NULL, 1, NULL) == LV_RESULT_NULL_PARAMETER);
    int64_t floor = -7;
    CHECK(lv_validator_clock_floor(NULL, &floor) == LV_RESULT_NULL_PARAMETER && floor == -7);
    CHECK(lv_validator_clock_floor(v, NULL) == LV_RESULT_NULL_PARAMETER);

    /* validate: NULL verdict_out writes nothing; otherwise a verdict carries the code. */
    CHECK(lv_validator_validate(v, lic, lic_len, f, NOW, NULL) == LV_RESULT_NULL_PARAMETER);
    lv_verdict *verdict = NULL;
    CHECK(lv_validator_validate(NULL, lic, lic_len, f, NOW, &verdict) == LV_RESULT_NULL_PARAMETER);
    CHECK(verdict != NULL && lv_verdict_error(verdict) == LV_RESULT_NULL_PARAMETER);
    CHECK(lv_verdict_status(verdict) == LV_STATUS_INVALID);
    CHECK(str_is(lv_verdict_error_message(verdict), "validator is NULL"));
    lv_verdict_free(verdict);
    verdict = NULL;
    CHECK(lv_validator_validate(v, NULL, 0, f, NOW, &verdict) == LV_RESULT_NULL_PARAMETER);
    CHECK(str_is(lv_verdict_error_message(verdict), "license is NULL"));
    lv_verdict_free(verdict);

    /* NULL facts means no facts: this license has a fingerprint, so the address fails. */
    CHECK(validate_license(v, FP_LICENSE, NULL, NOW) == LV_RESULT_ADDRESS_MISMATCH);
    CHECK(validate_license(v, FP_LICENSE, f, NOW) == LV_RESULT_OK);
    CHECK(validate(v, f, NOW) == LV_RESULT_OK);

    /* Revocation lists and heartbeats. */
    uint64_t seq = 77;
    CHECK(lv_validator_apply_revocation_list(NULL, lic, lic_len, LIT("x"), NOW, &seq, NULL) ==
          LV_RESULT_NULL_PARAMETER);
    CHECK(lv_validator_apply_revocation_list(v, NULL, lic_len, LIT("x"), NOW, &seq, NULL) ==
          LV_RESULT_NULL_PARAMETER);
    CHECK(lv_validator_apply_revocation_list(v, lic, lic_len, NULL, 1, NOW, &seq, NULL) ==
          LV_RESULT_NULL_PARAMETER);
    CHECK(seq == 77);
    lv_heartbeat *hb = SENTINEL;
    CHECK(lv_validator_verify_heartbeat(v, lic, lic_len, LIT("a"), LIT("n"), NOW, NULL, NULL) ==
          LV_RESULT_NULL_PARAMETER);
    CHECK(lv_validator_verify_heartbeat(v, lic, lic_len, NULL, 1, LIT("n"), NOW, &hb, NULL) ==
          LV_RESULT_NULL_PARAMETER);
    CHECK(lv_validator_verify_heartbeat(v, lic, lic_len, LIT("a"), NULL, 1, NOW, &hb, NULL) ==
          LV_RESULT_NULL_PARAMETER);
    CHECK(lv_validator_verify_heartbeat(NULL, lic, lic_len, LIT("a"), LIT("n"), NOW, &hb, NULL) ==
          LV_RESULT_NULL_PARAMETER);
    CHECK(hb == SENTINEL);
    CHECK(lv_validator_apply_revocation_list_now(NULL, lic, lic_len, LIT("x"), &seq, NULL) ==
          LV_RESULT_NULL_PARAMETER);
    CHECK(lv_validator_apply_revocation_list_now(v, lic, lic_len, NULL, 0, &seq, NULL) ==
          LV_RESULT_NULL_PARAMETER);
    CHECK(seq == 77);
    CHECK(lv_validator_verify_heartbeat_now(v, lic, lic_len, LIT("a"), LIT("n"), NULL, NULL) ==
          LV_RESULT_NULL_PARAMETER);
    CHECK(lv_validator_verify_heartbeat_now(NULL, lic, lic_len, LIT("a"), LIT("n"), &hb, NULL) ==
          LV_RESULT_NULL_PARAMETER);
    CHECK(lv_validator_verify_heartbeat_now(v, lic, lic_len, LIT("a"), NULL, 0, &hb, NULL) ==
          LV_RESULT_NULL_PARAMETER);
    CHECK(hb == SENTINEL);

    /* validate_now: as validate. */
    CHECK(lv_validator_validate_now(v, lic, lic_len, f, NULL) == LV_RESULT_NULL_PARAMETER);
    verdict = NULL;
    CHECK(lv_validator_validate_now(NULL, lic, lic_len, f, &verdict) == LV_RESULT_NULL_PARAMETER);
    CHECK(lv_verdict_error(verdict) == LV_RESULT_NULL_PARAMETER);
    lv_verdict_free(verdict);

    /* Trust state and nonces. */
    uint8_t *state = SENTINEL;
    size_t state_len = 99;
    err = SENTINEL;
    CHECK(lv_validator_export_state(NULL, &state, &state_len, &err) == LV_RESULT_NULL_PARAMETER);
    CHECK(err != SENTINEL && str_is(lv_error_message(err), "validator is NULL"));
    lv_error_free(err);
    CHECK(lv_validator_export_state(v, NULL, &state_len, NULL) == LV_RESULT_NULL_PARAMETER);
    CHECK(lv_validator_export_state(v, &state, NULL, NULL) == LV_RESULT_NULL_PARAMETER);
    CHECK(state == SENTINEL && state_len == 99);
    CHECK(lv_validator_import_state(NULL, (const uint8_t *)"x", 1, NULL) ==
          LV_RESULT_NULL_PARAMETER);
    CHECK(lv_validator_import_state(v, NULL, 0, NULL) == LV_RESULT_NULL_PARAMETER);
    CHECK(!lv_validator_state_changed(NULL));
    char *nonce = SENTINEL;
    CHECK(lv_validator_new_nonce(NULL, &nonce, NULL) == LV_RESULT_NULL_PARAMETER);
    CHECK(lv_validator_new_nonce(v, NULL, NULL) == LV_RESULT_NULL_PARAMETER);
    CHECK(nonce == SENTINEL);

    /* The builder. */
    lv_validator_builder *b = SENTINEL;
    CHECK(lv_validator_builder_new(LV_ENVIRONMENT_PROD, NULL) == LV_RESULT_NULL_PARAMETER);
    CHECK(lv_validator_builder_new(7, &b) == LV_RESULT_INVALID_ARGUMENT && b == SENTINEL);
    CHECK(lv_validator_builder_add_root(NULL, LIT("k"), LV_ENVIRONMENT_PROD, PROD_PEM,
                                        strlen(PROD_PEM), NULL) == LV_RESULT_NULL_PARAMETER);
    CHECK(lv_validator_builder_accept_other_environment(NULL, true) == LV_RESULT_NULL_PARAMETER);
    int64_t t = NOW;
    CHECK(lv_validator_builder_set_clock(NULL, read_clock, &t) == LV_RESULT_NULL_PARAMETER);
    CHECK(lv_validator_builder_set_nonce_seed(NULL, SEED, 32) == LV_RESULT_NULL_PARAMETER);
    lv_validator *built = SENTINEL;
    CHECK(lv_validator_builder_build(NULL, &built, NULL) == LV_RESULT_NULL_PARAMETER);
    b = NULL;
    CHECK(lv_validator_builder_new(LV_ENVIRONMENT_PROD, &b) == LV_RESULT_OK);
    CHECK(lv_validator_builder_add_root(b, NULL, 0, LV_ENVIRONMENT_PROD, PROD_PEM,
                                        strlen(PROD_PEM), NULL) == LV_RESULT_NULL_PARAMETER);
    CHECK(lv_validator_builder_set_clock(b, NULL, &t) == LV_RESULT_NULL_PARAMETER);
    CHECK(lv_validator_builder_set_nonce_seed(b, NULL, 32) == LV_RESULT_NULL_PARAMETER);
    CHECK(lv_validator_builder_set_nonce_seed(b, SEED, 31) == LV_RESULT_INVALID_ARGUMENT);
    CHECK(lv_validator_builder_set_nonce_seed(b, SEED, 0) == LV_RESULT_INVALID_ARGUMENT);
    CHECK(lv_validator_builder_build(b, NULL, NULL) == LV_RESULT_NULL_PARAMETER);
    CHECK(built == SENTINEL);
    lv_validator_builder_free(b);

    /* Facts. */
    CHECK(lv_node_facts_add_address(NULL, LIT("10.0.0.1"), NULL) == LV_RESULT_NULL_PARAMETER);
    CHECK(lv_node_facts_add_address(f, NULL, 3, NULL) == LV_RESULT_NULL_PARAMETER);
    CHECK(lv_node_facts_set_dns_name(NULL, LIT("a")) == LV_RESULT_NULL_PARAMETER);
    CHECK(lv_node_facts_set_dns_name(f, NULL, 0) == LV_RESULT_NULL_PARAMETER);
    CHECK(lv_node_facts_set_deployment_tag(NULL, LIT("a")) == LV_RESULT_NULL_PARAMETER);
    CHECK(lv_node_facts_set_deployment_tag(f, NULL, 1) == LV_RESULT_NULL_PARAMETER);

    /* Thumbprint. */
    char buf[LV_THUMBPRINT_SIZE] = "untouched";
    CHECK(lv_key_thumbprint(NULL, 5, buf, sizeof buf, NULL) == LV_RESULT_NULL_PARAMETER);
    CHECK(lv_key_thumbprint(PROD_PEM, strlen(PROD_PEM), NULL, 44, NULL) == LV_RESULT_NULL_PARAMETER);
    CHECK(strcmp(buf, "untouched") == 0);

    /* Getters on NULL give their documented defaults. */
    CHECK(lv_verdict_status(NULL) == LV_STATUS_INVALID);
    CHECK(lv_verdict_error(NULL) == LV_RESULT_NULL_PARAMETER);
    CHECK(str_is(lv_verdict_error_message(NULL), ""));
    CHECK(str_is(lv_verdict_site_id(NULL), "") && str_is(lv_verdict_org_id(NULL), ""));
    CHECK(str_is(lv_verdict_license_id(NULL), "") && str_is(lv_verdict_cml_id(NULL), ""));
    CHECK(str_is(lv_verdict_cml_license_id(NULL), "") && str_is(lv_verdict_product(NULL), ""));
    CHECK(str_is(lv_verdict_tier(NULL), "") && str_is(lv_verdict_feature(NULL, 0), ""));
    CHECK(lv_verdict_environment(NULL) == LV_ENVIRONMENT_NONE);
    CHECK(lv_verdict_features_len(NULL) == 0 && lv_verdict_warnings_len(NULL) == 0);
    CHECK(!lv_verdict_has_feature(NULL, LIT("analytics")));
    CHECK(lv_verdict_issued_at(NULL) == 0 && lv_verdict_expires_at(NULL) == 0);
    CHECK(lv_verdict_grace_end(NULL) == 0 && lv_verdict_grace_days_left(NULL) == -1);
    CHECK(str_is(lv_verdict_warning_name(NULL, 0), ""));
    CHECK(str_is(lv_verdict_warning_message(NULL, 0), ""));
    CHECK(lv_verdict_warning_days_left(NULL, 0) == -1);
    CHECK(str_is(lv_verdict_site_document_id(NULL), "") && lv_verdict_site_expires_at(NULL) == 0);
    CHECK(lv_verdict_cml_valid_until(NULL) == 0 && lv_verdict_max_sites(NULL) == 0);
    CHECK(lv_verdict_feature_packs_len(NULL) == 0 && str_is(lv_verdict_feature_pack(NULL, 0), ""));
    CHECK(lv_verdict_max_offline_days(NULL) == -1);
    CHECK(str_is(lv_verdict_fingerprint_address(NULL), ""));
    CHECK(str_is(lv_verdict_fingerprint_dns_suffix(NULL), ""));
    CHECK(str_is(lv_verdict_fingerprint_deployment_tag(NULL), ""));
    CHECK(str_is(lv_heartbeat_status(NULL), "") && lv_heartbeat_server_time(NULL) == 0);
    CHECK(lv_heartbeat_revocation_seq(NULL) == 0 && !lv_heartbeat_revoked(NULL));
    CHECK(lv_error_code(NULL) == LV_RESULT_NULL_PARAMETER && str_is(lv_error_message(NULL), ""));

    /* has_feature with a NULL name on a usable verdict. */
    verdict = NULL;
    CHECK(lv_validator_validate(v, lic, lic_len, f, NOW, &verdict) == LV_RESULT_OK);
    CHECK(lv_verdict_has_feature(verdict, LIT("analytics")));
    CHECK(!lv_verdict_has_feature(verdict, NULL, 9));
    lv_verdict_free(verdict);

    lv_node_facts_free(f);
    lv_validator_free(v);
}

static void test_not_utf8(void) {
    lv_validator *v = prod_validator();
    lv_node_facts *f = facts_berlin();
    const uint8_t *lic = (const uint8_t *)LICENSE;
    size_t lic_len = strlen(LICENSE);
    lv_error *err = NULL;
    CHECK(lv_validator_add_root(v, LIT(NOT_UTF8), LV_ENVIRONMENT_PROD, PROD_PEM, strlen(PROD_PEM),
                                &err) == LV_RESULT_INVALID_UTF8);
    CHECK(str_is(lv_error_message(err), "kid is not valid UTF-8"));
    lv_error_free(err);
    CHECK(lv_validator_add_root(v, LIT("k"), LV_ENVIRONMENT_PROD, LIT(NOT_UTF8), NULL) ==
          LV_RESULT_INVALID_UTF8);
    CHECK(lv_node_facts_add_address(f, LIT(NOT_UTF8), NULL) == LV_RESULT_INVALID_UTF8);
    CHECK(lv_node_facts_set_dns_name(f, LIT(NOT_UTF8)) == LV_RESULT_INVALID_UTF8);
    CHECK(lv_node_facts_set_deployment_tag(f, LIT(NOT_UTF8)) == LV_RESULT_INVALID_UTF8);
    /* A failed set leaves the facts as they were. */
    CHECK(validate(v, f, NOW) == LV_RESULT_OK);
    CHECK(lv_validator_apply_revocation_list(v, lic, lic_len, LIT(NOT_UTF8), NOW, NULL, NULL) ==
          LV_RESULT_INVALID_UTF8);
    CHECK(lv_validator_apply_revocation_list_now(v, lic, lic_len, LIT(NOT_UTF8), NULL, NULL) ==
          LV_RESULT_INVALID_UTF8);
    lv_validator_builder *b = NULL;
    CHECK(lv_validator_builder_new(LV_ENVIRONMENT_PROD, &b) == LV_RESULT_OK);
    CHECK(lv_validator_builder_add_root(b, LIT(NOT_UTF8), LV_ENVIRONMENT_PROD, PROD_PEM,
                                        strlen(PROD_PEM), NULL) == LV_RESULT_INVALID_UTF8);
    lv_validator_builder_free(b);
    lv_heartbeat *hb = NULL;
    CHECK(lv_validator_verify_heartbeat(v, lic, lic_len, LIT(NOT_UTF8), LIT("n"), NOW, &hb,
                                        NULL) == LV_RESULT_INVALID_UTF8);
    CHECK(lv_validator_verify_heartbeat_now(v, lic, lic_len, LIT("a"), LIT(NOT_UTF8), &hb, NULL) ==
          LV_RESULT_INVALID_UTF8);
    CHECK(lv_validator_verify_heartbeat(v, lic, lic_len, LIT("a"), LIT(NOT_UTF8), NOW, &hb,
                                        NULL) == LV_RESULT_INVALID_UTF8);
    CHECK(hb == NULL);
    char buf[LV_THUMBPRINT_SIZE];
    CHECK(lv_key_thumbprint(LIT(NOT_UTF8), buf, sizeof buf, NULL) == LV_RESULT_INVALID_UTF8);
    /* The license is bytes, not text: non-UTF-8 bytes are core's to reject. */
    lv_verdict *verdict = NULL;
    CHECK(lv_validator_validate(v, (const uint8_t *)NOT_UTF8, sizeof NOT_UTF8 - 1, f, NOW,
                                &verdict) == LV_RESULT_MALFORMED);
    lv_verdict_free(verdict);
    verdict = NULL;
    CHECK(lv_validator_validate(v, lic, lic_len, f, NOW, &verdict) == LV_RESULT_OK);
    CHECK(!lv_verdict_has_feature(verdict, LIT(NOT_UTF8)));
    lv_verdict_free(verdict);
    lv_node_facts_free(f);
    lv_validator_free(v);
}

static void test_zero_lengths(void) {
    lv_validator *v = prod_validator();
    lv_node_facts *f = facts_berlin();
    const uint8_t *lic = (const uint8_t *)LICENSE;
    size_t lic_len = strlen(LICENSE);
    lv_verdict *verdict = NULL;
    CHECK(lv_validator_validate(v, lic, 0, f, NOW, &verdict) == LV_RESULT_MALFORMED);
    CHECK(lv_verdict_error_message(verdict).len > 0);
    lv_verdict_free(verdict);
    lv_error *err = NULL;
    CHECK(lv_validator_add_root(v, LIT("k"), LV_ENVIRONMENT_PROD, "", 0, &err) == LV_RESULT_BAD_KEY);
    CHECK(lv_error_code(err) == LV_RESULT_BAD_KEY && lv_error_message(err).len > 0);
    lv_error_free(err);
    CHECK(lv_node_facts_add_address(f, "", 0, NULL) == LV_RESULT_INVALID_ARGUMENT);
    CHECK(lv_validator_apply_revocation_list(v, lic, lic_len, "", 0, NOW, NULL, NULL) ==
          LV_RESULT_BAD_JWS);
    lv_heartbeat *hb = NULL;
    CHECK(lv_validator_verify_heartbeat(v, lic, lic_len, "", 0, LIT("n"), NOW, &hb, NULL) ==
          LV_RESULT_BAD_JWS);
    CHECK(hb == NULL);
    char buf[LV_THUMBPRINT_SIZE] = "untouched";
    CHECK(lv_key_thumbprint("", 0, buf, sizeof buf, NULL) == LV_RESULT_BAD_KEY);
    CHECK(lv_key_thumbprint(PROD_PEM, strlen(PROD_PEM), buf, 0, NULL) == LV_RESULT_INVALID_ARGUMENT);
    CHECK(lv_key_thumbprint(PROD_PEM, strlen(PROD_PEM), buf, LV_THUMBPRINT_SIZE - 1, NULL) ==
          LV_RESULT_INVALID_ARGUMENT);
    CHECK(strcmp(buf, "untouched") == 0);
    CHECK(lv_key_thumbprint(PROD_PEM, strlen(PROD_PEM), buf, sizeof buf, NULL) == LV_RESULT_OK);
    CHECK(strlen(buf) == LV_THUMBPRINT_SIZE - 1);

    /* An empty DNS name or tag removes it: the licensed fields then do not match. */
    CHECK(validate_license(v, FP_LICENSE, f, NOW) == LV_RESULT_OK);
    CHECK(lv_node_facts_set_dns_name(f, "", 0) == LV_RESULT_OK);
    CHECK(validate_license(v, FP_LICENSE, f, NOW) == LV_RESULT_DNS_MISMATCH);
    CHECK(lv_node_facts_set_dns_name(f, LIT("node1.berlin.acme.example")) == LV_RESULT_OK);
    CHECK(lv_node_facts_set_deployment_tag(f, "", 0) == LV_RESULT_OK);
    CHECK(validate_license(v, FP_LICENSE, f, NOW) == LV_RESULT_DEPLOYMENT_TAG_MISMATCH);
    lv_node_facts_free(f);
    lv_validator_free(v);
}

static void test_oversized(void) {
    lv_validator *v = prod_validator();
    /* One byte over the limit, in a real buffer. */
    uint8_t *big = malloc(LV_MAX_LICENSE_BYTES + 1);
    memset(big, ' ', LV_MAX_LICENSE_BYTES + 1);
    lv_verdict *verdict = NULL;
    CHECK(lv_validator_validate(v, big, LV_MAX_LICENSE_BYTES + 1, NULL, NOW, &verdict) ==
          LV_RESULT_TOO_LARGE);
    CHECK(str_is(lv_verdict_error_message(verdict),
                 "input of 65537 bytes exceeds the limit of 65536 bytes"));
    lv_verdict_free(verdict);
    /* Exactly at the limit is read (and is not a license). */
    verdict = NULL;
    CHECK(lv_validator_validate(v, big, LV_MAX_LICENSE_BYTES, NULL, NOW, &verdict) ==
          LV_RESULT_MALFORMED);
    lv_verdict_free(verdict);
    /* Lengths no buffer has, with a 1-byte buffer: rejected before any read (valgrind and ASan
     * would report a read past the byte). */
    const char one[1] = {'{'};
    verdict = NULL;
    CHECK(lv_validator_validate(v, (const uint8_t *)one, SIZE_MAX, NULL, NOW, &verdict) ==
          LV_RESULT_TOO_LARGE);
    lv_verdict_free(verdict);
    CHECK(lv_validator_apply_revocation_list(v, (const uint8_t *)one, SIZE_MAX, LIT("x"), NOW, NULL,
                                             NULL) == LV_RESULT_TOO_LARGE);
    /* A time out of range is reported first, as core checks it before the input (no read). */
    verdict = NULL;
    CHECK(lv_validator_validate(v, (const uint8_t *)one, SIZE_MAX, NULL, -1, &verdict) ==
          LV_RESULT_INVALID_ARGUMENT);
    lv_verdict_free(verdict);
    CHECK(lv_validator_apply_revocation_list(v, (const uint8_t *)one, SIZE_MAX, LIT("x"), -1, NULL,
                                             NULL) == LV_RESULT_INVALID_ARGUMENT);
    CHECK(lv_validator_apply_revocation_list(v, (const uint8_t *)LICENSE, strlen(LICENSE), one,
                                             SIZE_MAX, NOW, NULL, NULL) == LV_RESULT_TOO_LARGE);
    CHECK(lv_validator_add_root(v, one, SIZE_MAX, LV_ENVIRONMENT_PROD, PROD_PEM, strlen(PROD_PEM),
                                NULL) == LV_RESULT_TOO_LARGE);
    /* Trust state: over 4 MiB is refused before any byte is read. */
    lv_error *err = NULL;
    CHECK(lv_validator_import_state(v, (const uint8_t *)one, SIZE_MAX, &err) ==
          LV_RESULT_TOO_LARGE);
    CHECK(lv_error_code(err) == LV_RESULT_TOO_LARGE);
    lv_error_free(err);
    CHECK(lv_validator_import_state(v, (const uint8_t *)one, 4 * 1024 * 1024 + 1, NULL) ==
          LV_RESULT_TOO_LARGE);
    verdict = NULL;
    CHECK(lv_validator_validate_now(v, (const uint8_t *)one, SIZE_MAX, NULL, &verdict) ==
          LV_RESULT_TOO_LARGE);
    lv_verdict_free(verdict);
    lv_node_facts *f = facts_berlin();
    CHECK(lv_node_facts_add_address(f, one, (size_t)PTRDIFF_MAX + 1, NULL) == LV_RESULT_TOO_LARGE);
    char buf[LV_THUMBPRINT_SIZE];
    CHECK(lv_key_thumbprint(one, SIZE_MAX, buf, sizeof buf, NULL) == LV_RESULT_TOO_LARGE);
    lv_heartbeat *hb = NULL;
    CHECK(lv_validator_verify_heartbeat(v, (const uint8_t *)LICENSE, strlen(LICENSE), one, SIZE_MAX,
                                        LIT("n"), NOW, &hb, NULL) == LV_RESULT_TOO_LARGE);
    lv_node_facts_free(f);
    free(big);
    lv_validator_free(v);
}

static void test_arguments_and_state(void) {
    lv_validator *v = SENTINEL;
    CHECK(lv_validator_new(0, &v) == LV_RESULT_INVALID_ARGUMENT && v == SENTINEL);
    CHECK(lv_validator_new(3, &v) == LV_RESULT_INVALID_ARGUMENT && v == SENTINEL);
    v = prod_validator();
    CHECK(lv_validator_add_root(v, LIT("k"), 9, PROD_PEM, strlen(PROD_PEM), NULL) ==
          LV_RESULT_INVALID_ARGUMENT);
    lv_node_facts *f = facts_berlin();
    CHECK(lv_node_facts_add_address(f, LIT("10.0.0.300"), NULL) == LV_RESULT_INVALID_ARGUMENT);
    CHECK(lv_node_facts_add_address(f, LIT(" fd00::1 "), NULL) == LV_RESULT_OK);

    /* error_out is written only on failure. */
    lv_error *err = SENTINEL;
    CHECK(lv_validator_set_last_seen(v, 100, &err) == LV_RESULT_OK && err == SENTINEL);
    err = NULL;
    CHECK(lv_validator_set_last_seen(v, -1, &err) == LV_RESULT_INVALID_ARGUMENT);
    CHECK(lv_error_code(err) == LV_RESULT_INVALID_ARGUMENT && lv_error_message(err).len > 0);
    lv_error_free(err);
    int64_t floor = -1;
    CHECK(lv_validator_clock_floor(v, &floor) == LV_RESULT_OK && floor == 100);

    /* Times: out of range is core's invalid_argument. A validation at a given time is a
     * what-if: it leaves the floor where it was. */
    CHECK(validate(v, f, -1) == LV_RESULT_INVALID_ARGUMENT);
    CHECK(validate(v, f, INT64_MAX) == LV_RESULT_INVALID_ARGUMENT);
    CHECK(validate(v, f, NOW) == LV_RESULT_OK);
    CHECK(floor_of(v) == 100);
    /* 0 (deprecated) and the _now call read the validator's clock, here the system clock (this
     * license is valid until 9999, issued in 2026), and raise the floor to it. */
    time_t before = time(NULL);
    CHECK(validate(v, f, 0) == LV_RESULT_OK);
    CHECK(floor_of(v) >= (int64_t)before);
    CHECK(validate_now(v, LICENSE, f) == LV_RESULT_OK);
    CHECK(floor_of(v) >= (int64_t)before);
    /* The vectors' time is now before the floor (unless this machine's clock is wrong). */
    if (before > NOW + 300) CHECK(validate(v, f, NOW) == LV_RESULT_CLOCK_ROLLBACK);

    /* A root added after use: the validator keeps its trust state and its cache. */
    floor = floor_of(v);
    err = SENTINEL;
    CHECK(lv_validator_add_root(v, LIT("late"), LV_ENVIRONMENT_PROD, PROD_PEM, strlen(PROD_PEM),
                                &err) == LV_RESULT_OK);
    CHECK(err == SENTINEL);
    CHECK(floor_of(v) == floor);
    CHECK(validate_now(v, LICENSE, f) == LV_RESULT_OK);
    /* A kid already trusted is refused (core's rule), and nothing changes. */
    err = NULL;
    CHECK(lv_validator_add_root(v, LIT("late"), LV_ENVIRONMENT_PROD, PROD_PEM, strlen(PROD_PEM),
                                &err) == LV_RESULT_INVALID_ARGUMENT);
    CHECK(str_is(lv_error_message(err), "invalid argument: a trusted root has this kid already"));
    lv_error_free(err);
    CHECK(lv_validator_add_root(v, LIT("root-prod-1"), LV_ENVIRONMENT_PROD, PROD_PEM,
                                strlen(PROD_PEM), NULL) == LV_RESULT_INVALID_ARGUMENT);
    CHECK(validate_now(v, LICENSE, f) == LV_RESULT_OK);

    /* A rollback below the persisted last-seen time. */
    lv_validator *w = prod_validator();
    CHECK(lv_validator_set_last_seen(w, NOW + 86400, NULL) == LV_RESULT_OK);
    /* Roots added after set_last_seen keep it. */
    CHECK(lv_validator_add_root(w, LIT("again"), LV_ENVIRONMENT_PROD, PROD_PEM, strlen(PROD_PEM),
                                NULL) == LV_RESULT_OK);
    CHECK(validate(w, f, NOW) == LV_RESULT_CLOCK_ROLLBACK);
    lv_validator_free(w);

    /* A dev validator rejects this prod chain until it opts in. */
    w = NULL;
    CHECK(lv_validator_new(LV_ENVIRONMENT_DEV, &w) == LV_RESULT_OK);
    CHECK(lv_validator_add_root(w, LIT("root-prod-1"), LV_ENVIRONMENT_PROD, PROD_PEM,
                                strlen(PROD_PEM), NULL) == LV_RESULT_OK);
    CHECK(validate(w, f, NOW) == LV_RESULT_ENVIRONMENT_MISMATCH);
    CHECK(lv_validator_accept_other_environment(w, true) == LV_RESULT_OK);
    CHECK(validate(w, f, NOW) == LV_RESULT_OK);
    lv_validator_free(w);

    /* A usable verdict's strings are NUL-terminated and stable until it is freed. */
    lv_verdict *verdict = NULL;
    CHECK(lv_validator_validate_now(v, (const uint8_t *)LICENSE, strlen(LICENSE), f, &verdict) ==
          LV_RESULT_OK);
    lv_str site = lv_verdict_site_id(verdict);
    CHECK(validate_now(v, LICENSE, f) == LV_RESULT_OK); /* another verdict in between */
    CHECK(str_is(site, "site-berlin-01") && strlen(site.data) == site.len);
    CHECK(lv_verdict_environment(verdict) == LV_ENVIRONMENT_PROD);
    lv_verdict_free(verdict);

    lv_node_facts_free(f);
    lv_validator_free(v);
}

static void test_heartbeat(void) {
    lv_validator *v = prod_validator();
    lv_heartbeat *hb = NULL;
    lv_error *err = SENTINEL;
    CHECK(lv_validator_verify_heartbeat(v, (const uint8_t *)HB_LICENSE, strlen(HB_LICENSE), ANSWER,
                                        strlen(ANSWER), NONCE, strlen(NONCE), HB_NOW, &hb,
                                        &err) == LV_RESULT_OK);
    CHECK(err == SENTINEL && hb != NULL);
    CHECK(str_is(lv_heartbeat_status(hb), "active") && lv_heartbeat_revocation_seq(hb) == 1);
    lv_heartbeat_free(hb);
    hb = SENTINEL;
    err = NULL;
    CHECK(lv_validator_verify_heartbeat(v, (const uint8_t *)HB_LICENSE, strlen(HB_LICENSE), ANSWER,
                                        strlen(ANSWER), LIT("other"), HB_NOW, &hb, &err) ==
          LV_RESULT_NONCE_MISMATCH);
    CHECK(hb == SENTINEL && lv_error_code(err) == LV_RESULT_NONCE_MISMATCH);
    lv_error_free(err);
    /* The list the answer carried is applied: an older list is now stale. */
    uint64_t seq = 0;
    err = NULL;
    lv_result rc = lv_validator_apply_revocation_list(
        v, (const uint8_t *)HB_LICENSE, strlen(HB_LICENSE), REVOCATION_LIST, strlen(REVOCATION_LIST),
        HB_NOW, &seq, &err);
    CHECK(rc == LV_RESULT_OK || rc == LV_RESULT_REVOCATION_LIST_STALE);
    lv_error_free(err);
    lv_validator_free(v);
}

/* (a) The clock floor survives a restart: run 1 validates at the clock on day 299 and saves the
 * state; run 2, with the clock set back to day 2, loads it and is refused. */
static void test_rollback_after_restart(void) {
    lv_node_facts *f = facts_berlin();
    int64_t clock = T0 + 299 * DAY;
    lv_validator *run1 = built_validator(LV_ENVIRONMENT_PROD, &clock, false);
    CHECK(!lv_validator_state_changed(run1));
    CHECK(validate_now(run1, LICENSE, f) == LV_RESULT_OK);
    CHECK(floor_of(run1) == T0 + 299 * DAY);
    CHECK(lv_validator_state_changed(run1));
    size_t len = 0;
    uint8_t *state = export_state(run1, &len);
    CHECK(!lv_validator_state_changed(run1));
    lv_validator_free(run1);

    clock = T0 + 2 * DAY;
    /* Without the state, day 2 looks fine: the node knows only what its files say. */
    lv_validator *forgetful = built_validator(LV_ENVIRONMENT_PROD, &clock, false);
    CHECK(validate_now(forgetful, LICENSE, f) == LV_RESULT_OK);
    lv_validator_free(forgetful);

    lv_validator *run2 = built_validator(LV_ENVIRONMENT_PROD, &clock, false);
    lv_error *err = SENTINEL;
    CHECK(lv_validator_import_state(run2, state, len, &err) == LV_RESULT_OK && err == SENTINEL);
    CHECK(!lv_validator_state_changed(run2));
    CHECK(floor_of(run2) == T0 + 299 * DAY);
    lv_verdict *verdict = NULL;
    CHECK(lv_validator_validate_now(run2, (const uint8_t *)LICENSE, strlen(LICENSE), f,
                                    &verdict) == LV_RESULT_CLOCK_ROLLBACK);
    CHECK(lv_verdict_status(verdict) == LV_STATUS_INVALID);
    CHECK(lv_verdict_error_message(verdict).len > 0);
    lv_verdict_free(verdict);
    CHECK(validate(run2, f, T0 + 2 * DAY) == LV_RESULT_CLOCK_ROLLBACK);
    CHECK(validate(run2, f, 0) == LV_RESULT_CLOCK_ROLLBACK); /* 0: the builder's clock */
    /* Back at day 299 (less the allowed 300 s of skew) it validates again. */
    clock = T0 + 299 * DAY - 300;
    CHECK(validate_now(run2, LICENSE, f) == LV_RESULT_OK);
    free(state);
    lv_validator_free(run2);
    lv_node_facts_free(f);
}

/* (b) An applied revocation list survives a restart: an older list is stale afterwards and the
 * license stays revoked. */
static void test_revocation_after_restart(void) {
    lv_node_facts *f = facts_berlin();
    int64_t clock = NOW;
    lv_validator *run1 = built_validator(LV_ENVIRONMENT_PROD, &clock, false);
    CHECK(validate_now(run1, RL_LICENSE, f) == LV_RESULT_OK);
    uint64_t seq = 0;
    CHECK(apply_list_now(run1, RL_LICENSE, RL_REVOKING, &seq) == LV_RESULT_OK && seq == 2);
    CHECK(validate_now(run1, RL_LICENSE, f) == LV_RESULT_REVOKED);
    size_t len = 0;
    uint8_t *state = export_state(run1, &len);
    lv_validator_free(run1);

    lv_validator *run2 = built_validator(LV_ENVIRONMENT_PROD, &clock, false);
    CHECK(lv_validator_import_state(run2, state, len, NULL) == LV_RESULT_OK);
    seq = 77;
    lv_error *err = NULL;
    CHECK(lv_validator_apply_revocation_list_now(run2, (const uint8_t *)RL_LICENSE,
                                                 strlen(RL_LICENSE), RL_OLDER, strlen(RL_OLDER),
                                                 &seq, &err) == LV_RESULT_REVOCATION_LIST_STALE);
    CHECK(seq == 77 && lv_error_code(err) == LV_RESULT_REVOCATION_LIST_STALE);
    lv_error_free(err);
    CHECK(validate_now(run2, RL_LICENSE, f) == LV_RESULT_REVOKED);
    CHECK(validate_license(run2, RL_LICENSE, f, NOW) == LV_RESULT_REVOKED);
    /* The same list again is a no-op. */
    CHECK(apply_list_now(run2, RL_LICENSE, RL_REVOKING, &seq) == LV_RESULT_OK && seq == 2);
    /* Without the state the older list would be accepted and the license usable. */
    lv_validator *forgetful = built_validator(LV_ENVIRONMENT_PROD, &clock, false);
    CHECK(apply_list_now(forgetful, RL_LICENSE, RL_OLDER, &seq) == LV_RESULT_OK && seq == 1);
    lv_validator_free(forgetful);
    free(state);
    lv_validator_free(run2);
    lv_node_facts_free(f);
}

/* (c) The environment policy is checked on cached chains too. */
static void test_policy_on_cached_chain(void) {
    lv_node_facts *f = facts_berlin();
    int64_t clock = NOW;
    lv_validator *v = built_validator(LV_ENVIRONMENT_PROD, &clock, true);
    CHECK(validate_now(v, DEV_LICENSE, f) == LV_RESULT_OK);
    CHECK(validate_now(v, DEV_LICENSE, f) == LV_RESULT_OK); /* cached */
    CHECK(lv_validator_accept_other_environment(v, false) == LV_RESULT_OK);
    CHECK(validate_now(v, DEV_LICENSE, f) == LV_RESULT_ENVIRONMENT_MISMATCH);
    CHECK(validate_license(v, DEV_LICENSE, f, NOW) == LV_RESULT_ENVIRONMENT_MISMATCH);
    CHECK(validate_now(v, LICENSE, f) == LV_RESULT_OK); /* its own environment still is */
    CHECK(lv_validator_accept_other_environment(v, true) == LV_RESULT_OK);
    CHECK(validate_now(v, DEV_LICENSE, f) == LV_RESULT_OK);
    lv_validator_free(v);
    lv_node_facts_free(f);
}

/* Truncated, corrupt, foreign or empty bytes are bad_state and change nothing. */
static void test_bad_state(void) {
    lv_node_facts *f = facts_berlin();
    int64_t clock = NOW;
    lv_validator *v = built_validator(LV_ENVIRONMENT_PROD, &clock, false);
    CHECK(validate_now(v, RL_LICENSE, f) == LV_RESULT_OK);
    CHECK(apply_list_now(v, RL_LICENSE, RL_OTHER, NULL) == LV_RESULT_OK);
    size_t len = 0;
    uint8_t *good = export_state(v, &len);
    CHECK(len > 18 && memcmp(good, "hwf-trust-state 1\n", 18) == 0);

    lv_error *err = NULL;
    CHECK(lv_validator_import_state(v, good, len - 1, &err) == LV_RESULT_BAD_STATE);
    CHECK(lv_error_code(err) == LV_RESULT_BAD_STATE && lv_error_message(err).len > 0);
    lv_error_free(err);
    CHECK(lv_validator_import_state(v, good, len / 2, NULL) == LV_RESULT_BAD_STATE);
    CHECK(lv_validator_import_state(v, good, 10, NULL) == LV_RESULT_BAD_STATE);
    CHECK(lv_validator_import_state(v, good, 0, NULL) == LV_RESULT_BAD_STATE);
    uint8_t *corrupt = malloc(len);
    memcpy(corrupt, good, len);
    corrupt[len - 3] ^= 1;
    CHECK(lv_validator_import_state(v, corrupt, len, NULL) == LV_RESULT_BAD_STATE);
    memcpy(corrupt, good, len);
    corrupt[16] = '2'; /* "hwf-trust-state 2": an unknown version */
    CHECK(lv_validator_import_state(v, corrupt, len, NULL) == LV_RESULT_BAD_STATE);
    CHECK(lv_validator_import_state(v, (const uint8_t *)LIT("{\"floor\":0}"), NULL) ==
          LV_RESULT_BAD_STATE);
    /* A dev validator's state. */
    lv_validator *dev = built_validator(LV_ENVIRONMENT_DEV, &clock, false);
    CHECK(validate_now(dev, DEV_LICENSE, f) == LV_RESULT_OK);
    size_t dev_len = 0;
    uint8_t *dev_state = export_state(dev, &dev_len);
    CHECK(lv_validator_import_state(v, dev_state, dev_len, NULL) == LV_RESULT_BAD_STATE);
    lv_validator_free(dev);

    /* Nothing changed: same floor, same list, still usable, and its export is the same bytes. */
    CHECK(floor_of(v) == NOW);
    CHECK(!lv_validator_state_changed(v));
    CHECK(validate_now(v, RL_LICENSE, f) == LV_RESULT_OK);
    size_t again_len = 0;
    uint8_t *again = export_state(v, &again_len);
    CHECK(again_len == len && memcmp(again, good, len) == 0);
    CHECK(lv_validator_import_state(v, good, len, NULL) == LV_RESULT_OK);
    CHECK(!lv_validator_state_changed(v));

    /* The library's buffer is freed with its length; NULL is fine. */
    uint8_t *state = NULL;
    size_t state_len = 0;
    CHECK(lv_validator_export_state(v, &state, &state_len, NULL) == LV_RESULT_OK);
    lv_bytes_free(state, state_len);
    lv_bytes_free(NULL, 0);

    free(again);
    free(dev_state);
    free(corrupt);
    free(good);
    lv_validator_free(v);
    lv_node_facts_free(f);
}

/* The builder's clock is read by every call at the clock; nonces follow the seed. */
static void test_clock_and_nonces(void) {
    lv_node_facts *f = facts_berlin();
    int64_t clock = -1;
    lv_validator *v = built_validator(LV_ENVIRONMENT_PROD, &clock, false);
    CHECK(validate_now(v, LICENSE, f) == LV_RESULT_INVALID_ARGUMENT); /* out of range */
    CHECK(apply_list_now(v, RL_LICENSE, RL_OLDER, NULL) == LV_RESULT_INVALID_ARGUMENT);
    clock = HB_NOW;
    lv_heartbeat *hb = NULL;
    CHECK(lv_validator_verify_heartbeat_now(v, (const uint8_t *)HB_LICENSE, strlen(HB_LICENSE),
                                            ANSWER, strlen(ANSWER), NONCE, strlen(NONCE), &hb,
                                            NULL) == LV_RESULT_OK);
    CHECK(str_is(lv_heartbeat_status(hb), "active"));
    CHECK(floor_of(v) == lv_heartbeat_server_time(hb)); /* the Hub's time */
    lv_heartbeat_free(hb);

    /* The same seed, the same nonces; a validator of lv_validator_new draws its own seed. */
    lv_validator *w = built_validator(LV_ENVIRONMENT_PROD, &clock, false);
    lv_validator *r = NULL;
    CHECK(lv_validator_new(LV_ENVIRONMENT_PROD, &r) == LV_RESULT_OK);
    for (int i = 0; i < 3; i++) {
        char *a = NULL, *b = NULL, *c = NULL;
        lv_error *err = SENTINEL;
        CHECK(lv_validator_new_nonce(v, &a, &err) == LV_RESULT_OK && err == SENTINEL);
        CHECK(lv_validator_new_nonce(w, &b, NULL) == LV_RESULT_OK);
        CHECK(lv_validator_new_nonce(r, &c, NULL) == LV_RESULT_OK);
        CHECK(a && b && c && strlen(a) == 22 && strcmp(a, b) == 0 && strcmp(a, c) != 0);
        lv_string_free(a);
        lv_string_free(b);
        lv_string_free(c);
    }
    lv_validator_free(r);
    lv_validator_free(w);
    lv_validator_free(v);
    lv_node_facts_free(f);
}

/* Several threads validate with one validator at once; every verdict must be right. */
struct shared {
    lv_validator *validator;
    lv_node_facts *facts;
    int ok;
};

static void *worker(void *arg) {
    struct shared *s = arg;
    int ok = 0;
    for (int i = 0; i < 200; i++) {
        lv_verdict *verdict = NULL;
        lv_result rc = lv_validator_validate(s->validator, (const uint8_t *)LICENSE,
                                             strlen(LICENSE), s->facts, NOW, &verdict);
        ok += rc == LV_RESULT_OK && str_is(lv_verdict_site_id(verdict), "site-berlin-01") &&
              lv_verdict_has_feature(verdict, LIT("analytics"));
        lv_verdict_free(verdict);
    }
    s->ok = ok;
    return NULL;
}

static void test_threads(void) {
    enum { THREADS = 4 };
    lv_validator *v = prod_validator();
    lv_node_facts *f = facts_berlin();
    pthread_t threads[THREADS];
    struct shared shared[THREADS];
    for (int i = 0; i < THREADS; i++) {
        shared[i] = (struct shared){v, f, 0};
        CHECK(pthread_create(&threads[i], NULL, worker, &shared[i]) == 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(threads[i], NULL);
        CHECK(shared[i].ok == 200);
    }
    lv_node_facts_free(f);
    lv_validator_free(v);
}

/* A clock where the first call of each of THREADS threads waits until all of them are inside
 * it: it only returns promptly when calls on one validator really run at the same time (with
 * calls serialised by a lock, the first caller would wait alone until the deadline). */
struct rendezvous {
    pthread_mutex_t mutex;
    pthread_cond_t all_in;
    int expected, arrived, met, timed_out;
    int64_t time;
};

static int64_t rendezvous_clock(void *userdata) {
    struct rendezvous *r = userdata;
    pthread_mutex_lock(&r->mutex);
    if (!r->met && !r->timed_out) {
        if (++r->arrived == r->expected) {
            r->met = 1;
            pthread_cond_broadcast(&r->all_in);
        }
        struct timespec deadline;
        clock_gettime(CLOCK_REALTIME, &deadline);
        deadline.tv_sec += 20;
        while (!r->met && !r->timed_out) {
            if (pthread_cond_timedwait(&r->all_in, &r->mutex, &deadline) == ETIMEDOUT) {
                r->timed_out = 1;
                pthread_cond_broadcast(&r->all_in);
            }
        }
    }
    int64_t t = r->time;
    pthread_mutex_unlock(&r->mutex);
    return t;
}

struct busy {
    lv_validator *validator;
    lv_node_facts *facts;
    int index, ok;
};

/* No CHECK in here (its counters are not atomic): every call's success counts in `ok`. */
static void *busy_worker(void *arg) {
    struct busy *s = arg;
    int ok = 0;
    for (int i = 0; i < 100; i++) {
        lv_verdict *verdict = NULL;
        lv_result rc = lv_validator_validate_now(s->validator, (const uint8_t *)LICENSE,
                                                 strlen(LICENSE), s->facts, &verdict);
        ok += rc == LV_RESULT_OK && str_is(lv_verdict_site_id(verdict), "site-berlin-01");
        lv_verdict_free(verdict);
        /* Other calls at the same time: exports, nonces, the floor, lists. */
        if (i % 25 == s->index) {
            uint8_t *state = NULL;
            size_t len = 0;
            char *nonce = NULL;
            int64_t floor = 0;
            uint64_t seq = 0;
            bool good =
                lv_validator_export_state(s->validator, &state, &len, NULL) == LV_RESULT_OK &&
                lv_validator_new_nonce(s->validator, &nonce, NULL) == LV_RESULT_OK &&
                lv_validator_clock_floor(s->validator, &floor) == LV_RESULT_OK && floor == NOW &&
                lv_validator_apply_revocation_list_now(s->validator, (const uint8_t *)RL_LICENSE,
                                                       strlen(RL_LICENSE), RL_OTHER,
                                                       strlen(RL_OTHER), &seq,
                                                       NULL) == LV_RESULT_OK &&
                seq == 1;
            lv_bytes_free(state, len);
            lv_string_free(nonce);
            if (!good) ok -= 1000;
        }
    }
    s->ok = ok;
    return NULL;
}

/* The standalone document calls: NULL and non-UTF-8 arguments, out-parameters untouched on
 * failure, the empty ledger as NULL arrays, the ledger index only on ledger_broken, a time
 * checked before anything else, and a manifest checked against the ledger it reports. */
static void test_documents(void) {
    lv_validator *v = prod_validator();
    size_t cml_len = strlen(DOC_CML);
    lv_cml *c = SENTINEL;
    lv_error *err = NULL;
    CHECK(lv_validator_verify_cml(NULL, DOC_CML, cml_len, &c, NULL) == LV_RESULT_NULL_PARAMETER);
    CHECK(lv_validator_verify_cml(v, NULL, 0, &c, NULL) == LV_RESULT_NULL_PARAMETER);
    CHECK(lv_validator_verify_cml(v, DOC_CML, cml_len, NULL, NULL) == LV_RESULT_NULL_PARAMETER);
    CHECK(lv_validator_verify_cml(v, LIT(NOT_UTF8), &c, &err) == LV_RESULT_INVALID_UTF8);
    CHECK(c == SENTINEL && lv_error_code(err) == LV_RESULT_INVALID_UTF8);
    size_t index = 77;
    CHECK(!lv_error_ledger_index(err, &index) && index == 77);
    lv_error_free(err);
    err = NULL;
    CHECK(lv_validator_verify_cml(v, LIT("x.y.z"), &c, &err) != LV_RESULT_OK && c == SENTINEL);
    lv_error_free(err);
    CHECK(lv_validator_verify_cml(v, DOC_CML, cml_len, &c, NULL) == LV_RESULT_OK);
    CHECK(c != SENTINEL && lv_cml_id(c).len == 64 && lv_cml_environment(c) == LV_ENVIRONMENT_PROD);
    lv_cml_free(c);
    /* Getters on NULL. */
    CHECK(lv_cml_id(NULL).len == 0 && lv_cml_max_sites(NULL) == 0 &&
          lv_cml_max_offline_days(NULL) == -1 && lv_cml_environment(NULL) == LV_ENVIRONMENT_NONE &&
          lv_cml_feature_packs_len(NULL) == 0 && lv_cml_feature_pack(NULL, 0).len == 0);
    CHECK(lv_manifest_id(NULL).len == 0 && lv_manifest_sites_len(NULL) == 0 &&
          lv_manifest_total_active_sites(NULL) == 0 && lv_manifest_site_id(NULL, 0).len == 0);
    CHECK(lv_ledger_length(NULL) == 0 && lv_ledger_head(NULL).len == 0);
    CHECK(!lv_error_ledger_index(NULL, &index));
    CHECK(strcmp(lv_standing_name(LV_STANDING_GRACE), "grace") == 0 &&
          strcmp(lv_standing_name(0), "unknown") == 0);

    /* Ledgers: the empty one as NULL arrays; NULL arrays with a count; a NULL or non-UTF-8
     * entry; a count no array can have. */
    lv_ledger *l = SENTINEL;
    CHECK(lv_validator_verify_ledger(v, DOC_CML, cml_len, NULL, NULL, 0, &l, NULL) == LV_RESULT_OK);
    CHECK(l != SENTINEL && lv_ledger_length(l) == 0 && lv_ledger_head(l).len == 64);
    lv_ledger_free(l);
    l = SENTINEL;
    CHECK(lv_validator_verify_ledger(v, DOC_CML, cml_len, NULL, NULL, 1, &l, NULL) ==
          LV_RESULT_NULL_PARAMETER);
    const char *bad[2] = {NOT_UTF8, NULL};
    size_t bad_lens[2] = {sizeof NOT_UTF8 - 1, 3};
    CHECK(lv_validator_verify_ledger(v, DOC_CML, cml_len, bad, bad_lens, 1, &l, NULL) ==
          LV_RESULT_INVALID_UTF8);
    CHECK(lv_validator_verify_ledger(v, DOC_CML, cml_len, bad + 1, bad_lens + 1, 1, &l, NULL) ==
          LV_RESULT_NULL_PARAMETER);
    CHECK(lv_validator_verify_ledger(v, DOC_CML, cml_len, bad, bad_lens, SIZE_MAX, &l, NULL) ==
          LV_RESULT_TOO_LARGE);
    CHECK(lv_validator_verify_ledger(v, DOC_CML, cml_len, NULL, NULL, 0, NULL, NULL) ==
          LV_RESULT_NULL_PARAMETER);
    CHECK(l == SENTINEL);
    /* A broken ledger: the index comes with the error. */
    size_t n = DOC_ENTRIES_LEN;
    CHECK(n >= 2);
    size_t lens[16];
    const char *swapped[16];
    for (size_t i = 0; i < n && i < 16; i++) {
        swapped[i] = DOC_ENTRIES[i];
        lens[i] = strlen(DOC_ENTRIES[i]);
    }
    CHECK(lv_validator_verify_ledger(v, DOC_CML, cml_len, swapped, lens, n, &l, NULL) ==
          LV_RESULT_OK);
    lv_str head = lv_ledger_head(l);
    swapped[0] = DOC_ENTRIES[1];
    swapped[1] = DOC_ENTRIES[0];
    size_t swapped_lens[16];
    memcpy(swapped_lens, lens, sizeof lens);
    swapped_lens[0] = lens[1];
    swapped_lens[1] = lens[0];
    lv_ledger *l2 = SENTINEL;
    err = NULL;
    CHECK(lv_validator_verify_ledger(v, DOC_CML, cml_len, swapped, swapped_lens, n, &l2, &err) ==
          LV_RESULT_LEDGER_BROKEN);
    CHECK(l2 == SENTINEL && lv_error_ledger_index(err, &index) && index == 0);
    CHECK(!lv_error_ledger_index(err, NULL));
    lv_error_free(err);

    /* A manifest against the ledger it reports: accepted when its head and length are the
     * ledger's, manifest_invalid otherwise. */
    lv_manifest *m = SENTINEL;
    size_t doc_len = strlen(DOC_MANIFEST);
    CHECK(lv_validator_verify_manifest(v, DOC_CML, cml_len, NULL, 0, &m, NULL) ==
          LV_RESULT_NULL_PARAMETER);
    CHECK(lv_validator_verify_manifest(v, DOC_CML, cml_len, DOC_MANIFEST, doc_len, NULL, NULL) ==
          LV_RESULT_NULL_PARAMETER);
    CHECK(m == SENTINEL);
    CHECK(lv_validator_verify_manifest(v, DOC_CML, cml_len, DOC_MANIFEST, doc_len, &m, NULL) ==
          LV_RESULT_OK);
    bool same = lv_manifest_ledger_length(m) == lv_ledger_length(l) &&
                lv_manifest_ledger_head(m).len == head.len &&
                memcmp(lv_manifest_ledger_head(m).data, head.data, head.len) == 0;
    lv_manifest_free(m);
    m = SENTINEL;
    lv_result rc = lv_validator_verify_manifest_with_ledger(v, DOC_CML, cml_len, DOC_MANIFEST,
                                                            doc_len, DOC_ENTRIES, lens, n, &m, NULL);
    CHECK(rc == (same ? LV_RESULT_OK : LV_RESULT_MANIFEST_INVALID));
    lv_manifest_free(m == SENTINEL ? NULL : m);
    m = SENTINEL;
    rc = lv_validator_verify_manifest_with_ledger(v, DOC_CML, cml_len, DOC_MANIFEST, doc_len,
                                                  NULL, NULL, 0, &m, NULL);
    CHECK(rc == (same && lv_ledger_length(l) == 0 ? LV_RESULT_OK : LV_RESULT_MANIFEST_INVALID));
    lv_manifest_free(m == SENTINEL ? NULL : m);
    lv_ledger_free(l);

    /* Standing and period: the time is checked first (a bad CML and a bad time give the time's
     * code); optional out-parameters; required ones. */
    lv_standing s = 0;
    int64_t days = 5, start = 5, end = 5;
    CHECK(lv_validator_cml_standing(v, LIT("x"), INT64_MAX, &s, &days, NULL, NULL) ==
          LV_RESULT_INVALID_ARGUMENT);
    CHECK(lv_validator_cml_standing(v, DOC_CML, cml_len, T0, NULL, NULL, NULL, NULL) ==
          LV_RESULT_NULL_PARAMETER);
    CHECK(s == 0 && days == 5);
    CHECK(lv_validator_cml_standing(v, DOC_CML, cml_len, T0, &s, NULL, NULL, NULL) ==
          LV_RESULT_OK);
    CHECK(s == LV_STANDING_VALID);
    CHECK(lv_validator_manifest_period(v, LIT("x"), LIT("2026-01"), -1, &start, &end, NULL) ==
          LV_RESULT_INVALID_ARGUMENT);
    CHECK(lv_validator_manifest_period(v, DOC_CML, cml_len, LIT("2026-01"), T0 + 86400, &start,
                                       NULL, NULL) == LV_RESULT_NULL_PARAMETER);
    CHECK(lv_validator_manifest_period(v, DOC_CML, cml_len, LIT(NOT_UTF8), T0, &start, &end,
                                       NULL) == LV_RESULT_INVALID_UTF8);
    CHECK(start == 5 && end == 5);
    CHECK(lv_validator_manifest_period(v, DOC_CML, cml_len, LIT("2026-01"), T0 + 86400, &start,
                                       &end, NULL) == LV_RESULT_OK);
    CHECK(start == T0 && end == T0 + 31 * 86400);
    lv_validator_free(v);
}

static void test_threads_run_at_once(void) {
    enum { THREADS = 4 };
    struct rendezvous r;
    memset(&r, 0, sizeof r);
    pthread_mutex_init(&r.mutex, NULL);
    pthread_cond_init(&r.all_in, NULL);
    r.expected = THREADS;
    r.time = NOW;
    lv_validator_builder *b = NULL;
    lv_validator *v = NULL;
    CHECK(lv_validator_builder_new(LV_ENVIRONMENT_PROD, &b) == LV_RESULT_OK);
    CHECK(lv_validator_builder_add_root(b, LIT("root-prod-1"), LV_ENVIRONMENT_PROD, PROD_PEM,
                                        strlen(PROD_PEM), NULL) == LV_RESULT_OK);
    CHECK(lv_validator_builder_set_clock(b, rendezvous_clock, &r) == LV_RESULT_OK);
    CHECK(lv_validator_builder_build(b, &v, NULL) == LV_RESULT_OK);
    lv_validator_builder_free(b);
    lv_node_facts *f = facts_berlin();
    pthread_t threads[THREADS];
    struct busy shared[THREADS];
    for (int i = 0; i < THREADS; i++) {
        shared[i] = (struct busy){v, f, i, 0};
        CHECK(pthread_create(&threads[i], NULL, busy_worker, &shared[i]) == 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(threads[i], NULL);
        CHECK(shared[i].ok == 100);
    }
    CHECK(r.met && !r.timed_out); /* four validations were inside the library at once */
    CHECK(floor_of(v) == NOW);
    lv_node_facts_free(f);
    lv_validator_free(v);
    pthread_cond_destroy(&r.all_in);
    pthread_mutex_destroy(&r.mutex);
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s VECTORS_JSON DOCUMENTS_JSON EXPECTED_VERSION\n", argv[0]);
        return 2;
    }
    char *text = read_file(argv[1]);
    char *doc_text = read_file(argv[2]);
    cJSON *vectors = text ? cJSON_Parse(text) : NULL;
    cJSON *documents = doc_text ? cJSON_Parse(doc_text) : NULL;
    free(text);
    free(doc_text);
    if (!vectors || !documents) {
        fprintf(stderr, "cannot read %s or %s\n", argv[1], argv[2]);
        return 2;
    }
    const cJSON *roots = cJSON_GetObjectItemCaseSensitive(vectors, "roots");
    PROD_PEM = member(cJSON_GetObjectItemCaseSensitive(roots, "root-prod-1"), "pem");
    DEV_PEM = member(cJSON_GetObjectItemCaseSensitive(roots, "root-dev-1"), "pem");
    DEV_LICENSE = member(find(vectors, "valid/dev-chain-prod-validator-opt-in"), "license");
    const cJSON *newer = find(vectors, "revocation/revoked-in-newer-list");
    RL_LICENSE = member(newer, "license");
    RL_REVOKING = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(newer, "revocation_lists"),
                                     1)->valuestring;
    RL_OLDER = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(find(vectors,
                                                                        "revocation/revoked"),
                                                                   "revocation_lists"),
                                  0)->valuestring;
    RL_OTHER = cJSON_GetArrayItem(
                   cJSON_GetObjectItemCaseSensitive(find(vectors, "revocation/other-site-revoked"),
                                                    "revocation_lists"),
                   0)->valuestring;
    const cJSON *valid = find(vectors, "valid/year-9999");
    LICENSE = member(valid, "license");
    NOW = (int64_t)cJSON_GetObjectItemCaseSensitive(valid, "now")->valuedouble;
    const cJSON *hb = find(documents, "heartbeat/active");
    ANSWER = member(hb, "answer");
    NONCE = member(hb, "nonce");
    HB_NOW = (int64_t)cJSON_GetObjectItemCaseSensitive(hb, "now")->valuedouble;
    const cJSON *stale = find(vectors, "revocation/stale");
    REVOCATION_LIST = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(stale, "revocation_lists"),
                                         0)->valuestring;
    HB_LICENSE = member(hb, "license");
    FP_LICENSE = member(find(vectors, "valid/all-fingerprint-fields"), "license");
    const cJSON *mv = find(documents, "manifest/valid");
    DOC_CML = member(mv, "cml");
    DOC_MANIFEST = member(mv, "document");
    const cJSON *entry;
    cJSON_ArrayForEach(entry, cJSON_GetObjectItemCaseSensitive(find(documents, "ledger/valid"),
                                                               "entries")) {
        if (DOC_ENTRIES_LEN < 16) DOC_ENTRIES[DOC_ENTRIES_LEN++] = entry->valuestring;
    }

    test_versions(argv[3]);
    test_result_names();
    test_free_null();
    test_null_arguments();
    test_not_utf8();
    test_zero_lengths();
    test_oversized();
    test_arguments_and_state();
    test_heartbeat();
    test_threads();
    test_rollback_after_restart();
    test_revocation_after_restart();
    test_policy_on_cached_chain();
    test_bad_state();
    test_clock_and_nonces();
    test_threads_run_at_once();
    test_documents();

    cJSON_Delete(vectors);
    cJSON_Delete(documents);
    printf("C API: %d checks, %d failed\n", checks, failures);
    return failures == 0 && checks > 0 ? 0 : 1;
}
