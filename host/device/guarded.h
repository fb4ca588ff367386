/*
 * Calls into a wasm2c translation with its traps caught: wasm_rt_trap
 * (wasm_rt_static.c) longjmps to device_trap_target; rc is 0 or the negative trap.
 */
#ifndef IPPHONE_GUARDED_H
#define IPPHONE_GUARDED_H

#include <setjmp.h>
#include "device.h"

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

/* The hal instance a translation is instantiated with: its own linear memory. */
struct Z_hal_instance_t {
  wasm_rt_memory_t* mem;
};

#endif
