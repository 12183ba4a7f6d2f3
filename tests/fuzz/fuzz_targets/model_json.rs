//! Model JSON: any bytes parse to a model or an error, never a panic; a model parsed writes back to
//! JSON that parses to the same model.
#![no_main]

use ising_wgpu::io::{model_to_json, parse_model_json};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(model) = parse_model_json(text, "fuzz") {
        let again =
            parse_model_json(&model_to_json(&model), "written").expect("our own JSON parses");
        assert_eq!(again, model);
    }
});
