//! `--checkpoint`, `--checkpoint-every` and `--resume` of the long-running commands: when to save,
//! what a checkpoint must match to be resumed, and the file's removal once the output is written.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use ising_wgpu::io::{Checkpoint, check_output, read_checkpoint, write_checkpoint};
use ising_wgpu::{Error, Result, Sampler};
use serde_json::{Value, json};

use crate::values::at_least_u64;

/// A checkpoint's default spacing in wall time.
const EVERY: Duration = Duration::from_secs(60);

/// Flags of a command that can be stopped and resumed.
#[derive(clap::Args)]
pub(crate) struct CheckpointArgs {
    /// Save the run's state to this file as it goes (each time whole, or not at all), and remove it
    /// once the output is written; continue a killed run with --resume FILE.
    #[arg(long, value_name = "FILE")]
    checkpoint: Option<PathBuf>,
    /// Save a checkpoint every this many sweeps, or gradient steps for train (default: about every
    /// 60 seconds).
    #[arg(long, value_name = "SWEEPS", value_parser = at_least_u64, requires = "checkpoint")]
    checkpoint_every: Option<u64>,
    /// Continue the run saved in this checkpoint, with the same command, arguments and backend:
    /// the output is bit for bit that of a run never stopped.
    #[arg(long, value_name = "FILE")]
    resume: Option<PathBuf>,
}

/// A run's checkpointing: the arguments that fix its results, and when the next save is due.
pub(crate) struct Checkpointer<'a> {
    args: &'a CheckpointArgs,
    command: &'static str,
    arguments: Value,
    saved_at: Instant,
    saved_done: u64,
}

impl<'a> Checkpointer<'a> {
    /// Checks the checkpoint path as any output's (before the run), and reads the checkpoint to
    /// resume, if any, refusing one of another command.
    pub(crate) fn new(
        args: &'a CheckpointArgs,
        command: &'static str,
    ) -> Result<(Self, Option<Checkpoint>)> {
        let ranks = crate::ranks::ranks();
        if ranks > 1 && (args.checkpoint.is_some() || args.resume.is_some()) {
            return Err(Error::InvalidArgument {
                what: "--checkpoint/--resume",
                why: format!(
                    "checkpoints are written by one process; this run has {ranks} MPI ranks"
                ),
            });
        }
        if let Some(path) = &args.checkpoint {
            // The file being resumed may be replaced; anything else must be a writable target.
            if args.resume.as_ref() != Some(path) {
                check_output(path)?;
            }
        }
        let resumed = match &args.resume {
            Some(path) => {
                let checkpoint = read_checkpoint(path)?;
                let saved = checkpoint.header.get("command").and_then(Value::as_str);
                if saved != Some(command) {
                    return Err(Error::InvalidArgument {
                        what: "--resume",
                        why: format!(
                            "{} is a checkpoint of {}, not of `ising {command}`",
                            path.display(),
                            saved.map_or("an unknown command".into(), |s| format!(
                                "`ising {}`",
                                ising_wgpu::io::shown(s)
                            ))
                        ),
                    });
                }
                Some(checkpoint)
            }
            None => None,
        };
        let me = Checkpointer {
            args,
            command,
            arguments: Value::Null,
            saved_at: Instant::now(),
            saved_done: 0,
        };
        Ok((me, resumed))
    }

    /// Whether the run saves checkpoints.
    pub(crate) fn saving(&self) -> bool {
        self.args.checkpoint.is_some()
    }

    /// Takes the arguments that fix the run's results (with the backend's name) and refuses a
    /// resumed checkpoint saved with other ones, naming the first that differs.
    pub(crate) fn bind(&mut self, arguments: Value, resumed: Option<&Checkpoint>) -> Result<()> {
        if let (Some(checkpoint), Some(path)) = (resumed, &self.args.resume) {
            let saved = checkpoint.header.get("arguments").unwrap_or(&Value::Null);
            if let Some(key) = first_difference(saved, &arguments) {
                let show = |v: Option<&Value>| {
                    ising_wgpu::io::shown(&v.map_or("nothing".into(), Value::to_string))
                };
                return Err(Error::InvalidArgument {
                    what: "--resume",
                    why: format!(
                        "{} was saved with {key} {}; this run has {}: resume with the \
                         arguments (and backend) of the run that saved it",
                        path.display(),
                        show(saved.get(&key)),
                        show(arguments.get(&key))
                    ),
                });
            }
            self.saved_done = checkpoint
                .header
                .get("done")
                .and_then(Value::as_u64)
                .unwrap_or(0);
        }
        self.arguments = arguments;
        Ok(())
    }

    /// [`Checkpointer::bind`] with the sampler's backend among the arguments, then the sampler's
    /// chains restored from the resumed checkpoint, if any.
    pub(crate) fn bind_sampler(
        &mut self,
        mut arguments: Value,
        resumed: Option<&Checkpoint>,
        sampler: &mut dyn Sampler,
    ) -> Result<()> {
        arguments["backend"] = json!(sampler.backend_name());
        self.bind(arguments, resumed)?;
        match resumed {
            Some(checkpoint) => sampler.restore_state(&checkpoint.sampler_state()?),
            None => Ok(()),
        }
    }

    /// Where the resumed checkpoint's run stood (its `done`: sweeps, or gradient steps); 0 for a
    /// fresh run.
    pub(crate) fn resumed_done(&self) -> u64 {
        self.saved_done
    }

    /// The sweeps the next step may run from `done` so that it ends where a save is due.
    pub(crate) fn budget(&self, done: u64) -> u64 {
        match (self.saving(), self.args.checkpoint_every) {
            (true, Some(every)) => every - done % every,
            _ => u64::MAX,
        }
    }

    /// Saves a checkpoint after `done` sweeps when one is due, filled by `fill`.
    pub(crate) fn maybe_save(
        &mut self,
        done: u64,
        fill: impl FnOnce(&mut Checkpoint) -> Result<()>,
    ) -> Result<()> {
        let Some(path) = &self.args.checkpoint else {
            return Ok(());
        };
        let due = match self.args.checkpoint_every {
            Some(every) => done / every > self.saved_done / every,
            None => self.saved_at.elapsed() >= EVERY,
        };
        if !due {
            return Ok(());
        }
        let mut checkpoint = Checkpoint::new(json!({
            "command": self.command,
            "arguments": self.arguments,
            "done": done,
        }));
        fill(&mut checkpoint)?;
        write_checkpoint(path, &checkpoint)?;
        (self.saved_at, self.saved_done) = (Instant::now(), done);
        Ok(())
    }

    /// Removes the checkpoint file once the run's output is written.
    pub(crate) fn finish(&self) -> Result<()> {
        match &self.args.checkpoint {
            Some(path) => match std::fs::remove_file(path) {
                Err(source) if source.kind() != std::io::ErrorKind::NotFound => Err(Error::Io {
                    path: path.clone(),
                    source,
                }),
                _ => Ok(()),
            },
            None => Ok(()),
        }
    }
}

/// The first key of two JSON objects whose values differ (`None` when they agree).
fn first_difference(saved: &Value, now: &Value) -> Option<String> {
    let (Some(saved), Some(now)) = (saved.as_object(), now.as_object()) else {
        return (saved != now).then(|| "arguments".into());
    };
    let keys = now.keys().chain(saved.keys());
    keys.into_iter()
        .find(|k| saved.get(*k) != now.get(*k))
        .cloned()
}

/// A 64-bit FNV-1a digest of `bytes`, to tell inputs apart in a checkpoint's arguments.
pub(crate) fn digest(bytes: &[u8]) -> String {
    let hash = bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    format!("{hash:016x}")
}
