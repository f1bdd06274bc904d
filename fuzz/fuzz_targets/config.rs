#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    ecluse_cred::fuzzing::config(data);
});
