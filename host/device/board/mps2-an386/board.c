/*
 * The phone on QEMU's mps2-an386 (Arm AN386: a Cortex-M4 with an SMSC
 * LAN9118/LAN9220 Ethernet controller; hw/arm/mps2.c, hw/net/lan9118.c):
 * the same device.c and boot.wasm translation as the native phone, with this
 * board's drivers; the phone itself is native code in the slot's board image,
 * which runs from RAM and reaches these drivers through device.c's hal table.
 *
 *   0x00000000  ZBT SSRAM1, 1 MiB   this program (QEMU's -kernel loads the ELF)
 *   0x00100000  ZBT SSRAM1, 3 MiB   the RAM-load region: the board image's code (ramload.c)
 *   0x20000000  ZBT SSRAM2/3, 4 MiB stack, data, the linear memory page
 *   0x21000000  PSRAM, 16 MiB       the NOR flash, backed by a file on the host
 *   0x40004000  CMSDK UART0         console: the protocol below
 *   0x40200000  LAN9118             NVIC line 13
 *
 * Console protocol (host/device/board-phone.ts reads it): one line per
 * message, '#' and a letter, numbers in decimal (i32 as signed):
 *   #H board boot_count          a boot begins (power-on or reset)
 *   #E code a b [text]           hal.event (text: a, b as printable text in memory)
 *   #B slot addr size            the bootloader's choice
 *   #V version                   the board image's entry says which build it is
 *   #S rc why                    the image started (rc 0) or why not
 *   #P ticks                     the phone's first poll, in 40 ns ticks since reset
 *   #L text / #G level text      hal.lcd / hal.log (\\ and \xHH escapes)
 *   #C n v0 v1 ...               the frame counters
 *   #K up                        the PHY's link changed
 *   #R reason                    hal.reset: the board resets through SCB AIRCR
 *   #X text                      the firmware trapped; the board resets
 * Lines without '#' are the board's own notes.
 */
#include <stdint.h>
#include <string.h>

#include "device.h"

#define REG(addr) (*(volatile uint32_t*)(addr))

/* ------------------------------------------------------------ Cortex-M4 core */

#define SYST_CSR REG(0xE000E010u)
#define SYST_RVR REG(0xE000E014u)
#define SYST_CVR REG(0xE000E018u)
#define NVIC_ISER0 REG(0xE000E100u)
#define SCB_AIRCR REG(0xE000ED0Cu)
#define CORE_HZ 25000000u /* hw/arm/mps2.c SYSCLK_FRQ */
#define ETH_IRQ 13

static void irq_off(void) { __asm__ volatile("cpsid i" ::: "memory"); }
static void irq_on(void) { __asm__ volatile("cpsie i" ::: "memory"); }

/* ------------------------------------------------------------ UART0 (CMSDK APB UART) */

#define UART0 0x40004000u
#define UART_DATA REG(UART0 + 0x00)
#define UART_STATE REG(UART0 + 0x04) /* bit 0: TX buffer full */
#define UART_CTRL REG(UART0 + 0x08)  /* bit 0: TX enable */
#define UART_BAUDDIV REG(UART0 + 0x10)

static void uart_init(void) {
  UART_BAUDDIV = CORE_HZ / 115200; /* at least 16, or QEMU refuses it */
  UART_CTRL = 1;
}

static void put_c(char c) {
  while (UART_STATE & 1) {}
  UART_DATA = (uint8_t)c;
}

static void put_s(const char* s) {
  while (*s) put_c(*s++);
}

static void put_u(uint32_t v) {
  char d[10];
  int k = 0;
  do d[k++] = (char)('0' + v % 10); while ((v /= 10) != 0);
  while (k) put_c(d[--k]);
}

static void put_i(int32_t v) {
  if (v < 0) {
    put_c('-');
    put_u(0u - (uint32_t)v);
  } else {
    put_u((uint32_t)v);
  }
}

static void put_hex(uint32_t v, int digits) {
  while (digits--) put_c("0123456789abcdef"[(v >> (4 * digits)) & 15]);
}

/* Text as one line: printable ASCII as it is, the rest (and '\\') escaped. */
static void put_text(const uint8_t* t, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) {
    uint8_t c = t[i];
    if (c == '\\') {
      put_s("\\\\");
    } else if (c >= 0x20 && c < 0x7f) {
      put_c((char)c);
    } else {
      put_s("\\x");
      put_hex(c, 2);
    }
  }
}

/* ------------------------------------------------------------ clock: SysTick, 1 ms */

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
  SYST_RVR = CORE_HZ / 1000 - 1;
  SYST_CVR = 0;
  SYST_CSR = 7; /* processor clock, interrupt, enable */
}

/* ------------------------------------------------------------ NOR flash in the PSRAM */

/* The PSRAM is plain RAM to the CPU; the NOR rules (erase to 0xFF, program
 * only clears bits) are device.c's, which ANDs before it calls nor_write. */
#define NOR_BASE 0x21000000u
uint32_t nor_size = 16u * 1024 * 1024;

void nor_read(uint32_t addr, uint8_t* out, uint32_t len) { memcpy(out, (const void*)(NOR_BASE + addr), len); }
void nor_write(uint32_t addr, const uint8_t* bytes, uint32_t len) { memcpy((void*)(NOR_BASE + addr), bytes, len); }
void nor_erase_sector(uint32_t sector_addr) { memset((void*)(NOR_BASE + sector_addr), 0xff, FLASH_SECTOR); }

/* The factory record (assembly/flash/factory.ts): "IPPF" at 0, the MAC at 8. */
static int factory_mac(uint8_t mac[6]) {
  const uint8_t* f = (const uint8_t*)NOR_BASE;
  if (f[0] != 'I' || f[1] != 'P' || f[2] != 'P' || f[3] != 'F') return -1;
  memcpy(mac, f + 8, 6);
  return 0;
}

/* ------------------------------------------------------------ entropy */

/* Kept across warm resets (.noinit): each boot stirs on from the last. */
static uint32_t g_pool __attribute__((section(".noinit")));

static void stir(uint32_t sample) {
  g_pool = (g_pool ^ sample) * 0x01000193u + 0x9e3779b9u;
  g_pool ^= g_pool >> 13;
}

/* ------------------------------------------------------------ LAN9118 */

#define ETH 0x40200000u
#define ETH_RX_DATA REG(ETH + 0x00)
#define ETH_TX_DATA REG(ETH + 0x20)
#define ETH_RX_STATUS REG(ETH + 0x40)
#define ETH_TX_STATUS REG(ETH + 0x48)
#define ETH_ID_REV REG(ETH + 0x50)
#define ETH_IRQ_CFG REG(ETH + 0x54)
#define ETH_INT_STS REG(ETH + 0x58)
#define ETH_INT_EN REG(ETH + 0x5c)
#define ETH_BYTE_TEST REG(ETH + 0x64)
#define ETH_FIFO_INT REG(ETH + 0x68)
#define ETH_RX_CFG REG(ETH + 0x6c)
#define ETH_TX_CFG REG(ETH + 0x70)
#define ETH_HW_CFG REG(ETH + 0x74)
#define ETH_RX_FIFO_INF REG(ETH + 0x7c)
#define ETH_TX_FIFO_INF REG(ETH + 0x80)
#define ETH_FREE_RUN REG(ETH + 0x9c)
#define ETH_MAC_CSR_CMD REG(ETH + 0xa4)
#define ETH_MAC_CSR_DATA REG(ETH + 0xa8)

/* IRQ_CFG: enabled, active high, push-pull. Anything else and QEMU drives
 * the line inverted: raised after every register write. */
#define IRQ_CFG_VALUE 0x111u
#define INT_RSFL 0x00000008u /* RX status FIFO level */
#define INT_PHY 0x00040000u
#define CSR_BUSY 0x80000000u
#define CSR_READ 0x40000000u

#define MAC_CR 1
#define MAC_ADDRH 2
#define MAC_ADDRL 3
#define MAC_HASHH 4
#define MAC_HASHL 5
#define MAC_MII_ACC 6
#define MAC_MII_DATA 7
#define MAC_CR_RXEN 0x00000004u
#define MAC_CR_TXEN 0x00000008u
#define MAC_CR_HPFILT 0x00002000u /* multicast through the hash table */
#define MAC_CR_FDPX 0x00100000u
#define PHY_ADDR 1
#define PHY_BCR 0
#define PHY_BSR 1
#define PHY_ANAR 4
#define PHY_INT_SRC 29
#define PHY_INT_MASK 30
#define PHY_BSR_LINK 0x0004u

/* The LAN9118's free-running 25 MHz counter at reset, and the ticks its soft
 * reset (eth_init) took away: the firmware's start cost (#P). */
static uint32_t g_t_reset, g_ticks_lost;

static int g_eth_ok;
static volatile uint32_t g_rx_pending, g_link_pending;

/* Bounded waits: a controller that never finishes is reported, not waited for. */
static int wait_clear(volatile uint32_t* reg, uint32_t bits) {
  for (uint32_t i = 0; i < 100000; i++)
    if ((*reg & bits) == 0) return 0;
  return -1;
}

static uint32_t mac_read(uint32_t reg) {
  wait_clear(&ETH_MAC_CSR_CMD, CSR_BUSY);
  ETH_MAC_CSR_CMD = CSR_BUSY | CSR_READ | reg;
  wait_clear(&ETH_MAC_CSR_CMD, CSR_BUSY);
  return ETH_MAC_CSR_DATA;
}

static void mac_write(uint32_t reg, uint32_t value) {
  wait_clear(&ETH_MAC_CSR_CMD, CSR_BUSY);
  ETH_MAC_CSR_DATA = value;
  ETH_MAC_CSR_CMD = CSR_BUSY | reg;
  wait_clear(&ETH_MAC_CSR_CMD, CSR_BUSY);
}

/* MII management of the internal PHY, through the MAC's MII_ACC/MII_DATA. */
static uint32_t phy_read(uint32_t reg) {
  mac_write(MAC_MII_ACC, PHY_ADDR << 11 | reg << 6 | 1);
  for (uint32_t i = 0; i < 100000 && (mac_read(MAC_MII_ACC) & 1); i++) {}
  return mac_read(MAC_MII_DATA) & 0xffff;
}

static void phy_write(uint32_t reg, uint32_t value) {
  mac_write(MAC_MII_DATA, value);
  mac_write(MAC_MII_ACC, PHY_ADDR << 11 | reg << 6 | 2 | 1);
  for (uint32_t i = 0; i < 100000 && (mac_read(MAC_MII_ACC) & 1); i++) {}
}

/* The MAC's 64-bit multicast hash: the top 6 bits of the Ethernet CRC-32 of
 * the address, computed MSB-first (Linux smsc911x_hash, QEMU compute_mcast_idx). */
static uint32_t mcast_hash(const uint8_t* addr) {
  uint32_t crc = 0xffffffffu;
  for (int i = 0; i < 6; i++) {
    uint8_t b = addr[i];
    for (int j = 0; j < 8; j++, b >>= 1) {
      uint32_t carry = (crc >> 31) ^ (b & 1u);
      crc <<= 1;
      if (carry) crc = (crc ^ 0x04c11db6u) | carry;
    }
  }
  return crc >> 26;
}

/* CDP/VTP (Cisco) and LLDP (nearest bridge): the multicast groups the phone listens to. */
static const uint8_t k_groups[2][6] = {{0x01, 0x00, 0x0c, 0xcc, 0xcc, 0xcc}, {0x01, 0x80, 0xc2, 0x00, 0x00, 0x0e}};

static int link_up(void) {
  irq_off();
  phy_read(PHY_BSR); /* the link bit latches low: the second read is the state now */
  int up = (phy_read(PHY_BSR) & PHY_BSR_LINK) != 0;
  irq_on();
  return up;
}

static int eth_init(const uint8_t mac[6]) {
  if (ETH_BYTE_TEST != 0x87654321u || (ETH_ID_REV >> 16) != 0x0118u) return -1;
  ETH_IRQ_CFG = IRQ_CFG_VALUE;
  ETH_HW_CFG = 1; /* soft reset */
  if (wait_clear(&ETH_HW_CFG, 1) != 0) return -2;
  ETH_IRQ_CFG = IRQ_CFG_VALUE;
  ETH_INT_EN = 0;
  ETH_INT_STS = 0xffffffffu;
  mac_write(MAC_ADDRL, (uint32_t)mac[0] | (uint32_t)mac[1] << 8 | (uint32_t)mac[2] << 16 | (uint32_t)mac[3] << 24);
  mac_write(MAC_ADDRH, (uint32_t)mac[4] | (uint32_t)mac[5] << 8);
  uint32_t hash[2] = {0, 0};
  for (int i = 0; i < 2; i++) {
    uint32_t h = mcast_hash(k_groups[i]);
    hash[h >> 5] |= 1u << (h & 31);
  }
  mac_write(MAC_HASHL, hash[0]);
  mac_write(MAC_HASHH, hash[1]);
  phy_write(PHY_BCR, 0x8000); /* PHY reset */
  phy_write(PHY_ANAR, 0x01e1);
  phy_write(PHY_BCR, 0x1200); /* auto-negotiation on, restarted */
  phy_write(PHY_INT_MASK, 0x50); /* link down, auto-negotiation complete */
  phy_read(PHY_INT_SRC);
  ETH_FIFO_INT = 0x48000000u; /* RX status level 0: an interrupt per frame */
  ETH_RX_CFG = 0;             /* no offset, 4-byte end alignment */
  ETH_TX_CFG = 2;             /* TX_ON */
  ETH_INT_STS = 0xffffffffu;
  ETH_INT_EN = INT_RSFL | INT_PHY;
  /* Out of QEMU's reset the MAC is promiscuous: this leaves it receiving its
   * own address, broadcast and the two groups only. */
  mac_write(MAC_CR, MAC_CR_TXEN | MAC_CR_RXEN | MAC_CR_HPFILT | MAC_CR_FDPX);
  if (mac_read(MAC_ADDRL) != ((uint32_t)mac[0] | (uint32_t)mac[1] << 8 | (uint32_t)mac[2] << 16 | (uint32_t)mac[3] << 24)) return -3;
  NVIC_ISER0 = 1u << ETH_IRQ;
  return 0;
}

/* eth_init, counting the free-running counter's ticks up to its soft reset. */
static int eth_start(const uint8_t mac[6]) {
  uint32_t before = ETH_FREE_RUN;
  int rc = eth_init(mac);
  uint32_t after = ETH_FREE_RUN;
  if (after < before) g_ticks_lost = before; /* its soft reset restarted it from 0 */
  return rc;
}

/* NVIC line 13: frames waiting, or the PHY saw the link change. */
void ETH_IRQHandler(void) {
  uint32_t sts = ETH_INT_STS & ETH_INT_EN;
  if (sts & INT_RSFL) {
    g_rx_pending = 1;
    stir(SYST_CVR ^ ETH_FREE_RUN << 7);
  }
  if (sts & INT_PHY) {
    phy_read(PHY_INT_SRC); /* reading the source clears it */
    g_link_pending = 1;
  }
  ETH_INT_STS = sts;
}

static uint32_t g_rx[(1518 + 4 + 3) / 4 + 1];

/* One received frame into g_rx, without its CRC: its length; 0 when none waits. */
static uint32_t eth_receive(void) {
  while ((ETH_RX_FIFO_INF >> 16) & 0xff) {
    uint32_t status = ETH_RX_STATUS;
    uint32_t len = status >> 16 & 0x3fff; /* with the 4-byte CRC */
    uint32_t words = (len + 3) / 4;
    int ok = (status & 0x8000u) == 0 && len >= 14 + 4 && words <= sizeof g_rx / 4;
    for (uint32_t i = 0; i < words; i++) {
      uint32_t w = ETH_RX_DATA;
      if (ok) g_rx[i] = w;
    }
    if (ok) return len - 4;
  }
  return 0;
}

static void eth_send(const uint8_t* frame, uint32_t len) {
  for (uint32_t i = 0; i < 100000 && (ETH_TX_FIFO_INF & 0xffff) < len + 8; i++) {}
  if ((ETH_TX_FIFO_INF & 0xffff) < len + 8) return;
  ETH_TX_DATA = 1u << 13 | 1u << 12 | len; /* command A: first and last segment, buffer size */
  ETH_TX_DATA = len;                       /* command B: packet length (tag 0) */
  for (uint32_t i = 0; i < len; i += 4) {
    uint32_t w = 0;
    for (uint32_t k = 0; k < 4 && i + k < len; k++) w |= (uint32_t)frame[i + k] << (8 * k);
    ETH_TX_DATA = w;
  }
  while ((ETH_TX_FIFO_INF >> 16) & 0xff) (void)ETH_TX_STATUS;
}

/* ------------------------------------------------------------ ports */

static volatile int g_reset = -1;
static int g_counters_due;

void port_tx(const uint8_t* frame, uint32_t len) {
  if (g_reset >= 0 || !g_eth_ok || len < 14 || len > 1518) return;
  eth_send(frame, len);
}

void port_event(uint32_t code, uint32_t a, uint32_t b, const uint8_t* mem, uint32_t mem_size) {
  put_s("#E ");
  put_i((int32_t)code);
  put_c(' ');
  put_i((int32_t)a);
  put_c(' ');
  put_i((int32_t)b);
  /* a, b may be a pointer and a length of text (the host knows which events): give it when they could be. */
  if ((int32_t)b > 0 && b < 256 && (uint64_t)a + b <= mem_size) {
    int printable = 1;
    for (uint32_t i = 0; i < b; i++) printable &= mem[a + i] >= 0x20 && mem[a + i] < 0x7f;
    if (printable) {
      put_c(' ');
      put_text(mem + a, b);
    }
  }
  put_c('\n');
  g_counters_due = 1;
}

void port_lcd(const char* text, uint32_t len) {
  put_s("#L ");
  put_text((const uint8_t*)text, len);
  put_c('\n');
}

void port_log(uint32_t level, const char* text, uint32_t len) {
  put_s("#G ");
  put_u(level);
  put_c(' ');
  put_text((const uint8_t*)text, len);
  put_c('\n');
}

void port_reset(uint32_t reason) {
  if (g_reset < 0) g_reset = (int)reason;
}

void port_watchdog(void) {}

void port_announce(const char* version) {
  put_s("#V ");
  put_text((const uint8_t*)version, (uint32_t)strnlen(version, 64));
  put_c('\n');
}

static void __attribute__((noreturn)) system_reset(void) {
  while (UART_STATE & 1) {}
  __asm__ volatile("dsb" ::: "memory");
  SCB_AIRCR = 0x05FA0004u; /* VECTKEY | SYSRESETREQ */
  __asm__ volatile("dsb" ::: "memory");
  for (;;) {}
}

void device_fatal(const char* why) {
  put_s("#X ");
  put_s(why);
  put_c('\n');
  system_reset();
}

static void put_counters(void) {
  uint32_t v[64];
  uint32_t n = device_counters(v, 64);
  if (n > 64) n = 64;
  put_s("#C ");
  put_u(n);
  for (uint32_t i = 0; i < n; i++) {
    put_c(' ');
    put_u(v[i]);
  }
  put_c('\n');
}

/* ------------------------------------------------------------ the phone */

static uint32_t g_boots __attribute__((section(".noinit")));
static uint32_t g_boots_check __attribute__((section(".noinit")));

static void check(device_rc rc) {
  if (rc != 0) device_fatal(device_trap_text(rc));
}

int main(void) {
  uart_init();
  systick_init();
  /* A cold start finds RAM zeroed by QEMU; a warm reset finds the pool and the count. */
  if (g_boots_check != ~g_boots) g_boots = 0;
  g_boots++;
  g_boots_check = ~g_boots;
  put_s("#H mps2-an386 ");
  put_u(g_boots);
  put_c('\n');
  stir(ETH_FREE_RUN);
  device_init(g_pool);

  int32_t slot;
  uint32_t addr, size;
  uint32_t t0 = ETH_FREE_RUN; /* 25 MHz of QEMU's virtual clock: 40 instructions a tick under -icount shift=0 */
  device_rc rc = device_boot(&slot, &addr, &size);
  uint32_t ticks = ETH_FREE_RUN - t0;
  put_s("#B ");
  put_i(rc != 0 ? rc : slot);
  put_c(' ');
  put_u(addr);
  put_c(' ');
  put_u(size);
  put_c('\n');
  put_s("mps2-an386: boot.wasm ran ");
  put_u(ticks);
  put_s(" ticks of 40 ns\n");
  const char* why = "";
  if (rc == 0 && slot >= 0) {
    /* The bootloader's run time varies with the host: its end is a sample too. */
    stir(SYST_CVR ^ ETH_FREE_RUN);
    device_seed_mix(g_pool);
    uint32_t s0 = ETH_FREE_RUN;
    rc = device_start(addr, size, &why);
    uint32_t start_ticks = ETH_FREE_RUN - s0;
    if (rc < 0 && rc != DEVICE_NO_TRANSLATION) why = device_trap_text(rc);
    if (rc == 0) {
      put_s("mps2-an386: the image's start ran ");
      put_u(start_ticks);
      put_s(" ticks of 40 ns\n");
    }
  } else {
    rc = -1;
    why = "no bootable image";
  }
  put_s("#S ");
  put_i(rc);
  put_c(' ');
  put_s(why);
  put_c('\n');
  if (rc != 0) {
    for (;;) __asm__ volatile("wfi"); /* dark */
  }

  uint8_t mac[6];
  if (factory_mac(mac) != 0) {
    put_s("mps2-an386: no factory data: no MAC address\n");
  } else if (eth_start(mac) != 0) {
    put_s("mps2-an386: LAN9118 not found or not answering\n");
  } else {
    g_eth_ok = 1;
    put_s("mps2-an386: LAN9118 id ");
    put_hex(ETH_ID_REV, 8);
    put_s(" mac ");
    for (int i = 0; i < 6; i++) {
      if (i) put_c(':');
      put_hex(mac[i], 2);
    }
    put_c('\n');
  }
  int up = g_eth_ok && link_up();
  put_s("#K ");
  put_u((uint32_t)up);
  put_c('\n');
  if (!up) check(device_link(0, now_ms()));

  int64_t counters_at = 0;
  int first = 1;
  while (g_reset < 0) {
    int64_t next;
    if (first) {
      first = 0;
      put_s("#P ");
      put_u(ETH_FREE_RUN + g_ticks_lost - g_t_reset);
      put_c('\n');
    }
    check(device_poll(now_ms(), &next));
    g_rx_pending = 0;
    uint32_t len;
    while (g_reset < 0 && g_eth_ok && (len = eth_receive()) != 0) {
      device_seed_mix(SYST_CVR);
      check(device_frame((const uint8_t*)g_rx, len, now_ms()));
    }
    if (g_link_pending) {
      g_link_pending = 0;
      int now_up = link_up();
      if (now_up != up) {
        up = now_up;
        put_s("#K ");
        put_u((uint32_t)up);
        put_c('\n');
        check(device_link(up, now_ms()));
      }
    }
    if (g_counters_due || now_ms() >= counters_at) {
      g_counters_due = 0;
      counters_at = now_ms() + 1000;
      put_counters();
    }
    /* Sleep to the next tick or frame unless the firmware is due now; with
     * interrupts masked, a frame that arrives after the check still wakes WFI. */
    irq_off();
    if (g_reset < 0 && !g_rx_pending && !g_link_pending && next > now_ms()) __asm__ volatile("wfi");
    irq_on();
  }
  put_counters();
  put_s("#R ");
  put_i(g_reset);
  put_c('\n');
  system_reset();
}

/* ------------------------------------------------------------ start-up */

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _estack;

void Reset_Handler(void) {
  uint32_t t = ETH_FREE_RUN;
  uint32_t* src = &_sidata;
  for (uint32_t* dst = &_sdata; dst < &_edata;) *dst++ = *src++;
  for (uint32_t* dst = &_sbss; dst < &_ebss;) *dst++ = 0;
  g_t_reset = t;
  main();
  for (;;) {}
}

static void Fault_Handler(void) {
  put_s("#X hard fault\n");
  system_reset();
}

static void Default_Handler(void) {
  for (;;) {}
}

/* 16 system exceptions and the AN386's 32 interrupt lines. */
__attribute__((section(".isr_vector"), used)) static void (*const g_vectors[16 + 32])(void) = {
  [0] = (void (*)(void))(&_estack),
  [1] = Reset_Handler,
  [2] = Default_Handler, /* NMI */
  [3] = Fault_Handler,   /* HardFault */
  [4] = Fault_Handler,   /* MemManage */
  [5] = Fault_Handler,   /* BusFault */
  [6] = Fault_Handler,   /* UsageFault */
  [11] = Default_Handler, /* SVCall */
  [12] = Default_Handler, /* DebugMon */
  [14] = Default_Handler, /* PendSV */
  [15] = SysTick_Handler,
  [16 + ETH_IRQ] = ETH_IRQHandler,
};
