//! Throw-away signing keys, read from the crate's `keys/` directory at run time.
//!
//! Nothing here holds a key: the PEM files in `keys/` (see its README for how they were made)
//! are read when [`Keys::bundled`] is called, so no private key is compiled into a binary.
//! They are published with this crate: anyone can sign with them, so no verifier outside a
//! test may trust them.

use jsonwebtoken::jwk::{Jwk, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::{Value, json};
use std::path::Path;

/// The `kid` of [`Keys::rsa1`].
pub const KID_RSA1: &str = "rsa1";
/// The `kid` of [`Keys::rsa2`].
pub const KID_RSA2: &str = "rsa2";
/// The `kid` of [`Keys::ec1`].
pub const KID_EC1: &str = "ec1";

/// Throw-away signing keys (generated with `openssl genpkey`; see `keys/README.md`).
pub struct Keys {
    /// RSA 2048, `kid` [`KID_RSA1`], RS256: in the initial key set.
    pub rsa1: EncodingKey,
    /// RSA 2048, `kid` [`KID_RSA2`]: the key rotated in.
    pub rsa2: EncodingKey,
    /// P-256, `kid` [`KID_EC1`], ES256: in the initial key set.
    pub ec1: EncodingKey,
    /// RSA 2048 that is in no key set.
    pub attacker: EncodingKey,
    /// `rsa1`'s public key as PEM (SubjectPublicKeyInfo): what an HS/RS confusion attack
    /// uses as the HMAC secret.
    pub rsa1_public_pem: Vec<u8>,
}

impl Keys {
    /// Reads `rsa1.pem`, `rsa2.pem`, `ec1.pem`, `attacker.pem` and `rsa1.pub.pem` from `dir`.
    ///
    /// # Panics
    ///
    /// If a file is missing or is not a key of the expected type.
    pub fn from_dir(dir: &Path) -> Keys {
        let read = |name: &str| std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let rsa = |name: &str| EncodingKey::from_rsa_pem(&read(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        Keys {
            rsa1: rsa("rsa1.pem"),
            rsa2: rsa("rsa2.pem"),
            ec1: EncodingKey::from_ec_pem(&read("ec1.pem")).expect("ec1.pem"),
            attacker: rsa("attacker.pem"),
            rsa1_public_pem: read("rsa1.pub.pem"),
        }
    }

    /// The keys in this crate's `keys/` directory.
    ///
    /// # Panics
    ///
    /// As [`Keys::from_dir`].
    pub fn bundled() -> Keys {
        Keys::from_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("keys"))
    }

    /// The public JWK of `key`, as a JWKS would list it.
    pub fn jwk(key: &EncodingKey, alg: Algorithm, kid: &str) -> Value {
        let mut jwk = Jwk::from_encoding_key(key, alg).expect("public JWK");
        jwk.common.key_id = Some(kid.to_owned());
        jwk.common.public_key_use = Some(PublicKeyUse::Signature);
        jwk.common.key_algorithm = Some(KeyAlgorithm::from(alg));
        serde_json::to_value(jwk).expect("JWK to JSON")
    }

    /// The initial key set: `rsa1` (RS256) and `ec1` (ES256).
    pub fn key_set(&self) -> String {
        json!({"keys": [
            Keys::jwk(&self.rsa1, Algorithm::RS256, KID_RSA1),
            Keys::jwk(&self.ec1, Algorithm::ES256, KID_EC1),
        ]})
        .to_string()
    }

    /// The key set after a rotation: `rsa1`, `ec1` and `rsa2`.
    pub fn rotated_key_set(&self) -> String {
        json!({"keys": [
            Keys::jwk(&self.rsa1, Algorithm::RS256, KID_RSA1),
            Keys::jwk(&self.ec1, Algorithm::ES256, KID_EC1),
            Keys::jwk(&self.rsa2, Algorithm::RS256, KID_RSA2),
        ]})
        .to_string()
    }
}
