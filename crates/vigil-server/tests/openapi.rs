//! The OpenAPI document and the reference page, through the real router.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::Server;
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

/// A value for a path parameter that the route's own parsing accepts.
fn sample(parameter: &str) -> &'static str {
    match parameter {
        "instance_number" => "00",
        "index" => "0",
        "asset" => "init.js",
        "value" => "some-tag",
        "path" => "vigil%2Fsample.rego",
        _ => "00000000-0000-4000-8000-000000000000",
    }
}

fn fill(template: &str) -> String {
    template
        .split('/')
        .map(|segment| match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(name) => sample(name).to_owned(),
            None => segment.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

async fn raw(s: &Server, request: Request<Body>) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let response = s.app.router().oneshot(request).await.unwrap();
    let (parts, body) = response.into_parts();
    (parts.status, parts.headers, body.collect().await.unwrap().to_bytes().to_vec())
}

#[tokio::test]
async fn the_document_is_openapi_3_1_and_served_without_a_token() {
    let s = Server::start().await;
    let (status, headers, body) = raw(&s, Request::get("/api/openapi.json").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "application/json");
    let document: Value = serde_json::from_slice(&body).unwrap();
    assert!(document["openapi"].as_str().unwrap().starts_with("3.1"), "{}", document["openapi"]);
    assert_eq!(document["info"]["title"], "Vigil");
    let schemes = &document["components"]["securitySchemes"];
    assert_eq!(schemes["bearer_token"]["scheme"], "bearer");
    assert_eq!(schemes["agent_api_key"]["name"], "X-Trento-Apikey");
    // The agent's paths use the agent key, the health paths nothing, the rest the default.
    assert_eq!(document["paths"]["/api/v1/collect"]["post"]["security"][0]["agent_api_key"], serde_json::json!([]));
    assert_eq!(document["paths"]["/healthz"]["get"]["security"], serde_json::json!([{}]));
    assert_eq!(document["security"][0]["bearer_token"], serde_json::json!([]));
    // One schema per type: two types of the same name would silently describe one of them.
    let schemas = document["components"]["schemas"].as_object().unwrap();
    for name in ["DiscoveryPage", "EventPage", "Page_HostView", "HostView", "ClusterView", "ErrorBody"] {
        assert!(schemas.contains_key(name), "no schema {name}");
    }
}

/// Every operation the document describes is served by the router (no "no such route",
/// no 405), and the ones that need a credential refuse a request without one.
#[tokio::test]
async fn every_documented_operation_is_a_route_and_guards_what_it_says() {
    let s = Server::start().await;
    let document = serde_json::to_value(vigil_server::http::openapi()).unwrap();
    let paths = document["paths"].as_object().unwrap();
    assert!(paths.len() >= 30, "{} paths", paths.len());
    let mut operations = 0;
    for (template, item) in paths {
        for (method, operation) in item.as_object().unwrap() {
            operations += 1;
            let uri = fill(template);
            let request = Request::builder().method(method.to_uppercase().as_str()).uri(&uri);
            let request = request.header("content-type", "application/json").body(Body::from("{}")).unwrap();
            let (status, _, body) = raw(&s, request).await;
            let text = String::from_utf8_lossy(&body);
            assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {uri}");
            assert!(!text.contains("no such route"), "{method} {uri} is documented but not routed");
            let public = operation["security"] == serde_json::json!([{}]);
            if !public {
                assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {uri} without a credential: {text}");
                assert!(operation["responses"]["401"].is_object(), "{method} {template} does not document 401");
            }
            // Every documented status can carry the error body the API sends.
            for (code, response) in operation["responses"].as_object().unwrap() {
                if code.starts_with('4') || code.starts_with('5') {
                    let schema = &response["content"]["application/json"]["schema"]["$ref"];
                    assert_eq!(schema, "#/components/schemas/ErrorBody", "{method} {template} {code}");
                }
            }
        }
    }
    assert!(operations >= 38, "{operations} operations");
    let mut ids: Vec<&str> = paths
        .values()
        .flat_map(|item| item.as_object().unwrap().values())
        .map(|operation| operation["operationId"].as_str().unwrap())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), operations, "operation ids are unique");
}

/// The other direction: the router gets its routes only from `routes!`, which documents
/// each one, so a route added with a bare `.route(` would be served undocumented.
#[test]
fn the_router_adds_routes_only_through_the_documented_list() {
    let source = include_str!("../src/http/mod.rs");
    assert!(!source.contains(".route("), "a route was added outside `routes!`");
    assert!(!source.contains(".nest("), "a router was nested outside `routes!`");
    let listed = source.matches(".routes(routes!(").count();
    let document = vigil_server::http::openapi();
    assert_eq!(listed, document.paths.paths.len(), "one `routes!` per path");
}

#[tokio::test]
async fn the_reference_page_loads_only_from_this_server() {
    let s = Server::start().await;
    let (status, headers, body) = raw(&s, Request::get("/api/docs").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers["content-type"].to_str().unwrap().starts_with("text/html"));
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(csp.starts_with("default-src 'self'"), "{csp}");
    let page = String::from_utf8(body).unwrap();
    let references: Vec<&str> = page
        .split(['"', '\''])
        .collect::<Vec<_>>()
        .windows(2)
        .filter(|w| w[0].ends_with("src=") || w[0].ends_with("href="))
        .map(|w| w[1])
        .collect();
    assert_eq!(references.len(), 3, "{references:?}");
    for reference in references {
        assert!(!reference.contains("//"), "{reference} is not on this server");
        let uri = format!("/api/{reference}");
        let (status, headers, body) = raw(&s, Request::get(&uri).body(Body::empty()).unwrap()).await;
        assert_eq!(status, StatusCode::OK, "{uri}");
        assert!(body.len() > 100, "{uri} is {} bytes", body.len());
        let kind = headers["content-type"].to_str().unwrap();
        assert!(kind.starts_with("text/javascript") || kind.starts_with("text/css"), "{uri}: {kind}");
    }
    let (status, _, _) = raw(&s, Request::get("/api/docs/../../etc/passwd").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
