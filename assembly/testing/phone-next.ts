// The "next" firmware build for the upgrade tests (AssemblyScript, compiled
// by host/build-wasm.js into build/testing/phone-next.wasm for
// tests/upgrade.test.ts): the phone, plus a value only this build returns.
export * from "../phone";

export function build_id(): i32 {
  return 2;
}
