//! Users, roles and API tokens: Argon2id password hashes, HS256 JWTs valid for one hour (key
//! derived from the master secret), checked on every request against the user's current row
//! (a deleted user's token stops working, a changed role applies at once).

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Argon2, Params};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::audit::{self, Actor, AuditPage, Origin};
use super::clock::SharedClock;
use super::keys::random_bytes;
use super::ServiceError;
use crate::config::HashCost;
use crate::domain::{inputs, Role};
use crate::store::{users, Db};

/// Token lifetime in seconds.
pub const TOKEN_TTL: i64 = 3600;

/// Accounts: users, passwords, sign-in and tokens, the audit log.
#[derive(Clone)]
pub struct Accounts {
    db: Db,
    token_key: [u8; 32],
    cost: HashCost,
    clock: SharedClock,
}

impl std::fmt::Debug for Accounts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Accounts").finish_non_exhaustive()
    }
}

/// A user as listed.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct UserInfo {
    /// Name.
    pub username: String,
    /// Role.
    pub role: Role,
    /// Unix seconds.
    pub created_at: i64,
}

/// A signed-in user's token.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LoginAnswer {
    /// HS256 JWT for `Authorization: Bearer`.
    pub token: String,
    /// `Bearer`.
    pub token_type: String,
    /// Seconds until the token expires.
    pub expires_in: i64,
    /// The user's role.
    pub role: Role,
}

/// Who a valid token belongs to, with the user's current role.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    /// The user.
    pub user: String,
    /// Their role now.
    pub role: Role,
}

/// The claims of an API token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenClaims {
    /// Username.
    pub sub: String,
    /// Role when issued (the current role is read on every request).
    pub role: Role,
    /// Issued at (unix seconds).
    pub iat: i64,
    /// Expiry (unix seconds).
    pub exp: i64,
}

impl Accounts {
    /// Accounts on `db`, tokens signed with `token_key`, new passwords hashed at `cost`, times
    /// read from `clock`.
    pub fn new(db: Db, token_key: [u8; 32], cost: HashCost, clock: SharedClock) -> Self {
        Self {
            db,
            token_key,
            cost,
            clock,
        }
    }

    fn now(&self) -> i64 {
        self.clock.now()
    }

    /// Adds a user (409 `user-exists` when the name is taken).
    pub async fn add_user(
        &self,
        username: &str,
        password: &str,
        role: Role,
    ) -> Result<(), ServiceError> {
        inputs::username(username)?;
        inputs::password(password)?;
        let (owned, cost) = (password.to_string(), self.cost);
        let hash = tokio::task::spawn_blocking(move || hash_password(&owned, cost))
            .await
            .map_err(ServiceError::internal)??;
        let mut c = self.db.conn().await?;
        if !users::insert(&mut c, username, &hash, role.as_str(), self.now()).await? {
            return Err(ServiceError::UserExists(username.into()));
        }
        Ok(())
    }

    /// Adds a user for `by` and records it in the audit log.
    pub async fn create_user(
        &self,
        by: &Actor,
        username: &str,
        password: &str,
        role: Role,
    ) -> Result<(), ServiceError> {
        self.add_user(username, password, role).await?;
        audit::record_now(
            &self.db,
            self.now(),
            by,
            "user.create",
            Some(username),
            Some(role.as_str()),
        )
        .await
    }

    /// Creates the first admin when there is no user at all, with `password`, or a generated
    /// one; returns `Some(password)` when it was generated (to be printed once).
    pub async fn bootstrap_admin(
        &self,
        password: Option<&str>,
    ) -> Result<Option<String>, ServiceError> {
        if users::count(&mut *self.db.conn().await?).await? > 0 {
            return Ok(None);
        }
        let (password, generated) = match password {
            Some(p) => (p.to_string(), false),
            None => (generate_password(), true),
        };
        match self.add_user("admin", &password, Role::Admin).await {
            Ok(()) => Ok(generated.then_some(password)),
            Err(ServiceError::UserExists(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Sets a user's password (the demo's own admin password).
    pub async fn set_password(&self, username: &str, password: &str) -> Result<(), ServiceError> {
        let (owned, cost) = (password.to_string(), self.cost);
        let hash = tokio::task::spawn_blocking(move || hash_password(&owned, cost))
            .await
            .map_err(ServiceError::internal)??;
        if !users::set_password(&mut *self.db.conn().await?, username, &hash).await? {
            return Err(ServiceError::NotFound(format!("no user {username:?}")));
        }
        Ok(())
    }

    /// Every user.
    pub async fn list_users(&self) -> Result<Vec<UserInfo>, ServiceError> {
        users::list(&mut *self.db.conn().await?)
            .await?
            .into_iter()
            .map(|u| {
                Ok(UserInfo {
                    username: u.username,
                    role: Role::parse(&u.role)?,
                    created_at: u.created_at,
                })
            })
            .collect()
    }

    /// Deletes a user for `by` (who may not delete themselves: that would end the session at
    /// once and can lock the last admin out) and records it.
    pub async fn delete_user(&self, by: &Actor, username: &str) -> Result<(), ServiceError> {
        if username == by.name {
            return Err(ServiceError::CannotDeleteSelf);
        }
        if !users::delete(&mut *self.db.conn().await?, username).await? {
            return Err(ServiceError::NotFound(format!("no user {username:?}")));
        }
        audit::record_now(
            &self.db,
            self.now(),
            by,
            "user.delete",
            Some(username),
            None,
        )
        .await
    }

    /// Signs a user in from `origin` (audited as `auth.login` or `auth.login_failed`): a
    /// token valid for [`TOKEN_TTL`].
    pub async fn login(
        &self,
        username: &str,
        password: &str,
        origin: &Origin,
    ) -> Result<LoginAnswer, ServiceError> {
        let who = Actor::user(username, origin);
        match self.check_password(username, password).await {
            Ok(role) => {
                let now = self.now();
                audit::record_now(&self.db, now, &who, "auth.login", Some(username), None).await?;
                Ok(LoginAnswer {
                    token: issue_token(&self.token_key, username, role, now),
                    token_type: "Bearer".into(),
                    expires_in: TOKEN_TTL,
                    role,
                })
            }
            Err(e @ ServiceError::Unauthorized(_)) => {
                audit::record_now(
                    &self.db,
                    self.now(),
                    &who,
                    "auth.login_failed",
                    Some(username),
                    None,
                )
                .await?;
                Err(e)
            }
            Err(e) => Err(e),
        }
    }

    /// Checks a user's password; returns the role.
    async fn check_password(&self, username: &str, password: &str) -> Result<Role, ServiceError> {
        let row = users::credentials(&mut *self.db.conn().await?, username).await?;
        // An unknown user costs the same time as a real check, so names cannot be probed.
        let (hash, role) = match row {
            Some((hash, role)) => (hash, Some(role)),
            None => (DUMMY_HASH.to_string(), None),
        };
        let password = password.to_string();
        // Argon2 is CPU-bound: keep it off the async workers.
        let ok = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
            .await
            .map_err(ServiceError::internal)?;
        match (ok, role) {
            (true, Some(role)) => Ok(Role::parse(&role)?),
            _ => Err(ServiceError::Unauthorized(
                "wrong username or password".into(),
            )),
        }
    }

    /// The caller of a bearer token: valid signature and lifetime at the clock, and the user
    /// still there (with their current role).
    pub async fn authenticate(&self, token: &str) -> Result<Caller, ServiceError> {
        let claims = verify_token(&self.token_key, token, self.now())?;
        let role = users::role(&mut *self.db.conn().await?, &claims.sub)
            .await?
            .ok_or_else(|| {
                ServiceError::Unauthorized("the token's user no longer exists".into())
            })?;
        Ok(Caller {
            user: claims.sub,
            role: Role::parse(&role)?,
        })
    }

    /// A page of the audit log (`limit` 1..=1000), newest first.
    pub async fn audit_page(&self, limit: i64, offset: i64) -> Result<AuditPage, ServiceError> {
        audit::page(&self.db, limit, offset).await
    }
}

/// Hashes a password with Argon2id at `cost` (PHC string; the cost is stored in it).
pub fn hash_password(password: &str, cost: HashCost) -> Result<String, ServiceError> {
    let params = Params::new(cost.m_kib, cost.t, 1, None).map_err(ServiceError::internal)?;
    let argon = Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let salt = SaltString::encode_b64(&random_bytes::<16>()).map_err(ServiceError::internal)?;
    argon
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(ServiceError::internal)
}

/// Checks a password against a stored PHC hash.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A random password of 24 base64url characters.
pub fn generate_password() -> String {
    B64URL.encode(random_bytes::<18>())
}

const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$N3Zx7yC2a9H3n0Yq9rU0j2zC6m2m1oQ2m0m9n2Y8Q0E";

type HmacSha256 = Hmac<Sha256>;
const JWT_HEADER: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

/// Issues an HS256 JWT for `user` with `role`, issued at `iat`, valid for [`TOKEN_TTL`].
pub fn issue_token(key: &[u8], user: &str, role: Role, iat: i64) -> String {
    let claims = TokenClaims {
        sub: user.into(),
        role,
        iat,
        exp: iat + TOKEN_TTL,
    };
    let mut out = B64URL.encode(JWT_HEADER);
    out.push('.');
    out.push_str(&B64URL.encode(serde_json::to_vec(&claims).unwrap_or_default()));
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(out.as_bytes());
    out.push('.');
    out.push_str(&B64URL.encode(mac.finalize().into_bytes()));
    out
}

/// Verifies a token's header, signature (constant time) and expiry at `now`.
pub fn verify_token(key: &[u8], token: &str, now: i64) -> Result<TokenClaims, ServiceError> {
    let bad = |why: &str| ServiceError::Unauthorized(format!("invalid token: {why}"));
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad("not a JWT"));
    };
    if B64URL.decode(h).ok().as_deref() != Some(JWT_HEADER.as_bytes()) {
        return Err(bad("header must be HS256 JWT"));
    }
    let sig = B64URL
        .decode(s)
        .map_err(|_| bad("bad signature encoding"))?;
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(&token.as_bytes()[..h.len() + 1 + p.len()]);
    mac.verify_slice(&sig)
        .map_err(|_| bad("signature does not verify"))?;
    let claims: TokenClaims = B64URL
        .decode(p)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(|| bad("bad claims"))?;
    if now >= claims.exp {
        return Err(bad("expired"));
    }
    Ok(claims)
}
#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";

    #[test]
    fn tokens_verify_until_they_expire() {
        let t = issue_token(KEY, "alice", Role::Operator, 1_000);
        let c = verify_token(KEY, &t, 1_000 + TOKEN_TTL - 1).unwrap();
        assert_eq!(
            (c.sub.as_str(), c.role, c.exp),
            ("alice", Role::Operator, 1_000 + TOKEN_TTL)
        );
        let e = verify_token(KEY, &t, 1_000 + TOKEN_TTL).unwrap_err();
        assert_eq!(e.to_string(), "invalid token: expired");
        assert!(matches!(e, ServiceError::Unauthorized(_)));
    }

    #[test]
    fn tampered_forged_and_malformed_tokens_are_refused() {
        let t = issue_token(KEY, "alice", Role::Viewer, 1_000);
        let forged = issue_token(b"another key", "alice", Role::Viewer, 1_000);
        assert!(verify_token(KEY, &forged, 1_001).is_err());
        // Raise the role in the payload, keep the signature.
        let parts: Vec<&str> = t.split('.').collect();
        let admin = B64URL.encode(
            serde_json::to_vec(&TokenClaims {
                sub: "alice".into(),
                role: Role::Admin,
                iat: 1_000,
                exp: 1_000 + TOKEN_TTL,
            })
            .unwrap(),
        );
        let raised = format!("{}.{admin}.{}", parts[0], parts[2]);
        assert!(verify_token(KEY, &raised, 1_001).is_err());
        let none_alg = format!(
            "{}.{}.",
            B64URL.encode(r#"{"alg":"none","typ":"JWT"}"#),
            parts[1]
        );
        assert!(verify_token(KEY, &none_alg, 1_001).is_err());
        for bad in ["", "a.b", "a.b.c.d", &t[..t.len() - 2]] {
            assert!(verify_token(KEY, bad, 1_001).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn roles_are_ordered() {
        assert!(Role::Admin > Role::Operator && Role::Operator > Role::Viewer);
        assert_eq!(Role::parse("operator").unwrap(), Role::Operator);
        assert!(Role::parse("root").is_err());
    }

    #[test]
    fn passwords_hash_and_verify() {
        let cost = HashCost { m_kib: 64, t: 1 };
        let h = hash_password("correct horse battery", cost).unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=64,t=1,p=1$"));
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("correct horse batterY", &h));
        assert_ne!(
            h,
            hash_password("correct horse battery", cost).unwrap(),
            "salted"
        );
        assert!(!verify_password("x", DUMMY_HASH));
    }
}
