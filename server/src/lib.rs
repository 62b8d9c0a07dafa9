//! hwf-license-server (placeholder; filled by its issue).
