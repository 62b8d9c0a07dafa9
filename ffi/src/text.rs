//! Output strings: [`lv_str`], and the NUL-terminated copies a handle owns.

use std::ffi::c_char;

/// A borrowed UTF-8 string returned by the library: `len` bytes at `data`, followed by a NUL
/// byte (`data[len] == 0`), so it can be used as a C string too. `data` is never NULL (an empty
/// or absent value is `""`). It belongs to the handle it came from and stays valid until that
/// handle is freed; never free it. A value that itself contains a NUL byte is cut short when
/// read as a C string: use `len` to see all of it.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct lv_str {
    /// The first byte; never NULL; `data[len]` is 0.
    pub data: *const c_char,
    /// The length in bytes, without the terminating NUL.
    pub len: usize,
}

impl lv_str {
    /// The empty string (static).
    pub(crate) fn empty() -> Self {
        Self {
            data: c"".as_ptr(),
            len: 0,
        }
    }

    /// The bytes (for the Rust tests and benches).
    ///
    /// # Safety
    ///
    /// The handle this came from is alive.
    #[cfg(test)]
    pub(crate) unsafe fn as_str<'a>(&self) -> &'a str {
        // SAFETY: `data` points to `len` bytes of UTF-8 owned by a live handle.
        unsafe {
            std::str::from_utf8_unchecked(std::slice::from_raw_parts(self.data.cast(), self.len))
        }
    }
}

/// Strings copied once into one NUL-separated buffer, read back by index as [`lv_str`].
#[derive(Debug)]
pub(crate) struct Texts {
    bytes: Box<[u8]>,
    spans: Box<[(usize, usize)]>,
}

impl Texts {
    /// Copies `items` (in order; index `i` reads back the `i`-th).
    pub(crate) fn new<'a>(items: impl IntoIterator<Item = &'a str> + Clone) -> Self {
        let (mut total, mut count) = (0, 0);
        for s in items.clone() {
            total += s.len() + 1;
            count += 1;
        }
        let mut bytes = Vec::with_capacity(total);
        let mut spans = Vec::with_capacity(count);
        for s in items {
            spans.push((bytes.len(), s.len()));
            bytes.extend_from_slice(s.as_bytes());
            bytes.push(0);
        }
        Self {
            bytes: bytes.into_boxed_slice(),
            spans: spans.into_boxed_slice(),
        }
    }

    /// The `i`-th string, or the empty string when there is none. The pointer stays valid while
    /// `self` lives (a boxed slice never moves its bytes).
    pub(crate) fn get(&self, i: usize) -> lv_str {
        match self.spans.get(i) {
            Some(&(start, len)) => lv_str {
                data: self.bytes[start..].as_ptr().cast(),
                len,
            },
            None => lv_str::empty(),
        }
    }

    /// The `i`-th string as `&str`.
    #[cfg(test)]
    pub(crate) fn str(&self, i: usize) -> &str {
        self.spans
            .get(i)
            .and_then(|&(start, len)| std::str::from_utf8(&self.bytes[start..start + len]).ok())
            .unwrap_or("")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_read_back_nul_terminated_by_index() {
        let t = Texts::new(["ab", "", "c\u{e9}"]);
        for (i, want) in ["ab", "", "c\u{e9}"].iter().enumerate() {
            let s = t.get(i);
            // SAFETY: `t` is alive; `data[len]` is inside the buffer.
            unsafe {
                assert_eq!(s.as_str(), *want);
                assert_eq!(*s.data.add(s.len), 0);
            }
            assert_eq!(t.str(i), *want);
        }
        let none = t.get(3);
        assert_eq!(none.len, 0);
        // SAFETY: static empty string.
        assert_eq!(unsafe { *none.data }, 0);
        assert_eq!(t.str(3), "");
    }
}
