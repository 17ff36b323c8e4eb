//! Random ids: the `<prefix>_<random>` ids of Clerk's objects, key ids and trace ids.

/// A random lowercase alphanumeric string.
pub(crate) fn random_id(len: usize) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut bytes = vec![0u8; len];
    // The system's randomness does not fail on supported platforms.
    aws_lc_rs::rand::fill(&mut bytes).expect("system randomness");
    bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect()
}

/// A new object id in Clerk's shape: `<prefix>_` and 27 random characters (`user_…`, `org_…`).
pub(crate) fn object_id(prefix: &str) -> String {
    format!("{prefix}_{}", random_id(27))
}

/// A random lowercase hexadecimal string.
pub(crate) fn random_hex(len: usize) -> String {
    const ALPHABET: &[u8] = b"0123456789abcdef";
    let mut bytes = vec![0u8; len];
    aws_lc_rs::rand::fill(&mut bytes).expect("system randomness");
    bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect()
}

/// A new id of a machine credential: `<prefix>_` and 32 hex digits (`ak_…`, `mt_…`, `oat_…`).
pub(crate) fn hex_id(prefix: &str) -> String {
    format!("{prefix}_{}", random_hex(32))
}
