//! Where a JS validator reads the time and its nonce seed.
//!
//! Core's [`hwf_license::Clock`] must be `Send + Sync`, and a JS function is neither. This
//! module keeps each validator's JS clock function in a registry on the JavaScript side
//! (`js/clock-registry.js`: the module is `no_std` and holds no JS value in a Rust static) and
//! gives core a clock that holds just the registry key, so the binding needs no `unsafe`. The JS
//! function is called with nothing of the registry borrowed, so a clock may itself call into the
//! package. When it throws or returns something other than a number, the clock answers an
//! out-of-range time (core then refuses the call) and records why; the method that read it
//! throws that reason instead of core's generic message.
//!
//! Without a clock function the time is `Math.floor(Date.now() / 1000)`.

use alloc::format;
use alloc::string::String;
use core::sync::atomic::{AtomicU32, Ordering};

use hwf_license::ErrorCode;
use js_sys::{Function, Reflect, Uint8Array};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

use crate::error::{license_error, JsResult};
use crate::input::floor;

#[wasm_bindgen(module = "/js/clock-registry.js")]
extern "C" {
    #[wasm_bindgen(js_name = clockRegister)]
    fn clock_register(id: u32, func: &Function);
    #[wasm_bindgen(js_name = clockForget)]
    fn clock_forget(id: u32);
    #[wasm_bindgen(js_name = clockFunction)]
    fn clock_function(id: u32) -> JsValue;
    #[wasm_bindgen(js_name = clockSetFailure)]
    fn clock_set_failure(id: u32, failure: &JsValue);
    #[wasm_bindgen(js_name = clockTakeFailure)]
    fn clock_take_failure(id: u32) -> JsValue;
}

/// The next registry key (one wasm thread: the atomic is only for a safe `static`).
static NEXT_ID: AtomicU32 = AtomicU32::new(0);

/// The JS clock (`Date.now()` in whole seconds).
pub(crate) fn date_now() -> i64 {
    floor(js_sys::Date::now() / 1000.0)
}

/// A validator's JS clock function, registered until this handle is dropped.
pub(crate) struct JsClock {
    id: u32,
}

impl JsClock {
    /// Registers `func`.
    pub(crate) fn register(func: Function) -> Self {
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        clock_register(id, &func);
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
        clock_set_failure(self.id, &JsValue::UNDEFINED);
        let result = f();
        let failure = clock_take_failure(self.id);
        if failure.is_undefined() {
            result
        } else {
            Err(failure)
        }
    }
}

impl Drop for JsClock {
    fn drop(&mut self) {
        clock_forget(self.id);
    }
}

/// Out of core's accepted range: the call that read it fails.
const FAILED: i64 = -1;

fn read(id: u32) -> i64 {
    let Ok(func) = clock_function(id).dyn_into::<Function>() else {
        return FAILED;
    };
    let failure = match func.call0(&JsValue::UNDEFINED) {
        Ok(value) => match value.as_f64() {
            // Fractions are floored: `() => Date.now() / 1000` is a clock too. Values out of
            // range saturate and core refuses them with its own message.
            Some(t) if t.is_finite() => return floor(t),
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
    clock_set_failure(id, &failure);
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
