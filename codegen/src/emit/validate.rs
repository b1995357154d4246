//! The `wire` module: request shapes as they arrive (every member optional, enums as
//! strings), and the validators that turn them into `types`, reporting every violation of
//! every constraint in the model's words.

use std::collections::BTreeMap;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::{
    From, default_expr, default_is_zero, doc_attrs, ident, primitive_type, rename_attr, shape,
    typed_type,
};
use crate::ir::{Bounds, DefaultValue, Member, Presence, Primitive, Service, Shape, ShapeKind};
use crate::names;

/// How a constrained value is measured by its check function.
#[derive(Clone, Copy, PartialEq)]
enum CheckKind {
    /// Strings: length in characters, pattern.
    Text,
    /// Lists: a length (items), and whether an item repeats.
    Items,
    /// Maps (entries) and blobs (bytes): a length.
    Count,
    /// Numbers: a range.
    Number(Primitive),
}

pub fn module(service: &Service) -> TokenStream {
    let message = violation_message(service);
    let inputs: Vec<&Shape> = service.shapes.values().filter(|s| s.in_input).collect();
    // One check per place constraints are written (a shape or member id): every member
    // with those constraints shares it.
    let mut checks: BTreeMap<&str, &Member> = BTreeMap::new();
    for shape in &inputs {
        // A newtype's constructors call its shape's check even when no member does.
        for member in shape.kind.members().into_iter().chain(shape.newtype()) {
            if check_kind(service, member).is_some() {
                checks.entry(member.check_id.as_str()).or_insert(member);
            }
        }
    }
    let patterns: BTreeMap<&str, &str> = checks
        .values()
        .filter_map(|member| member.constraints.pattern.as_ref())
        .map(|p| (p.static_name.as_str(), p.regex.as_str()))
        .collect();
    let statics = patterns.iter().map(|(name, regex)| {
        let name = format_ident!("{}", name);
        let message = format!("pattern {name} was checked when the code was generated");
        quote! {
            static #name: ::std::sync::LazyLock<::regex::Regex> =
                ::std::sync::LazyLock::new(|| ::regex::Regex::new(#regex).expect(#message));
        }
    });
    let shapes = inputs.iter().map(|shape| match &shape.kind {
        ShapeKind::Structure { members } => structure(service, shape, members),
        ShapeKind::Union { members } => union(service, shape, members),
        _ if target_is_identity(service, &shape.id) => TokenStream::new(),
        ShapeKind::List { item } => list(service, shape, item),
        ShapeKind::Map { key, value } => map(service, shape, key, value),
        ShapeKind::Enum { reason, .. } => string_enum(service, shape, reason),
        ShapeKind::IntEnum { variants, reason } => {
            let values = variants.iter().map(|v| v.value);
            int_enum(shape, values.collect(), reason)
        }
        ShapeKind::Simple(_) => TokenStream::new(),
    });
    let check_fns = checks.values().map(|member| check_fn(service, member));
    let repeat_helpers = repeat_helpers(service, checks.values().copied());
    quote! {
        /// Requests as they arrive on the wire, before validation: every member is optional
        /// and enums are plain strings, so that a missing member or an unknown value is
        /// reported as a constraint violation rather than a deserialization failure.
        pub mod wire {
            #message
            #(#statics)*
            #(#shapes)*
            #(#check_fns)*
            #repeat_helpers
        }
    }
}

/// `violation_message`: the service's message template as a function, so hand-written code
/// words its own violations exactly as the generated validators do.
fn violation_message(service: &Service) -> TokenStream {
    let format = service
        .validation
        .message
        .replace('{', "{{")
        .replace('}', "}}")
        .replace("{{path}}", "{path}")
        .replace("{{reason}}", "{reason}");
    quote! {
        /// The service's message for a value at `path` (as `tags.2.member.Key`) that breaks
        /// a rule, `reason` saying which.
        pub fn violation_message(path: &str, reason: &str) -> ::std::string::String {
            ::std::format!(#format)
        }
    }
}

fn check_kind(service: &Service, member: &Member) -> Option<CheckKind> {
    if member.constraints.is_empty() {
        return None;
    }
    match &shape(service, &member.target).kind {
        ShapeKind::Simple(Primitive::String) => Some(CheckKind::Text),
        ShapeKind::List { .. } => Some(CheckKind::Items),
        ShapeKind::Simple(Primitive::Blob) | ShapeKind::Map { .. } => Some(CheckKind::Count),
        ShapeKind::Simple(p) if p.is_number() => Some(CheckKind::Number(*p)),
        _ => None,
    }
}

/// Whether a member's wire value is already its validated value: no constraint to check
/// and the same Rust type on both sides.
fn is_identity(service: &Service, member: &Member) -> bool {
    check_kind(service, member).is_none()
        && !member.boxed
        && target_is_identity(service, &member.target)
}

fn target_is_identity(service: &Service, id: &str) -> bool {
    match &shape(service, id).kind {
        ShapeKind::Simple(_) => true,
        ShapeKind::List { item } => is_identity(service, item),
        ShapeKind::Map { key, value } => is_identity(service, key) && is_identity(service, value),
        ShapeKind::Enum { .. }
        | ShapeKind::IntEnum { .. }
        | ShapeKind::Structure { .. }
        | ShapeKind::Union { .. } => false,
    }
}

/// The unvalidated type of a value of shape `id`.
fn wire_type(service: &Service, id: &str) -> TokenStream {
    let target = shape(service, id);
    match &target.kind {
        ShapeKind::Simple(primitive) => primitive_type(*primitive),
        ShapeKind::IntEnum { .. } => quote!(i32),
        ShapeKind::Enum { .. } => quote!(::std::string::String),
        ShapeKind::List { item } => {
            let item = wire_type(service, &item.target);
            quote!(::std::vec::Vec<#item>)
        }
        ShapeKind::Map { value, .. } => {
            let value = wire_type(service, &value.target);
            quote!(::std::collections::BTreeMap<::std::string::String, #value>)
        }
        ShapeKind::Structure { .. } | ShapeKind::Union { .. } => {
            let name = ident(&target.rust_name);
            quote!(#name)
        }
    }
}

fn boxed_wire_type(service: &Service, member: &Member) -> TokenStream {
    let ty = wire_type(service, &member.target);
    if member.boxed {
        quote!(::std::boxed::Box<#ty>)
    } else {
        ty
    }
}

/// Converts `value` (the member's wire value, in scope with `path` and `violations`): the
/// statements to run first, then an expression of type `Option<typed>`, `None` when a
/// violation was recorded.
fn convert(service: &Service, member: &Member) -> (TokenStream, TokenStream) {
    let target = shape(service, &member.target);
    let value = if member.boxed {
        quote!((*value))
    } else {
        quote!(value)
    };
    let snake = format_ident!("{}", names::field(&target.rust_name));
    let converted = match &target.kind {
        _ if target_is_identity(service, &member.target) => None,
        ShapeKind::Simple(_) => None,
        ShapeKind::Enum { .. } => {
            let parse = format_ident!("parse_{}", snake);
            Some(quote!(#parse(&#value, &path, violations)))
        }
        ShapeKind::IntEnum { .. } => {
            let parse = format_ident!("parse_{}", snake);
            Some(quote!(#parse(#value, &path, violations)))
        }
        ShapeKind::Structure { .. } | ShapeKind::Union { .. } => {
            Some(quote!(#value.validate(&path, violations)))
        }
        ShapeKind::List { .. } | ShapeKind::Map { .. } => {
            let validate = format_ident!("validate_{}", snake);
            Some(quote!(#validate(#value, &path, violations)))
        }
    };
    let converted = match (converted, member.boxed) {
        (Some(expr), true) => Some(quote!(#expr.map(::std::boxed::Box::new))),
        (expr, _) => expr,
    };
    let check = check_kind(service, member).map(|kind| {
        let check = check_fn_ident(member);
        let measured = match (kind, &target.kind) {
            (CheckKind::Text | CheckKind::Items, _) => quote!(&value),
            (CheckKind::Count, ShapeKind::Simple(Primitive::Blob)) => quote!(value.0.len()),
            (CheckKind::Count, _) => quote!(value.len()),
            (CheckKind::Number(_), _) => quote!(value),
        };
        quote!(#check(#measured, &path, violations))
    });
    // A newtype's constraints are the member's (never empty), so `check` is its own check:
    // wrap after it without checking again.
    if let (Some(check), Some(newtype)) = (&check, super::types::newtype_of(service, member)) {
        let newtype = ident(&newtype.rust_name);
        let wrapped = quote!(super::types::#newtype::from_validated(value));
        return (TokenStream::new(), quote!(#check.then(|| #wrapped)));
    }
    match (check, converted) {
        (None, None) => (
            TokenStream::new(),
            quote!(::std::option::Option::Some(value)),
        ),
        (Some(check), None) => (TokenStream::new(), quote!(#check.then_some(value))),
        (None, Some(converted)) => (TokenStream::new(), converted),
        // The check runs first so that both kinds of violation are recorded.
        (Some(check), Some(converted)) => (
            quote!(let valid = #check;),
            quote!(#converted.filter(|_| valid)),
        ),
    }
}

fn structure(service: &Service, shape: &Shape, members: &[Member]) -> TokenStream {
    let name = ident(&shape.rust_name);
    let typed = typed_type(service, &shape.id, From::Other);
    let fields = members.iter().map(|member| {
        let field = ident(&member.field);
        let ty = boxed_wire_type(service, member);
        let rename = rename_attr(&member.field, &member.name).map(|r| quote!(#[serde(#r)]));
        quote! {
            #rename
            pub #field: ::std::option::Option<#ty>,
        }
    });
    let required = &service.required_reason;
    let mut uses_path = false;
    let mut checks = Vec::new();
    let mut assignments = Vec::new();
    for member in members {
        let field = ident(&member.field);
        let wire = &member.name;
        if is_identity(service, member) {
            let value = match &member.presence {
                Presence::Optional => quote!(self.#field),
                Presence::Required => {
                    uses_path = true;
                    checks.push(quote! {
                        if self.#field.is_none() {
                            violations.push(&path.member(#wire), #required);
                        }
                    });
                    quote!(self.#field?)
                }
                Presence::Default(_) if default_is_zero(member) => {
                    quote!(self.#field.unwrap_or_default())
                }
                Presence::Default(value) => {
                    let default = default_expr(service, member, From::Other);
                    if matches!(value, DefaultValue::Bool(_) | DefaultValue::Number(_)) {
                        quote!(self.#field.unwrap_or(#default))
                    } else {
                        quote!(self.#field.unwrap_or_else(|| #default))
                    }
                }
            };
            assignments.push(quote!(#field: #value,));
            continue;
        }
        uses_path = true;
        let (statements, convert) = convert(service, member);
        let missing = match &member.presence {
            Presence::Optional => quote!(::std::option::Option::Some(::std::option::Option::None)),
            Presence::Default(_) => {
                let default = default_expr(service, member, From::Other);
                quote!(::std::option::Option::Some(#default))
            }
            Presence::Required => quote! {{
                violations.push(&path.member(#wire), #required);
                ::std::option::Option::None
            }},
        };
        let present = match &member.presence {
            Presence::Optional => quote!(#convert.map(::std::option::Option::Some)),
            _ => convert,
        };
        checks.push(quote! {
            let #field = match self.#field {
                ::std::option::Option::Some(value) => {
                    let path = path.member(#wire);
                    #statements
                    #present
                }
                ::std::option::Option::None => #missing,
            };
        });
        assignments.push(quote!(#field: #field?,));
    }
    let path_param = if uses_path {
        quote!(path)
    } else {
        quote!(_path)
    };
    let violations_param = if uses_path {
        quote!(violations)
    } else {
        quote!(_violations)
    };
    let docs = doc_attrs(&[format!(
        "`{}` as it arrives, before validation.",
        shape.rust_name
    )]);
    quote! {
        #docs
        #[derive(Debug, Default, PartialEq, ::serde::Deserialize)]
        pub struct #name {
            #(#fields)*
        }

        impl #name {
            /// Checks every constraint, recording each violation; the validated value when
            /// there was none.
            pub fn validate(
                self,
                #path_param: &::berth_runtime::validation::Path<'_>,
                #violations_param: &mut ::berth_runtime::validation::Violations,
            ) -> ::std::option::Option<#typed> {
                #(#checks)*
                ::std::option::Option::Some(#typed {
                    #(#assignments)*
                })
            }
        }
    }
}

fn union(service: &Service, shape: &Shape, members: &[Member]) -> TokenStream {
    let name = ident(&shape.rust_name);
    let typed = typed_type(service, &shape.id, From::Other);
    let variants = members.iter().map(|member| {
        let variant = ident(&names::type_name(&member.name));
        let wire = &member.name;
        let ty = boxed_wire_type(service, member);
        quote! {
            #[serde(rename = #wire)]
            #variant(#ty),
        }
    });
    let arms = members.iter().map(|member| {
        let variant = ident(&names::type_name(&member.name));
        let wire = &member.name;
        if is_identity(service, member) {
            return quote!(#name::#variant(value) => ::std::option::Option::Some(#typed::#variant(value)),);
        }
        let (statements, convert) = convert(service, member);
        quote! {
            #name::#variant(value) => {
                let path = path.member(#wire);
                #statements
                #convert.map(#typed::#variant)
            }
        }
    });
    quote! {
        #[derive(Debug, PartialEq, ::serde::Deserialize)]
        pub enum #name {
            #(#variants)*
        }

        impl #name {
            /// Checks the set member's constraints; the validated value when they hold.
            pub fn validate(
                self,
                path: &::berth_runtime::validation::Path<'_>,
                violations: &mut ::berth_runtime::validation::Violations,
            ) -> ::std::option::Option<#typed> {
                match self {
                    #(#arms)*
                }
            }
        }
    }
}

fn list(service: &Service, shape: &Shape, item: &Member) -> TokenStream {
    let validate = format_ident!("validate_{}", names::field(&shape.rust_name));
    let wire_item = boxed_wire_type(service, item);
    let typed = typed_type(service, &shape.id, From::Other);
    let (statements, convert) = convert(service, item);
    // Items are reported at `<list>.<n>.member`, or as one member of the list's container.
    let (item_path, items, path_of_item) = match &item.reported_as {
        None => (
            TokenStream::new(),
            quote!((index, value) in items.into_iter().enumerate()),
            quote!(path.index(index)),
        ),
        Some(name) => (
            quote! {
                let item_path = match *path {
                    ::berth_runtime::validation::Path::Member(container, _) => container.member(#name),
                    _ => path.member(#name),
                };
            },
            quote!(value in items),
            quote!(item_path),
        ),
    };
    quote! {
        fn #validate(
            items: ::std::vec::Vec<#wire_item>,
            path: &::berth_runtime::validation::Path<'_>,
            violations: &mut ::berth_runtime::validation::Violations,
        ) -> ::std::option::Option<#typed> {
            let mut validated = ::std::vec::Vec::with_capacity(items.len());
            let mut valid = true;
            #item_path
            for #items {
                let path = #path_of_item;
                #statements
                match #convert {
                    ::std::option::Option::Some(item) => validated.push(item),
                    ::std::option::Option::None => valid = false,
                }
            }
            valid.then_some(validated)
        }
    }
}

fn map(service: &Service, shape: &Shape, key: &Member, value: &Member) -> TokenStream {
    let validate = format_ident!("validate_{}", names::field(&shape.rust_name));
    let wire_value = boxed_wire_type(service, value);
    let typed = typed_type(service, &shape.id, From::Other);
    let convert_key = if is_identity(service, key) {
        quote!(::std::option::Option::Some(name))
    } else {
        let (statements, convert) = convert(service, key);
        // Keys are reported at the map's own path.
        quote! {{
            let value = name;
            let path = *path;
            #statements
            #convert
        }}
    };
    let convert_value = if is_identity(service, value) {
        quote!(::std::option::Option::Some(value))
    } else {
        let (statements, convert) = convert(service, value);
        quote! {{
            let path = path.key(&name);
            #statements
            #convert
        }}
    };
    quote! {
        fn #validate(
            entries: ::std::collections::BTreeMap<::std::string::String, #wire_value>,
            path: &::berth_runtime::validation::Path<'_>,
            violations: &mut ::berth_runtime::validation::Violations,
        ) -> ::std::option::Option<#typed> {
            let mut validated = ::std::collections::BTreeMap::new();
            let mut valid = true;
            for (name, value) in entries {
                let converted_value = #convert_value;
                let converted_key = #convert_key;
                match (converted_key, converted_value) {
                    (::std::option::Option::Some(key), ::std::option::Option::Some(value)) => {
                        validated.insert(key, value);
                    }
                    _ => valid = false,
                }
            }
            valid.then_some(validated)
        }
    }
}

fn string_enum(service: &Service, shape: &Shape, reason: &str) -> TokenStream {
    let parse = format_ident!("parse_{}", names::field(&shape.rust_name));
    let typed = typed_type(service, &shape.id, From::Other);
    quote! {
        fn #parse(
            value: &str,
            path: &::berth_runtime::validation::Path<'_>,
            violations: &mut ::berth_runtime::validation::Violations,
        ) -> ::std::option::Option<#typed> {
            let parsed = #typed::from_wire(value);
            if parsed.is_none() {
                violations.push(path, #reason);
            }
            parsed
        }
    }
}

/// Whether the items of list `list_id` can be hashed (their wire type is `Hash + Eq`).
fn items_are_hashable(service: &Service, list_id: &str) -> bool {
    let ShapeKind::List { item } = &shape(service, list_id).kind else {
        return false;
    };
    matches!(
        shape(service, &item.target).kind,
        ShapeKind::Simple(
            Primitive::String
                | Primitive::Boolean
                | Primitive::Byte
                | Primitive::Short
                | Primitive::Integer
                | Primitive::Long
                | Primitive::Timestamp
                | Primitive::Blob
        ) | ShapeKind::Enum { .. }
            | ShapeKind::IntEnum { .. }
    )
}

/// The helpers the `@uniqueItems` checks of `checks` call.
fn repeat_helpers<'a>(service: &Service, checks: impl Iterator<Item = &'a Member>) -> TokenStream {
    let (mut hashed, mut compared) = (false, false);
    for member in checks.filter(|m| m.constraints.unique_items.is_some()) {
        if items_are_hashable(service, &member.target) {
            hashed = true;
        } else {
            compared = true;
        }
    }
    let hashed = hashed.then(|| {
        quote! {
            /// Whether an item occurs twice in `items`: linear time, through a hash set.
            fn repeats_an_item<T: ::std::hash::Hash + ::std::cmp::Eq>(items: &[T]) -> bool {
                let mut seen = ::std::collections::HashSet::with_capacity(items.len());
                !items.iter().all(|item| seen.insert(item))
            }
        }
    });
    let compared = compared.then(|| {
        quote! {
            /// Whether an item occurs twice in `items`, for items that cannot be hashed
            /// (floats, structures): each is compared with those before it.
            fn repeats_an_unhashable_item<T: ::std::cmp::PartialEq>(items: &[T]) -> bool {
                items.iter().enumerate().any(|(index, item)| items[..index].contains(item))
            }
        }
    });
    quote!(#hashed #compared)
}

fn int_enum(shape: &Shape, values: Vec<i32>, reason: &str) -> TokenStream {
    let parse = format_ident!("parse_{}", names::field(&shape.rust_name));
    quote! {
        fn #parse(
            value: i32,
            path: &::berth_runtime::validation::Path<'_>,
            violations: &mut ::berth_runtime::validation::Violations,
        ) -> ::std::option::Option<i32> {
            if [#(#values),*].contains(&value) {
                ::std::option::Option::Some(value)
            } else {
                violations.push(path, #reason);
                ::std::option::Option::None
            }
        }
    }
}

/// The name of the function that checks a member's constraints.
pub(crate) fn check_fn_ident(member: &Member) -> proc_macro2::Ident {
    format_ident!("check_{}", member.check_name)
}

fn check_fn(service: &Service, member: &Member) -> TokenStream {
    let Some(kind) = check_kind(service, member) else {
        return TokenStream::new();
    };
    let constraints = &member.constraints;
    let check = check_fn_ident(member);
    let (param, measure) = match kind {
        CheckKind::Text => (
            quote!(value: &str),
            constraints
                .length
                .as_ref()
                .map(|_| quote!(let length = value.chars().count();)),
        ),
        CheckKind::Items => {
            let ShapeKind::List { item } = &shape(service, &member.target).kind else {
                return TokenStream::new();
            };
            let item = boxed_wire_type(service, item);
            (
                quote!(items: &[#item]),
                constraints
                    .length
                    .as_ref()
                    .map(|_| quote!(let length = items.len();)),
            )
        }
        CheckKind::Count => (quote!(length: usize), None),
        CheckKind::Number(p) => {
            let ty = primitive_type(p);
            (quote!(value: #ty), None)
        }
    };
    let mut tests = Vec::new();
    if let Some(Bounds { min, max }) = &constraints.length {
        for (bound, is_min) in [(min, true), (max, false)] {
            // The resolver accepts only non-negative integers as lengths.
            let Some((bound, Ok(limit))) = bound.as_ref().map(|b| (b, b.value.parse::<u64>()))
            else {
                continue;
            };
            let limit = proc_macro2::Literal::u64_unsuffixed(limit);
            let condition = if is_min {
                quote!(length < #limit)
            } else {
                quote!(length > #limit)
            };
            tests.push((condition, bound.reason.clone()));
        }
    }
    if let (CheckKind::Number(p), Some(Bounds { min, max })) = (kind, &constraints.range) {
        if let Some(min) = min {
            let bound = super::number_literal(&min.value, p);
            tests.push((quote!(value < #bound), min.reason.clone()));
        }
        if let Some(max) = max {
            let bound = super::number_literal(&max.value, p);
            tests.push((quote!(value > #bound), max.reason.clone()));
        }
    }
    if let (CheckKind::Text, Some(pattern)) = (kind, &constraints.pattern) {
        let name = format_ident!("{}", pattern.static_name);
        tests.push((quote!(!#name.is_match(value)), pattern.reason.clone()));
    }
    if let (CheckKind::Items, Some(reason)) = (kind, &constraints.unique_items) {
        let condition = if items_are_hashable(service, &member.target) {
            quote!(repeats_an_item(items))
        } else {
            quote!(repeats_an_unhashable_item(items))
        };
        tests.push((condition, reason.clone()));
    }
    let tests = tests.into_iter().map(|(condition, reason)| {
        quote! {
            if #condition {
                violations.push(path, #reason);
                valid = false;
            }
        }
    });
    // Visible to `types`, whose newtypes' constructors run the same check.
    quote! {
        pub(super) fn #check(
            #param,
            path: &::berth_runtime::validation::Path<'_>,
            violations: &mut ::berth_runtime::validation::Violations,
        ) -> bool {
            let mut valid = true;
            #measure
            #(#tests)*
            valid
        }
    }
}
