//! A test child for the set's unit tests (under Miri) and its loom models: it runs a
//! future of `u32`, and its handle's part records the result or that it was abandoned.
//! Its lock and flag come from `crate::loom`, so it serves both.

use std::future::Future;

use super::*;

/// What a test child's handle sees.
#[derive(Default)]
pub(super) struct Shared {
    pub(super) result: StdMutex<Option<u32>>,
    pub(super) abandoned: AtomicBool,
}

pin_project_lite::pin_project! {
    pub(super) struct TestChild<F> {
        #[pin]
        fut: F,
    }
}

impl<F> TestChild<F> {
    pub(super) fn new(fut: F) -> Self {
        TestChild { fut }
    }
}

impl<'env, F: Future<Output = u32> + Send + 'env> Child<'env> for TestChild<F> {
    type Shared = Shared;

    fn poll(self: Pin<&mut Self>, node: &Arc<Node<'env, Self>>, cx: &mut Context<'_>) -> Poll<()> {
        let value = std::task::ready!(self.project().fut.poll(cx));
        *lock(&node.shared().result) = Some(value);
        Poll::Ready(())
    }

    fn abandon(shared: &Shared) {
        shared.abandoned.store(true, Ordering::SeqCst);
    }
}

/// A new node for `fut`, inserted in `set`.
pub(super) fn spawn<'env, F: Future<Output = u32> + Send + 'env>(
    set: &mut LocalSet<'env>,
    queue: &Arc<Queue<'env>>,
    fut: F,
) -> Arc<Node<'env, TestChild<F>>> {
    let (owned, node) = queue.node(TestChild::new(fut), Shared::default());
    set.insert(owned);
    node
}

/// The child's result, once it has finished.
pub(super) fn result<'env, C: Child<'env, Shared = Shared>>(node: &Node<'env, C>) -> Option<u32> {
    *lock(&node.shared().result)
}
