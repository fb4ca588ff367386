// as-pect runs the firmware's unit tests (assembly/__tests__) in Node.
// The hal imports are stand-ins: transmitted frames stay readable in the
// firmware's txBuf, and random() is a fixed sequence so tests repeat.
let seed = 1;
let transmitted = 0;

export default {
  // IPPHONE_ASPECT_SPECS=dhcp,tcp runs only those specs (tests/run.js dhcp.spec sets it).
  entries: process.env.IPPHONE_ASPECT_SPECS
    ? process.env.IPPHONE_ASPECT_SPECS.split(",").map((name) => `assembly/__tests__/${name}.spec.ts`)
    : ["assembly/__tests__/**/*.spec.ts"],
  include: [],
  disclude: [/node_modules/],
  async instantiate(memory, createImports, instantiate, binary) {
    const hal = {
      mac_tx: () => { transmitted++; },
      flash_read: () => -1,
      flash_program: () => -1,
      flash_erase: () => -1,
      random: () => {
        seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
        return seed | 0;
      },
      event: () => {},
      lcd: () => {},
      log: () => {},
      watchdog_kick: () => {},
      reset: () => {},
    };
    return instantiate(binary, createImports({ env: { memory }, hal }));
  },
  outputBinary: false,
};
