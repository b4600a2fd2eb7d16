//! The "Security and limits" section of a webhook's trigger panel (docs/ingress.md): the
//! signature check (provider presets, the concealed secret, custom HMAC fields, tolerance),
//! the raw body, "Send a signed test call", the rate limit, runs at once, allowed addresses,
//! keeping refused bodies and the link to the Refused tab. The option rules themselves are in
//! `api::ingress`; this module only binds them to fields, with help in plain words.

use leptos::{prelude::*, task::spawn_local};
use leptos_router::components::A;
use serde_json::{Value, json};

use super::trigger::{opt, put_opt};
use crate::{
    api::{
        ApiError,
        ingress::{self, PRESETS, SecretShown, SignedTest},
    },
    components::{
        error_alert::ErrorAlert,
        live_input::{LiveInput, LiveTextArea},
    },
    flow_builder::state::Builder,
    paths,
};

fn text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// What a select shows for an unset field: the value the engine would use.
fn or_default(v: String, default: &str) -> String {
    if v.is_empty() { default.to_owned() } else { v }
}

/// A field of `signature` as text (tracked).
fn sig_field(b: Builder, field: &'static str) -> Signal<String> {
    let sig = opt(b, "signature");
    Signal::derive(move || sig.with(|s| s.get(field).map(text).unwrap_or_default()))
}

/// Sets one field of `signature` from its text.
fn set_sig_field(b: Builder, field: &'static str, value: &str) {
    let current = b
        .draft
        .try_with_untracked(|d| d.fields.options.get("signature").cloned())
        .flatten()
        .unwrap_or(Value::Null);
    let next = ingress::with_signature_field(&current, field, value);
    put_opt(b, "signature", &format!("signature-{field}"), Some(next));
}

/// The section, collapsed unless one of its options is set.
#[component]
pub fn SecurityAndLimits(b: Builder) -> impl IntoView {
    let open = b.draft.with_untracked(|d| {
        ingress::OPTION_KEYS.iter().any(|k| {
            d.fields
                .options
                .get(*k)
                .is_some_and(|v| !v.is_null() && *v != json!(false))
        })
    });
    let refused_href = paths::href(&format!("/flows/{}/refused", b.flow_id.get_value()));
    let save_error = move || {
        b.save_error
            .get()
            .filter(|e| ingress::names_ingress_option(&e.message))
            .map(|e| view! { <p class="field__error" role="alert" data-testid="security-save-error">{format!("Not saved: {}", e.message)}</p> })
    };
    view! {
        <details class="fb-security" open=open data-testid="security-limits">
            <summary class="fb-security__summary" data-testid="security-limits-toggle">"Security and limits"</summary>
            <div class="fb-security__body">
                <p class="field__help">"Make sure calls really come from the service that sends them, and limit how often and from where this flow can be called. Refused calls are listed on the Refused tab."</p>
                {save_error}
                <SignatureFields b=b />
                <h4 class="subhead">"Rate limit"</h4>
                <RateLimitFields b=b />
                <h4 class="subhead">"Runs at once"</h4>
                <ConcurrencyFields b=b />
                <h4 class="subhead">"Allowed addresses"</h4>
                <AllowList b=b />
                <h4 class="subhead">"Refused calls"</h4>
                <Check b=b key="keepRefusedBodies" testid="keep-refused-bodies"
                    label="Keep refused bodies for replay"
                    help="When a call is refused only because of the rate limit or because too many runs were going on, keep what it sent, so you can run it again from the Refused tab." />
                <A href=refused_href attr:data-testid="see-refused">"See refused calls"</A>
            </div>
        </details>
    }
}

/// A checkbox writing `true`, or removing the option when unticked.
#[component]
fn Check(
    b: Builder,
    key: &'static str,
    testid: &'static str,
    label: &'static str,
    help: &'static str,
) -> impl IntoView {
    let value = opt(b, key);
    view! {
        <div class="field">
            <label class="check">
                <input type="checkbox" data-testid=testid prop:checked=move || value.get().as_bool().unwrap_or(false)
                    on:change=move |ev| put_opt(b, key, key, event_target_checked(&ev).then_some(Value::Bool(true))) />
                <span>{label}</span>
            </label>
            <p class="field__help">{help}</p>
        </div>
    }
}

/// Preset, secret, custom HMAC fields, tolerance, raw body and the signed test call.
#[component]
fn SignatureFields(b: Builder) -> impl IntoView {
    let sig = opt(b, "signature");
    let preset = Memo::new(move |_| sig.with(ingress::preset_of));
    let choose = move |p: String| {
        let current = sig.get_untracked();
        let saved = b.base.with_untracked(|d| d.fields.options.clone());
        put_opt(
            b,
            "signature",
            "signature-preset",
            ingress::with_preset(&current, &p, &saved),
        );
    };
    let help = move || {
        PRESETS
            .iter()
            .find(|(v, _, _)| *v == preset.get())
            .map(|(_, _, h)| *h)
    };
    let is_hmac = Memo::new(move |_| preset.get() == "hmac");
    let ts_header = sig_field(b, "timestampHeader");
    let has_time =
        Memo::new(move |_| ingress::preset_has_timestamp(&preset.get(), &ts_header.get()));
    view! {
        <h4 class="subhead">"Signature check"</h4>
        <div class="field">
            <label class="field__label" for="signature-preset">"Who sends the calls"</label>
            <select class="input" id="signature-preset" data-testid="signature-preset" prop:value=move || preset.get() on:change=move |ev| choose(event_target_value(&ev))>
                {PRESETS.iter().map(|(v, label, _)| view! { <option value=*v>{*label}</option> }).collect_view()}
            </select>
            <p class="field__help">"Services like GitHub or Stripe sign each call with a secret you both know. With a check on, calls that are not signed with it are refused (401), so nobody else can start this flow."</p>
        </div>
        {move || (!preset.get().is_empty()).then(|| view! {
            <SecretField b=b help=Signal::derive(help) />
            {move || is_hmac.get().then(|| view! { <HmacFields b=b /> })}
            {move || has_time.get().then(|| view! { <ToleranceField b=b /> })}
        })}
        <Check b=b key="rawBody" testid="raw-body"
            label="Keep the raw body as $trigger.rawBody"
            help="Steps can then read the exact text that was sent, character for character (some services ask you to check or forward it unchanged)." />
        {move || (!preset.get().is_empty()).then(|| view! { <SignedTestCall b=b /> })}
    }
}

/// The masked secret: a saved secret is never shown; typing replaces it, emptying keeps it.
#[component]
fn SecretField(b: Builder, help: Signal<Option<&'static str>>) -> impl IntoView {
    let secret = sig_field(b, "secret");
    let stored = opt(b, "signature");
    let saved = Memo::new(move |_| {
        b.base
            .with(|d| ingress::has_saved_secret(&d.fields.options))
    });
    let show = RwSignal::new(false);
    let shown = Signal::derive(move || {
        match ingress::secret_shown(
            &stored.with(|s| s.get("secret").cloned().unwrap_or(Value::Null)),
        ) {
            SecretShown::Text(t) => t,
            SecretShown::Empty | SecretShown::Saved => String::new(),
        }
    });
    let on_input = Callback::new(move |t: String| {
        let current = stored.get_untracked();
        let mut next = current.as_object().cloned().unwrap_or_default();
        match ingress::secret_to_store(&t, saved.get_untracked()) {
            Some(v) => {
                next.insert("secret".into(), v);
            }
            None => {
                next.remove("secret");
            }
        }
        put_opt(
            b,
            "signature",
            "signature-secret",
            Some(Value::Object(next)),
        );
    });
    let is_saved = Memo::new(move |_| secret.get() == ingress::MASK);
    view! {
        <div class="field">
            <label class="field__label" for="signature-secret">"Secret"</label>
            {move || {
                let placeholder = if saved.get() { "saved — type to replace" } else { "Paste the signing secret" };
                view! {
                    <div class="fb-secret">
                        <LiveInput id="signature-secret" testid="signature-secret" class="input input--mono"
                            input_type=Signal::derive(move || if show.get() { "text" } else { "password" })
                            autocomplete="new-password" placeholder=placeholder value=shown on_input=on_input />
                        <button type="button" class="button button--small" data-testid="signature-secret-toggle"
                            aria-pressed=move || show.get().to_string() aria-controls="signature-secret"
                            on:click=move |_| show.update(|s| *s = !*s)>
                            {move || if show.get() { "Hide" } else { "Show" }}
                        </button>
                    </div>
                }
            }}
            {move || is_saved.get().then(|| view! {
                <p class="field__help" data-testid="signature-secret-saved">"A secret is saved. It is never shown again: type a new one to replace it, or leave the field empty to keep it."</p>
            })}
            <p class="field__help">{help}" Or write {{$env.NAME}} to use a server variable (one that FLOWS_ENV_ALLOW_LIST lets flows read)."</p>
        </div>
    }
}

/// Header, algorithm, encoding, prefix and timestamp header of "Custom HMAC".
#[component]
fn HmacFields(b: Builder) -> impl IntoView {
    let header = sig_field(b, "header");
    let algorithm = sig_field(b, "algorithm");
    let encoding = sig_field(b, "encoding");
    let prefix = sig_field(b, "prefix");
    let ts = sig_field(b, "timestampHeader");
    view! {
        <div class="field">
            <label class="field__label" for="signature-header">"Signature header"</label>
            <LiveInput id="signature-header" testid="signature-header" class="input input--mono" placeholder="X-Signature" value=header on_input=Callback::new(move |t: String| set_sig_field(b, "header", &t)) />
            <p class="field__help">"The name of the header the service puts its signature in (its documentation says which)."</p>
        </div>
        <div class="fb-security__pair">
            <div class="field">
                <label class="field__label" for="signature-algorithm">"Algorithm"</label>
                <select class="input" id="signature-algorithm" data-testid="signature-algorithm" prop:value=move || or_default(algorithm.get(), "sha256") on:change=move |ev| set_sig_field(b, "algorithm", &event_target_value(&ev))>
                    <option value="sha1">"SHA-1"</option>
                    <option value="sha256">"SHA-256"</option>
                    <option value="sha512">"SHA-512"</option>
                </select>
            </div>
            <div class="field">
                <label class="field__label" for="signature-encoding">"Written as"</label>
                <select class="input" id="signature-encoding" data-testid="signature-encoding" prop:value=move || or_default(encoding.get(), "hex") on:change=move |ev| set_sig_field(b, "encoding", &event_target_value(&ev))>
                    <option value="hex">"Hex (0-9, a-f)"</option>
                    <option value="base64">"Base64"</option>
                </select>
            </div>
        </div>
        <div class="field">
            <label class="field__label" for="signature-prefix">"Text before the signature (optional)"</label>
            <LiveInput id="signature-prefix" testid="signature-prefix" class="input input--mono" placeholder="sha256=" value=prefix on_input=Callback::new(move |t: String| set_sig_field(b, "prefix", &t)) />
            <p class="field__help">"Some services write e.g. sha256= in front of the signature; leave empty if yours does not."</p>
        </div>
        <div class="field">
            <label class="field__label" for="signature-timestamp-header">"Time header (optional)"</label>
            <LiveInput id="signature-timestamp-header" testid="signature-timestamp-header" class="input input--mono" placeholder="X-Timestamp" value=ts on_input=Callback::new(move |t: String| set_sig_field(b, "timestampHeader", &t)) />
            <p class="field__help">"If the service also sends the time it signed the call, the header it is in; old calls are then refused."</p>
        </div>
    }
}

/// How old a signed time may be.
#[component]
fn ToleranceField(b: Builder) -> impl IntoView {
    let tolerance = sig_field(b, "tolerance");
    view! {
        <div class="field">
            <label class="field__label" for="signature-tolerance">"Refuse calls signed more than … seconds ago"</label>
            <LiveInput id="signature-tolerance" testid="signature-tolerance" input_type=Signal::derive(|| "number") placeholder="300" value=tolerance on_input=Callback::new(move |t: String| set_sig_field(b, "tolerance", &t)) />
            <p class="field__help">"A copied call sent again later is refused. Empty means 300 seconds (5 minutes); allow more if the sender's clock may be off."</p>
        </div>
    }
}

/// Why the signed test call cannot be sent now, if it cannot.
fn test_blocked(saved_preset: &str, dirty: usize) -> Option<&'static str> {
    if saved_preset.is_empty() {
        Some("Save the flow with a signature check first: the test call uses the saved secret.")
    } else if dirty > 0 {
        Some("Save first: the test call uses the saved flow and its secret.")
    } else {
        None
    }
}

/// "Send a signed test call" and what came back.
#[component]
fn SignedTestCall(b: Builder) -> impl IntoView {
    let saved_preset = Memo::new(move |_| {
        b.base
            .with(|d| ingress::preset_of(d.fields.options.get("signature").unwrap_or(&Value::Null)))
    });
    let blocked = Memo::new(move |_| test_blocked(&saved_preset.get(), b.dirty.get()));
    let busy = RwSignal::new(false);
    let result: RwSignal<Option<Result<SignedTest, ApiError>>> = RwSignal::new(None);
    let send = move |_| {
        if busy.get_untracked() || blocked.get_untracked().is_some() {
            return;
        }
        let flow = b.flow_id.get_value();
        let body = ingress::test_body(&b.sample.with_untracked(|s| s.body.clone()));
        busy.set(true);
        spawn_local(async move {
            let got = b
                .session
                .authed(move |t| ingress::signed_test(t, flow.clone(), body.clone()))
                .await;
            busy.try_set(false);
            result.try_set(Some(got));
        });
    };
    let inactive = move || b.flow.with(|f| f.as_ref().is_some_and(|f| !f.is_active()));
    let answer = move || {
        result.get().map(|r| match r {
            Ok(t) => {
                let class = if (200..300).contains(&t.status) { "chip chip--ok" } else { "chip chip--bad" };
                let headers = t.headers.clone();
                view! {
                    <div class="fb-security__answer" data-testid="signed-test-result">
                        <p>
                            "Answer: "
                            <span class=class data-testid="signed-test-status">{t.status.to_string()}</span>
                        </p>
                        <h5 class="subhead">"Signature headers sent"</h5>
                        <table class="kv-table" data-testid="signed-test-headers">
                            <tbody>
                                {headers.into_iter().map(|(k, v)| view! {
                                    <tr><th scope="row">{k}</th><td><code>{text(&v)}</code></td></tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                        <h5 class="subhead">"Body sent back"</h5>
                        <pre class="code-block" data-testid="signed-test-body">{serde_json::to_string_pretty(&t.body).unwrap_or_default()}</pre>
                    </div>
                }
                .into_any()
            }
            Err(e) => view! { <ErrorAlert error=e context="The signed test call failed" /> }.into_any(),
        })
    };
    view! {
        <div class="field">
            <button type="button" class="button" data-testid="signed-test"
                disabled=move || busy.get() || blocked.get().is_some() on:click=send>
                {move || if busy.get() { "Sending…" } else { "Send a signed test call" }}
            </button>
            <p class="field__help" data-testid="signed-test-hint">
                {move || blocked.get().unwrap_or("Signs the test panel's sample body (or {\"hello\": \"world\"}) with the saved secret, as the service would, and calls the web address. The flow really runs.")}
            </p>
            {move || inactive().then(|| view! { <p class="field__help">"The flow is off, so the call will be refused (403) until you turn it on."</p> })}
            {answer}
        </div>
    }
}

/// Points, period and who is counted.
#[component]
fn RateLimitFields(b: Builder) -> impl IntoView {
    let rl = opt(b, "rateLimit");
    let field = move |f: &'static str| {
        Signal::derive(move || rl.with(|r| r.get(f).map(text).unwrap_or_default()))
    };
    let set = move |f: &'static str, t: String| {
        let next = ingress::with_rate_limit_field(&rl.get_untracked(), f, &t);
        put_opt(b, "rateLimit", &format!("rateLimit-{f}"), next);
    };
    let off = Signal::derive(move || rl.with(Value::is_null));
    let by = field("by");
    view! {
        <div class="fb-security__pair">
            <div class="field">
                <label class="field__label" for="rate-points">"Calls allowed"</label>
                <LiveInput id="rate-points" testid="rate-limit-points" input_type=Signal::derive(|| "number") placeholder="No limit" value=field("points") on_input=Callback::new(move |t| set("points", t)) />
            </div>
            <div class="field">
                <label class="field__label" for="rate-duration">"Per"</label>
                <LiveInput id="rate-duration" testid="rate-limit-duration" class="input input--mono" placeholder="1m" disabled=off value=field("duration") on_input=Callback::new(move |t| set("duration", t)) />
            </div>
        </div>
        <div class="field">
            <label class="field__label" for="rate-by">"Counted for"</label>
            <select class="input" id="rate-by" data-testid="rate-limit-by" disabled=move || off.get() prop:value=move || or_default(by.get(), "ip") on:change=move |ev| set("by", event_target_value(&ev))>
                <option value="ip">"Each caller address"</option>
                <option value="token">"Each token or user"</option>
                <option value="global">"Everyone together"</option>
            </select>
            <p class="field__help">"How many calls the flow accepts in each period (30s, 1m, 1h), and whose calls count together. Calls over the limit are refused (429) and told when to try again. Leave empty for no limit."</p>
        </div>
    }
}

/// How many runs at once, and what happens to the next call.
#[component]
fn ConcurrencyFields(b: Builder) -> impl IntoView {
    let c = opt(b, "concurrency");
    let max = Signal::derive(move || c.with(|c| c.get("max").map(text).unwrap_or_default()));
    let when_full =
        Signal::derive(move || c.with(|c| c.get("whenFull").map(text).unwrap_or_default()));
    let set = move |f: &'static str, t: String| {
        let next = ingress::with_concurrency_field(&c.get_untracked(), f, &t);
        put_opt(b, "concurrency", &format!("concurrency-{f}"), next);
    };
    let off = move || c.with(Value::is_null);
    view! {
        <div class="fb-security__pair">
            <div class="field">
                <label class="field__label" for="concurrency-max">"At most"</label>
                <LiveInput id="concurrency-max" testid="concurrency-max" input_type=Signal::derive(|| "number") placeholder="No limit" value=max on_input=Callback::new(move |t| set("max", t)) />
            </div>
            <div class="field">
                <label class="field__label" for="concurrency-when-full">"When full"</label>
                <select class="input" id="concurrency-when-full" data-testid="concurrency-when-full" disabled=off prop:value=move || or_default(when_full.get(), "queue") on:change=move |ev| set("whenFull", event_target_value(&ev))>
                    <option value="queue">"Wait for a free slot"</option>
                    <option value="reject">"Refuse the call"</option>
                </select>
            </div>
        </div>
        <p class="field__help">"How many runs of this flow may go on at the same time. A further call either waits its turn or is refused (503, try again later). Leave empty for no limit."</p>
    }
}

/// One address or range per line.
#[component]
fn AllowList(b: Builder) -> impl IntoView {
    let list = opt(b, "ipAllowList");
    view! {
        <div class="field">
            <label class="field__label" for="ip-allow-list">"Accept calls only from"</label>
            <LiveTextArea id="ip-allow-list" testid="ip-allow-list" class="input input--mono" rows=3
                placeholder="192.30.252.0/22\n203.0.113.7"
                value=Signal::derive(move || ingress::allow_list_text(&list.get()))
                on_input=Callback::new(move |t: String| put_opt(b, "ipAllowList", "ipAllowList", ingress::allow_list_from_text(&t))) />
            <p class="field__help">"One address or range (like 192.30.252.0/22) per line. Calls from anywhere else are refused (403). Leave empty to accept calls from every address."</p>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::test_blocked;

    #[test]
    fn the_test_call_waits_for_a_saved_signature() {
        assert!(test_blocked("", 0).is_some_and(|m| m.contains("signature")));
        assert!(test_blocked("github", 2).is_some_and(|m| m.starts_with("Save first")));
        assert_eq!(test_blocked("github", 0), None);
    }
}
