//! The console's static files, embedded in the binary (`include_bytes!`) and served at
//! `/assets/<stem>.<hash>.<ext>`: the first 16 hex digits of the file's SHA-256 are in the
//! URL, so an answer may be cached for a year (`immutable`) and a new build's file has a new
//! URL. Each answer also carries an `ETag` (the hash). Vendored files and their checksums are
//! recorded in `server/assets/vendor/VENDOR.md`.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::{Cacheable, Routes};

/// One embedded file.
#[derive(Debug)]
pub struct Asset {
    /// Its name as templates ask for it (`console.css`).
    pub name: &'static str,
    /// `Content-Type`.
    pub content_type: &'static str,
    /// The bytes.
    pub bytes: &'static [u8],
    /// Its URL, with the hash.
    pub url: String,
    /// The hash in the URL and the ETag (16 hex digits of SHA-256).
    pub hash: String,
}

const FILES: &[(&str, &str, &[u8])] = &[
    (
        "console.css",
        "text/css; charset=utf-8",
        include_bytes!("../../../assets/console.css"),
    ),
    (
        "htmx.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../../assets/vendor/htmx-2.0.11.min.js"),
    ),
];

/// Every embedded file, hashed once.
pub static ASSETS: LazyLock<Vec<Asset>> = LazyLock::new(|| {
    FILES
        .iter()
        .map(|(name, content_type, bytes)| {
            let hash = hex::encode(&Sha256::digest(bytes)[..8]);
            let (stem, ext) = name.rsplit_once('.').unwrap_or((name, ""));
            Asset {
                name,
                content_type,
                bytes,
                url: format!("/assets/{stem}.{hash}.{ext}"),
                hash,
            }
        })
        .collect()
});

/// The URL of embedded file `name` (`/assets/missing` for an unknown name, which answers 404).
pub fn url(name: &str) -> &'static str {
    ASSETS
        .iter()
        .find(|a| a.name == name)
        .map_or("/assets/missing", |a| a.url.as_str())
}

pub(super) fn routes<S: Clone + Send + Sync + 'static>(r: Routes<S>) -> Routes<S> {
    r.get("/assets/{file}", serve)
}

/// `GET /assets/{file}`: the file whose hashed name this is, long-cached, or 404. A request
/// with a matching `If-None-Match` gets 304.
async fn serve(Path(file): Path<String>, headers: HeaderMap) -> Response {
    let wanted = format!("/assets/{file}");
    let Some(a) = ASSETS.iter().find(|a| a.url == wanted) else {
        return (StatusCode::NOT_FOUND, "no such asset").into_response();
    };
    let etag = format!("\"{}\"", a.hash);
    let not_modified = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let cache = [
        (header::ETAG, etag.clone()),
        (
            header::CACHE_CONTROL,
            "public, max-age=31536000, immutable".to_string(),
        ),
    ];
    let mut res = if not_modified {
        (StatusCode::NOT_MODIFIED, cache).into_response()
    } else {
        (
            cache,
            [(header::CONTENT_TYPE, a.content_type.to_string())],
            a.bytes,
        )
            .into_response()
    };
    res.extensions_mut().insert(Cacheable);
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The vendored files are the ones `VENDOR.md` records: same SHA-256.
    #[test]
    fn vendored_files_match_their_recorded_checksums() {
        let record = include_str!("../../../assets/vendor/VENDOR.md");
        let vendored = [(
            "htmx-2.0.11.min.js",
            &include_bytes!("../../../assets/vendor/htmx-2.0.11.min.js")[..],
        )];
        for (file, bytes) in vendored {
            let sum = hex::encode(Sha256::digest(bytes));
            let line = record
                .lines()
                .find(|l| l.contains(file) && l.contains("SHA-256"))
                .unwrap_or_else(|| panic!("VENDOR.md has no SHA-256 line for {file}"));
            assert!(
                line.contains(&sum),
                "{file}: SHA-256 {sum} is not the recorded one: {line}"
            );
        }
    }

    #[test]
    fn urls_carry_the_content_hash() {
        let css = url("console.css");
        assert!(
            css.starts_with("/assets/console.") && css.ends_with(".css"),
            "{css}"
        );
        assert_eq!(css.len(), "/assets/console..css".len() + 16);
        assert_eq!(url("nope"), "/assets/missing");
    }
}
