/*
 * The device around the firmware: the hal imports of the wasm2c translations
 * of build/boot.wasm and build/phone.wasm, with the semantics of
 * host/firmware.ts and host/flash.ts, and the steps a host or a main loop
 * drives (boot, start, poll, frame, link).
 *
 * A platform (main_native.c, main_cm4.c) provides the NOR backend and the
 * port_* callbacks.
 */
#ifndef IPPHONE_DEVICE_H
#define IPPHONE_DEVICE_H

#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>

#define FLASH_OK 0
#define FLASH_ERR_RANGE -1
#define FLASH_ERR_ALIGN -2
#define FLASH_ERR_NOT_ERASED -3
#define FLASH_SECTOR 4096u

/* ---- provided by the platform ---- */

/* The NOR part: size in bytes, reads, raw writes (the new byte values: the
 * device already ANDed them with the old ones), and a sector erase. */
extern uint32_t nor_size;
void nor_read(uint32_t addr, uint8_t* out, uint32_t len);
void nor_write(uint32_t addr, const uint8_t* bytes, uint32_t len);
void nor_erase_sector(uint32_t sector_addr);

/* What the firmware says and sends. Text and frames are valid during the call only. */
void port_tx(const uint8_t* frame, uint32_t len);
/* mem/mem_size: the calling module's linear memory, for events whose a, b are text. */
void port_event(uint32_t code, uint32_t a, uint32_t b, const uint8_t* mem, uint32_t mem_size);
void port_lcd(const char* text, uint32_t len);
void port_log(uint32_t level, const char* text, uint32_t len);
void port_reset(uint32_t reason);
void port_watchdog(void);
/* A board image says which build it is (RAM-load builds; linked ones ignore it). */
void port_announce(const char* version);
/* Unrecoverable (runtime misuse, not a firmware trap): never returns. */
void device_fatal(const char* why) __attribute__((noreturn));

/* ---- the device ---- */

/* Where wasm_rt_trap jumps (wasm_rt_static.c). */
extern jmp_buf* device_trap_target;

/* Seeds the hal's random() (splitmix32 of host/sim/random.ts) and loads the translations. */
void device_init(uint32_t seed);
/* Stirs entropy a board gathered (timer samples at frames) into random()'s state. */
void device_seed_mix(uint32_t sample);

/* 0, or a negative wasm_rt_trap_t when the firmware trapped (device_trap_text says which). */
typedef int device_rc;
const char* device_trap_text(device_rc rc);

/* Runs boot.wasm (the phone instance, if any, is gone first). *slot: its answer. */
device_rc device_boot(int32_t* slot, uint32_t* image_addr, uint32_t* image_size);

/* Starts the phone of the image the bootloader chose, whose payload is at
 * [addr, addr + size): linked builds run their translation when the payload is
 * its WebAssembly; RAM-load builds (ramload.c) copy a board image's native code
 * to its load address and call its entry. 0; -100 when it cannot be started
 * (why in *why); or a negative trap. */
#define DEVICE_NO_TRANSLATION -100
device_rc device_start(uint32_t addr, uint32_t size, const char** why);
int device_running(void);
uint32_t device_rx_capacity(void);
uint32_t device_counter_count(void);

device_rc device_poll(int64_t now_ms, int64_t* next_ms);
device_rc device_frame(const uint8_t* frame, uint32_t len, int64_t now_ms);
device_rc device_link(int up, int64_t now_ms);
/* Copies up to max counters; returns how many the firmware has. */
uint32_t device_counters(uint32_t* out, uint32_t max);
/* The phone's linear memory (for reading event text after the fact). */
const uint8_t* device_memory(uint32_t* size);

/* ASCII text of linear memory as host/firmware.ts's text(): clipped to the memory. */
void device_text(const uint8_t* mem, uint32_t mem_size, uint32_t ptr, uint32_t len, const uint8_t** out, uint32_t* out_len);

/* SHA-256 (sha256.c). */
typedef struct { uint32_t h[8]; uint64_t n; uint8_t buf[64]; uint32_t fill; } sha256_ctx;
void sha256_init(sha256_ctx* c);
void sha256_update(sha256_ctx* c, const uint8_t* p, size_t n);
void sha256_final(sha256_ctx* c, uint8_t out[32]);

#endif
