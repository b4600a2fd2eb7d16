//! The signed-in session: auth state, the token pair (persisted), the refresh timer, and
//! [`Session::authed`] calls that refresh and retry once on `TOKEN_EXPIRED`.
//!
//! Views read [`Session::state`]; they never touch tokens. No rendering here.

use std::{future::Future, time::Duration};

use futures::future::{FutureExt, LocalBoxFuture, Shared};
use leptos::{prelude::*, task::spawn_local};

use super::token_store::{self, StoredTokens, now_ms};
use crate::api::{self, ApiError, error::NOT_SIGNED_IN, users::User};

/// Retry delay after a refresh that failed for a transport reason (offline, timeout).
const RETRY_MS: f64 = 30_000.0;
/// Refresh this long before expiry (capped at a quarter of the token's lifetime).
const REFRESH_LEAD_MS: f64 = 60_000.0;
/// `setTimeout` cannot wait longer than 2^31 - 1 ms.
const MAX_TIMER_MS: f64 = 2_000_000_000.0;

/// Where authentication stands; drives the route guard and the header.
#[derive(Clone, Debug, PartialEq)]
pub enum AuthState {
    /// Stored tokens are being checked against `/users/me`.
    Checking,
    /// Stored tokens exist but the server could not be reached; the guard offers a retry.
    Unreachable(ApiError),
    /// No usable session; the reason picks the sign-in page's notice and return path.
    SignedOut(SignOutReason),
    /// Signed in as this user.
    SignedIn(User),
}

/// Why the user is signed out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignOutReason {
    /// Never signed in on this device (or storage was cleared).
    NoSession,
    /// The server rejected the stored or refreshed tokens.
    Expired,
    /// The user pressed "Sign out".
    UserAction,
}

type RefreshFuture = Shared<LocalBoxFuture<'static, Result<(), ApiError>>>;

/// Handle to the session context; `Copy`, so closures can capture it freely.
#[derive(Clone, Copy)]
pub struct Session {
    state: RwSignal<AuthState>,
    tokens: StoredValue<Option<StoredTokens>>,
    timer: StoredValue<Option<TimeoutHandle>>,
    /// The refresh in flight, shared so that concurrent callers spend the refresh token once.
    refreshing: StoredValue<Option<RefreshFuture>, LocalStorage>,
}

/// Creates the session from `localStorage`, starts checking it, and provides it as context.
pub fn provide_session() -> Session {
    let session = Session {
        state: RwSignal::new(AuthState::Checking),
        tokens: StoredValue::new(token_store::load()),
        timer: StoredValue::new(None),
        refreshing: StoredValue::new_local(None),
    };
    provide_context(session);
    session.restore();
    session
}

/// The session provided by [`provide_session`].
pub fn use_session() -> Session {
    expect_context::<Session>()
}

impl Session {
    /// The current auth state (tracked).
    pub fn state(self) -> ReadSignal<AuthState> {
        self.state.read_only()
    }

    /// The signed-in user, if any (tracked).
    pub fn user(self) -> Option<User> {
        self.state.with(|s| match s {
            AuthState::SignedIn(user) => Some(user.clone()),
            _ => None,
        })
    }

    /// Checks the stored tokens (refreshing them if stale) and loads the user.
    pub fn restore(self) {
        if self.tokens.with_value(Option::is_none) {
            self.state
                .set(AuthState::SignedOut(SignOutReason::NoSession));
            return;
        }
        self.state.set(AuthState::Checking);
        spawn_local(async move {
            match self.authed(api::users::me).await {
                Ok(user) => {
                    self.state.set(AuthState::SignedIn(user));
                    self.schedule_refresh();
                }
                Err(e) if e.is_auth_rejection() => self.end(SignOutReason::Expired),
                Err(e) => self.state.set(AuthState::Unreachable(e)),
            }
        });
    }

    /// Signs in with email and password, then loads the user.
    pub async fn sign_in(self, email: String, password: String) -> Result<(), ApiError> {
        let tokens = StoredTokens::from_response(api::auth::login(&email, &password).await?);
        match api::users::me(tokens.access_token.clone()).await {
            Ok(user) => {
                self.store(tokens);
                self.state.set(AuthState::SignedIn(user));
                self.schedule_refresh();
                Ok(())
            }
            Err(e) => {
                spawn_local(logout_quietly(tokens.refresh_token));
                Err(e)
            }
        }
    }

    /// Forgets the session at once and ends it on the server in the background.
    pub fn sign_out(self) {
        let refresh_token = self
            .tokens
            .with_value(|t| t.as_ref().map(|t| t.refresh_token.clone()));
        self.end(SignOutReason::UserAction);
        if let Some(token) = refresh_token {
            spawn_local(logout_quietly(token));
        }
    }

    /// Runs an authenticated call with a fresh access token; on `401 TOKEN_EXPIRED` it
    /// refreshes once and retries.
    pub async fn authed<T, F, Fut>(self, call: F) -> Result<T, ApiError>
    where
        F: Fn(String) -> Fut,
        Fut: Future<Output = Result<T, ApiError>>,
    {
        if self
            .tokens
            .with_value(|t| t.as_ref().is_some_and(StoredTokens::is_stale))
        {
            self.refresh().await?;
        }
        match call(self.access_token()?).await {
            Err(e) if e.is_token_expired() => {
                self.refresh().await?;
                call(self.access_token()?).await
            }
            result => result,
        }
    }

    /// Trades the refresh token for a new pair; concurrent callers share one request.
    pub async fn refresh(self) -> Result<(), ApiError> {
        let in_flight = self.refreshing.with_value(Clone::clone);
        let future = in_flight.unwrap_or_else(|| {
            let future = self.refresh_once().boxed_local().shared();
            self.refreshing.set_value(Some(future.clone()));
            future
        });
        future.await
    }

    async fn refresh_once(self) -> Result<(), ApiError> {
        let result = self.exchange_refresh_token().await;
        self.refreshing.set_value(None);
        result
    }

    async fn exchange_refresh_token(self) -> Result<(), ApiError> {
        // Another tab may already have rotated the pair; its refresh token would be spent here.
        if let Some(stored) = token_store::load() {
            let rotated = self.tokens.with_value(|t| {
                t.as_ref()
                    .is_some_and(|t| t.refresh_token != stored.refresh_token)
            });
            if rotated && !stored.is_stale() {
                self.tokens.set_value(Some(stored));
                self.schedule_refresh();
                return Ok(());
            }
        }
        let refresh_token = self
            .tokens
            .with_value(|t| t.as_ref().map(|t| t.refresh_token.clone()))
            .ok_or_else(signed_out_error)?;
        match api::auth::refresh(&refresh_token).await {
            Ok(tokens) => {
                self.store(StoredTokens::from_response(tokens));
                self.schedule_refresh();
                Ok(())
            }
            Err(e) if e.is_auth_rejection() => {
                self.end(SignOutReason::Expired);
                Err(e)
            }
            Err(e) => {
                self.set_timer(RETRY_MS);
                Err(e)
            }
        }
    }

    fn access_token(self) -> Result<String, ApiError> {
        self.tokens
            .with_value(|t| t.as_ref().map(|t| t.access_token.clone()))
            .ok_or_else(signed_out_error)
    }

    fn store(self, tokens: StoredTokens) {
        token_store::save(&tokens);
        self.tokens.set_value(Some(tokens));
    }

    fn end(self, reason: SignOutReason) {
        self.cancel_timer();
        self.tokens.set_value(None);
        token_store::clear();
        self.state.set(AuthState::SignedOut(reason));
    }

    /// Arms the timer to refresh shortly before the access token expires.
    fn schedule_refresh(self) {
        let delay = self.tokens.with_value(|t| {
            t.as_ref().map(|t| {
                let lead = (t.lifetime / 4.0).min(REFRESH_LEAD_MS);
                t.expires_at - lead - now_ms()
            })
        });
        if let Some(delay) = delay {
            self.set_timer(delay);
        }
    }

    fn set_timer(self, delay_ms: f64) {
        self.cancel_timer();
        let delay = Duration::from_millis(delay_ms.clamp(1_000.0, MAX_TIMER_MS) as u64);
        let fire = move || {
            spawn_local(async move {
                if let Err(e) = self.refresh().await {
                    leptos::logging::warn!("session refresh failed: {e}");
                }
            });
        };
        match set_timeout_with_handle(fire, delay) {
            Ok(handle) => self.timer.set_value(Some(handle)),
            Err(e) => leptos::logging::warn!("could not arm the refresh timer: {e:?}"),
        }
    }

    fn cancel_timer(self) {
        if let Some(handle) = self.timer.get_value() {
            handle.clear();
        }
        self.timer.set_value(None);
    }
}

fn signed_out_error() -> ApiError {
    ApiError::client(NOT_SIGNED_IN, "You are signed out. Sign in again.")
}

async fn logout_quietly(refresh_token: String) {
    if let Err(e) = api::auth::logout(&refresh_token).await {
        leptos::logging::warn!("logout failed (the session ends locally anyway): {e}");
    }
}
