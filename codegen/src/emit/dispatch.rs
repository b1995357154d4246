//! The `operations` module: the operation list, the dispatch trait with a "not implemented"
//! default per operation, the router from `X-Amz-Target` to the trait, and the catalog.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::{From, doc_attrs, ident, typed_type};
use crate::ir::{Operation, Service};

pub fn module(service: &Service) -> TokenStream {
    let trait_name = format_ident!("{}", service.trait_name);
    let operation_enum = operation_enum(service);
    let description = description(service);
    let methods = service.operations.iter().map(|op| method(service, op));
    let arms = service.operations.iter().map(|op| route(service, op));
    let trait_doc = format!(
        " The behaviour of {}: one method per operation. Each has a default body answering \
         \"not implemented\", so an implementation provides only the operations it lists in \
         `IMPLEMENTED`.",
        service.target_prefix
    );
    quote! {
        /// The operations, the dispatch trait and the router.
        pub mod operations {
            #operation_enum
            #description

            #[doc = #trait_doc]
            pub trait #trait_name: ::std::marker::Send + ::std::marker::Sync {
                /// The operations this implementation provides (overrides).
                const IMPLEMENTED: &'static [Operation];

                #(#methods)*
            }

            /// Whether `S` provides each operation, in name order: the operation catalog.
            pub fn catalog<S: #trait_name>() -> ::std::vec::Vec<::berth_runtime::protocol::OperationStatus> {
                Operation::ALL
                    .iter()
                    .map(|operation| ::berth_runtime::protocol::OperationStatus {
                        name: operation.name(),
                        implemented: S::IMPLEMENTED.contains(operation),
                    })
                    .collect()
            }

            /// Handles one request: finds the operation named by the target, reads and
            /// validates its input, calls `service`, and serializes the output or the error.
            pub async fn handle<S: #trait_name>(
                service: &S,
                ctx: &::berth_runtime::RequestContext,
                request: ::berth_runtime::protocol::Request<'_>,
            ) -> ::berth_runtime::protocol::Response {
                let operation = match ::berth_runtime::protocol::operation_name(&SERVICE, &request) {
                    ::std::result::Result::Ok(name) => Operation::from_name(name),
                    ::std::result::Result::Err(response) => return response.finish(ctx),
                };
                let response = match operation {
                    #(#arms)*
                    ::std::option::Option::None => ::berth_runtime::protocol::unknown_operation(&SERVICE, &request),
                };
                response.finish(ctx)
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
    let validation_message = &service.validation.message;
    let version = &service.version;
    quote! {
        /// What the protocol layer needs to know about the service.
        pub const SERVICE: ::berth_runtime::protocol::ServiceDescription = ::berth_runtime::protocol::ServiceDescription {
            target_prefix: #prefix,
            version: #version,
            content_type: #content_type,
            validation_error: #validation_type,
            validation_message: #validation_message,
        };
    }
}

fn io_types(service: &Service, op: &Operation) -> (Option<TokenStream>, TokenStream) {
    let input = op
        .input
        .as_ref()
        .map(|id| typed_type(service, id, From::Other));
    let output = op
        .output
        .as_ref()
        .map_or(quote!(()), |id| typed_type(service, id, From::Other));
    (input, output)
}

fn method(service: &Service, op: &Operation) -> TokenStream {
    let method = ident(&op.method);
    let error = format_ident!("{}", op.error_enum);
    let name = &op.name;
    let variant = ident(&op.name);
    let docs = doc_attrs(&op.docs);
    let (input, output) = io_types(service, op);
    let (input_param, unused) = match &input {
        Some(ty) => (quote!(, input: #ty), quote!(let _ = (ctx, input);)),
        None => (TokenStream::new(), quote!(let _ = ctx;)),
    };
    quote! {
        #docs
        fn #method(
            &self,
            ctx: &::berth_runtime::RequestContext
            #input_param
        ) -> impl ::std::future::Future<Output = ::std::result::Result<#output, super::errors::#error>> + ::std::marker::Send {
            #unused
            async {
                ::std::result::Result::Err(
                    ::berth_runtime::error::CommonError::not_implemented(#name, Self::IMPLEMENTED.contains(&Operation::#variant)).into(),
                )
            }
        }
    }
}

fn route(service: &Service, op: &Operation) -> TokenStream {
    let variant = ident(&op.name);
    let method = ident(&op.method);
    let (validator, param, call) = match &op.input {
        Some(id) => {
            let wire = ident(&service.shapes[id].rust_name);
            (
                quote!(super::wire::#wire::validate),
                quote!(input),
                quote!(service.#method(ctx, input)),
            )
        }
        None => (
            quote!(::berth_runtime::protocol::no_input),
            quote!(()),
            quote!(service.#method(ctx)),
        ),
    };
    let call = match &op.output {
        Some(_) => call,
        None => quote!(async move { #call.await.map(|()| ::berth_runtime::protocol::EmptyOutput) }),
    };
    quote! {
        ::std::option::Option::Some(Operation::#variant) => {
            ::berth_runtime::protocol::invoke(&SERVICE, &request, #validator, |#param| #call).await
        }
    }
}
