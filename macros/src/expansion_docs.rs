//! The `# Expansion` sections of the macros' docs, checked against the expanders, so that
//! the docs cannot drift from what the macros produce (pin-project's `tests/expand` is the
//! idea; a normalised token comparison is enough here).
//!
//! Every `.rs` file under `runtime/src/` is scanned, wherever the macro docs live. In a doc
//! comment (`///` or `//!`), an `# Expansion` section runs to the next heading of its level
//! or higher, or to the end of the comment. Each ```` ```text ```` block in it must read
//!
//! ```text
//! <one macro call>
//! // becomes
//! <its expansion>
//! ```
//!
//! The call is `name!(…)` / `name! { … }` (a function-like macro, as its `macro_rules!`
//! wrapper hands it to the engine, with `$crate` = `::goscope`) or `#[name(args)] item` (an
//! attribute macro); the last segment of the path names the macro. The expansion is the
//! engine's output, compared after this normalisation of both sides:
//!
//! - tokens, not text: whitespace, token spacing (`::` or `: :`) and `//` comments do not
//!   count, so the docs may lay the code out and annotate it freely;
//! - an absolute path (one that starts with `::`) is shown from its first segment that
//!   starts with an uppercase letter, or else by its last segment:
//!   `::core::option::Option::Some` as `Option::Some`, `::goscope::__private::spawn::<T, _>`
//!   as `spawn::<T, _>`, `::core::pin::pin!` as `pin!`. Paths in the user's code (the
//!   call's own tokens) are never absolute in the docs, so they stay as written;
//! - `#[allow(…)]` attributes are dropped: they quiet lints on generated code and say
//!   nothing about what it does.
//!
//! Nothing else is abbreviated: a placeholder such as `body` is a plain identifier in the
//! call, and so in its expansion.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use proc_macro2::{Delimiter, Spacing, TokenStream, TokenTree};
use quote::quote;

/// The function-like macros: the name users write, the engine its `macro_rules!` wrapper
/// calls, and the tokens the wrapper puts between `($crate)` and the user's tokens. The
/// test checks that each wrapper in `runtime/src` still reads so.
const FUNCTION_LIKE: &[(&str, &str, &str)] = &[
    ("select", "select_impl", "async"),
    ("select_blocking", "select_impl", "blocking"),
    ("scope", "scope_impl", ""),
    ("all", "all_impl", ""),
    ("race", "race_impl", ""),
    ("iter", "iter_impl", ""),
    ("stream", "stream_impl", ""),
];

/// One checked block: where it is, the call, and the expansion the docs show.
struct Example {
    /// `file:line` of the block's first line.
    at: String,
    call: String,
    shown: String,
}

#[test]
fn every_expansion_section_matches_the_expander() {
    let sources = runtime_sources();
    let mut examples = Vec::new();
    let mut problems = Vec::new();
    for (path, text) in &sources {
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let file = path.strip_prefix(&workspace).unwrap_or(path);
        match examples_in(&file.display().to_string(), text) {
            Ok(found) => examples.extend(found),
            Err(problem) => problems.push(problem),
        }
    }
    assert!(
        !examples.is_empty(),
        "no `# Expansion` block found under runtime/src"
    );
    for example in &examples {
        if let Err(problem) = check(example) {
            problems.push(problem);
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n\n"));
}

#[test]
fn the_wrappers_are_as_the_table_says() {
    let sources: String = runtime_sources()
        .into_iter()
        .map(|(_, text)| normalise(&parse_lossy(&text)))
        .collect::<Vec<_>>()
        .join("\n");
    for &(name, engine, mode) in FUNCTION_LIKE {
        let mode = TokenStream::from_str(mode).unwrap_or_default();
        let (name_ident, engine) = (ident(name), ident(engine));
        let wrapper = normalise(&quote! {
            macro_rules! #name_ident {
                ($($tokens:tt)*) => {
                    $crate::__private::#engine!(($crate) #mode $($tokens)*)
                };
            }
        });
        assert!(
            sources.contains(&wrapper),
            "`{name}!` is not the wrapper the expansion test assumes: {wrapper}"
        );
    }
}

#[test]
fn a_drifted_doc_fails() {
    let doc = "/// # Expansion\n\
               ///\n\
               /// ```text\n\
               /// race!(a, b)\n\
               /// // becomes\n\
               /// { poll_fn(|cx| Poll::Pending).await }\n\
               /// ```\n";
    let examples = examples_in("doc.rs", doc).unwrap_or_default();
    assert_eq!(examples.len(), 1);
    let problem = check(&examples[0]).err().unwrap_or_default();
    assert!(problem.contains("doc.rs:3"), "{problem}");
    assert!(problem.contains("IntoFuture::into_future"), "{problem}");
}

#[test]
fn a_section_without_a_checked_block_fails() {
    let unchecked = "/// # Expansion\n///\n/// ```text\n/// let x = 1;\n/// ```\n";
    assert!(examples_in("a.rs", unchecked).is_err());
    let empty = "/// # Expansion\n///\n/// It becomes a loop.\n///\n/// # Panics\n";
    assert!(examples_in("b.rs", empty).is_err());
}

#[test]
fn paths_are_shortened_only_when_absolute() {
    let cases = [
        ("::core::option::Option::Some(x)", "Option : : Some ( x )"),
        (
            "::goscope::__private::spawn::<T, _>(n)",
            "spawn : : < T , _ > ( n )",
        ),
        (
            "::core::option::Option::<T>::None",
            "Option : : < T > : : None",
        ),
        ("return ::core::pin::pin!(f)", "return pin ! ( f )"),
        ("a::b::c(::x::Y::z)", "a : : b : : c ( Y : : z )"),
        ("<T as ::core::ops::Fn>::call", "< T as Fn > : : call"),
        ("fn f() -> ::x::T", "fn f ( ) - > T"),
        ("x  :: y // a note", "x : : y"),
        ("Vec<Vec<u8>>", "Vec < Vec < u8 > >"),
        (
            "#[allow(dead_code)] enum E {} #[inline] fn f() {}",
            "enum E { } # [ inline ] fn f ( ) { }",
        ),
    ];
    for (source, expected) in cases {
        let tokens = TokenStream::from_str(source).unwrap_or_default();
        assert_eq!(normalise(&tokens), expected, "{source}");
    }
}

// --------------------------------------------------------------------------- finding

/// Every `.rs` file under `runtime/src`, with its text, in path order.
fn runtime_sources() -> Vec<(PathBuf, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../runtime/src");
    let mut files = Vec::new();
    let mut dirs = vec![root];
    while let Some(dir) = dirs.pop() {
        let entries = std::fs::read_dir(&dir)
            .unwrap_or_else(|error| panic!("cannot read {}: {error}", dir.display()));
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
            (path, text)
        })
        .collect()
}

/// The checked blocks of every `# Expansion` section in `text`, or what is wrong with a
/// section that has none, or with a block that is not `call // becomes expansion`.
fn examples_in(file: &str, text: &str) -> Result<Vec<Example>, String> {
    // Doc lines, with their line numbers; `None` where a doc comment ends.
    let lines: Vec<Option<(usize, &str)>> = text
        .lines()
        .enumerate()
        .map(|(index, line)| {
            let line = line.trim_start();
            let doc = line
                .strip_prefix("///")
                .or_else(|| line.strip_prefix("//!"))?;
            Some((index + 1, doc.strip_prefix(' ').unwrap_or(doc)))
        })
        .collect();
    let mut examples = Vec::new();
    let mut index = 0;
    while index < lines.len() {
        let Some((line, content)) = lines[index] else {
            index += 1;
            continue;
        };
        index += 1;
        let Some(level) = heading(content).filter(|&(_, title)| title == "Expansion") else {
            continue;
        };
        let level = level.0;
        let mut found = 0;
        // The ```text block being read (its first line, its lines), or `Fence::Other` in
        // another code block, whose `# hidden` lines are no headings.
        let mut fence = Fence::Prose;
        while let Some(Some((number, content))) = lines.get(index).copied() {
            let is_fence = content.trim_start().starts_with("```");
            match &mut fence {
                Fence::Text(start, body) if is_fence => {
                    examples.push(example(file, *start, body)?);
                    found += 1;
                    fence = Fence::Prose;
                }
                Fence::Text(_, body) => body.push(content),
                Fence::Other if is_fence => fence = Fence::Prose,
                Fence::Other => {}
                Fence::Prose if content.trim() == "```text" => {
                    fence = Fence::Text(number, Vec::new());
                }
                Fence::Prose if is_fence => fence = Fence::Other,
                Fence::Prose if heading(content).is_some_and(|(l, _)| l <= level) => break,
                Fence::Prose => {}
            }
            index += 1;
        }
        if let Fence::Text(start, _) = fence {
            return Err(format!("{file}:{start}: unclosed ```text block"));
        }
        if found == 0 {
            return Err(format!(
                "{file}:{line}: this `# Expansion` section has no ```text block of the form \
                 `call // becomes expansion`"
            ));
        }
    }
    Ok(examples)
}

/// Where a line of an `# Expansion` section is.
enum Fence<'a> {
    /// Outside code blocks.
    Prose,
    /// In a ```text block: its first line's number, and its lines so far.
    Text(usize, Vec<&'a str>),
    /// In another code block.
    Other,
}

/// `(level, title)` of a markdown heading line: `# Expansion` is `(1, "Expansion")`.
fn heading(line: &str) -> Option<(usize, &str)> {
    let level = line.chars().take_while(|&c| c == '#').count();
    let title = line[level..].strip_prefix(' ')?;
    (level > 0).then_some((level, title.trim()))
}

/// A block's lines split at `// becomes`.
fn example(file: &str, start: usize, body: &[&str]) -> Result<Example, String> {
    let at = format!("{file}:{start}");
    let split: Vec<usize> = (0..body.len())
        .filter(|&i| body[i].trim() == "// becomes")
        .collect();
    let [split] = split.as_slice() else {
        return Err(format!(
            "{at}: a ```text block in `# Expansion` needs exactly one `// becomes` line \
             between the call and its expansion"
        ));
    };
    Ok(Example {
        call: body[..*split].join("\n"),
        shown: body[split + 1..].join("\n"),
        at,
    })
}

// -------------------------------------------------------------------------- checking

/// Expands the example's call and compares it with what the docs show.
fn check(example: &Example) -> Result<(), String> {
    let at = &example.at;
    let call = TokenStream::from_str(&example.call)
        .map_err(|error| format!("{at}: the call does not lex: {error}"))?;
    let shown = TokenStream::from_str(&example.shown)
        .map_err(|error| format!("{at}: the expansion does not lex: {error}"))?;
    let actual = expand(&call).map_err(|error| format!("{at}: {error}"))?;
    let (shown, actual) = (normalise(&shown), normalise(&actual));
    if shown == actual {
        return Ok(());
    }
    // Where they part, with a few tokens of common context.
    let (docs, expander): (Vec<&str>, Vec<&str>) =
        (shown.split(' ').collect(), actual.split(' ').collect());
    let same = docs
        .iter()
        .zip(&expander)
        .take_while(|(a, b)| a == b)
        .count();
    let from = same.saturating_sub(12);
    let excerpt =
        |tokens: &[&str]| readable(&tokens[from..(same + 12).min(tokens.len())].join(" "));
    Err(format!(
        "{at}: the docs' expansion differs from the expander's at token {same}:\n  \
         docs:     … {}\n  expander: … {}\n\
         whole expansion (normalised):\n{}",
        excerpt(&docs),
        excerpt(&expander),
        readable(&actual)
    ))
}

/// A normalised token string made easier to read, for messages only: `: :` as `::`, and
/// so on.
fn readable(normalised: &str) -> String {
    [
        (" : : ", "::"),
        (": : ", "::"),
        ("- >", "->"),
        ("= >", "=>"),
        ("= =", "=="),
        ("' ", "'"),
        (" ;", ";"),
        (" ,", ","),
        (" . ", "."),
        ("! (", "!("),
    ]
    .iter()
    .fold(normalised.to_owned(), |text, (from, to)| {
        text.replace(from, to)
    })
}

/// Runs the engine of the macro `call` invokes.
fn expand(call: &TokenStream) -> Result<TokenStream, String> {
    let tokens: Vec<TokenTree> = call.clone().into_iter().collect();
    match tokens.as_slice() {
        [TokenTree::Punct(hash), TokenTree::Group(attr), item @ ..]
            if hash.as_char() == '#' && attr.delimiter() == Delimiter::Bracket =>
        {
            let mut inside: Vec<TokenTree> = attr.stream().into_iter().collect();
            let args = match inside.last() {
                Some(TokenTree::Group(args)) if args.delimiter() == Delimiter::Parenthesis => {
                    let args = args.stream();
                    inside.pop();
                    args
                }
                _ => TokenStream::new(),
            };
            let item: TokenStream = item.iter().cloned().collect();
            match last_ident(&inside).as_deref() {
                Some("go") => Ok(crate::go::go(args, item)),
                Some("generator") => Ok(crate::generator::generator(args, item)),
                other => Err(format!("no attribute macro `{other:?}` to expand")),
            }
        }
        [path @ .., TokenTree::Punct(bang), TokenTree::Group(input)]
        | [
            path @ ..,
            TokenTree::Punct(bang),
            TokenTree::Group(input),
            TokenTree::Punct(_),
        ] if bang.as_char() == '!' => {
            let name = last_ident(path).unwrap_or_default();
            let Some(&(_, _, mode)) = FUNCTION_LIKE.iter().find(|(n, _, _)| *n == name) else {
                return Err(format!("no function-like macro `{name}!` to expand"));
            };
            let mode = TokenStream::from_str(mode).unwrap_or_default();
            let user = input.stream();
            let input = quote!((::goscope) #mode #user);
            Ok(match name.as_str() {
                "select" | "select_blocking" => crate::select::select(input),
                "scope" => crate::scope::scope(input),
                "all" => crate::join::all(input),
                "race" => crate::join::race(input),
                "iter" => crate::generator::block(crate::generator::Block::Iter, input),
                _ => crate::generator::block(crate::generator::Block::Stream, input),
            })
        }
        _ => Err("the call is neither `name!(…)` nor `#[name] item`".to_owned()),
    }
}

fn ident(name: &str) -> proc_macro2::Ident {
    proc_macro2::Ident::new(name, proc_macro2::Span::call_site())
}

/// The last identifier of a path's tokens: `go` in `goscope::go`.
fn last_ident(path: &[TokenTree]) -> Option<String> {
    path.iter().rev().find_map(|token| match token {
        TokenTree::Ident(ident) => Some(ident.to_string()),
        _ => None,
    })
}

// ------------------------------------------------------------------------ normalising

/// The tokens, one space between each (`::` is `: :`: spacing is not compared), with
/// absolute paths shortened (see the module docs).
fn normalise(tokens: &TokenStream) -> String {
    let mut out = Vec::new();
    write_tokens(tokens, &mut out);
    out.join(" ")
}

fn write_tokens(tokens: &TokenStream, out: &mut Vec<String>) {
    let tokens: Vec<TokenTree> = tokens.clone().into_iter().collect();
    let mut index = 0;
    while index < tokens.len() {
        if is_allow(&tokens, index) {
            index += 2;
            continue;
        }
        if is_path_sep(&tokens, index) && starts_path(&tokens, index) {
            index = write_absolute_path(&tokens, index, out);
            continue;
        }
        match &tokens[index] {
            TokenTree::Group(group) => {
                let (open, close) = match group.delimiter() {
                    Delimiter::Parenthesis => ("(", ")"),
                    Delimiter::Brace => ("{", "}"),
                    Delimiter::Bracket => ("[", "]"),
                    Delimiter::None => ("", ""),
                };
                if !open.is_empty() {
                    out.push(open.to_owned());
                }
                write_tokens(&group.stream(), out);
                if !close.is_empty() {
                    out.push(close.to_owned());
                }
            }
            TokenTree::Punct(punct) => out.push(punct.as_char().to_string()),
            other => out.push(other.to_string()),
        }
        index += 1;
    }
}

/// Whether `tokens[index..]` starts with an `#[allow(…)]` attribute.
fn is_allow(tokens: &[TokenTree], index: usize) -> bool {
    matches!(
        (tokens.get(index), tokens.get(index + 1)),
        (Some(TokenTree::Punct(hash)), Some(TokenTree::Group(attr)))
            if hash.as_char() == '#'
                && attr.delimiter() == Delimiter::Bracket
                && matches!(
                    attr.stream().into_iter().next(),
                    Some(TokenTree::Ident(name)) if name == "allow"
                )
    )
}

/// Whether `tokens[index..]` starts with `::`.
fn is_path_sep(tokens: &[TokenTree], index: usize) -> bool {
    matches!(
        (tokens.get(index), tokens.get(index + 1)),
        (Some(TokenTree::Punct(a)), Some(TokenTree::Punct(b)))
            if a.as_char() == ':' && a.spacing() == Spacing::Joint && b.as_char() == ':'
    )
}

/// Whether the `::` at `index` starts a path rather than continuing one (after a name,
/// `crate`, `self`, `super`, `Self` or a `>`): it does after another keyword (`return`),
/// any other punctuation, a group (a match arm's `{ }`) or a literal, or at the start.
fn starts_path(tokens: &[TokenTree], index: usize) -> bool {
    match index.checked_sub(1).map(|before| &tokens[before]) {
        None => true,
        Some(TokenTree::Ident(ident)) => {
            let ident = ident.to_string();
            let segment = ["crate", "self", "super", "Self"].contains(&ident.as_str());
            !segment && syn::parse_str::<syn::Ident>(&ident).is_err()
        }
        // `>` ends a generic list, `Vec::<T>::new`, unless it ends `->` or `=>`.
        Some(TokenTree::Punct(punct)) if punct.as_char() == '>' => matches!(
            index.checked_sub(2).map(|before| &tokens[before]),
            Some(TokenTree::Punct(arrow))
                if matches!(arrow.as_char(), '-' | '=') && arrow.spacing() == Spacing::Joint
        ),
        Some(TokenTree::Punct(_) | TokenTree::Group(_) | TokenTree::Literal(_)) => true,
    }
}

/// Writes the absolute path at `index` (its `::`-separated names) shortened, and returns
/// the index of the token after its last name.
fn write_absolute_path(tokens: &[TokenTree], mut index: usize, out: &mut Vec<String>) -> usize {
    let mut segments = Vec::new();
    while is_path_sep(tokens, index)
        && let Some(TokenTree::Ident(ident)) = tokens.get(index + 2)
    {
        segments.push(ident.to_string());
        index += 3;
    }
    let first_type = segments
        .iter()
        .position(|segment| segment.starts_with(char::is_uppercase));
    let kept = first_type.unwrap_or(segments.len().saturating_sub(1));
    for (position, segment) in segments[kept..].iter().enumerate() {
        if position > 0 {
            out.extend([":".to_owned(), ":".to_owned()]);
        }
        out.push(segment.clone());
    }
    index
}

/// `text` as tokens, skipping what does not lex (for scanning whole files: a lone `'` in a
/// doc comment's text is no token error, as doc comments are literals).
fn parse_lossy(text: &str) -> TokenStream {
    TokenStream::from_str(text).unwrap_or_default()
}
