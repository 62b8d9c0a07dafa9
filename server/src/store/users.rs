//! `users`: accounts per realm (`hub`, `root`), with their Argon2id hashes, roles, random ids,
//! token generations, second factors (sealed TOTP secrets, the last accepted time step) and
//! failed-login counters; `recovery_codes`: the hashed one-time recovery codes of each user.

use sqlx::any::AnyRow;
use sqlx::AnyConnection;

use super::{get, StoreError};

/// A user row without its hash and secrets.
#[derive(Clone, Debug)]
pub struct UserRow {
    /// Realm name.
    pub realm: String,
    /// Name.
    pub username: String,
    /// Random id, never reused (a re-created name gets a new one).
    pub user_id: String,
    /// Role name.
    pub role: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Tokens must carry this generation.
    pub generation: i64,
    /// When the second factor was confirmed (none: not enrolled).
    pub mfa_enrolled_at: Option<i64>,
    /// Consecutive failed sign-ins.
    pub failed_logins: i64,
    /// When the last one failed.
    pub last_failed_at: i64,
    /// Sign-in refused until then (0: not locked).
    pub locked_until: i64,
}

/// What a sign-in reads: the row, its hash and its sealed TOTP secret.
#[derive(Clone, Debug)]
pub struct Credentials {
    /// The row.
    pub user: UserRow,
    /// PHC string.
    pub password_hash: String,
    /// Sealed TOTP secret, when enrolled.
    pub totp_sealed: Option<String>,
    /// Sealed TOTP secret of an enrolment not yet confirmed.
    pub totp_pending: Option<String>,
    /// The last accepted TOTP time step.
    pub totp_last_step: i64,
}

const COLUMNS: &str = "realm, username, user_id, role, created_at, generation, mfa_enrolled_at, \
                       failed_logins, last_failed_at, locked_until";

fn user_row(r: &AnyRow) -> Result<UserRow, StoreError> {
    Ok(UserRow {
        realm: get(r, 0)?,
        username: get(r, 1)?,
        user_id: get(r, 2)?,
        role: get(r, 3)?,
        created_at: get(r, 4)?,
        generation: get(r, 5)?,
        mfa_enrolled_at: get(r, 6)?,
        failed_logins: get(r, 7)?,
        last_failed_at: get(r, 8)?,
        locked_until: get(r, 9)?,
    })
}

/// Inserts a user; `false` when the name exists in the realm (nothing written).
pub async fn insert(
    c: &mut AnyConnection,
    realm: &str,
    username: &str,
    user_id: &str,
    password_hash: &str,
    role: &str,
    at: i64,
) -> Result<bool, StoreError> {
    let r = sqlx::query(
        "INSERT INTO users (realm, username, user_id, password_hash, role, created_at, \
         generation, totp_last_step, failed_logins, last_failed_at, locked_until) \
         VALUES ($1, $2, $3, $4, $5, $6, 1, 0, 0, 0, 0) ON CONFLICT (realm, username) DO NOTHING",
    )
    .bind(realm)
    .bind(username)
    .bind(user_id)
    .bind(password_hash)
    .bind(role)
    .bind(at)
    .execute(c)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Replaces a user's password hash and bumps their generation; `false` when there is no such
/// user.
pub async fn set_password(
    c: &mut AnyConnection,
    realm: &str,
    username: &str,
    password_hash: &str,
) -> Result<bool, StoreError> {
    let r = sqlx::query(
        "UPDATE users SET password_hash = $1, generation = generation + 1 \
         WHERE realm = $2 AND username = $3",
    )
    .bind(password_hash)
    .bind(realm)
    .bind(username)
    .execute(c)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Sets a user's role and bumps their generation; `false` when there is no such user.
pub async fn set_role(
    c: &mut AnyConnection,
    realm: &str,
    username: &str,
    role: &str,
) -> Result<bool, StoreError> {
    let r = sqlx::query(
        "UPDATE users SET role = $1, generation = generation + 1 WHERE realm = $2 AND username = $3",
    )
    .bind(role)
    .bind(realm)
    .bind(username)
    .execute(c)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Bumps a user's generation (every token issued before stops working); `false` when there is
/// no such user.
pub async fn bump_generation(c: &mut AnyConnection, user_id: &str) -> Result<bool, StoreError> {
    let r = sqlx::query("UPDATE users SET generation = generation + 1 WHERE user_id = $1")
        .bind(user_id)
        .execute(c)
        .await?;
    Ok(r.rows_affected() == 1)
}

/// How many users a realm has.
pub async fn count(c: &mut AnyConnection, realm: &str) -> Result<i64, StoreError> {
    get(
        &sqlx::query("SELECT count(*) FROM users WHERE realm = $1")
            .bind(realm)
            .fetch_one(c)
            .await?,
        0,
    )
}

/// How many users of a realm hold each role, by role name.
pub async fn count_by_role(
    c: &mut AnyConnection,
    realm: &str,
) -> Result<Vec<(String, i64)>, StoreError> {
    let rows = sqlx::query(
        "SELECT role, count(*) FROM users WHERE realm = $1 GROUP BY role ORDER BY role",
    )
    .bind(realm)
    .fetch_all(c)
    .await?;
    rows.iter().map(|r| Ok((get(r, 0)?, get(r, 1)?))).collect()
}

/// Every user of a realm, by name.
pub async fn list(c: &mut AnyConnection, realm: &str) -> Result<Vec<UserRow>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM users WHERE realm = $1 ORDER BY username"
    ))
    .bind(realm)
    .fetch_all(c)
    .await?;
    rows.iter().map(user_row).collect()
}

/// Every user's role name, in every realm.
pub async fn roles(c: &mut AnyConnection) -> Result<Vec<String>, StoreError> {
    let rows = sqlx::query("SELECT role FROM users").fetch_all(c).await?;
    rows.iter().map(|r| get(r, 0)).collect()
}

/// Deletes a user and their recovery codes; `false` when there is no such user.
pub async fn delete(
    c: &mut AnyConnection,
    realm: &str,
    username: &str,
) -> Result<bool, StoreError> {
    let id = sqlx::query("SELECT user_id FROM users WHERE realm = $1 AND username = $2")
        .bind(realm)
        .bind(username)
        .fetch_optional(&mut *c)
        .await?;
    let Some(id) = id else { return Ok(false) };
    let id: String = get(&id, 0)?;
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
        .bind(&id)
        .execute(&mut *c)
        .await?;
    let r = sqlx::query("DELETE FROM users WHERE user_id = $1")
        .bind(&id)
        .execute(c)
        .await?;
    Ok(r.rows_affected() == 1)
}

/// A user's row, hash and second factor.
pub async fn credentials(
    c: &mut AnyConnection,
    realm: &str,
    username: &str,
) -> Result<Option<Credentials>, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS}, password_hash, totp_sealed, totp_pending, totp_last_step FROM users \
         WHERE realm = $1 AND username = $2"
    ))
    .bind(realm)
    .bind(username)
    .fetch_optional(c)
    .await?;
    row.map(|r| {
        Ok(Credentials {
            user: user_row(&r)?,
            password_hash: get(&r, 10)?,
            totp_sealed: get(&r, 11)?,
            totp_pending: get(&r, 12)?,
            totp_last_step: get(&r, 13)?,
        })
    })
    .transpose()
}

/// A user's row by id.
pub async fn by_id(c: &mut AnyConnection, user_id: &str) -> Result<Option<UserRow>, StoreError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM users WHERE user_id = $1"))
        .bind(user_id)
        .fetch_optional(c)
        .await?;
    row.map(|r| user_row(&r)).transpose()
}

/// Counts a sign-in attempt before it is checked: sets the failure counter from `seen` (the
/// value read) to `seen + 1` at `at`, and locks until `lock_until` when given. `false` when
/// another attempt changed the counter in between (the caller refuses this one), so parallel
/// guesses are counted one by one.
pub async fn count_attempt(
    c: &mut AnyConnection,
    user_id: &str,
    seen: i64,
    at: i64,
    lock_until: Option<i64>,
) -> Result<bool, StoreError> {
    let r = sqlx::query(
        "UPDATE users SET failed_logins = failed_logins + 1, last_failed_at = $1, \
         locked_until = CASE WHEN $2 > locked_until THEN $2 ELSE locked_until END \
         WHERE user_id = $3 AND failed_logins = $4",
    )
    .bind(at)
    .bind(lock_until.unwrap_or(0))
    .bind(user_id)
    .bind(seen)
    .execute(c)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Clears the failure counter and any lock (a successful sign-in, an unlock); `false` when
/// there is no such user.
pub async fn clear_failures(c: &mut AnyConnection, user_id: &str) -> Result<bool, StoreError> {
    let r = sqlx::query(
        "UPDATE users SET failed_logins = 0, last_failed_at = 0, locked_until = 0 \
         WHERE user_id = $1",
    )
    .bind(user_id)
    .execute(c)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Stores a pending (unconfirmed) TOTP secret.
pub async fn set_pending_totp(
    c: &mut AnyConnection,
    user_id: &str,
    sealed: &str,
) -> Result<bool, StoreError> {
    let r = sqlx::query("UPDATE users SET totp_pending = $1 WHERE user_id = $2")
        .bind(sealed)
        .bind(user_id)
        .execute(c)
        .await?;
    Ok(r.rows_affected() == 1)
}

/// Makes the pending secret the user's factor at `at`, with `step` as the last accepted time
/// step, and bumps the generation; `false` when the pending secret changed meanwhile.
pub async fn confirm_totp(
    c: &mut AnyConnection,
    user_id: &str,
    pending: &str,
    step: i64,
    at: i64,
) -> Result<bool, StoreError> {
    let r = sqlx::query(
        "UPDATE users SET totp_sealed = totp_pending, totp_pending = NULL, totp_last_step = $1, \
         mfa_enrolled_at = $2, generation = generation + 1 WHERE user_id = $3 AND totp_pending = $4",
    )
    .bind(step)
    .bind(at)
    .bind(user_id)
    .bind(pending)
    .execute(c)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Removes a user's second factor and recovery codes (the host administrator's reset), and
/// bumps the generation; `false` when there is no such user.
pub async fn clear_totp(c: &mut AnyConnection, user_id: &str) -> Result<bool, StoreError> {
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *c)
        .await?;
    let r = sqlx::query(
        "UPDATE users SET totp_sealed = NULL, totp_pending = NULL, mfa_enrolled_at = NULL, \
         generation = generation + 1 WHERE user_id = $1",
    )
    .bind(user_id)
    .execute(c)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Records `step` as the last accepted TOTP time step if it is later than the stored one;
/// `false` when it is not (a replayed or older code), so a code is accepted once.
pub async fn accept_step(
    c: &mut AnyConnection,
    user_id: &str,
    step: i64,
) -> Result<bool, StoreError> {
    let r = sqlx::query(
        "UPDATE users SET totp_last_step = $1 WHERE user_id = $2 AND totp_last_step < $1",
    )
    .bind(step)
    .bind(user_id)
    .execute(c)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Replaces a user's recovery codes with `hashes`.
pub async fn replace_recovery_codes(
    c: &mut AnyConnection,
    user_id: &str,
    hashes: &[String],
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *c)
        .await?;
    for h in hashes {
        sqlx::query(
            "INSERT INTO recovery_codes (user_id, code_hash, used_at) VALUES ($1, $2, NULL)",
        )
        .bind(user_id)
        .bind(h)
        .execute(&mut *c)
        .await?;
    }
    Ok(())
}

/// Spends the unused recovery code of hash `hash` at `at`; `false` when there is none (wrong
/// or already used).
pub async fn use_recovery_code(
    c: &mut AnyConnection,
    user_id: &str,
    hash: &str,
    at: i64,
) -> Result<bool, StoreError> {
    let r = sqlx::query(
        "UPDATE recovery_codes SET used_at = $1 WHERE user_id = $2 AND code_hash = $3 \
         AND used_at IS NULL",
    )
    .bind(at)
    .bind(user_id)
    .bind(hash)
    .execute(c)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// How many unused recovery codes a user has.
pub async fn recovery_codes_left(c: &mut AnyConnection, user_id: &str) -> Result<i64, StoreError> {
    get(
        &sqlx::query("SELECT count(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL")
            .bind(user_id)
            .fetch_one(c)
            .await?,
        0,
    )
}

/// The users of a realm locked at `now`, by name (at most `limit`).
pub async fn locked(
    c: &mut AnyConnection,
    realm: &str,
    now: i64,
    limit: i64,
) -> Result<Vec<UserRow>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM users WHERE realm = $1 AND locked_until > $2 ORDER BY username \
         LIMIT $3"
    ))
    .bind(realm)
    .bind(now)
    .bind(limit)
    .fetch_all(c)
    .await?;
    rows.iter().map(user_row).collect()
}
