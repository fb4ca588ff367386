// Entry point of build/boot.wasm, the bootloader. It checks the factory
// data the phone cannot run without and returns the slot to start.
// Signed images in two flash slots come with the image format (see README).
import { event } from "./hal";
import { Ev, Stage } from "./events";
import { factoryLoad } from "./flash/factory";

/** Returns the slot to boot (0 = slot A), or a negative error. */
export function boot(): i32 {
  event(Ev.Stage, Stage.Boot, 0);
  const err = factoryLoad();
  if (err != 0) {
    event(Ev.FactoryBad, err, 0);
    return err;
  }
  return 0;
}
