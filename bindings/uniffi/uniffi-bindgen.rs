//! The UniFFI bindings generator, built from the same `uniffi` version as the library so the
//! generated code always matches the scaffolding. maturin runs it to write the Python module:
//! `cargo run -p hwf-license-uniffi --features cli --bin uniffi-bindgen -- generate ...`.

fn main() {
    uniffi::uniffi_bindgen_main()
}
