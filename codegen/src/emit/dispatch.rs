//! The `operations` module: the operation list, the service type with its builder (one
//! handler setter per operation; what is implemented is exactly what was registered), the
//! router from `X-Amz-Target` to the handlers, and the catalog.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::{From, doc_attrs, ident, typed_type};
use crate::ir::{Operation, Service};

/// Methods of the service and its builder; an operation method of the same name would
/// shadow one of them.
const SERVICE_METHODS: &[&str] = &[
    "builder",
    "build",
    "build_partial",
    "state",
    "is_implemented",
    "implemented",
    "catalog",
    "handle",
];

/// The name of the builder of the service type `service_type`.
pub fn builder_name(service_type: &str) -> String {
    format!("{service_type}Builder")
}

/// The name of the private handler table type.
pub const HANDLERS: &str = "Handlers";

/// Fails when an operation's method name is taken by the service or its builder.
pub fn check(service: &Service) -> Result<(), String> {
    match service
        .operations
        .iter()
        .find(|op| SERVICE_METHODS.contains(&op.method.as_str()))
    {
        Some(op) => Err(format!(
            "operation {} would be the method `{}`, which the generated {} already has",
            op.name, op.method, service.type_name
        )),
        None => Ok(()),
    }
}

pub fn module(service: &Service) -> TokenStream {
    let service_type = format_ident!("{}", service.type_name);
    let builder_type = format_ident!("{}", builder_name(&service.type_name));
    let handlers_type = format_ident!("{}", HANDLERS);
    let service_name = &service.type_name;
    let operation_enum = operation_enum(service);
    let description = description(service);
    let fields: Vec<_> = service
        .operations
        .iter()
        .map(|op| ident(&op.method))
        .collect();
    let variants: Vec<_> = service
        .operations
        .iter()
        .map(|op| ident(&op.name))
        .collect();
    let slots = service.operations.iter().map(|op| slot(service, op));
    let setters = service.operations.iter().map(|op| setter(service, op));
    let calls = service.operations.iter().map(|op| call(service, op));
    let arms = service.operations.iter().map(|op| route(service, op));
    let service_doc = format!(
        " The {} service: a state `S` and one handler per operation that has one. Built with \
         [`{service_name}::builder`]; an operation without a handler answers \
         `NotImplementedException` naming it.",
        service.target_prefix
    );
    let builder_doc = format!(
        " Registers the handler of each operation (one setter per operation) and builds the \
         [`{service_name}`]."
    );
    quote! {
        /// The operations, the service with its builder, and the router.
        pub mod operations {
            #operation_enum
            #description

            /// The registered handlers; `None` for an operation without one.
            struct #handlers_type<S> {
                #(#slots)*
            }

            impl<S> #handlers_type<S> {
                fn none() -> #handlers_type<S> {
                    #handlers_type {
                        #(#fields: ::std::option::Option::None,)*
                    }
                }

                fn is_registered(&self, operation: Operation) -> bool {
                    match operation {
                        #(Operation::#variants => self.#fields.is_some(),)*
                    }
                }
            }

            #[doc = #service_doc]
            pub struct #service_type<S> {
                state: S,
                handlers: #handlers_type<S>,
            }

            #[doc = #builder_doc]
            #[must_use = "a builder does nothing until it is built"]
            pub struct #builder_type<S> {
                state: S,
                handlers: #handlers_type<S>,
            }

            impl<S: ::std::marker::Send + ::std::marker::Sync + 'static> #builder_type<S> {
                #(#setters)*

                /// The service, when every operation has a handler; otherwise the missing ones.
                pub fn build(self) -> ::std::result::Result<#service_type<S>, ::berth_runtime::service::MissingOperations> {
                    let missing: ::std::vec::Vec<&'static str> = Operation::ALL
                        .into_iter()
                        .filter(|operation| !self.handlers.is_registered(*operation))
                        .map(Operation::name)
                        .collect();
                    if missing.is_empty() {
                        ::std::result::Result::Ok(self.build_partial())
                    } else {
                        ::std::result::Result::Err(::berth_runtime::service::MissingOperations {
                            service: #service_name,
                            operations: missing,
                        })
                    }
                }

                /// The service with the handlers registered so far; the other operations
                /// answer `NotImplementedException`.
                pub fn build_partial(self) -> #service_type<S> {
                    #service_type {
                        state: self.state,
                        handlers: self.handlers,
                    }
                }
            }

            impl<S: ::std::marker::Send + ::std::marker::Sync + 'static> #service_type<S> {
                /// A builder of the service over `state`, which every handler receives.
                pub fn builder(state: S) -> #builder_type<S> {
                    #builder_type {
                        state,
                        handlers: #handlers_type::none(),
                    }
                }

                /// The state the handlers receive.
                pub fn state(&self) -> &S {
                    &self.state
                }

                /// Whether `operation` has a handler.
                pub fn is_implemented(&self, operation: Operation) -> bool {
                    self.handlers.is_registered(operation)
                }

                /// The operations with a handler, in name order.
                pub fn implemented(&self) -> impl ::std::iter::Iterator<Item = Operation> + '_ {
                    Operation::ALL
                        .into_iter()
                        .filter(|operation| self.is_implemented(*operation))
                }

                /// Every operation and whether it has a handler, in name order.
                pub fn catalog(&self) -> ::std::vec::Vec<::berth_runtime::protocol::OperationStatus> {
                    Operation::ALL
                        .into_iter()
                        .map(|operation| ::berth_runtime::protocol::OperationStatus {
                            name: operation.name(),
                            implemented: self.is_implemented(operation),
                        })
                        .collect()
                }

                #(#calls)*

                /// Handles one request: finds the operation named by the target (and names it
                /// in `ctx`), reads and validates its input, calls its handler, and serializes
                /// the output or the error.
                pub async fn handle(
                    &self,
                    ctx: &mut ::berth_runtime::RequestContext,
                    request: ::berth_runtime::protocol::Request<'_>,
                ) -> ::berth_runtime::protocol::Response {
                    let operation = match ::berth_runtime::protocol::operation_name(&SERVICE, &request) {
                        ::std::result::Result::Ok(name) => Operation::from_name(name),
                        ::std::result::Result::Err(response) => return response.finish(ctx),
                    };
                    if let ::std::option::Option::Some(operation) = operation {
                        ctx.operation = operation.name();
                    }
                    let ctx = &*ctx;
                    let response = match operation {
                        #(#arms)*
                        ::std::option::Option::None => ::berth_runtime::protocol::unknown_operation(&SERVICE, &request),
                    };
                    response.finish(ctx)
                }
            }

            impl<S> ::std::fmt::Debug for #service_type<S> {
                fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                    let implemented: ::std::vec::Vec<&'static str> = Operation::ALL
                        .into_iter()
                        .filter(|operation| self.handlers.is_registered(*operation))
                        .map(Operation::name)
                        .collect();
                    f.debug_struct(#service_name)
                        .field("implemented", &implemented)
                        .finish_non_exhaustive()
                }
            }
        }
    }
}

fn operation_enum(service: &Service) -> TokenStream {
    let count = proc_macro2::Literal::usize_unsuffixed(service.operations.len());
    let variants: Vec<_> = service
        .operations
        .iter()
        .map(|op| ident(&op.name))
        .collect();
    let names: Vec<_> = service
        .operations
        .iter()
        .map(|op| op.name.as_str())
        .collect();
    quote! {
        /// The service's operations.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Operation {
            #(#variants,)*
        }

        impl Operation {
            /// Every operation, in name order.
            pub const ALL: [Operation; #count] = [#(Operation::#variants),*];

            /// The operation's name, as in `X-Amz-Target`.
            pub fn name(self) -> &'static str {
                match self {
                    #(Operation::#variants => #names,)*
                }
            }

            /// The operation with this name.
            pub fn from_name(name: &str) -> ::std::option::Option<Operation> {
                match name {
                    #(#names => ::std::option::Option::Some(Operation::#variants),)*
                    _ => ::std::option::Option::None,
                }
            }
        }
    }
}

fn description(service: &Service) -> TokenStream {
    let prefix = &service.target_prefix;
    let content_type = service.protocol.content_type();
    let validation_type = &service.validation.type_name;
    let version = &service.version;
    quote! {
        /// What the protocol layer needs to know about the service.
        pub const SERVICE: ::berth_runtime::protocol::ServiceDescription = ::berth_runtime::protocol::ServiceDescription {
            target_prefix: #prefix,
            version: #version,
            content_type: #content_type,
            validation_error: #validation_type,
            violation_message: super::wire::violation_message,
        };
    }
}

/// The handler's input type (`()` for an operation without input) and its result type.
fn io_types(service: &Service, op: &Operation) -> (TokenStream, TokenStream) {
    let input = op
        .input
        .as_ref()
        .map_or(quote!(()), |id| typed_type(service, id, From::Other));
    let output = output_type(service, op);
    let error = format_ident!("{}", op.error_enum);
    (
        input,
        quote!(::std::result::Result<#output, super::errors::#error>),
    )
}

/// The operation's output type; `()` for an operation without output.
fn output_type(service: &Service, op: &Operation) -> TokenStream {
    op.output
        .as_ref()
        .map_or(quote!(()), |id| typed_type(service, id, From::Other))
}

/// What the handler table keeps for the operation: its result, the output as
/// `Rendered` (a value, or JSON the handler wrote itself) when there is one.
fn stored_result(service: &Service, op: &Operation) -> TokenStream {
    let output = output_type(service, op);
    let error = format_ident!("{}", op.error_enum);
    match op.output {
        Some(_) => quote!(
            ::std::result::Result<::berth_runtime::json::Rendered<#output>, super::errors::#error>
        ),
        None => quote!(::std::result::Result<(), super::errors::#error>),
    }
}

/// The operation's field in the handler table.
fn slot(service: &Service, op: &Operation) -> TokenStream {
    let field = ident(&op.method);
    let (input, _) = io_types(service, op);
    let result = stored_result(service, op);
    quote! {
        #field: ::std::option::Option<::berth_runtime::service::BoxedHandler<S, #input, #result>>,
    }
}

/// The builder's setter registering the operation's handler. A handler of an operation
/// with output may answer the output value or a `Rendered` (its JSON written already).
fn setter(service: &Service, op: &Operation) -> TokenStream {
    let method = ident(&op.method);
    let (input, result) = io_types(service, op);
    let doc = format!(
        " Registers the handler of `{}`: an `async fn(&S, &RequestContext, {}) -> {}`.",
        op.name,
        if op.input.is_some() { "Input" } else { "()" },
        if op.output.is_some() {
            "Result<Output, Error>` (or `Result<Rendered<Output>, Error>"
        } else {
            "Result<(), Error>"
        }
    );
    if op.output.is_none() {
        return quote! {
            #[doc = #doc]
            pub fn #method<F>(mut self, handler: F) -> Self
            where
                F: for<'a> ::berth_runtime::service::Handler<'a, S, #input, #result>,
            {
                self.handlers.#method = ::std::option::Option::Some(::berth_runtime::service::boxed(handler));
                self
            }
        };
    }
    let output = output_type(service, op);
    let error = format_ident!("{}", op.error_enum);
    quote! {
        #[doc = #doc]
        pub fn #method<F, R>(mut self, handler: F) -> Self
        where
            F: for<'a> ::berth_runtime::service::Handler<'a, S, #input, ::std::result::Result<R, super::errors::#error>>,
            R: ::std::convert::Into<::berth_runtime::json::Rendered<#output>> + ::std::marker::Send,
        {
            self.handlers.#method = ::std::option::Option::Some(::berth_runtime::service::boxed_rendered(handler));
            self
        }
    }
}

/// The service's typed call of the operation: its handler, or `NotImplementedException`.
/// For an operation with output, also the call answering its `Rendered` output (what the
/// router serves, without reading back JSON a handler wrote).
fn call(service: &Service, op: &Operation) -> TokenStream {
    let method = ident(&op.method);
    let name = &op.name;
    let docs = doc_attrs(&op.docs);
    let (input, result) = io_types(service, op);
    let stored = stored_result(service, op);
    let handled = quote! {
        let ctx = ctx.for_operation(#name);
        match &self.handlers.#method {
            ::std::option::Option::Some(handler) => handler(&self.state, &ctx, input).await,
            ::std::option::Option::None => ::std::result::Result::Err(
                ::berth_runtime::error::CommonError::not_implemented(#name).into(),
            ),
        }
    };
    if op.output.is_none() {
        return quote! {
            #docs
            pub async fn #method(&self, ctx: &::berth_runtime::RequestContext, input: #input) -> #result {
                #handled
            }
        };
    }
    let rendered_method = format_ident!("{}_rendered", op.method);
    let rendered_doc = format!(" `{}`, its output as the handler answered it.", op.method);
    let unreadable = format!("{name} wrote output JSON that does not read back: {{}}");
    quote! {
        #docs
        pub async fn #method(&self, ctx: &::berth_runtime::RequestContext, input: #input) -> #result {
            self.#rendered_method(ctx, input).await?.into_value().map_err(|e| {
                ::berth_runtime::error::CommonError::internal(::std::format!(#unreadable, e)).into()
            })
        }
        #[doc = #rendered_doc]
        pub async fn #rendered_method(&self, ctx: &::berth_runtime::RequestContext, input: #input) -> #stored {
            #handled
        }
    }
}

fn route(service: &Service, op: &Operation) -> TokenStream {
    let variant = ident(&op.name);
    let method = ident(&op.method);
    let validator = match &op.input {
        Some(id) => {
            let wire = ident(&service.shapes[id].rust_name);
            quote!(super::wire::#wire::validate)
        }
        None => quote!(::berth_runtime::protocol::no_input),
    };
    let call = match &op.output {
        Some(_) => {
            let rendered_method = format_ident!("{}_rendered", op.method);
            quote!(self.#rendered_method(ctx, input))
        }
        None => quote!(async move {
            self.#method(ctx, input)
                .await
                .map(|()| ::berth_runtime::json::Rendered::Value(::berth_runtime::protocol::EmptyOutput))
        }),
    };
    quote! {
        ::std::option::Option::Some(Operation::#variant) => {
            ::berth_runtime::protocol::invoke(&SERVICE, &request, #validator, |input| #call).await
        }
    }
}
