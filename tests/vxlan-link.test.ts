// host/links/vxlan.ts on the loopback interface: frames arrive in batches,
// the receive buffer is the one asked for, and datagrams the kernel drops
// for want of room are counted, not lost unseen.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { kernelDrops, VxlanLink } from "../host/links/vxlan.js";
import { vxlanEncap } from "../host/wire/vxlan.js";

const VNI = 42;

function frame(i: number): Uint8Array {
  const f = new Uint8Array(1400);
  f[0] = i & 0xff;
  f[1] = i >> 8;
  return f;
}

/** Sends `count` VXLAN datagrams to the link's port as fast as the socket takes them. */
async function blast(port: number, count: number, vni = VNI): Promise<void> {
  const tx = createSocket("udp4");
  await new Promise<void>((resolve, reject) => {
    let left = count;
    for (let i = 0; i < count; i++) {
      tx.send(vxlanEncap(vni, frame(i)), port, "127.0.0.1", (err) => {
        if (err) reject(err);
        else if (--left === 0) resolve();
      });
    }
  });
  tx.close();
}

async function open(recvBufferBytes?: number): Promise<{ link: VxlanLink; got: Uint8Array[]; batches: number[] }> {
  const got: Uint8Array[] = [];
  // Frames delivered before each settle (one socket read's).
  const batches: number[] = [];
  let unsettled = 0;
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = 40_000 + Math.floor(Math.random() * 20_000);
    const link = new VxlanLink({ remote: "127.0.0.1", local: "127.0.0.1", port, vni: VNI, recvBufferBytes });
    try {
      await link.open({
        receive: () => assert.fail("a real link hands frames over with receiveNow (the phone answers at once) and settles once per read"),
        receiveNow: (f) => { got.push(f); unsettled++; },
        settle: () => { batches.push(unsettled); unsettled = 0; },
      });
      return { link, got, batches };
    } catch {
      link.close();
    }
  }
  throw new Error("no free UDP port on 127.0.0.1");
}

async function settle(link: VxlanLink, expected: number): Promise<void> {
  for (let i = 0; i < 200 && link.framesIn + (link.kernelDrops ?? 0) < expected; i++) await new Promise((r) => setTimeout(r, 10));
  await new Promise((r) => setImmediate(r));
}

test("frames read together reach the phone in order as they come, with one settle per read", async () => {
  const { link, got, batches } = await open();
  try {
    await blast(link.port, 64);
    await settle(link, 64);
    assert.equal(link.kernelDrops, 0);
    assert.equal(got.length, 64);
    assert.deepEqual(got.map((f) => f[0] | (f[1] << 8)), [...Array(64).keys()]);
    assert.ok(batches.length < 64 && Math.max(...batches) > 1, `batches ${batches.join(",")}`);
    assert.equal(link.stats().largest_batch, Math.max(...batches));
  } finally {
    link.close();
  }
});

test("the default receive buffer holds a whole TFTP window of 256 full frames", async () => {
  const { link } = await open();
  try {
    // Linux reports twice the request; net.core.rmem_max may cap it below.
    const max = Number(readFileSync("/proc/sys/net/core/rmem_max", "utf8"));
    assert.ok(link.recvBufferBytes >= Math.min(2 * (1 << 20), 2 * max), `${link.recvBufferBytes}`);
    await blast(link.port, 256);
    await settle(link, 256);
    if (max >= 1 << 20) assert.equal(link.kernelDrops, 0);
    assert.equal(link.framesIn + (link.kernelDrops ?? 0), 256);
  } finally {
    link.close();
  }
});

test("datagrams the kernel drops for a small buffer are counted in the link's stats", async () => {
  const { link } = await open(4096);
  try {
    await blast(link.port, 300);
    await settle(link, 300);
    const s = link.stats();
    assert.ok((s.kernel_drops ?? 0) > 0, JSON.stringify(s));
    assert.equal((s.frames_in ?? 0) + (s.kernel_drops ?? 0), 300);
  } finally {
    link.close();
  }
});

test("datagrams of another VNI are counted as not ours and not delivered", async () => {
  const { link, got } = await open();
  try {
    await blast(link.port, 5, VNI + 1);
    for (let i = 0; i < 100 && link.ignored < 5; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(link.ignored, 5);
    assert.equal(got.length, 0);
  } finally {
    link.close();
  }
});

test("a frame sent leaves as one VXLAN datagram to the remote's port (on loopback: back to the link itself)", async () => {
  const { link, got } = await open();
  try {
    link.send(frame(7));
    link.send(frame(8));
    for (let i = 0; i < 100 && got.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(got.map((f) => [f.length, f[0]]), [[1400, 7], [1400, 8]]);
    assert.equal(link.framesOut, 2);
  } finally {
    link.close();
  }
});

test("frames sent back to back each leave whole (the link builds them in one buffer while the kernel takes them)", async () => {
  const { link, got } = await open();
  try {
    for (let i = 0; i < 200; i++) {
      const f = frame(i);
      f.fill(i & 0xff, 2);
      link.send(i % 2 ? f.subarray(0, 60) : f);
    }
    for (let i = 0; i < 200 && got.length < 200; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(got.length, 200);
    got.forEach((f, i) => {
      assert.equal(f.length, i % 2 ? 60 : 1400);
      assert.equal(f[0] | (f[1] << 8), i);
      assert.ok(f.subarray(2).every((b) => b === (i & 0xff)), `frame ${i} intact`);
    });
  } finally {
    link.close();
  }
});

test("kernelDrops reads the drops column of the socket bound to the port", () => {
  const file = join(tmpdir(), `ipphone-proc-net-udp-${process.pid}`);
  writeFileSync(file, [
    "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops",
    "  123: 00000000:12B5 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 98765 2 0000000000000000 17",
    "  124: 0100007F:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 98766 2 0000000000000000 3",
  ].join("\n"));
  try {
    assert.equal(kernelDrops(4789, file), 17);
    assert.equal(kernelDrops(53, file), 3);
    assert.equal(kernelDrops(69, file), null);
    assert.equal(kernelDrops(4789, "/nonexistent"), null);
  } finally {
    rmSync(file);
  }
});
