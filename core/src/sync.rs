//! The two locks the validator uses, the same API with and without `std`.
//!
//! With `std` they are `std::sync::{Mutex, RwLock}` (threads that wait sleep); without it they
//! are `spin`'s, the only choice a `no_std` target has (on single-threaded targets such as wasm32
//! they never spin). A lock is held only for map look-ups and state updates, never across a
//! signature check. A poisoned `std` lock is recovered: every critical section leaves the data
//! consistent before anything in it can panic.

#[cfg(feature = "std")]
mod imp {
    pub(crate) struct Mutex<T>(std::sync::Mutex<T>);
    pub(crate) struct RwLock<T>(std::sync::RwLock<T>);
    pub(crate) type MutexGuard<'a, T> = std::sync::MutexGuard<'a, T>;
    pub(crate) type ReadGuard<'a, T> = std::sync::RwLockReadGuard<'a, T>;
    pub(crate) type WriteGuard<'a, T> = std::sync::RwLockWriteGuard<'a, T>;

    /// A value set once (the lazily built pure-Rust verifying key).
    pub(crate) struct Once<T>(std::sync::OnceLock<T>);

    impl<T> Once<T> {
        pub(crate) const fn new() -> Self {
            Self(std::sync::OnceLock::new())
        }
        pub(crate) fn get(&self) -> Option<&T> {
            self.0.get()
        }
        /// Sets the value if unset (a value another thread set first wins) and returns it.
        pub(crate) fn call_once(&self, f: impl FnOnce() -> T) -> &T {
            self.0.get_or_init(f)
        }
    }

    impl<T> Mutex<T> {
        pub(crate) const fn new(value: T) -> Self {
            Self(std::sync::Mutex::new(value))
        }
        pub(crate) fn lock(&self) -> MutexGuard<'_, T> {
            self.0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
        }
    }

    impl<T> RwLock<T> {
        pub(crate) const fn new(value: T) -> Self {
            Self(std::sync::RwLock::new(value))
        }
        pub(crate) fn read(&self) -> ReadGuard<'_, T> {
            self.0
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
        }
        pub(crate) fn write(&self) -> WriteGuard<'_, T> {
            self.0
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
        }
    }
}

#[cfg(not(feature = "std"))]
mod imp {
    pub(crate) struct Mutex<T>(spin::Mutex<T>);
    pub(crate) struct RwLock<T>(spin::RwLock<T>);
    pub(crate) type MutexGuard<'a, T> = spin::MutexGuard<'a, T>;
    pub(crate) type ReadGuard<'a, T> = spin::RwLockReadGuard<'a, T>;
    pub(crate) type WriteGuard<'a, T> = spin::RwLockWriteGuard<'a, T>;

    /// A value set once (the lazily built pure-Rust verifying key).
    pub(crate) struct Once<T>(spin::Once<T>);

    impl<T> Once<T> {
        pub(crate) const fn new() -> Self {
            Self(spin::Once::new())
        }
        pub(crate) fn get(&self) -> Option<&T> {
            self.0.get()
        }
        /// Sets the value if unset (a value another thread set first wins) and returns it.
        pub(crate) fn call_once(&self, f: impl FnOnce() -> T) -> &T {
            self.0.call_once(f)
        }
    }

    impl<T> Mutex<T> {
        pub(crate) const fn new(value: T) -> Self {
            Self(spin::Mutex::new(value))
        }
        pub(crate) fn lock(&self) -> MutexGuard<'_, T> {
            self.0.lock()
        }
    }

    impl<T> RwLock<T> {
        pub(crate) const fn new(value: T) -> Self {
            Self(spin::RwLock::new(value))
        }
        pub(crate) fn read(&self) -> ReadGuard<'_, T> {
            self.0.read()
        }
        pub(crate) fn write(&self) -> WriteGuard<'_, T> {
            self.0.write()
        }
    }
}

pub(crate) use imp::{Mutex, Once, RwLock};
