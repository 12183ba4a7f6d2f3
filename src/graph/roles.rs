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
            let second = if first == place {
                "again in the same list".to_string()
            } else {
                place.to_string()
            };
            return Err(Error::NodeListedTwice {
                node,
                first,
                second,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_node_named_twice_names_both_places() {
        let mut roles = NodeRoles::new(4);
        roles.claim(2, "block 0").unwrap();
        let err = roles.claim(2, "the clamped nodes").unwrap_err().to_string();
        assert_eq!(err, "node 2 appears twice: block 0 and the clamped nodes");
        roles.claim(3, "the clamped nodes").unwrap();
        let err = roles.claim(3, "the clamped nodes").unwrap_err().to_string();
        assert_eq!(
            err,
            "node 3 appears twice: the clamped nodes and again in the same list"
        );
        assert!(roles.claim(4, "block 1").is_err());
    }
}
