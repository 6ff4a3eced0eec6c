//! Unit tests: `parse` and the expansions on `quote!` input.

use quote::quote;

use super::{Block, block, generator, parse};

#[test]
fn fn_kinds_and_item_types_parse() {
    let sync = parse::parse(
        quote!(),
        quote!(
            fn f(n: u32) -> Generator<u32> {
                yield_!(n);
            }
        ),
    )
    .unwrap();
    assert_eq!(sync.kind, parse::Kind::Sync);
    assert!(sync.lifetime.is_none());
    let with_lifetime = parse::parse(
        quote!(),
        quote!(
            async fn f<'a>(s: &'a str) -> goscope::AsyncGenerator<'a, &'a str> {}
        ),
    )
    .unwrap();
    assert_eq!(with_lifetime.kind, parse::Kind::Async);
    assert_eq!(with_lifetime.lifetime.unwrap().ident, "a");
}

#[test]
fn the_expansion_names_the_yielder_and_picks_the_lifetime() {
    let out = generator(
        quote!(),
        quote!(
            fn f(n: u32) -> Generator<u32> {
                yield_!(n);
            }
        ),
    )
    .to_string();
    assert!(out.contains("Generator < 'static , u32 >"), "{out}");
    assert!(
        out.contains("yield_ ! (@ __goscope __goscope_co , n)"),
        "{out}"
    );
    let out = generator(
        quote!(),
        quote!(
            fn f(s: &str) -> Generator<&str> {
                yield_!(s);
            }
        ),
    )
    .to_string();
    assert!(out.contains("Generator < '_ , & str >"), "{out}");
    let out = generator(
        quote!(),
        quote!(
            fn f<'a>(s: &'a str) -> Generator<&'a str> {
                yield_!(s);
            }
        ),
    )
    .to_string();
    assert!(out.contains("Generator < 'a , & 'a str >"), "{out}");
    let out = generator(
        quote!(),
        quote!(
            fn f() -> Generator<Result<u32, E>> {
                yield_!(Ok(1));
            }
        ),
    )
    .to_string();
    assert!(out.contains("ResultItem"), "{out}");
}

#[test]
fn misuses_name_the_fix() {
    let cases = [
        (
            quote!(
                struct S;
            ),
            "`#[generator]` goes on a fn",
        ),
        (
            quote!(
                fn f() -> Vec<u32> {}
            ),
            "cannot return this type",
        ),
        (
            quote!(
                fn f() {}
            ),
            "missing the return type",
        ),
        (
            quote!(
                async fn f() -> Generator<u32> {}
            ),
            "drop the `async`",
        ),
        (
            quote!(
                fn f() -> AsyncGenerator<u32> {}
            ),
            "make it an `async fn`",
        ),
        (
            quote!(
                fn f() -> Generator<u32> {
                    yield 1;
                }
            ),
            "write `yield_!(v)`",
        ),
        (
            quote!(
                fn f() -> Generator<u32> {
                    x.await;
                }
            ),
            "a sync generator cannot `.await`",
        ),
        (
            quote!(
                fn f() -> Generator<u32> {
                    v.iter().for_each(|x| yield_!(*x));
                }
            ),
            "inside a closure",
        ),
        (
            quote!(
                async fn f() -> AsyncGenerator<u32> {
                    async { yield_!(1) }.await;
                }
            ),
            "inside an `async` block",
        ),
        (
            quote!(
                fn f() -> Generator<u32> {
                    fn g() {
                        yield_!(1);
                    }
                }
            ),
            "inside a nested fn",
        ),
    ];
    for (item, expected) in cases {
        let out = generator(quote!(), item.clone()).to_string();
        assert!(
            out.contains(expected),
            "`{item}`: expected `{expected}` in {out}"
        );
    }
    let out = generator(
        quote!(fast),
        quote!(
            fn f() -> Generator<u32> {}
        ),
    )
    .to_string();
    assert!(out.contains("takes no options"), "{out}");
}

#[test]
fn block_macros_take_the_bare_yield() {
    let out = block(Block::Iter, quote!((::goscope) for i in 0..3 { yield i; })).to_string();
    assert!(out.contains("Generator :: new"), "{out}");
    assert!(out.contains(". yield_ (i) . await"), "{out}");
    let out = block(Block::Stream, quote!((::goscope) yield 1;)).to_string();
    assert!(out.contains("AsyncGenerator :: new"), "{out}");
    let out = block(Block::Iter, quote!((::goscope) yield;)).to_string();
    assert!(out.contains("`yield` needs a value"), "{out}");
    let out = block(Block::Iter, quote!((::goscope) f(|| { yield 1; });)).to_string();
    assert!(out.contains("inside a closure"), "{out}");
}
