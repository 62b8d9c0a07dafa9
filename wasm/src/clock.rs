//! Where a JS validator reads the time and its nonce seed.
//!
//! Core's [`hwf_license::Clock`] must be `Send + Sync`, and a JS function is neither. This
//! module keeps each validator's JS clock function in a registry local to the (only) wasm
//! thread and gives core a clock that holds just the registry key, so the binding needs no
//! `unsafe`. The JS function is called without any borrow of the registry held, so a clock may
//! itself call into the package. When it throws or returns something other than a number, the
//! clock answers an out-of-range time (core then refuses the call) and records why; the method
//! that read it throws that reason instead of core's generic message.
//!
//! Without a clock function the time is `Math.floor(Date.now() / 1000)`.

use std::cell::{Cell, RefCell};

use hwf_license::ErrorCode;
use js_sys::{Function, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};

use crate::error::{license_error, JsResult};

struct Slot {
    func: Function,
    /// Why the last reading failed, if it did.
    failure: Option<JsValue>,
}

thread_local! {
    // A few entries (one per live validator with a clock function): a Vec, not a map, keeps
    // the module small.
    static CLOCKS: RefCell<Vec<(u32, Slot)>> = const { RefCell::new(Vec::new()) };
    static NEXT_ID: Cell<u32> = const { Cell::new(0) };
}

/// The JS clock (`Date.now()` in whole seconds).
pub(crate) fn date_now() -> i64 {
    (js_sys::Date::now() / 1000.0).floor() as i64
}

/// A validator's JS clock function, registered until this handle is dropped.
pub(crate) struct JsClock {
    id: u32,
}

impl JsClock {
    /// Registers `func`.
    pub(crate) fn register(func: Function) -> Self {
        let id = NEXT_ID.with(|n| {
            let id = n.get();
            n.set(id.wrapping_add(1));
            id
        });
        CLOCKS.with(|c| {
            c.borrow_mut().push((
                id,
                Slot {
                    func,
                    failure: None,
                },
            ))
        });
        Self { id }
    }

    /// The clock core reads: it holds only the registry key.
    pub(crate) fn reader(&self) -> impl Fn() -> i64 + Send + Sync + 'static {
        let id = self.id;
        move || read(id)
    }

    /// Runs `f` (a core call that may read the clock); when the clock failed during it, the
    /// clock's failure replaces `f`'s result.
    pub(crate) fn guard<T>(&self, f: impl FnOnce() -> JsResult<T>) -> JsResult<T> {
        with_slot(self.id, |s| s.failure = None);
        let result = f();
        match with_slot(self.id, |s| s.failure.take()).flatten() {
            Some(failure) => Err(failure),
            None => result,
        }
    }
}

impl Drop for JsClock {
    fn drop(&mut self) {
        CLOCKS.with(|c| c.borrow_mut().retain(|(id, _)| *id != self.id));
    }
}

fn with_slot<T>(id: u32, f: impl FnOnce(&mut Slot) -> T) -> Option<T> {
    CLOCKS.with(|c| {
        c.borrow_mut()
            .iter_mut()
            .find(|(i, _)| *i == id)
            .map(|(_, slot)| f(slot))
    })
}

/// Out of core's accepted range: the call that read it fails.
const FAILED: i64 = -1;

fn read(id: u32) -> i64 {
    let Some(func) = with_slot(id, |s| s.func.clone()) else {
        return FAILED;
    };
    let failure = match func.call0(&JsValue::UNDEFINED) {
        Ok(value) => match value.as_f64() {
            // Fractions are floored: `() => Date.now() / 1000` is a clock too. Values out of
            // range saturate and core refuses them with its own message.
            Some(t) if t.is_finite() => return t.floor() as i64,
            _ => license_error(
                ErrorCode::InvalidArgument,
                "options.clock must return unix seconds as a number",
            ),
        },
        Err(thrown) => {
            let detail = thrown
                .dyn_ref::<js_sys::Error>()
                .map(|e| String::from(e.message()))
                .or_else(|| thrown.as_string())
                .unwrap_or_else(|| "a non-Error value".into());
            let err = license_error(
                ErrorCode::InvalidArgument,
                &format!("options.clock threw: {detail}"),
            );
            // The original exception stays reachable as `cause`.
            let _ = Reflect::set(&err, &JsValue::from_str("cause"), &thrown);
            err
        }
    };
    with_slot(id, |s| s.failure = Some(failure));
    FAILED
}

/// 32 bytes from `crypto.getRandomValues`, or `None` where there is no such function.
pub(crate) fn random_seed() -> Option<[u8; 32]> {
    let crypto = Reflect::get(&js_sys::global(), &JsValue::from_str("crypto")).ok()?;
    if !crypto.is_object() {
        return None;
    }
    let get = Reflect::get(&crypto, &JsValue::from_str("getRandomValues"))
        .ok()?
        .dyn_into::<Function>()
        .ok()?;
    let buf = Uint8Array::new_with_length(32);
    get.call1(&crypto, &buf).ok()?;
    let mut seed = [0u8; 32];
    buf.copy_to(&mut seed);
    Some(seed)
}
