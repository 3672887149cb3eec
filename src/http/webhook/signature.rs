//! `X-Hub-Signature-256`: HMAC-SHA256 of the raw body, checked in constant
//! time against every configured secret (several during a rotation).

use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// True when `header` (`sha256=<hex>`) is the signature of `body` under one
/// of `secrets`.
pub fn verify(secrets: &[SecretString], body: &[u8], header: Option<&str>) -> bool {
    let Some(hex_sig) = header.and_then(|h| h.trim().strip_prefix("sha256=")) else {
        return false;
    };
    let Ok(expected) = hex::decode(hex_sig) else {
        return false;
    };
    // Check every secret, not stopping at the first match, so the time taken
    // says nothing about which one matched.
    secrets.iter().fold(false, |ok, secret| {
        let mut mac = HmacSha256::new_from_slice(secret.expose_secret().as_bytes())
            .expect("HMAC accepts keys of any length");
        mac.update(body);
        mac.verify_slice(&expected).is_ok() | ok
    })
}

/// The header value GitHub would send for `body` under `secret`.
pub fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac =
        HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC accepts keys of any length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    // GitHub's published test vector (docs: "Validating webhook deliveries").
    const SECRET: &str = "It's a Secret to Everybody";
    const PAYLOAD: &[u8] = b"Hello, World!";
    const SIGNATURE: &str =
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

    fn secrets(list: &[&str]) -> Vec<SecretString> {
        list.iter().map(|s| SecretString::from(*s)).collect()
    }

    #[test]
    fn githubs_test_vector() {
        assert_eq!(sign(SECRET, PAYLOAD), SIGNATURE);
        assert!(verify(&secrets(&[SECRET]), PAYLOAD, Some(SIGNATURE)));
    }

    #[test]
    fn any_secret_of_a_rotation_matches() {
        assert!(verify(&secrets(&["old", SECRET]), PAYLOAD, Some(SIGNATURE)));
        assert!(!verify(&secrets(&["old", "new"]), PAYLOAD, Some(SIGNATURE)));
    }

    #[test]
    fn wrong_missing_or_malformed_signatures_fail() {
        let s = secrets(&[SECRET]);
        assert!(!verify(&s, b"Hello, World?", Some(SIGNATURE)));
        assert!(!verify(&s, PAYLOAD, None));
        assert!(!verify(&s, PAYLOAD, Some("sha256=zz")));
        assert!(!verify(
            &s,
            PAYLOAD,
            Some(&SIGNATURE.replace("sha256=", "sha1="))
        ));
        assert!(!verify(&s, PAYLOAD, Some("sha256=")));
        assert!(!verify(&[], PAYLOAD, Some(SIGNATURE)));
    }
}
