//! [`Completion`]: a future that a wgpu callback completes (buffer mapped, submitted work done).

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

/// The value a callback hands over, and the task waiting for it.
struct Slot<T> {
    value: Option<T>,
    waker: Option<Waker>,
}

/// Completes with the value the callback of [`completion`] is called with. wgpu calls callbacks when
/// the device is polled or work is submitted, so on native backends someone must poll.
pub(crate) struct Completion<T> {
    slot: Arc<Mutex<Slot<T>>>,
}

/// A callback for wgpu and the future it completes.
pub(crate) fn completion<T: Send + 'static>() -> (impl FnOnce(T) + Send + 'static, Completion<T>) {
    let slot = Arc::new(Mutex::new(Slot {
        value: None,
        waker: None,
    }));
    let shared = Arc::clone(&slot);
    let callback = move |value: T| {
        let waker = {
            let mut slot = shared.lock().unwrap_or_else(|e| e.into_inner());
            slot.value = Some(value);
            slot.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    };
    (callback, Completion { slot })
}

impl<T> Future for Completion<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let mut slot = self.slot.lock().unwrap_or_else(|e| e.into_inner());
        match slot.value.take() {
            Some(value) => Poll::Ready(value),
            None => {
                slot.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}
