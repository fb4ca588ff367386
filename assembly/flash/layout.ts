// Where things live in the phone's NOR flash. The host's flash model
// (host/flash.ts) and image tool use the same addresses.
export const SECTOR_SIZE: u32 = 4096;
/** Factory data: MAC, serial, model, signing-key hash; written once at manufacture. */
export const FACTORY_ADDR: u32 = 0;
