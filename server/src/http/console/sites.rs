//! The Sites pages (list, create, detail with the chain preview, revoke, download, CSV import):
//! built on this foundation by the Sites work; their routes join [`super::Routes`] here, so the
//! CSRF and header tests cover them.

use super::Routes;

pub(super) fn routes(r: Routes) -> Routes {
    r
}
