#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    ecluse_cred::fuzzing::mint_response(data);
});
