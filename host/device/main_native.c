/*
 * The native phone: the wasm2c translations of build/boot.wasm and
 * build/phone.wasm on a Linux host, with flash in RAM (loaded from a flash
 * image file that the TypeScript side wrote: factory data, the signed image
 * in slot A).
 *
 *   ipphone-device --pipe --flash FILE --seed N
 *       The host drives the device step by step on stdin/stdout in virtual
 *       time (host/device/native-phone.ts; protocol below).
 *   ipphone-device --vxlan --remote ADDR [--vni N] [--port P] --flash FILE
 *                  --seed N [--timeout S] [--until-event CODE] [--stay S]
 *       A device of its own in real time: boots, polls, and carries its
 *       Ethernet frames over VXLAN (RFC 7348) to a Linux VXLAN interface.
 *       Prints one JSON line per hal event, lcd and log line; exits 0 once
 *       event CODE was seen (and --stay S more seconds passed), 1 on timeout.
 *
 * Pipe protocol: messages of [type u8][length u32 LE][payload], numbers LE.
 *   host -> device                      device -> host (reply last)
 *   'B' boot                            'b' i32 rc, i32 slot, u32 addr, u32 size
 *   'S' u32 addr, u32 size              's' i32 rc, u32 rx_capacity, u32 counter_count, why
 *   'P' i64 now                         'n' i32 rc, i64 next
 *   'F' i64 now, frame                  'k' i32 rc
 *   'L' u32 up, i64 now                 'k' i32 rc
 *   'C' counters                        'c' u32 count, u32 values...
 *   'D' path: write the flash there     'k' i32 rc
 *   'Q' quit
 * While a step runs the device may send 't' frame, 'l' lcd text, 'g' u32
 * level + text, 'r' u32 reason, 'x' trap text (before a reply with rc < 0),
 * and 'e' u32 code, a, b: an event, after which it waits for the host's
 * 'R' u32 ptr, u32 len (answered by 'm' the clipped memory text, as
 * host/firmware.ts text()) as often as the host likes, then 'K'.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "device.h"

/* ------------------------------------------------------------ NOR flash in RAM */

uint32_t nor_size = 16u * 1024 * 1024;
static uint8_t* g_flash;

void nor_read(uint32_t addr, uint8_t* out, uint32_t len) { memcpy(out, g_flash + addr, len); }
void nor_write(uint32_t addr, const uint8_t* bytes, uint32_t len) { memcpy(g_flash + addr, bytes, len); }
void nor_erase_sector(uint32_t sector_addr) { memset(g_flash + sector_addr, 0xff, FLASH_SECTOR); }

static void load_flash(const char* path) {
  g_flash = malloc(nor_size);
  if (!g_flash) device_fatal("no memory for the flash");
  memset(g_flash, 0xff, nor_size);
  if (!path) return;
  FILE* f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "ipphone-device: cannot open flash image %s: %s\n", path, strerror(errno));
    exit(2);
  }
  size_t n = fread(g_flash, 1, nor_size, f);
  (void)n;
  fclose(f);
}

/* Writes the flash up to its last programmed byte (the rest reads as erased). */
static int dump_flash(const char* path) {
  uint32_t end = nor_size;
  while (end > 0 && g_flash[end - 1] == 0xff) end--;
  FILE* f = fopen(path, "wb");
  if (!f) return -1;
  int ok = fwrite(g_flash, 1, end, f) == end;
  return fclose(f) == 0 && ok ? 0 : -1;
}

void device_fatal(const char* why) {
  fprintf(stderr, "ipphone-device: fatal: %s\n", why);
  exit(3);
}

/* ------------------------------------------------------------ pipe mode */

static int g_pipe;
static uint8_t g_in[70000];

static void put_u32(uint8_t* p, uint32_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24); }
static void put_i64(uint8_t* p, int64_t v) { put_u32(p, (uint32_t)v); put_u32(p + 4, (uint32_t)((uint64_t)v >> 32)); }
static uint32_t get_u32(const uint8_t* p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static int64_t get_i64(const uint8_t* p) { return (int64_t)((uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32); }

static void send_msg(uint8_t type, const void* a, uint32_t na, const void* b, uint32_t nb) {
  uint8_t h[5];
  h[0] = type;
  put_u32(h + 1, na + nb);
  fwrite(h, 1, 5, stdout);
  if (na) fwrite(a, 1, na, stdout);
  if (nb) fwrite(b, 1, nb, stdout);
}

/* Reads one message; its payload is in g_in. Exits on end of input. */
static uint8_t read_msg(uint32_t* len) {
  uint8_t h[5];
  fflush(stdout);
  if (fread(h, 1, 5, stdin) != 5) exit(0);
  *len = get_u32(h + 1);
  if (*len > sizeof g_in) device_fatal("message too long");
  if (*len && fread(g_in, 1, *len, stdin) != *len) exit(0);
  return h[0];
}

/* ------------------------------------------------------------ standalone (VXLAN) mode state */

static int g_sock = -1;
static struct sockaddr_in g_remote;
static uint32_t g_vni = 42;
static int64_t g_t0_ms;
static uint32_t g_until_event = 16; /* DhcpBound (host/events.ts Ev) */
static int g_reached;
static int g_reset_reason = -1;

static int64_t mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t now_ms(void) { return mono_ms() - g_t0_ms; }

static void json_text(const char* key, const uint8_t* t, uint32_t n) {
  printf(",\"%s\":\"", key);
  for (uint32_t i = 0; i < n; i++) {
    uint8_t c = t[i];
    if (c == '"' || c == '\\') printf("\\%c", c);
    else if (c >= 0x20 && c < 0x7f) putchar(c);
    else printf("\\u%04x", c);
  }
  putchar('"');
}

/* ------------------------------------------------------------ ports */

void port_tx(const uint8_t* frame, uint32_t len) {
  if (g_pipe) {
    send_msg('t', frame, len, NULL, 0);
    return;
  }
  if (g_reset_reason >= 0) return; /* as host/phone.ts: nothing leaves once a reset is pending */
  if (len < 14 || len > 1518) return; /* as the Wire: runts and oversize frames never leave */
  uint8_t buf[8 + 1518];
  memset(buf, 0, 8);
  buf[0] = 0x08;
  buf[4] = (uint8_t)(g_vni >> 16);
  buf[5] = (uint8_t)(g_vni >> 8);
  buf[6] = (uint8_t)g_vni;
  memcpy(buf + 8, frame, len);
  sendto(g_sock, buf, 8 + len, 0, (struct sockaddr*)&g_remote, sizeof g_remote);
}

void port_event(uint32_t code, uint32_t a, uint32_t b, const uint8_t* mem, uint32_t mem_size) {
  if (g_pipe) {
    uint8_t p[12];
    put_u32(p, code);
    put_u32(p + 4, a);
    put_u32(p + 8, b);
    send_msg('e', p, 12, NULL, 0);
    for (;;) {
      uint32_t len;
      uint8_t t = read_msg(&len);
      if (t == 'K') return;
      if (t != 'R' || len != 8) device_fatal("expected R or K during an event");
      const uint8_t* text;
      uint32_t n;
      device_text(mem, mem_size, get_u32(g_in), get_u32(g_in + 4), &text, &n);
      send_msg('m', text, n, NULL, 0);
    }
  }
  /* i32 arguments, signed as a JavaScript host sees them */
  printf("{\"t_ms\":%lld,\"kind\":\"event\",\"code\":%d,\"a\":%d,\"b\":%d", (long long)now_ms(), (int32_t)code, (int32_t)a, (int32_t)b);
  /* a, b may be a pointer and a length of ASCII text (the host knows which events): give it when it is. */
  if ((int32_t)b > 0 && b < 256 && (uint64_t)a + b <= mem_size) {
    int ascii = 1;
    for (uint32_t i = 0; i < b; i++) ascii &= mem[a + i] >= 0x20 && mem[a + i] < 0x7f;
    if (ascii) json_text("text", mem + a, b);
  }
  printf("}\n");
  fflush(stdout);
  if (code == g_until_event) g_reached = 1;
}

void port_lcd(const char* text, uint32_t len) {
  if (g_pipe) {
    send_msg('l', text, len, NULL, 0);
    return;
  }
  printf("{\"t_ms\":%lld,\"kind\":\"lcd\"", (long long)now_ms());
  json_text("text", (const uint8_t*)text, len);
  printf("}\n");
}

void port_log(uint32_t level, const char* text, uint32_t len) {
  if (g_pipe) {
    uint8_t p[4];
    put_u32(p, level);
    send_msg('g', p, 4, text, len);
    return;
  }
  printf("{\"t_ms\":%lld,\"kind\":\"log\",\"level\":%d", (long long)now_ms(), (int32_t)level);
  json_text("text", (const uint8_t*)text, len);
  printf("}\n");
}

void port_reset(uint32_t reason) {
  if (g_pipe) {
    uint8_t p[4];
    put_u32(p, reason);
    send_msg('r', p, 4, NULL, 0);
    return;
  }
  if (g_reset_reason < 0) g_reset_reason = (int)reason;
}

void port_watchdog(void) {}

static void trap_msg(device_rc rc) {
  if (rc < 0) {
    const char* t = device_trap_text(rc);
    send_msg('x', t, (uint32_t)strlen(t), NULL, 0);
  }
}

static int run_pipe(void) {
  g_pipe = 1;
  for (;;) {
    uint32_t len;
    uint8_t type = read_msg(&len);
    uint8_t out[16];
    device_rc rc;
    switch (type) {
      case 'B': {
        int32_t slot = -1;
        uint32_t addr = 0, size = 0;
        rc = device_boot(&slot, &addr, &size);
        trap_msg(rc);
        put_u32(out, (uint32_t)rc);
        put_u32(out + 4, (uint32_t)slot);
        put_u32(out + 8, addr);
        put_u32(out + 12, size);
        send_msg('b', out, 16, NULL, 0);
        break;
      }
      case 'S': {
        const char* why = "";
        rc = device_start(get_u32(g_in), get_u32(g_in + 4), &why);
        if (rc < 0 && rc != DEVICE_NO_TRANSLATION) why = device_trap_text(rc);
        put_u32(out, (uint32_t)rc);
        put_u32(out + 4, rc == 0 ? device_rx_capacity() : 0);
        put_u32(out + 8, rc == 0 ? device_counter_count() : 0);
        send_msg('s', out, 12, why, (uint32_t)strlen(why));
        break;
      }
      case 'P': {
        int64_t next;
        rc = device_poll(get_i64(g_in), &next);
        trap_msg(rc);
        put_u32(out, (uint32_t)rc);
        put_i64(out + 4, next);
        send_msg('n', out, 12, NULL, 0);
        break;
      }
      case 'F':
        rc = device_frame(g_in + 8, len - 8, get_i64(g_in));
        trap_msg(rc);
        put_u32(out, (uint32_t)rc);
        send_msg('k', out, 4, NULL, 0);
        break;
      case 'L':
        rc = device_link(get_u32(g_in) != 0, get_i64(g_in + 4));
        trap_msg(rc);
        put_u32(out, (uint32_t)rc);
        send_msg('k', out, 4, NULL, 0);
        break;
      case 'C': {
        uint32_t values[256];
        uint32_t n = device_counters(values, 256);
        if (n > 256) n = 256;
        uint8_t buf[4 + 4 * 256];
        put_u32(buf, n);
        for (uint32_t i = 0; i < n; i++) put_u32(buf + 4 + 4 * i, values[i]);
        send_msg('c', buf, 4 + 4 * n, NULL, 0);
        break;
      }
      case 'D': {
        char path[4096];
        if (len >= sizeof path) device_fatal("path too long");
        memcpy(path, g_in, len);
        path[len] = 0;
        put_u32(out, (uint32_t)dump_flash(path));
        send_msg('k', out, 4, NULL, 0);
        break;
      }
      case 'Q':
        fflush(stdout);
        return 0;
      default:
        device_fatal("unknown command");
    }
  }
}

/* ------------------------------------------------------------ standalone mode */

/* Boots and starts the firmware; 0 when it runs. */
static int boot_and_start(void) {
  int32_t slot;
  uint32_t addr, size;
  device_rc rc = device_boot(&slot, &addr, &size);
  if (rc < 0 || slot < 0) {
    printf("{\"t_ms\":%lld,\"kind\":\"boot-failed\",\"slot\":%d,\"trap\":\"%s\"}\n", (long long)now_ms(), slot, rc < 0 ? device_trap_text(rc) : "");
    return -1;
  }
  const char* why = "";
  rc = device_start(addr, size, &why);
  if (rc < 0) {
    printf("{\"t_ms\":%lld,\"kind\":\"start-failed\",\"slot\":%d,\"why\":\"%s\"}\n", (long long)now_ms(), slot, rc == DEVICE_NO_TRANSLATION ? why : device_trap_text(rc));
    return -1;
  }
  printf("{\"t_ms\":%lld,\"kind\":\"run\",\"slot\":%d,\"addr\":%u,\"size\":%u}\n", (long long)now_ms(), slot, addr, size);
  return 0;
}

static int run_vxlan(const char* remote, uint32_t port, double timeout_s, double stay_s) {
  g_sock = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in local;
  memset(&local, 0, sizeof local);
  local.sin_family = AF_INET;
  local.sin_port = htons((uint16_t)port);
  local.sin_addr.s_addr = htonl(INADDR_ANY);
  if (g_sock < 0 || bind(g_sock, (struct sockaddr*)&local, sizeof local) != 0) {
    fprintf(stderr, "ipphone-device: cannot bind UDP port %u: %s\n", port, strerror(errno));
    return 2;
  }
  memset(&g_remote, 0, sizeof g_remote);
  g_remote.sin_family = AF_INET;
  g_remote.sin_port = htons((uint16_t)port);
  if (inet_pton(AF_INET, remote, &g_remote.sin_addr) != 1) {
    fprintf(stderr, "ipphone-device: bad --remote %s\n", remote);
    return 2;
  }
  g_t0_ms = mono_ms();
  if (boot_and_start() != 0) return 1;
  int64_t deadline = (int64_t)(timeout_s * 1000), reached_at = -1;
  uint8_t buf[2048];
  for (;;) {
    /* hal.reset takes effect when the firmware's call returned: the bootloader runs again. */
    if (g_reset_reason >= 0) {
      printf("{\"t_ms\":%lld,\"kind\":\"reset\",\"reason\":%d}\n", (long long)now_ms(), g_reset_reason);
      g_reset_reason = -1;
      if (boot_and_start() != 0) return 1;
    }
    int64_t next;
    device_rc rc = device_poll(now_ms(), &next);
    if (rc < 0) {
      fprintf(stderr, "ipphone-device: the firmware trapped: %s\n", device_trap_text(rc));
      return 3;
    }
    if (g_reset_reason >= 0) continue;
    if (g_reached && reached_at < 0) reached_at = now_ms();
    if (reached_at >= 0 && now_ms() >= reached_at + (int64_t)(stay_s * 1000)) break;
    if (reached_at < 0 && now_ms() >= deadline) {
      fprintf(stderr, "ipphone-device: event %u not seen in %.0f s\n", g_until_event, timeout_s);
      fflush(stdout);
      return 1;
    }
    int64_t now = now_ms();
    int64_t wait = next == INT64_MAX ? 1000 : next - now;
    if (wait > 1000) wait = 1000;
    if (wait < 0) wait = 0;
    struct pollfd pfd = {g_sock, POLLIN, 0};
    fflush(stdout);
    if (poll(&pfd, 1, (int)wait) > 0) {
      ssize_t n = recv(g_sock, buf, sizeof buf, 0);
      if (n >= 8 + 14 && (buf[0] & 0x08) && ((uint32_t)buf[4] << 16 | (uint32_t)buf[5] << 8 | buf[6]) == g_vni) {
        rc = device_frame(buf + 8, (uint32_t)(n - 8), now_ms());
        if (rc < 0) {
          fprintf(stderr, "ipphone-device: the firmware trapped: %s\n", device_trap_text(rc));
          return 3;
        }
      }
    }
  }
  uint32_t counters[256];
  uint32_t n = device_counters(counters, 256);
  printf("{\"t_ms\":%lld,\"kind\":\"counters\",\"values\":[", (long long)now_ms());
  for (uint32_t i = 0; i < n && i < 256; i++) printf("%s%u", i ? "," : "", counters[i]);
  printf("]}\n");
  fflush(stdout);
  return 0;
}

static void usage(void) {
  fprintf(stderr,
          "usage: ipphone-device --pipe --flash FILE --seed N\n"
          "       ipphone-device --vxlan --remote ADDR [--vni N] [--port P] --flash FILE --seed N\n"
          "                      [--timeout S] [--until-event CODE] [--stay S]\n");
  exit(2);
}

int main(int argc, char** argv) {
  const char *flash = NULL, *remote = NULL, *mode = NULL;
  uint32_t seed = 1, port = 4789;
  double timeout_s = 60, stay_s = 0;
  for (int i = 1; i < argc; i++) {
    const char* a = argv[i];
    const char* v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--pipe") || !strcmp(a, "--vxlan")) mode = a + 2;
    else if (!v) usage();
    else if (!strcmp(a, "--flash")) flash = v, i++;
    else if (!strcmp(a, "--seed")) seed = (uint32_t)strtoll(v, NULL, 0), i++;
    else if (!strcmp(a, "--remote")) remote = v, i++;
    else if (!strcmp(a, "--vni")) g_vni = (uint32_t)strtoul(v, NULL, 0), i++;
    else if (!strcmp(a, "--port")) port = (uint32_t)strtoul(v, NULL, 0), i++;
    else if (!strcmp(a, "--timeout")) timeout_s = atof(v), i++;
    else if (!strcmp(a, "--stay")) stay_s = atof(v), i++;
    else if (!strcmp(a, "--until-event")) g_until_event = (uint32_t)strtoul(v, NULL, 0), i++;
    else usage();
  }
  if (!mode || !flash) usage();
  load_flash(flash);
  device_init(seed);
  if (!strcmp(mode, "pipe")) return run_pipe();
  if (!remote) usage();
  return run_vxlan(remote, port, timeout_s, stay_s);
}
