//! The empty module `wasm_size_probe` is measured against (see `scripts/wasm-size-shared.sh`).
#![allow(unsafe_code)] // `no_mangle` exports without wasm-bindgen.

#[unsafe(no_mangle)]
pub extern "C" fn probe(len: usize, now: u64) -> u32 {
    (len as u64 ^ now) as u32
}
