//! hwf-license-uniffi (placeholder; filled by its issue).
