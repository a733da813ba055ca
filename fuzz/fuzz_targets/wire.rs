#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tenpoint_fuzz::wire::check(data));
