//! Fitting a model into a device: chain groups under the binding limit, folded dispatches, size checks.
//! Pure arithmetic, tested without a GPU.

use crate::error::{Error, Result};

/// The device limits the GPU sampler plans with. Tests lower them to exercise splitting and folding
/// on small models.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlanLimits {
    /// Largest storage buffer binding, in bytes.
    pub max_binding_bytes: u64,
    /// Largest buffer, in bytes.
    pub max_buffer_bytes: u64,
    /// Most workgroups in one dispatch dimension.
    pub max_workgroups_per_dim: u32,
    /// Invocations per workgroup of the sampler kernels (`WORKGROUP_SIZE` in `shaders/common.wgsl`);
    /// samples do not depend on it, only speed does.
    pub workgroup_size: u32,
    /// Words of 32 chains each invocation of the general (CSR) update handles: 1, 2 or 4. More share
    /// each neighbour's CSR entry among more chains; fewer spread a few chains over more invocations.
    /// A sampler uses at most as many as a chain group has (rounded up to a power of two); samples
    /// do not depend on it.
    pub words_per_invocation: u32,
    /// How the general update spreads chains over invocations; samples do not depend on it.
    pub general_kernel: GeneralKernel,
    /// How the lattice path's update reads neighbours; samples do not depend on it.
    pub lattice_kernel: LatticeKernel,
}

/// The variants of the lattice path's update, which draw the same numbers; [`crate::GpuSampler::new`]
/// takes the one measured fastest on the adapter ([`crate::tuned_lattice_kernel`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum LatticeKernel {
    /// One invocation per (site of the colour, word), neighbour words read from the buffer.
    #[default]
    Sites,
    /// One workgroup of 128 invocations per tile of 32 x 8 sites of a plane and one word, which reads
    /// the other colour's words of the tile and its halo once into workgroup memory.
    Tiles,
}

/// The variants of the general (CSR) update, which draw the same numbers; [`PlanLimits::tuned`]
/// measures which is fastest on an adapter.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum GeneralKernel {
    /// One invocation per (node, run of [`PlanLimits::words_per_invocation`] words), each chain's
    /// field in a register of its own: few, wide invocations, the shape CPU drivers run best.
    #[default]
    Words,
    /// One invocation per (node, chain); the 32 lanes of a word share its Philox calls and assemble
    /// it in workgroup memory. Needs a workgroup size that is a multiple of 32, at most 256.
    Lanes,
    /// As [`GeneralKernel::Lanes`], sharing by subgroup shuffle and assembling by ballot. Needs
    /// `wgpu::Features::SUBGROUP` and a workgroup size that is also a multiple of the adapter's
    /// largest subgroup.
    Ballot,
}

impl GeneralKernel {
    /// Every variant, for measurement and tests.
    pub const ALL: [GeneralKernel; 3] = [
        GeneralKernel::Words,
        GeneralKernel::Lanes,
        GeneralKernel::Ballot,
    ];

    /// Why the variant cannot run with `workgroup_size` on a device with `features` and subgroups
    /// of at most `max_subgroup` invocations, or `None` when it can.
    pub fn unavailable(
        self,
        workgroup_size: u32,
        features: wgpu::Features,
        max_subgroup: u32,
    ) -> Option<String> {
        let lanes = workgroup_size.is_multiple_of(32) && workgroup_size <= 256;
        match self {
            GeneralKernel::Words => None,
            _ if !lanes => Some(format!(
                "{self:?} needs a workgroup size that is a multiple of 32 up to 256, not {workgroup_size}"
            )),
            GeneralKernel::Lanes => None,
            GeneralKernel::Ballot if !features.contains(wgpu::Features::SUBGROUP) => {
                Some("Ballot needs subgroup operations, which this device lacks".to_string())
            }
            GeneralKernel::Ballot if !workgroup_size.is_multiple_of(max_subgroup.max(1)) => {
                Some(format!(
                    "Ballot needs a workgroup size that is a multiple of the largest subgroup ({max_subgroup}), not {workgroup_size}"
                ))
            }
            GeneralKernel::Ballot => None,
        }
    }
}

impl PlanLimits {
    /// The limits of a device.
    pub fn of_device(limits: &wgpu::Limits) -> Self {
        PlanLimits {
            max_binding_bytes: limits.max_storage_buffer_binding_size,
            max_buffer_bytes: limits.max_buffer_size,
            max_workgroups_per_dim: limits.max_compute_workgroups_per_dimension,
            workgroup_size: 64.min(limits.max_compute_invocations_per_workgroup),
            words_per_invocation: 1,
            general_kernel: GeneralKernel::Words,
            lattice_kernel: LatticeKernel::Sites,
        }
    }

    /// The largest size a single storage buffer may have.
    pub(crate) fn max_storage(&self) -> u64 {
        self.max_binding_bytes.min(self.max_buffer_bytes)
    }

    /// An error unless a storage buffer of `bytes` fits.
    pub(crate) fn check_storage(
        &self,
        what: impl FnOnce() -> String,
        bytes: u64,
        hint: &'static str,
    ) -> Result<()> {
        if bytes <= self.max_storage() {
            return Ok(());
        }
        let binding_bound = self.max_binding_bytes <= self.max_buffer_bytes;
        Err(Error::DeviceLimit {
            what: what(),
            bytes,
            limit: self.max_storage(),
            limit_name: if binding_bound {
                "max_storage_buffer_binding_size"
            } else {
                "max_buffer_size"
            },
            hint,
        })
    }

    /// Workgroups of `workgroup_size` invocations covering `invocations`.
    pub(crate) fn workgroups(&self, invocations: u64) -> u64 {
        invocations.div_ceil(u64::from(self.workgroup_size.max(1)))
    }

    /// `groups` workgroups as `(x, y)`, folded into a second dimension past the per-dimension limit;
    /// kernels rebuild the linear index from `num_workgroups`.
    pub(crate) fn fold(&self, groups: u64) -> Result<(u32, u32)> {
        let max = u64::from(self.max_workgroups_per_dim);
        let x = groups.min(max);
        let y = if x == 0 { 0 } else { groups.div_ceil(x) };
        if y > max {
            return Err(Error::invalid(
                "dispatch",
                format!("{groups} workgroups exceed {max} x {max}"),
            ));
        }
        Ok((x as u32, y as u32))
    }
}

/// How many CSR entries (8 bytes each) go into the first of the two adjacency bindings: all of them
/// when they fit one binding, else as many as fit, the rest in the second; an error past two.
pub(crate) fn split_adjacency(entries: usize, limits: &PlanLimits) -> Result<usize> {
    let per_binding = (limits.max_storage() / 8) as usize;
    if entries <= per_binding {
        return Ok(entries);
    }
    limits.check_storage(
        || format!("the second half of the CSR adjacency ({entries} entries of 8 bytes in all)"),
        8 * (entries - per_binding) as u64,
        "the graph has more than twice the edges one binding holds",
    )?;
    Ok(per_binding)
}

/// A contiguous range of 32-chain words that lives in its own spin buffer. Chains never interact,
/// so a model whose spins exceed one binding runs as several groups.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ChainGroup {
    /// Global index of the first word.
    pub(crate) word_offset: usize,
    /// Words per node in this group.
    pub(crate) words: usize,
    /// Chains in this group.
    pub(crate) chains: usize,
}

/// Bytes of moment counts per word of chains at most: 32 bit planes (as many bits as one `u32` per
/// chain) for every node and edge; fewer samples need fewer planes.
pub(crate) fn count_bytes_per_word(nodes: usize, edges: usize) -> u64 {
    32 * 4 * (nodes + edges) as u64
}

/// Splits `chains` into groups whose spin buffer (and, where one word's worth fits at all, moment
/// count buffer) stays within the binding limit, each a multiple of `limits.words_per_invocation`
/// words where that fits; an error if even 32 chains' spins do not fit.
pub(crate) fn plan_groups(
    nodes: usize,
    edges: usize,
    chains: usize,
    limits: &PlanLimits,
) -> Result<Vec<ChainGroup>> {
    let words = chains.div_ceil(32);
    let spin_bytes = 4 * nodes as u64;
    limits.check_storage(
        || format!("the spins of 32 chains of {nodes} nodes"),
        spin_bytes,
        "the model is too large for this device",
    )?;
    let counts = count_bytes_per_word(nodes, edges);
    let per_word = if counts <= limits.max_storage() {
        spin_bytes.max(counts)
    } else {
        spin_bytes
    };
    // Keep every index a kernel computes (items x words) inside u32.
    let index_cap = u64::from(u32::MAX) / (nodes + edges).max(1) as u64;
    let fit = (limits.max_storage() / per_word).min(index_cap).max(1) as usize;
    // Whole runs of the general kernel's words per invocation where a group holds more than one.
    let run = limits.words_per_invocation.max(1) as usize;
    let per_group = if fit >= run { fit - fit % run } else { fit };
    Ok((0..words)
        .step_by(per_group)
        .map(|w0| {
            let w1 = (w0 + per_group).min(words);
            ChainGroup {
                word_offset: w0,
                words: w1 - w0,
                chains: (32 * w1).min(chains) - 32 * w0,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(binding: u64, dim: u32) -> PlanLimits {
        PlanLimits {
            max_binding_bytes: binding,
            max_buffer_bytes: u64::MAX,
            max_workgroups_per_dim: dim,
            workgroup_size: 64,
            words_per_invocation: 1,
            general_kernel: GeneralKernel::Words,
            lattice_kernel: LatticeKernel::Sites,
        }
    }

    #[test]
    fn groups_cover_every_chain_within_the_binding_limit() {
        // 10 nodes, 5 edges: counts need 32 * 4 * 15 = 1920 bytes a word; allow 2 words a group.
        let groups = plan_groups(10, 5, 150, &limits(4000, 65535)).unwrap();
        assert_eq!(
            groups,
            vec![
                ChainGroup {
                    word_offset: 0,
                    words: 2,
                    chains: 64
                },
                ChainGroup {
                    word_offset: 2,
                    words: 2,
                    chains: 64
                },
                ChainGroup {
                    word_offset: 4,
                    words: 1,
                    chains: 22
                },
            ]
        );
        assert_eq!(
            plan_groups(10, 5, 150, &limits(1 << 30, 65535))
                .unwrap()
                .len(),
            1
        );
        let e = plan_groups(2000, 0, 1, &limits(4000, 65535))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("the spins of 32 chains of 2000 nodes needs 8000 bytes"),
            "{e}"
        );
        assert!(e.contains("max_storage_buffer_binding_size"), "{e}");
    }

    #[test]
    fn groups_hold_whole_runs_of_words_per_invocation_where_they_fit() {
        // 1920 bytes of counts a word: room for 5 words a group, or 3.
        let sizes = |binding, words_per_invocation| -> Vec<usize> {
            let limits = PlanLimits {
                words_per_invocation,
                ..limits(binding, 65535)
            };
            let groups = plan_groups(10, 5, 32 * 12, &limits).unwrap();
            groups.iter().map(|g| g.words).collect()
        };
        assert_eq!(sizes(5 * 1920, 1), [5, 5, 2]);
        assert_eq!(sizes(5 * 1920, 2), [4, 4, 4]);
        assert_eq!(sizes(5 * 1920, 4), [4, 4, 4]);
        assert_eq!(sizes(3 * 1920, 4), [3, 3, 3, 3]);
    }

    #[test]
    fn adjacency_splits_into_two_bindings_at_most() {
        assert_eq!(split_adjacency(100, &limits(800, 65535)).unwrap(), 100);
        assert_eq!(split_adjacency(150, &limits(800, 65535)).unwrap(), 100);
        assert_eq!(split_adjacency(200, &limits(800, 65535)).unwrap(), 100);
        let e = split_adjacency(201, &limits(800, 65535))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("the second half of the CSR adjacency (201 entries"),
            "{e}"
        );
    }

    #[test]
    fn large_dispatches_fold_into_two_dimensions() {
        let l = limits(1 << 30, 100);
        let fold = |invocations| l.fold(l.workgroups(invocations));
        assert_eq!(fold(0).unwrap(), (0, 0));
        assert_eq!(fold(64 * 100).unwrap(), (100, 1));
        assert_eq!(fold(64 * 100 + 1).unwrap(), (100, 2));
        assert_eq!(fold(64 * 100 * 100).unwrap(), (100, 100));
        assert!(fold(64 * 100 * 100 + 1).is_err());
    }
}
