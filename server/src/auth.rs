//! Users, roles and API tokens: Argon2id password hashes, HS256 JWTs valid for one hour (key
//! derived from the master secret), and the [`Auth`] extractor that checks a token and a
//! minimum role before the handler reads its body.

use std::marker::PhantomData;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Argon2, Params};
use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use sqlx::Row;

use crate::db::Db;
use crate::problem::Problem;

/// Token lifetime in seconds.
pub const TOKEN_TTL: i64 = 3600;
/// The environment variable that sets the first admin's password.
pub const ADMIN_PASSWORD_ENV: &str = "HWF_ADMIN_PASSWORD";
/// Shortest accepted password.
pub const MIN_PASSWORD_LEN: usize = 12;

/// A user's role. Each role includes the rights of the roles below it.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Read-only.
    Viewer,
    /// Site licenses.
    Operator,
    /// CML, manifests, users, audit log.
    Admin,
}

impl Role {
    /// `"admin"`, `"operator"` or `"viewer"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Viewer => "viewer",
            Self::Operator => "operator",
            Self::Admin => "admin",
        }
    }

    /// Parses a role name.
    pub fn parse(s: &str) -> Result<Self, Problem> {
        match s {
            "viewer" => Ok(Self::Viewer),
            "operator" => Ok(Self::Operator),
            "admin" => Ok(Self::Admin),
            _ => Err(Problem::invalid(
                "role must be \"admin\", \"operator\" or \"viewer\"",
            )),
        }
    }
}

/// Argon2id cost parameters (memory KiB, iterations). Production uses the OWASP baseline.
#[derive(Clone, Copy, Debug)]
pub struct HashCost {
    /// Memory in KiB.
    pub m_kib: u32,
    /// Iterations.
    pub t: u32,
}

impl Default for HashCost {
    fn default() -> Self {
        Self {
            m_kib: 19_456,
            t: 2,
        }
    }
}

/// Hashes a password with Argon2id at `cost` (PHC string; the cost is stored in it).
pub fn hash_password(password: &str, cost: HashCost) -> Result<String, Problem> {
    let params =
        Params::new(cost.m_kib, cost.t, 1, None).map_err(|e| Problem::internal(e.to_string()))?;
    let argon = Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let salt = SaltString::encode_b64(&crate::keys_at_rest::random_bytes::<16>())
        .map_err(|e| Problem::internal(e.to_string()))?;
    argon
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Problem::internal(e.to_string()))
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
    B64URL.encode(crate::keys_at_rest::random_bytes::<18>())
}

/// Creates a user (409 if the name exists).
pub async fn create_user(
    db: &Db,
    username: &str,
    password: &str,
    role: Role,
    cost: HashCost,
) -> Result<(), Problem> {
    if username.is_empty()
        || username.len() > 64
        || !username
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-@".contains(&b))
    {
        return Err(Problem::invalid(
            "username must be 1..=64 characters of A-Z a-z 0-9 . _ - @",
        ));
    }
    if password.len() < MIN_PASSWORD_LEN {
        return Err(Problem::invalid(format!(
            "password must be at least {MIN_PASSWORD_LEN} characters"
        )));
    }
    let owned = password.to_string();
    let hash = tokio::task::spawn_blocking(move || hash_password(&owned, cost))
        .await
        .map_err(Problem::internal)??;
    let r = sqlx::query(
        "INSERT INTO users (username, password_hash, role, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (username) DO NOTHING",
    )
    .bind(username)
    .bind(hash)
    .bind(role.as_str())
    .bind(crate::now())
    .execute(&db.pool)
    .await?;
    if r.rows_affected() == 0 {
        return Err(Problem::conflict(
            "user-exists",
            "User exists",
            format!("user {username:?} already exists"),
        ));
    }
    Ok(())
}

/// Creates the first admin when there is no user at all. The password comes from
/// [`ADMIN_PASSWORD_ENV`] or is generated; returns `Some(password)` when it was generated (to be
/// printed once), `None` otherwise.
pub async fn bootstrap_admin(db: &Db, cost: HashCost) -> Result<Option<String>, Problem> {
    let n: i64 = sqlx::query("SELECT count(*) FROM users")
        .fetch_one(&db.pool)
        .await?
        .try_get(0)?;
    if n > 0 {
        return Ok(None);
    }
    let (password, generated) = match std::env::var(ADMIN_PASSWORD_ENV) {
        Ok(p) if !p.is_empty() => (p, false),
        _ => (generate_password(), true),
    };
    match create_user(db, "admin", &password, Role::Admin, cost).await {
        Ok(()) => Ok(generated.then_some(password)),
        Err(p) if p.slug() == "user-exists" => Ok(None),
        Err(p) => Err(p),
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

/// Every user.
pub async fn list_users(db: &Db) -> Result<Vec<UserInfo>, Problem> {
    let rows = sqlx::query("SELECT username, role, created_at FROM users ORDER BY username")
        .fetch_all(&db.pool)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(UserInfo {
                username: r.try_get(0)?,
                role: Role::parse(&r.try_get::<String, _>(1)?)?,
                created_at: r.try_get(2)?,
            })
        })
        .collect()
}

/// Deletes a user (404 if absent).
pub async fn delete_user(db: &Db, username: &str) -> Result<(), Problem> {
    let r = sqlx::query("DELETE FROM users WHERE username = $1")
        .bind(username)
        .execute(&db.pool)
        .await?;
    if r.rows_affected() == 0 {
        return Err(Problem::not_found(format!("no user {username:?}")));
    }
    Ok(())
}

/// Checks a user's password; returns the role.
pub async fn check_login(db: &Db, username: &str, password: &str) -> Result<Role, Problem> {
    let row = sqlx::query("SELECT password_hash, role FROM users WHERE username = $1")
        .bind(username)
        .fetch_optional(&db.pool)
        .await?;
    let bad = || Problem::unauthorized("wrong username or password");
    // An unknown user costs the same time as a real check, so names cannot be probed by timing.
    let (hash, role) = match &row {
        Some(r) => (r.try_get::<String, _>(0)?, Some(r.try_get::<String, _>(1)?)),
        None => (DUMMY_HASH.to_string(), None),
    };
    let password = password.to_string();
    // Argon2 is CPU-bound: keep it off the async workers.
    let ok = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .map_err(Problem::internal)?;
    match (ok, role) {
        (true, Some(role)) => Role::parse(&role),
        _ => Err(bad()),
    }
}

const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$N3Zx7yC2a9H3n0Yq9rU0j2zC6m2m1oQ2m0m9n2Y8Q0E";

/// The claims of an API token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenClaims {
    /// Username.
    pub sub: String,
    /// Role.
    pub role: Role,
    /// Issued at (unix seconds).
    pub iat: i64,
    /// Expiry (unix seconds).
    pub exp: i64,
}

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
pub fn verify_token(key: &[u8], token: &str, now: i64) -> Result<TokenClaims, Problem> {
    let bad = |why: &str| Problem::unauthorized(format!("invalid token: {why}"));
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

/// What the [`Auth`] extractor needs from the application state: the token key, and the
/// database to read the user's current role (a deleted user's token stops working at once, a
/// changed role applies at once).
#[derive(Clone, Debug)]
pub struct AuthKey {
    /// HS256 key.
    pub key: [u8; 32],
    /// The users' database.
    pub db: Db,
}

/// A minimum role, as a type for the [`Auth`] extractor.
pub trait MinRole {
    /// The least role allowed.
    const ROLE: Role;
}

/// Marker: any signed-in user.
#[derive(Debug)]
pub struct AnyUser;
/// Marker: operator or admin.
#[derive(Debug)]
pub struct OperatorUp;
/// Marker: admin only.
#[derive(Debug)]
pub struct AdminOnly;

impl MinRole for AnyUser {
    const ROLE: Role = Role::Viewer;
}
impl MinRole for OperatorUp {
    const ROLE: Role = Role::Operator;
}
impl MinRole for AdminOnly {
    const ROLE: Role = Role::Admin;
}

/// Who made a request: the verified token's user and role, plus the peer address and user agent
/// for the audit log. Extracting `Auth<R>` answers 401 without a valid token and 403 below role
/// `R::ROLE`, before the body is read.
#[derive(Debug)]
pub struct Auth<R> {
    /// The user.
    pub user: String,
    /// The user's role.
    pub role: Role,
    /// Where the request came from.
    pub client: Client,
    _min: PhantomData<R>,
}

/// The peer address and user agent of a request.
#[derive(Clone, Debug, Default)]
pub struct Client {
    /// Peer IP address, if known.
    pub ip: Option<String>,
    /// `User-Agent`, if sent.
    pub user_agent: Option<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let ip = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip().to_string());
        let user_agent = parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.chars().take(256).collect());
        Ok(Self { ip, user_agent })
    }
}

impl<S, R> FromRequestParts<S> for Auth<R>
where
    S: Send + Sync,
    AuthKey: FromRef<S>,
    R: MinRole,
{
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let key = AuthKey::from_ref(state);
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(|| Problem::unauthorized("missing bearer token"))?;
        let mut claims = verify_token(&key.key, token.trim(), crate::now())?;
        let row = sqlx::query("SELECT role FROM users WHERE username = $1")
            .bind(&claims.sub)
            .fetch_optional(&key.db.pool)
            .await?
            .ok_or_else(|| Problem::unauthorized("the token's user no longer exists"))?;
        claims.role = Role::parse(&row.try_get::<String, _>(0)?)?;
        if claims.role < R::ROLE {
            return Err(Problem::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "Forbidden",
                format!(
                    "role {} may not do this (needs {})",
                    claims.role.as_str(),
                    R::ROLE.as_str()
                ),
            ));
        }
        let client = Client::from_request_parts(parts, state)
            .await
            .unwrap_or_default();
        Ok(Self {
            user: claims.sub,
            role: claims.role,
            client,
            _min: PhantomData,
        })
    }
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
        assert_eq!(
            (e.status, e.detail.as_str()),
            (401, "invalid token: expired")
        );
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
