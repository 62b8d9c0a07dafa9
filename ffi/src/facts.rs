//! [`lv_node_facts`]: what the node observes about itself, built once and passed to every
//! validation. Parsing an address is core's (`NodeFacts::from_strs`); an empty DNS name or
//! deployment tag means "none", C having no optional string.

use std::ffi::c_char;

use hwf_license::NodeFacts;

use crate::boundary::{self, Failure};
use crate::error::lv_error;
use crate::handle::{Handle, Out};
use crate::input;
use crate::result::lv_result;

/// The node's facts: IP addresses, DNS name, deployment tag. Starts empty. Several validations
/// may read one at once; do not change it while another thread uses it. Free it with
/// [`lv_node_facts_free`].
#[derive(Debug, Default)]
pub struct lv_node_facts {
    facts: NodeFacts,
}

impl Handle for lv_node_facts {}

impl lv_node_facts {
    pub(crate) fn facts(&self) -> &NodeFacts {
        &self.facts
    }
}

/// Makes empty node facts (no address, no DNS name, no deployment tag) in `*facts_out`.
///
/// # Safety
///
/// `facts_out` is NULL or valid for writing a pointer.
#[no_mangle]
pub unsafe extern "C" fn lv_node_facts_new(facts_out: *mut *mut lv_node_facts) -> lv_result {
    // SAFETY: no error_out.
    unsafe {
        boundary::status(std::ptr::null_mut(), || {
            let out = Out::required(facts_out, "facts_out")?;
            out.write(lv_node_facts::default().into_raw());
            Ok(())
        })
    }
}

/// Adds one IP address (IPv4 or IPv6 text, e.g. `"10.20.30.40"` or `"fd00::1"`, surrounding
/// whitespace ignored). Not an IP address (including empty text): `LV_RESULT_INVALID_ARGUMENT`.
///
/// # Safety
///
/// `facts` is NULL or a live handle not used by another thread; `address` is NULL or readable
/// for `address_len` bytes; `error_out` is NULL or valid for writing a pointer.
#[no_mangle]
pub unsafe extern "C" fn lv_node_facts_add_address(
    facts: *mut lv_node_facts,
    address: *const c_char,
    address_len: usize,
    error_out: *mut *mut lv_error,
) -> lv_result {
    // SAFETY: forwarded from the caller.
    unsafe {
        boundary::status(error_out, || {
            let facts = lv_node_facts::borrow_mut(facts, "facts")?;
            let address = input::text(address, address_len, "address")?;
            let parsed = NodeFacts::from_strs([address], None, None)?;
            facts.facts.addresses.extend(parsed.addresses);
            Ok(())
        })
    }
}

/// Reads optional text: empty means none.
///
/// # Safety
///
/// As [`input::text`].
unsafe fn optional_text(
    ptr: *const c_char,
    len: usize,
    what: &str,
) -> Result<Option<String>, Failure> {
    // SAFETY: forwarded.
    let s = unsafe { input::text(ptr, len, what) }?;
    Ok((!s.is_empty()).then(|| s.to_owned()))
}

/// Sets the node's DNS name (e.g. `"node1.berlin.acme.example"`), replacing any earlier one;
/// length 0 removes it.
///
/// # Safety
///
/// `facts` is NULL or a live handle not used by another thread; `dns_name` is NULL or readable
/// for `dns_name_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn lv_node_facts_set_dns_name(
    facts: *mut lv_node_facts,
    dns_name: *const c_char,
    dns_name_len: usize,
) -> lv_result {
    // SAFETY: forwarded from the caller.
    unsafe {
        boundary::status(std::ptr::null_mut(), || {
            let facts = lv_node_facts::borrow_mut(facts, "facts")?;
            facts.facts.dns_name = optional_text(dns_name, dns_name_len, "dns_name")?;
            Ok(())
        })
    }
}

/// Sets the node's deployment tag (e.g. `"blue"`), replacing any earlier one; length 0 removes
/// it.
///
/// # Safety
///
/// `facts` is NULL or a live handle not used by another thread; `tag` is NULL or readable for
/// `tag_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn lv_node_facts_set_deployment_tag(
    facts: *mut lv_node_facts,
    tag: *const c_char,
    tag_len: usize,
) -> lv_result {
    // SAFETY: forwarded from the caller.
    unsafe {
        boundary::status(std::ptr::null_mut(), || {
            let facts = lv_node_facts::borrow_mut(facts, "facts")?;
            facts.facts.deployment_tag = optional_text(tag, tag_len, "deployment tag")?;
            Ok(())
        })
    }
}

/// Frees node facts. NULL does nothing.
///
/// # Safety
///
/// `facts` is NULL or a live handle from this library, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn lv_node_facts_free(facts: *mut lv_node_facts) {
    // SAFETY: guaranteed by the caller.
    boundary::value((), || unsafe { lv_node_facts::free(facts) })
}
