/*
 * The entry of a board image: the phone's translation (phone_run.c) and its
 * own wasm2c runtime (wasm_rt_static.c), reaching the resident program's hal
 * only through the table the entry is given (native_abi.h). IMAGE_VERSION
 * (image_version.h, written by the image builder) is this build's name.
 */
#include "wasm-rt.h"
#include "guarded.h"
#include "native_abi.h"
#include "image_version.h"
#include "phone.h"

static const hal_table* g_hal;
extern const phone_ops phone_run_ops;
extern uint8_t __image_start[], __bss_start[], __image_end[];

void device_fatal(const char* why) {
  g_hal->fatal(why);
  for (;;) {}
}

void Z_halZ_mac_tx(struct Z_hal_instance_t* h, u32 ptr, u32 len) { g_hal->mac_tx(h->mem->data, h->mem->size, ptr, len); }
u32 Z_halZ_flash_read(struct Z_hal_instance_t* h, u32 addr, u32 ptr, u32 len) { return g_hal->flash_read(h->mem->data, h->mem->size, addr, ptr, len); }
u32 Z_halZ_flash_program(struct Z_hal_instance_t* h, u32 addr, u32 ptr, u32 len) { return g_hal->flash_program(h->mem->data, h->mem->size, addr, ptr, len); }
u32 Z_halZ_flash_erase(struct Z_hal_instance_t* h, u32 addr) { (void)h; return g_hal->flash_erase(addr); }
u32 Z_halZ_random(struct Z_hal_instance_t* h) { (void)h; return g_hal->random(); }
void Z_halZ_event(struct Z_hal_instance_t* h, u32 code, u32 a, u32 b) { g_hal->event(h->mem->data, h->mem->size, code, a, b); }
void Z_halZ_lcd(struct Z_hal_instance_t* h, u32 ptr, u32 len) { g_hal->lcd(h->mem->data, h->mem->size, ptr, len); }
void Z_halZ_log(struct Z_hal_instance_t* h, u32 level, u32 ptr, u32 len) { g_hal->log(h->mem->data, h->mem->size, level, ptr, len); }
void Z_halZ_watchdog_kick(struct Z_hal_instance_t* h) { (void)h; g_hal->watchdog_kick(); }
void Z_halZ_reset(struct Z_hal_instance_t* h, u32 reason) { (void)h; g_hal->reset(reason); }

static const phone_ops* entry(const hal_table* hal) {
  if (hal->abi != NATIVE_ABI_VERSION || hal->size < sizeof(hal_table)) return 0;
  g_hal = hal;
  wasm_rt_init();
  hal->announce(IMAGE_VERSION);
  return &phone_run_ops;
}

__attribute__((section(".image_header"), used)) const native_image image_header = {
  NATIVE_IMAGE_MAGIC, NATIVE_ABI_VERSION, (uint32_t)__image_start, (uint32_t)__image_end, (uint32_t)__bss_start, entry, IMAGE_VERSION,
};
