//! hwf-license-ffi (placeholder; filled by its issue).
