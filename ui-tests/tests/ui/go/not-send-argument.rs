use std::rc::Rc;

use goscope::go;

#[go(blocking)]
fn count(names: Rc<Vec<String>>) -> usize {
    names.len()
}

fn main() {}
