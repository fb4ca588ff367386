/*
 * A board image started as MCUboot's RAM-load mode does: boot.wasm verified
 * the slot (its target is this board's); its payload is copied to the load
 * address its header names, which must be the board's load region and the
 * address the code was linked for, the rest of its RAM zeroed, and its entry
 * called with the hal table. The image's code runs from RAM, never from the
 * slot, so a download into the other slot cannot change what runs.
 */
#include <string.h>

#include "device.h"
#include "native_abi.h"

/* The board's load region (its linker script). */
extern uint8_t __ramload_start[], __ramload_end[];
extern const hal_table device_hal;
extern const phone_ops* device_phone;

#define HEADER_SIZE 64u
#define TARGET_OFFSET 20u
#define LOAD_ADDR_OFFSET 24u

static uint32_t be32(const uint8_t* p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

device_rc device_start(uint32_t addr, uint32_t size, const char** why) {
  device_phone = NULL;
  uint8_t header[HEADER_SIZE];
  uintptr_t base = (uintptr_t)__ramload_start, limit = (uintptr_t)__ramload_end;
  if (addr < HEADER_SIZE || (uint64_t)addr + size > nor_size) {
    *why = "the image lies outside the flash";
    return DEVICE_NO_TRANSLATION;
  }
  nor_read(addr - HEADER_SIZE, header, HEADER_SIZE);
  uint32_t load = be32(header + LOAD_ADDR_OFFSET);
  if (be32(header + TARGET_OFFSET) != 1u) {
    *why = "not a board image (its target is not mps2-an386)";
    return DEVICE_NO_TRANSLATION;
  }
  if (load != base || size < sizeof(native_image) || size > limit - base) {
    *why = "the image's load address or size is not this board's load region";
    return DEVICE_NO_TRANSLATION;
  }
  nor_read(addr, (uint8_t*)base, size);
  const native_image* img = (const native_image*)base;
  if (img->magic != NATIVE_IMAGE_MAGIC || img->abi != NATIVE_ABI_VERSION || img->load_addr != load) {
    *why = "the payload is not native code of this interface version";
    return DEVICE_NO_TRANSLATION;
  }
  if (img->bss_start < base + size || img->end < img->bss_start || img->end > limit) {
    *why = "the image needs more RAM than the load region has";
    return DEVICE_NO_TRANSLATION;
  }
  memset((void*)img->bss_start, 0, img->end - img->bss_start);
  __asm__ volatile("dsb\n\tisb" ::: "memory");
  const phone_ops* ops = img->entry(&device_hal);
  if (!ops || ops->abi != NATIVE_ABI_VERSION || ops->size < sizeof(phone_ops)) {
    *why = "the image's entry refused this hal or gave no phone";
    return DEVICE_NO_TRANSLATION;
  }
  device_rc rc = ops->start();
  if (rc == 0) device_phone = ops;
  else *why = ops->trap_text(rc);
  return rc;
}
