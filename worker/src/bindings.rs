//! Names of the Worker's bindings and vars, as declared in `wrangler.toml`.

pub const DB: &str = "DB";
pub const SESSIONS: &str = "SESSIONS";
pub const KEY_STATE: &str = "KEY_STATE";
pub const UPSTREAM_BASE_URL: &str = "UPSTREAM_BASE_URL";
pub const ADMIN_SETUP_TOKEN: &str = "ADMIN_SETUP_TOKEN";
pub const LOGIN_GUARD: &str = "LOGIN_GUARD";
pub const CLOCK_SKEW_MS: &str = "CLOCK_SKEW_MS";
pub const TOKEN_LIMITER: &str = "TOKEN_LIMITER";
pub const PASSWORD_HASH_ITERATIONS: &str = "PASSWORD_HASH_ITERATIONS";
pub const ASSETS: &str = "ASSETS";
pub const UPSTREAM_ALLOWED_HOSTS: &str = "UPSTREAM_ALLOWED_HOSTS";
pub const ALLOW_CREDENTIAL_ENDPOINTS: &str = "ALLOW_CREDENTIAL_ENDPOINTS";
