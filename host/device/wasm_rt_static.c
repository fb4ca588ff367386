/*
 * A wasm2c runtime (the wasm-rt.h API of Debian's wabt) for a device without
 * an MMU and without a heap: bounds-checked linear memory (the generated code
 * range-checks every access against mem->size; build with
 * WASM_RT_MEMCHECK_SIGNAL_HANDLER=0), one static 64 KiB page that boot.wasm
 * and phone.wasm use in turn (the bootloader's instance is gone before the
 * phone's starts), a static pool for funcref tables and for function types,
 * and traps as a longjmp to the embedder's device_try (device.c).
 *
 * The same file runs on the host (gcc) and on the Cortex-M (arm-none-eabi-gcc),
 * so both engines give the firmware the same memory and the same traps.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>

#include "wasm-rt.h"
#include "device.h"

#if WASM_RT_MEMCHECK_SIGNAL_HANDLER
#error "build with -DWASM_RT_MEMCHECK_SIGNAL_HANDLER=0: memory is bounds-checked, no guard pages"
#endif

#define PAGE_SIZE 65536u
#define MAX_FUNC_TYPES 48
#define MAX_TYPE_ARITY 12
#define TABLE_POOL 32

#if WASM_RT_USE_STACK_DEPTH_COUNT
uint32_t wasm_rt_call_stack_depth;
uint32_t wasm_rt_saved_call_stack_depth;
#endif

/* The one page of linear memory. */
static uint8_t g_page[PAGE_SIZE] __attribute__((aligned(16)));
static int g_page_in_use;

typedef struct {
  uint8_t params, results;
  uint8_t types[MAX_TYPE_ARITY];
} func_type_t;

static func_type_t g_types[MAX_FUNC_TYPES];
static uint32_t g_type_count;

static wasm_rt_funcref_t g_table_pool[TABLE_POOL];
static uint32_t g_table_used;

jmp_buf* device_trap_target;

void wasm_rt_init(void) {}
bool wasm_rt_is_initialized(void) { return true; }
void wasm_rt_free(void) {}

void wasm_rt_trap(wasm_rt_trap_t code) {
#if WASM_RT_USE_STACK_DEPTH_COUNT
  wasm_rt_call_stack_depth = wasm_rt_saved_call_stack_depth;
#endif
  if (device_trap_target) longjmp(*device_trap_target, (int)code);
  device_fatal("wasm trap outside a call");
}

const char* wasm_rt_strerror(wasm_rt_trap_t trap) {
  switch (trap) {
    case WASM_RT_TRAP_NONE: return "no error";
    case WASM_RT_TRAP_OOB: return "memory access out of bounds";
#if !WASM_RT_MERGED_OOB_AND_EXHAUSTION_TRAPS
    case WASM_RT_TRAP_EXHAUSTION: return "call stack exhausted";
#endif
    case WASM_RT_TRAP_INT_OVERFLOW: return "integer overflow";
    case WASM_RT_TRAP_DIV_BY_ZERO: return "divide by zero";
    case WASM_RT_TRAP_INVALID_CONVERSION: return "invalid conversion to integer";
    case WASM_RT_TRAP_UNREACHABLE: return "unreachable";
    case WASM_RT_TRAP_CALL_INDIRECT: return "invalid call_indirect";
    case WASM_RT_TRAP_UNCAUGHT_EXCEPTION: return "uncaught exception";
  }
  return "invalid trap code";
}

uint32_t wasm_rt_register_func_type(uint32_t params, uint32_t results, ...) {
  func_type_t t;
  memset(&t, 0, sizeof t);
  if (params + results > MAX_TYPE_ARITY) device_fatal("function type with too many parameters");
  t.params = (uint8_t)params;
  t.results = (uint8_t)results;
  va_list args;
  va_start(args, results);
  for (uint32_t i = 0; i < params + results; i++) t.types[i] = (uint8_t)va_arg(args, int);
  va_end(args);
  for (uint32_t i = 0; i < g_type_count; i++)
    if (memcmp(&g_types[i], &t, sizeof t) == 0) return i + 1;
  if (g_type_count == MAX_FUNC_TYPES) device_fatal("too many function types");
  g_types[g_type_count++] = t;
  return g_type_count;
}

/* Exceptions are not enabled in the translation; these satisfy the API. */
uint32_t wasm_rt_register_tag(uint32_t size) { (void)size; return 0; }
void wasm_rt_load_exception(uint32_t tag, uint32_t size, const void* values) { (void)tag; (void)size; (void)values; }
void wasm_rt_throw(void) { wasm_rt_trap(WASM_RT_TRAP_UNCAUGHT_EXCEPTION); }
static WASM_RT_UNWIND_TARGET* g_unwind;
WASM_RT_UNWIND_TARGET* wasm_rt_get_unwind_target(void) { return g_unwind; }
void wasm_rt_set_unwind_target(WASM_RT_UNWIND_TARGET* target) { g_unwind = target; }
uint32_t wasm_rt_exception_tag(void) { return 0; }
uint32_t wasm_rt_exception_size(void) { return 0; }
void* wasm_rt_exception(void) { return NULL; }

void wasm_rt_allocate_memory(wasm_rt_memory_t* memory, uint32_t initial_pages, uint32_t max_pages) {
  if (g_page_in_use) device_fatal("the linear memory page is already in use");
  if (initial_pages > 1) device_fatal("a module wants more than one page of linear memory");
  g_page_in_use = 1;
  memset(g_page, 0, sizeof g_page);
  memory->data = g_page;
  memory->pages = initial_pages;
  memory->max_pages = max_pages;
  memory->size = initial_pages * PAGE_SIZE;
}

uint32_t wasm_rt_grow_memory(wasm_rt_memory_t* memory, uint32_t delta) {
  uint32_t old_pages = memory->pages;
  uint64_t new_pages = (uint64_t)old_pages + delta;
  if (new_pages > memory->max_pages || new_pages > 1) return UINT32_MAX;
  memory->pages = (uint32_t)new_pages;
  memory->size = (uint32_t)new_pages * PAGE_SIZE;
  return old_pages;
}

void wasm_rt_free_memory(wasm_rt_memory_t* memory) {
  if (memory->data == g_page) g_page_in_use = 0;
  memory->data = NULL;
  memory->size = 0;
}

/* Tables come from one static pool, freed in reverse order of allocation. */
void wasm_rt_allocate_funcref_table(wasm_rt_funcref_table_t* table, uint32_t elements, uint32_t max_elements) {
  if (elements > TABLE_POOL - g_table_used) device_fatal("funcref table pool exhausted");
  table->data = &g_table_pool[g_table_used];
  memset(table->data, 0, elements * sizeof(wasm_rt_funcref_t));
  g_table_used += elements;
  table->size = elements;
  table->max_size = elements; /* no growth: the pool is static */
  (void)max_elements;
}

void wasm_rt_free_funcref_table(wasm_rt_funcref_table_t* table) {
  if (table->data && table->data + table->size == &g_table_pool[g_table_used]) g_table_used -= table->size;
  table->data = NULL;
  table->size = 0;
}

uint32_t wasm_rt_grow_funcref_table(wasm_rt_funcref_table_t* table, uint32_t delta, wasm_rt_funcref_t init) {
  (void)init;
  return delta == 0 ? table->size : UINT32_MAX;
}

void wasm_rt_allocate_externref_table(wasm_rt_externref_table_t* table, uint32_t elements, uint32_t max_elements) {
  (void)max_elements;
  if (elements != 0) device_fatal("externref tables are not supported");
  table->data = NULL;
  table->size = 0;
  table->max_size = 0;
}

void wasm_rt_free_externref_table(wasm_rt_externref_table_t* table) { (void)table; }

uint32_t wasm_rt_grow_externref_table(wasm_rt_externref_table_t* table, uint32_t delta, wasm_rt_externref_t init) {
  (void)init;
  return delta == 0 ? table->size : UINT32_MAX;
}
