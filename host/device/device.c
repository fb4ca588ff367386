/*
 * The hal of host/firmware.ts for the wasm2c translations, and the device's
 * boot path: boot.wasm chooses a slot, then the phone in that slot runs.
 *
 * Two builds. Linked (native, cm4): the phone's translation is part of this
 * program and runs only when the slot holds the very WebAssembly it was
 * translated from (its SHA-256; a device says so when the slot holds
 * another). RAM-load (-DDEVICE_RAM_LOAD, a board): the slot holds a board
 * image, native code that ramload.c copies and starts; this file gives it the
 * hal as a table (native_abi.h).
 */
#include <string.h>

#include "wasm-rt.h"
#include "guarded.h"
#include "native_abi.h"
#include "boot.h"

#ifdef DEVICE_RAM_LOAD
#define DEVICE_TARGET 1u /* enum Target: mps2-an386 native code */
#else
#define DEVICE_TARGET 0u /* enum Target: WebAssembly */
#include "phone_image.h"
extern const phone_ops phone_run_ops;
void phone_run_stop(void);
#endif

static struct Z_hal_instance_t g_hal;
static Z_boot_instance_t g_boot;
static uint32_t g_rng;
/* The phone that runs: set by device_start. */
const phone_ops* device_phone;

/* ------------------------------------------------------------ random: splitmix32, as host/sim/random.ts */

static uint32_t next_u32(void) {
  g_rng += 0x9e3779b9u;
  uint32_t z = g_rng;
  z = (z ^ (z >> 16)) * 0x85ebca6bu;
  z = (z ^ (z >> 13)) * 0xc2b2ae35u;
  return z ^ (z >> 16);
}

void device_init(uint32_t seed) {
  g_rng = seed;
  wasm_rt_init();
  Z_boot_init_module();
}

void device_seed_mix(uint32_t sample) {
  g_rng = (g_rng ^ sample) * 0x9e3779b1u;
  g_rng ^= g_rng >> 15;
}

/* ------------------------------------------------------------ helpers with JavaScript's semantics */

/* Uint8Array.prototype.slice/subarray(start, end) index clamping, on a memory of `len` bytes. */
static void js_range(int64_t start, int64_t end, uint32_t len, uint32_t* from, uint32_t* count) {
  int64_t l = len;
  start = start < 0 ? (start + l < 0 ? 0 : start + l) : (start > l ? l : start);
  end = end < 0 ? (end + l < 0 ? 0 : end + l) : (end > l ? l : end);
  *from = (uint32_t)start;
  *count = end > start ? (uint32_t)(end - start) : 0;
}

void device_text(const uint8_t* mem, uint32_t mem_size, uint32_t ptr, uint32_t len, const uint8_t** out, uint32_t* out_len) {
  /* host/firmware.ts text(): start = clamp(ptr >>> 0), end = min(start + max(0, len|0), size) */
  uint32_t start = ptr > mem_size ? mem_size : ptr;
  int64_t n = (int32_t)len;
  if (n < 0) n = 0;
  uint64_t end = (uint64_t)start + (uint64_t)n;
  if (end > mem_size) end = mem_size;
  *out = mem + start;
  *out_len = (uint32_t)(end - start);
}

/* ------------------------------------------------------------ the hal, on a module's linear memory */

static void hal_mac_tx(uint8_t* mem, uint32_t size, uint32_t ptr, uint32_t len) {
  uint32_t from, n;
  js_range((int32_t)ptr, (int64_t)(int32_t)ptr + (int32_t)len, size, &from, &n);
  port_tx(mem + from, n);
}

static uint32_t hal_flash_read(uint8_t* mem, uint32_t size, uint32_t addr, uint32_t ptr, uint32_t len) {
  int64_t p = (int32_t)ptr, n = (int32_t)len;
  if (n < 0 || p < 0 || p + n > (int64_t)size) return (uint32_t)FLASH_ERR_RANGE;
  if ((uint64_t)addr + (uint64_t)n > nor_size) return (uint32_t)FLASH_ERR_RANGE;
  nor_read(addr, mem + p, (uint32_t)n);
  return FLASH_OK;
}

static uint32_t hal_flash_program(uint8_t* mem, uint32_t size, uint32_t addr, uint32_t ptr, uint32_t len) {
  uint32_t from, n;
  js_range((int32_t)ptr, (int64_t)(int32_t)ptr + (int32_t)len, size, &from, &n);
  if ((uint64_t)addr + n > nor_size) return (uint32_t)FLASH_ERR_RANGE;
  const uint8_t* src = mem + from;
  int32_t result = FLASH_OK;
  uint8_t old[64], val[64];
  /* NOR: program only clears bits; a 0 that should become 1 is reported (and stays 0). */
  for (uint32_t done = 0; done < n;) {
    uint32_t k = n - done < sizeof old ? n - done : (uint32_t)sizeof old;
    nor_read(addr + done, old, k);
    int changed = 0;
    for (uint32_t i = 0; i < k; i++) {
      if (src[done + i] & ~old[i]) result = FLASH_ERR_NOT_ERASED;
      val[i] = old[i] & src[done + i];
      changed |= val[i] != old[i];
    }
    if (changed) nor_write(addr + done, val, k);
    done += k;
  }
  return (uint32_t)result;
}

static uint32_t hal_flash_erase(uint32_t addr) {
  if (addr >= nor_size) return (uint32_t)FLASH_ERR_RANGE;
  nor_erase_sector(addr - addr % FLASH_SECTOR);
  return FLASH_OK;
}

static void hal_event(uint8_t* mem, uint32_t size, uint32_t code, uint32_t a, uint32_t b) { port_event(code, a, b, mem, size); }

static void hal_lcd(uint8_t* mem, uint32_t size, uint32_t ptr, uint32_t len) {
  const uint8_t* t;
  uint32_t n;
  device_text(mem, size, ptr, len, &t, &n);
  port_lcd((const char*)t, n);
}

static void hal_log(uint8_t* mem, uint32_t size, uint32_t level, uint32_t ptr, uint32_t len) {
  const uint8_t* t;
  uint32_t n;
  device_text(mem, size, ptr, len, &t, &n);
  port_log(level, (const char*)t, n);
}

static void hal_fatal(const char* why) { device_fatal(why); }

/* What a board image gets (native_abi.h). */
const hal_table device_hal = {
  NATIVE_ABI_VERSION, sizeof(hal_table), hal_mac_tx, hal_flash_read, hal_flash_program, hal_flash_erase, next_u32,
  hal_event, hal_lcd, hal_log, port_watchdog, port_reset, hal_fatal, port_announce,
};

/* ------------------------------------------------------------ hal imports of the translations linked here */

void Z_halZ_mac_tx(struct Z_hal_instance_t* h, u32 ptr, u32 len) { hal_mac_tx(h->mem->data, h->mem->size, ptr, len); }
u32 Z_halZ_flash_read(struct Z_hal_instance_t* h, u32 addr, u32 ptr, u32 len) { return hal_flash_read(h->mem->data, h->mem->size, addr, ptr, len); }
u32 Z_halZ_flash_program(struct Z_hal_instance_t* h, u32 addr, u32 ptr, u32 len) { return hal_flash_program(h->mem->data, h->mem->size, addr, ptr, len); }
u32 Z_halZ_flash_erase(struct Z_hal_instance_t* h, u32 addr) { (void)h; return hal_flash_erase(addr); }
u32 Z_halZ_random(struct Z_hal_instance_t* h) { (void)h; return next_u32(); }
void Z_halZ_event(struct Z_hal_instance_t* h, u32 code, u32 a, u32 b) { hal_event(h->mem->data, h->mem->size, code, a, b); }
void Z_halZ_lcd(struct Z_hal_instance_t* h, u32 ptr, u32 len) { hal_lcd(h->mem->data, h->mem->size, ptr, len); }
void Z_halZ_log(struct Z_hal_instance_t* h, u32 level, u32 ptr, u32 len) { hal_log(h->mem->data, h->mem->size, level, ptr, len); }
void Z_halZ_watchdog_kick(struct Z_hal_instance_t* h) { (void)h; port_watchdog(); }
void Z_halZ_reset(struct Z_hal_instance_t* h, u32 reason) { (void)h; port_reset(reason); }

/* ------------------------------------------------------------ boot, then the phone */

const char* device_trap_text(device_rc rc) {
  if (rc == DEVICE_NO_TRANSLATION) return "no translation of this image";
  if (device_phone && rc < 0) return device_phone->trap_text(rc);
  return rc < 0 ? wasm_rt_strerror((wasm_rt_trap_t)-rc) : "ok";
}

device_rc device_boot(int32_t* slot, uint32_t* image_addr, uint32_t* image_size) {
  device_rc rc;
#ifndef DEVICE_RAM_LOAD
  phone_run_stop();
#endif
  device_phone = NULL;
  g_hal.mem = Z_bootZ_memory(&g_boot);
  GUARDED(rc, {
    Z_boot_instantiate(&g_boot, &g_hal);
    Z_bootZ_set_target(&g_boot, DEVICE_TARGET);
    *slot = (int32_t)Z_bootZ_boot(&g_boot);
    *image_addr = 0;
    *image_size = 0;
    if (*slot >= 0) {
      *image_addr = Z_bootZ_image_addr(&g_boot);
      *image_size = Z_bootZ_image_size(&g_boot);
    }
  });
  Z_boot_free(&g_boot); /* also after a trap: frees what was allocated, if anything */
  g_hal.mem = NULL;
  return rc;
}

#ifndef DEVICE_RAM_LOAD
static const uint8_t phone_sha256[32] = PHONE_WASM_SHA256;

void port_announce(const char* version) { (void)version; }

device_rc device_start(uint32_t addr, uint32_t size, const char** why) {
  phone_run_stop();
  device_phone = NULL;
  *why = "";
  if ((uint64_t)addr + size > nor_size) {
    *why = "the image lies outside the flash";
    return DEVICE_NO_TRANSLATION;
  }
  sha256_ctx c;
  sha256_init(&c);
  uint8_t buf[256], digest[32];
  for (uint32_t at = 0; at < size;) {
    uint32_t k = size - at < sizeof buf ? size - at : (uint32_t)sizeof buf;
    nor_read(addr + at, buf, k);
    sha256_update(&c, buf, k);
    at += k;
  }
  sha256_final(&c, digest);
  if (size != PHONE_WASM_SIZE || memcmp(digest, phone_sha256, 32) != 0) {
    *why = "this device has no translation of that WebAssembly (its SHA-256 differs from the build's phone.wasm)";
    return DEVICE_NO_TRANSLATION;
  }
  device_rc rc = phone_run_ops.start();
  if (rc == 0) device_phone = &phone_run_ops;
  return rc;
}
#endif

int device_running(void) { return device_phone != NULL; }
uint32_t device_rx_capacity(void) { return device_phone ? device_phone->rx_capacity() : 0; }
uint32_t device_counter_count(void) { return device_phone ? device_phone->counter_count() : 0; }

device_rc device_poll(int64_t now_ms, int64_t* next_ms) {
  *next_ms = INT64_MAX;
  return device_phone ? device_phone->poll(now_ms, next_ms) : 0;
}

device_rc device_frame(const uint8_t* frame, uint32_t len, int64_t now_ms) {
  return device_phone ? device_phone->frame(frame, len, now_ms) : 0;
}

device_rc device_link(int up, int64_t now_ms) { return device_phone ? device_phone->link(up, now_ms) : 0; }

uint32_t device_counters(uint32_t* out, uint32_t max) { return device_phone ? device_phone->counters(out, max) : 0; }

const uint8_t* device_memory(uint32_t* size) {
  if (!device_phone) { *size = 0; return NULL; }
  return device_phone->memory(size);
}
