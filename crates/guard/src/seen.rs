//! The ids of the latest events, to recognise a duplicate delivery
//! (EventBridge delivers at least once).

use std::collections::{HashSet, VecDeque};

/// How many event ids are remembered to recognise a duplicate delivery.
const REMEMBERED_EVENTS: usize = 10_000;

/// The ids of the latest events, to recognise a duplicate delivery.
#[derive(Default)]
pub(crate) struct Seen {
    ids: HashSet<String>,
    order: VecDeque<String>,
}

impl Seen {
    /// Remembers `id`; false when it was remembered already.
    pub(crate) fn insert(&mut self, id: &str) -> bool {
        if !self.ids.insert(id.to_owned()) {
            return false;
        }
        self.order.push_back(id.to_owned());
        if self.order.len() > REMEMBERED_EVENTS
            && let Some(oldest) = self.order.pop_front()
        {
            self.ids.remove(&oldest);
        }
        true
    }

    pub(crate) fn forget(&mut self, id: &str) {
        self.ids.remove(id);
        self.order.retain(|kept| kept != id);
    }
}
