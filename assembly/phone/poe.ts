// The powered-device (PD) front end: what the switch (PSE) sees on the
// cable while the phone is dark, and the relay of Cisco's pre-standard
// inline power. On a real phone this is analogue hardware (diode bridge,
// signature resistor, class current sink, a normally closed relay and the
// PD controller's thresholds); here it is a few numbers and a tiny state
// machine, so that the host can probe it through exports that need no
// running firmware: no poll, no factory data, no hal call.
//
// Units: millivolts in, microamperes out. Figures are IEEE 802.3 clause 33
// (802.3af/at): 33.3.5 PD detection signature (Table 33-14: 23.75-26.25 kOhm
// between 2.7 and 10.1 V, offset voltage under 1.9 V), 33.3.6 classification
// (Table 33-16: class current at 14.5-20.5 V), the 802.3at mark event
// (Table 33-17: 6.9-10.1 V, 0.25-4 mA, under 12 kOhm; mark threshold
// 10.1-14.5 V; reset threshold 2.81-6.9 V), and 33.3.7 power on/off (a PD
// turns on at or below 42 V and off at or above 30 V).

/** Both polarities work through the input diode bridge; two diodes drop about 1 V at signature currents (under V_offset 1.9 V). */
const BRIDGE_MV = 1000;
/** The signature resistor: 25 kOhm, the middle of the PD's 23.75-26.25 kOhm. */
const SIGNATURE_OHMS = 25_000;
/** In the mark state (after a class event) the PD shows a low resistance: under 12 kOhm, 0.25-4 mA at 6.9-10.1 V. */
const MARK_OHMS = 10_000;
/** Class current on above this (rising); the standard's V_Mark_th band is 10.1-14.5 V. */
const CLASS_ON_MV = 12_500;
/** ...and off below this (falling): 1.5 V of hysteresis, as PD controllers have. */
const CLASS_OFF_MV = 11_000;
/** Above the 14.5-20.5 V classification range the class sink turns off again. */
const CLASS_UPPER_MV = 22_000;
/** Below this the PD forgets class events (back to detection); inside V_Reset_th 2.81-6.9 V. */
const RESET_MV = 4_000;
/** The PD powers up at or below 42 V (V_On) and down at or above 30 V (V_Off). */
const UVLO_ON_MV = 39_000;
const UVLO_OFF_MV = 31_000;

/**
 * The class a 7960-like phone presents. A 7960 draws about 6.3 W (what it
 * asks for in CDP, see POE_POWER_MW): inside class 2's 3.84-6.49 W at the
 * PD, so the PSE budgets 7.0 W instead of class 0's 15.4 W. There is no
 * factory-data field for it: the class is a property of the board (its
 * R_class resistor), hence a build-time constant.
 */
export const POE_CLASS_DEFAULT = 2;
/** What the phone draws once powered (mW); discovery.ts asks CDP/LLDP for the same. */
export const POE_POWER_MW: i32 = 6300;

/** Class current sunk at 14.5-20.5 V, µA: the middle of Table 33-16's 0-4, 9-12, 17-20, 26-30, 36-44 mA. */
const CLASS_UA = memory.data<i32>([2_000, 10_500, 18_500, 28_000, 40_000]);

const enum PdState { Detect = 0, Class = 1, Mark = 2 }

let pdClass: i32 = POE_CLASS_DEFAULT;
let state = PdState.Detect;
let classEvents: i32 = 0;
let powered = false;

/** While unpowered the relay bridges the receive and transmit pairs: the switch's Fast Link Pulses come back. */
export function poeFlpLoopback(): bool {
  return !powered;
}

export function poePowered(): bool {
  return powered;
}

export function poeClass(): i32 {
  return pdClass;
}

/** Class events seen since the last reset: 2 after an 802.3at two-event classification. */
export function poeClassEvents(): i32 {
  return classEvents;
}

/** Sets the class (0-4) the PD presents; refused while powered (the PSE already counted on the old one). */
export function poeSetClass(c: i32): bool {
  if (powered || c < 0 || c > 4) return false;
  pdClass = c;
  pdReset();
  return true;
}

/** The PSE applied (true) or removed (false) its -48 V: the relay opens or closes. */
export function poePowerGood(on: bool): void {
  powered = on;
  pdReset();
}

function pdReset(): void {
  state = PdState.Detect;
  classEvents = 0;
}

/** µA through a resistance of `ohms` behind the diode bridge at `mv` (rounded). */
function throughResistor(mv: i64, ohms: i64): i32 {
  if (mv <= BRIDGE_MV) return 0;
  return <i32>(((mv - BRIDGE_MV) * 1000 + ohms / 2) / ohms);
}

/**
 * The current (µA) the PD draws with `mv` across its input, either
 * polarity. The PSE's probe is a sequence of voltages, and the PD follows
 * it as the standard's PD state diagram does: a class event above the
 * class-on threshold, the mark state when the voltage falls back into
 * 6.9-10.1 V, a reset below the reset threshold. At or above the turn-on
 * voltage the PD powers up (as poe_power_good(1)) and draws its operating
 * current; below the turn-off voltage it is dark again.
 */
export function poeCurrentUa(mv: i32): i32 {
  let v = <i64>mv;
  if (v < 0) v = -v;
  if (powered && v < UVLO_OFF_MV) poePowerGood(false);
  if (!powered && v >= UVLO_ON_MV) poePowerGood(true);
  if (powered) return <i32>((<i64>POE_POWER_MW * 1_000_000 + v / 2) / v);
  if (v < RESET_MV) pdReset();
  if (state == PdState.Detect || state == PdState.Mark) {
    if (v >= CLASS_ON_MV) {
      state = PdState.Class;
      classEvents++;
    } else {
      return throughResistor(v, state == PdState.Detect ? SIGNATURE_OHMS : MARK_OHMS);
    }
  }
  // The class state.
  if (v > CLASS_UPPER_MV) return 0;
  if (v >= CLASS_OFF_MV) return load<i32>(CLASS_UA + (<usize>pdClass << 2));
  state = PdState.Mark;
  return throughResistor(v, MARK_OHMS);
}
