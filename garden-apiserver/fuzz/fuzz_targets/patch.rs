// The macro defines the C entry point libFuzzer calls (`#[no_mangle] extern "C"`), so no `forbid(unsafe_code)` here.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    garden_apiserver::fuzzing::patch(data);
});
