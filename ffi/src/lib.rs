//! # libvalidate — the C ABI of hwf-license
//!
//! This crate builds `libvalidate.so` and `libvalidate.a`, whose header `include/validate.h` is
//! generated from it by cbindgen (`scripts/gen-header.sh`). It holds **no license logic**: every
//! rule is core's ([`hwf_license`]); this crate translates C arguments into core's types and
//! core's results and errors into C handles and stable codes, nothing more.
//!
//! | handle | made by | freed by | what it is |
//! |--------|---------|----------|------------|
//! | [`lv_validator`] | [`lv_validator_new`], [`lv_validator_builder_build`] | [`lv_validator_free`] | trusted roots, environment policy, clock, trust state (clock floor, revocation lists, heartbeat answers), the verified-chain cache |
//! | [`lv_validator_builder`] | [`lv_validator_builder_new`] | [`lv_validator_builder_free`] | a validator's settings before it is made: roots, policy, a host clock callback, a fixed nonce seed |
//! | [`lv_node_facts`] | [`lv_node_facts_new`] | [`lv_node_facts_free`] | what the node observes: addresses, DNS name, deployment tag |
//! | [`lv_verdict`] | [`lv_validator_validate`] | [`lv_verdict_free`] | one validation's outcome: usable (valid or grace) with its fields, or its error |
//! | [`lv_heartbeat`] | [`lv_validator_verify_heartbeat`] | [`lv_heartbeat_free`] | a verified heartbeat answer |
//! | [`lv_cml`] | [`lv_validator_verify_cml`] | [`lv_cml_free`] | a CML verified on its own |
//! | [`lv_manifest`] | [`lv_validator_verify_manifest`], [`lv_validator_verify_manifest_with_ledger`] | [`lv_manifest_free`] | a usage manifest verified against its CML |
//! | [`lv_ledger`] | [`lv_validator_verify_ledger`] | [`lv_ledger_free`] | a usage ledger verified from its first entry: length and head |
//! | [`lv_receipt`] | [`lv_validator_verify_receipt`] | [`lv_receipt_free`] | a Root's manifest receipt verified with its receipt key certificate |
//! | [`lv_error`] | any call with an `error_out` parameter | [`lv_error_free`] | a failure's code and message |
//! | `uint8_t *` + length | [`lv_validator_export_state`] | [`lv_bytes_free`] | trust state bytes |
//! | `char *` | [`lv_validator_new_nonce`] | [`lv_string_free`] | a heartbeat nonce |
//!
//! ## Conventions (the contract every function follows)
//!
//! - **Names.** Every symbol starts with `lv_` (macros with `LV_`).
//! - **Results.** Fallible functions return an [`lv_result`]: `LV_RESULT_OK` (0) or one of
//!   core's stable error codes (`hwf_license::ErrorCode`, numbers and names unchanged; 100–599
//!   for license and input errors, 900–902 for this binding: NULL parameter, invalid UTF-8,
//!   panic). [`lv_result_name`] gives the stable name. Compare codes, never messages.
//! - **Out-parameters** (`*_out`) are written only on success and never read. The two
//!   exceptions are named in their functions: `error_out` (optional) is written only on
//!   failure, and [`lv_validator_validate`] / [`lv_validator_validate_now`] write their
//!   verdict (which carries the error) on every result when `verdict_out` is not NULL.
//! - **Inputs.** Every buffer is a pointer followed by its `size_t` length. Text is UTF-8 given
//!   as pointer + length (no NUL terminator needed; an embedded NUL is an ordinary byte). A NULL
//!   pointer is `LV_RESULT_NULL_PARAMETER`, even with length 0 — except where a parameter is
//!   documented as optional. Text that is not UTF-8 is `LV_RESULT_INVALID_UTF8`.
//! - **Output strings** are [`lv_str`]: UTF-8, `len` bytes at `data`, and also NUL-terminated
//!   (`data[len] == 0`) so `printf("%s", s.data)` works; `data` is never NULL. They are borrowed
//!   from the handle they came from and stay valid until that handle is freed. The caller never
//!   frees them.
//! - **Ownership.** Every handle a function returns through an out-parameter is owned by the
//!   caller, who frees it exactly once with its `_free` function. Every `_free` accepts NULL and
//!   does nothing. Arguments are borrowed for the duration of the call only; the library keeps no
//!   pointer into caller memory.
//! - **Threads.** An [`lv_validator`] may be used from several threads at once, and its calls
//!   run concurrently (core's validator is `Sync`; the handle holds it behind a read-write lock
//!   whose write side only [`lv_validator_add_root`] and
//!   [`lv_validator_accept_other_environment`] take); only [`lv_validator_free`] must not race
//!   with other calls on it. A clock callback set with [`lv_validator_builder_set_clock`] must be
//!   callable from any thread at once. [`lv_verdict`], [`lv_heartbeat`] and [`lv_error`] are
//!   immutable: share them freely until freed. An [`lv_node_facts`] may be read by several
//!   validations at once, but must not be changed while another thread uses it; a builder is
//!   for one thread at a time.
//! - **Panics** never cross the boundary: every function body runs inside `catch_unwind`; a panic
//!   (a bug) becomes `LV_RESULT_PANIC` or the getter's documented default. A validator whose
//!   internal lock was poisoned by a panic answers `LV_RESULT_PANIC` from then on.
//! - **Time** is unix seconds (`int64_t`). The `_now` calls ([`lv_validator_validate_now`],
//!   [`lv_validator_apply_revocation_list_now`], [`lv_validator_verify_heartbeat_now`]) read the
//!   validator's clock (the system clock, or the builder's) and may raise its clock floor; the
//!   calls with a `now` argument use that time, and a validation at a given time is a what-if
//!   that never writes the trust state. `now == 0` is deprecated: it means the validator's
//!   clock, as the `_now` call.
//! - **Trust state.** What a validator learns (clock floor, revocation lists, heartbeat answers)
//!   survives a restart only if the host persists it: [`lv_validator_export_state`] when
//!   [`lv_validator_state_changed`], [`lv_validator_import_state`] at start-up.

#![deny(missing_docs)]
// The C names are the Rust names: `lv_validator`, `lv_result`, ...
#![allow(non_camel_case_types)]

mod boundary;
mod builder;
mod documents;
mod error;
mod facts;
mod handle;
mod heartbeat;
mod input;
mod receipt;
mod result;
mod state;
mod text;
mod validator;
mod verdict;
mod version;

pub use builder::{
    lv_validator_builder, lv_validator_builder_accept_other_environment,
    lv_validator_builder_add_root, lv_validator_builder_build, lv_validator_builder_free,
    lv_validator_builder_new, lv_validator_builder_set_clock, lv_validator_builder_set_nonce_seed,
};
pub use documents::{
    lv_cml, lv_cml_environment, lv_cml_feature_pack, lv_cml_feature_packs_len, lv_cml_free,
    lv_cml_grace_days, lv_cml_id, lv_cml_issued_at, lv_cml_issued_by, lv_cml_license_id,
    lv_cml_max_offline_days, lv_cml_max_sites, lv_cml_org_id, lv_cml_org_key_thumbprint,
    lv_cml_valid_until, lv_ledger, lv_ledger_free, lv_ledger_head, lv_ledger_length, lv_manifest,
    lv_manifest_admin_users, lv_manifest_cml_id, lv_manifest_free, lv_manifest_generated_at,
    lv_manifest_id, lv_manifest_ledger_head, lv_manifest_ledger_length, lv_manifest_org_id,
    lv_manifest_period, lv_manifest_site_id, lv_manifest_site_status, lv_manifest_sites_len,
    lv_manifest_total_active_sites, lv_manifest_total_users, lv_standing, lv_standing_name,
    lv_validator_cml_standing, lv_validator_manifest_period, lv_validator_verify_cml,
    lv_validator_verify_ledger, lv_validator_verify_manifest,
    lv_validator_verify_manifest_with_ledger,
};
pub use error::{lv_error, lv_error_code, lv_error_free, lv_error_ledger_index, lv_error_message};
pub use facts::{
    lv_node_facts, lv_node_facts_add_address, lv_node_facts_free, lv_node_facts_new,
    lv_node_facts_set_deployment_tag, lv_node_facts_set_dns_name,
};
pub use heartbeat::{
    lv_heartbeat, lv_heartbeat_free, lv_heartbeat_revocation_seq, lv_heartbeat_revoked,
    lv_heartbeat_server_time, lv_heartbeat_status,
};
pub use receipt::{
    lv_receipt, lv_receipt_certificate_id, lv_receipt_certificate_valid_until, lv_receipt_free,
    lv_receipt_id, lv_receipt_key_thumbprint, lv_receipt_manifest_id, lv_receipt_org_id,
    lv_receipt_period, lv_receipt_received_at, lv_validator_verify_receipt,
};
pub use result::{lv_result, lv_result_name};
pub use state::{
    lv_bytes_free, lv_string_free, lv_validator_export_state, lv_validator_import_state,
    lv_validator_new_nonce, lv_validator_state_changed,
};
pub use text::lv_str;
pub use validator::{
    lv_environment, lv_key_thumbprint, lv_validator, lv_validator_accept_other_environment,
    lv_validator_add_root, lv_validator_apply_revocation_list,
    lv_validator_apply_revocation_list_now, lv_validator_clock_floor, lv_validator_free,
    lv_validator_new, lv_validator_set_last_seen, lv_validator_validate, lv_validator_validate_now,
    lv_validator_verify_heartbeat, lv_validator_verify_heartbeat_now, LV_MAX_LICENSE_BYTES,
    LV_THUMBPRINT_SIZE,
};
pub use verdict::{
    lv_status, lv_verdict, lv_verdict_cml_id, lv_verdict_cml_license_id,
    lv_verdict_cml_valid_until, lv_verdict_environment, lv_verdict_error, lv_verdict_error_message,
    lv_verdict_expires_at, lv_verdict_feature, lv_verdict_feature_pack,
    lv_verdict_feature_packs_len, lv_verdict_features_len, lv_verdict_fingerprint_address,
    lv_verdict_fingerprint_deployment_tag, lv_verdict_fingerprint_dns_suffix, lv_verdict_free,
    lv_verdict_grace_days_left, lv_verdict_grace_end, lv_verdict_has_feature, lv_verdict_issued_at,
    lv_verdict_license_id, lv_verdict_max_offline_days, lv_verdict_max_sites, lv_verdict_org_id,
    lv_verdict_product, lv_verdict_site_document_id, lv_verdict_site_expires_at,
    lv_verdict_site_id, lv_verdict_status, lv_verdict_tier, lv_verdict_warning_days_left,
    lv_verdict_warning_message, lv_verdict_warning_name, lv_verdict_warnings_len,
};
pub use version::{lv_version, LV_VERSION_MAJOR, LV_VERSION_MINOR, LV_VERSION_PATCH};
