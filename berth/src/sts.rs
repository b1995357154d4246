//! STS `GetCallerIdentity` on the API endpoint: Terraform's AWS provider and many scripts ask
//! it for the account id before they touch ECR. STS speaks awsQuery: a form-encoded `POST /`
//! (`Action=GetCallerIdentity&Version=2011-06-15`) signed for service `sts`, answered in
//! XML. Berth answers that one action, for the caller's account as ECR sees it (the account
//! DescribeRegistry names); any other action, STS's or IAM's, gets an awsQuery
//! `InvalidAction` error, never an empty body.

use axum::body::Body;
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::Response;

use crate::access;
use crate::api::TARGET_HEADER;
use crate::app::AppState;
use crate::sigv4::AuthError;

/// The service STS requests are signed for.
pub const SERVICE: &str = "sts";

/// The one STS API version, which its answers name as their XML namespace.
const VERSION: &str = "2011-06-15";
const NAMESPACE: &str = "https://sts.amazonaws.com/doc/2011-06-15/";
const FORM_CONTENT_TYPE: &str = "application/x-www-form-urlencoded";
const XML_CONTENT_TYPE: &str = "text/xml";
const GET_CALLER_IDENTITY: &str = "GetCallerIdentity";

/// [choice] Who Berth's caller is: Berth has no IAM users or roles, and an account's
/// credentials stand for the account itself, so the caller is the account root, named as STS
/// names root credentials: `Arn` is [`ecr_impl::caller_arn`] (`arn:aws:iam::<account>:root`,
/// the ARN ECR's AccessDenied messages name) and `UserId` the account id.
fn user_id(account_id: &str) -> &str {
    account_id
}

/// [choice] The message of `InvalidAction` for any action but GetCallerIdentity (STS words
/// it `Could not find operation <Action> for version <Version>`; Berth says why).
pub fn invalid_action_message(action: &str, version: &str) -> String {
    format!(
        "Could not find operation {action} for version {version}: Berth answers only the STS action {GET_CALLER_IDENTITY} (version {VERSION})"
    )
}

/// [choice] The message of `InvalidAction` for a form without an `Action`.
pub const MISSING_ACTION_MESSAGE: &str = "The request names no Action: Berth answers awsQuery requests with Action=GetCallerIdentity only";

/// Whether a `POST /` is an awsQuery request (a form, without ECR's `X-Amz-Target`), not
/// an ECR one.
pub fn is_sts_request(headers: &HeaderMap) -> bool {
    let form = crate::body::content_media_type(headers)
        .is_some_and(|media_type| media_type.eq_ignore_ascii_case(FORM_CONTENT_TYPE));
    form && !headers.contains_key(TARGET_HEADER)
}

/// Answers one awsQuery request.
pub fn handle(
    state: &AppState,
    request_id: &str,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    let scope = match access::caller_of_service(state, method, uri, headers, body, SERVICE) {
        Ok(scope) => scope,
        Err(error) => {
            tracing::info!(status = auth_status(&error).as_u16(), error = %error, request_id, "STS request refused");
            let (code, message) = auth_code(&error);
            return error_response(auth_status(&error), "Sender", code, &message, request_id);
        }
    };
    let form = String::from_utf8_lossy(body);
    let action = form_value(&form, "Action");
    let version = form_value(&form, "Version");
    match (action.as_deref(), version.as_deref()) {
        (Some(GET_CALLER_IDENTITY), Some(VERSION) | None) => {
            let account = scope.account_id.as_str();
            let body = format!(
                "<GetCallerIdentityResponse xmlns=\"{NAMESPACE}\">\n  <GetCallerIdentityResult>\n    <Arn>{arn}</Arn>\n    <UserId>{user_id}</UserId>\n    <Account>{account}</Account>\n  </GetCallerIdentityResult>\n  <ResponseMetadata>\n    <RequestId>{request_id}</RequestId>\n  </ResponseMetadata>\n</GetCallerIdentityResponse>\n",
                arn = escape(&ecr_impl::caller_arn(account)),
                user_id = escape(user_id(account)),
                account = escape(account),
                request_id = escape(request_id),
            );
            xml(StatusCode::OK, body)
        }
        (None, _) => error_response(
            StatusCode::BAD_REQUEST,
            "Sender",
            "InvalidAction",
            MISSING_ACTION_MESSAGE,
            request_id,
        ),
        (Some(action), version) => error_response(
            StatusCode::BAD_REQUEST,
            "Sender",
            "InvalidAction",
            &invalid_action_message(action, version.unwrap_or(VERSION)),
            request_id,
        ),
    }
}

/// STS's code and message for a refused signature (its own codes, not ECR's).
fn auth_code(error: &AuthError) -> (&'static str, String) {
    use berth_runtime::error::ErrorResponse;
    let message = error.message().unwrap_or_default().to_owned();
    let code = match error {
        AuthError::MissingToken => "MissingAuthenticationToken",
        AuthError::IncompleteSignature { .. } => "IncompleteSignature",
        AuthError::UnrecognizedClient => "InvalidClientTokenId",
        AuthError::SignatureMismatch | AuthError::InvalidSignature { .. } => {
            "SignatureDoesNotMatch"
        }
    };
    (code, message)
}

/// STS answers refused credentials with 403, an unreadable signature with 400.
fn auth_status(error: &AuthError) -> StatusCode {
    match error {
        AuthError::IncompleteSignature { .. } => StatusCode::BAD_REQUEST,
        _ => StatusCode::FORBIDDEN,
    }
}

/// An awsQuery error: `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/>`.
fn error_response(
    status: StatusCode,
    kind: &str,
    code: &str,
    message: &str,
    request_id: &str,
) -> Response {
    let body = format!(
        "<ErrorResponse xmlns=\"{NAMESPACE}\">\n  <Error>\n    <Type>{kind}</Type>\n    <Code>{code}</Code>\n    <Message>{message}</Message>\n  </Error>\n  <RequestId>{request_id}</RequestId>\n</ErrorResponse>\n",
        kind = escape(kind),
        code = escape(code),
        message = escape(message),
        request_id = escape(request_id),
    );
    xml(status, body)
}

fn xml(status: StatusCode, body: String) -> Response {
    let length = body.len();
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(XML_CONTENT_TYPE));
    headers.insert(CONTENT_LENGTH, HeaderValue::from(length));
    response
}

/// The value of `name` in a form body (`+` is a space, `%XX` decoded; the last one wins).
fn form_value(form: &str, name: &str) -> Option<String> {
    form.split('&')
        .filter_map(|pair| pair.split_once('=').or(Some((pair, ""))))
        .filter(|(key, _)| decode(key) == name)
        .map(|(_, value)| decode(value))
        .next_back()
}

/// Form decoding: `+` is a space, `%XX` a byte; a malformed escape stays as it is.
fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |at: usize| bytes.get(at).and_then(|b| (*b as char).to_digit(16));
        match bytes[i] {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' if hex(i + 1).is_some() && hex(i + 2).is_some() => {
                let (high, low) = (hex(i + 1).unwrap_or(0), hex(i + 2).unwrap_or(0));
                out.push((high * 16 + low) as u8);
                i += 3;
            }
            byte => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Text as XML character data.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_are_decoded() {
        let form = "Action=GetCallerIdentity&Version=2011-06-15&X=a+b%2Fc&Y";
        assert_eq!(
            form_value(form, "Action").as_deref(),
            Some("GetCallerIdentity")
        );
        assert_eq!(form_value(form, "X").as_deref(), Some("a b/c"));
        assert_eq!(form_value(form, "Y").as_deref(), Some(""));
        assert_eq!(form_value(form, "Z"), None);
        assert_eq!(decode("%zz%4"), "%zz%4");
    }

    #[test]
    fn only_forms_without_a_target_are_sts() {
        let mut headers = HeaderMap::new();
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded; charset=utf-8"),
        );
        assert!(is_sts_request(&headers));
        headers.insert(
            TARGET_HEADER,
            HeaderValue::from_static("AmazonEC2ContainerRegistry_V20150921.ListImages"),
        );
        assert!(!is_sts_request(&headers));
        let mut json = HeaderMap::new();
        json.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/x-amz-json-1.1"),
        );
        assert!(!is_sts_request(&json));
    }

    #[test]
    fn xml_text_is_escaped() {
        assert_eq!(escape("<a&'\">"), "&lt;a&amp;&apos;&quot;&gt;");
    }
}
