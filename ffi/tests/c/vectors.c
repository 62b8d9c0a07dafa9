/*
 * Runs every conformance vector of testdata/vectors/vectors.json through the C API, as
 * testdata/vectors/FORMAT.md says: a validator per vector (environment, roots, opt-in, last
 * seen), the revocation lists in order, then the license validated twice (the second call takes
 * the cached path); both verdicts must equal `expect` field by field, or carry its error code.
 * Roots are loaded from their PEM for even-numbered vectors and from their JWK for odd ones, so
 * both key formats are exercised.
 *
 * Also runs every documents.json vector, each member of `expect` compared (a member the runner
 * does not know is a failure): verify_heartbeat, load_root_key (through lv_key_thumbprint and
 * lv_validator_add_root), verify_cml, verify_manifest, verify_ledger (with the index of the
 * first bad entry), cml_standing and manifest_period; and every trust-state scenario of
 * scenarios.json (FORMAT.md, "Trust-state scenarios"): validators made by the builder with a C
 * clock callback reading the scenario's clock and the scenario's nonce seed, each step run and
 * checked in order (validate at the clock, what-if validation, revocation lists, nonces,
 * heartbeats, the policy, the floor, the changed flag, export with the exact bytes, restart
 * with import, import of bad bytes).
 *
 *   vectors VECTORS_JSON DOCUMENTS_JSON [SCENARIOS_JSON]
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
    const cJSON *member = cJSON_GetObjectItemCaseSensitive(ok, field);
    if (!cJSON_IsString(member)) {
        FAIL("%s: missing from expect", field);
        return;
    }
    if (!str_is(got, member->valuestring))
        FAIL("%s: got \"%s\", want \"%s\"", field, got.data, member->valuestring);
}

/* A string or null member; the C API gives "" for none. */
static void check_optional_string(const char *field, lv_str got, const cJSON *obj) {
    const cJSON *member = cJSON_GetObjectItemCaseSensitive(obj, field);
    if (cJSON_IsNull(member)) {
        if (got.len != 0) FAIL("%s: got \"%s\", want null", field, got.data);
    } else if (!cJSON_IsString(member) || !str_is(got, member->valuestring)) {
        FAIL("%s: got \"%s\", want %s", field, got.data,
             cJSON_IsString(member) ? member->valuestring : "(missing)");
    }
}

static void check_time(const char *field, int64_t got, const cJSON *ok) {
    const cJSON *member = cJSON_GetObjectItemCaseSensitive(ok, field);
    if (!cJSON_IsNumber(member)) {
        FAIL("%s: missing from expect", field);
        return;
    }
    int64_t want = json_i64(member);
    if (got != want) FAIL("%s: got %lld, want %lld", field, (long long)got, (long long)want);
}

/* Every member of a verdict in `expect.ok`, each compared below: a member this runner does not
 * know is a failure, so the runner cannot silently compare less than the file holds. */
static const char *const VERDICT_MEMBERS[] = {
    "status", "site_id", "org_id", "license_id", "product", "tier", "environment", "features",
    "expires_at", "grace_end", "grace_days_left", "warnings", "cml_id", "cml_license_id",
    "site_document_id", "issued_at", "site_expires_at", "cml_valid_until", "max_sites",
    "feature_packs", "max_offline_days", "fingerprint"};

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
            lv_verdict_grace_days_left(verdict) != -1 ||
            lv_verdict_site_document_id(verdict).len != 0 ||
            lv_verdict_feature_packs_len(verdict) != 0 || lv_verdict_max_sites(verdict) != 0 ||
            lv_verdict_max_offline_days(verdict) != -1 || lv_verdict_site_expires_at(verdict) != 0 ||
            lv_verdict_cml_valid_until(verdict) != 0 ||
            lv_verdict_fingerprint_address(verdict).len != 0)
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
    const cJSON *member;
    cJSON_ArrayForEach(member, ok) {
        bool known = false;
        for (size_t i = 0; i < sizeof VERDICT_MEMBERS / sizeof VERDICT_MEMBERS[0]; i++)
            known |= strcmp(member->string, VERDICT_MEMBERS[i]) == 0;
        if (!known) FAIL("expect.ok member %s is not compared by this runner", member->string);
    }
    check_string("cml_id", lv_verdict_cml_id(verdict), ok);
    check_string("cml_license_id", lv_verdict_cml_license_id(verdict), ok);
    check_string("site_document_id", lv_verdict_site_document_id(verdict), ok);
    check_time("issued_at", lv_verdict_issued_at(verdict), ok);
    check_time("site_expires_at", lv_verdict_site_expires_at(verdict), ok);
    check_time("cml_valid_until", lv_verdict_cml_valid_until(verdict), ok);
    check_time("max_sites", lv_verdict_max_sites(verdict), ok);
    const cJSON *offline = cJSON_GetObjectItemCaseSensitive(ok, "max_offline_days");
    int64_t want_offline = cJSON_IsNull(offline) ? -1 : json_i64(offline);
    if (!offline || lv_verdict_max_offline_days(verdict) != want_offline)
        FAIL("max_offline_days: got %lld, want %lld",
             (long long)lv_verdict_max_offline_days(verdict), (long long)want_offline);
    const cJSON *fingerprint = cJSON_GetObjectItemCaseSensitive(ok, "fingerprint");
    if (!cJSON_IsObject(fingerprint)) {
        FAIL("fingerprint: missing from expect");
    } else {
        check_optional_string("address", lv_verdict_fingerprint_address(verdict), fingerprint);
        check_optional_string("dns_suffix", lv_verdict_fingerprint_dns_suffix(verdict),
                              fingerprint);
        check_optional_string("deployment_tag", lv_verdict_fingerprint_deployment_tag(verdict),
                              fingerprint);
    }
    const cJSON *packs = cJSON_GetObjectItemCaseSensitive(ok, "feature_packs");
    size_t np = (size_t)cJSON_GetArraySize(packs);
    if (!cJSON_IsArray(packs) || lv_verdict_feature_packs_len(verdict) != np)
        FAIL("feature_packs: got %zu, want %zu", lv_verdict_feature_packs_len(verdict), np);
    for (size_t i = 0; i < np; i++) {
        const char *want = cJSON_GetArrayItem(packs, (int)i)->valuestring;
        if (!str_is(lv_verdict_feature_pack(verdict, i), want))
            FAIL("feature pack %zu: got \"%s\", want \"%s\"", i,
                 lv_verdict_feature_pack(verdict, i).data, want);
    }
    if (lv_verdict_feature_pack(verdict, np).len != 0) FAIL("a feature pack past the end");

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

/* Every member of `expect.ok` (or `expect.error`) must be in `known`: the runner cannot
 * silently compare less than the file holds. */
static void check_members(const cJSON *obj, const char *const *known, size_t n) {
    const cJSON *member;
    cJSON_ArrayForEach(member, obj) {
        bool found = false;
        for (size_t i = 0; i < n; i++) found |= strcmp(member->string, known[i]) == 0;
        if (!found) FAIL("expect member %s is not compared by this runner", member->string);
    }
}
#define CHECK_MEMBERS(obj, known) check_members(obj, known, sizeof known / sizeof known[0])

static const char *const ERROR_MEMBERS[] = {"code", "name", "index"};

/* The outcome of a document call against `expect`: on an expected error, its code, its name and
 * (ledger_broken) the index of the first bad entry, error_out carrying it, `out` not written.
 * Returns true when `expect.ok` is to be compared (the call succeeded as expected). */
static bool check_document_result(const char *op, lv_result rc, lv_error *err, bool out_written,
                                  const cJSON *expect) {
    const cJSON *ok = cJSON_GetObjectItemCaseSensitive(expect, "ok");
    const cJSON *error = cJSON_GetObjectItemCaseSensitive(expect, "error");
    if (ok) {
        if (rc != LV_RESULT_OK) {
            report_error(op, rc, err);
            return false;
        }
        if (err != NULL) FAIL("%s: error_out written on success", op);
        if (!out_written) FAIL("%s: out-parameter not written on success", op);
        return true;
    }
    CHECK_MEMBERS(error, ERROR_MEMBERS);
    uint32_t want = (uint32_t)json_i64(cJSON_GetObjectItemCaseSensitive(error, "code"));
    const char *name = cJSON_GetObjectItemCaseSensitive(error, "name")->valuestring;
    if (rc != want) {
        FAIL("%s: got %s (%u): %s; want %s (%u)", op, lv_result_name(rc), (unsigned)rc,
             lv_error_message(err).data, name, (unsigned)want);
    } else if (strcmp(lv_result_name(rc), name) != 0) {
        FAIL("lv_result_name(%u) is %s, want %s", (unsigned)rc, lv_result_name(rc), name);
    }
    if (err == NULL || lv_error_code(err) != rc || lv_error_message(err).len == 0)
        FAIL("%s: error_out does not carry the failure", op);
    if (out_written) FAIL("%s: out-parameter written on failure", op);
    const cJSON *index = cJSON_GetObjectItemCaseSensitive(error, "index");
    size_t got = SIZE_MAX;
    bool has = lv_error_ledger_index(err, &got);
    if (cJSON_IsNumber(index)) {
        if (!has || got != (size_t)json_i64(index))
            FAIL("%s: ledger index %s%zu, want %lld", op, has ? "" : "(none) ", got,
                 (long long)json_i64(index));
    } else if (has) {
        FAIL("%s: a ledger index %zu on a %s error", op, got, name);
    }
    return false;
}

static const char *doc_text(const cJSON *v, const char *member) {
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(v, member);
    return cJSON_IsString(m) ? m->valuestring : "";
}

static const char *const CML_MEMBERS[] = {
    "id", "license_id", "org_id", "max_sites", "valid_until", "grace_days", "feature_packs",
    "environment", "max_offline_days", "org_key_thumbprint"};

static void run_verify_cml(const cJSON *roots, const cJSON *v) {
    lv_validator *validator = make_validator(roots, "prod", NULL, false);
    const char *cml = doc_text(v, "cml");
    const cJSON *expect = cJSON_GetObjectItemCaseSensitive(v, "expect");
    lv_cml *c = NULL;
    lv_error *err = NULL;
    lv_result rc = lv_validator_verify_cml(validator, cml, strlen(cml), &c, &err);
    if (check_document_result("lv_validator_verify_cml", rc, err, c != NULL, expect)) {
        const cJSON *ok = cJSON_GetObjectItemCaseSensitive(expect, "ok");
        CHECK_MEMBERS(ok, CML_MEMBERS);
        check_string("id", lv_cml_id(c), ok);
        check_string("license_id", lv_cml_license_id(c), ok);
        check_string("org_id", lv_cml_org_id(c), ok);
        check_time("max_sites", lv_cml_max_sites(c), ok);
        check_time("valid_until", lv_cml_valid_until(c), ok);
        check_time("grace_days", lv_cml_grace_days(c), ok);
        check_string("org_key_thumbprint", lv_cml_org_key_thumbprint(c), ok);
        const char *env = cJSON_GetObjectItemCaseSensitive(ok, "environment")->valuestring;
        if (lv_cml_environment(c) != environment_of(env))
            FAIL("environment: got %u, want %s", (unsigned)lv_cml_environment(c), env);
        const cJSON *offline = cJSON_GetObjectItemCaseSensitive(ok, "max_offline_days");
        int64_t want_offline = cJSON_IsNull(offline) ? -1 : json_i64(offline);
        if (!offline || lv_cml_max_offline_days(c) != want_offline)
            FAIL("max_offline_days: got %lld, want %lld", (long long)lv_cml_max_offline_days(c),
                 (long long)want_offline);
        const cJSON *packs = cJSON_GetObjectItemCaseSensitive(ok, "feature_packs");
        size_t np = (size_t)cJSON_GetArraySize(packs);
        if (!cJSON_IsArray(packs) || lv_cml_feature_packs_len(c) != np)
            FAIL("feature_packs: got %zu, want %zu", lv_cml_feature_packs_len(c), np);
        for (size_t i = 0; i < np; i++) {
            const char *want = cJSON_GetArrayItem(packs, (int)i)->valuestring;
            if (!str_is(lv_cml_feature_pack(c, i), want))
                FAIL("feature pack %zu: got \"%s\", want \"%s\"", i, lv_cml_feature_pack(c, i).data,
                     want);
        }
        if (lv_cml_feature_pack(c, np).len != 0) FAIL("a feature pack past the end");
        if (lv_cml_issued_by(c).len == 0 || lv_cml_issued_at(c) <= 0) FAIL("issued_by/issued_at");
    }
    lv_cml_free(c);
    lv_error_free(err);
    lv_validator_free(validator);
}

static const char *const MANIFEST_MEMBERS[] = {"id", "org_id", "period", "total_active_sites",
                                               "sites"};

static void run_verify_manifest(const cJSON *roots, const cJSON *v) {
    lv_validator *validator = make_validator(roots, "prod", NULL, false);
    const char *cml = doc_text(v, "cml");
    const char *doc = doc_text(v, "document");
    const cJSON *expect = cJSON_GetObjectItemCaseSensitive(v, "expect");
    lv_manifest *m = NULL;
    lv_error *err = NULL;
    lv_result rc =
        lv_validator_verify_manifest(validator, cml, strlen(cml), doc, strlen(doc), &m, &err);
    if (check_document_result("lv_validator_verify_manifest", rc, err, m != NULL, expect)) {
        const cJSON *ok = cJSON_GetObjectItemCaseSensitive(expect, "ok");
        CHECK_MEMBERS(ok, MANIFEST_MEMBERS);
        check_string("id", lv_manifest_id(m), ok);
        check_string("org_id", lv_manifest_org_id(m), ok);
        check_string("period", lv_manifest_period(m), ok);
        check_time("total_active_sites", lv_manifest_total_active_sites(m), ok);
        check_time("sites", (int64_t)lv_manifest_sites_len(m), ok);
        size_t n = lv_manifest_sites_len(m);
        for (size_t i = 0; i < n; i++)
            if (lv_manifest_site_id(m, i).len == 0 || lv_manifest_site_status(m, i).len == 0)
                FAIL("site %zu: no site id or status", i);
        if (lv_manifest_site_id(m, n).len != 0) FAIL("a site past the end");
        /* The CML binding is the CML's id. */
        lv_cml *c = NULL;
        if (lv_validator_verify_cml(validator, cml, strlen(cml), &c, NULL) != LV_RESULT_OK ||
            lv_manifest_cml_id(m).len != lv_cml_id(c).len ||
            memcmp(lv_manifest_cml_id(m).data, lv_cml_id(c).data, lv_cml_id(c).len) != 0)
            FAIL("manifest's cml is not the CML's id");
        lv_cml_free(c);
    }
    lv_manifest_free(m);
    lv_error_free(err);
    lv_validator_free(validator);
}

static const char *const RECEIPT_MEMBERS[] = {
    "id", "org_id", "manifest", "period", "received_at", "certificate_id",
    "receipt_key_thumbprint", "certificate_valid_until"};

static void run_verify_receipt(const cJSON *roots, const cJSON *v) {
    lv_validator *validator = make_validator(roots, "prod", NULL, false);
    const char *cert = doc_text(v, "certificate");
    const char *receipt = doc_text(v, "receipt");
    const char *org = doc_text(v, "org_id");
    const char *manifest = doc_text(v, "manifest_id");
    int64_t now = json_i64(cJSON_GetObjectItemCaseSensitive(v, "now"));
    const cJSON *expect = cJSON_GetObjectItemCaseSensitive(v, "expect");
    lv_receipt *r = NULL;
    lv_error *err = NULL;
    lv_result rc = lv_validator_verify_receipt(validator, cert, strlen(cert), receipt,
                                               strlen(receipt), org, strlen(org), manifest,
                                               strlen(manifest), now, &r, &err);
    if (check_document_result("lv_validator_verify_receipt", rc, err, r != NULL, expect)) {
        const cJSON *ok = cJSON_GetObjectItemCaseSensitive(expect, "ok");
        CHECK_MEMBERS(ok, RECEIPT_MEMBERS);
        check_string("id", lv_receipt_id(r), ok);
        check_string("org_id", lv_receipt_org_id(r), ok);
        check_string("manifest", lv_receipt_manifest_id(r), ok);
        check_string("period", lv_receipt_period(r), ok);
        check_time("received_at", lv_receipt_received_at(r), ok);
        check_string("certificate_id", lv_receipt_certificate_id(r), ok);
        check_string("receipt_key_thumbprint", lv_receipt_key_thumbprint(r), ok);
        check_time("certificate_valid_until", lv_receipt_certificate_valid_until(r), ok);
    }
    lv_receipt_free(r);
    lv_error_free(err);
    lv_validator_free(validator);
}

static const char *const LEDGER_MEMBERS[] = {"length", "head"};

static void run_verify_ledger(const cJSON *roots, const cJSON *v) {
    lv_validator *validator = make_validator(roots, "prod", NULL, false);
    const char *cml = doc_text(v, "cml");
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(v, "entries");
    const cJSON *expect = cJSON_GetObjectItemCaseSensitive(v, "expect");
    size_t count = (size_t)cJSON_GetArraySize(list);
    const char **entries = malloc((count ? count : 1) * sizeof *entries);
    size_t *lens = malloc((count ? count : 1) * sizeof *lens);
    for (size_t i = 0; entries && lens && i < count; i++) {
        entries[i] = cJSON_GetArrayItem(list, (int)i)->valuestring;
        lens[i] = strlen(entries[i]);
    }
    lv_ledger *ledger = NULL;
    lv_error *err = NULL;
    /* The empty ledger is passed as NULL arrays (allowed with count 0). */
    lv_result rc = lv_validator_verify_ledger(validator, cml, strlen(cml), count ? entries : NULL,
                                              count ? lens : NULL, count, &ledger, &err);
    if (check_document_result("lv_validator_verify_ledger", rc, err, ledger != NULL, expect)) {
        const cJSON *ok = cJSON_GetObjectItemCaseSensitive(expect, "ok");
        CHECK_MEMBERS(ok, LEDGER_MEMBERS);
        check_time("length", (int64_t)lv_ledger_length(ledger), ok);
        check_string("head", lv_ledger_head(ledger), ok);
    }
    free(entries);
    free(lens);
    lv_ledger_free(ledger);
    lv_error_free(err);
    lv_validator_free(validator);
}

static const char *const STANDING_MEMBERS[] = {"standing", "days_left", "usable"};

static void run_cml_standing(const cJSON *roots, const cJSON *v) {
    lv_validator *validator = make_validator(roots, "prod", NULL, false);
    const char *cml = doc_text(v, "cml");
    int64_t now = json_i64(cJSON_GetObjectItemCaseSensitive(v, "now"));
    const cJSON *expect = cJSON_GetObjectItemCaseSensitive(v, "expect");
    lv_standing standing = 0;
    int64_t days_left = INT64_MIN;
    bool usable = false;
    lv_error *err = NULL;
    lv_result rc = lv_validator_cml_standing(validator, cml, strlen(cml), now, &standing,
                                             &days_left, &usable, &err);
    if (check_document_result("lv_validator_cml_standing", rc, err, standing != 0, expect)) {
        const cJSON *ok = cJSON_GetObjectItemCaseSensitive(expect, "ok");
        CHECK_MEMBERS(ok, STANDING_MEMBERS);
        const char *want = cJSON_GetObjectItemCaseSensitive(ok, "standing")->valuestring;
        if (strcmp(lv_standing_name(standing), want) != 0)
            FAIL("standing: got %s, want %s", lv_standing_name(standing), want);
        const cJSON *days = cJSON_GetObjectItemCaseSensitive(ok, "days_left");
        int64_t want_days = cJSON_IsNull(days) ? -1 : json_i64(days);
        if (!days || days_left != want_days)
            FAIL("days_left: got %lld, want %lld", (long long)days_left, (long long)want_days);
        if (usable != cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ok, "usable")))
            FAIL("usable: got %d", usable);
    }
    lv_error_free(err);
    lv_validator_free(validator);
}

static const char *const PERIOD_MEMBERS[] = {"start", "end"};

static void run_manifest_period(const cJSON *roots, const cJSON *v) {
    lv_validator *validator = make_validator(roots, "prod", NULL, false);
    const char *cml = doc_text(v, "cml");
    const char *period = doc_text(v, "period");
    int64_t now = json_i64(cJSON_GetObjectItemCaseSensitive(v, "now"));
    const cJSON *expect = cJSON_GetObjectItemCaseSensitive(v, "expect");
    int64_t start = INT64_MIN, end = INT64_MIN;
    lv_error *err = NULL;
    lv_result rc = lv_validator_manifest_period(validator, cml, strlen(cml), period,
                                                strlen(period), now, &start, &end, &err);
    bool written = start != INT64_MIN || end != INT64_MIN;
    if (check_document_result("lv_validator_manifest_period", rc, err, written, expect)) {
        const cJSON *ok = cJSON_GetObjectItemCaseSensitive(expect, "ok");
        CHECK_MEMBERS(ok, PERIOD_MEMBERS);
        check_time("start", start, ok);
        check_time("end", end, ok);
    }
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
    } else if (strcmp(op, "verify_cml") == 0) {
        run_verify_cml(roots, v);
    } else if (strcmp(op, "verify_manifest") == 0) {
        run_verify_manifest(roots, v);
    } else if (strcmp(op, "verify_ledger") == 0) {
        run_verify_ledger(roots, v);
    } else if (strcmp(op, "cml_standing") == 0) {
        run_cml_standing(roots, v);
    } else if (strcmp(op, "manifest_period") == 0) {
        run_manifest_period(roots, v);
    } else if (strcmp(op, "verify_receipt") == 0) {
        run_verify_receipt(roots, v);
    } else {
        return -1;
    }
    return mismatches == 0;
}

/* Lowercase hex to bytes (malloc'd; the caller frees); NULL when not hex. */
static uint8_t *hex_bytes(const char *hex, size_t *len_out) {
    size_t n = strlen(hex);
    if (n % 2) return NULL;
    uint8_t *out = malloc(n / 2 ? n / 2 : 1);
    for (size_t i = 0; out && i < n / 2; i++) {
        int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            free(out);
            return NULL;
        }
        out[i] = (uint8_t)(hi * 16 + lo);
    }
    *len_out = n / 2;
    return out;
}

/* --- trust-state scenarios ------------------------------------------------------------------ */

/* One scenario being run: what every validator of it is built with, its clock, its saved
 * state, and the current validator. */
struct scenario {
    const cJSON *roots;
    const cJSON *kids;
    uint32_t environment;
    bool accept_other;
    uint8_t seed[32];
    int64_t clock;
    uint8_t *saved;
    size_t saved_len;
    lv_validator *validator;
    bool use_jwk;
};

/* The host clock of a scenario: what the scenario says it reads now. */
static int64_t scenario_clock(void *userdata) { return *(const int64_t *)userdata; }

/* A validator for the scenario, made by the builder. */
static lv_validator *scenario_validator(struct scenario *sc) {
    lv_validator_builder *builder = NULL;
    lv_validator *validator = NULL;
    lv_result rc = lv_validator_builder_new(sc->environment, &builder);
    if (rc != LV_RESULT_OK) {
        FAIL("lv_validator_builder_new: %s", lv_result_name(rc));
        return NULL;
    }
    const cJSON *root;
    cJSON_ArrayForEach(root, sc->roots) {
        bool listed = false;
        const cJSON *kid;
        cJSON_ArrayForEach(kid, sc->kids) listed |= strcmp(kid->valuestring, root->string) == 0;
        if (!listed) continue;
        const char *env = cJSON_GetObjectItemCaseSensitive(root, "environment")->valuestring;
        char *key = sc->use_jwk
                        ? cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(root, "jwk"))
                        : strdup(cJSON_GetObjectItemCaseSensitive(root, "pem")->valuestring);
        lv_error *err = NULL;
        rc = lv_validator_builder_add_root(builder, root->string, strlen(root->string),
                                           environment_of(env), key, strlen(key), &err);
        if (rc != LV_RESULT_OK) report_error("lv_validator_builder_add_root", rc, err);
        lv_error_free(err);
        free(key);
    }
    if (lv_validator_builder_set_clock(builder, scenario_clock, &sc->clock) != LV_RESULT_OK ||
        lv_validator_builder_set_nonce_seed(builder, sc->seed, sizeof sc->seed) != LV_RESULT_OK ||
        lv_validator_builder_accept_other_environment(builder, sc->accept_other) != LV_RESULT_OK)
        FAIL("builder settings refused");
    lv_error *err = NULL;
    rc = lv_validator_builder_build(builder, &validator, &err);
    if (rc != LV_RESULT_OK) report_error("lv_validator_builder_build", rc, err);
    lv_error_free(err);
    lv_validator_builder_free(builder);
    return validator;
}

/* The error code `expect` names, or LV_RESULT_OK when it expects success. */
static lv_result expected_code(const cJSON *expect) {
    const cJSON *error = cJSON_GetObjectItemCaseSensitive(expect, "error");
    if (!error) return LV_RESULT_OK;
    return (lv_result)json_i64(cJSON_GetObjectItemCaseSensitive(error, "code"));
}

/* A step's outcome against `expect`: the same code (error_out carrying it on failure). */
static bool check_code(const char *op, lv_result rc, lv_error *err, const cJSON *expect) {
    lv_result want = expected_code(expect);
    if (rc != want) {
        FAIL("%s: got %s (%u): %s; want %s (%u)", op, lv_result_name(rc), (unsigned)rc,
             lv_error_message(err).data, lv_result_name(want), (unsigned)want);
        return false;
    }
    if (rc != LV_RESULT_OK && (err == NULL || lv_error_code(err) != rc))
        FAIL("%s: error_out does not carry the failure", op);
    return rc == LV_RESULT_OK;
}

static void scenario_validate(struct scenario *sc, const cJSON *step, bool at) {
    const char *license = cJSON_GetObjectItemCaseSensitive(step, "license")->valuestring;
    lv_node_facts *facts = make_facts(cJSON_GetObjectItemCaseSensitive(step, "facts"));
    lv_verdict *verdict = NULL;
    lv_result rc;
    if (at) {
        int64_t now = json_i64(cJSON_GetObjectItemCaseSensitive(step, "now"));
        rc = lv_validator_validate(sc->validator, (const uint8_t *)license, strlen(license), facts,
                                   now, &verdict);
    } else {
        rc = lv_validator_validate_now(sc->validator, (const uint8_t *)license, strlen(license),
                                       facts, &verdict);
    }
    if (verdict)
        check_verdict(1, rc, verdict, cJSON_GetObjectItemCaseSensitive(step, "expect"));
    else
        FAIL("no verdict (%s)", lv_result_name(rc));
    lv_verdict_free(verdict);
    lv_node_facts_free(facts);
}

static void scenario_list(struct scenario *sc, const cJSON *step) {
    const char *license = cJSON_GetObjectItemCaseSensitive(step, "license")->valuestring;
    const char *list = cJSON_GetObjectItemCaseSensitive(step, "list")->valuestring;
    const cJSON *expect = cJSON_GetObjectItemCaseSensitive(step, "expect");
    uint64_t seq = UINT64_MAX;
    lv_error *err = NULL;
    lv_result rc = lv_validator_apply_revocation_list_now(sc->validator, (const uint8_t *)license,
                                                          strlen(license), list, strlen(list),
                                                          &seq, &err);
    if (check_code("apply_revocation_list", rc, err, expect)) {
        const cJSON *ok = cJSON_GetObjectItemCaseSensitive(expect, "ok");
        uint64_t want = (uint64_t)json_i64(cJSON_GetObjectItemCaseSensitive(ok, "seq"));
        if (seq != want) FAIL("seq %llu, want %llu", (unsigned long long)seq,
                              (unsigned long long)want);
    } else if (seq != UINT64_MAX) {
        FAIL("seq_out written on failure");
    }
    lv_error_free(err);
}

static void scenario_nonce(struct scenario *sc, const cJSON *step) {
    const cJSON *expect = cJSON_GetObjectItemCaseSensitive(step, "expect");
    char *nonce = NULL;
    lv_error *err = NULL;
    lv_result rc = lv_validator_new_nonce(sc->validator, &nonce, &err);
    if (check_code("new_nonce", rc, err, expect)) {
        const cJSON *ok = cJSON_GetObjectItemCaseSensitive(expect, "ok");
        const char *want = cJSON_GetObjectItemCaseSensitive(ok, "nonce")->valuestring;
        if (strcmp(nonce, want) != 0) FAIL("nonce %s, want %s", nonce, want);
    }
    lv_string_free(nonce);
    lv_error_free(err);
}

static void scenario_heartbeat(struct scenario *sc, const cJSON *step) {
    const char *license = cJSON_GetObjectItemCaseSensitive(step, "license")->valuestring;
    const char *answer = cJSON_GetObjectItemCaseSensitive(step, "answer")->valuestring;
    const char *nonce = cJSON_GetObjectItemCaseSensitive(step, "nonce")->valuestring;
    const cJSON *expect = cJSON_GetObjectItemCaseSensitive(step, "expect");
    lv_heartbeat *heartbeat = NULL;
    lv_error *err = NULL;
    lv_result rc = lv_validator_verify_heartbeat_now(
        sc->validator, (const uint8_t *)license, strlen(license), answer, strlen(answer), nonce,
        strlen(nonce), &heartbeat, &err);
    if (check_code("verify_heartbeat", rc, err, expect)) {
        const cJSON *ok = cJSON_GetObjectItemCaseSensitive(expect, "ok");
        check_string("status", lv_heartbeat_status(heartbeat), ok);
        check_time("server_time", lv_heartbeat_server_time(heartbeat), ok);
        uint64_t seq = (uint64_t)json_i64(cJSON_GetObjectItemCaseSensitive(ok, "revocation_seq"));
        if (lv_heartbeat_revocation_seq(heartbeat) != seq) FAIL("revocation_seq");
        if (lv_heartbeat_revoked(heartbeat) !=
            cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ok, "revoked")))
            FAIL("revoked");
    } else if (heartbeat != NULL) {
        FAIL("heartbeat_out written on failure");
    }
    lv_heartbeat_free(heartbeat);
    lv_error_free(err);
}

static void scenario_export(struct scenario *sc, const cJSON *step) {
    uint8_t *state = NULL;
    size_t len = 0;
    lv_error *err = NULL;
    lv_result rc = lv_validator_export_state(sc->validator, &state, &len, &err);
    if (rc != LV_RESULT_OK) {
        report_error("lv_validator_export_state", rc, err);
        lv_error_free(err);
        return;
    }
    free(sc->saved);
    sc->saved = malloc(len ? len : 1);
    if (sc->saved) memcpy(sc->saved, state, len);
    sc->saved_len = len;
    lv_bytes_free(state, len);
    const cJSON *hex = cJSON_GetObjectItemCaseSensitive(step, "state_hex");
    if (cJSON_IsString(hex)) {
        size_t want_len = 0;
        uint8_t *want = hex_bytes(hex->valuestring, &want_len);
        if (!want || want_len != len || memcmp(want, sc->saved, len) != 0)
            FAIL("exported state differs from state_hex (%zu bytes, want %zu)", len, want_len);
        free(want);
    }
}

static void scenario_restart(struct scenario *sc, const cJSON *step) {
    lv_validator_free(sc->validator);
    sc->validator = scenario_validator(sc);
    if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(step, "import"))) return;
    if (!sc->saved) {
        FAIL("restart with import, but no state was exported");
        return;
    }
    lv_error *err = NULL;
    lv_result rc = lv_validator_import_state(sc->validator, sc->saved, sc->saved_len, &err);
    if (rc != LV_RESULT_OK) report_error("lv_validator_import_state (restart)", rc, err);
    lv_error_free(err);
}

static void scenario_import(struct scenario *sc, const cJSON *step) {
    size_t len = 0;
    uint8_t *bytes =
        hex_bytes(cJSON_GetObjectItemCaseSensitive(step, "state_hex")->valuestring, &len);
    if (!bytes) {
        FAIL("state_hex is not hex");
        return;
    }
    lv_error *err = NULL;
    lv_result rc = lv_validator_import_state(sc->validator, bytes, len, &err);
    check_code("import_state", rc, err, cJSON_GetObjectItemCaseSensitive(step, "expect"));
    lv_error_free(err);
    free(bytes);
}

/* Runs one step; returns false for an op this runner does not know. */
static bool scenario_step(struct scenario *sc, const cJSON *step) {
    const char *op = cJSON_GetObjectItemCaseSensitive(step, "op")->valuestring;
    if (strcmp(op, "set_clock") == 0) {
        sc->clock = json_i64(cJSON_GetObjectItemCaseSensitive(step, "time"));
    } else if (strcmp(op, "validate") == 0) {
        scenario_validate(sc, step, false);
    } else if (strcmp(op, "validate_at") == 0) {
        scenario_validate(sc, step, true);
    } else if (strcmp(op, "apply_revocation_list") == 0) {
        scenario_list(sc, step);
    } else if (strcmp(op, "new_nonce") == 0) {
        scenario_nonce(sc, step);
    } else if (strcmp(op, "verify_heartbeat") == 0) {
        scenario_heartbeat(sc, step);
    } else if (strcmp(op, "set_accept_other_environment") == 0) {
        sc->accept_other = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(step, "accept"));
        if (lv_validator_accept_other_environment(sc->validator, sc->accept_other) !=
            LV_RESULT_OK)
            FAIL("lv_validator_accept_other_environment");
    } else if (strcmp(op, "expect_floor") == 0) {
        int64_t floor = -1, want = json_i64(cJSON_GetObjectItemCaseSensitive(step, "floor"));
        if (lv_validator_clock_floor(sc->validator, &floor) != LV_RESULT_OK || floor != want)
            FAIL("clock floor %lld, want %lld", (long long)floor, (long long)want);
    } else if (strcmp(op, "expect_state_changed") == 0) {
        bool want = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(step, "changed"));
        if (lv_validator_state_changed(sc->validator) != want)
            FAIL("state_changed %d, want %d", !want, want);
    } else if (strcmp(op, "export_state") == 0) {
        scenario_export(sc, step);
    } else if (strcmp(op, "restart") == 0) {
        scenario_restart(sc, step);
    } else if (strcmp(op, "import_state") == 0) {
        scenario_import(sc, step);
    } else {
        FAIL("unknown op %s", op);
        return false;
    }
    return true;
}

/* One scenario of scenarios.json; returns true when every step did what it says. */
static bool run_scenario(const cJSON *roots, const cJSON *s, bool use_jwk, int *steps) {
    static char where[256];
    mismatches = 0;
    const char *name = cJSON_GetObjectItemCaseSensitive(s, "name")->valuestring;
    snprintf(where, sizeof where, "%s", name);
    current = where;
    struct scenario sc;
    memset(&sc, 0, sizeof sc);
    sc.roots = roots;
    sc.kids = cJSON_GetObjectItemCaseSensitive(s, "roots");
    sc.environment =
        environment_of(cJSON_GetObjectItemCaseSensitive(s, "environment")->valuestring);
    sc.accept_other = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(s, "accept_other_environment"));
    sc.clock = json_i64(cJSON_GetObjectItemCaseSensitive(s, "clock"));
    sc.use_jwk = use_jwk;
    size_t seed_len = 0;
    uint8_t *seed =
        hex_bytes(cJSON_GetObjectItemCaseSensitive(s, "nonce_seed")->valuestring, &seed_len);
    if (!seed || seed_len != sizeof sc.seed) {
        FAIL("nonce_seed is not 32 bytes of hex");
        free(seed);
        return false;
    }
    memcpy(sc.seed, seed, sizeof sc.seed);
    free(seed);
    sc.validator = scenario_validator(&sc);
    int index = 0;
    const cJSON *step;
    cJSON_ArrayForEach(step, cJSON_GetObjectItemCaseSensitive(s, "steps")) {
        snprintf(where, sizeof where, "%s step %d (%s)", name, index++,
                 cJSON_GetObjectItemCaseSensitive(step, "op")->valuestring);
        if (!sc.validator) {
            FAIL("no validator");
            break;
        }
        scenario_step(&sc, step);
        (*steps)++;
    }
    lv_validator_free(sc.validator);
    free(sc.saved);
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
    if (argc != 3 && argc != 4) {
        fprintf(stderr, "usage: %s VECTORS_JSON DOCUMENTS_JSON [SCENARIOS_JSON]\n", argv[0]);
        return 2;
    }
    cJSON *vectors = load_json(argv[1], "hwf-license-vectors/1");
    cJSON *documents = load_json(argv[2], "hwf-license-documents/1");
    cJSON *scenarios = argc == 4 ? load_json(argv[3], "hwf-license-scenarios/1") : NULL;
    if (!vectors || !documents || (argc == 4 && !scenarios)) {
        cJSON_Delete(vectors);
        cJSON_Delete(documents);
        cJSON_Delete(scenarios);
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
    int sc_passed = 0, sc_failed = 0, steps = 0;
    index = 0;
    if (scenarios) {
        const cJSON *sc_roots = cJSON_GetObjectItemCaseSensitive(scenarios, "roots");
        cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(scenarios, "scenarios")) {
            if (run_scenario(sc_roots, v, index++ % 2 == 1, &steps))
                sc_passed++;
            else
                sc_failed++;
        }
    }
    cJSON_Delete(vectors);
    cJSON_Delete(documents);
    cJSON_Delete(scenarios);
    printf("C conformance: %d/%d vectors passed (%d validations: twice per vector, except those "
           "expected to fail at their revocation list); "
           "documents: %d passed, %d failed, %d not in the C API\n",
           passed, passed + failed, validations, doc_passed, doc_failed, doc_skipped);
    if (argc == 4)
        printf("C scenarios: %d/%d passed (%d steps)\n", sc_passed, sc_passed + sc_failed, steps);
    if (passed == 0 || doc_passed == 0 || (argc == 4 && sc_passed == 0)) {
        fprintf(stderr, "no vector ran\n");
        return 1;
    }
    if (doc_skipped != 0) fprintf(stderr, "%d documents.json vectors not run\n", doc_skipped);
    return failed == 0 && doc_failed == 0 && doc_skipped == 0 && sc_failed == 0 ? 0 : 1;
}
