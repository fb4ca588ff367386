#!/usr/bin/env python3
"""An 802.1Q subinterface in user space, for lab kernels without 8021q.

Frames tagged with VLAN `vid` that arrive on `trunk` (a bridge) come out of
the tap device `tap` untagged; frames the tap sends go back to the trunk
tagged (priority 5). Servers then listen on the tap as they would on
`br0.<vid>`. Usage: vlan_port.py TRUNK TAP VID. Stops on SIGTERM.
"""
import fcntl, os, select, signal, socket, struct, sys

ETH_P_ALL, ETH_P_8021Q = 0x0003, 0x8100
SOL_PACKET, PACKET_AUXDATA = 263, 8
TUNSETIFF, IFF_TAP, IFF_NO_PI = 0x400454CA, 0x0002, 0x1000
TP_STATUS_VLAN_VALID = 1 << 4


def open_tap(name):
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TAP | IFF_NO_PI))
    return fd


def tag_of(frame, ancdata):
    """The VLAN id of a received frame: the kernel may have moved the tag into aux data."""
    for level, kind, data in ancdata:
        if level == SOL_PACKET and kind == PACKET_AUXDATA:
            status, _, _, _, _, tci = struct.unpack_from("IIIHHH", data)
            if status & TP_STATUS_VLAN_VALID:
                return tci & 0x0FFF, frame
    if len(frame) >= 18 and struct.unpack_from("!H", frame, 12)[0] == ETH_P_8021Q:
        return struct.unpack_from("!H", frame, 14)[0] & 0x0FFF, frame[:12] + frame[16:]
    return None, frame


def main(trunk, tap, vid):
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    raw = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    raw.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
    raw.bind((trunk, 0))
    fd = open_tap(tap)
    print("ready", flush=True)
    while True:
        ready, _, _ = select.select([raw, fd], [], [])
        if raw in ready:
            frame, anc, _, addr = raw.recvmsg(65535, socket.CMSG_SPACE(64))
            if addr[2] == socket.PACKET_OUTGOING:
                continue
            got, untagged = tag_of(frame, anc)
            if got == vid:
                os.write(fd, untagged)
        if fd in ready:
            frame = os.read(fd, 65535)
            tci = struct.pack("!HH", ETH_P_8021Q, (5 << 13) | vid)
            raw.send(frame[:12] + tci + frame[12:])


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
