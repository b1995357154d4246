//! The `types` module: one struct per structure, one enum per enum or union.

use std::collections::BTreeSet;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::{
    From, default_expr, default_is_zero, doc_attrs, field_type, ident, rename_attr, shape,
};
use crate::ir::{EnumVariant, Member, Presence, Service, Shape, ShapeKind};
use crate::names;

pub fn module(service: &Service) -> TokenStream {
    let items = service
        .shapes
        .values()
        .filter(|s| s.error.is_none())
        .map(|shape| match &shape.kind {
            ShapeKind::Structure { members } => structure(service, shape, members, From::Types),
            ShapeKind::Union { members } => union(service, shape, members),
            ShapeKind::Enum { variants, .. } => string_enum(shape, variants),
            _ => TokenStream::new(),
        });
    quote! {
        /// The service's data types, as handlers see them: validated, with required members
        /// present and enums typed.
        pub mod types {
            #(#items)*
        }
    }
}

/// A struct for a structure; also used for error structures by the `errors` module.
pub(crate) fn structure(
    service: &Service,
    shape: &Shape,
    members: &[Member],
    from: From,
) -> TokenStream {
    let name = ident(&shape.rust_name);
    let docs = doc_attrs(&shape.docs);
    let mut default_fns = Vec::new();
    let fields = members.iter().map(|member| {
        let field = ident(&member.field);
        let ty = field_type(service, member, from);
        let docs = doc_attrs(&member.docs);
        let mut serde = Vec::new();
        serde.extend(rename_attr(&member.field, &member.name));
        match &member.presence {
            Presence::Optional => serde.push(quote!(
                skip_serializing_if = "::std::option::Option::is_none"
            )),
            Presence::Default(_) if default_is_zero(member) => serde.push(quote!(default)),
            Presence::Default(_) => {
                let fn_name = format!(
                    "default_{}_{}",
                    names::field(&shape.rust_name),
                    member.field.trim_start_matches("r#")
                );
                let fn_ident = format_ident!("{}", fn_name);
                let value = default_expr(service, member, from);
                default_fns.push(quote! {
                    fn #fn_ident() -> #ty {
                        #value
                    }
                });
                serde.push(quote!(default = #fn_name));
            }
            Presence::Required => {}
        }
        let serde = (!serde.is_empty()).then(|| quote!(#[serde(#(#serde),*)]));
        quote! {
            #docs
            #serde
            pub #field: #ty,
        }
    });
    let derive_default =
        can_derive_default(service, &shape.id, &mut BTreeSet::new()).then(|| quote!(Default,));
    quote! {
        #docs
        #[derive(Debug, Clone, PartialEq, #derive_default ::serde::Serialize, ::serde::Deserialize)]
        pub struct #name {
            #(#fields)*
        }
        #(#default_fns)*
    }
}

fn union(service: &Service, shape: &Shape, members: &[Member]) -> TokenStream {
    let name = ident(&shape.rust_name);
    let docs = doc_attrs(&shape.docs);
    let variants = members.iter().map(|member| {
        let variant = ident(&names::type_name(&member.name));
        let wire = &member.name;
        let mut ty = super::typed_type(service, &member.target, From::Types);
        if member.boxed {
            ty = quote!(::std::boxed::Box<#ty>);
        }
        let docs = doc_attrs(&member.docs);
        quote! {
            #docs
            #[serde(rename = #wire)]
            #variant(#ty),
        }
    });
    quote! {
        #docs
        #[derive(Debug, Clone, PartialEq, ::serde::Serialize, ::serde::Deserialize)]
        pub enum #name {
            #(#variants)*
        }
    }
}

fn string_enum(shape: &Shape, variants: &[EnumVariant]) -> TokenStream {
    let name = ident(&shape.rust_name);
    let docs = doc_attrs(&shape.docs);
    let count = proc_macro2::Literal::usize_unsuffixed(variants.len());
    let idents: Vec<_> = variants.iter().map(|v| ident(&v.rust_name)).collect();
    let values: Vec<_> = variants.iter().map(|v| v.value.as_str()).collect();
    let variant_defs = variants.iter().zip(&idents).map(|(variant, id)| {
        let docs = doc_attrs(&variant.docs);
        let value = &variant.value;
        quote! {
            #docs
            #[serde(rename = #value)]
            #id,
        }
    });
    quote! {
        #docs
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, ::serde::Serialize, ::serde::Deserialize)]
        pub enum #name {
            #(#variant_defs)*
        }

        impl #name {
            /// Every value, in model order.
            pub const VALUES: [#name; #count] = [#(#name::#idents),*];

            /// The value as it appears on the wire.
            pub fn as_str(self) -> &'static str {
                match self {
                    #(#name::#idents => #values,)*
                }
            }

            /// The variant for a wire value, if it is one of the model's.
            pub fn from_wire(value: &str) -> ::std::option::Option<#name> {
                match value {
                    #(#values => ::std::option::Option::Some(#name::#idents),)*
                    _ => ::std::option::Option::None,
                }
            }
        }

        impl ::std::fmt::Display for #name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    }
}

/// Whether `#[derive(Default)]` compiles for a struct and means "nothing set".
fn can_derive_default(service: &Service, id: &str, visiting: &mut BTreeSet<String>) -> bool {
    if !visiting.insert(id.to_owned()) {
        return true;
    }
    let ShapeKind::Structure { members } = &shape(service, id).kind else {
        return false;
    };
    members.iter().all(|member| match &member.presence {
        Presence::Optional => true,
        Presence::Default(_) => default_is_zero(member),
        Presence::Required => value_has_default(service, &member.target, visiting),
    })
}

fn value_has_default(service: &Service, id: &str, visiting: &mut BTreeSet<String>) -> bool {
    match &shape(service, id).kind {
        ShapeKind::Simple(_)
        | ShapeKind::IntEnum { .. }
        | ShapeKind::List { .. }
        | ShapeKind::Map { .. } => true,
        ShapeKind::Structure { .. } => can_derive_default(service, id, visiting),
        ShapeKind::Union { .. } | ShapeKind::Enum { .. } => false,
    }
}
