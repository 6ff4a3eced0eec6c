//! The one re-ordering of outputs that finish out of order: [`InOrder`], used by the
//! fan-outs that give outputs in item order — [`map`](crate::map) and
//! [`try_map`](crate::try_map) at the end, [`try_for_each`](crate::try_for_each) with a
//! slot for every item, [`map_stream`](crate::map_stream) as it streams.
//!
//! (The joins need none: their outputs stay in the slot of their future, in input order;
//! see `set.rs`.)
//!
//! A window of slots from the next index to give back: an output is filed at its index
//! (the window grows to reach it), and given back once every index before it has been.
//! Memory is proportional to how far the outputs run ahead of the next one: at most
//! `limit` for `map_stream`, whose workers take no item beyond its window.

/// Outputs tagged with the index of their item, given back in index order.
#[derive(Debug)]
pub(crate) struct InOrder<T> {
    /// The index of `waiting[0]`.
    base: usize,
    /// The index of the next output to give back: every one before it has been.
    next: usize,
    /// The slots from `base` on; those before `next` are spent (dropped in bulk, see
    /// [`InOrder::pop`]).
    waiting: Vec<Option<T>>,
}

impl<T> InOrder<T> {
    /// Room for `capacity` outputs before the window grows.
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        InOrder {
            base: 0,
            next: 0,
            waiting: Vec::with_capacity(capacity),
        }
    }

    /// The outputs of items `0..total`, from `(index, output)` pairs in any order: a slot
    /// per item made at once, so that filing an output never grows the window.
    ///
    /// # Panics
    ///
    /// If an index is `total` or more, or comes twice.
    pub(crate) fn collect(total: usize, pairs: impl IntoIterator<Item = (usize, T)>) -> Self {
        let mut in_order = InOrder {
            base: 0,
            next: 0,
            waiting: std::iter::repeat_with(|| None).take(total).collect(),
        };
        for (index, value) in pairs {
            // (Bounds-checked: an index of `total` or more panics.)
            let slot = &mut in_order.waiting[index];
            assert!(slot.is_none(), "two outputs for item {index}");
            *slot = Some(value);
        }
        in_order
    }

    /// Files `value` as the output of item `index`.
    ///
    /// # Panics
    ///
    /// If item `index` has an output already, or it has been given back.
    pub(crate) fn insert(&mut self, index: usize, value: T) {
        assert!(index >= self.next, "an output that was given back already");
        let at = index - self.base;
        if at >= self.waiting.len() {
            self.waiting.resize_with(at + 1, || None);
        }
        let slot = &mut self.waiting[at];
        assert!(slot.is_none(), "two outputs for item {index}");
        *slot = Some(value);
    }

    /// The output of the next item in order, if it has been filed.
    pub(crate) fn pop(&mut self) -> Option<T> {
        let value = self.waiting.get_mut(self.next - self.base)?.take()?;
        self.next += 1;
        // The spent slots go once they are half the window: amortised O(1) a pop.
        let spent = self.next - self.base;
        if spent >= 16 && spent * 2 >= self.waiting.len() {
            self.waiting.drain(..spent);
            self.base = self.next;
        }
        Some(value)
    }

    /// Every output from the next one to give back, in order.
    ///
    /// # Panics
    ///
    /// If one is missing (a slot was made for it, or one after it was filed).
    pub(crate) fn into_vec(self) -> Vec<T> {
        let spent = self.next - self.base;
        self.waiting
            .into_iter()
            .skip(spent)
            .map(|slot| slot.expect("every output in the window was filed"))
            .collect()
    }

    /// Every item from the next one to give back up to `total`, in order: its output, or
    /// `None` if it has none.
    pub(crate) fn into_slots(self, total: usize) -> impl Iterator<Item = Option<T>> {
        let missing = total.saturating_sub(self.base + self.waiting.len());
        self.waiting
            .into_iter()
            .skip(self.next - self.base)
            .chain(std::iter::repeat_with(|| None).take(missing))
    }
}

#[cfg(test)]
mod tests {
    use super::InOrder;

    #[test]
    fn outputs_come_back_in_index_order_as_soon_as_their_turn_comes() {
        let mut in_order = InOrder::with_capacity(2);
        in_order.insert(2, 'c');
        in_order.insert(1, 'b');
        assert_eq!(in_order.pop(), None, "item 0 is not in");
        in_order.insert(0, 'a');
        assert_eq!(in_order.pop(), Some('a'));
        assert_eq!(in_order.pop(), Some('b'));
        assert_eq!(in_order.pop(), Some('c'));
        assert_eq!(in_order.pop(), None);
        in_order.insert(4, 'e');
        let slots: Vec<_> = in_order.into_slots(6).collect();
        assert_eq!(slots, [None, Some('e'), None]);
    }

    #[test]
    fn pairs_collect_into_item_order() {
        let in_order = InOrder::collect(4, [(3, 30), (0, 0), (2, 20), (1, 10)]);
        let slots: Vec<_> = in_order.into_slots(4).collect();
        assert_eq!(slots, [Some(0), Some(10), Some(20), Some(30)]);
    }

    #[test]
    fn a_long_stream_keeps_only_its_window() {
        let mut in_order = InOrder::with_capacity(4);
        for index in 0..1000 {
            in_order.insert(index + 1, index + 1);
            if index == 0 {
                in_order.insert(0, 0);
            }
            assert_eq!(in_order.pop(), Some(index));
            assert!(in_order.waiting.len() <= 40, "{}", in_order.waiting.len());
        }
        assert_eq!(in_order.pop(), Some(1000));
        assert_eq!(in_order.pop(), None);
    }

    #[test]
    #[should_panic(expected = "two outputs for item 1")]
    fn an_item_has_one_output() {
        let mut in_order = InOrder::with_capacity(2);
        in_order.insert(1, ());
        in_order.insert(1, ());
    }
}
