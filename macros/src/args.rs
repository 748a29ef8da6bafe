//! Parsing `#[tenant_isolated(...)]` arguments.
//!
//! ```text
//! table = "Orders", actions = [GetItem, Query], indexes = ["ByStatus"],
//! key_prefix = "TENANT#", table_env = "ORDERS_TABLE", session_tag = "tenant",
//! crate = "::tenant_isolation"
//! ```

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::ToTokens;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{LitStr, Token, bracketed};

mod kw {
    syn::custom_keyword!(table);
    syn::custom_keyword!(actions);
    syn::custom_keyword!(indexes);
    syn::custom_keyword!(key_prefix);
    syn::custom_keyword!(table_env);
    syn::custom_keyword!(session_tag);
    syn::custom_keyword!(axum);
}

const NAMES: [&str; 8] = ["table", "actions", "indexes", "key_prefix", "table_env", "session_tag", "crate", "axum"];
const ARGUMENTS: &str = "`table`, `actions`, `indexes`, `key_prefix`, `table_env`, `session_tag`, `crate`, `axum`";

/// One entry of `actions = [...]`: the tokens up to the next comma, joined (`Get*` is
/// `Get` and `*`), kept so that an error covers the whole entry.
pub(crate) struct ActionName {
    pub(crate) name: String,
    pub(crate) span: Span,
    tokens: TokenStream,
}

impl ActionName {
    /// An error spanning the whole entry (`Get*`, not just `Get`).
    pub(crate) fn error(&self, message: impl std::fmt::Display) -> syn::Error {
        syn::Error::new_spanned(&self.tokens, message)
    }
}

impl Parse for ActionName {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut name = String::new();
        let mut span = None;
        let mut tokens = TokenStream::new();
        while !input.is_empty() && !input.peek(Token![,]) {
            let tt: TokenTree = input.parse()?;
            span.get_or_insert(tt.span());
            tt.to_tokens(&mut tokens);
            match &tt {
                TokenTree::Literal(lit) => {
                    // `"GetItem"` is accepted as a spelling of `GetItem`.
                    let s = lit.to_string();
                    name.push_str(s.trim_matches('"'));
                }
                other => name.push_str(&other.to_string()),
            }
        }
        match span {
            Some(span) => Ok(ActionName { name, span, tokens }),
            None => Err(input.error("expected a DynamoDB action such as `GetItem`")),
        }
    }
}

/// The raw arguments, each with its span for errors.
#[derive(Default)]
pub(crate) struct Args {
    pub(crate) table: Option<LitStr>,
    pub(crate) actions: Option<(Vec<ActionName>, Span)>,
    pub(crate) indexes: Option<(Vec<LitStr>, Span)>,
    pub(crate) key_prefix: Option<LitStr>,
    pub(crate) table_env: Option<LitStr>,
    pub(crate) session_tag: Option<LitStr>,
    pub(crate) krate: Option<syn::Path>,
    /// `axum`: the handler is an axum handler (extractors beside its table), not a Lambda one.
    pub(crate) axum: Option<Span>,
    /// Arguments that an unknown argument was reported as a near miss of (`tabel` →
    /// `table`): not reported again as missing.
    pub(crate) misspelt: Vec<&'static str>,
}

impl Args {
    /// Parses every argument, collecting all errors (unknown and duplicate arguments) into one.
    /// The arguments that did parse are returned too, so that their validation errors are
    /// reported in the same compilation.
    pub(crate) fn parse(tokens: TokenStream) -> (Args, Option<syn::Error>) {
        let parsed = syn::parse::Parser::parse2(Args::parse_all, tokens);
        // `parse_all` recovers from every error; this arm is for safety only.
        parsed.unwrap_or_else(|e| (Args::default(), Some(e)))
    }

    fn parse_all(input: ParseStream<'_>) -> syn::Result<(Args, Option<syn::Error>)> {
        let mut args = Args::default();
        let mut errors: Option<syn::Error> = None;
        let mut push = |e: syn::Error| match &mut errors {
            Some(all) => all.combine(e),
            None => errors = Some(e),
        };
        while !input.is_empty() {
            if let Err(e) = args.parse_one(input) {
                push(e);
                // Skip to the next top-level comma and go on, to report all errors at once.
                while !input.is_empty() && !input.peek(Token![,]) {
                    input.parse::<TokenTree>()?;
                }
            }
            if input.is_empty() {
                break;
            }
            input.parse::<Token![,]>()?;
        }
        Ok((args, errors))
    }

    fn parse_one(&mut self, input: ParseStream<'_>) -> syn::Result<()> {
        let lookahead = input.lookahead1();
        if lookahead.peek(kw::table) {
            let k: kw::table = input.parse()?;
            input.parse::<Token![=]>()?;
            set_once(&mut self.table, input.parse()?, k.span, "table")
        } else if lookahead.peek(kw::actions) {
            let k: kw::actions = input.parse()?;
            input.parse::<Token![=]>()?;
            let content;
            let bracket = bracketed!(content in input);
            let list = Punctuated::<ActionName, Token![,]>::parse_terminated(&content)?;
            set_once(&mut self.actions, (list.into_iter().collect(), bracket.span.join()), k.span, "actions")
        } else if lookahead.peek(kw::indexes) {
            let k: kw::indexes = input.parse()?;
            input.parse::<Token![=]>()?;
            let content;
            bracketed!(content in input);
            let list = Punctuated::<LitStr, Token![,]>::parse_terminated(&content)?;
            set_once(&mut self.indexes, (list.into_iter().collect(), k.span), k.span, "indexes")
        } else if lookahead.peek(kw::key_prefix) {
            let k: kw::key_prefix = input.parse()?;
            input.parse::<Token![=]>()?;
            set_once(&mut self.key_prefix, input.parse()?, k.span, "key_prefix")
        } else if lookahead.peek(kw::table_env) {
            let k: kw::table_env = input.parse()?;
            input.parse::<Token![=]>()?;
            set_once(&mut self.table_env, input.parse()?, k.span, "table_env")
        } else if lookahead.peek(kw::session_tag) {
            let k: kw::session_tag = input.parse()?;
            input.parse::<Token![=]>()?;
            set_once(&mut self.session_tag, input.parse()?, k.span, "session_tag")
        } else if lookahead.peek(kw::axum) {
            let k: kw::axum = input.parse()?;
            set_once(&mut self.axum, k.span, k.span, "axum")
        } else if lookahead.peek(Token![crate]) {
            let k: Token![crate] = input.parse()?;
            input.parse::<Token![=]>()?;
            let lit: LitStr = input.parse()?;
            let path = lit.parse::<syn::Path>()?;
            set_once(&mut self.krate, path, k.span, "crate")
        } else if input.peek(syn::Ident) {
            let ident: syn::Ident = input.parse()?;
            let name = ident.to_string();
            let hint = match tenant_isolation_core::closest(&name, NAMES) {
                Some(near) => {
                    self.misspelt.extend(NAMES.iter().find(|n| **n == near));
                    format!(": did you mean `{near}`?")
                }
                None => String::new(),
            };
            Err(syn::Error::new(ident.span(), format!("unknown argument `{name}`{hint}\nexpected one of: {ARGUMENTS}")))
        } else {
            Err(lookahead.error())
        }
    }
}

fn set_once<T>(slot: &mut Option<T>, value: T, span: Span, name: &str) -> syn::Result<()> {
    if slot.is_some() {
        return Err(syn::Error::new(span, format!("duplicate argument `{name}`")));
    }
    *slot = Some(value);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    #[test]
    fn parses_every_argument() {
        let (args, errors) = Args::parse(quote! {
            table = "Orders", actions = [GetItem, Query, Get*], indexes = ["ByStatus"],
            key_prefix = "T#", table_env = "ORDERS_TABLE", crate = "::my::reexport",
        });
        assert!(errors.is_none());
        assert_eq!(args.table.unwrap().value(), "Orders");
        let names: Vec<_> = args.actions.unwrap().0.into_iter().map(|a| a.name).collect();
        assert_eq!(names, ["GetItem", "Query", "Get*"]);
        assert_eq!(args.indexes.unwrap().0[0].value(), "ByStatus");
        assert_eq!(args.key_prefix.unwrap().value(), "T#");
        assert_eq!(args.table_env.unwrap().value(), "ORDERS_TABLE");
        let krate = args.krate.unwrap();
        assert_eq!(quote!(#krate).to_string(), ":: my :: reexport");
    }

    #[test]
    fn reports_all_argument_errors_at_once() {
        let (args, err) =
            Args::parse(quote!(tabel = "Orders", table = "A", table = "B", colour = 1, actions = [Query]));
        let messages: Vec<String> = err.unwrap().into_iter().map(|e| e.to_string()).collect();
        assert_eq!(
            messages,
            [
                format!("unknown argument `tabel`: did you mean `table`?\nexpected one of: {ARGUMENTS}"),
                "duplicate argument `table`".to_owned(),
                format!("unknown argument `colour`\nexpected one of: {ARGUMENTS}"),
            ]
        );
        // What did parse is kept, to be validated in the same compilation.
        assert_eq!(args.table.unwrap().value(), "A");
        assert_eq!(args.actions.unwrap().0[0].name, "Query");
        assert_eq!(args.misspelt, ["table"]);
    }
}
