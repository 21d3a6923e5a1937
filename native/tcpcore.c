/*
 * tcpcore: the native socket layer of tcpprobe's connection pool (src/engine/native-transport.ts).
 *
 * It opens, holds, reads and resets TCP sockets itself with one epoll set per Core, and meets Node's event loop
 * with one uv_poll on that epoll fd (see docs/native-engine.md for why not a thread). Everything that happened in
 * one poll turn is handed to JS in ONE call: an Int32Array of fixed records plus one buffer of the bytes kept, never
 * one callback per socket. Sockets are named by their fd; every record also carries the id JS gave at connect, so
 * a record for an fd that JS has closed (and perhaps reused) is recognised as stale.
 *
 * Plain Node-API (no C++ wrapper): one binary for every Node version with NAPI 8.
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>
#include <uv.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

/*
 * Record kinds; a record is REC_WORDS int32: kind, fd, id, a, b. Established: a = connect microseconds, b = SYNs
 * the kernel resent (-1: unknown). Accepted (the built-in target's accept path): a connection taken from the
 * listener, under an id the core gave it. Listen failed: accept() failed for want of fds (a = errno); the listener
 * is paused until acceptBudget() is called again.
 */
enum { EV_ESTABLISHED = 1, EV_DATA = 2, EV_CLOSED = 3, EV_FAILED = 4, EV_ACCEPTED = 5, EV_LISTEN_FAILED = 6 };
#define REC_WORDS 5
/*
 * The interface version: what the calls take and what the records carry. Bump it with any change to either, and
 * CORE_INTERFACE in src/engine/native-addon.ts with it: a core built from older sources then refuses to load
 * instead of handing over records that mean something else (2: an established record's b is the SYN resend count;
 * 3: a closed record's b, and a read failure's b less one, is the segments received, for a connection that got no bytes;
 * 4: the accept path: listen, unlisten, listenerCopy, acceptBudget, adopt, and the accepted records; tcpInfo for
 * the handshake audit, which names sockets by fd and id, so no localPort).
 */
#define CORE_INTERFACE 4
/* Connections taken from the listener per readiness event, so one turn cannot be spent accepting alone. */
#define ACCEPTS_PER_EVENT 256
/* epoll events taken per epoll_wait, and rounds per poll callback (bounds the time one turn can take). */
#define EPOLL_BATCH 512
#define MAX_ROUNDS 32
/* Bytes read per recv; a flooding server is read at most this times READS_PER_EVENT per event. */
#define READ_CHUNK 16384
#define READS_PER_EVENT 8

enum { S_FREE = 0, S_CONNECTING = 1, S_OPEN = 2, S_DONE = 3 };

typedef struct {
  int32_t id;
  uint8_t state;
  /* Taken from the listener (the accept path), not connected: its close needs no segment count. */
  uint8_t accepted;
  /* Bytes still to hand to JS (the first bytes kept, or the --expect match window). */
  uint16_t keep;
  uint32_t pend_len;
  uint8_t *pend; /* unsent remainder of a write */
  uint64_t started_ns;
  uint64_t bytes_in;
} conn_t;

typedef struct {
  napi_env env;
  int epfd;
  uv_poll_t poll;
  napi_ref self;
  napi_ref callback;
  napi_async_context actx;
  conn_t *conns;
  size_t nconns;
  int32_t *ev;
  size_t evlen, evcap; /* in int32 words */
  uint8_t *data;
  size_t datalen, datacap;
  int64_t open_fds;
  int closed;
  int polling;
  /* Freed when both are done: the JS object is gone and libuv has closed the poll handle. */
  int finalized;
  int poll_closed;
  int bind_no_port;
  /* The accept path: one listening socket (a copy of the caller's), or -1. */
  int listen_fd;
  /* In the epoll set; out of it while the budget is spent or accept() ran out of fds. */
  int listen_armed;
  /* Connections still to accept before the listener pauses (the caller keeps it below its open-files limit). */
  int64_t accept_budget;
  int32_t next_accept_id;
  uint64_t batches;
  uint64_t records;
} core_t;

static uint8_t scratch[READ_CHUNK];

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int grow_conns(core_t *c, int fd) {
  if ((size_t)fd < c->nconns) return 0;
  size_t n = c->nconns == 0 ? 1024 : c->nconns;
  while (n <= (size_t)fd) n *= 2;
  conn_t *p = realloc(c->conns, n * sizeof(conn_t));
  if (p == NULL) return -1;
  memset(p + c->nconns, 0, (n - c->nconns) * sizeof(conn_t));
  c->conns = p;
  c->nconns = n;
  return 0;
}

static int push_rec(core_t *c, int kind, int fd, int32_t id, int32_t a, int32_t b) {
  if (c->evlen + REC_WORDS > c->evcap) {
    size_t n = c->evcap == 0 ? 1024 * REC_WORDS : c->evcap * 2;
    int32_t *p = realloc(c->ev, n * sizeof(int32_t));
    if (p == NULL) return -1;
    c->ev = p;
    c->evcap = n;
  }
  int32_t *r = c->ev + c->evlen;
  r[0] = kind;
  r[1] = fd;
  r[2] = id;
  r[3] = a;
  r[4] = b;
  c->evlen += REC_WORDS;
  return 0;
}

static int push_data(core_t *c, const uint8_t *bytes, size_t len, size_t *offset) {
  if (c->datalen + len > c->datacap) {
    size_t n = c->datacap == 0 ? 65536 : c->datacap;
    while (n < c->datalen + len) n *= 2;
    uint8_t *p = realloc(c->data, n);
    if (p == NULL) return -1;
    c->data = p;
    c->datacap = n;
  }
  memcpy(c->data + c->datalen, bytes, len);
  *offset = c->datalen;
  c->datalen += len;
  return 0;
}

/* Stop watching a socket whose end has been reported; JS closes it (reset or destroy). */
static void finish(core_t *c, int fd) {
  epoll_ctl(c->epfd, EPOLL_CTL_DEL, fd, NULL);
  c->conns[fd].state = S_DONE;
}

static void release(core_t *c, int fd, int rst) {
  conn_t *k = &c->conns[fd];
  if (rst) {
    struct linger lg = {1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
  }
  close(fd); /* also leaves the epoll set */
  free(k->pend);
  memset(k, 0, sizeof(*k));
  c->open_fds--;
}

static void update_ref(core_t *c) {
  /* Like Node's sockets: open connections keep the process alive, an idle core does not. */
  if (!c->polling) return;
  if (c->open_fds > 0) uv_ref((uv_handle_t *)&c->poll);
  else uv_unref((uv_handle_t *)&c->poll);
}

static void flush_pending_write(core_t *c, int fd) {
  conn_t *k = &c->conns[fd];
  while (k->pend_len > 0) {
    ssize_t n = send(fd, k->pend, k->pend_len, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) return;
      k->pend_len = 0; /* the read side reports the reset */
      break;
    }
    memmove(k->pend, k->pend + n, k->pend_len - (size_t)n);
    k->pend_len -= (uint32_t)n;
  }
  free(k->pend);
  k->pend = NULL;
  struct epoll_event ee = {.events = EPOLLIN | EPOLLRDHUP, .data.fd = fd};
  epoll_ctl(c->epfd, EPOLL_CTL_MOD, fd, &ee);
}

/*
 * TCP_INFO's segs_in of a connection the server closed before sending a byte: its SYN-ACK and its FIN or RST are
 * two; more means the server resent its SYN-ACK, that is, completed the handshake late (the pool decides what that
 * means). Read from the raw struct: glibc's netinet/tcp.h stops before segs_in (offset 140 in linux/tcp.h since
 * 4.2). 0 when the kernel cannot say, the connection got bytes, or it is an accepted one (nobody asks there).
 */
#define TCPI_SEGS_IN_OFFSET 140
static int32_t segs_in_at_close(int fd, const conn_t *k) {
  if (k->bytes_in > 0 || k->accepted) return 0;
  unsigned char ti[232];
  socklen_t len = sizeof(ti);
  uint32_t segs = 0;
  if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, ti, &len) != 0 || len < TCPI_SEGS_IN_OFFSET + sizeof(segs)) return 0;
  memcpy(&segs, ti + TCPI_SEGS_IN_OFFSET, sizeof(segs));
  return segs > INT32_MAX - 1 ? INT32_MAX - 1 : (int32_t)segs;
}

static void read_some(core_t *c, int fd) {
  conn_t *k = &c->conns[fd];
  for (int i = 0; i < READS_PER_EVENT; i++) {
    ssize_t n = recv(fd, scratch, sizeof(scratch), 0);
    if (n > 0) {
      k->bytes_in += (uint64_t)n;
      if (k->keep > 0) {
        size_t take = (size_t)n < k->keep ? (size_t)n : k->keep;
        size_t off;
        if (push_data(c, scratch, take, &off) == 0) {
          push_rec(c, EV_DATA, fd, k->id, (int32_t)off, (int32_t)take);
          k->keep -= (uint16_t)take;
        }
      }
      continue;
    }
    if (n == 0) {
      /* a: every byte the connection received, kept or not (capped at INT32_MAX); b: segs_in_at_close. */
      push_rec(c, EV_CLOSED, fd, k->id, (int32_t)(k->bytes_in > INT32_MAX ? INT32_MAX : k->bytes_in), segs_in_at_close(fd, k));
      finish(c, fd);
      return;
    }
    if (errno == EAGAIN || errno == EINTR) return;
    /* b: 1 (a read failed, not the connect) plus segs_in_at_close. */
    push_rec(c, EV_FAILED, fd, k->id, errno, 1 + segs_in_at_close(fd, k));
    finish(c, fd);
    return;
  }
}

/*
 * How many times the kernel resent this connect's SYN before the handshake completed: TCP_INFO's total_retrans,
 * which counts nothing else until the connection carries data. No SYN is resent sooner than TCP_RTO_MIN (200 ms;
 * the first resend comes after 1 s), so a faster connect is 0 without a syscall. -1 when the kernel cannot say.
 */
#define SYN_RESEND_MIN_US 200000
static int32_t syn_retransmits(int fd, uint64_t connect_us) {
  if (connect_us < SYN_RESEND_MIN_US) return 0;
  struct tcp_info ti;
  socklen_t len = sizeof(ti);
  memset(&ti, 0, sizeof(ti));
  if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0 ||
      len < offsetof(struct tcp_info, tcpi_total_retrans) + sizeof(ti.tcpi_total_retrans))
    return -1;
  return ti.tcpi_total_retrans > INT32_MAX ? INT32_MAX : (int32_t)ti.tcpi_total_retrans;
}

static void arm_listener(core_t *c, int on) {
  if (c->listen_fd < 0 || c->listen_armed == on) return;
  if (on) {
    /* EPOLLEXCLUSIVE: of the processes waiting on copies of one listener, the kernel wakes one per connection. */
    struct epoll_event ee = {.events = EPOLLIN | EPOLLEXCLUSIVE, .data.fd = c->listen_fd};
    if (epoll_ctl(c->epfd, EPOLL_CTL_ADD, c->listen_fd, &ee) != 0) return;
  } else {
    epoll_ctl(c->epfd, EPOLL_CTL_DEL, c->listen_fd, NULL);
  }
  c->listen_armed = on;
}

/* Hold a connected socket as accepted under `id`: read and discarded, its end reported like a connect's. */
static int hold_accepted(core_t *c, int fd, int32_t id) {
  struct epoll_event ee = {.events = EPOLLIN | EPOLLRDHUP, .data.fd = fd};
  if (grow_conns(c, fd) != 0 || epoll_ctl(c->epfd, EPOLL_CTL_ADD, fd, &ee) != 0) return -1;
  conn_t *k = &c->conns[fd];
  memset(k, 0, sizeof(*k));
  k->id = id;
  k->state = S_OPEN;
  k->accepted = 1;
  k->started_ns = now_ns();
  c->open_fds++;
  return 0;
}

static void accept_some(core_t *c) {
  for (int i = 0; i < ACCEPTS_PER_EVENT && c->accept_budget > 0; i++) {
    int fd = accept4(c->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EAGAIN) return;
      /* EMFILE, ENFILE, ENOBUFS: a level-triggered listener would wake us for ever; pause it and say so. */
      push_rec(c, EV_LISTEN_FAILED, c->listen_fd, 0, errno, 0);
      arm_listener(c, 0);
      return;
    }
    if (c->next_accept_id <= 0 || c->next_accept_id == INT32_MAX) c->next_accept_id = 1;
    int32_t id = c->next_accept_id++;
    if (hold_accepted(c, fd, id) != 0) {
      struct linger lg = {1, 0};
      setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
      close(fd);
      continue;
    }
    push_rec(c, EV_ACCEPTED, fd, id, 0, 0);
    c->accept_budget--;
  }
  if (c->accept_budget <= 0) arm_listener(c, 0);
  update_ref(c);
}

static void handle_event(core_t *c, int fd, uint32_t events) {
  if (fd >= 0 && fd == c->listen_fd) {
    accept_some(c);
    return;
  }
  if (fd < 0 || (size_t)fd >= c->nconns) return;
  conn_t *k = &c->conns[fd];
  if (k->state == S_CONNECTING) {
    if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) return;
    int err = 0;
    if (events & (EPOLLERR | EPOLLHUP)) {
      /* Only a failed connect raises these while connecting: ask why (a plain EPOLLOUT needs no syscall). */
      socklen_t len = sizeof(err);
      if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
      if (err == 0 && !(events & EPOLLOUT)) err = ECONNREFUSED;
    }
    if (err != 0) {
      push_rec(c, EV_FAILED, fd, k->id, err, 0);
      finish(c, fd);
      return;
    }
    uint64_t us = (now_ns() - k->started_ns) / 1000;
    push_rec(c, EV_ESTABLISHED, fd, k->id, (int32_t)(us > INT32_MAX ? INT32_MAX : us), syn_retransmits(fd, us));
    k->state = S_OPEN;
    struct epoll_event ee = {.events = EPOLLIN | EPOLLRDHUP | (k->pend ? EPOLLOUT : 0), .data.fd = fd};
    epoll_ctl(c->epfd, EPOLL_CTL_MOD, fd, &ee);
    if (k->pend) flush_pending_write(c, fd);
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) read_some(c, fd);
    return;
  }
  if (k->state != S_OPEN) return;
  if ((events & EPOLLOUT) && k->pend) flush_pending_write(c, fd);
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) read_some(c, fd);
}

static void deliver(core_t *c) {
  if (c->evlen == 0) return;
  napi_env env = c->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value cb, self, argv[2], ab, result;
  void *dst;
  size_t bytes = c->evlen * sizeof(int32_t);
  napi_create_arraybuffer(env, bytes, &dst, &ab);
  memcpy(dst, c->ev, bytes);
  napi_create_typedarray(env, napi_int32_array, c->evlen, ab, 0, &argv[0]);
  napi_create_buffer_copy(env, c->datalen, c->datalen ? (void *)c->data : (void *)"", NULL, &argv[1]);
  c->batches++;
  c->records += c->evlen / REC_WORDS;
  c->evlen = 0;
  c->datalen = 0;
  napi_get_reference_value(env, c->callback, &cb);
  napi_get_reference_value(env, c->self, &self);
  napi_status st = napi_make_callback(env, c->actx, self, cb, 2, argv, &result);
  if (st == napi_pending_exception) {
    /* An exception in the JS handler: hand it to Node's uncaught-exception path, as a throw in any I/O callback. */
    napi_value err;
    napi_get_and_clear_last_exception(env, &err);
    napi_fatal_exception(env, err);
  }
  napi_close_handle_scope(env, scope);
}

static void on_poll(uv_poll_t *h, int status, int events) {
  (void)events;
  core_t *c = h->data;
  if (c->closed) return;
  struct epoll_event evs[EPOLL_BATCH];
  (void)status;
  for (int round = 0; round < MAX_ROUNDS; round++) {
    int n = epoll_wait(c->epfd, evs, EPOLL_BATCH, 0);
    if (n <= 0) break;
    for (int i = 0; i < n; i++) handle_event(c, evs[i].data.fd, evs[i].events);
    if (n < EPOLL_BATCH) break;
  }
  deliver(c);
}

static void close_listener(core_t *c) {
  if (c->listen_fd < 0) return;
  close(c->listen_fd); /* also leaves the epoll set */
  c->listen_fd = -1;
  c->listen_armed = 0;
}

static void close_all(core_t *c) {
  close_listener(c);
  for (size_t fd = 0; fd < c->nconns; fd++) {
    if (c->conns[fd].state != S_FREE) release(c, (int)fd, c->conns[fd].state != S_CONNECTING);
  }
}

static void free_core(core_t *c) {
  free(c->conns);
  free(c->ev);
  free(c->data);
  free(c);
}

static void on_poll_closed(uv_handle_t *h) {
  core_t *c = h->data;
  c->poll_closed = 1;
  if (c->finalized) free_core(c);
}

static void core_shutdown(core_t *c) {
  if (c->closed) return;
  c->closed = 1;
  close_all(c);
  /*
   * Close the handle now, not at garbage collection: libuv forgets the fd when the handle stops, and a later stop
   * of this handle would remove whatever else has this fd number by then (another core's epoll set).
   */
  c->polling = 0;
  uv_close((uv_handle_t *)&c->poll, on_poll_closed);
  close(c->epfd);
  c->epfd = -1;
  napi_delete_reference(c->env, c->callback);
  napi_async_destroy(c->env, c->actx);
}

static void core_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  core_t *c = data;
  core_shutdown(c);
  c->finalized = 1;
  if (c->poll_closed) free_core(c);
}

/* ---- JS-facing methods ---- */

#define CHECK(call)                                                                                                  \
  do {                                                                                                               \
    if ((call) != napi_ok) {                                                                                         \
      napi_throw_error(env, NULL, "tcpcore: " #call " failed");                                                      \
      return NULL;                                                                                                   \
    }                                                                                                                \
  } while (0)

static core_t *unwrap(napi_env env, napi_callback_info info, size_t *argc, napi_value *argv) {
  napi_value self;
  void *p;
  if (napi_get_cb_info(env, info, argc, argv, &self, NULL) != napi_ok) return NULL;
  if (napi_unwrap(env, self, &p) != napi_ok) return NULL;
  core_t *c = p;
  if (c->closed) {
    napi_throw_error(env, "ERR_TCPCORE_CLOSED", "tcpcore: the core is closed");
    return NULL;
  }
  return c;
}

static napi_value num(napi_env env, double v) {
  napi_value r;
  napi_create_double(env, v, &r);
  return r;
}

static napi_value boolean(napi_env env, bool v) {
  napi_value r;
  napi_get_boolean(env, v, &r);
  return r;
}

/* Largest fd table reserved up front (entries; the kernel keeps 8 bytes per entry): 1 MB at most. */
#define FD_TABLE_RESERVE_MAX 131072
/* 0: not asked; 1: growing (on the reserving thread); 2: done, or nothing to do. */
static _Atomic int fd_table_state = 0;

/*
 * Grow this process's fd table once, to the open-files limit, before the first connect. The kernel doubles the
 * table as fds are allocated (64, 128, ... 16384 for 10,000 sockets) and, in a process with more than one
 * thread (every Node process), each doubling waits for an RCU grace period: measured here, 6-28 ms each and
 * about 0.11 s per 10,000 connects, in the middle of the ramp. One F_DUPFD at the top of the limit pays one grace
 * period instead, 6-12 ms measured. F_DUPFD takes the lowest free fd at or above the number, so it never replaces
 * an open one.
 */
static void grow_fd_table(void) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < 2) return;
  rlim_t top = rl.rlim_cur > FD_TABLE_RESERVE_MAX ? FD_TABLE_RESERVE_MAX : rl.rlim_cur;
  int any = epoll_create1(EPOLL_CLOEXEC); /* any fd of our own to duplicate */
  if (any < 0) return;
  int fd = fcntl(any, F_DUPFD_CLOEXEC, (int)(top - 1));
  if (fd >= 0) close(fd);
  close(any);
}

static void *grow_fd_table_thread(void *unused) {
  grow_fd_table();
  fd_table_state = 2;
  return NULL;
}

/*
 * Start growing the table on a thread of its own, once per process: the grace period is a wait, not work, so the
 * main thread goes on loading modules, resolving and checking the machine meanwhile. A socket() that needs a slot
 * past the old table while the table grows waits in the kernel for the new one (as it would for a doubling), so
 * nothing needs to wait for the thread here. Without a thread, grown in place.
 */
static void reserve_fd_table(void) {
  int expected = 0;
  if (!atomic_compare_exchange_strong(&fd_table_state, &expected, 1)) return;
  pthread_attr_t attr;
  pthread_t thread;
  int started = pthread_attr_init(&attr) == 0 && pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED) == 0 &&
                pthread_attr_setstacksize(&attr, 64 * 1024) == 0 &&
                pthread_create(&thread, &attr, grow_fd_table_thread, NULL) == 0;
  pthread_attr_destroy(&attr);
  if (!started) grow_fd_table_thread(NULL);
}

/* reserveFdTable(): start growing the table (see reserve_fd_table). For the JS engine's sockets too. */
static napi_value reserve_fd_table_js(napi_env env, napi_callback_info info) {
  reserve_fd_table();
  return NULL;
}

/* fdTableReady() -> whether the table has grown (or there was nothing to grow); false before reserveFdTable(). */
static napi_value fd_table_ready_js(napi_env env, napi_callback_info info) {
  napi_value r;
  napi_get_boolean(env, fd_table_state == 2, &r);
  return r;
}

/* new Core(onBatch(records: Int32Array, data: Buffer), { bindNoPort }) */
static napi_value core_new(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], self;
  CHECK(napi_get_cb_info(env, info, &argc, argv, &self, NULL));
  napi_valuetype t;
  if (argc < 1 || napi_typeof(env, argv[0], &t) != napi_ok || t != napi_function) {
    napi_throw_type_error(env, NULL, "tcpcore: new Core(onBatch) needs a function");
    return NULL;
  }
  core_t *c = calloc(1, sizeof(core_t));
  if (c == NULL) {
    napi_throw_error(env, "ENOMEM", "tcpcore: out of memory");
    return NULL;
  }
  c->env = env;
  c->listen_fd = -1;
  c->epfd = epoll_create1(EPOLL_CLOEXEC);
  if (c->epfd < 0) {
    free(c);
    napi_throw_error(env, "EMFILE", "tcpcore: epoll_create1 failed");
    return NULL;
  }
  reserve_fd_table();
  if (argc >= 2) {
    napi_value v;
    bool b = false;
    if (napi_typeof(env, argv[1], &t) == napi_ok && t == napi_object &&
        napi_get_named_property(env, argv[1], "bindNoPort", &v) == napi_ok)
      napi_get_value_bool(env, v, &b);
    c->bind_no_port = b;
  }
  struct uv_loop_s *loop;
  CHECK(napi_get_uv_event_loop(env, &loop));
  if (uv_poll_init(loop, &c->poll, c->epfd) != 0) {
    close(c->epfd);
    free(c);
    napi_throw_error(env, NULL, "tcpcore: uv_poll_init failed");
    return NULL;
  }
  c->poll.data = c;
  uv_poll_start(&c->poll, UV_READABLE, on_poll);
  c->polling = 1;
  update_ref(c);
  napi_value name;
  CHECK(napi_create_string_utf8(env, "tcpcore", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_async_init(env, NULL, name, &c->actx));
  CHECK(napi_create_reference(env, argv[0], 1, &c->callback));
  CHECK(napi_wrap(env, self, c, core_finalize, NULL, &c->self));
  return self;
}

static int parse_addr(napi_env env, napi_value v, int family, int port, struct sockaddr_storage *ss, socklen_t *len) {
  char buf[64];
  size_t n;
  if (napi_get_value_string_utf8(env, v, buf, sizeof(buf), &n) != napi_ok) return -1;
  memset(ss, 0, sizeof(*ss));
  if (family == 6) {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
    a->sin6_family = AF_INET6;
    a->sin6_port = htons((uint16_t)port);
    if (inet_pton(AF_INET6, buf, &a->sin6_addr) != 1) return -1;
    *len = sizeof(*a);
  } else {
    struct sockaddr_in *a = (struct sockaddr_in *)ss;
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, buf, &a->sin_addr) != 1) return -1;
    *len = sizeof(*a);
  }
  return 0;
}

static void set_keepalive(int fd, int idle_s) {
  int on = idle_s > 0;
  setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on));
  if (on) setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle_s, sizeof(idle_s));
}

/*
 * connect(id, address, port, family, localAddress ('' for none), keepAliveSeconds (0: off), keepBytes)
 * -> fd (>= 0), or -errno for a connect that failed at once (nothing left open).
 */
static napi_value core_connect(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  core_t *c = unwrap(env, info, &argc, argv);
  if (c == NULL) return NULL;
  if (argc < 7) {
    napi_throw_type_error(env, NULL, "tcpcore: connect needs 7 arguments");
    return NULL;
  }
  int32_t id, port, family, keep_s, keep_bytes;
  CHECK(napi_get_value_int32(env, argv[0], &id));
  CHECK(napi_get_value_int32(env, argv[2], &port));
  CHECK(napi_get_value_int32(env, argv[3], &family));
  CHECK(napi_get_value_int32(env, argv[5], &keep_s));
  CHECK(napi_get_value_int32(env, argv[6], &keep_bytes));
  struct sockaddr_storage dst, src;
  socklen_t dlen, slen;
  if (parse_addr(env, argv[1], family, port, &dst, &dlen) != 0) return num(env, -EINVAL);
  size_t llen = 0;
  CHECK(napi_get_value_string_utf8(env, argv[4], NULL, 0, &llen));
  int fd = socket(family == 6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return num(env, -errno);
  int err = 0;
  if (llen > 0) {
    int one = 1;
    /* The port at connect(), for the 4-tuple; where that cannot be had, as libuv binds a socket. */
    if (!c->bind_no_port || setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one)) != 0) {
      setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    }
    if (parse_addr(env, argv[4], family, 0, &src, &slen) != 0) err = EINVAL;
    else if (bind(fd, (struct sockaddr *)&src, slen) != 0) err = errno;
  }
  if (err == 0) set_keepalive(fd, keep_s);
  uint64_t started = now_ns();
  if (err == 0 && connect(fd, (struct sockaddr *)&dst, dlen) != 0 && errno != EINPROGRESS) err = errno;
  if (err == 0 && grow_conns(c, fd) != 0) err = ENOMEM;
  if (err == 0) {
    struct epoll_event ee = {.events = EPOLLOUT | EPOLLIN | EPOLLRDHUP, .data.fd = fd};
    if (epoll_ctl(c->epfd, EPOLL_CTL_ADD, fd, &ee) != 0) err = errno;
  }
  if (err != 0) {
    close(fd);
    return num(env, -err);
  }
  conn_t *k = &c->conns[fd];
  memset(k, 0, sizeof(*k));
  k->id = id;
  k->state = S_CONNECTING;
  k->keep = (uint16_t)(keep_bytes < 0 ? 0 : keep_bytes > 65535 ? 65535 : keep_bytes);
  k->started_ns = started;
  c->open_fds++;
  update_ref(c);
  return num(env, fd);
}

/* The connection at fd, if it is the one JS calls `id`. */
static conn_t *lookup(napi_env env, core_t *c, napi_value vfd, napi_value vid, int *fd_out) {
  int32_t fd, id;
  if (napi_get_value_int32(env, vfd, &fd) != napi_ok || napi_get_value_int32(env, vid, &id) != napi_ok) return NULL;
  if (fd < 0 || (size_t)fd >= c->nconns || c->conns[fd].state == S_FREE || c->conns[fd].id != id) return NULL;
  *fd_out = fd;
  return &c->conns[fd];
}

/*
 * write(fd, id, bytes) -> 1 (sent or queued), 0 (no such connection) or -ENOMEM (the remainder could not be queued);
 * a remainder the kernel did not take is sent when the socket is writable.
 */
static napi_value core_write(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  core_t *c = unwrap(env, info, &argc, argv);
  if (c == NULL) return NULL;
  int fd;
  conn_t *k = lookup(env, c, argv[0], argv[1], &fd);
  if (k == NULL || k->state == S_DONE) return num(env, 0);
  napi_value r = num(env, 1);
  void *bytes;
  size_t len;
  bool is_ta;
  napi_typedarray_type tt;
  napi_value ab;
  size_t off;
  CHECK(napi_is_typedarray(env, argv[2], &is_ta));
  if (!is_ta) {
    napi_throw_type_error(env, NULL, "tcpcore: write needs a Uint8Array");
    return NULL;
  }
  CHECK(napi_get_typedarray_info(env, argv[2], &tt, &len, &bytes, &ab, &off));
  size_t sent = 0;
  if (k->state == S_OPEN && k->pend == NULL) {
    ssize_t n = send(fd, bytes, len, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && errno != EAGAIN && errno != EINTR) return r; /* the read side reports the reset */
    sent = n < 0 ? 0 : (size_t)n;
  }
  if (sent < len) {
    uint8_t *p = realloc(k->pend, k->pend_len + (len - sent));
    /* Bytes we cannot queue are bytes the server will never see: the caller fails the connection (ENOMEM). */
    if (p == NULL) return num(env, -ENOMEM);
    memcpy(p + k->pend_len, (uint8_t *)bytes + sent, len - sent);
    k->pend = p;
    k->pend_len += (uint32_t)(len - sent);
    if (k->state == S_OPEN) {
      struct epoll_event ee = {.events = EPOLLIN | EPOLLRDHUP | EPOLLOUT, .data.fd = fd};
      epoll_ctl(c->epfd, EPOLL_CTL_MOD, fd, &ee);
    }
  }
  return r;
}

/* reset(fd, id, rst): close; with rst an open connection is reset (SO_LINGER 0), so it leaves no TIME_WAIT. */
static napi_value core_reset(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  core_t *c = unwrap(env, info, &argc, argv);
  if (c == NULL) return NULL;
  int fd;
  bool rst = true;
  conn_t *k = lookup(env, c, argv[0], argv[1], &fd);
  if (argc >= 3) napi_get_value_bool(env, argv[2], &rst);
  if (k != NULL) {
    release(c, fd, rst && k->state != S_CONNECTING);
    update_ref(c);
  }
  return boolean(env, k != NULL);
}

/* setKeepAlive(fd, id, seconds) */
static napi_value core_set_keepalive(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  core_t *c = unwrap(env, info, &argc, argv);
  if (c == NULL) return NULL;
  int fd;
  int32_t s = 0;
  conn_t *k = lookup(env, c, argv[0], argv[1], &fd);
  CHECK(napi_get_value_int32(env, argv[2], &s));
  if (k != NULL) set_keepalive(fd, s);
  return boolean(env, k != NULL);
}

/* A non-blocking copy of `fd` the core owns (close-on-exec), or -errno. */
static int own_copy(int fd) {
  int own = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (own < 0) return -errno;
  int flags = fcntl(own, F_GETFL);
  if (flags < 0 || fcntl(own, F_SETFL, flags | O_NONBLOCK) != 0) {
    int err = errno;
    close(own);
    return -err;
  }
  return own;
}

/*
 * listen(fd, budget) -> the core's own copy of the listening socket fd (>= 0), or -errno. The caller may close its
 * fd afterwards; the core accepts up to `budget` connections (see acceptBudget), replacing any earlier listener.
 */
static napi_value core_listen(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  core_t *c = unwrap(env, info, &argc, argv);
  if (c == NULL) return NULL;
  int32_t fd;
  int64_t budget;
  CHECK(napi_get_value_int32(env, argv[0], &fd));
  CHECK(napi_get_value_int64(env, argv[1], &budget));
  int own = own_copy(fd);
  if (own < 0) return num(env, own);
  close_listener(c);
  c->listen_fd = own;
  c->accept_budget = budget;
  arm_listener(c, budget > 0);
  return num(env, own);
}

/* unlisten(): close the core's copy of the listening socket (others' copies go on listening). */
static napi_value core_unlisten(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  core_t *c = unwrap(env, info, &argc, NULL);
  if (c == NULL) return NULL;
  close_listener(c);
  return NULL;
}

/* listenerCopy() -> a new fd for the listening socket, the caller's to close, or -1 without one. */
static napi_value core_listener_copy(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  core_t *c = unwrap(env, info, &argc, NULL);
  if (c == NULL) return NULL;
  return num(env, c->listen_fd < 0 ? -1 : fcntl(c->listen_fd, F_DUPFD_CLOEXEC, 0));
}

/*
 * acceptBudget(n): accept up to n more connections from now on; 0 pauses the listener, and n > 0 arms it again,
 * also after accept() ran out of fds (EV_LISTEN_FAILED).
 */
static napi_value core_accept_budget(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  core_t *c = unwrap(env, info, &argc, argv);
  if (c == NULL) return NULL;
  int64_t budget;
  CHECK(napi_get_value_int64(env, argv[0], &budget));
  c->accept_budget = budget;
  arm_listener(c, budget > 0);
  return NULL;
}

/*
 * adopt(fd, id) -> the core's own fd for a connected socket accepted elsewhere (the caller closes its own), held
 * like an accepted one under `id` (no record: the caller knows it), or -errno.
 */
static napi_value core_adopt(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  core_t *c = unwrap(env, info, &argc, argv);
  if (c == NULL) return NULL;
  int32_t fd, id;
  CHECK(napi_get_value_int32(env, argv[0], &fd));
  CHECK(napi_get_value_int32(env, argv[1], &id));
  int own = own_copy(fd);
  if (own < 0) return num(env, own);
  errno = 0;
  if (hold_accepted(c, own, id) != 0) {
    int err = errno != 0 ? errno : ENOMEM;
    close(own);
    return num(env, -err);
  }
  update_ref(c);
  return num(env, own);
}

/*
 * tcpInfo() -> Float64Array of TCPINFO_WORDS per open connection: fd, id, segments received, bytes received,
 * milliseconds since data last arrived (-1: unknown). The handshake audit's view of this core's own sockets
 * (src/engine/handshake-audit.ts), read here with one getsockopt each instead of ss's dump of every socket of the
 * namespace (1.5 million at a million held, both sides on this machine: ss then ran out of time).
 */
#define TCPINFO_WORDS 5
#define TCPI_BYTES_RECEIVED_OFFSET 128
static napi_value core_tcp_info(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  core_t *c = unwrap(env, info, &argc, NULL);
  if (c == NULL) return NULL;
  size_t open = 0;
  for (size_t fd = 0; fd < c->nconns; fd++) open += c->conns[fd].state == S_OPEN;
  napi_value ab, arr;
  void *raw;
  CHECK(napi_create_arraybuffer(env, open * TCPINFO_WORDS * sizeof(double), &raw, &ab));
  double *out = raw;
  size_t n = 0;
  for (size_t fd = 0; fd < c->nconns && n < open; fd++) {
    if (c->conns[fd].state != S_OPEN) continue;
    unsigned char ti[232];
    socklen_t len = sizeof(ti);
    memset(ti, 0, sizeof(ti));
    if (getsockopt((int)fd, IPPROTO_TCP, TCP_INFO, ti, &len) != 0) continue;
    uint32_t segs = 0, last_recv = 0;
    uint64_t bytes = 0;
    if (len >= TCPI_SEGS_IN_OFFSET + sizeof(segs)) memcpy(&segs, ti + TCPI_SEGS_IN_OFFSET, sizeof(segs));
    if (len >= TCPI_BYTES_RECEIVED_OFFSET + sizeof(bytes)) memcpy(&bytes, ti + TCPI_BYTES_RECEIVED_OFFSET, sizeof(bytes));
    int have_last = len >= offsetof(struct tcp_info, tcpi_last_data_recv) + sizeof(last_recv);
    if (have_last) memcpy(&last_recv, ti + offsetof(struct tcp_info, tcpi_last_data_recv), sizeof(last_recv));
    out[n * TCPINFO_WORDS] = (double)fd;
    out[n * TCPINFO_WORDS + 1] = c->conns[fd].id;
    out[n * TCPINFO_WORDS + 2] = segs;
    out[n * TCPINFO_WORDS + 3] = (double)bytes;
    out[n * TCPINFO_WORDS + 4] = have_last ? last_recv : -1;
    n++;
  }
  CHECK(napi_create_typedarray(env, napi_float64_array, n * TCPINFO_WORDS, ab, 0, &arr));
  return arr;
}

/* stats() -> { openFds, batches, records } */
static napi_value core_stats(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  core_t *c = unwrap(env, info, &argc, NULL);
  if (c == NULL) return NULL;
  napi_value r;
  napi_create_object(env, &r);
  napi_set_named_property(env, r, "openFds", num(env, (double)c->open_fds));
  napi_set_named_property(env, r, "batches", num(env, (double)c->batches));
  napi_set_named_property(env, r, "records", num(env, (double)c->records));
  return r;
}

/* close(): every socket closed (open ones reset), the poll stopped; further calls throw. Idempotent. */
static napi_value core_close(napi_env env, napi_callback_info info) {
  napi_value self;
  void *p;
  size_t argc = 0;
  CHECK(napi_get_cb_info(env, info, &argc, NULL, &self, NULL));
  CHECK(napi_unwrap(env, self, &p));
  core_shutdown((core_t *)p);
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor methods[] = {
      {"connect", NULL, core_connect, NULL, NULL, NULL, napi_default, NULL},
      {"write", NULL, core_write, NULL, NULL, NULL, napi_default, NULL},
      {"reset", NULL, core_reset, NULL, NULL, NULL, napi_default, NULL},
      {"setKeepAlive", NULL, core_set_keepalive, NULL, NULL, NULL, napi_default, NULL},
      {"stats", NULL, core_stats, NULL, NULL, NULL, napi_default, NULL},
      {"listen", NULL, core_listen, NULL, NULL, NULL, napi_default, NULL},
      {"unlisten", NULL, core_unlisten, NULL, NULL, NULL, napi_default, NULL},
      {"listenerCopy", NULL, core_listener_copy, NULL, NULL, NULL, napi_default, NULL},
      {"acceptBudget", NULL, core_accept_budget, NULL, NULL, NULL, napi_default, NULL},
      {"adopt", NULL, core_adopt, NULL, NULL, NULL, napi_default, NULL},
      {"tcpInfo", NULL, core_tcp_info, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, core_close, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_value cls;
  if (napi_define_class(env, "Core", NAPI_AUTO_LENGTH, core_new, NULL, sizeof(methods) / sizeof(methods[0]), methods,
                        &cls) != napi_ok)
    return NULL;
  napi_set_named_property(env, exports, "Core", cls);
  napi_value reserve;
  if (napi_create_function(env, "reserveFdTable", NAPI_AUTO_LENGTH, reserve_fd_table_js, NULL, &reserve) != napi_ok)
    return NULL;
  napi_set_named_property(env, exports, "reserveFdTable", reserve);
  napi_value ready;
  if (napi_create_function(env, "fdTableReady", NAPI_AUTO_LENGTH, fd_table_ready_js, NULL, &ready) != napi_ok)
    return NULL;
  napi_set_named_property(env, exports, "fdTableReady", ready);
  napi_value records;
  napi_create_int32(env, REC_WORDS, &records);
  napi_set_named_property(env, exports, "RECORD_WORDS", records);
  napi_value iface;
  napi_create_int32(env, CORE_INTERFACE, &iface);
  napi_set_named_property(env, exports, "CORE_INTERFACE", iface);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
