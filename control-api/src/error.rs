//! One error body everywhere: `{"detail", "error_code", "status_code"}` (and,
//! for validation errors, `errors`: every problem with its path and hint).

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use sdg_engine::Issues;
use serde::Serialize;
use utoipa::ToSchema;

/// The body of every error response.
#[derive(Debug, Clone, Serialize, serde::Deserialize, ToSchema)]
pub struct ErrorBody {
    /// What went wrong, and how to fix it.
    pub detail: String,
    /// VALIDATION_ERROR, UNAUTHORIZED, NOT_FOUND, METHOD_NOT_ALLOWED, CONFLICT,
    /// PAYLOAD_TOO_LARGE, UNSUPPORTED_MEDIA_TYPE, DESTINATION_REJECTED (422),
    /// RATE_LIMITED, NOT_IMPLEMENTED, DESTINATION_ERROR (502), INTERNAL_ERROR;
    /// ROW_LIMIT_EXCEEDED (422), CONTRACT_CHANGED (409).
    pub error_code: String,
    /// The HTTP status, repeated.
    pub status_code: u16,
    /// Every problem of a rejected definition (validation errors only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<IssueBody>,
    /// The generator's status, for a refused lifecycle transition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_status: Option<String>,
    /// The contract hash the request expected (a refused strict contract, 409).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_contract_hash: Option<String>,
    /// The contract hash inferred now (a refused strict contract, 409).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actual_contract_hash: Option<String>,
    /// The id of the request (also the `X-Request-Id` header): quote it when reporting a problem.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// One problem of a definition.
#[derive(Debug, Clone, Serialize, serde::Deserialize, ToSchema)]
pub struct IssueBody {
    /// Where: `fields[2].params.max`, `destination.config.topic`; empty for the whole document.
    pub path: String,
    /// What is wrong.
    pub message: String,
    /// How to fix it, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

/// An error answer.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    /// Boxed: an error travels through many `Result`s, and stays small there.
    pub body: Box<ErrorBody>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, detail: impl Into<String>) -> Self {
        Self {
            status,
            body: Box::new(ErrorBody {
                detail: detail.into(),
                error_code: code.into(),
                status_code: status.as_u16(),
                errors: Vec::new(),
                current_status: None,
                expected_contract_hash: None,
                actual_contract_hash: None,
                request_id: None,
            }),
        }
    }

    pub fn validation(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "VALIDATION_ERROR", detail)
    }

    /// A definition's problems, each with its path.
    pub fn issues(issues: &Issues) -> Self {
        Self::issues_of("generator", issues)
    }

    /// The problems of a `what` (generator, universe), each with its path.
    pub fn issues_of(what: &str, issues: &Issues) -> Self {
        let n = issues.len();
        let first = issues.iter().next().map(ToString::to_string).unwrap_or_default();
        let mut e = Self::validation(if n == 1 {
            format!("the {what} is not valid: {first}")
        } else {
            format!("the {what} is not valid: {n} problems, the first: {first}")
        });
        e.body.errors = issues
            .iter()
            .map(|i| IssueBody { path: i.path.clone(), message: i.message.clone(), hint: i.hint.clone() })
            .collect();
        e
    }

    /// A 400 for one problem at `path` of the body (also listed in `errors`).
    pub fn at(path: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        let mut e = Self::validation(format!("{path}: {message}"));
        e.body.errors = vec![IssueBody { path: path.into(), message, hint: None }];
        e
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "NOT_FOUND", what)
    }

    pub fn conflict(detail: impl Into<String>, current: &str) -> Self {
        let mut e = Self::new(StatusCode::CONFLICT, "CONFLICT", detail);
        e.body.current_status = Some(current.to_string());
        e
    }

    pub fn internal(detail: impl Into<String>) -> Self {
        let detail = detail.into();
        tracing::error!(%detail, "internal error");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL_ERROR", detail)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body)).into_response()
    }
}

/// The error code of a status this service answers with.
pub fn code_of(status: StatusCode) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST => "VALIDATION_ERROR",
        StatusCode::UNAUTHORIZED => "UNAUTHORIZED",
        StatusCode::NOT_FOUND => "NOT_FOUND",
        StatusCode::METHOD_NOT_ALLOWED => "METHOD_NOT_ALLOWED",
        StatusCode::CONFLICT => "CONFLICT",
        StatusCode::PAYLOAD_TOO_LARGE => "PAYLOAD_TOO_LARGE",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "UNSUPPORTED_MEDIA_TYPE",
        StatusCode::UNPROCESSABLE_ENTITY => "VALIDATION_ERROR",
        StatusCode::TOO_MANY_REQUESTS => "RATE_LIMITED",
        _ => "INTERNAL_ERROR",
    }
}
