//! Rust names from spec names.

/// Splits a name into lowercase words: `getOAuthAccessToken` → get, oauth, access, token;
/// `SAMLConnection` → saml, connection; `CommercePlan-2` → commerce, plan, 2;
/// `JWKS.rsa.PublicKey` → jwks, rsa, public, key.
pub fn words(name: &str) -> Vec<String> {
    let name = name.replace("OAuth", "Oauth");
    let chars: Vec<char> = name.chars().collect();
    let mut words = Vec::new();
    let mut current = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_ascii_alphanumeric() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            continue;
        }
        if c.is_ascii_uppercase() && !current.is_empty() {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            if prev.is_ascii_lowercase()
                || prev.is_ascii_digit()
                || (prev.is_ascii_uppercase() && next_lower)
            {
                words.push(std::mem::take(&mut current));
            }
        }
        current.push(c.to_ascii_lowercase());
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

pub fn snake(name: &str) -> String {
    words(name).join("_")
}

pub fn pascal(name: &str) -> String {
    words(name)
        .iter()
        .map(|w| {
            let mut chars = w.chars();
            match chars.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "dyn", "else", "enum", "extern", "false",
    "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref",
    "return", "static", "struct", "trait", "true", "type", "unsafe", "use", "where", "while",
    "abstract", "become", "box", "do", "final", "gen", "macro", "override", "priv", "try",
    "typeof", "unsized", "virtual", "yield",
];

/// A field or method identifier for a spec property name: snake_case, keywords as raw identifiers,
/// names that cannot be raw (`self`, `crate`, ...) with a trailing underscore, leading digits prefixed.
pub fn field_ident(name: &str) -> String {
    let mut ident = snake(name);
    if ident.is_empty() {
        ident = "value".into();
    }
    if ident.starts_with(|c: char| c.is_ascii_digit()) {
        ident = format!("n{ident}");
    }
    if matches!(
        ident.as_str(),
        "self" | "super" | "crate" | "Self" | "extern"
    ) {
        return format!("{ident}_");
    }
    if KEYWORDS.contains(&ident.as_str()) {
        return format!("r#{ident}");
    }
    ident
}

/// The identifier without a raw prefix, for building other names from it.
pub fn bare(ident: &str) -> &str {
    ident.strip_prefix("r#").unwrap_or(ident)
}

/// A type or variant name; leading digits and a leading `-` are spelled out.
pub fn type_ident(name: &str) -> String {
    let negated = name.starts_with('-');
    let mut ident = pascal(name);
    if ident.is_empty() {
        ident = "Empty".into();
    }
    if ident.starts_with(|c: char| c.is_ascii_digit()) {
        ident = format!("V{ident}");
    }
    if negated {
        ident = format!("Not{ident}");
    }
    if matches!(ident.as_str(), "Self" | "Unknown") {
        ident.push('_');
    }
    ident
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(snake("getOAuthAccessToken"), "get_oauth_access_token");
        assert_eq!(snake("emailSMSTemplates"), "email_sms_templates");
        assert_eq!(snake("deleteTOTP"), "delete_totp");
        assert_eq!(snake("getJWKS"), "get_jwks");
        assert_eq!(snake("m2m"), "m2m");
        assert_eq!(snake("API Keys"), "api_keys");
        assert_eq!(pascal("CommercePlan-2"), "CommercePlan2");
        assert_eq!(pascal("SAMLConnection"), "SamlConnection");
        assert_eq!(pascal("verification_otp"), "VerificationOtp");
        assert_eq!(pascal("User.List"), "UserList");
        assert_eq!(field_ident("type"), "r#type");
        assert_eq!(field_ident("self"), "self_");
        assert_eq!(type_ident("-enterprise_sso"), "NotEnterpriseSso");
        assert_eq!(type_ident("2fa"), "V2fa");
    }
}
