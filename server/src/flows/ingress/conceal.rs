//! The flow's stored signature secret is a concealed value (docs/ingress.md): every answer that
//! shows a flow — its reads, its document export, its activity and revisions — carries the
//! mask instead, and a write that sends the mask back keeps the stored secret.

use serde_json::{Map, Value};

use super::signature::{MASK, Secret};
use crate::error::{ApiError, Result};

/// The secret's place in a flow: `options.signature.secret`.
fn secret_mut(flow: &mut Map<String, Value>) -> Option<&mut Value> {
    flow.get_mut("options")?
        .get_mut("signature")?
        .get_mut("secret")
}

/// Replaces a stored secret with the mask (an `{{$env.NAME}}` reference is not a secret).
pub fn flow(flow: &mut Map<String, Value>) {
    if let Some(secret) = secret_mut(flow)
        && let Value::String(text) = secret
        && !text.is_empty()
        && matches!(Secret::of(text), Secret::Stored(_))
    {
        *secret = Value::String(MASK.to_owned());
    }
}

/// Whether a write to flows sends the mask as a secret (anywhere in a list or batch).
pub fn sends_mask(body: &Value) -> bool {
    match body {
        Value::Array(list) => list.iter().any(sends_mask),
        Value::Object(o) => {
            o.get("data").is_some_and(sends_mask)
                || o.get("options")
                    .and_then(|v| v.get("signature"))
                    .and_then(|v| v.get("secret"))
                    .is_some_and(|s| s == MASK)
        }
        _ => false,
    }
}

/// A patch of one flow that sends the mask back gets the stored secret in its place; with no
/// secret stored, the mask cannot stand for one.
pub fn keep_stored(patch: &mut Value, stored_options: Option<&Value>) -> Result<()> {
    let Some(secret) = patch.as_object_mut().and_then(secret_mut) else {
        return Ok(());
    };
    if secret != MASK {
        return Ok(());
    }
    let stored = stored_options
        .and_then(|o| o.get("signature"))
        .and_then(|s| s.get("secret"))
        .filter(|s| s.as_str().is_some_and(|t| !t.is_empty() && t != MASK));
    match stored {
        Some(s) => {
            *secret = s.clone();
            Ok(())
        }
        None => Err(mask_refused()),
    }
}

/// What a write whose mask stands for no stored secret is answered.
pub fn mask_refused() -> ApiError {
    ApiError::invalid_payload(
        "\"options.signature.secret\" is the mask of a stored secret, but this flow has none: \
         send the secret itself",
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn stored_secrets_are_masked_references_are_not() {
        let mut f = json!({"options": {"signature": {"preset": "github", "secret": "s3cr3t"}}});
        flow(f.as_object_mut().unwrap());
        assert_eq!(f["options"]["signature"]["secret"], MASK);
        let mut f = json!({"options": {"signature": {"secret": "{{$env.GH}}"}}});
        flow(f.as_object_mut().unwrap());
        assert_eq!(f["options"]["signature"]["secret"], "{{$env.GH}}");
        let mut f = json!({"options": null});
        flow(f.as_object_mut().unwrap());
        assert_eq!(f, json!({"options": null}));
    }

    #[test]
    fn the_mask_sent_back_keeps_the_stored_secret() {
        let stored = json!({"signature": {"preset": "github", "secret": "s3cr3t"}});
        let mut patch = json!({"options": {"signature": {"preset": "github", "secret": MASK}}});
        assert!(sends_mask(&patch));
        keep_stored(&mut patch, Some(&stored)).unwrap();
        assert_eq!(patch["options"]["signature"]["secret"], "s3cr3t");
        let mut patch = json!({"options": {"signature": {"preset": "github", "secret": MASK}}});
        assert!(keep_stored(&mut patch, None).is_err());
        assert!(sends_mask(
            &json!([{"name": "a"}, {"options": {"signature": {"secret": MASK}}}])
        ));
        assert!(!sends_mask(
            &json!({"options": {"signature": {"secret": "new"}}})
        ));
    }
}
