//! The waiter slab and the intrusive FIFO queues linked through it.

use super::core::{Entry, Key, NIL, SLOT};

/// Entries by key, with a free list: parking allocates only when the slab grows.
pub(super) struct Slab<T> {
    slots: Vec<Slot<T>>,
    free: Key,
}

enum Slot<T> {
    Occupied(Entry<T>),
    Vacant { next_free: Key },
}

impl<T> Slab<T> {
    pub(super) fn new() -> Self {
        Slab {
            slots: Vec::new(),
            free: NIL,
        }
    }

    pub(super) fn insert(&mut self, entry: Entry<T>) -> Key {
        if self.free != NIL {
            let k = self.free;
            let slot = &mut self.slots[k as usize];
            let Slot::Vacant { next_free } = *slot else {
                unreachable!("the free list links vacant slots only")
            };
            self.free = next_free;
            *slot = Slot::Occupied(entry);
            k
        } else {
            let k = Key::try_from(self.slots.len())
                .ok()
                .filter(|&k| k < SLOT)
                .expect("more than 4 billion parked operations on one channel");
            self.slots.push(Slot::Occupied(entry));
            k
        }
    }

    pub(super) fn get_mut(&mut self, k: Key) -> &mut Entry<T> {
        match &mut self.slots[k as usize] {
            Slot::Occupied(entry) => entry,
            Slot::Vacant { .. } => unreachable!("a key is used only while its entry lives"),
        }
    }

    pub(super) fn remove(&mut self, k: Key) -> Entry<T> {
        let slot = std::mem::replace(
            &mut self.slots[k as usize],
            Slot::Vacant {
                next_free: self.free,
            },
        );
        self.free = k;
        match slot {
            Slot::Occupied(entry) => {
                debug_assert!(!entry.queued, "an entry is unlinked before it is freed");
                entry
            }
            Slot::Vacant { .. } => unreachable!("a key is removed once"),
        }
    }
}

/// A FIFO of entries linked through their `prev`/`next` keys: O(1) push, pop and unlink.
#[derive(Clone, Copy)]
pub(super) struct Queue {
    pub(super) head: Key,
    pub(super) tail: Key,
}

impl Queue {
    pub(super) const EMPTY: Queue = Queue {
        head: NIL,
        tail: NIL,
    };

    pub(super) fn push_back<T>(&mut self, slab: &mut Slab<T>, k: Key) {
        let entry = slab.get_mut(k);
        debug_assert!(!entry.queued);
        entry.queued = true;
        entry.prev = self.tail;
        entry.next = NIL;
        if self.tail == NIL {
            self.head = k;
        } else {
            slab.get_mut(self.tail).next = k;
        }
        self.tail = k;
    }

    pub(super) fn push_front<T>(&mut self, slab: &mut Slab<T>, k: Key) {
        let entry = slab.get_mut(k);
        debug_assert!(!entry.queued);
        entry.queued = true;
        entry.prev = NIL;
        entry.next = self.head;
        if self.head == NIL {
            self.tail = k;
        } else {
            slab.get_mut(self.head).prev = k;
        }
        self.head = k;
    }

    /// Unlinks `k` if it is queued (here: each entry is in at most one queue).
    pub(super) fn unlink<T>(&mut self, slab: &mut Slab<T>, k: Key) {
        let entry = slab.get_mut(k);
        if !entry.queued {
            return;
        }
        entry.queued = false;
        let (prev, next) = (entry.prev, entry.next);
        if prev == NIL {
            self.head = next;
        } else {
            slab.get_mut(prev).next = next;
        }
        if next == NIL {
            self.tail = prev;
        } else {
            slab.get_mut(next).prev = prev;
        }
    }
}
