//! Reading the console's HTML answers in tests: the text between two markers, attribute
//! values back to text, a form's CSRF field, and multipart bodies as the forms send them.

/// The text between `start` and the next `end` after it.
pub fn between<'a>(s: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let i = s.find(start)? + start.len();
    let j = s[i..].find(end)? + i;
    Some(&s[i..j])
}

/// `&amp;` etc. back to text (askama escapes attribute values).
pub fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&#38;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#43;", "+")
        .replace("&#47;", "/")
        .replace("&#61;", "=")
        .replace("&amp;", "&")
}

/// The value of the first hidden `csrf` field of `html`.
pub fn csrf(html: &str) -> String {
    between(html, "name=\"csrf\" value=\"", "\"")
        .unwrap_or_else(|| panic!("no csrf field in {html}"))
        .to_string()
}

/// The boundary of [`multipart`] bodies.
pub const BOUNDARY: &str = "XbOuNdArY";

/// A multipart/form-data body of text fields (as the import and sign-in forms send them): the
/// `Content-Type` and the body.
pub fn multipart(fields: &[(&str, &str)]) -> (String, String) {
    let mut b = String::new();
    for (k, v) in fields {
        b.push_str(&format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
        ));
    }
    b.push_str(&format!("--{BOUNDARY}--\r\n"));
    (format!("multipart/form-data; boundary={BOUNDARY}"), b)
}
