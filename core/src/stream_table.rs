//! Per-stream state by stream identifier, allocated on first use: without
//! hashing or tree searches (the send queue and the reassembly queue look a
//! stream up several times per message) and without sizing anything for
//! all 65536 streams. Two levels: pages of [`PAGE`] slots, each page
//! allocated when one of its streams is first used.

use crate::types::StreamId;

/// Streams per page of a [`StreamTable`].
const PAGE: usize = 256;

/// A map from [`StreamId`] to `T`, iterated in stream id order.
#[derive(Clone, Debug)]
pub(crate) struct StreamTable<T> {
    pages: Vec<Vec<Option<Box<T>>>>,
}

impl<T> Default for StreamTable<T> {
    fn default() -> Self {
        Self { pages: Vec::new() }
    }
}

impl<T> StreamTable<T> {
    fn split(id: StreamId) -> (usize, usize) {
        let id = usize::from(id.0);
        (id / PAGE, id % PAGE)
    }

    /// The state of stream `id`, if it was created.
    pub(crate) fn get(&self, id: &StreamId) -> Option<&T> {
        let (page, slot) = Self::split(*id);
        self.pages.get(page)?.get(slot)?.as_deref()
    }

    /// The state of stream `id`, mutably, if it was created.
    pub(crate) fn get_mut(&mut self, id: &StreamId) -> Option<&mut T> {
        let (page, slot) = Self::split(*id);
        self.pages.get_mut(page)?.get_mut(slot)?.as_deref_mut()
    }

    /// The state of stream `id`, created (default) on first use.
    pub(crate) fn get_or_default(&mut self, id: StreamId) -> &mut T
    where
        T: Default,
    {
        let (page, slot) = Self::split(id);
        if self.pages.len() <= page {
            self.pages.resize_with(page + 1, Vec::new);
        }
        // In bounds: `page` < pages.len() after the resize, and a used page
        // has PAGE slots while `slot` < PAGE.
        let slots = &mut self.pages[page];
        if slots.is_empty() {
            slots.resize_with(PAGE, || None);
        }
        slots[slot].get_or_insert_with(Box::default)
    }

    /// Removes stream `id`'s state.
    pub(crate) fn remove(&mut self, id: &StreamId) -> Option<T> {
        let (page, slot) = Self::split(*id);
        self.pages.get_mut(page)?.get_mut(slot)?.take().map(|b| *b)
    }

    /// The streams created, in id order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (StreamId, &T)> {
        self.pages.iter().enumerate().flat_map(|(p, slots)| {
            slots.iter().enumerate().filter_map(move |(s, v)| {
                // At most 65536 streams: page * PAGE + slot fits in u16.
                let id = StreamId(u16::try_from(p * PAGE + s).unwrap_or(u16::MAX));
                v.as_deref().map(|v| (id, v))
            })
        })
    }

    /// The states of the streams created, in id order.
    pub(crate) fn values(&self) -> impl Iterator<Item = &T> {
        self.pages.iter().flatten().flatten().map(|b| &**b)
    }

    /// Calls `f` on every stream created, in id order.
    pub(crate) fn for_each_mut(&mut self, f: impl FnMut(&mut T)) {
        self.pages
            .iter_mut()
            .flatten()
            .flatten()
            .map(|b| &mut **b)
            .for_each(f);
    }

    /// The states of all streams, taken out, in id order.
    pub(crate) fn into_values(self) -> impl Iterator<Item = T> {
        self.pages.into_iter().flatten().flatten().map(|b| *b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_created_on_first_use_and_iterated_in_order() {
        let mut t: StreamTable<u32> = StreamTable::default();
        assert!(t.get(&StreamId(3)).is_none());
        *t.get_or_default(StreamId(700)) = 7;
        *t.get_or_default(StreamId(3)) = 3;
        *t.get_or_default(StreamId(65535)) = 9;
        assert_eq!(t.get(&StreamId(3)), Some(&3));
        assert!(t.get(&StreamId(4)).is_none());
        let all: Vec<_> = t.iter().map(|(id, v)| (id.0, *v)).collect();
        assert_eq!(all, [(3, 3), (700, 7), (65535, 9)]);
        if let Some(v) = t.get_mut(&StreamId(700)) {
            *v += 1;
        }
        assert_eq!(t.remove(&StreamId(700)), Some(8));
        assert_eq!(t.remove(&StreamId(700)), None);
        t.for_each_mut(|v| *v *= 2);
        assert_eq!(t.values().copied().collect::<Vec<_>>(), [6, 18]);
        assert_eq!(t.into_values().collect::<Vec<_>>(), [6, 18]);
    }
}
