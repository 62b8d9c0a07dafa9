//! Accounts: users per realm (the Root's and a Hub's apart, even in one process), roles,
//! Argon2id passwords, per-account sign-in throttling and lockout, TOTP second factors with
//! recovery codes, step-up for admin actions, API tokens and service tokens.
//!
//! **Tokens** are HS256 JWTs valid for [`TOKEN_TTL`], signed with a key derived from the master
//! secret *and* this deployment's random id (stored in the database on first start), with
//! `iss` = `hwf-license:<deployment>` and `aud` = `<deployment>:<realm>`: deployments that share
//! a master secret do not accept each other's tokens, and a Hub token is refused by Root routes.
//! Each token names the user's random id (`uid`, never reused, so deleting and re-creating a
//! name does not revive old tokens) and their generation (`gen`), bumped by a password change,
//! a role change, a second-factor enrolment or reset, and a sign-out: every older token stops
//! working at once. The role is read from the user's row on every request.
//!
//! **Sign-in** counts every attempt on the account before checking it (an optimistic update, so
//! parallel guesses are counted one by one): after [`SOFT_FAILURES`] consecutive failures each
//! next attempt must wait `2^(n - SOFT_FAILURES)` seconds (at most [`MAX_BACKOFF`]), answered
//! `429 login-throttled` without checking the password; at [`LOCK_FAILURES`] the account is
//! locked for [`LOCK_SECS`] (`423 account-locked`, logged as alert `account_locked` and
//! audited) until it ends or an admin unlocks it. These hold whatever the client address; the
//! per-address limit of the HTTP layer comes on top.
//!
//! **Second factor**: an account with TOTP signs in with a `code` (TOTP or a recovery code);
//! the token then carries `mfa` = the time of that check. An admin action needs `mfa` within the
//! step-up window (`HWF_STEP_UP_MINUTES`); `POST /api/auth/step-up` renews it. An admin account
//! without a second factor gets a token that can only enrol (`scope: enrol`).

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Argon2, Params};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::alerts::Alert;
use super::audit::{self, sanitize, Actor, AuditPage, Origin};
use super::clock::SharedClock;
use super::keys::{random_bytes, random_id, Sealer};
use super::totp;
use super::ServiceError;
use crate::config::HashCost;
use crate::domain::{inputs, Realm, Role};
use crate::store::{service_tokens, users, write_tx, Db};

/// Token lifetime in seconds.
pub const TOKEN_TTL: i64 = 3600;
/// Consecutive failures after which each attempt must wait (exponential backoff).
pub const SOFT_FAILURES: i64 = 5;
/// Consecutive failures that lock the account.
pub const LOCK_FAILURES: i64 = 10;
/// Longest wait between attempts before the lock, in seconds.
pub const MAX_BACKOFF: i64 = 900;
/// How long a lock lasts unless an admin unlocks the account, in seconds.
pub const LOCK_SECS: i64 = 3600;
/// The default step-up window, in minutes.
pub const DEFAULT_STEP_UP_MINUTES: u32 = 15;
/// Longest service token lifetime, in days.
pub const MAX_SERVICE_TOKEN_DAYS: u32 = 365;
/// Most live service tokens per realm.
pub const MAX_SERVICE_TOKENS: i64 = 100;
/// The prefix of a service token.
pub const SERVICE_TOKEN_PREFIX: &str = "hwfst.";
/// Longest second-factor code accepted (TOTP codes have 6 digits, recovery codes 19 characters).
const MAX_CODE_LEN: usize = 64;
/// Longest password checked (Argon2 time is bounded by the cost, the copy by this).
const MAX_PASSWORD_LEN: usize = 1024;

/// Accounts: users, passwords, sign-in and tokens, second factors, the audit log.
#[derive(Clone)]
pub struct Accounts {
    db: Db,
    sealer: Sealer,
    token_key: [u8; 32],
    deployment: String,
    realms: Vec<Realm>,
    cost: HashCost,
    clock: SharedClock,
    step_up_secs: i64,
    /// A hash at the configured cost, checked for unknown names so they cost the same time.
    dummy_hash: String,
}

impl std::fmt::Debug for Accounts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Accounts")
            .field("realms", &self.realms)
            .finish_non_exhaustive()
    }
}

/// How many users a realm has (the statistics page's figures).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct UserCounts {
    /// Every user.
    pub total: i64,
    /// Admins.
    pub admins: i64,
    /// Operators.
    pub operators: i64,
    /// Viewers.
    pub viewers: i64,
}

/// A user as listed.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct UserInfo {
    /// Name.
    pub username: String,
    /// Role.
    pub role: Role,
    /// Realm.
    pub realm: Realm,
    /// Unix seconds.
    pub created_at: i64,
    /// Whether a second factor is enrolled.
    pub mfa: bool,
    /// Consecutive failed sign-ins.
    pub failed_logins: i64,
    /// Locked until then (unix seconds), when locked.
    pub locked_until: Option<i64>,
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
    /// The account's realm.
    pub realm: Realm,
    /// `full`, or `enrol`: an admin without a second factor may only enrol one.
    pub scope: Scope,
    /// Until when admin actions are allowed without a new step-up (unix seconds), when the
    /// token carries a second factor.
    pub step_up_until: Option<i64>,
}

/// What a token may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Whatever the role allows.
    Full,
    /// Only enrol a second factor (and sign out).
    Enrol,
}

/// Who is calling.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallerKind {
    /// A user's token.
    User {
        /// The user's id.
        user_id: String,
    },
    /// A service token.
    Service {
        /// The token's id.
        token_id: String,
    },
}

/// Who a valid token belongs to, with the user's current role.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    /// The user (or `service:<id>`).
    pub user: String,
    /// Their role now.
    pub role: Role,
    /// Their realm.
    pub realm: Realm,
    /// User or service token.
    pub kind: CallerKind,
    /// When the token's second factor was checked.
    pub mfa_at: Option<i64>,
    /// What the token may do.
    pub scope: Scope,
}

impl Caller {
    /// The caller as the audit log names them.
    pub fn actor(&self, origin: &Origin) -> Actor {
        Actor::in_realm(&self.user, self.realm, origin)
    }

    fn user_id(&self) -> Result<&str, ServiceError> {
        match &self.kind {
            CallerKind::User { user_id } => Ok(user_id),
            CallerKind::Service { .. } => Err(ServiceError::Forbidden(
                "a service token cannot do this; sign in as a user".into(),
            )),
        }
    }
}

/// The claims of an API token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenClaims {
    /// `hwf-license:<deployment id>`.
    pub iss: String,
    /// `<deployment id>:<realm>`.
    pub aud: String,
    /// Username.
    pub sub: String,
    /// The user's id.
    pub uid: String,
    /// The user's generation when issued.
    #[serde(rename = "gen")]
    pub generation: i64,
    /// Role when issued (the current role is read on every request).
    pub role: Role,
    /// Issued at (unix seconds).
    pub iat: i64,
    /// Expiry (unix seconds).
    pub exp: i64,
    /// When the second factor was checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mfa: Option<i64>,
    /// What the token may do.
    pub scope: Scope,
}

/// A new second factor to confirm: the secret as base32, as an `otpauth://` URI and as a QR
/// code (SVG).
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Enrolment {
    /// The secret, base32 (RFC 4648, no padding).
    pub secret: String,
    /// `otpauth://totp/…` (SHA-1, 6 digits, 30 s).
    pub otpauth_uri: String,
    /// The URI as a QR code, an SVG document.
    pub qr_svg: String,
}

/// A confirmed second factor: the recovery codes (shown once) and a token with a fresh factor.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Enrolled {
    /// One-time recovery codes; each works once in place of a TOTP code.
    pub recovery_codes: Vec<String>,
    /// The new token (every older token of the user stopped working).
    pub login: LoginAnswer,
}

/// A service token as listed (never its secret).
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ServiceTokenInfo {
    /// Id.
    pub id: String,
    /// What it is for.
    pub name: String,
    /// `viewer` or `operator`.
    pub role: Role,
    /// Who created it.
    pub created_by: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub expires_at: i64,
    /// When revoked.
    pub revoked_at: Option<i64>,
}

/// A created service token, with its secret (shown once).
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct NewServiceToken {
    /// The token for `Authorization: Bearer` (`hwfst.<id>.<secret>`).
    pub token: String,
    /// Its listing.
    pub info: ServiceTokenInfo,
}

fn unauthorized(why: &str) -> ServiceError {
    ServiceError::Unauthorized(why.into())
}

impl Accounts {
    /// Accounts of `realms` on `db`: keys from `sealer` and this deployment's id (stored on
    /// first start), new passwords hashed at `cost`, times from `clock`, admin actions allowed
    /// for `step_up_minutes` after a second factor.
    pub async fn open(
        db: Db,
        sealer: Sealer,
        cost: HashCost,
        clock: SharedClock,
        realms: &[Realm],
        step_up_minutes: u32,
    ) -> Result<Self, ServiceError> {
        let deployment = service_tokens::deployment_id(
            &mut *db.conn().await?,
            &hex::encode(random_bytes::<16>()),
        )
        .await?;
        let mut mac =
            HmacSha256::new_from_slice(sealer.jwt_key()).map_err(ServiceError::internal)?;
        mac.update(b"hwf-license api tokens v2\0");
        mac.update(deployment.as_bytes());
        let token_key: [u8; 32] = mac.finalize().into_bytes().into();
        let dummy_hash =
            tokio::task::spawn_blocking(move || hash_password(&generate_password(), cost))
                .await
                .map_err(ServiceError::internal)??;
        Ok(Self {
            dummy_hash,
            db,
            sealer,
            token_key,
            deployment,
            realms: realms.to_vec(),
            cost,
            clock,
            step_up_secs: i64::from(step_up_minutes.max(1)) * 60,
        })
    }

    fn now(&self) -> i64 {
        self.clock.now()
    }

    /// The realms served.
    pub fn realms(&self) -> &[Realm] {
        &self.realms
    }

    /// This deployment's id (what tokens are bound to).
    pub fn deployment_id(&self) -> &str {
        &self.deployment
    }

    /// The step-up window in seconds.
    pub fn step_up_secs(&self) -> i64 {
        self.step_up_secs
    }

    /// `realm`, or the default one (the only realm served, else `hub`); an unserved realm is
    /// invalid.
    pub fn realm_or_default(&self, realm: Option<Realm>) -> Result<Realm, ServiceError> {
        let r = match realm {
            Some(r) => r,
            None if self.realms.len() == 1 => self.realms[0],
            None => Realm::Hub,
        };
        if !self.realms.contains(&r) {
            return Err(ServiceError::Invalid(format!(
                "this server does not serve the {} realm",
                r.as_str()
            )));
        }
        Ok(r)
    }

    fn issuer(&self) -> String {
        format!("hwf-license:{}", self.deployment)
    }

    fn audience(&self, realm: Realm) -> String {
        format!("{}:{}", self.deployment, realm.as_str())
    }

    async fn hash(&self, password: &str) -> Result<String, ServiceError> {
        let (owned, cost) = (password.to_string(), self.cost);
        tokio::task::spawn_blocking(move || hash_password(&owned, cost))
            .await
            .map_err(ServiceError::internal)?
    }

    /// Adds a user to `realm` (409 `user-exists` when the name is taken there).
    pub async fn add_user(
        &self,
        realm: Realm,
        username: &str,
        password: &str,
        role: Role,
    ) -> Result<(), ServiceError> {
        inputs::username(username)?;
        inputs::password(password)?;
        if password.len() > MAX_PASSWORD_LEN {
            return Err(ServiceError::Invalid(format!(
                "password must be at most {MAX_PASSWORD_LEN} bytes"
            )));
        }
        let hash = self.hash(password).await?;
        let mut c = self.db.conn().await?;
        let id = random_id("u_");
        if !users::insert(
            &mut c,
            realm.as_str(),
            username,
            &id,
            &hash,
            role.as_str(),
            self.now(),
        )
        .await?
        {
            return Err(ServiceError::UserExists(username.into()));
        }
        Ok(())
    }

    /// Adds a user to `realm` for `by` and records it in the audit log.
    pub async fn create_user(
        &self,
        by: &Actor,
        realm: Realm,
        username: &str,
        password: &str,
        role: Role,
    ) -> Result<(), ServiceError> {
        self.add_user(realm, username, password, role).await?;
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

    /// Creates the first admin (`admin`) of each served realm that has no user, with
    /// `password` or a generated one; returns `Some(password)` when one was generated and
    /// used (to be shown once). With both realms, both admins start with that password; each
    /// enrols its own second factor on first sign-in.
    pub async fn bootstrap_admin(
        &self,
        password: Option<&str>,
    ) -> Result<Option<String>, ServiceError> {
        let (password, generated) = match password {
            Some(p) => (p.to_string(), false),
            None => (generate_password(), true),
        };
        let mut empty = Vec::new();
        for &realm in &self.realms {
            if users::count(&mut *self.db.conn().await?, realm.as_str()).await? == 0 {
                empty.push(realm);
            }
        }
        if empty.is_empty() {
            return Ok(None);
        }
        let hash = self.hash(&password).await?;
        let now = self.now();
        // One transaction, realms always in the same order: processes starting at once on one
        // database create each first admin once, with one password, and never deadlock.
        let created = write_tx!(&self.db, ServiceError, |tx| {
            let mut created = false;
            for realm in &empty {
                let id = random_id("u_");
                created |= users::insert(
                    &mut tx,
                    realm.as_str(),
                    "admin",
                    &id,
                    &hash,
                    Role::Admin.as_str(),
                    now,
                )
                .await?;
            }
            Ok(created)
        })?;
        Ok((generated && created).then_some(password))
    }

    /// Sets a user's password (the CLI, the demo's own admin password); their tokens stop
    /// working.
    pub async fn set_password(
        &self,
        realm: Realm,
        username: &str,
        password: &str,
    ) -> Result<(), ServiceError> {
        inputs::password(password)?;
        let hash = self.hash(password).await?;
        if !users::set_password(&mut *self.db.conn().await?, realm.as_str(), username, &hash)
            .await?
        {
            return Err(ServiceError::NotFound(format!("no user {username:?}")));
        }
        Ok(())
    }

    /// Every user of `realm`.
    pub async fn list_users(&self, realm: Realm) -> Result<Vec<UserInfo>, ServiceError> {
        let now = self.now();
        users::list(&mut *self.db.conn().await?, realm.as_str())
            .await?
            .into_iter()
            .map(|u| {
                Ok(UserInfo {
                    username: u.username,
                    role: Role::parse(&u.role)?,
                    realm,
                    created_at: u.created_at,
                    mfa: u.mfa_enrolled_at.is_some(),
                    failed_logins: u.failed_logins,
                    locked_until: (u.locked_until > now).then_some(u.locked_until),
                })
            })
            .collect()
    }

    /// How many users `realm` has, in all and per role (one grouped count).
    pub async fn user_counts(&self, realm: Realm) -> Result<UserCounts, ServiceError> {
        let mut n = UserCounts::default();
        for (role, count) in
            users::count_by_role(&mut *self.db.conn().await?, realm.as_str()).await?
        {
            match Role::parse(&role)? {
                Role::Admin => n.admins = count,
                Role::Operator => n.operators = count,
                Role::Viewer => n.viewers = count,
            }
            n.total += count;
        }
        Ok(n)
    }

    /// Deletes a user of `realm` for `by` (who may not delete themselves: that would end the
    /// session at once and can lock the last admin out) and records it.
    pub async fn delete_user(
        &self,
        by: &Actor,
        realm: Realm,
        username: &str,
    ) -> Result<(), ServiceError> {
        if username == by.name && by.realm == Some(realm) {
            return Err(ServiceError::CannotDeleteSelf);
        }
        if !users::delete(&mut *self.db.conn().await?, realm.as_str(), username).await? {
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

    /// Changes a user's role for `by` (not their own: an admin demoting themselves can lock
    /// the last admin out); the user's tokens stop working.
    pub async fn set_role(
        &self,
        by: &Actor,
        realm: Realm,
        username: &str,
        role: Role,
    ) -> Result<(), ServiceError> {
        if username == by.name && by.realm == Some(realm) {
            return Err(ServiceError::Forbidden(
                "an admin cannot change their own role; ask another admin".into(),
            ));
        }
        if !users::set_role(
            &mut *self.db.conn().await?,
            realm.as_str(),
            username,
            role.as_str(),
        )
        .await?
        {
            return Err(ServiceError::NotFound(format!("no user {username:?}")));
        }
        audit::record_now(
            &self.db,
            self.now(),
            by,
            "user.role",
            Some(username),
            Some(role.as_str()),
        )
        .await
    }

    async fn user_id_of(&self, realm: Realm, username: &str) -> Result<String, ServiceError> {
        users::credentials(&mut *self.db.conn().await?, realm.as_str(), username)
            .await?
            .map(|c| c.user.user_id)
            .ok_or_else(|| ServiceError::NotFound(format!("no user {username:?}")))
    }

    /// Unlocks a user's sign-in (clears the failure counter) for `by`.
    pub async fn unlock(
        &self,
        by: &Actor,
        realm: Realm,
        username: &str,
    ) -> Result<(), ServiceError> {
        let id = self.user_id_of(realm, username).await?;
        users::clear_failures(&mut *self.db.conn().await?, &id).await?;
        audit::record_now(
            &self.db,
            self.now(),
            by,
            "user.unlock",
            Some(username),
            None,
        )
        .await
    }

    /// Removes a user's second factor and recovery codes for `by` (the host administrator's
    /// way back in when a factor is lost); the user's tokens stop working and an admin must
    /// enrol again on the next sign-in.
    pub async fn reset_mfa(
        &self,
        by: &Actor,
        realm: Realm,
        username: &str,
    ) -> Result<(), ServiceError> {
        let id = self.user_id_of(realm, username).await?;
        users::clear_totp(&mut *self.db.conn().await?, &id).await?;
        audit::record_now(
            &self.db,
            self.now(),
            by,
            "user.mfa_reset",
            Some(username),
            None,
        )
        .await
    }

    fn answer(
        &self,
        user: &users::UserRow,
        realm: Realm,
        role: Role,
        mfa: Option<i64>,
        scope: Scope,
        generation: i64,
    ) -> LoginAnswer {
        let now = self.now();
        let claims = TokenClaims {
            iss: self.issuer(),
            aud: self.audience(realm),
            sub: user.username.clone(),
            uid: user.user_id.clone(),
            generation,
            role,
            iat: now,
            exp: now + TOKEN_TTL,
            mfa,
            scope,
        };
        LoginAnswer {
            token: issue_token(&self.token_key, &claims),
            token_type: "Bearer".into(),
            expires_in: TOKEN_TTL,
            role,
            realm,
            scope,
            step_up_until: mfa.map(|t| t + self.step_up_secs),
        }
    }

    /// Signs a user of `realm` (default: [`Accounts::realm_or_default`]) in from `origin`, with
    /// `code` (TOTP or recovery code) when the account has a second factor. Audited as
    /// `auth.login`, `auth.login_failed` or `auth.login_refused`; see the module doc for the
    /// throttling.
    pub async fn login(
        &self,
        realm: Option<Realm>,
        username: &str,
        password: &str,
        code: Option<&str>,
        origin: &Origin,
    ) -> Result<LoginAnswer, ServiceError> {
        let realm = self.realm_or_default(realm)?;
        let who = Actor::in_realm(username, realm, origin);
        let creds = if inputs::username(username).is_ok() && password.len() <= MAX_PASSWORD_LEN {
            users::credentials(&mut *self.db.conn().await?, realm.as_str(), username).await?
        } else {
            None
        };
        let Some(creds) = creds else {
            // An unknown user costs the same time as a real check, so names cannot be probed.
            self.verify(password, &self.dummy_hash).await?;
            return self.login_failed(&who, username, "unknown user").await;
        };
        let user = &creds.user;
        let now = self.now();
        self.begin_attempt(realm, &who, user).await?;
        if !self.verify(password, &creds.password_hash).await? {
            return self.login_failed(&who, username, "wrong password").await;
        }
        let role = Role::parse(&user.role)?;
        let mfa = match (&creds.totp_sealed, code) {
            (None, _) => None,
            (Some(_), None) => return Err(ServiceError::MfaRequired),
            (Some(sealed), Some(code)) => {
                if !self
                    .second_factor(&who, user, sealed, creds.totp_last_step, code)
                    .await?
                {
                    return self
                        .login_failed(&who, username, "wrong second factor")
                        .await;
                }
                Some(now)
            }
        };
        users::clear_failures(&mut *self.db.conn().await?, &user.user_id).await?;
        let scope = if role == Role::Admin && creds.totp_sealed.is_none() {
            Scope::Enrol
        } else {
            Scope::Full
        };
        audit::record_now(
            &self.db,
            now,
            &who,
            "auth.login",
            Some(username),
            mfa.map(|_| "mfa"),
        )
        .await?;
        Ok(self.answer(user, realm, role, mfa, scope, user.generation))
    }

    /// Counts an attempt to prove who `user` is (a sign-in, a step-up, a password change)
    /// before it is checked, or refuses it: 423 while locked, 429 during the backoff (see the
    /// module doc). The attempt that reaches [`LOCK_FAILURES`] locks the account and raises the
    /// alert. A success calls `users::clear_failures`.
    async fn begin_attempt(
        &self,
        realm: Realm,
        who: &Actor,
        user: &users::UserRow,
    ) -> Result<(), ServiceError> {
        let now = self.now();
        let refuse = |why: &'static str| {
            audit::record_now(
                &self.db,
                now,
                who,
                "auth.login_refused",
                Some(&user.username),
                Some(why),
            )
        };
        if user.locked_until > now {
            refuse("locked").await?;
            return Err(ServiceError::AccountLocked {
                retry_after: user.locked_until - now,
            });
        }
        if let Some(wait) = backoff_left(user.failed_logins, user.last_failed_at, now) {
            refuse("throttled").await?;
            return Err(ServiceError::LoginThrottled { retry_after: wait });
        }
        let failures = user.failed_logins + 1;
        let lock = (failures >= LOCK_FAILURES).then_some(now + LOCK_SECS);
        let counted = users::count_attempt(
            &mut *self.db.conn().await?,
            &user.user_id,
            user.failed_logins,
            now,
            lock,
        )
        .await?;
        if !counted {
            // Another attempt changed the count meanwhile: this one is not checked.
            return Err(ServiceError::LoginThrottled { retry_after: 1 });
        }
        if let Some(until) = lock {
            self.raise_lock(realm, &user.username, until).await?;
        }
        Ok(())
    }

    async fn login_failed(
        &self,
        who: &Actor,
        username: &str,
        why: &str,
    ) -> Result<LoginAnswer, ServiceError> {
        audit::record_now(
            &self.db,
            self.now(),
            who,
            "auth.login_failed",
            Some(username),
            Some(why),
        )
        .await?;
        Err(unauthorized("wrong username or password"))
    }

    async fn raise_lock(
        &self,
        realm: Realm,
        username: &str,
        until: i64,
    ) -> Result<(), ServiceError> {
        tracing::warn!(
            alert = "account_locked",
            realm = realm.as_str(),
            user = sanitize(username).as_str(),
            until,
            "alert: account {} ({}) locked after {LOCK_FAILURES} failed sign-ins; an admin can \
             unlock it (POST /api/users/{{username}}/unlock or `hwf-license user unlock`)",
            sanitize(username),
            realm.as_str()
        );
        let mut system = Actor::system("login-throttle");
        system.realm = Some(realm);
        audit::record_now(
            &self.db,
            self.now(),
            &system,
            "auth.locked",
            Some(username),
            Some(&format!("{LOCK_FAILURES} failed sign-ins")),
        )
        .await
    }

    async fn verify(&self, password: &str, hash: &str) -> Result<bool, ServiceError> {
        let (password, hash) = (password.to_string(), hash.to_string());
        // Argon2 is CPU-bound: keep it off the async workers.
        tokio::task::spawn_blocking(move || verify_password(&password, &hash))
            .await
            .map_err(ServiceError::internal)
    }

    /// Checks a second-factor `code` of `user` and spends it: a TOTP code for a step later
    /// than the last accepted one (stored atomically), or an unused recovery code.
    async fn second_factor(
        &self,
        who: &Actor,
        user: &users::UserRow,
        sealed: &str,
        last_step: i64,
        code: &str,
    ) -> Result<bool, ServiceError> {
        let code = code.trim();
        if code.is_empty() || code.len() > MAX_CODE_LEN {
            return Ok(false);
        }
        let mut c = self.db.conn().await?;
        if totp::is_totp_code(code) {
            let secret = self.sealer.open(&totp_name(&user.user_id), sealed)?;
            return Ok(
                match totp::matching_step(&secret, code, self.now(), last_step)? {
                    Some(step) => users::accept_step(&mut c, &user.user_id, step).await?,
                    None => false,
                },
            );
        }
        let hash = totp::recovery_hash(&user.user_id, code);
        let used = users::use_recovery_code(&mut c, &user.user_id, &hash, self.now()).await?;
        if used {
            let left = users::recovery_codes_left(&mut c, &user.user_id).await?;
            drop(c);
            audit::record_now(
                &self.db,
                self.now(),
                who,
                "auth.recovery_code_used",
                Some(&user.username),
                Some(&format!("{left} left")),
            )
            .await?;
        }
        Ok(used)
    }

    async fn current(&self, caller: &Caller) -> Result<users::Credentials, ServiceError> {
        let id = caller.user_id()?;
        let creds = users::credentials(
            &mut *self.db.conn().await?,
            caller.realm.as_str(),
            &caller.user,
        )
        .await?
        .filter(|c| c.user.user_id == id)
        .ok_or_else(|| unauthorized("the token's user no longer exists"))?;
        Ok(creds)
    }

    /// A fresh token with a second factor checked now: `code` is a TOTP or recovery code of the
    /// caller (audited as `auth.step_up`).
    pub async fn step_up(
        &self,
        caller: &Caller,
        code: &str,
        origin: &Origin,
    ) -> Result<LoginAnswer, ServiceError> {
        let creds = self.current(caller).await?;
        let who = caller.actor(origin);
        let Some(sealed) = &creds.totp_sealed else {
            return Err(ServiceError::EnrolmentRequired);
        };
        // A token holder guessing codes is throttled like a password guesser.
        self.begin_attempt(caller.realm, &who, &creds.user).await?;
        if !self
            .second_factor(&who, &creds.user, sealed, creds.totp_last_step, code)
            .await?
        {
            audit::record_now(
                &self.db,
                self.now(),
                &who,
                "auth.step_up_failed",
                None,
                None,
            )
            .await?;
            return Err(unauthorized("wrong or already used code"));
        }
        users::clear_failures(&mut *self.db.conn().await?, &creds.user.user_id).await?;
        audit::record_now(&self.db, self.now(), &who, "auth.step_up", None, None).await?;
        let role = Role::parse(&creds.user.role)?;
        Ok(self.answer(
            &creds.user,
            caller.realm,
            role,
            Some(self.now()),
            Scope::Full,
            creds.user.generation,
        ))
    }

    /// Signs the caller out everywhere: every token of theirs stops working.
    pub async fn logout(&self, caller: &Caller, origin: &Origin) -> Result<(), ServiceError> {
        let id = caller.user_id()?;
        users::bump_generation(&mut *self.db.conn().await?, id).await?;
        audit::record_now(
            &self.db,
            self.now(),
            &caller.actor(origin),
            "auth.logout",
            None,
            None,
        )
        .await
    }

    /// Changes the caller's password (the current one must match): every older token stops
    /// working; answers a new token (keeping the second factor's time).
    pub async fn change_password(
        &self,
        caller: &Caller,
        current: &str,
        new: &str,
        origin: &Origin,
    ) -> Result<LoginAnswer, ServiceError> {
        let creds = self.current(caller).await?;
        // A token holder guessing the password is throttled like any other guesser.
        self.begin_attempt(caller.realm, &caller.actor(origin), &creds.user)
            .await?;
        if current.len() > MAX_PASSWORD_LEN || !self.verify(current, &creds.password_hash).await? {
            return Err(unauthorized("the current password is wrong"));
        }
        users::clear_failures(&mut *self.db.conn().await?, &creds.user.user_id).await?;
        if new == current {
            return Err(ServiceError::Invalid(
                "the new password must differ from the current one".into(),
            ));
        }
        self.set_password(caller.realm, &caller.user, new).await?;
        audit::record_now(
            &self.db,
            self.now(),
            &caller.actor(origin),
            "auth.password",
            None,
            None,
        )
        .await?;
        let creds = self.current(caller).await?;
        let role = Role::parse(&creds.user.role)?;
        Ok(self.answer(
            &creds.user,
            caller.realm,
            role,
            caller.mfa_at,
            caller.scope,
            creds.user.generation,
        ))
    }

    /// Starts enrolling a TOTP factor: a new secret, stored sealed until confirmed. Replacing an
    /// enrolled factor needs a recent step-up.
    pub async fn enrol_start(&self, caller: &Caller) -> Result<Enrolment, ServiceError> {
        let creds = self.current(caller).await?;
        if creds.totp_sealed.is_some() {
            self.require_step_up(caller)?;
        }
        let secret = totp::new_secret();
        let sealed = self.sealer.seal(&totp_name(&creds.user.user_id), &secret)?;
        users::set_pending_totp(&mut *self.db.conn().await?, &creds.user.user_id, &sealed).await?;
        let issuer = format!("hwf-license {}", caller.realm.as_str());
        let uri = totp::otpauth_uri(&secret, &issuer, &caller.user)?;
        Ok(Enrolment {
            secret: totp::secret_base32(&secret)?,
            qr_svg: totp::qr_svg(&uri)?,
            otpauth_uri: uri,
        })
    }

    /// Confirms the pending factor with a `code` it produced: the factor replaces any earlier
    /// one, new recovery codes replace the old ones, every older token stops working, and the
    /// answer carries a token with a fresh second factor.
    pub async fn enrol_confirm(
        &self,
        caller: &Caller,
        code: &str,
        origin: &Origin,
    ) -> Result<Enrolled, ServiceError> {
        let creds = self.current(caller).await?;
        let Some(pending) = &creds.totp_pending else {
            return Err(ServiceError::Invalid(
                "no enrolment to confirm; POST /api/auth/totp/enrol first".into(),
            ));
        };
        let uid = &creds.user.user_id;
        let secret = self.sealer.open(&totp_name(uid), pending)?;
        let now = self.now();
        let Some(step) = totp::matching_step(&secret, code.trim(), now, 0)? else {
            return Err(unauthorized("the code does not match the new secret"));
        };
        let codes = totp::new_recovery_codes();
        let hashes: Vec<String> = codes.iter().map(|c| totp::recovery_hash(uid, c)).collect();
        let mut c = self.db.conn().await?;
        if !users::confirm_totp(&mut c, uid, pending, step, now).await? {
            return Err(unauthorized("the enrolment changed meanwhile; start again"));
        }
        users::replace_recovery_codes(&mut c, uid, &hashes).await?;
        drop(c);
        audit::record_now(
            &self.db,
            now,
            &caller.actor(origin),
            "auth.mfa_enrol",
            None,
            None,
        )
        .await?;
        let creds = self.current(caller).await?;
        let role = Role::parse(&creds.user.role)?;
        Ok(Enrolled {
            recovery_codes: codes,
            login: self.answer(
                &creds.user,
                caller.realm,
                role,
                Some(now),
                Scope::Full,
                creds.user.generation,
            ),
        })
    }

    /// A keyed MAC of `data` for `purpose`, under a key derived from the token key (so it
    /// survives restarts and differs per deployment): HMAC-SHA256(HMAC-SHA256(token key,
    /// "hwf-license mac:" ‖ purpose), data). The web console ties its CSRF tokens to a session
    /// with it; different purposes never share a MAC.
    pub fn mac(&self, purpose: &str, data: &[u8]) -> [u8; 32] {
        self.mac_of(purpose, data).finalize().into_bytes().into()
    }

    /// Whether `tag` is [`Accounts::mac`] of `data` for `purpose`, compared in constant time.
    pub fn mac_matches(&self, purpose: &str, data: &[u8], tag: &[u8]) -> bool {
        self.mac_of(purpose, data).verify_slice(tag).is_ok()
    }

    fn mac_of(&self, purpose: &str, data: &[u8]) -> Hmac<Sha256> {
        let mut k = <Hmac<Sha256> as Mac>::new_from_slice(&self.token_key)
            .expect("HMAC takes any key length");
        k.update(b"hwf-license mac:");
        k.update(purpose.as_bytes());
        let derived = k.finalize().into_bytes();
        let mut m =
            <Hmac<Sha256> as Mac>::new_from_slice(&derived).expect("HMAC takes any key length");
        m.update(data);
        m
    }

    /// Whether the caller checked a second factor within the step-up window (403
    /// `step-up-required` otherwise; service tokens never can).
    pub fn require_step_up(&self, caller: &Caller) -> Result<(), ServiceError> {
        match (&caller.kind, caller.mfa_at) {
            (CallerKind::User { .. }, Some(t)) if t + self.step_up_secs > self.now() => Ok(()),
            _ => Err(ServiceError::StepUpRequired {
                window_minutes: self.step_up_secs / 60,
            }),
        }
    }

    /// The caller of a bearer token on a route of `route_realm` (none: the token's own realm):
    /// a user token with a valid signature, lifetime, issuer and audience whose user still
    /// exists at the token's generation, or a live service token.
    pub async fn authenticate(
        &self,
        token: &str,
        route_realm: Option<Realm>,
    ) -> Result<Caller, ServiceError> {
        let caller = match token.strip_prefix(SERVICE_TOKEN_PREFIX) {
            Some(rest) => self.authenticate_service(rest).await?,
            None => self.authenticate_user(token).await?,
        };
        if let Some(r) = route_realm {
            if r != caller.realm {
                return Err(ServiceError::Forbidden(format!(
                    "a {} account may not use {} routes",
                    caller.realm.as_str(),
                    r.as_str()
                )));
            }
        }
        Ok(caller)
    }

    async fn authenticate_user(&self, token: &str) -> Result<Caller, ServiceError> {
        let claims = verify_token(&self.token_key, token, self.now())?;
        if claims.iss != self.issuer() {
            return Err(unauthorized("invalid token: another issuer"));
        }
        let realm = self
            .realms
            .iter()
            .copied()
            .find(|r| self.audience(*r) == claims.aud)
            .ok_or_else(|| unauthorized("invalid token: another audience"))?;
        let row = users::by_id(&mut *self.db.conn().await?, &claims.uid)
            .await?
            .filter(|u| u.username == claims.sub && u.realm == realm.as_str())
            .ok_or_else(|| unauthorized("the token's user no longer exists"))?;
        if row.generation != claims.generation {
            return Err(unauthorized(
                "the token was revoked (signed out, password, role or second factor changed)",
            ));
        }
        Ok(Caller {
            user: claims.sub,
            role: Role::parse(&row.role)?,
            realm,
            kind: CallerKind::User {
                user_id: claims.uid,
            },
            mfa_at: claims.mfa,
            scope: claims.scope,
        })
    }

    async fn authenticate_service(&self, rest: &str) -> Result<Caller, ServiceError> {
        let bad = || unauthorized("invalid service token");
        let (id, secret) = rest.split_once('.').ok_or_else(bad)?;
        if id.len() > 64 || secret.len() > 128 {
            return Err(bad());
        }
        let row = service_tokens::get_by_id(&mut *self.db.conn().await?, id)
            .await?
            .ok_or_else(bad)?;
        let hash = hex::encode(Sha256::digest(secret.as_bytes()));
        if !ct_eq(hash.as_bytes(), row.secret_hash.as_bytes()) {
            return Err(bad());
        }
        if row.revoked_at.is_some() {
            return Err(unauthorized("the service token was revoked"));
        }
        if row.expires_at <= self.now() {
            return Err(unauthorized("the service token expired"));
        }
        let realm = Realm::parse(&row.realm)?;
        if !self.realms.contains(&realm) {
            return Err(bad());
        }
        Ok(Caller {
            user: format!("service:{}", row.id),
            role: Role::parse(&row.role)?.min(Role::Operator),
            realm,
            kind: CallerKind::Service { token_id: row.id },
            mfa_at: None,
            scope: Scope::Full,
        })
    }

    /// Creates a service token in the caller's realm: `role` viewer or operator (never admin),
    /// valid for `days` (1..=365); at most [`MAX_SERVICE_TOKENS`] live per realm.
    pub async fn create_service_token(
        &self,
        caller: &Caller,
        name: &str,
        role: Role,
        days: u32,
        origin: &Origin,
    ) -> Result<NewServiceToken, ServiceError> {
        inputs::username(name).map_err(|_| {
            ServiceError::Invalid("name must be 1..=64 characters of A-Z a-z 0-9 . _ - @".into())
        })?;
        if role == Role::Admin {
            return Err(ServiceError::Invalid(
                "a service token is never admin: admin actions need a person's second factor"
                    .into(),
            ));
        }
        if !(1..=MAX_SERVICE_TOKEN_DAYS).contains(&days) {
            return Err(ServiceError::Invalid(format!(
                "days must be 1..={MAX_SERVICE_TOKEN_DAYS}"
            )));
        }
        let now = self.now();
        let mut c = self.db.conn().await?;
        if service_tokens::count_live(&mut c, caller.realm.as_str(), now).await?
            >= MAX_SERVICE_TOKENS
        {
            return Err(ServiceError::Invalid(format!(
                "at most {MAX_SERVICE_TOKENS} live service tokens; revoke one first"
            )));
        }
        let id = hex::encode(random_bytes::<12>());
        let secret = B64URL.encode(random_bytes::<32>());
        let row = service_tokens::ServiceTokenRow {
            id: id.clone(),
            realm: caller.realm.as_str().into(),
            name: name.into(),
            role: role.as_str().into(),
            secret_hash: hex::encode(Sha256::digest(secret.as_bytes())),
            created_by: caller.user.clone(),
            created_at: now,
            expires_at: now + i64::from(days) * 86_400,
            revoked_at: None,
        };
        service_tokens::insert(&mut c, &row).await?;
        drop(c);
        audit::record_now(
            &self.db,
            now,
            &caller.actor(origin),
            "service_token.create",
            Some(&id),
            Some(&format!("{name} ({})", role.as_str())),
        )
        .await?;
        Ok(NewServiceToken {
            token: format!("{SERVICE_TOKEN_PREFIX}{id}.{secret}"),
            info: token_info(row)?,
        })
    }

    /// The service tokens of the caller's realm, newest first (at most 1000).
    pub async fn service_tokens(
        &self,
        realm: Realm,
    ) -> Result<Vec<ServiceTokenInfo>, ServiceError> {
        service_tokens::list(&mut *self.db.conn().await?, realm.as_str(), 1000)
            .await?
            .into_iter()
            .map(token_info)
            .collect()
    }

    /// Revokes a service token of `realm` for `by`.
    pub async fn revoke_service_token(
        &self,
        by: &Actor,
        realm: Realm,
        id: &str,
    ) -> Result<(), ServiceError> {
        let now = self.now();
        if !service_tokens::revoke(&mut *self.db.conn().await?, realm.as_str(), id, now).await? {
            return Err(ServiceError::NotFound(format!(
                "no live service token {id:?}"
            )));
        }
        audit::record_now(&self.db, now, by, "service_token.revoke", Some(id), None).await
    }

    /// The `account_locked` alert of `realm`, when accounts are locked now (what an admin's
    /// `GET /api/alerts` adds): the names (at most 100), until when, the failures.
    pub async fn lock_alerts(&self, realm: Realm) -> Result<Vec<Alert>, ServiceError> {
        let now = self.now();
        let locked = users::locked(&mut *self.db.conn().await?, realm.as_str(), now, 100).await?;
        if locked.is_empty() {
            return Ok(Vec::new());
        }
        let names: Vec<&str> = locked.iter().map(|u| u.username.as_str()).collect();
        Ok(vec![Alert {
            kind: "account_locked".into(),
            severity: "warning".into(),
            message: format!(
                "{} {} account(s) locked after {LOCK_FAILURES} failed sign-ins: {}; unlock with \
                 POST /api/users/{{username}}/unlock",
                locked.len(),
                realm.as_str(),
                names.join(", ")
            ),
            since: locked.iter().map(|u| u.last_failed_at).min(),
            details: serde_json::json!({
                "realm": realm.as_str(),
                "accounts": locked.iter().map(|u| serde_json::json!({
                    "username": u.username,
                    "locked_until": u.locked_until,
                    "failed_logins": u.failed_logins,
                })).collect::<Vec<_>>(),
            }),
        }])
    }

    /// A page of the audit log as `realm` sees it (`limit` 1..=1000), newest first.
    pub async fn audit_page(
        &self,
        realm: Realm,
        limit: i64,
        offset: i64,
    ) -> Result<AuditPage, ServiceError> {
        audit::page(&self.db, realm, limit, offset).await
    }

    /// The entries of `realm`'s audit log that match `f`, newest first (`limit` up to
    /// [`audit::MAX_AUDIT_EXPORT`], for the console's pages and its CSV export).
    pub async fn audit_search(
        &self,
        realm: Realm,
        f: &audit::AuditFilter,
        limit: i64,
        offset: i64,
    ) -> Result<AuditPage, ServiceError> {
        audit::search(&self.db, realm, f, limit, offset).await
    }

    /// Signs `claims` with this deployment's token key (tests forge expired tokens with it).
    pub fn sign_claims(&self, claims: &TokenClaims) -> String {
        issue_token(&self.token_key, claims)
    }

    /// This deployment's issuer and audience of `realm` (what [`TokenClaims`] must carry).
    pub fn issuer_and_audience(&self, realm: Realm) -> (String, String) {
        (self.issuer(), self.audience(realm))
    }
}

fn token_info(r: service_tokens::ServiceTokenRow) -> Result<ServiceTokenInfo, ServiceError> {
    Ok(ServiceTokenInfo {
        id: r.id,
        name: r.name,
        role: Role::parse(&r.role)?,
        created_by: r.created_by,
        created_at: r.created_at,
        expires_at: r.expires_at,
        revoked_at: r.revoked_at,
    })
}

fn totp_name(user_id: &str) -> String {
    format!("totp:{user_id}")
}

fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Seconds until the next attempt is allowed after `failures` consecutive failures, the last
/// at `last`, or `None` when one is allowed at `now`.
pub fn backoff_left(failures: i64, last: i64, now: i64) -> Option<i64> {
    if failures < SOFT_FAILURES {
        return None;
    }
    let wait = 1i64
        .checked_shl((failures - SOFT_FAILURES).min(30) as u32)
        .unwrap_or(MAX_BACKOFF)
        .min(MAX_BACKOFF);
    let left = last + wait - now;
    (left > 0).then_some(left)
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

type HmacSha256 = Hmac<Sha256>;
const JWT_HEADER: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

/// Issues an HS256 JWT of `claims` signed with `key`.
pub fn issue_token(key: &[u8], claims: &TokenClaims) -> String {
    let mut out = B64URL.encode(JWT_HEADER);
    out.push('.');
    out.push_str(&B64URL.encode(serde_json::to_vec(claims).unwrap_or_default()));
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(out.as_bytes());
    out.push('.');
    out.push_str(&B64URL.encode(mac.finalize().into_bytes()));
    out
}

/// Verifies a token's header, signature (constant time) and expiry at `now` (not its issuer,
/// audience or generation: [`Accounts::authenticate`] does).
pub fn verify_token(key: &[u8], token: &str, now: i64) -> Result<TokenClaims, ServiceError> {
    let bad = |why: &str| ServiceError::Unauthorized(format!("invalid token: {why}"));
    if token.len() > 4096 {
        return Err(bad("too long"));
    }
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

    fn claims(role: Role, iat: i64) -> TokenClaims {
        TokenClaims {
            iss: "hwf-license:d1".into(),
            aud: "d1:hub".into(),
            sub: "alice".into(),
            uid: "u_1".into(),
            generation: 1,
            role,
            iat,
            exp: iat + TOKEN_TTL,
            mfa: None,
            scope: Scope::Full,
        }
    }

    #[test]
    fn tokens_verify_until_they_expire() {
        let t = issue_token(KEY, &claims(Role::Operator, 1_000));
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
        let t = issue_token(KEY, &claims(Role::Viewer, 1_000));
        let forged = issue_token(b"another key", &claims(Role::Viewer, 1_000));
        assert!(verify_token(KEY, &forged, 1_001).is_err());
        // Raise the role in the payload, keep the signature.
        let parts: Vec<&str> = t.split('.').collect();
        let admin = B64URL.encode(serde_json::to_vec(&claims(Role::Admin, 1_000)).unwrap());
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
    fn backoff_doubles_after_five_failures_and_is_capped() {
        assert_eq!(backoff_left(4, 100, 100), None);
        assert_eq!(backoff_left(5, 100, 100), Some(1));
        assert_eq!(backoff_left(5, 100, 101), None);
        assert_eq!(backoff_left(7, 100, 101), Some(3));
        assert_eq!(backoff_left(40, 100, 100), Some(MAX_BACKOFF));
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
    }
}
