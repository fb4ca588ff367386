/*
 * The interface between a board's resident program (its drivers and the
 * translated boot.wasm) and the phone's native code in a board image
 * (`ipphone image build --target mps2-an386`), loaded as MCUboot's RAM-load
 * mode does: the bootloader verifies the slot, the resident copies the
 * payload to the address the image was linked for and calls its entry with
 * the hal table. The image names no address of the resident program: it
 * reaches the hal only through this table, and the resident reaches the
 * phone only through the ops the entry returns. Both are versioned: a new
 * function goes at the end with NATIVE_ABI_VERSION raised, and each side
 * checks `size` before it calls what the other may not have.
 */
#ifndef IPPHONE_NATIVE_ABI_H
#define IPPHONE_NATIVE_ABI_H

#include <stdint.h>

#define NATIVE_ABI_VERSION 1u
#define NATIVE_IMAGE_MAGIC 0x4e505049u /* "IPPN" little-endian */

/* The hal of host/firmware.ts; `mem`/`mem_size` is the caller's linear memory,
 * and pointers are offsets into it, checked by the resident as for boot.wasm. */
typedef struct hal_table {
  uint32_t abi;
  uint32_t size; /* sizeof(hal_table) of the resident */
  void (*mac_tx)(uint8_t* mem, uint32_t mem_size, uint32_t ptr, uint32_t len);
  uint32_t (*flash_read)(uint8_t* mem, uint32_t mem_size, uint32_t addr, uint32_t ptr, uint32_t len);
  uint32_t (*flash_program)(uint8_t* mem, uint32_t mem_size, uint32_t addr, uint32_t ptr, uint32_t len);
  uint32_t (*flash_erase)(uint32_t addr);
  uint32_t (*random)(void);
  void (*event)(uint8_t* mem, uint32_t mem_size, uint32_t code, uint32_t a, uint32_t b);
  void (*lcd)(uint8_t* mem, uint32_t mem_size, uint32_t ptr, uint32_t len);
  void (*log)(uint8_t* mem, uint32_t mem_size, uint32_t level, uint32_t ptr, uint32_t len);
  void (*watchdog_kick)(void);
  void (*reset)(uint32_t reason);
  /* Runtime misuse inside the image (not a firmware trap): never returns. */
  void (*fatal)(const char* why);
  /* The image says which build it is (its version string), once, at start. */
  void (*announce)(const char* version);
} hal_table;

/* The phone as the resident drives it; results 0 or a negative wasm_rt_trap_t. */
typedef struct phone_ops {
  uint32_t abi;
  uint32_t size;
  int32_t (*start)(void);
  int32_t (*poll)(int64_t now_ms, int64_t* next_ms);
  int32_t (*frame)(const uint8_t* frame, uint32_t len, int64_t now_ms);
  int32_t (*link)(int32_t up, int64_t now_ms);
  uint32_t (*rx_capacity)(void);
  uint32_t (*counter_count)(void);
  uint32_t (*counters)(uint32_t* out, uint32_t max);
  const uint8_t* (*memory)(uint32_t* size);
  const char* (*trap_text)(int32_t rc);
} phone_ops;

/* At offset 0 of a board image's payload (its load address). */
typedef struct native_image {
  uint32_t magic;
  uint32_t abi;
  uint32_t load_addr; /* where it was linked to run: the header's load address */
  uint32_t end;       /* the end of its RAM (data and bss): [load_addr, end) */
  uint32_t bss_start; /* [bss_start, end) is zeroed by the resident */
  const phone_ops* (*entry)(const hal_table* hal);
  const char* version;
} native_image;

#endif
