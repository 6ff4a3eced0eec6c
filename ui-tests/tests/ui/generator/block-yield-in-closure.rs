fn main() {
    let items = vec![1, 2];
    let _g = goscope::iter! {
        items.iter().for_each(|i| { yield *i; });
    };
}
