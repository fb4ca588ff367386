/*
 * libFuzzer driver for build/fuzz.wasm translated by wasm2c (issue 11).
 * One binary serves every parser: IPPHONE_FUZZ_TARGET names the export
 * (fuzz_dhcp, ...). Each input is copied so that it ends exactly at the end
 * of the module's linear memory, so a parser reading past its input traps;
 * a trap, or a result above IPPHONE_FUZZ_MAX, aborts: libFuzzer saves the
 * input as a crash. Built by host/fuzz/native.ts into build/fuzz-native/.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "wasm-rt-impl.h"

struct Z_hal_instance_t { int unused; };

typedef u32 (*entry_t)(Z_fuzz_instance_t*, u32, u32);

/* The table of entry points: generated next to fuzz.c (targets.h). */
#include "targets.h"

static Z_fuzz_instance_t instance;
static struct Z_hal_instance_t hal;
static entry_t entry;
static u32 max_result;
static const char* entry_name;

int LLVMFuzzerInitialize(int* argc, char*** argv) {
  (void)argc; (void)argv;
  const char* name = getenv("IPPHONE_FUZZ_TARGET");
  const char* max = getenv("IPPHONE_FUZZ_MAX");
  for (size_t i = 0; name && i < sizeof(TARGETS) / sizeof(TARGETS[0]); i++)
    if (strcmp(TARGETS[i].name, name) == 0) entry = TARGETS[i].fn;
  if (!entry) {
    fprintf(stderr, "IPPHONE_FUZZ_TARGET must name an export of fuzz.wasm (fuzz_dhcp, ...)\n");
    exit(2);
  }
  entry_name = name;
  max_result = max ? (u32)strtoul(max, NULL, 10) : 0xffffffffu;
  wasm_rt_init();
  Z_fuzz_init_module();
  Z_fuzz_instantiate(&instance, &hal);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  wasm_rt_memory_t* memory = Z_fuzzZ_memory(&instance);
  if (size > 65536) size = 65536;
  u32 at = (u32)(memory->size - size);
  memcpy(memory->data + at, data, size);
  ipphone_random = 1;
  wasm_rt_trap_t trap = wasm_rt_impl_try();
  if (trap != WASM_RT_TRAP_NONE) {
    fprintf(stderr, "==ipphone== TRAP in %s: %s (input of %zu bytes)\n", entry_name, wasm_rt_strerror(trap), size);
    abort();
  }
  u32 result = entry(&instance, at, (u32)size);
  if (result > max_result) {
    fprintf(stderr, "==ipphone== BAD RESULT in %s: %u > %u\n", entry_name, result, max_result);
    abort();
  }
  return 0;
}
