//! [`lv_heartbeat`]: a verified heartbeat answer (core's `HeartbeatInfo`).

use hwf_license::HeartbeatInfo;

use crate::boundary;
use crate::handle::{read, Handle};
use crate::text::{lv_str, Texts};

/// A verified heartbeat answer from the Hub. Immutable; free it with [`lv_heartbeat_free`].
#[derive(Debug)]
pub struct lv_heartbeat {
    info: HeartbeatInfo,
    status: Texts,
}

impl Handle for lv_heartbeat {}

impl lv_heartbeat {
    pub(crate) fn new(info: HeartbeatInfo) -> Self {
        let status = Texts::new([info.status.as_str()]);
        Self { info, status }
    }
}

/// The site's status at the Hub as the Hub wrote it (e.g. `"active"`, `"revoked"`). Borrowed:
/// valid until the heartbeat is freed. Empty for NULL.
///
/// # Safety
///
/// `heartbeat` is NULL or a live handle from this library.
#[no_mangle]
pub unsafe extern "C" fn lv_heartbeat_status(heartbeat: *const lv_heartbeat) -> lv_str {
    // SAFETY: guaranteed by the caller.
    unsafe { read(heartbeat, lv_str::empty(), |h| h.status.get(0)) }
}

/// The Hub's clock (unix seconds) when it answered. 0 for NULL.
///
/// # Safety
///
/// `heartbeat` is NULL or a live handle from this library.
#[no_mangle]
pub unsafe extern "C" fn lv_heartbeat_server_time(heartbeat: *const lv_heartbeat) -> i64 {
    // SAFETY: guaranteed by the caller.
    unsafe { read(heartbeat, 0, |h| h.info.server_time) }
}

/// The sequence number of the revocation list the answer carried, now applied. 0 for NULL.
///
/// # Safety
///
/// `heartbeat` is NULL or a live handle from this library.
#[no_mangle]
pub unsafe extern "C" fn lv_heartbeat_revocation_seq(heartbeat: *const lv_heartbeat) -> u64 {
    // SAFETY: guaranteed by the caller.
    unsafe { read(heartbeat, 0, |h| h.info.revocation_seq) }
}

/// Whether that revocation list revokes this site license. false for NULL.
///
/// # Safety
///
/// `heartbeat` is NULL or a live handle from this library.
#[no_mangle]
pub unsafe extern "C" fn lv_heartbeat_revoked(heartbeat: *const lv_heartbeat) -> bool {
    // SAFETY: guaranteed by the caller.
    unsafe { read(heartbeat, false, |h| h.info.revoked) }
}

/// Frees a heartbeat. NULL does nothing.
///
/// # Safety
///
/// `heartbeat` is NULL or a live handle from this library, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn lv_heartbeat_free(heartbeat: *mut lv_heartbeat) {
    // SAFETY: guaranteed by the caller.
    boundary::value((), || unsafe { lv_heartbeat::free(heartbeat) })
}
