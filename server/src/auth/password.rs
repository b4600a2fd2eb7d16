//! argon2id password hashing and verification, run off the async runtime.

use argon2::password_hash::phc::PasswordHash;
use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};

use crate::config::HashConfig;
use crate::error::ApiError;

fn hasher(cfg: HashConfig) -> Result<Argon2<'static>, ApiError> {
    let params = Params::new(
        cfg.memory_cost,
        cfg.time_cost,
        cfg.parallelism,
        Some(cfg.hash_length),
    )
    .map_err(|e| ApiError::internal(anyhow::anyhow!("argon2 params: {e}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes a password into a PHC string (`$argon2id$v=19$…`).
pub async fn hash_password(cfg: HashConfig, password: String) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || {
        let hash = hasher(cfg)?
            .hash_password(password.as_bytes())
            .map_err(|e| ApiError::internal(anyhow::anyhow!("argon2 hash: {e}")))?;
        Ok(hash.to_string())
    })
    .await
    .map_err(ApiError::internal)?
}

/// True when `password` matches the stored PHC string; a malformed hash never matches.
pub async fn verify_password(password: String, phc: String) -> bool {
    tokio::task::spawn_blocking(move || {
        let Ok(parsed) = PasswordHash::new(&phc) else {
            return false;
        };
        // Parameters come from the hash itself; the default instance only supplies the engine.
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
    .await
    .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHEAP: HashConfig = HashConfig {
        memory_cost: 1024,
        time_cost: 1,
        parallelism: 1,
        hash_length: 32,
    };

    #[tokio::test]
    async fn hash_and_verify() {
        let h = hash_password(CHEAP, "hunter2".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("hunter2".into(), h.clone()).await);
        assert!(!verify_password("hunter3".into(), h).await);
        assert!(!verify_password("x".into(), "not a hash".into()).await);
    }
}
