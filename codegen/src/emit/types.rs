//! The `types` module: one struct per structure, one enum per enum or union, and one
//! validated newtype per constrained string shape reachable from an input.

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
            _ => match shape.newtype() {
                Some(value) => newtype(shape, value),
                None => TokenStream::new(),
            },
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
            Presence::Default(_)
                if default_is_zero(member) && newtype_of(service, member).is_none() =>
            {
                serde.push(quote!(default))
            }
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
        let mut ty = super::value_type(service, member, From::Types);
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
        // A newtype has no `Default`: an empty string may not be valid.
        _ if newtype_of(service, member).is_some() => false,
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

/// The shape whose validated newtype holds `member`'s value: its target's, when the target
/// has one and the member checks exactly the target's constraints (a member that overrides
/// them holds a plain string, checked by its own rule).
pub(crate) fn newtype_of<'a>(service: &'a Service, member: &Member) -> Option<&'a Shape> {
    let target = shape(service, &member.target);
    let value = target.newtype()?;
    (value.constraints == member.constraints).then_some(target)
}

/// A string that satisfies its shape's constraints, in the manner of smithy-rs's
/// constrained types: built only by the wire validators (after their check) or by
/// `TryFrom`/`FromStr`, which run that same check.
fn newtype(shape: &Shape, value: &Member) -> TokenStream {
    let name = ident(&shape.rust_name);
    let mut docs = shape.docs.clone();
    if !docs.is_empty() {
        docs.push(String::new());
    }
    docs.push(format!(
        "Validated: holds only strings that satisfy `{}`'s constraints.",
        shape.id
    ));
    let docs = doc_attrs(&docs);
    let check = super::validate::check_fn_ident(value);
    quote! {
        #docs
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, ::serde::Deserialize)]
        #[serde(try_from = "::std::string::String")]
        pub struct #name(::std::string::String);

        impl ::serde::Serialize for #name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl #name {
            /// Wraps a value the wire validators have already checked.
            pub(super) fn from_validated(value: ::std::string::String) -> #name {
                #name(value)
            }

            /// Checks `value` against the shape's constraints: the reasons it breaks, if any.
            pub fn check(value: &str) -> ::std::result::Result<(), ::berth_runtime::validation::InvalidValue> {
                let mut violations = ::berth_runtime::validation::Violations::default();
                if super::wire::#check(value, &::berth_runtime::validation::Path::Root, &mut violations) {
                    ::std::result::Result::Ok(())
                } else {
                    ::std::result::Result::Err(violations.into())
                }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_inner(self) -> ::std::string::String {
                self.0
            }
        }

        impl ::std::convert::TryFrom<::std::string::String> for #name {
            type Error = ::berth_runtime::validation::InvalidValue;

            fn try_from(value: ::std::string::String) -> ::std::result::Result<#name, Self::Error> {
                #name::check(&value)?;
                ::std::result::Result::Ok(#name(value))
            }
        }

        impl ::std::convert::TryFrom<&str> for #name {
            type Error = ::berth_runtime::validation::InvalidValue;

            fn try_from(value: &str) -> ::std::result::Result<#name, Self::Error> {
                #name::check(value)?;
                ::std::result::Result::Ok(#name(::std::string::String::from(value)))
            }
        }

        impl ::std::str::FromStr for #name {
            type Err = ::berth_runtime::validation::InvalidValue;

            fn from_str(value: &str) -> ::std::result::Result<#name, Self::Err> {
                #name::try_from(value)
            }
        }

        impl ::std::convert::From<#name> for ::std::string::String {
            fn from(value: #name) -> ::std::string::String {
                value.0
            }
        }

        impl ::std::ops::Deref for #name {
            type Target = str;

            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl ::std::convert::AsRef<str> for #name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl ::std::borrow::Borrow<str> for #name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl ::std::fmt::Display for #name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl ::std::cmp::PartialEq<str> for #name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl ::std::cmp::PartialEq<&str> for #name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::Settings;

    /// An operation whose input uses `Name` plainly (`name`, and as list items) and with a
    /// constraint of its own (`short`); its output returns `Name` and `Label`, a constrained
    /// string no input reaches.
    fn service() -> Service {
        let model = r#"{"smithy": "2.0", "shapes": {
            "t#Svc": { "type": "service", "operations": [{ "target": "t#Op" }], "traits": { "aws.protocols#awsJson1_1": {} } },
            "t#Op": { "type": "operation", "input": { "target": "t#Input" }, "output": { "target": "t#Output" } },
            "t#Name": { "type": "string", "traits": { "smithy.api#length": { "min": 2, "max": 8 }, "smithy.api#pattern": "^[a-z]+$" } },
            "t#Label": { "type": "string", "traits": { "smithy.api#length": { "max": 4 } } },
            "t#Plain": { "type": "string" },
            "t#Names": { "type": "list", "member": { "target": "t#Name" } },
            "t#Input": { "type": "structure", "members": {
                "name": { "target": "t#Name", "traits": { "smithy.api#required": {} } },
                "short": { "target": "t#Name", "traits": { "smithy.api#length": { "max": 3 } } },
                "names": { "target": "t#Names" },
                "plain": { "target": "t#Plain" }
            } },
            "t#Output": { "type": "structure", "members": {
                "name": { "target": "t#Name" },
                "label": { "target": "t#Label" }
            } }
        }}"#;
        crate::resolve::resolve(&crate::model::parse(model).unwrap(), &Settings::default()).unwrap()
    }

    fn member<'a>(service: &'a Service, shape: &str, name: &str) -> &'a Member {
        match &service.shapes[shape].kind {
            ShapeKind::Structure { members } => members.iter().find(|m| m.name == name).unwrap(),
            ShapeKind::List { item } => item,
            _ => panic!("{shape} has no members"),
        }
    }

    #[test]
    fn newtypes_are_for_constrained_strings_that_inputs_reach() {
        let service = service();
        assert!(service.shapes["t#Name"].newtype().is_some());
        // Constrained but output only (no check is generated for it), or unconstrained.
        assert!(service.shapes["t#Label"].newtype().is_none());
        assert!(service.shapes["t#Plain"].newtype().is_none());
    }

    #[test]
    fn members_hold_the_newtype_only_when_they_check_exactly_its_constraints() {
        let service = service();
        let holds_newtype = |shape: &str, name: &str| {
            newtype_of(&service, member(&service, shape, name)).map(|s| s.rust_name.as_str())
        };
        assert_eq!(holds_newtype("t#Input", "name"), Some("Name"));
        assert_eq!(holds_newtype("t#Names", "member"), Some("Name"));
        assert_eq!(holds_newtype("t#Output", "name"), Some("Name"));
        assert_eq!(holds_newtype("t#Input", "short"), None);
        assert_eq!(holds_newtype("t#Input", "plain"), None);
        assert_eq!(holds_newtype("t#Output", "label"), None);
    }
}
