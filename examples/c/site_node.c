/*
 * site-node: what an hwf site node does at start-up — load its trust state, load site.lic,
 * validate it offline with the root public key built into the binary, print the verdict, save
 * the trust state when it changed, and refuse to run (exit 1) when the license is not usable.
 *
 * The trust state (--state FILE) is what the validator learnt: the clock floor (a validation at
 * the clock raises it to that time), revocation lists, heartbeat answers. Saved across runs, it
 * makes a node whose clock was set back refuse with clock_rollback, and keeps a revoked license
 * revoked after a restart.
 *
 * Build against an installed libvalidate (scripts/install-libvalidate.sh PREFIX):
 *
 *   cc -std=c99 site_node.c -o site-node $(pkg-config --cflags --libs validate)
 *   cc -std=c99 site_node.c -o site-node $(pkg-config --cflags --libs validate-static)
 *
 * or straight from the source tree after `cargo build --release -p hwf-license-ffi`:
 *
 *   cc -std=c99 -Iinclude examples/c/site_node.c target/release/libvalidate.a \
 *      -lpthread -ldl -lm -o site-node
 *
 * Usage:
 *
 *   site-node [options] site.lic
 *     --root FILE          trust this root public key (PEM or JWK) instead of the built-in one
 *     --kid KID            the root's key id (default root-prod-1)
 *     --dev                a dev node (default prod)
 *     --address IP         a node address (repeatable)
 *     --dns-name NAME      the node's DNS name
 *     --deployment-tag T   the node's deployment tag
 *     --state FILE         load the trust state from FILE at start (if it exists), save it
 *                          there when it changed
 *     --clock UNIX         the validator's clock reads this time (default: the system clock);
 *                          a validation at the clock raises the clock floor
 *     --now UNIX           what-if: validate as if it were this time (writes no trust state)
 *     --feature NAME       also check that a feature is licensed (exit 3 if not)
 *
 * Exit status: 0 usable (valid or in grace), 1 not usable, 2 usage or I/O error (also: a trust
 * state file that is refused), 3 the feature asked for is not licensed.
 *
 * Two runs, the second with the clock set back (the saved floor refuses it):
 *
 *   site-node --state node.state --clock 1793059200 ... site.lic   # VALID; state saved
 *   site-node --state node.state --clock 1767398400 ... site.lic   # INVALID: clock_rollback
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "validate.h"

/* The built-in root: testdata's prod root (kid root-prod-1), as SPKI PEM. A real node embeds the
 * production root key here. */
static const char BUILTIN_ROOT_KID[] = "root-prod-1";
static const char BUILTIN_ROOT_PEM[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEU+7juWhpexuCTx+YnRMUNxsJPdQS\n"
    "vs9h9++CiLxEbDpg2RJKZv2DkQFHfNHdPN8WpkNU3w7aEgMPZcLKPUbx+g==\n"
    "-----END PUBLIC KEY-----\n";

#define MAX_ADDRESSES 16

struct options {
    const char *license_path;
    const char *root_path;
    const char *kid;
    uint32_t environment;
    const char *addresses[MAX_ADDRESSES];
    int address_count;
    const char *dns_name;
    const char *deployment_tag;
    int64_t now;
    int64_t clock;
    int has_clock;
    const char *state_path;
    const char *feature;
    int show_root;
};

static int usage(const char *argv0) {
    fprintf(stderr,
            "usage: %s [--root FILE] [--kid KID] [--dev] [--address IP]... [--dns-name NAME]\n"
            "          [--deployment-tag TAG] [--state FILE] [--clock UNIX | --now UNIX]\n"
            "          [--feature NAME] site.lic\n"
            "       %s --show-root\n",
            argv0, argv0);
    return 2;
}

/* Reads a whole file (up to max bytes + 1, so an oversized file is still reported as such). */
static char *read_file(const char *path, size_t max, size_t *len_out) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return NULL;
    }
    char *buf = malloc(max + 2);
    size_t len = buf ? fread(buf, 1, max + 1, f) : 0;
    int failed = ferror(f);
    fclose(f);
    if (!buf || failed) {
        fprintf(stderr, "%s: cannot read\n", path);
        free(buf);
        return NULL;
    }
    buf[len] = '\0';
    *len_out = len;
    return buf;
}

static void print_time(const char *label, int64_t t) {
    char text[32] = "?";
    time_t tt = (time_t)t;
    struct tm tm;
    if (gmtime_r(&tt, &tm)) strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
    printf("%-14s %s (%" PRId64 ")\n", label, text, t);
}

/* Prints a failure with its stable name and the library's message; frees the error. */
static void print_error(const char *what, lv_result rc, lv_error *err) {
    fprintf(stderr, "%s: %s (%u): %s\n", what, lv_result_name(rc), (unsigned)rc,
            lv_error_message(err).data);
    lv_error_free(err);
}

/* The clock of --clock: the time userdata points to. Called from whichever thread validates. */
static int64_t fixed_clock(void *userdata) { return *(const int64_t *)userdata; }

/* Loads the trust state from `path` into the validator; a missing file is a first start. Returns
 * 0 (loaded or missing) or -1 (unreadable or refused: the node does not start). */
static int load_state(lv_validator *validator, const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (errno == ENOENT) {
            printf("%-14s %s (none yet: first start)\n", "state", path);
            return 0;
        }
        perror(path);
        return -1;
    }
    fclose(f);
    size_t len = 0;
    char *bytes = read_file(path, 4 * 1024 * 1024, &len);
    if (!bytes) return -1;
    lv_error *err = NULL;
    lv_result rc = lv_validator_import_state(validator, (const uint8_t *)bytes, len, &err);
    free(bytes);
    if (rc != LV_RESULT_OK) {
        print_error(path, rc, err);
        fprintf(stderr, "%s: refusing to start with this trust state; remove it to start afresh "
                        "(the node then knows only what its files say)\n",
                path);
        return -1;
    }
    int64_t floor = 0;
    lv_validator_clock_floor(validator, &floor);
    printf("%-14s %s (loaded, clock floor %" PRId64 ")\n", "state", path, floor);
    return 0;
}

/* Saves the trust state to `path` atomically: a temporary file beside it (mode 0600), fsync,
 * rename over the old one. Returns 0 or -1. */
static int save_state(const lv_validator *validator, const char *path) {
    uint8_t *state = NULL;
    size_t len = 0;
    lv_error *err = NULL;
    lv_result rc = lv_validator_export_state(validator, &state, &len, &err);
    if (rc != LV_RESULT_OK) {
        print_error("export state", rc, err);
        return -1;
    }
    size_t tmp_len = strlen(path) + 5;
    char *tmp = malloc(tmp_len);
    int ok = tmp != NULL;
    if (ok) snprintf(tmp, tmp_len, "%s.tmp", path);
    int fd = ok ? open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600) : -1;
    ok = fd >= 0;
    for (size_t done = 0; ok && done < len;) {
        ssize_t n = write(fd, state + done, len - done);
        if (n < 0 && errno == EINTR) continue;
        ok = n > 0;
        if (ok) done += (size_t)n;
    }
    ok = ok && fsync(fd) == 0;
    if (fd >= 0) ok = close(fd) == 0 && ok;
    ok = ok && rename(tmp, path) == 0;
    if (!ok) {
        perror(path);
        if (tmp) unlink(tmp);
    } else {
        printf("%-14s %s (saved, %zu bytes)\n", "state", path, len);
    }
    free(tmp);
    lv_bytes_free(state, len);
    return ok ? 0 : -1;
}

static int parse(int argc, char **argv, struct options *o) {
    memset(o, 0, sizeof *o);
    o->kid = BUILTIN_ROOT_KID;
    o->environment = LV_ENVIRONMENT_PROD;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *next = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--show-root") == 0) {
            o->show_root = 1;
        } else if (strcmp(a, "--dev") == 0) {
            o->environment = LV_ENVIRONMENT_DEV;
        } else if (next && strcmp(a, "--root") == 0) {
            o->root_path = argv[++i];
        } else if (next && strcmp(a, "--kid") == 0) {
            o->kid = argv[++i];
        } else if (next && strcmp(a, "--address") == 0) {
            if (o->address_count == MAX_ADDRESSES) return -1;
            o->addresses[o->address_count++] = argv[++i];
        } else if (next && strcmp(a, "--dns-name") == 0) {
            o->dns_name = argv[++i];
        } else if (next && strcmp(a, "--deployment-tag") == 0) {
            o->deployment_tag = argv[++i];
        } else if (next && strcmp(a, "--feature") == 0) {
            o->feature = argv[++i];
        } else if (next && strcmp(a, "--state") == 0) {
            o->state_path = argv[++i];
        } else if (next && strcmp(a, "--now") == 0) {
            char *end;
            o->now = strtoll(argv[++i], &end, 10);
            if (*end != '\0' || o->now == 0) return -1;
        } else if (next && strcmp(a, "--clock") == 0) {
            char *end;
            o->clock = strtoll(argv[++i], &end, 10);
            if (*end != '\0') return -1;
            o->has_clock = 1;
        } else if (a[0] != '-' && !o->license_path) {
            o->license_path = a;
        } else {
            return -1;
        }
    }
    if (o->has_clock && o->now) return -1; /* one time source */
    return o->show_root || o->license_path ? 0 : -1;
}

int main(int argc, char **argv) {
    struct options o;
    if (parse(argc, argv, &o) != 0) return usage(argv[0]);
    if (o.show_root) {
        fputs(BUILTIN_ROOT_PEM, stdout);
        return 0;
    }
    if (strcmp(lv_version(), LV_VERSION) != 0) {
        fprintf(stderr, "libvalidate %s loaded, but built against %s\n", lv_version(), LV_VERSION);
        return 2;
    }

    int status = 2;
    lv_validator_builder *builder = NULL;
    lv_validator *validator = NULL;
    lv_node_facts *facts = NULL;
    lv_verdict *verdict = NULL;
    char *root = NULL, *license = NULL;
    lv_error *err = NULL;
    lv_result rc;

    /* The validator, trusting the built-in root (or --root). */
    const char *root_pem = BUILTIN_ROOT_PEM;
    size_t root_len = sizeof BUILTIN_ROOT_PEM - 1;
    if (o.root_path) {
        if (!(root = read_file(o.root_path, 64 * 1024, &root_len))) goto out;
        root_pem = root;
    }
    if ((rc = lv_validator_builder_new(o.environment, &builder)) != LV_RESULT_OK) {
        fprintf(stderr, "lv_validator_builder_new: %s\n", lv_result_name(rc));
        goto out;
    }
    rc = lv_validator_builder_add_root(builder, o.kid, strlen(o.kid), o.environment, root_pem,
                                       root_len, &err);
    if (rc != LV_RESULT_OK) {
        print_error("root key", rc, err);
        goto out;
    }
    if (o.has_clock && lv_validator_builder_set_clock(builder, fixed_clock, &o.clock) != LV_RESULT_OK)
        goto out;
    if ((rc = lv_validator_builder_build(builder, &validator, &err)) != LV_RESULT_OK) {
        print_error("validator", rc, err);
        goto out;
    }
    char thumbprint[LV_THUMBPRINT_SIZE];
    if (lv_key_thumbprint(root_pem, root_len, thumbprint, sizeof thumbprint, NULL) == LV_RESULT_OK)
        printf("%-14s %s (%s)\n", "root", o.kid, thumbprint);

    /* What this node observes about itself. */
    if ((rc = lv_node_facts_new(&facts)) != LV_RESULT_OK) goto out;
    for (int i = 0; i < o.address_count; i++) {
        rc = lv_node_facts_add_address(facts, o.addresses[i], strlen(o.addresses[i]), &err);
        if (rc != LV_RESULT_OK) {
            print_error(o.addresses[i], rc, err);
            goto out;
        }
    }
    if (o.dns_name && lv_node_facts_set_dns_name(facts, o.dns_name, strlen(o.dns_name)) != LV_RESULT_OK)
        goto out;
    if (o.deployment_tag &&
        lv_node_facts_set_deployment_tag(facts, o.deployment_tag, strlen(o.deployment_tag)) !=
            LV_RESULT_OK)
        goto out;

    /* What this node learnt in earlier runs: the clock floor, revocation lists, ... */
    if (o.state_path && load_state(validator, o.state_path) != 0) goto out;

    /* Validate, at the validator's clock (or, with --now, as a what-if). The verdict is written
     * on every result: it carries the error too. */
    size_t license_len = 0;
    if (!(license = read_file(o.license_path, LV_MAX_LICENSE_BYTES, &license_len))) goto out;
    if (o.now)
        rc = lv_validator_validate(validator, (const uint8_t *)license, license_len, facts, o.now,
                                   &verdict);
    else
        rc = lv_validator_validate_now(validator, (const uint8_t *)license, license_len, facts,
                                       &verdict);
    /* Persist what changed (a raised floor), whatever the verdict. */
    if (o.state_path && lv_validator_state_changed(validator) &&
        save_state(validator, o.state_path) != 0)
        goto out;
    if (rc != LV_RESULT_OK) {
        printf("%-14s INVALID: %s (%u)\n", "license", lv_result_name(rc), (unsigned)rc);
        printf("%-14s %s\n", "reason", lv_verdict_error_message(verdict).data);
        status = 1;
        goto out;
    }
    printf("%-14s %s\n", "license",
           lv_verdict_status(verdict) == LV_STATUS_GRACE ? "IN GRACE" : "VALID");
    printf("%-14s %s\n", "site", lv_verdict_site_id(verdict).data);
    printf("%-14s %s\n", "organisation", lv_verdict_org_id(verdict).data);
    printf("%-14s %s\n", "license id", lv_verdict_license_id(verdict).data);
    printf("%-14s %s\n", "environment",
           lv_verdict_environment(verdict) == LV_ENVIRONMENT_DEV ? "dev" : "prod");
    printf("%-14s %s / %s\n", "product/tier", lv_verdict_product(verdict).data,
           lv_verdict_tier(verdict).data);
    printf("%-14s", "features");
    for (size_t i = 0; i < lv_verdict_features_len(verdict); i++)
        printf(" %s", lv_verdict_feature(verdict, i).data);
    printf("\n");
    print_time("expires", lv_verdict_expires_at(verdict));
    print_time("grace ends", lv_verdict_grace_end(verdict));
    for (size_t i = 0; i < lv_verdict_warnings_len(verdict); i++)
        printf("%-14s %s: %s\n", "WARNING", lv_verdict_warning_name(verdict, i).data,
               lv_verdict_warning_message(verdict, i).data);
    status = 0;

    /* On every licensed action: one call, no allocation. */
    if (o.feature) {
        int licensed = lv_verdict_has_feature(verdict, o.feature, strlen(o.feature));
        printf("%-14s %s: %s\n", "feature", o.feature, licensed ? "licensed" : "NOT licensed");
        if (!licensed) status = 3;
    }

out:
    lv_verdict_free(verdict);
    lv_node_facts_free(facts);
    lv_validator_free(validator);
    lv_validator_builder_free(builder);
    free(license);
    free(root);
    return status;
}
