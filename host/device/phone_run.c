/*
 * The phone's wasm2c translation driven as phone_ops (native_abi.h): linked
 * into a device's own program (device.c) or into a board image, where the
 * resident program calls it through the ops its entry returns.
 */
#include <string.h>

#include "wasm-rt.h"
#include "guarded.h"
#include "native_abi.h"
#include "phone.h"

static struct Z_hal_instance_t g_hal;
static Z_phone_instance_t g_phone;
static int g_live;
static int g_module_ready;

void phone_run_stop(void) {
  if (!g_live) return;
  Z_phone_free(&g_phone);
  g_live = 0;
}

static int32_t start(void) {
  phone_run_stop();
  if (!g_module_ready) {
    Z_phone_init_module();
    g_module_ready = 1;
  }
  device_rc rc;
  g_hal.mem = Z_phoneZ_memory(&g_phone);
  GUARDED(rc, { Z_phone_instantiate(&g_phone, &g_hal); });
  if (rc != 0) Z_phone_free(&g_phone);
  else g_live = 1;
  return rc;
}

static uint32_t rx_capacity(void) {
  device_rc rc;
  uint32_t v = 0;
  GUARDED(rc, { v = Z_phoneZ_rx_capacity(&g_phone); });
  return rc ? 0 : v;
}

static uint32_t counter_count(void) {
  device_rc rc;
  uint32_t v = 0;
  GUARDED(rc, { v = Z_phoneZ_counter_count(&g_phone); });
  return rc ? 0 : v;
}

static int32_t poll(int64_t now_ms, int64_t* next_ms) {
  device_rc rc;
  *next_ms = INT64_MAX;
  if (!g_live) return 0;
  GUARDED(rc, { *next_ms = (int64_t)Z_phoneZ_poll(&g_phone, (u64)now_ms); });
  return rc;
}

static int32_t frame(const uint8_t* bytes, uint32_t len, int64_t now_ms) {
  device_rc rc;
  if (!g_live) return 0;
  GUARDED(rc, {
    uint32_t cap = Z_phoneZ_rx_capacity(&g_phone);
    uint32_t at = Z_phoneZ_rx_buffer(&g_phone);
    wasm_rt_memory_t* m = Z_phoneZ_memory(&g_phone);
    /* host/firmware.ts onFrame: frames longer than the buffer are reported, not written */
    if (len <= cap) {
      if ((uint64_t)at + len > m->size) wasm_rt_trap(WASM_RT_TRAP_OOB);
      memcpy(m->data + at, bytes, len);
    }
    Z_phoneZ_on_frame(&g_phone, len, (u64)now_ms);
  });
  return rc;
}

static int32_t link(int32_t up, int64_t now_ms) {
  device_rc rc;
  if (!g_live) return 0;
  GUARDED(rc, { Z_phoneZ_link(&g_phone, up ? 1u : 0u, (u64)now_ms); });
  return rc;
}

static uint32_t counters(uint32_t* out, uint32_t max) {
  if (!g_live) return 0;
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

static const uint8_t* memory(uint32_t* size) {
  if (!g_live) { *size = 0; return NULL; }
  wasm_rt_memory_t* m = Z_phoneZ_memory(&g_phone);
  *size = m->size;
  return m->data;
}

static const char* trap_text(int32_t rc) {
  return rc < 0 ? wasm_rt_strerror((wasm_rt_trap_t)-rc) : "ok";
}

const phone_ops phone_run_ops = {
  NATIVE_ABI_VERSION, sizeof(phone_ops), start, poll, frame, link, rx_capacity, counter_count, counters, memory, trap_text,
};
