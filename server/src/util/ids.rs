//! Random identifiers: Directus-style refresh tokens (nanoid, 64 chars) and secrets.

use rand::Rng;

const ALPHABET: &[u8] = b"useandom-26T198340PX75pxJACKVERYMINDBUSHWOLF_GQZbfghjklqvwyzrict";

/// A URL-safe random string of `len` characters (the nanoid alphabet).
pub fn nanoid(len: usize) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn nanoid_has_length_and_varies() {
        let a = super::nanoid(64);
        let b = super::nanoid(64);
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
        );
    }
}
