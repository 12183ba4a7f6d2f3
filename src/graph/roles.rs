//! [`NodeRoles`]: which list each node was first named in, so a node out of range or named twice is
//! reported with both places.

use crate::error::{Error, Result};

/// Records, for each of `n` nodes, the first list that named it.
pub(crate) struct NodeRoles {
    owner: Vec<Option<String>>,
}

impl NodeRoles {
    /// No node named yet.
    pub(crate) fn new(num_nodes: usize) -> Self {
        NodeRoles {
            owner: vec![None; num_nodes],
        }
    }

    /// Names `node` in `place`: an error if it is out of range or already named.
    pub(crate) fn claim(&mut self, node: u32, place: &str) -> Result<()> {
        let num_nodes = self.owner.len();
        let slot = self
            .owner
            .get_mut(node as usize)
            .ok_or_else(|| Error::NodeOutOfRange {
                what: place.to_string(),
                node: u64::from(node),
                num_nodes,
            })?;
        if let Some(first) = slot.take() {
            return Err(Error::NodeListedTwice {
                node,
                first,
                second: place.to_string(),
            });
        }
        *slot = Some(place.to_string());
        Ok(())
    }

    /// The first node no list named.
    pub(crate) fn first_unclaimed(&self) -> Option<u32> {
        self.owner
            .iter()
            .position(Option::is_none)
            .map(|i| i as u32)
    }

    /// Whether `node` was named.
    pub(crate) fn is_claimed(&self, node: usize) -> bool {
        self.owner[node].is_some()
    }
}
