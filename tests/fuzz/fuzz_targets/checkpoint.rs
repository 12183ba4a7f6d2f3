//! Checkpoint files: any bytes read to a checkpoint or an error naming the file, never a panic or an
//! allocation the file's size does not justify; a checkpoint read writes back to the same bytes'
//! meaning, and its sampler state and best-so-far are taken or refused cleanly.
#![no_main]

use ising_wgpu::io::Checkpoint;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match Checkpoint::from_bytes(data, "fuzz.ck") {
        Ok(checkpoint) => {
            let again = Checkpoint::from_bytes(&checkpoint.to_bytes(), "written")
                .expect("our own file reads");
            assert_eq!(again, checkpoint);
            if let Ok(state) = checkpoint.sampler_state() {
                let _ = state.check(state.spins.nrows(), state.spins.ncols());
            }
            let _ = checkpoint.best();
        }
        Err(e) => assert!(e.to_string().starts_with("fuzz.ck, line")),
    }
});
