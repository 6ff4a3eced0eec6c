//! Unit tests: `parse` and `expand` on `quote!` input.

use proc_macro2::TokenStream;
use quote::quote;

use super::{expand, go, parse};

/// The expansion of `#[go(args)] item`, which must be accepted.
fn expand_ok(args: TokenStream, item: TokenStream) -> String {
    match parse::parse(args, item) {
        Ok(go_fn) => expand::expand(go_fn).to_string(),
        Err(error) => panic!("unexpected error: {error}"),
    }
}

/// Every message `#[go(args)] item` is rejected with.
fn errors(args: TokenStream, item: TokenStream) -> Vec<String> {
    match parse::parse(args, item) {
        Ok(_) => panic!("expected an error"),
        Err(error) => error.into_iter().map(|e| e.to_string()).collect(),
    }
}

/// The one message `#[go(args)] item` is rejected with.
fn error(args: TokenStream, item: TokenStream) -> String {
    let mut messages = errors(args, item);
    assert_eq!(messages.len(), 1, "{messages:#?}");
    messages.remove(0)
}

#[test]
fn spec_example() {
    let expanded = expand_ok(
        quote!(),
        quote! {
            /// docs
            pub async fn fetch_user(id: u64, mut retries: u32, (a, b): (u8, u8)) -> User { body }
        },
    );
    println!("{expanded}");
    let expected = quote! {
        #[doc = r" docs"]
        #[track_caller]
        pub fn fetch_user(id: u64, retries: u32, __goscope_arg2: (u8, u8))
            -> ::goscope::__private::Task<User>
        {
            ::goscope::__private::spawn::<User, _>(
                &::core::concat!(::core::module_path!(), "::", "fetch_user"),
                async move {
                    if let ::core::option::Option::Some(__goscope_output) =
                        ::core::option::Option::<User>::None
                    {
                        return __goscope_output;
                    }
                    let id = id;
                    let mut retries = retries;
                    let __goscope_arg2 = __goscope_arg2;
                    let (a, b) = __goscope_arg2;
                    body
                }
            )
        }
    };
    assert_eq!(expanded, expected.to_string());
}

#[test]
fn output_type_is_fixed_before_the_body() {
    let expanded = expand_ok(
        quote!(),
        quote!(
            async fn f() -> Box<dyn Error> {
                return Box::new(E);
            }
        ),
    );
    let fix = "async move { if let :: core :: option :: Option :: Some (__goscope_output) = \
               :: core :: option :: Option :: < Box < dyn Error > > :: None { \
               return __goscope_output ; } return Box :: new (E) ; }";
    assert!(expanded.contains(fix), "{expanded}");
}

#[test]
fn no_return_type_is_unit() {
    let expanded = expand_ok(
        quote!(),
        quote!(
            async fn tick() {}
        ),
    );
    assert!(
        expanded.contains("-> :: goscope :: __private :: Task < () >"),
        "{expanded}"
    );
    assert!(expanded.contains("spawn :: < () , _ >"), "{expanded}");
}

#[test]
fn methods_capture_all_of_self() {
    let expanded = expand_ok(
        quote!(),
        quote!(
            async fn run(self: Arc<Self>, n: u32) -> u32 {
                self.base + n
            }
        ),
    );
    assert!(
        expanded.contains("fn run (self : Arc < Self > , n : u32)"),
        "{expanded}"
    );
    assert!(
        expanded.contains("let _ = & self ; let n = n ; self . base + n"),
        "{expanded}"
    );
    let expanded = expand_ok(
        quote!(),
        quote!(
            async fn run(mut self) {}
        ),
    );
    assert!(expanded.contains("fn run (mut self)"), "{expanded}");
}

#[test]
fn blocking_uses_a_closure() {
    let expanded = expand_ok(
        quote!(blocking),
        quote!(
            fn checksum(data: Vec<u8>) -> u64 {
                sum(data)
            }
        ),
    );
    let expected = quote! {
        ::goscope::__private::spawn_blocking::<u64, _>(
            &::core::concat!(::core::module_path!(), "::", "checksum"),
            move || -> u64 { let data = data; sum(data) }
        )
    };
    assert!(expanded.contains(&expected.to_string()), "{expanded}");
}

#[test]
fn name_replaces_the_path() {
    let expanded = expand_ok(
        quote!(name = "billing.charge"),
        quote!(
            async fn charge(order: Order) -> Receipt {
                pay(order)
            }
        ),
    );
    assert!(
        expanded.contains("(& \"billing.charge\" , async move"),
        "{expanded}"
    );
    assert!(!expanded.contains("module_path"), "{expanded}");
}

#[test]
fn detach_returns_unit() {
    let expanded = expand_ok(
        quote!(blocking, name = "x", detach),
        quote!(
            fn log(line: String) {
                println!("{line}")
            }
        ),
    );
    let expected = quote! {
        #[track_caller]
        fn log(line: String) {
            ::goscope::__private::spawn_blocking::<(), _>(&"x", move || {
                let line = line;
                println!("{line}")
            }).detach()
        }
    };
    assert_eq!(expanded, expected.to_string());
    let expanded = expand_ok(
        quote!(detach),
        quote!(
            async fn log() -> () {}
        ),
    );
    assert!(expanded.contains("fn log () {"), "{expanded}");
}

#[test]
fn impl_trait_output_is_inferred() {
    let expanded = expand_ok(
        quote!(),
        quote!(
            async fn f() -> impl Display + Send {
                1
            }
        ),
    );
    assert!(expanded.contains("spawn (& :: core"), "{expanded}");
    assert!(!expanded.contains("__goscope_output"), "{expanded}");
    let expanded = expand_ok(
        quote!(blocking),
        quote!(
            fn f() -> Box<impl Display> {
                1
            }
        ),
    );
    assert!(expanded.contains("move || {"), "{expanded}");
}

#[test]
fn attributes_generics_and_visibility_are_kept() {
    let expanded = expand_ok(
        quote!(),
        quote! {
            #[allow(clippy::all)]
            #[track_caller]
            pub(crate) async fn f<'a, T: Send + 'static>(#[allow(unused)] x: T, _: u8) -> T
            where
                T: Clone,
            {
                #![allow(unused_mut)]
                x
            }
        },
    );
    assert!(expanded.starts_with("# [allow (clippy :: all)] # [track_caller] # [allow (unused_mut)] pub (crate) fn f < 'a , T : Send + 'static > (# [allow (unused)] x : T , __goscope_arg1 : u8) -> :: goscope :: __private :: Task < T > where T : Clone ,"), "{expanded}");
    assert_eq!(expanded.matches("track_caller").count(), 1, "{expanded}");
    assert!(
        expanded.contains("# [allow (unused)] let x = x ; let __goscope_arg1 = __goscope_arg1 ; x"),
        "{expanded}"
    );
}

#[test]
fn accepted_arguments() {
    for item in [
        quote!(
            async fn f(s: &'static str, b: Box<dyn Fn(&str) -> &str + Send>) {}
        ),
        quote!(
            async fn f(f: fn(&str) -> usize, c: Cow<'static, str>) {}
        ),
        quote!(
            async fn f(f: Box<dyn for<'a> Visit<'a> + Send>) {}
        ),
        quote!(
            async fn f<'a>(x: impl Display + Send + 'static) {}
        ),
        quote!(default async fn f(self) {}),
        quote!(
            unsafe fn f(self: Box<Self>) {}
        ),
    ] {
        let args = if item.to_string().contains("unsafe") {
            quote!(blocking)
        } else {
            quote!()
        };
        expand_ok(args, item);
    }
}

#[test]
fn option_errors() {
    let item = quote!(
        async fn f() {}
    );
    assert_eq!(
        error(quote!(foo), item.clone()),
        "unknown `#[go]` option `foo`; expected `blocking`, `name = …` or `detach`"
    );
    assert_eq!(
        error(quote!(name = "a", name = "b"), item.clone()),
        "duplicate `name` option; remove one"
    );
    assert_eq!(
        error(quote!(detach, detach), item.clone()),
        "duplicate `detach` option; remove one"
    );
    assert_eq!(
        error(quote!(name = 5), item.clone()),
        "`name` expects a string literal, e.g. `name = \"billing.charge\"`"
    );
    assert_eq!(
        error(quote!(name = ""), item.clone()),
        "`name` cannot be empty; write a name, e.g. `name = \"billing.charge\"`"
    );
    for args in [quote!(name), quote!(name =), quote!(name("x"))] {
        assert_eq!(
            error(args, item.clone()),
            "`name` needs a value: `name = \"billing.charge\"`"
        );
    }
    assert_eq!(
        error(quote!(detach = true), item.clone()),
        "`detach` takes no value; write just `detach`"
    );
    assert_eq!(
        error(
            quote!(blocking = true),
            quote!(
                fn f() {}
            )
        ),
        "`blocking` takes no value; write just `blocking`"
    );
    assert_eq!(
        error(quote!("x"), item.clone()),
        "expected `blocking`, `name = …` or `detach`"
    );
    assert_eq!(
        errors(quote!(foo, bar), item),
        [
            "unknown `#[go]` option `foo`; expected `blocking`, `name = …` or `detach`",
            "unknown `#[go]` option `bar`; expected `blocking`, `name = …` or `detach`"
        ]
    );
}

#[test]
fn item_errors() {
    let not_a_fn = "`#[go]` can only be applied to a function";
    for item in [
        quote!(
            struct S;
        ),
        quote!(
            pub(crate) const X: u8 = 1;
        ),
        quote!(
            unsafe impl Send for S {}
        ),
        quote!(
            mod m {}
        ),
        quote!(
            trait T {}
        ),
    ] {
        assert_eq!(error(quote!(), item), not_a_fn);
    }
    assert_eq!(
        error(
            quote!(),
            quote!(
                fn f() {}
            )
        ),
        "`#[go]` needs an `async fn`; add `async` or write `#[go(blocking)]`"
    );
    assert_eq!(
        error(
            quote!(blocking),
            quote!(
                async fn f() {}
            )
        ),
        "`#[go(blocking)]` runs a sync fn on the blocking pool; remove `async` or remove `blocking`"
    );
    assert_eq!(
        error(
            quote!(blocking),
            quote!(
                const fn f() {}
            )
        ),
        "`#[go]` cannot be applied to a `const fn`: starting a task is a runtime effect; remove `const`"
    );
    assert!(
        error(
            quote!(blocking),
            quote!(
                extern "C" fn f() {}
            )
        )
        .contains("`extern` fn")
    );
    assert!(
        error(
            quote!(),
            quote!(
                async fn f(self: Arc<Self>);
            )
        )
        .starts_with("`#[go]` needs a function body")
    );
    assert_eq!(
        error(
            quote!(detach),
            quote!(
                async fn f() -> u32 {
                    1
                }
            )
        ),
        "`#[go(detach)]` needs a fn that returns `()`: nobody receives a detached task's result; handle the value inside or remove `detach`"
    );
}

#[test]
fn borrow_errors() {
    let self_msg = "`#[go]` methods cannot borrow `self`: the task outlives the call; take `self: Arc<Self>` or `self`";
    for item in [
        quote!(
            async fn f(&self) {}
        ),
        quote!(
            async fn f(&'a mut self) {}
        ),
        quote!(
            async fn f(self: &Self) {}
        ),
        quote!(
            async fn f(self: Pin<&mut Self>) {}
        ),
    ] {
        assert_eq!(error(quote!(), item), self_msg);
    }
    let arg_msg = "`#[go]` fns cannot take borrowed arguments: the task outlives the call; take an owned value (`String`, `Vec<T>`, `Arc<T>`)";
    for item in [
        quote!(
            async fn f(s: &str) {}
        ),
        quote!(
            async fn f(s: Vec<&str>) {}
        ),
        quote!(
            async fn f<'a>(s: impl Display + 'a) {}
        ),
        quote!(
            async fn f<'a>(s: Cow<'a, str>) {}
        ),
        quote!(
            async fn f(s: Cow<'_, str>) {}
        ),
        quote!(
            async fn f(s: Box<dyn Display + '_>) {}
        ),
        quote!(
            async fn f(s: (&str, &str)) {}
        ),
    ] {
        assert_eq!(error(quote!(), item), arg_msg);
    }
    // Independent mistakes are all reported.
    assert_eq!(
        errors(
            quote!(foo),
            quote!(
                fn f(&self, a: &str, b: Vec<&str>) {}
            )
        )
        .len(),
        5
    );
}

#[test]
fn on_error_the_item_is_kept() {
    let item = quote!(
        fn f(x: u8) -> u8 {
            x
        }
    );
    let output = go(quote!(), item.clone()).to_string();
    assert!(output.starts_with(&item.to_string()), "{output}");
    assert!(output.contains(":: core :: compile_error !"), "{output}");
}

#[test]
fn syntax_errors_stop_parsing() {
    let message = error(
        quote!(blocking detach),
        quote!(
            fn f() {}
        ),
    );
    assert_eq!(message, "expected `,`");
}
