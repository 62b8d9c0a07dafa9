//! `users`: accounts, their Argon2id hashes and roles.

use sqlx::AnyConnection;

use super::{get, StoreError};

/// A user row without its hash.
#[derive(Clone, Debug)]
pub struct UserRow {
    /// Name.
    pub username: String,
    /// Role name.
    pub role: String,
    /// Unix seconds.
    pub created_at: i64,
}

/// Inserts a user; `false` when the name exists (nothing written).
pub async fn insert(
    c: &mut AnyConnection,
    username: &str,
    password_hash: &str,
    role: &str,
    at: i64,
) -> Result<bool, StoreError> {
    let r = sqlx::query(
        "INSERT INTO users (username, password_hash, role, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (username) DO NOTHING",
    )
    .bind(username)
    .bind(password_hash)
    .bind(role)
    .bind(at)
    .execute(c)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Replaces a user's password hash; `false` when there is no such user.
pub async fn set_password(
    c: &mut AnyConnection,
    username: &str,
    password_hash: &str,
) -> Result<bool, StoreError> {
    let r = sqlx::query("UPDATE users SET password_hash = $1 WHERE username = $2")
        .bind(password_hash)
        .bind(username)
        .execute(c)
        .await?;
    Ok(r.rows_affected() == 1)
}

/// How many users there are.
pub async fn count(c: &mut AnyConnection) -> Result<i64, StoreError> {
    get(
        &sqlx::query("SELECT count(*) FROM users")
            .fetch_one(c)
            .await?,
        0,
    )
}

/// Every user, by name.
pub async fn list(c: &mut AnyConnection) -> Result<Vec<UserRow>, StoreError> {
    let rows = sqlx::query("SELECT username, role, created_at FROM users ORDER BY username")
        .fetch_all(c)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(UserRow {
                username: get(r, 0)?,
                role: get(r, 1)?,
                created_at: get(r, 2)?,
            })
        })
        .collect()
}

/// Every user's role name.
pub async fn roles(c: &mut AnyConnection) -> Result<Vec<String>, StoreError> {
    let rows = sqlx::query("SELECT role FROM users").fetch_all(c).await?;
    rows.iter().map(|r| get(r, 0)).collect()
}

/// Deletes a user; `false` when there is no such user.
pub async fn delete(c: &mut AnyConnection, username: &str) -> Result<bool, StoreError> {
    let r = sqlx::query("DELETE FROM users WHERE username = $1")
        .bind(username)
        .execute(c)
        .await?;
    Ok(r.rows_affected() == 1)
}

/// A user's password hash and role name.
pub async fn credentials(
    c: &mut AnyConnection,
    username: &str,
) -> Result<Option<(String, String)>, StoreError> {
    let row = sqlx::query("SELECT password_hash, role FROM users WHERE username = $1")
        .bind(username)
        .fetch_optional(c)
        .await?;
    row.map(|r| Ok((get(&r, 0)?, get(&r, 1)?))).transpose()
}

/// A user's role name.
pub async fn role(c: &mut AnyConnection, username: &str) -> Result<Option<String>, StoreError> {
    let row = sqlx::query("SELECT role FROM users WHERE username = $1")
        .bind(username)
        .fetch_optional(c)
        .await?;
    row.map(|r| get(&r, 0)).transpose()
}
