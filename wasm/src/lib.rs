//! hwf-license-wasm (placeholder; filled by its issue).
