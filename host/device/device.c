/*
 * The hal of host/firmware.ts for the wasm2c translations, and the device's
 * boot path: boot.wasm chooses a slot, then the translation of the
 * WebAssembly in that slot runs (identified by its SHA-256: a device runs
 * only code it was built with, and says so when the slot holds another).
 */
#include <string.h>

#include "wasm-rt.h"
#include "device.h"
#include "boot.h"
#include "phone.h"
#include "phone_image.h"

struct Z_hal_instance_t {
  /* The linear memory of the module calling the hal (boot's, then phone's). */
  wasm_rt_memory_t* mem;
};

static struct Z_hal_instance_t g_hal;
static Z_boot_instance_t g_boot;
static Z_phone_instance_t g_phone;
static int g_phone_live;
static uint32_t g_rng;

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
  Z_phone_init_module();
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

/* ------------------------------------------------------------ hal imports */

void Z_halZ_mac_tx(struct Z_hal_instance_t* h, u32 ptr, u32 len) {
  uint32_t from, n;
  js_range((int32_t)ptr, (int64_t)(int32_t)ptr + (int32_t)len, h->mem->size, &from, &n);
  port_tx(h->mem->data + from, n);
}

u32 Z_halZ_flash_read(struct Z_hal_instance_t* h, u32 addr, u32 ptr, u32 len) {
  int64_t p = (int32_t)ptr, n = (int32_t)len;
  if (n < 0 || p < 0 || p + n > (int64_t)h->mem->size) return (u32)FLASH_ERR_RANGE;
  if ((uint64_t)addr + (uint64_t)n > nor_size) return (u32)FLASH_ERR_RANGE;
  nor_read(addr, h->mem->data + p, (uint32_t)n);
  return FLASH_OK;
}

u32 Z_halZ_flash_program(struct Z_hal_instance_t* h, u32 addr, u32 ptr, u32 len) {
  uint32_t from, n;
  js_range((int32_t)ptr, (int64_t)(int32_t)ptr + (int32_t)len, h->mem->size, &from, &n);
  if ((uint64_t)addr + n > nor_size) return (u32)FLASH_ERR_RANGE;
  const uint8_t* src = h->mem->data + from;
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
  return (u32)result;
}

u32 Z_halZ_flash_erase(struct Z_hal_instance_t* h, u32 addr) {
  (void)h;
  if (addr >= nor_size) return (u32)FLASH_ERR_RANGE;
  nor_erase_sector(addr - addr % FLASH_SECTOR);
  return FLASH_OK;
}

u32 Z_halZ_random(struct Z_hal_instance_t* h) {
  (void)h;
  return next_u32();
}

void Z_halZ_event(struct Z_hal_instance_t* h, u32 code, u32 a, u32 b) {
  port_event(code, a, b, h->mem->data, h->mem->size);
}

void Z_halZ_lcd(struct Z_hal_instance_t* h, u32 ptr, u32 len) {
  const uint8_t* t;
  uint32_t n;
  device_text(h->mem->data, h->mem->size, ptr, len, &t, &n);
  port_lcd((const char*)t, n);
}

void Z_halZ_log(struct Z_hal_instance_t* h, u32 level, u32 ptr, u32 len) {
  const uint8_t* t;
  uint32_t n;
  device_text(h->mem->data, h->mem->size, ptr, len, &t, &n);
  port_log(level, (const char*)t, n);
}

void Z_halZ_watchdog_kick(struct Z_hal_instance_t* h) {
  (void)h;
  port_watchdog();
}

void Z_halZ_reset(struct Z_hal_instance_t* h, u32 reason) {
  (void)h;
  port_reset(reason);
}

/* ------------------------------------------------------------ calls into the firmware, traps caught */

#if WASM_RT_USE_STACK_DEPTH_COUNT
extern uint32_t wasm_rt_saved_call_stack_depth;
#define SAVE_DEPTH() (wasm_rt_saved_call_stack_depth = wasm_rt_call_stack_depth)
#else
#define SAVE_DEPTH() ((void)0)
#endif

#define GUARDED(rc, body)                                  \
  do {                                                     \
    jmp_buf jb_;                                           \
    jmp_buf* saved_ = device_trap_target;                  \
    device_trap_target = &jb_;                             \
    SAVE_DEPTH();                                          \
    int t_ = setjmp(jb_);                                  \
    if (t_ == 0) { body; }                                 \
    device_trap_target = saved_;                           \
    (rc) = t_ ? -t_ : 0;                                   \
  } while (0)

const char* device_trap_text(device_rc rc) {
  if (rc == DEVICE_NO_TRANSLATION) return "no translation of this image";
  return rc < 0 ? wasm_rt_strerror((wasm_rt_trap_t)-rc) : "ok";
}

static void stop_phone(void) {
  if (!g_phone_live) return;
  Z_phone_free(&g_phone);
  g_phone_live = 0;
}

device_rc device_boot(int32_t* slot, uint32_t* image_addr, uint32_t* image_size) {
  device_rc rc;
  stop_phone();
  g_hal.mem = Z_bootZ_memory(&g_boot);
  GUARDED(rc, {
    Z_boot_instantiate(&g_boot, &g_hal);
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

static const uint8_t phone_sha256[32] = PHONE_WASM_SHA256;

device_rc device_start(uint32_t addr, uint32_t size, const char** why) {
  stop_phone();
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
  device_rc rc;
  g_hal.mem = Z_phoneZ_memory(&g_phone);
  GUARDED(rc, { Z_phone_instantiate(&g_phone, &g_hal); });
  if (rc != 0) Z_phone_free(&g_phone);
  else g_phone_live = 1;
  return rc;
}

int device_running(void) { return g_phone_live; }

uint32_t device_rx_capacity(void) {
  device_rc rc;
  uint32_t v = 0;
  GUARDED(rc, { v = Z_phoneZ_rx_capacity(&g_phone); });
  return rc ? 0 : v;
}

uint32_t device_counter_count(void) {
  device_rc rc;
  uint32_t v = 0;
  GUARDED(rc, { v = Z_phoneZ_counter_count(&g_phone); });
  return rc ? 0 : v;
}

device_rc device_poll(int64_t now_ms, int64_t* next_ms) {
  device_rc rc;
  *next_ms = INT64_MAX;
  if (!g_phone_live) return 0;
  GUARDED(rc, { *next_ms = (int64_t)Z_phoneZ_poll(&g_phone, (u64)now_ms); });
  return rc;
}

device_rc device_frame(const uint8_t* frame, uint32_t len, int64_t now_ms) {
  device_rc rc;
  if (!g_phone_live) return 0;
  GUARDED(rc, {
    uint32_t cap = Z_phoneZ_rx_capacity(&g_phone);
    uint32_t at = Z_phoneZ_rx_buffer(&g_phone);
    wasm_rt_memory_t* m = Z_phoneZ_memory(&g_phone);
    /* host/firmware.ts onFrame: frames longer than the buffer are reported, not written */
    if (len <= cap) {
      if ((uint64_t)at + len > m->size) wasm_rt_trap(WASM_RT_TRAP_OOB);
      memcpy(m->data + at, frame, len);
    }
    Z_phoneZ_on_frame(&g_phone, len, (u64)now_ms);
  });
  return rc;
}

device_rc device_link(int up, int64_t now_ms) {
  device_rc rc;
  if (!g_phone_live) return 0;
  GUARDED(rc, { Z_phoneZ_link(&g_phone, up ? 1u : 0u, (u64)now_ms); });
  return rc;
}

uint32_t device_counters(uint32_t* out, uint32_t max) {
  if (!g_phone_live) return 0;
  device_rc rc;
  uint32_t n = 0, at = 0;
  GUARDED(rc, {
    n = Z_phoneZ_counter_count(&g_phone);
    at = Z_phoneZ_counters(&g_phone);
  });
  if (rc) return 0;
  wasm_rt_memory_t* m = Z_phoneZ_memory(&g_phone);
  for (uint32_t i = 0; i < n && i < max; i++) {
    uint64_t p = (uint64_t)at + 4u * i;
    if (p + 4 > m->size) break;
    out[i] = (uint32_t)m->data[p] | (uint32_t)m->data[p + 1] << 8 | (uint32_t)m->data[p + 2] << 16 | (uint32_t)m->data[p + 3] << 24;
  }
  return n;
}

const uint8_t* device_memory(uint32_t* size) {
  if (!g_phone_live) { *size = 0; return NULL; }
  wasm_rt_memory_t* m = Z_phoneZ_memory(&g_phone);
  *size = m->size;
  return m->data;
}
