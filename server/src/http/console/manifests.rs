//! The manifests pages: generate for a month, preview (rendered and raw JSON), send to the
//! Root, download, history with delivery status, attempts, last error and receipt, and import a
//! receipt.

use super::Routes;

pub(super) fn routes(r: Routes) -> Routes {
    r
}
