//! `mail` (directus.md §4.12): sends an email over SMTP (`EMAIL_*`) — markdown bodies rendered
//! to HTML, `wysiwyg` bodies as HTML, `template` bodies through a small built-in `base` layout —
//! to `to`/`cc`/`bcc` (lists or comma text) with `replyTo`. Fire and forget as in Directus:
//! the send happens in the background, failures are logged, the result is `null`.

use async_trait::async_trait;
use lettre::message::{Mailbox, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde_json::Value;

use super::context::{OpContext, OpError, Operation, option_string};
use crate::config::EmailConfig;

pub struct Mail;

/// Addresses from a list or comma-separated text.
pub fn addresses(v: Option<&Value>) -> Vec<String> {
    super::context::option_list(v)
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The HTML body for the operation's `type`.
pub fn html_body(options: &Value) -> String {
    let body = option_string(options.get("body")).unwrap_or_default();
    match options
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("markdown")
    {
        "wysiwyg" => body,
        "template" => {
            let data = options.get("data").cloned().unwrap_or(Value::Null);
            let text = data
                .get("body")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .unwrap_or_else(|| serde_json::to_string_pretty(&data).unwrap_or_default());
            format!(
                "<!doctype html><html><body style=\"font-family:sans-serif\">\
                 <div class=\"content\">{}</div></body></html>",
                escape(&text)
            )
        }
        _ => {
            let mut out = String::new();
            pulldown_cmark::html::push_html(&mut out, pulldown_cmark::Parser::new(&body));
            out
        }
    }
}

/// Builds the message, or explains why it cannot be built.
pub fn message(cfg: &EmailConfig, options: &Value) -> Result<Message, String> {
    let from: Mailbox = cfg
        .from
        .parse()
        .map_err(|e| format!("EMAIL_FROM is not an address: {e}"))?;
    let to = addresses(options.get("to"));
    if to.is_empty() {
        return Err("\"to\" is required".into());
    }
    let mut b = Message::builder()
        .from(from)
        .subject(option_string(options.get("subject")).unwrap_or_default());
    for (list, kind) in [
        (to, "to"),
        (addresses(options.get("cc")), "cc"),
        (addresses(options.get("bcc")), "bcc"),
        (addresses(options.get("replyTo")), "replyTo"),
    ] {
        for a in list {
            let mb: Mailbox = a
                .parse()
                .map_err(|e| format!("\"{a}\" is not an address: {e}"))?;
            b = match kind {
                "to" => b.to(mb),
                "cc" => b.cc(mb),
                "bcc" => b.bcc(mb),
                _ => b.reply_to(mb),
            };
        }
    }
    b.header(ContentType::TEXT_HTML)
        .body(html_body(options))
        .map_err(|e| e.to_string())
}

/// Sends one message with the configured SMTP server.
pub async fn send(cfg: &EmailConfig, msg: Message) -> Result<(), String> {
    if cfg.transport != "smtp" {
        return Err(format!(
            "EMAIL_TRANSPORT \"{}\" is not supported; set EMAIL_TRANSPORT=smtp",
            cfg.transport
        ));
    }
    let host = cfg
        .smtp_host
        .clone()
        .ok_or_else(|| "EMAIL_SMTP_HOST is not set".to_owned())?;
    let mut builder = if cfg.smtp_secure {
        AsyncSmtpTransport::<Tokio1Executor>::relay(&host).map_err(|e| e.to_string())?
    } else if cfg.smtp_ignore_tls {
        AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&host)
    } else {
        AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&host).map_err(|e| e.to_string())?
    };
    builder = builder.port(cfg.smtp_port);
    if let (Some(u), Some(p)) = (&cfg.smtp_user, &cfg.smtp_password) {
        builder = builder.credentials(Credentials::new(u.clone(), p.clone()));
    }
    builder
        .build()
        .send(msg)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

#[async_trait]
impl Operation for Mail {
    async fn run(&self, options: Value, ctx: &OpContext<'_>) -> Result<Value, OpError> {
        let cfg = ctx.core.config.email.clone();
        let flow = ctx.flow_id;
        match message(&cfg, &options) {
            Ok(msg) => ctx.core.spawn(async move {
                if let Err(e) = send(&cfg, msg).await {
                    tracing::warn!(%flow, error = %e, "mail operation: sending failed");
                }
            }),
            Err(e) => tracing::warn!(%flow, error = %e, "mail operation: message not sent"),
        }
        Ok(Value::Null)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bodies_by_type() {
        assert!(html_body(&json!({"body": "# Hi"})).contains("<h1>Hi</h1>"));
        assert_eq!(
            html_body(&json!({"type": "wysiwyg", "body": "<p>x</p>"})),
            "<p>x</p>"
        );
        assert!(
            html_body(&json!({"type": "template", "data": {"body": "<b>"}})).contains("&lt;b&gt;")
        );
    }

    #[test]
    fn addresses_from_lists_and_text() {
        assert_eq!(
            addresses(Some(&json!("a@x.io, b@x.io"))),
            vec!["a@x.io", "b@x.io"]
        );
        assert_eq!(addresses(Some(&json!(["a@x.io"]))), vec!["a@x.io"]);
        let cfg = EmailConfig {
            from: "no-reply@example.com".into(),
            transport: "smtp".into(),
            smtp_host: None,
            smtp_port: 25,
            smtp_user: None,
            smtp_password: None,
            smtp_secure: false,
            smtp_ignore_tls: true,
        };
        assert!(message(&cfg, &json!({"subject": "s"})).is_err());
        assert!(message(&cfg, &json!({"to": "not an address"})).is_err());
        assert!(
            message(
                &cfg,
                &json!({"to": "a@x.io", "cc": ["b@x.io"], "body": "hi"})
            )
            .is_ok()
        );
    }
}
