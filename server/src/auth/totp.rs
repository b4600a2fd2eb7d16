//! Time-based one-time passwords for users with `tfa_secret` (base32, SHA-1, 6 digits, 30 s,
//! one step of skew — what Directus's otplib authenticator uses).

use totp_rs::{Builder, Secret};

/// True when `code` is valid now for the base32 `secret`.
pub fn verify(secret: &str, code: &str) -> bool {
    let Ok(secret) = Secret::try_from_base32(secret.trim()) else {
        return false;
    };
    let totp = Builder::new()
        .with_secret(secret)
        .with_digits(6)
        .with_skew(1)
        .with_step_duration(30)
        .build_noncompliant();
    totp.check_current(code.trim()).is_some()
}

/// The current code for a base32 secret (tests and tooling).
pub fn current(secret: &str) -> Option<String> {
    let secret = Secret::try_from_base32(secret.trim()).ok()?;
    let totp = Builder::new()
        .with_secret(secret)
        .with_digits(6)
        .with_step_duration(30)
        .build_noncompliant();
    Some(totp.generate_current().to_string())
}

#[cfg(test)]
mod tests {
    #[test]
    fn current_code_verifies() {
        let secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
        let code = super::current(secret).unwrap();
        assert!(super::verify(secret, &code));
        assert!(!super::verify(secret, "000000") || code == "000000");
        assert!(!super::verify("not base32 !!", &code));
    }
}
