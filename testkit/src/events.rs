//! API Gateway proxy events as Lambda delivers them, for handlers served by `lambda_http::run`
//! (decode the event into a `lambda_http::request::LambdaRequest`, then `Request::from`) or by
//! `lambda_runtime::run` (`LambdaEvent<ApiGatewayV2httpRequest>` or
//! `LambdaEvent<ApiGatewayProxyRequest>`), and for a Runtime API stand-in that hands events to
//! a bootstrap binary.
//!
//! ```
//! use tenant_isolation_testkit::events::ApiEvent;
//!
//! let event = ApiEvent::new("GET", "/orders/o-1").route("/orders/{id}").path_parameter("id", "o-1").bearer("t0ken");
//! let v2 = event.http_api();
//! assert_eq!(v2["routeKey"], "GET /orders/{id}");
//! assert_eq!(v2["headers"]["authorization"], "Bearer t0ken");
//! let v1 = event.rest_api();
//! assert_eq!(v1["httpMethod"], "GET");
//! assert_eq!(v1["headers"]["Authorization"], "Bearer t0ken");
//! assert_eq!(v1["pathParameters"]["id"], "o-1");
//! ```

use serde_json::{Map, Value, json};

/// One request, written out as an HTTP API (payload 2.0) or a REST API (payload 1.0) proxy
/// event. Built with `Host: api.example.test` and, with a body, `Content-Type:
/// application/json`.
#[derive(Debug, Clone)]
pub struct ApiEvent {
    method: String,
    path: String,
    route: Option<String>,
    headers: Vec<(String, String)>,
    path_parameters: Map<String, Value>,
    body: Option<String>,
    request_id: String,
}

impl ApiEvent {
    /// `method path`, no token, no body.
    pub fn new(method: &str, path: &str) -> ApiEvent {
        ApiEvent {
            method: method.to_owned(),
            path: path.to_owned(),
            route: None,
            headers: vec![("host".to_owned(), "api.example.test".to_owned())],
            path_parameters: Map::new(),
            body: None,
            request_id: "testkit-request".to_owned(),
        }
    }

    /// The route template the request matched (`/orders/{id}`); the path itself by default.
    pub fn route(mut self, route: &str) -> ApiEvent {
        self.route = Some(route.to_owned());
        self
    }

    /// `Authorization: Bearer <token>`.
    pub fn bearer(self, token: &str) -> ApiEvent {
        self.header("authorization", &format!("Bearer {token}"))
    }

    /// A header, by its lower-case name (the REST API event writes it in the canonical case
    /// clients send, `Authorization`; the HTTP API lower-cases every name).
    pub fn header(mut self, name: &str, value: &str) -> ApiEvent {
        self.headers.push((name.to_ascii_lowercase(), value.to_owned()));
        self
    }

    /// A path parameter of the route (`id` of `/orders/{id}`).
    pub fn path_parameter(mut self, name: &str, value: &str) -> ApiEvent {
        self.path_parameters.insert(name.to_owned(), json!(value));
        self
    }

    /// A JSON body (and its `Content-Type`).
    pub fn json(self, body: &Value) -> ApiEvent {
        self.body(&body.to_string()).header("content-type", "application/json")
    }

    /// A body as sent, with no `Content-Type` of its own (for malformed bodies).
    pub fn body(mut self, body: &str) -> ApiEvent {
        self.body = Some(body.to_owned());
        self
    }

    /// The request id API Gateway assigned (`requestContext.requestId`).
    pub fn request_id(mut self, id: &str) -> ApiEvent {
        self.request_id = id.to_owned();
        self
    }

    fn parameters(&self) -> Value {
        if self.path_parameters.is_empty() { Value::Null } else { Value::Object(self.path_parameters.clone()) }
    }

    /// The HTTP API (payload format 2.0) event.
    pub fn http_api(&self) -> Value {
        let headers: Map<String, Value> = self.headers.iter().map(|(n, v)| (n.clone(), json!(v))).collect();
        let route_key = format!("{} {}", self.method, self.route.as_deref().unwrap_or(&self.path));
        json!({
            "version": "2.0",
            "routeKey": route_key,
            "rawPath": self.path,
            "rawQueryString": "",
            "headers": headers,
            "pathParameters": self.parameters(),
            "requestContext": {
                "accountId": "123456789012", "apiId": "api", "domainName": "api.example.test",
                "domainPrefix": "api", "requestId": self.request_id, "routeKey": route_key,
                "stage": "$default", "time": "23/Nov/2026:06:00:00 +0000", "timeEpoch": 1_795_500_000_000_u64,
                "http": {
                    "method": self.method, "path": self.path, "protocol": "HTTP/1.1",
                    "sourceIp": "127.0.0.1", "userAgent": "tenant-isolation-testkit"
                }
            },
            "body": self.body,
            "isBase64Encoded": false
        })
    }

    /// The REST API (payload format 1.0) proxy event.
    pub fn rest_api(&self) -> Value {
        let headers: Map<String, Value> = self.headers.iter().map(|(n, v)| (canonical(n), json!(v))).collect();
        let resource = self.route.as_deref().unwrap_or(&self.path);
        json!({
            "resource": resource, "path": self.path, "httpMethod": self.method,
            "headers": headers, "multiValueHeaders": {},
            "queryStringParameters": null, "multiValueQueryStringParameters": null,
            "pathParameters": self.parameters(), "stageVariables": null,
            "requestContext": {
                "accountId": "123456789012", "resourceId": "r", "stage": "prod", "requestId": self.request_id,
                "identity": { "sourceIp": "127.0.0.1" }, "resourcePath": resource, "httpMethod": self.method,
                "apiId": "api", "path": self.path, "authorizer": {}
            },
            "body": self.body, "isBase64Encoded": false
        })
    }
}

/// `content-type` → `Content-Type`.
fn canonical(name: &str) -> String {
    name.split('-')
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map(|c| c.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join("-")
}
