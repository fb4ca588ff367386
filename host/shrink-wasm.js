// A second Binaryen pass over the release firmware after asc: the same
// optimizer with a little more inlining of tiny functions (record field
// setters, one-line accessors), which asc's shrink level leaves as calls.
// Semantics-preserving; it makes phone.wasm about 2 % smaller.
import binaryen from "binaryen";
import { readFileSync, writeFileSync } from "node:fs";

export function shrinkWasm(file) {
  const module = binaryen.readBinary(readFileSync(file));
  module.setFeatures(binaryen.Features.All);
  binaryen.setOptimizeLevel(2);
  binaryen.setShrinkLevel(2);
  binaryen.setAlwaysInlineMaxSize(4);
  binaryen.setFlexibleInlineMaxSize(40);
  for (let i = 0; i < 3; i++) module.optimize();
  if (!module.validate()) throw new Error(`${file}: Binaryen's output does not validate`);
  writeFileSync(file, module.emitBinary());
  module.dispose();
}
