// Big-endian (network order) field access, and capture-file fields in either order. The only place bytes are swapped.

// @ts-ignore: decorator
@inline export function ld8(p: usize): u32 { return <u32>load<u8>(p); }
// @ts-ignore: decorator
@inline export function ld16(p: usize): u32 { return <u32>bswap<u16>(load<u16>(p)); }
// @ts-ignore: decorator
@inline export function ld32(p: usize): u32 { return bswap<u32>(load<u32>(p)); }
// @ts-ignore: decorator
@inline export function st8(p: usize, v: u32): void { store<u8>(p, <u8>v); }
// @ts-ignore: decorator
@inline export function st16(p: usize, v: u32): void { store<u16>(p, bswap<u16>(<u16>v)); }
// @ts-ignore: decorator
@inline export function st32(p: usize, v: u32): void { store<u32>(p, bswap<u32>(v)); }

// Capture-file fields, in the byte order of their file or section (`le`: little-endian).
// @ts-ignore: decorator
@inline export function ldOrder16(p: usize, le: bool): u32 { let v = load<u16>(p); return <u32>(le ? v : bswap<u16>(v)); }
// @ts-ignore: decorator
@inline export function ldOrder32(p: usize, le: bool): u32 { let v = load<u32>(p); return le ? v : bswap<u32>(v); }
// @ts-ignore: decorator
@inline export function stOrder32(p: usize, v: u32, le: bool): void { store<u32>(p, le ? v : bswap<u32>(v)); }

/** A port (host order) as the raw u16 that a load<u16> of its wire bytes gives, and back. */
// @ts-ignore: decorator
@inline export function portRaw(port: u32): u32 { return <u32>bswap<u16>(<u16>port); }
// @ts-ignore: decorator
@inline export function portOfRaw(raw: u32): u32 { return <u32>bswap<u16>(<u16>raw); }
