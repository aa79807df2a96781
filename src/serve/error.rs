//! The one error shape of the HTTP API: `{"error":{"code","message","details"}}`, with the
//! statuses of DESIGN.md. Handlers return `ApiError`; extractor rejections (bad JSON, body too
//! large) are translated here, so no response leaves the server in another shape.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

/// An API error: the status and the body's fields.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub details: Value,
}

/// The body of every error response.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"error": {"code": "invalid_field", "message": "company_size must be a string", "details": {"path": "leads[0].company_size"}}}))]
pub struct ErrorBody {
    pub error: ErrorInner,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorInner {
    /// A stable machine-readable code, e.g. `invalid_field`, `unauthorized`, `not_found`.
    pub code: String,
    /// What went wrong, for a human.
    pub message: String,
    /// Structured context: the JSON path of a bad field, the allowed values, limits.
    #[schema(value_type = Object)]
    pub details: Value,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { status, code, message: message.into(), details: json!({}) }
    }

    pub fn with_details(mut self, details: Value) -> ApiError {
        self.details = details;
        self
    }

    /// 422 for one field, naming its JSON path.
    pub fn field(path: impl Into<String>, message: impl Into<String>) -> ApiError {
        let path = path.into();
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", message).with_details(json!({ "path": path }))
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "malformed_json", message)
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    pub fn unavailable(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "no_model", message)
    }

    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body =
            ErrorBody { error: ErrorInner { code: self.code.into(), message: self.message, details: self.details } };
        (self.status, Json(body)).into_response()
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> ApiError {
        match r {
            JsonRejection::JsonSyntaxError(e) => {
                ApiError::bad_request(format!("the body is not valid JSON: {}", e.body_text()))
            }
            JsonRejection::JsonDataError(e) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", e.body_text())
            }
            JsonRejection::MissingJsonContentType(_) => ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as JSON with `Content-Type: application/json`",
            ),
            other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                "the request body is larger than the server accepts (see `limits.max_body_bytes`)",
            ),
            other => ApiError::new(other.status(), "bad_request", other.body_text()),
        }
    }
}

/// The request body as a JSON value, with rejections in our error shape. Handlers then read
/// fields with [`Fields`], so a wrong field is reported with its JSON path.
pub struct Body(pub Value);

impl<S: Send + Sync> axum::extract::FromRequest<S> for Body {
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        let JsonBytes(bytes) = JsonBytes::from_request(req, state).await?;
        Ok(Body(parse(&bytes)?))
    }
}

/// Parses with plain `serde_json` and only on failure goes through axum's `Json`, whose
/// path-tracking deserializer names what is wrong but costs a sixth of a 1,000-lead batch when
/// everything is right.
pub fn parse(bytes: &[u8]) -> Result<Value, ApiError> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(v) => Ok(v),
        Err(_) => {
            let Json(v) = Json::<Value>::from_bytes(bytes)?;
            Ok(v)
        }
    }
}

/// Query parameters, with a malformed query string (a repeated parameter, say) answered in the
/// API's error shape — 400 `malformed_query` — rather than axum's plain text.
pub struct Query<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> axum::extract::FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(Query(v)),
            Err(r) => Err(ApiError::new(StatusCode::BAD_REQUEST, "malformed_query", r.body_text())),
        }
    }
}

/// The bytes of a JSON request body (content type and size checked), for handlers that read
/// them with a typed fast path before falling back to [`parse`].
pub struct JsonBytes(pub axum::body::Bytes);

impl<S: Send + Sync> axum::extract::FromRequest<S> for JsonBytes {
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        if !json_content_type(req.headers()) {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as JSON with `Content-Type: application/json`",
            ));
        }
        let bytes = axum::body::Bytes::from_request(req, state).await.map_err(|r| {
            if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "body_too_large",
                    "the request body is larger than the server accepts (see `limits.max_body_bytes`)",
                )
            } else {
                ApiError::new(r.status(), "bad_request", r.body_text())
            }
        })?;
        Ok(JsonBytes(bytes))
    }
}

/// `application/json` or `application/<anything>+json`, parameters ignored (axum's rule).
fn json_content_type(headers: &axum::http::HeaderMap) -> bool {
    let Some(ct) = headers.get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    // `to_str` only passes visible ASCII, so slicing at any byte is safe.
    let essence = ct.split(';').next().unwrap_or("").trim();
    let n = essence.len();
    essence.eq_ignore_ascii_case("application/json")
        || (n >= 17
            && essence[..12].eq_ignore_ascii_case("application/")
            && essence[n - 5..].eq_ignore_ascii_case("+json"))
}

/// Typed access to the fields of a JSON object, with errors naming the JSON path.
pub struct Fields<'a> {
    pub obj: &'a serde_json::Map<String, Value>,
    pub path: String,
}

impl<'a> Fields<'a> {
    /// The value at `path` must be an object.
    pub fn of(v: &'a Value, path: impl Into<String>) -> Result<Fields<'a>, ApiError> {
        let path = path.into();
        match v.as_object() {
            Some(obj) => Ok(Fields { obj, path }),
            None => Err(ApiError::field(
                if path.is_empty() { "$".to_string() } else { path.clone() },
                format!("{} must be a JSON object", if path.is_empty() { "the body" } else { &path }),
            )),
        }
    }

    pub fn path_of(&self, key: &str) -> String {
        if self.path.is_empty() { key.to_string() } else { format!("{}.{key}", self.path) }
    }

    pub fn get(&self, key: &str) -> Option<&'a Value> {
        self.obj.get(key).filter(|v| !v.is_null())
    }

    pub fn opt_str(&self, key: &str) -> Result<Option<&'a str>, ApiError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.as_str())),
            Some(_) => Err(ApiError::field(self.path_of(key), format!("{} must be a string", self.path_of(key)))),
        }
    }

    pub fn str(&self, key: &str) -> Result<&'a str, ApiError> {
        self.opt_str(key)?
            .ok_or_else(|| ApiError::field(self.path_of(key), format!("{} is required", self.path_of(key))))
    }

    pub fn opt_f64(&self, key: &str) -> Result<Option<f64>, ApiError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Number(n)) => match n.as_f64() {
                Some(x) if x.is_finite() => Ok(Some(x)),
                _ => Err(ApiError::field(self.path_of(key), format!("{} must be a finite number", self.path_of(key)))),
            },
            Some(_) => Err(ApiError::field(self.path_of(key), format!("{} must be a number", self.path_of(key)))),
        }
    }

    pub fn opt_bool(&self, key: &str) -> Result<Option<bool>, ApiError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(ApiError::field(self.path_of(key), format!("{} must be true or false", self.path_of(key)))),
        }
    }

    pub fn opt_usize(&self, key: &str) -> Result<Option<usize>, ApiError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Number(n)) if n.as_u64().is_some() => Ok(Some(n.as_u64().unwrap_or(0) as usize)),
            // JSON has one number type: 3.0 is the integer 3 (as JSON Schema counts it).
            Some(Value::Number(n)) if n.as_f64().is_some_and(|x| x >= 0.0 && x.fract() == 0.0 && x < 2f64.powi(53)) => {
                Ok(n.as_f64().map(|x| x as usize))
            }
            Some(_) => {
                Err(ApiError::field(self.path_of(key), format!("{} must be a non-negative integer", self.path_of(key))))
            }
        }
    }

    /// An array field (required).
    pub fn array(&self, key: &str) -> Result<&'a Vec<Value>, ApiError> {
        match self.get(key) {
            Some(Value::Array(a)) => Ok(a),
            None => Err(ApiError::field(self.path_of(key), format!("{} is required", self.path_of(key)))),
            Some(_) => Err(ApiError::field(self.path_of(key), format!("{} must be an array", self.path_of(key)))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::json_content_type;
    use axum::http::{HeaderMap, HeaderValue, header::CONTENT_TYPE};

    #[test]
    fn json_content_types_are_recognised_whatever_their_case_and_parameters() {
        let is_json = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(CONTENT_TYPE, HeaderValue::from_str(v).unwrap());
            json_content_type(&h)
        };
        for yes in
            ["application/json", "Application/JSON; charset=utf-8", " application/json ", "application/vnd.api+json"]
        {
            assert!(is_json(yes), "{yes}");
        }
        for no in ["text/json", "application/jsonx", "application/xml", "json", "", "application/json5"] {
            assert!(!is_json(no), "{no}");
        }
        assert!(!json_content_type(&HeaderMap::new()));
    }
}
