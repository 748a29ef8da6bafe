//! The claims a verification reads, parsed once from the signed payload.
//!
//! Only the members the checks use are kept (`exp`, `nbf`, `iss`, `aud`, `client_id`,
//! `token_use`, `sub` and the tenant claim); every other member is checked to be JSON and
//! skipped, not stored. A member we read that appears twice is refused: RFC 7519, section 4
//! lets a parser either refuse duplicate claim names or keep the last one, and two parsers
//! of one token (one keeping the first `tenant_id`, the other the last) would disagree on
//! the tenant.

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::fmt;

/// The members of a claims set a verification reads, as sent (`null` kept as `Null`).
#[derive(Debug, Default)]
pub(super) struct Claims {
    pub(super) exp: Option<Value>,
    pub(super) nbf: Option<Value>,
    pub(super) iss: Option<Value>,
    pub(super) aud: Option<Value>,
    pub(super) client_id: Option<Value>,
    pub(super) token_use: Option<Value>,
    pub(super) sub: Option<Value>,
    /// The configured tenant claim (which may also be one of the above, e.g. `sub`).
    pub(super) tenant: Option<Value>,
}

/// Why a payload is not a claims set.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum ClaimsError {
    /// Not one JSON object (bad JSON, an array, trailing bytes, ...).
    NotAnObject,
    /// A member we read appears twice.
    Duplicate,
}

impl Claims {
    /// Parses a decoded JWT payload.
    pub(super) fn from_json(payload: &[u8], tenant_claim: &str) -> Result<Claims, ClaimsError> {
        let mut de = serde_json::Deserializer::from_slice(payload);
        let parsed = ClaimsSeed { tenant_claim }.deserialize(&mut de).map_err(|_| ClaimsError::NotAnObject)?;
        de.end().map_err(|_| ClaimsError::NotAnObject)?;
        if parsed.duplicate { Err(ClaimsError::Duplicate) } else { Ok(parsed.claims) }
    }

    /// The same members, taken from claims an authorizer already parsed.
    pub(super) fn from_map(map: &Map<String, Value>, tenant_claim: &str) -> Claims {
        let get = |name: &str| map.get(name).cloned();
        Claims {
            exp: get("exp"),
            nbf: get("nbf"),
            iss: get("iss"),
            aud: get("aud"),
            client_id: get("client_id"),
            token_use: get("token_use"),
            sub: get("sub"),
            tenant: get(tenant_claim),
        }
    }

    /// A member's value as a string, if it is one.
    pub(super) fn str_of(value: &Option<Value>) -> Option<&str> {
        value.as_ref().and_then(Value::as_str)
    }

    fn slot(&mut self, name: &str) -> Option<&mut Option<Value>> {
        Some(match name {
            "exp" => &mut self.exp,
            "nbf" => &mut self.nbf,
            "iss" => &mut self.iss,
            "aud" => &mut self.aud,
            "client_id" => &mut self.client_id,
            "token_use" => &mut self.token_use,
            "sub" => &mut self.sub,
            _ => return None,
        })
    }
}

/// RFC 7519, section 2 `NumericDate`: seconds since the epoch, possibly non-integer. Read as
/// jsonwebtoken 11 reads `exp`/`nbf` (`validation.rs`, `numeric_type`): an unsigned integer,
/// or a finite non-negative number below 2^64, rounded. Negative numbers, strings, `1e300`
/// and everything else are not dates.
pub(super) fn numeric_date(value: &Value) -> Option<u64> {
    let Value::Number(n) = value else { return None };
    n.as_u64()
        .or_else(|| n.as_f64().filter(|f| f.is_finite() && *f >= 0.0 && *f < u64::MAX as f64).map(|f| f.round() as u64))
}

struct Parsed {
    claims: Claims,
    duplicate: bool,
}

struct ClaimsSeed<'c> {
    tenant_claim: &'c str,
}

impl<'de> DeserializeSeed<'de> for ClaimsSeed<'_> {
    type Value = Parsed;
    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Parsed, D::Error> {
        // A map only: unlike a derived struct, this refuses a JSON array.
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ClaimsSeed<'_> {
    type Value = Parsed;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JWT claims set (a JSON object)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Parsed, A::Error> {
        let mut claims = Claims::default();
        let mut tenant = None;
        let mut duplicate = false;
        while let Some(Name(name)) = map.next_key()? {
            let is_tenant = *name == *self.tenant_claim;
            let slot = claims.slot(&name);
            if slot.is_none() && !is_tenant {
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            let value: Value = map.next_value()?;
            match slot {
                // The tenant claim is also a registered one (e.g. `sub`): both get the value.
                Some(slot) if is_tenant => {
                    duplicate |= tenant.replace(value.clone()).is_some();
                    duplicate |= slot.replace(value).is_some();
                }
                Some(slot) => duplicate |= slot.replace(value).is_some(),
                None => duplicate |= tenant.replace(value).is_some(),
            }
        }
        claims.tenant = tenant;
        Ok(Parsed { claims, duplicate })
    }
}

/// A member name, borrowed from the payload unless it has escapes (`"tenant\u005fid"` is
/// `tenant_id`: names are compared after unescaping, as JSON defines them).
struct Name<'de>(Cow<'de, str>);

impl<'de> de::Deserialize<'de> for Name<'de> {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Name<'de>, D::Error> {
        struct NameVisitor;
        impl<'de> Visitor<'de> for NameVisitor {
            type Value = Name<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a member name")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Name<'de>, E> {
                Ok(Name(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Name<'de>, E> {
                Ok(Name(Cow::Owned(v.to_owned())))
            }
        }
        deserializer.deserialize_str(NameVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<Claims, ClaimsError> {
        Claims::from_json(json.as_bytes(), "tenant_id")
    }

    #[test]
    fn reads_only_what_the_checks_use() {
        let c = parse(r#"{"iss":"i","aud":["a","b"],"exp":5,"tenant_id":"acme","sub":"u","x":{"deep":[1,2]}}"#)
            .expect("a claims set");
        assert_eq!(Claims::str_of(&c.iss), Some("i"));
        assert_eq!(c.aud, Some(serde_json::json!(["a", "b"])));
        assert_eq!(c.exp, Some(serde_json::json!(5)));
        assert_eq!(Claims::str_of(&c.tenant), Some("acme"));
        assert_eq!(Claims::str_of(&c.sub), Some("u"));
        assert_eq!(c.nbf, None);
    }

    #[test]
    fn escaped_names_are_the_names_they_spell() {
        let c = parse(r#"{"tenant\u005fid":"acme","\u0065xp":7}"#).expect("a claims set");
        assert_eq!(Claims::str_of(&c.tenant), Some("acme"));
        assert_eq!(c.exp, Some(serde_json::json!(7)));
        // ... so spelling one name two ways is a duplicate.
        assert_eq!(parse(r#"{"tenant_id":"a","tenant\u005fid":"b"}"#).unwrap_err(), ClaimsError::Duplicate);
    }

    #[test]
    fn duplicates_of_read_members_are_refused_others_are_not_read() {
        for json in [
            r#"{"tenant_id":"a","tenant_id":"b"}"#,
            r#"{"exp":1,"exp":99999999999}"#,
            r#"{"iss":"x","iss":"y"}"#,
            r#"{"aud":"x","aud":"y"}"#,
            r#"{"sub":"x","sub":null}"#,
        ] {
            assert_eq!(parse(json).unwrap_err(), ClaimsError::Duplicate, "{json}");
        }
        assert!(parse(r#"{"other":1,"other":2,"tenant_id":"a"}"#).is_ok());
    }

    #[test]
    fn the_tenant_claim_may_be_a_registered_one() {
        let c = Claims::from_json(br#"{"sub":"acme"}"#, "sub").expect("a claims set");
        assert_eq!(Claims::str_of(&c.tenant), Some("acme"));
        assert_eq!(Claims::str_of(&c.sub), Some("acme"));
        assert_eq!(Claims::from_json(br#"{"sub":"a","sub":"b"}"#, "sub").unwrap_err(), ClaimsError::Duplicate);
    }

    #[test]
    fn anything_but_one_object_is_refused() {
        for json in ["[1,2]", r#"{"a":1} {"b":2}"#, r#"{"a":1}x"#, "", "null", "\"s\"", r#"{"a":}"#, "{\"a\":1"] {
            assert_eq!(parse(json).unwrap_err(), ClaimsError::NotAnObject, "{json:?}");
        }
        assert!(parse(" \n{} \t").is_ok());
    }

    #[test]
    fn numeric_dates_are_read_as_jsonwebtoken_reads_them() {
        use serde_json::json;
        assert_eq!(numeric_date(&json!(1_700_000_000u64)), Some(1_700_000_000));
        assert_eq!(numeric_date(&json!(1_700_000_000.6)), Some(1_700_000_001));
        assert_eq!(numeric_date(&json!(0)), Some(0));
        for bad in [json!(-1), json!(-0.5), json!(1e300), json!("1700000000"), json!(null), json!(true), json!([1])] {
            assert_eq!(numeric_date(&bad), None, "{bad}");
        }
    }
}
