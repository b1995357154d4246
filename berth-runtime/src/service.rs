//! What a generated service builder is made of: handlers (plain async functions of the
//! service state, the request context and the validated input), stored type-erased so a
//! service is one concrete type whatever handlers it was built with, and the error of a
//! build that lacks some.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use crate::RequestContext;
use crate::json::Rendered;

/// A handler's future, boxed: the one allocation a call costs beyond the handler's own.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A registered handler for an operation with input `I` and result `R`, as a service keeps it.
pub type BoxedHandler<S, I, R> =
    Box<dyn for<'a> Fn(&'a S, &'a RequestContext, I) -> BoxFuture<'a, R> + Send + Sync>;

/// An async function `(state, context, input) -> result` usable as a handler, for every
/// lifetime of its borrowed arguments. Implemented for every such `async fn`; it exists
/// because `Fn(&S, &RequestContext, I) -> impl Future` cannot be written as a bound.
pub trait Handler<'a, S: 'a, I, R>:
    Fn(&'a S, &'a RequestContext, I) -> Self::Future + Send + Sync + 'static
{
    type Future: Future<Output = R> + Send + 'a;
}

impl<'a, S: 'a, I, R, F, Fut> Handler<'a, S, I, R> for F
where
    F: Fn(&'a S, &'a RequestContext, I) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = R> + Send + 'a,
{
    type Future = Fut;
}

/// `handler`, type-erased for a service's handler table.
pub fn boxed<S, I, R, F>(handler: F) -> BoxedHandler<S, I, R>
where
    F: for<'a> Handler<'a, S, I, R>,
{
    Box::new(move |state, ctx, input| Box::pin(handler(state, ctx, input)))
}

/// `handler`, whose output converts into [`Rendered`] (a plain output value, or the output
/// already written as JSON), type-erased for a service's handler table.
pub fn boxed_rendered<S, I, O, E, R, F>(handler: F) -> BoxedHandler<S, I, Result<Rendered<O>, E>>
where
    F: for<'a> Handler<'a, S, I, Result<R, E>>,
    R: Into<Rendered<O>> + Send,
    E: Send,
    O: Send,
{
    Box::new(move |state, ctx, input| {
        let answer = handler(state, ctx, input);
        Box::pin(async move { answer.await.map(Into::into) })
    })
}

/// What `build()` of a service builder answers when some operations have no handler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingOperations {
    /// The service type's name.
    pub service: &'static str,
    /// The operations without a handler, in name order.
    pub operations: Vec<&'static str>,
}

impl fmt::Display for MissingOperations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} has no handler for {} operation(s): {}",
            self.service,
            self.operations.len(),
            self.operations.join(", ")
        )
    }
}

impl std::error::Error for MissingOperations {}

#[cfg(test)]
mod tests {
    use super::*;

    struct Counter(u32);

    async fn add(counter: &Counter, ctx: &RequestContext, input: u32) -> Result<String, ()> {
        Ok(format!("{} {}", ctx.operation, counter.0 + input))
    }

    fn block_on<F: Future>(future: F) -> F::Output {
        let waker = std::task::Waker::noop();
        let mut context = std::task::Context::from_waker(waker);
        let mut future = std::pin::pin!(future);
        loop {
            if let std::task::Poll::Ready(output) = future.as_mut().poll(&mut context) {
                return output;
            }
        }
    }

    #[test]
    fn a_boxed_async_fn_sees_the_state_the_context_and_the_input() {
        let handler: BoxedHandler<Counter, u32, Result<String, ()>> = boxed(add);
        let ctx = RequestContext {
            account_id: "000000000000".into(),
            region: "local".into(),
            request_id: "r".into(),
            operation: "Add",
            endpoint: String::new(),
        };
        assert_eq!(
            block_on(handler(&Counter(40), &ctx, 2)),
            Ok("Add 42".to_owned())
        );
    }

    async fn rendered(
        counter: &Counter,
        _: &RequestContext,
        input: u32,
    ) -> Result<Rendered<u32>, ()> {
        Ok(Rendered::Json(
            format!("{}", counter.0 + input).into_bytes(),
        ))
    }

    #[test]
    fn handlers_answer_values_or_their_json() {
        let ctx = RequestContext {
            account_id: "000000000000".into(),
            region: "local".into(),
            request_id: "r".into(),
            operation: "Add",
            endpoint: String::new(),
        };
        let plain: BoxedHandler<Counter, u32, Result<Rendered<String>, ()>> = boxed_rendered(add);
        assert_eq!(
            block_on(plain(&Counter(40), &ctx, 2)),
            Ok(Rendered::Value("Add 42".to_owned()))
        );
        let written: BoxedHandler<Counter, u32, Result<Rendered<u32>, ()>> =
            boxed_rendered(rendered);
        assert_eq!(
            block_on(written(&Counter(40), &ctx, 2)),
            Ok(Rendered::Json(b"42".to_vec()))
        );
    }

    #[test]
    fn the_context_names_the_operation_it_is_used_for() {
        let ctx = RequestContext {
            account_id: "000000000000".into(),
            region: "local".into(),
            request_id: "r".into(),
            operation: "",
            endpoint: String::new(),
        };
        let named = ctx.for_operation("Add");
        assert_eq!(named.operation, "Add");
        assert!(matches!(
            named.for_operation("Add"),
            std::borrow::Cow::Borrowed(_)
        ));
        assert_eq!(named.for_operation("Sub").operation, "Sub");
    }

    #[test]
    fn missing_operations_are_listed_by_name() {
        let error = MissingOperations {
            service: "WeatherService",
            operations: vec!["GetCity", "Ping"],
        };
        assert_eq!(
            error.to_string(),
            "WeatherService has no handler for 2 operation(s): GetCity, Ping"
        );
    }
}
