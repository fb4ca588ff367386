// Test-only entry (build/testing/flash-harness.wasm, see host/boot/harness.ts):
// the firmware's flash code (slot writer, trailer flags, preferences, boot
// record) as flash/harness.ts exposes it, run by the host on its flash model
// with power cuts.
export * from "../flash/harness";
