//! The admin API's route table: the one list the Worker dispatches on, the OpenAPI document
//! is checked against, and the security tests walk.

/// Every admin API operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteId {
    OpenApi,
    SetupStatus,
    Setup,
    Login,
    Logout,
    LogoutAll,
    Me,
    ChangePassword,
    ListAdmins,
    CreateAdmin,
    DeleteAdmin,
    ListKeys,
    CreateKey,
    ImportKeys,
    ExportKeys,
    BulkKeys,
    StartChecks,
    CheckJob,
    GetKey,
    UpdateKey,
    DeleteKey,
    CheckKey,
    KeyEvents,
    KeyState,
    PoolView,
    Audit,
    ListTokens,
    CreateToken,
    UpdateToken,
    DeleteToken,
    RotateToken,
    GetConfig,
    UpdateConfig,
    ListLogs,
    ExportLogs,
    LogHealth,
    GetLog,
    StatsSeries,
    StatsTotals,
    ListGroups,
    CreateGroup,
    GetGroup,
    UpdateGroup,
    DeleteGroup,
}

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No session needed (setup, sign-in, the OpenAPI document).
    Public,
    /// A signed-in admin.
    Session,
}

/// One row of the table. `path` uses `{name}` for parameters, as OpenAPI does.
#[derive(Debug, Clone, Copy)]
pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    pub id: RouteId,
    pub access: Access,
}

const fn r(method: &'static str, path: &'static str, id: RouteId, access: Access) -> Route {
    Route { method, path, id, access }
}

use Access::{Public, Session};
use RouteId::*;

/// The admin API. Order matters only for readability: literal segments always beat `{param}`.
pub const ROUTES: &[Route] = &[
    r("GET", "/api/v1/openapi.json", OpenApi, Public),
    r("GET", "/api/v1/setup", SetupStatus, Public),
    r("POST", "/api/v1/setup", Setup, Public),
    r("POST", "/api/v1/auth/login", Login, Public),
    r("POST", "/api/v1/auth/logout", Logout, Session),
    r("POST", "/api/v1/auth/logout-all", LogoutAll, Session),
    r("GET", "/api/v1/auth/me", Me, Session),
    r("POST", "/api/v1/auth/password", ChangePassword, Session),
    r("GET", "/api/v1/admins", ListAdmins, Session),
    r("POST", "/api/v1/admins", CreateAdmin, Session),
    r("DELETE", "/api/v1/admins/{id}", DeleteAdmin, Session),
    r("GET", "/api/v1/keys", ListKeys, Session),
    r("POST", "/api/v1/keys", CreateKey, Session),
    r("POST", "/api/v1/keys/import", ImportKeys, Session),
    r("POST", "/api/v1/keys/export", ExportKeys, Session),
    r("POST", "/api/v1/keys/bulk", BulkKeys, Session),
    r("POST", "/api/v1/keys/checks", StartChecks, Session),
    r("GET", "/api/v1/keys/checks/{job}", CheckJob, Session),
    r("GET", "/api/v1/keys/{id}", GetKey, Session),
    r("PATCH", "/api/v1/keys/{id}", UpdateKey, Session),
    r("DELETE", "/api/v1/keys/{id}", DeleteKey, Session),
    r("POST", "/api/v1/keys/{id}/check", CheckKey, Session),
    r("GET", "/api/v1/keys/{id}/events", KeyEvents, Session),
    r("GET", "/api/v1/keys/{id}/state", KeyState, Session),
    r("GET", "/api/v1/pool", PoolView, Session),
    r("GET", "/api/v1/audit", Audit, Session),
    r("GET", "/api/v1/tokens", ListTokens, Session),
    r("POST", "/api/v1/tokens", CreateToken, Session),
    r("PATCH", "/api/v1/tokens/{id}", UpdateToken, Session),
    r("DELETE", "/api/v1/tokens/{id}", DeleteToken, Session),
    r("POST", "/api/v1/tokens/{id}/rotate", RotateToken, Session),
    r("GET", "/api/v1/config", GetConfig, Session),
    r("PATCH", "/api/v1/config", UpdateConfig, Session),
    r("GET", "/api/v1/logs", ListLogs, Session),
    r("GET", "/api/v1/logs/export.csv", ExportLogs, Session),
    r("GET", "/api/v1/logs/health", LogHealth, Session),
    r("GET", "/api/v1/logs/{id}", GetLog, Session),
    r("GET", "/api/v1/stats/series", StatsSeries, Session),
    r("GET", "/api/v1/stats/totals", StatsTotals, Session),
    r("GET", "/api/v1/groups", ListGroups, Session),
    r("POST", "/api/v1/groups", CreateGroup, Session),
    r("GET", "/api/v1/groups/{name}", GetGroup, Session),
    r("PATCH", "/api/v1/groups/{name}", UpdateGroup, Session),
    r("DELETE", "/api/v1/groups/{name}", DeleteGroup, Session),
];

/// The outcome of matching a request against the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteMatch {
    /// The route and its path parameters in order.
    Found(RouteId, Access, Vec<String>),
    /// The path exists with other methods.
    MethodNotAllowed,
    NotFound,
}

/// Matches `method path`. A literal segment beats a parameter at the same position.
pub fn match_route(method: &str, path: &str) -> RouteMatch {
    let segs: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    let mut best: Option<(usize, &Route, Vec<String>)> = None;
    let mut path_exists = false;
    for route in ROUTES {
        let pattern: Vec<&str> = route.path.split('/').collect();
        if pattern.len() != segs.len() {
            continue;
        }
        let mut params = Vec::new();
        let mut literals = 0;
        let ok = pattern.iter().zip(&segs).all(|(p, s)| {
            if p.starts_with('{') {
                params.push((*s).to_string());
                !s.is_empty()
            } else {
                literals += 1;
                p == s
            }
        });
        if !ok {
            continue;
        }
        path_exists = true;
        if route.method == method && best.as_ref().is_none_or(|(l, _, _)| literals > *l) {
            best = Some((literals, route, params));
        }
    }
    match best {
        Some((_, route, params)) => RouteMatch::Found(route.id, route.access, params),
        None if path_exists => RouteMatch::MethodNotAllowed,
        None => RouteMatch::NotFound,
    }
}

// The OpenAPI 3 document (`core/src/api/openapi.json`) is served at `/api/v1/openapi.json`
// from the Worker's static assets (scripts/build-ui.sh copies it into admin-ui/dist), not
// compiled into the wasm; the test below keeps it equal to `ROUTES`.

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    const OPENAPI_JSON: &str = include_str!("openapi.json");

    #[test]
    fn literal_beats_parameter() {
        assert!(matches!(match_route("POST", "/api/v1/keys/export"), RouteMatch::Found(RouteId::ExportKeys, _, _)));
        assert!(
            matches!(match_route("GET", "/api/v1/keys/checks/abc"), RouteMatch::Found(RouteId::CheckJob, _, p) if p == ["abc"])
        );
        assert!(
            matches!(match_route("GET", "/api/v1/keys/42"), RouteMatch::Found(RouteId::GetKey, _, p) if p == ["42"])
        );
        assert_eq!(match_route("PUT", "/api/v1/keys/42"), RouteMatch::MethodNotAllowed);
        assert_eq!(match_route("GET", "/api/v1/nope"), RouteMatch::NotFound);
        assert_eq!(match_route("GET", "/api/v1/keys//events"), RouteMatch::NotFound);
        assert!(matches!(match_route("GET", "/api/v1/logs/export.csv"), RouteMatch::Found(RouteId::ExportLogs, _, _)));
        assert!(matches!(match_route("GET", "/api/v1/logs/health"), RouteMatch::Found(RouteId::LogHealth, _, _)));
        assert!(matches!(match_route("GET", "/api/v1/logs/7"), RouteMatch::Found(RouteId::GetLog, _, p) if p == ["7"]));
    }

    /// The OpenAPI document lists exactly the routes the Worker serves.
    #[test]
    fn openapi_matches_route_table() {
        let doc: serde_json::Value = serde_json::from_str(OPENAPI_JSON).expect("openapi.json is JSON");
        assert_eq!(doc["openapi"].as_str().map(|v| v.starts_with("3.")), Some(true));
        let mut documented = BTreeSet::new();
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for method in item.as_object().expect("path item").keys() {
                if ["get", "post", "patch", "put", "delete"].contains(&method.as_str()) {
                    documented.insert((method.to_uppercase(), path.clone()));
                    let op = &item[method];
                    let public = op.get("security").and_then(|s| s.as_array()).is_some_and(|a| a.is_empty());
                    let route = ROUTES.iter().find(|r| r.path == path && r.method == method.to_uppercase());
                    if let Some(route) = route {
                        assert_eq!(public, route.access == Access::Public, "security of {method} {path}");
                    }
                }
            }
        }
        let served: BTreeSet<_> = ROUTES.iter().map(|r| (r.method.to_string(), r.path.to_string())).collect();
        assert_eq!(documented, served);
    }
}
