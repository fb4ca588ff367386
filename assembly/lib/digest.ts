// HTTP Digest's response (RFC 2617 §3.2.2, RFC 8760 §2 with MD5) as SIP
// uses it (RFC 3261 §22.4): fed piece by piece into MD5, nothing joined.
import { hexLower, md5Begin, md5End, md5Feed } from "./md5";

const HA1 = memory.data(32);
const HA2 = memory.data(32);
const RAW = memory.data(16);
const COLON = memory.data<u8>([0x3a]);
const AUTH = memory.data<u8>([0x61, 0x75, 0x74, 0x68]); // "auth"

@inline function feed(p: usize, n: i32): void { md5Feed(p, n); md5Feed(COLON, 1); }
function endHex(out: usize): void { md5End(RAW); hexLower(RAW, 16, out); }

/**
 * response = MD5(HA1:nonce:nc:cnonce:auth:HA2) with qop=auth (nc 8 hex
 * digits at `nc`), MD5(HA1:nonce:HA2) without qop (RFC 2069); HA1 =
 * MD5(user:realm:password), HA2 = MD5(method:uri). Writes 32 lowercase hex
 * digits at `out`.
 */
export function digestResponse(
  user: usize, userLen: i32, realm: usize, realmLen: i32, pass: usize, passLen: i32,
  method: usize, methodLen: i32, uri: usize, uriLen: i32, nonce: usize, nonceLen: i32,
  qopAuth: bool, nc: usize, cnonce: usize, cnonceLen: i32, out: usize,
): void {
  md5Begin(); feed(user, userLen); feed(realm, realmLen); md5Feed(pass, passLen); endHex(HA1);
  md5Begin(); feed(method, methodLen); md5Feed(uri, uriLen); endHex(HA2);
  md5Begin();
  feed(HA1, 32);
  feed(nonce, nonceLen);
  if (qopAuth) { feed(nc, 8); feed(cnonce, cnonceLen); feed(AUTH, 4); }
  md5Feed(HA2, 32);
  endHex(out);
}
