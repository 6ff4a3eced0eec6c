//! crossfire's channels for both families: one type per module and flavour, each
//! registered by `peers_async` and `peers_blocking` where it fits.
//!
//! crossfire's docs pick the module by the shape (`spsc` for one producer and one
//! consumer, `mpsc` for one consumer, `mpmc` otherwise: the fewer ends, the cheaper the
//! waker registration) and the flavour by the capacity (`One` for capacity 1, `Array` for
//! a bound, `List` for unbounded). The peers list the types most specialised first, so a
//! cell gets the first that fits: `spsc` at 1 → 1, `mpsc` at N → 1, `mpmc` at N → N.
//! crossfire has no rendezvous channel (`Array::new(0)` is a capacity-1 channel), so
//! capacity 0 is n/a. Its unbounded channels send without awaiting: their async flavour
//! pairs a blocking sender (`Tx`/`MTx`) with an async receiver, as its
//! `unbounded_async` constructors do.

use std::future::{Future, ready};

use crossfire::flavor::Flavor;
use crossfire::{AsyncRx, AsyncTx, MAsyncRx, MAsyncTx, MRx, MTx, Rx, Tx, mpmc, mpsc, spsc};
use futures_util::FutureExt;

use crate::cells::Cap;
use crate::peers_async::AsyncChan;
use crate::peers_blocking::BlockingChan;

/// Another handle to the same end of a channel; `None` for a single-producer or
/// single-consumer end, which crossfire's types make not `Clone`.
trait End: Sized {
    fn clone_end(&self) -> Option<Self>;
}

macro_rules! ends {
    (single: $($ty:ident),*; multi: $($mty:ident),*) => {
        $(impl<F: Flavor> End for $ty<F> {
            fn clone_end(&self) -> Option<Self> {
                None
            }
        })*
        $(impl<F: Flavor> End for $mty<F> {
            fn clone_end(&self) -> Option<Self> {
                Some(self.clone())
            }
        })*
    };
}

ends!(single: AsyncTx, AsyncRx, Tx, Rx; multi: MAsyncTx, MAsyncRx, MTx, MRx);

/// A sender the async cells await on: the async senders of bounded channels, and the
/// blocking senders of unbounded ones (which never block).
trait AsyncSend {
    fn send_async(&self, v: u64) -> impl Future<Output = ()> + Send;
}

impl<F: Flavor<Item = u64>> AsyncSend for AsyncTx<F> {
    fn send_async(&self, v: u64) -> impl Future<Output = ()> + Send {
        self.send(v).map(Result::unwrap)
    }
}

impl<F: Flavor<Item = u64>> AsyncSend for MAsyncTx<F> {
    fn send_async(&self, v: u64) -> impl Future<Output = ()> + Send {
        self.send(v).map(Result::unwrap)
    }
}

impl<F: Flavor<Item = u64>> AsyncSend for Tx<F> {
    fn send_async(&self, v: u64) -> impl Future<Output = ()> + Send {
        self.send(v).unwrap();
        ready(())
    }
}

impl<F: Flavor<Item = u64>> AsyncSend for MTx<F> {
    fn send_async(&self, v: u64) -> impl Future<Output = ()> + Send {
        self.send(v).unwrap();
        ready(())
    }
}

/// A receiver the async cells await on.
trait AsyncRecv {
    fn recv_async(&self) -> impl Future<Output = Option<u64>> + Send;
}

impl<F: Flavor<Item = u64>> AsyncRecv for AsyncRx<F> {
    fn recv_async(&self) -> impl Future<Output = Option<u64>> + Send {
        self.recv().map(Result::ok)
    }
}

impl<F: Flavor<Item = u64>> AsyncRecv for MAsyncRx<F> {
    fn recv_async(&self) -> impl Future<Output = Option<u64>> + Send {
        self.recv().map(Result::ok)
    }
}

/// `name: module::Flavour, capacity => constructor, (async Tx, Rx), (blocking Tx, Rx);`
/// defines `name` with an [`AsyncChan`] and a [`BlockingChan`] impl. The constructor is
/// crossfire's generic `new`/`build`, which builds either pair from the types.
macro_rules! crossfire {
    ($($name:ident: $module:ident::$flavour:ident, $cap:pat => $new:expr,
        ($atx:ident, $arx:ident), ($btx:ident, $brx:ident);)*) => {$(
        pub(crate) struct $name;

        impl AsyncChan for $name {
            type Tx = $atx<$module::$flavour<u64>>;
            type Rx = $arx<$module::$flavour<u64>>;
            fn channel(cap: Cap) -> Option<(Self::Tx, Self::Rx)> {
                match cap {
                    $cap => Some($new),
                    _ => None,
                }
            }
            fn clone_tx(tx: &Self::Tx) -> Option<Self::Tx> {
                tx.clone_end()
            }
            fn clone_rx(rx: &Self::Rx) -> Option<Self::Rx> {
                rx.clone_end()
            }
            fn send(tx: &Self::Tx, v: u64) -> impl Future<Output = ()> + Send {
                tx.send_async(v)
            }
            fn recv(rx: &mut Self::Rx) -> impl Future<Output = Option<u64>> + Send {
                rx.recv_async()
            }
        }

        impl BlockingChan for $name {
            type Tx = $btx<$module::$flavour<u64>>;
            type Rx = $brx<$module::$flavour<u64>>;
            fn channel(cap: Cap) -> Option<(Self::Tx, Self::Rx)> {
                match cap {
                    $cap => Some($new),
                    _ => None,
                }
            }
            fn clone_tx(tx: &Self::Tx) -> Option<Self::Tx> {
                tx.clone_end()
            }
            fn clone_rx(rx: &Self::Rx) -> Option<Self::Rx> {
                rx.clone_end()
            }
            fn send(tx: &Self::Tx, v: u64) {
                tx.send(v).unwrap();
            }
            fn recv(rx: &mut Self::Rx) -> Option<u64> {
                rx.recv().ok()
            }
        }
    )*};
}

crossfire! {
    SpscOne: spsc::One, Cap::Bounded(1) => spsc::new(), (AsyncTx, AsyncRx), (Tx, Rx);
    SpscArray: spsc::Array, Cap::Bounded(n @ 2..) => spsc::build(spsc::Array::new(n)),
        (AsyncTx, AsyncRx), (Tx, Rx);
    SpscList: spsc::List, Cap::Unbounded => spsc::new(), (Tx, AsyncRx), (Tx, Rx);
    MpscOne: mpsc::One, Cap::Bounded(1) => mpsc::new(), (MAsyncTx, AsyncRx), (MTx, Rx);
    MpscArray: mpsc::Array, Cap::Bounded(n @ 2..) => mpsc::build(mpsc::Array::new(n)),
        (MAsyncTx, AsyncRx), (MTx, Rx);
    MpscList: mpsc::List, Cap::Unbounded => mpsc::new(), (MTx, AsyncRx), (MTx, Rx);
    MpmcOne: mpmc::One, Cap::Bounded(1) => mpmc::new(), (MAsyncTx, MAsyncRx), (MTx, MRx);
    MpmcArray: mpmc::Array, Cap::Bounded(n @ 2..) => mpmc::build(mpmc::Array::new(n)),
        (MAsyncTx, MAsyncRx), (MTx, MRx);
    MpmcList: mpmc::List, Cap::Unbounded => mpmc::new(), (MTx, MAsyncRx), (MTx, MRx);
}
