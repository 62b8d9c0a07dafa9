/*
 * Runs every conformance vector of testdata/vectors/vectors.json through the C API, as
 * testdata/vectors/FORMAT.md says: a validator per vector (environment, roots, opt-in, last
 * seen), the revocation lists in order, then the license validated twice (the second call takes
 * the cached path); both verdicts must equal `expect` field by field, or carry its error code.
 * Roots are loaded from their PEM for even-numbered vectors and from their JWK for odd ones, so
 * both key formats are exercised.
 *
 * Also runs the documents.json operations the C API has: verify_heartbeat and load_root_key
 * (through lv_key_thumbprint and lv_validator_add_root).
 *
 *   vectors VECTORS_JSON DOCUMENTS_JSON
 *
 * Prints one line per failure and a summary; exits 1 on any failure. Frees everything it
 * allocates, so valgrind and AddressSanitizer can check the library too.
 */
#define _POSIX_C_SOURCE 200809L
#include <cJSON.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "validate.h"

static const char *current; /* the vector being run, for messages */
static int mismatches;      /* in the current vector */

#define FAIL(...)                                          \
    do {                                                   \
        fprintf(stderr, "FAIL %s: ", current);             \
        fprintf(stderr, __VA_ARGS__);                      \
        fputc('\n', stderr);                               \
        mismatches++;                                      \
    } while (0)

static char *read_file(const char *path, size_t *len_out) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return NULL;
    }
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap + 1);
    size_t n;
    while (buf && (n = fread(buf + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len == cap) {
            char *bigger = realloc(buf, 2 * cap + 1);
            if (!bigger) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = bigger;
            cap *= 2;
        }
    }
    fclose(f);
    if (buf) {
        buf[len] = 0;
        *len_out = len;
    }
    return buf;
}

/* cJSON keeps numbers as doubles. Every time in the vectors is below 2^53 (exact), except the
 * deliberate extremes i64::MIN (exact) and i64::MAX (rounded up to 2^63): saturate those. */
static int64_t json_i64(const cJSON *n) {
    double d = n->valuedouble;
    if (d >= 9223372036854775807.0) return INT64_MAX;
    if (d <= -9223372036854775808.0) return INT64_MIN;
    return (int64_t)d;
}

static bool str_is(lv_str s, const char *want) {
    size_t n = strlen(want);
    return s.data != NULL && s.len == n && memcmp(s.data, want, n) == 0 && s.data[n] == '\0';
}

static int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

/* The license bytes of a vector (malloc'd; the caller frees). */
static uint8_t *license_bytes(const cJSON *v, size_t *len_out) {
    const cJSON *text = cJSON_GetObjectItemCaseSensitive(v, "license");
    if (cJSON_IsString(text)) {
        size_t n = strlen(text->valuestring);
        uint8_t *out = malloc(n ? n : 1);
        if (out) memcpy(out, text->valuestring, n);
        *len_out = n;
        return out;
    }
    const cJSON *hex = cJSON_GetObjectItemCaseSensitive(v, "license_hex");
    if (!cJSON_IsString(hex)) return NULL;
    size_t n = strlen(hex->valuestring) / 2;
    uint8_t *out = malloc(n ? n : 1);
    for (size_t i = 0; out && i < n; i++) {
        int hi = hex_digit(hex->valuestring[2 * i]), lo = hex_digit(hex->valuestring[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            free(out);
            return NULL;
        }
        out[i] = (uint8_t)(hi * 16 + lo);
    }
    *len_out = n;
    return out;
}

static uint32_t environment_of(const char *name) {
    if (strcmp(name, "prod") == 0) return LV_ENVIRONMENT_PROD;
    if (strcmp(name, "dev") == 0) return LV_ENVIRONMENT_DEV;
    return 0;
}

static void report_error(const char *what, lv_result rc, lv_error *err) {
    lv_str msg = lv_error_message(err);
    FAIL("%s: %s (%u): %s", what, lv_result_name(rc), (unsigned)rc, msg.data);
}

/* A validator for `environment` trusting `kids` (NULL: every root), keys from PEM or JWK. */
static lv_validator *make_validator(const cJSON *roots, const char *environment,
                                    const cJSON *kids, bool use_jwk) {
    lv_validator *validator = NULL;
    lv_result rc = lv_validator_new(environment_of(environment), &validator);
    if (rc != LV_RESULT_OK) {
        FAIL("lv_validator_new: %s", lv_result_name(rc));
        return NULL;
    }
    const cJSON *root;
    cJSON_ArrayForEach(root, roots) {
        if (kids) {
            bool listed = false;
            const cJSON *kid;
            cJSON_ArrayForEach(kid, kids) listed |= strcmp(kid->valuestring, root->string) == 0;
            if (!listed) continue;
        }
        const char *env = cJSON_GetObjectItemCaseSensitive(root, "environment")->valuestring;
        char *key;
        if (use_jwk) {
            key = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(root, "jwk"));
        } else {
            key = strdup(cJSON_GetObjectItemCaseSensitive(root, "pem")->valuestring);
        }
        lv_error *err = NULL;
        rc = lv_validator_add_root(validator, root->string, strlen(root->string),
                                   environment_of(env), key, strlen(key), &err);
        if (rc != LV_RESULT_OK) report_error("lv_validator_add_root", rc, err);
        lv_error_free(err);
        free(key);
    }
    return validator;
}

static lv_node_facts *make_facts(const cJSON *facts) {
    lv_node_facts *out = NULL;
    if (lv_node_facts_new(&out) != LV_RESULT_OK) {
        FAIL("lv_node_facts_new");
        return NULL;
    }
    const cJSON *address;
    cJSON_ArrayForEach(address, cJSON_GetObjectItemCaseSensitive(facts, "addresses")) {
        lv_error *err = NULL;
        lv_result rc = lv_node_facts_add_address(out, address->valuestring,
                                                 strlen(address->valuestring), &err);
        if (rc != LV_RESULT_OK) report_error("lv_node_facts_add_address", rc, err);
        lv_error_free(err);
    }
    const cJSON *dns = cJSON_GetObjectItemCaseSensitive(facts, "dns_name");
    if (cJSON_IsString(dns) &&
        lv_node_facts_set_dns_name(out, dns->valuestring, strlen(dns->valuestring)) != LV_RESULT_OK)
        FAIL("lv_node_facts_set_dns_name");
    const cJSON *tag = cJSON_GetObjectItemCaseSensitive(facts, "deployment_tag");
    if (cJSON_IsString(tag) &&
        lv_node_facts_set_deployment_tag(out, tag->valuestring, strlen(tag->valuestring)) !=
            LV_RESULT_OK)
        FAIL("lv_node_facts_set_deployment_tag");
    return out;
}

static void check_string(const char *field, lv_str got, const cJSON *ok) {
    const char *want = cJSON_GetObjectItemCaseSensitive(ok, field)->valuestring;
    if (!str_is(got, want)) FAIL("%s: got \"%s\", want \"%s\"", field, got.data, want);
}

static void check_time(const char *field, int64_t got, const cJSON *ok) {
    int64_t want = json_i64(cJSON_GetObjectItemCaseSensitive(ok, field));
    if (got != want) FAIL("%s: got %lld, want %lld", field, (long long)got, (long long)want);
}

/* Compares one verdict with `expect` (one of `ok` or `error`). */
static void check_verdict(int round, lv_result rc, const lv_verdict *verdict, const cJSON *expect) {
    const cJSON *ok = cJSON_GetObjectItemCaseSensitive(expect, "ok");
    const cJSON *error = cJSON_GetObjectItemCaseSensitive(expect, "error");
    if (lv_verdict_error(verdict) != rc)
        FAIL("round %d: lv_verdict_error %u differs from the returned %u", round,
             (unsigned)lv_verdict_error(verdict), (unsigned)rc);
    if (error) {
        uint32_t want = (uint32_t)json_i64(cJSON_GetObjectItemCaseSensitive(error, "code"));
        const char *name = cJSON_GetObjectItemCaseSensitive(error, "name")->valuestring;
        if (rc != want)
            FAIL("round %d: got %s (%u): %s; want %s (%u)", round, lv_result_name(rc),
                 (unsigned)rc, lv_verdict_error_message(verdict).data, name, (unsigned)want);
        if (strcmp(lv_result_name(rc), name) != 0 && rc == want)
            FAIL("lv_result_name(%u) is %s, want %s", (unsigned)rc, lv_result_name(rc), name);
        if (lv_verdict_status(verdict) != LV_STATUS_INVALID) FAIL("status of an error verdict");
        if (lv_verdict_error_message(verdict).len == 0) FAIL("an error verdict without message");
        if (lv_verdict_site_id(verdict).len != 0 || lv_verdict_features_len(verdict) != 0 ||
            lv_verdict_expires_at(verdict) != 0 || lv_verdict_warnings_len(verdict) != 0 ||
            lv_verdict_environment(verdict) != LV_ENVIRONMENT_NONE ||
            lv_verdict_grace_days_left(verdict) != -1)
            FAIL("an error verdict has verdict fields");
        return;
    }
    if (rc != LV_RESULT_OK) {
        FAIL("round %d: got %s (%u): %s; want a usable verdict", round, lv_result_name(rc),
             (unsigned)rc, lv_verdict_error_message(verdict).data);
        return;
    }
    const char *status = cJSON_GetObjectItemCaseSensitive(ok, "status")->valuestring;
    lv_status want_status = strcmp(status, "grace") == 0 ? LV_STATUS_GRACE : LV_STATUS_VALID;
    if (lv_verdict_status(verdict) != want_status)
        FAIL("status: got %u, want %s", (unsigned)lv_verdict_status(verdict), status);
    if (lv_verdict_error_message(verdict).len != 0) FAIL("a usable verdict with a message");
    check_string("site_id", lv_verdict_site_id(verdict), ok);
    check_string("org_id", lv_verdict_org_id(verdict), ok);
    check_string("license_id", lv_verdict_license_id(verdict), ok);
    check_string("product", lv_verdict_product(verdict), ok);
    check_string("tier", lv_verdict_tier(verdict), ok);
    const char *env = cJSON_GetObjectItemCaseSensitive(ok, "environment")->valuestring;
    if (lv_verdict_environment(verdict) != environment_of(env))
        FAIL("environment: got %u, want %s", (unsigned)lv_verdict_environment(verdict), env);
    check_time("expires_at", lv_verdict_expires_at(verdict), ok);
    check_time("grace_end", lv_verdict_grace_end(verdict), ok);
    const cJSON *days = cJSON_GetObjectItemCaseSensitive(ok, "grace_days_left");
    int64_t want_days = cJSON_IsNull(days) ? -1 : json_i64(days);
    if (lv_verdict_grace_days_left(verdict) != want_days)
        FAIL("grace_days_left: got %lld, want %lld", (long long)lv_verdict_grace_days_left(verdict),
             (long long)want_days);
    if (lv_verdict_cml_id(verdict).len != 64 || lv_verdict_cml_license_id(verdict).len == 0 ||
        lv_verdict_issued_at(verdict) <= 0)
        FAIL("cml_id, cml_license_id or issued_at missing");

    const cJSON *features = cJSON_GetObjectItemCaseSensitive(ok, "features");
    size_t n = (size_t)cJSON_GetArraySize(features);
    if (lv_verdict_features_len(verdict) != n)
        FAIL("features: got %zu, want %zu", lv_verdict_features_len(verdict), n);
    for (size_t i = 0; i < n; i++) {
        const char *want = cJSON_GetArrayItem(features, (int)i)->valuestring;
        if (!str_is(lv_verdict_feature(verdict, i), want))
            FAIL("feature %zu: got \"%s\", want \"%s\"", i, lv_verdict_feature(verdict, i).data,
                 want);
        if (!lv_verdict_has_feature(verdict, want, strlen(want)))
            FAIL("has_feature(%s) is false", want);
    }
    if (lv_verdict_feature(verdict, n).len != 0) FAIL("a feature past the end");
    if (lv_verdict_has_feature(verdict, "no-such-feature", 15)) FAIL("has_feature(no-such-feature)");

    const cJSON *warnings = cJSON_GetObjectItemCaseSensitive(ok, "warnings");
    size_t w = (size_t)cJSON_GetArraySize(warnings);
    if (lv_verdict_warnings_len(verdict) != w)
        FAIL("warnings: got %zu, want %zu", lv_verdict_warnings_len(verdict), w);
    for (size_t i = 0; i < w; i++) {
        const char *want = cJSON_GetArrayItem(warnings, (int)i)->valuestring;
        if (!str_is(lv_verdict_warning_name(verdict, i), want))
            FAIL("warning %zu: got \"%s\", want \"%s\"", i,
                 lv_verdict_warning_name(verdict, i).data, want);
        if (lv_verdict_warning_message(verdict, i).len == 0) FAIL("warning %zu: no message", i);
        int64_t left = lv_verdict_warning_days_left(verdict, i);
        if (left < 0) FAIL("warning %zu: days_left %lld", i, (long long)left);
        if (strcmp(want, "in_grace") == 0 && left != want_days)
            FAIL("in_grace days_left %lld, grace_days_left %lld", (long long)left,
                 (long long)want_days);
    }
    if (lv_verdict_warning_name(verdict, w).len != 0 ||
        lv_verdict_warning_days_left(verdict, w) != -1)
        FAIL("a warning past the end");
}

/* One vector of vectors.json; returns true when it passes. */
static bool run_vector(const cJSON *roots, const cJSON *v, bool use_jwk, int *validations) {
    mismatches = 0;
    current = cJSON_GetObjectItemCaseSensitive(v, "name")->valuestring;
    const cJSON *expect = cJSON_GetObjectItemCaseSensitive(v, "expect");
    const cJSON *error = cJSON_GetObjectItemCaseSensitive(expect, "error");
    const char *step =
        error ? cJSON_GetObjectItemCaseSensitive(error, "step")->valuestring : "validate";

    lv_validator *validator =
        make_validator(roots, cJSON_GetObjectItemCaseSensitive(v, "environment")->valuestring,
                       cJSON_GetObjectItemCaseSensitive(v, "roots"), use_jwk);
    lv_node_facts *facts = make_facts(cJSON_GetObjectItemCaseSensitive(v, "facts"));
    size_t license_len = 0;
    uint8_t *license = license_bytes(v, &license_len);
    if (!validator || !facts || !license) {
        FAIL("setup failed");
        goto done;
    }
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(v, "accept_other_environment")) &&
        lv_validator_accept_other_environment(validator, true) != LV_RESULT_OK)
        FAIL("lv_validator_accept_other_environment");
    const cJSON *last_seen = cJSON_GetObjectItemCaseSensitive(v, "last_seen");
    if (cJSON_IsNumber(last_seen)) {
        lv_error *err = NULL;
        lv_result rc = lv_validator_set_last_seen(validator, json_i64(last_seen), &err);
        if (rc != LV_RESULT_OK) report_error("lv_validator_set_last_seen", rc, err);
        lv_error_free(err);
    }
    int64_t now = json_i64(cJSON_GetObjectItemCaseSensitive(v, "now"));

    const cJSON *list;
    cJSON_ArrayForEach(list, cJSON_GetObjectItemCaseSensitive(v, "revocation_lists")) {
        lv_error *err = NULL;
        uint64_t seq = UINT64_MAX;
        lv_result rc = lv_validator_apply_revocation_list(validator, license, license_len,
                                                          list->valuestring,
                                                          strlen(list->valuestring), now, &seq,
                                                          &err);
        if (rc == LV_RESULT_OK) {
            if (err != NULL) FAIL("error_out written on success");
            if (seq == UINT64_MAX) FAIL("seq_out not written on success");
            continue;
        }
        if (err == NULL || lv_error_code(err) != rc || lv_error_message(err).len == 0)
            FAIL("error_out does not carry the failure");
        if (strcmp(step, "revocation_list") != 0) {
            report_error("revocation list", rc, err);
        } else {
            uint32_t want = (uint32_t)json_i64(cJSON_GetObjectItemCaseSensitive(error, "code"));
            if (rc != want) report_error("revocation list (wrong code)", rc, err);
            if (seq != UINT64_MAX) FAIL("seq_out written on failure");
        }
        lv_error_free(err);
        goto done;
    }
    if (strcmp(step, "validate") != 0) FAIL("expected a revocation list to fail");

    for (int round = 1; round <= 2; round++) {
        lv_verdict *verdict = NULL;
        lv_result rc = lv_validator_validate(validator, license, license_len, facts, now, &verdict);
        (*validations)++;
        if (!verdict) {
            FAIL("round %d: no verdict (%s)", round, lv_result_name(rc));
            continue;
        }
        check_verdict(round, rc, verdict, expect);
        lv_verdict_free(verdict);
    }
done:
    free(license);
    lv_node_facts_free(facts);
    lv_validator_free(validator);
    return mismatches == 0;
}

static void run_heartbeat(const cJSON *roots, const cJSON *v) {
    lv_validator *validator = make_validator(roots, "prod", NULL, false);
    const char *license = cJSON_GetObjectItemCaseSensitive(v, "license")->valuestring;
    const char *answer = cJSON_GetObjectItemCaseSensitive(v, "answer")->valuestring;
    const char *nonce = cJSON_GetObjectItemCaseSensitive(v, "nonce")->valuestring;
    int64_t now = json_i64(cJSON_GetObjectItemCaseSensitive(v, "now"));
    const cJSON *expect = cJSON_GetObjectItemCaseSensitive(v, "expect");
    const cJSON *ok = cJSON_GetObjectItemCaseSensitive(expect, "ok");
    lv_heartbeat *heartbeat = NULL;
    lv_error *err = NULL;
    lv_result rc = lv_validator_verify_heartbeat(
        validator, (const uint8_t *)license, strlen(license), answer, strlen(answer), nonce,
        strlen(nonce), now, &heartbeat, &err);
    if (ok) {
        if (rc != LV_RESULT_OK) {
            report_error("lv_validator_verify_heartbeat", rc, err);
        } else {
            check_string("status", lv_heartbeat_status(heartbeat), ok);
            check_time("server_time", lv_heartbeat_server_time(heartbeat), ok);
            uint64_t seq = (uint64_t)json_i64(cJSON_GetObjectItemCaseSensitive(ok, "revocation_seq"));
            if (lv_heartbeat_revocation_seq(heartbeat) != seq) FAIL("revocation_seq");
            if (lv_heartbeat_revoked(heartbeat) !=
                cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ok, "revoked")))
                FAIL("revoked");
        }
    } else {
        const cJSON *error = cJSON_GetObjectItemCaseSensitive(expect, "error");
        uint32_t want = (uint32_t)json_i64(cJSON_GetObjectItemCaseSensitive(error, "code"));
        if (rc != want) report_error("lv_validator_verify_heartbeat (wrong code)", rc, err);
        if (heartbeat != NULL) FAIL("heartbeat_out written on failure");
        if (err == NULL || lv_error_code(err) != rc) FAIL("error_out does not carry the failure");
    }
    lv_heartbeat_free(heartbeat);
    lv_error_free(err);
    lv_validator_free(validator);
}

static void run_load_root_key(const cJSON *v) {
    const char *key = cJSON_GetObjectItemCaseSensitive(v, "key")->valuestring;
    const cJSON *expect = cJSON_GetObjectItemCaseSensitive(v, "expect");
    const cJSON *ok = cJSON_GetObjectItemCaseSensitive(expect, "ok");
    uint32_t want = LV_RESULT_OK;
    if (!ok)
        want = (uint32_t)json_i64(cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(expect, "error"), "code"));

    char thumbprint[LV_THUMBPRINT_SIZE];
    memset(thumbprint, 'x', sizeof thumbprint);
    lv_error *err = NULL;
    lv_result rc = lv_key_thumbprint(key, strlen(key), thumbprint, sizeof thumbprint, &err);
    if (rc != want) report_error("lv_key_thumbprint (wrong code)", rc, err);
    lv_error_free(err);
    if (ok && rc == LV_RESULT_OK) {
        const char *tp = cJSON_GetObjectItemCaseSensitive(ok, "thumbprint")->valuestring;
        if (strcmp(thumbprint, tp) != 0) FAIL("thumbprint %s, want %s", thumbprint, tp);
    }

    lv_validator *validator = NULL;
    err = NULL;
    if (lv_validator_new(LV_ENVIRONMENT_PROD, &validator) != LV_RESULT_OK) FAIL("lv_validator_new");
    rc = lv_validator_add_root(validator, "k", 1, LV_ENVIRONMENT_PROD, key, strlen(key), &err);
    if (rc != want) report_error("lv_validator_add_root (wrong code)", rc, err);
    lv_error_free(err);
    lv_validator_free(validator);
}

/* One vector of documents.json; returns -1 when its operation is not in the C API. */
static int run_document(const cJSON *roots, const cJSON *v) {
    mismatches = 0;
    current = cJSON_GetObjectItemCaseSensitive(v, "name")->valuestring;
    const char *op = cJSON_GetObjectItemCaseSensitive(v, "operation")->valuestring;
    if (strcmp(op, "verify_heartbeat") == 0) {
        run_heartbeat(roots, v);
    } else if (strcmp(op, "load_root_key") == 0) {
        run_load_root_key(v);
    } else {
        return -1;
    }
    return mismatches == 0;
}

static cJSON *load_json(const char *path, const char *format) {
    size_t len = 0;
    char *text = read_file(path, &len);
    if (!text) return NULL;
    cJSON *json = cJSON_ParseWithLength(text, len);
    free(text);
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(json, "format");
    if (!json || !cJSON_IsString(f) || strcmp(f->valuestring, format) != 0) {
        fprintf(stderr, "%s: not a %s file\n", path, format);
        cJSON_Delete(json);
        return NULL;
    }
    return json;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s VECTORS_JSON DOCUMENTS_JSON\n", argv[0]);
        return 2;
    }
    cJSON *vectors = load_json(argv[1], "hwf-license-vectors/1");
    cJSON *documents = load_json(argv[2], "hwf-license-documents/1");
    if (!vectors || !documents) {
        cJSON_Delete(vectors);
        cJSON_Delete(documents);
        return 2;
    }
    int passed = 0, failed = 0, validations = 0, index = 0;
    const cJSON *roots = cJSON_GetObjectItemCaseSensitive(vectors, "roots");
    const cJSON *v;
    cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(vectors, "vectors")) {
        if (run_vector(roots, v, index++ % 2 == 1, &validations))
            passed++;
        else
            failed++;
    }
    int doc_passed = 0, doc_failed = 0, doc_skipped = 0;
    const cJSON *doc_roots = cJSON_GetObjectItemCaseSensitive(documents, "roots");
    cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(documents, "vectors")) {
        int r = run_document(doc_roots, v);
        if (r < 0)
            doc_skipped++;
        else if (r)
            doc_passed++;
        else
            doc_failed++;
    }
    cJSON_Delete(vectors);
    cJSON_Delete(documents);
    printf("C conformance: %d/%d vectors passed (%d validations: twice per vector, except those "
           "expected to fail at their revocation list); "
           "documents: %d passed, %d failed, %d not in the C API (manifest/ledger)\n",
           passed, passed + failed, validations, doc_passed, doc_failed, doc_skipped);
    if (passed == 0 || doc_passed == 0) {
        fprintf(stderr, "no vector ran\n");
        return 1;
    }
    return failed == 0 && doc_failed == 0 ? 0 : 1;
}
