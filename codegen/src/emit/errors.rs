//! The `errors` module: a struct per `@error` shape, and per operation an enum holding
//! exactly the errors the model declares for it, plus the runtime's common errors.

use proc_macro2::TokenStream;
use quote::quote;

use super::{From, ident, shape};
use crate::ir::{Member, Operation, Primitive, Service, Shape, ShapeKind};

pub fn module(service: &Service) -> TokenStream {
    let structs = service
        .shapes
        .values()
        .filter(|s| s.error.is_some())
        .map(|s| error_struct(service, s));
    let enums = service
        .operations
        .iter()
        .map(|op| operation_enum(service, op));
    quote! {
        /// Every error the model declares, and one error enum per operation.
        pub mod errors {
            #(#structs)*
            #(#enums)*
        }
    }
}

fn error_struct(service: &Service, shape: &Shape) -> TokenStream {
    let ShapeKind::Structure { members } = &shape.kind else {
        return TokenStream::new();
    };
    let name = ident(&shape.rust_name);
    let type_name = &shape.rust_name;
    let status = shape.error.map_or(400, |e| e.status);
    let definition = super::types::structure(service, shape, members, From::Other);
    let message = message_member(service, members);
    let message_accessor = match message {
        Some(member) => {
            let field = ident(&member.field);
            match member.presence {
                crate::ir::Presence::Optional => quote!(self.#field.as_deref()),
                _ => quote!(::std::option::Option::Some(self.#field.as_str())),
            }
        }
        None => quote!(::std::option::Option::None),
    };
    let others_optional = |message: &Member| {
        members
            .iter()
            .all(|m| std::ptr::eq(m, message) || m.presence == crate::ir::Presence::Optional)
    };
    let constructor = message.filter(|m| others_optional(m)).map(|member| {
        let field = ident(&member.field);
        let value = match member.presence {
            crate::ir::Presence::Optional => quote!(::std::option::Option::Some(message.into())),
            _ => quote!(message.into()),
        };
        let rest = (members.len() > 1).then(|| quote!(..::std::default::Default::default()));
        quote! {
            impl #name {
                /// The error with this message and no other member set.
                pub fn new(message: impl ::std::convert::Into<::std::string::String>) -> #name {
                    #name {
                        #field: #value,
                        #rest
                    }
                }
            }
        }
    });
    quote! {
        #definition
        #constructor

        impl ::berth_runtime::error::ErrorResponse for #name {
            fn type_name(&self) -> &'static str {
                #type_name
            }

            fn status(&self) -> u16 {
                #status
            }

            fn message(&self) -> ::std::option::Option<&str> {
                #message_accessor
            }

            fn body(&self) -> ::std::vec::Vec<u8> {
                ::berth_runtime::error::body(#type_name, self)
            }
        }

        impl ::std::fmt::Display for #name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                ::berth_runtime::error::display(self, f)
            }
        }

        impl ::std::error::Error for #name {}
    }
}

/// The member holding the human-readable message (`message` or `Message`), if any.
fn message_member<'a>(service: &Service, members: &'a [Member]) -> Option<&'a Member> {
    members.iter().find(|m| {
        m.name.eq_ignore_ascii_case("message")
            && matches!(
                shape(service, &m.target).kind,
                ShapeKind::Simple(Primitive::String)
            )
    })
}

fn operation_enum(service: &Service, op: &Operation) -> TokenStream {
    let name = ident(&op.error_enum);
    let variants: Vec<_> = op
        .errors
        .iter()
        .map(|id| ident(&shape(service, id).rust_name))
        .collect();
    let docs = format!(" Every error `{}` can return.", op.name);
    quote! {
        #[doc = #docs]
        #[derive(Debug, Clone, PartialEq)]
        pub enum #name {
            #(#variants(#variants),)*
            /// An error any operation can meet (access denied, not implemented, internal).
            Common(::berth_runtime::error::CommonError),
        }

        impl #name {
            /// The error as the protocol layer sends it.
            pub fn as_response(&self) -> &dyn ::berth_runtime::error::ErrorResponse {
                match self {
                    #(#name::#variants(error) => error,)*
                    #name::Common(error) => error,
                }
            }
        }

        #(
            impl ::std::convert::From<#variants> for #name {
                fn from(error: #variants) -> #name {
                    #name::#variants(error)
                }
            }
        )*

        impl ::std::convert::From<::berth_runtime::error::CommonError> for #name {
            fn from(error: ::berth_runtime::error::CommonError) -> #name {
                #name::Common(error)
            }
        }

        impl ::berth_runtime::error::ErrorResponse for #name {
            fn type_name(&self) -> &'static str {
                self.as_response().type_name()
            }

            fn status(&self) -> u16 {
                self.as_response().status()
            }

            fn message(&self) -> ::std::option::Option<&str> {
                self.as_response().message()
            }

            fn body(&self) -> ::std::vec::Vec<u8> {
                self.as_response().body()
            }
        }

        impl ::std::fmt::Display for #name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                ::berth_runtime::error::display(self, f)
            }
        }

        impl ::std::error::Error for #name {}
    }
}
