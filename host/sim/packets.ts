// The wire formats live in host/wire/, one file per protocol. This name is
// kept only for host/commands/args.ts, which another change is reworking;
// import from host/wire/ instead.
export { parseMac } from '../wire/address.js';
