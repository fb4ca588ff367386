/*
 * The phone on a Cortex-M4 (arm-none-eabi-gcc, newlib-nano): the same
 * device.c and wasm2c translations as the native phone, on a bare-metal
 * board without an MMU. The linear memory is one static 64 KiB page, every
 * access bounds-checked (wasm_rt_static.c).
 *
 * Board (STM32F4-class, cm4.ld): internal flash holds this program; the
 * phone's 16 MiB NOR flash (factory data, preferences, boot record, slots A
 * and B) is an external QSPI part, read memory-mapped at QSPI_BASE and
 * programmed and erased by the board's driver; the Ethernet MAC and the
 * console are the board's too. Those drivers are the weak board_* functions
 * below (stubs here: this build shows that the firmware links and fits, and
 * how it is driven); SysTick gives the millisecond clock.
 */
#include <stdint.h>
#include <string.h>

#include "device.h"

#define QSPI_BASE 0x90000000u
#define CORE_HZ 168000000u

/* ------------------------------------------------------------ board drivers (weak stubs) */

__attribute__((weak)) void board_nor_program(uint32_t addr, const uint8_t* bytes, uint32_t len) { (void)addr; (void)bytes; (void)len; }
__attribute__((weak)) void board_nor_erase(uint32_t sector_addr) { (void)sector_addr; }
/* One received frame into buf (up to cap bytes): its length, or 0 when none is waiting. */
__attribute__((weak)) uint32_t board_eth_receive(uint8_t* buf, uint32_t cap) { (void)buf; (void)cap; return 0; }
__attribute__((weak)) void board_eth_send(const uint8_t* frame, uint32_t len) { (void)frame; (void)len; }
__attribute__((weak)) void board_console(const char* text, uint32_t len) { (void)text; (void)len; }
/* Seeds hal.random(): a hardware RNG or the unique device ID. */
__attribute__((weak)) uint32_t board_seed(void) { return *(volatile uint32_t*)0x1FFF7A10u; }

/* ------------------------------------------------------------ NOR flash: external QSPI */

uint32_t nor_size = 16u * 1024 * 1024;

void nor_read(uint32_t addr, uint8_t* out, uint32_t len) { memcpy(out, (const void*)(QSPI_BASE + addr), len); }
void nor_write(uint32_t addr, const uint8_t* bytes, uint32_t len) { board_nor_program(addr, bytes, len); }
void nor_erase_sector(uint32_t sector_addr) { board_nor_erase(sector_addr); }

/* ------------------------------------------------------------ clock */

static volatile uint32_t g_ms_lo, g_ms_hi;

void SysTick_Handler(void) {
  if (++g_ms_lo == 0) g_ms_hi++;
}

static int64_t now_ms(void) {
  uint32_t hi, lo;
  do {
    hi = g_ms_hi;
    lo = g_ms_lo;
  } while (hi != g_ms_hi);
  return (int64_t)((uint64_t)hi << 32 | lo);
}

static void systick_init(void) {
  volatile uint32_t* const syst = (volatile uint32_t*)0xE000E010u;
  syst[1] = CORE_HZ / 1000 - 1; /* RVR */
  syst[2] = 0;                  /* CVR */
  syst[0] = 7;                  /* CSR: processor clock, interrupt, enable */
}

/* ------------------------------------------------------------ ports */

static volatile int g_reset = -1;

void port_tx(const uint8_t* frame, uint32_t len) {
  if (g_reset >= 0 || len < 14 || len > 1518) return;
  board_eth_send(frame, len);
}

static void put_num(char* p, uint32_t* n, uint32_t v) {
  char d[10];
  int k = 0;
  do d[k++] = (char)('0' + v % 10); while ((v /= 10) != 0);
  while (k) p[(*n)++] = d[--k];
}

void port_event(uint32_t code, uint32_t a, uint32_t b, const uint8_t* mem, uint32_t mem_size) {
  (void)mem;
  (void)mem_size;
  char line[40];
  uint32_t n = 0;
  memcpy(line, "event ", 6);
  n = 6;
  put_num(line, &n, code);
  line[n++] = ' ';
  put_num(line, &n, a);
  line[n++] = ' ';
  put_num(line, &n, b);
  line[n++] = '\n';
  board_console(line, n);
}

void port_lcd(const char* text, uint32_t len) { board_console(text, len); }
void port_log(uint32_t level, const char* text, uint32_t len) { (void)level; board_console(text, len); }
void port_reset(uint32_t reason) { if (g_reset < 0) g_reset = (int)reason; }
void port_watchdog(void) {}

void device_fatal(const char* why) {
  board_console(why, (uint32_t)strlen(why));
  /* SCB AIRCR: system reset request */
  *(volatile uint32_t*)0xE000ED0Cu = 0x05FA0004u;
  for (;;) {}
}

/* ------------------------------------------------------------ the phone */

static uint8_t g_rx[1518];

static int boot_and_start(void) {
  int32_t slot;
  uint32_t addr, size;
  if (device_boot(&slot, &addr, &size) != 0 || slot < 0) return -1;
  const char* why;
  return device_start(addr, size, &why) == 0 ? 0 : -1;
}

int main(void) {
  systick_init();
  device_init(board_seed());
  for (;;) {
    g_reset = -1;
    if (boot_and_start() != 0) {
      for (;;) __asm__ volatile("wfi"); /* dark: no valid image */
    }
    while (g_reset < 0) {
      int64_t next;
      if (device_poll(now_ms(), &next) != 0) device_fatal("firmware trap");
      uint32_t len;
      while (g_reset < 0 && (len = board_eth_receive(g_rx, sizeof g_rx)) != 0) {
        if (device_frame(g_rx, len, now_ms()) != 0) device_fatal("firmware trap");
      }
      /* Sleep until the next tick (or the MAC's interrupt) unless the firmware is due now. */
      if (g_reset < 0 && next > now_ms()) __asm__ volatile("wfi");
    }
  }
}

/* ------------------------------------------------------------ start-up */

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _estack;

void Reset_Handler(void) {
  uint32_t* src = &_sidata;
  for (uint32_t* dst = &_sdata; dst < &_edata;) *dst++ = *src++;
  for (uint32_t* dst = &_sbss; dst < &_ebss;) *dst++ = 0;
  main();
  for (;;) {}
}

static void Default_Handler(void) {
  for (;;) {}
}

__attribute__((section(".isr_vector"), used)) static void (*const g_vectors[16])(void) = {
  (void (*)(void))(&_estack),
  Reset_Handler,
  Default_Handler, /* NMI */
  Default_Handler, /* HardFault */
  Default_Handler, /* MemManage */
  Default_Handler, /* BusFault */
  Default_Handler, /* UsageFault */
  0, 0, 0, 0,
  Default_Handler, /* SVCall */
  Default_Handler, /* DebugMon */
  0,
  Default_Handler, /* PendSV */
  SysTick_Handler,
};
