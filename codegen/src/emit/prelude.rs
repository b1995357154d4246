//! Emitters write every std item fully qualified (`::std::option::Option::Some`), so a model
//! shape named `Option` or `Result` can never capture a reference. This pass then shortens
//! the paths whose short name is in Rust's prelude and is not taken by a generated item,
//! which is nearly always: the output reads like hand-written code, and stays correct.

use std::collections::BTreeSet;

use syn::visit_mut::VisitMut;

/// Fully qualified prelude paths and the short names they shorten to.
const PRELUDE: &[(&[&str], &str)] = &[
    (&["std", "option", "Option"], "Option"),
    (&["std", "option", "Option", "Some"], "Some"),
    (&["std", "option", "Option", "None"], "None"),
    (&["std", "result", "Result"], "Result"),
    (&["std", "result", "Result", "Ok"], "Ok"),
    (&["std", "result", "Result", "Err"], "Err"),
    (&["std", "string", "String"], "String"),
    (&["std", "vec", "Vec"], "Vec"),
    (&["std", "boxed", "Box"], "Box"),
    (&["std", "default", "Default"], "Default"),
    (&["std", "convert", "From"], "From"),
    (&["std", "convert", "Into"], "Into"),
    (&["std", "marker", "Send"], "Send"),
    (&["std", "marker", "Sync"], "Sync"),
];

/// Shortens prelude paths in `file`, except those whose short name is in `taken`.
pub fn shorten(file: &mut syn::File, taken: &BTreeSet<String>) {
    Shortener { taken }.visit_file_mut(file);
}

struct Shortener<'a> {
    taken: &'a BTreeSet<String>,
}

impl VisitMut for Shortener<'_> {
    fn visit_path_mut(&mut self, path: &mut syn::Path) {
        if path.leading_colon.is_some() {
            let names: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
            // The longest matching entry wins: `Option::Some` before `Option`.
            let matched = PRELUDE
                .iter()
                .filter(|(full, _)| names.len() >= full.len() && names[..full.len()] == full[..])
                .max_by_key(|(full, _)| full.len());
            if let Some((full, short)) = matched.filter(|(_, short)| !self.taken.contains(*short)) {
                // Keep generic arguments and whatever follows the item (`Option::is_none`).
                let mut segments: syn::punctuated::Punctuated<syn::PathSegment, syn::Token![::]> =
                    std::mem::take(&mut path.segments)
                        .into_iter()
                        .skip(full.len() - 1)
                        .collect();
                if let Some(first) = segments.first_mut() {
                    first.ident = syn::Ident::new(short, first.ident.span());
                }
                path.leading_colon = None;
                path.segments = segments;
            }
        }
        syn::visit_mut::visit_path_mut(self, path);
    }

    /// Paths inside serde's string arguments (`skip_serializing_if = "…"`) too.
    fn visit_attribute_mut(&mut self, attribute: &mut syn::Attribute) {
        if let syn::Meta::List(list) = &mut attribute.meta
            && !self.taken.contains("Option")
        {
            list.tokens = shorten_literals(std::mem::take(&mut list.tokens));
        }
        syn::visit_mut::visit_attribute_mut(self, attribute);
    }
}

const QUALIFIED_IS_NONE: &str = "\"::std::option::Option::is_none\"";

fn shorten_literals(tokens: proc_macro2::TokenStream) -> proc_macro2::TokenStream {
    use proc_macro2::{Group, Literal, TokenTree};
    tokens
        .into_iter()
        .map(|token| match token {
            TokenTree::Literal(literal) if literal.to_string() == QUALIFIED_IS_NONE => {
                TokenTree::Literal(Literal::string("Option::is_none"))
            }
            TokenTree::Group(group) => {
                let mut shortened = Group::new(group.delimiter(), shorten_literals(group.stream()));
                shortened.set_span(group.span());
                TokenTree::Group(shortened)
            }
            other => other,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shortened(code: &str, taken: &[&str]) -> String {
        let mut file: syn::File = syn::parse_str(code).unwrap();
        shorten(&mut file, &taken.iter().map(|s| s.to_string()).collect());
        prettyplease::unparse(&file)
    }

    #[test]
    fn prelude_paths_are_shortened() {
        let code = "fn f(x: ::std::option::Option<::std::vec::Vec<u8>>) -> ::std::option::Option<u8> { ::std::option::Option::Some(1) }";
        assert_eq!(
            shortened(code, &[]),
            "fn f(x: Option<Vec<u8>>) -> Option<u8> {\n    Some(1)\n}\n"
        );
    }

    #[test]
    fn taken_names_stay_qualified() {
        let code = "struct S { a: ::std::option::Option<::std::string::String> }";
        assert_eq!(
            shortened(code, &["String"]),
            "struct S {\n    a: Option<::std::string::String>,\n}\n"
        );
    }

    #[test]
    fn other_paths_are_untouched() {
        let code = "static P: ::std::sync::LazyLock<u8> = ::std::sync::LazyLock::new(|| 1);";
        assert!(shortened(code, &[]).contains("::std::sync::LazyLock"));
    }
}
