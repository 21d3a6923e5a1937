/*
 * The floor of `npm run bench`: a tight C connect() loop (non-blocking sockets, epoll, 256 in flight), compiled by
 * scripts/bench.mjs when a C compiler is at hand and measured exactly like the Node clients (scripts/bench-probe.mjs
 * speaks the same line protocol): it prints `ready {"ms":...}` (its start-up), waits for `go`, connects COUNT times to 127.0.0.1:PORT, prints
 * `established {...}` with the milliseconds since process start (minus the ready-to-go pause), then `held {...}`,
 * waits for `close`, resets every connection (SO_LINGER 0: no TIME_WAIT) and prints `closed`.
 *
 * usage: bench-floor PORT COUNT
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define INFLIGHT 256

static double ms_since(const struct timespec *t0) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (t.tv_sec - t0->tv_sec) * 1e3 + (t.tv_nsec - t0->tv_nsec) / 1e6;
}

/* Read stdin until a line equal to `word` (or EOF: exit, the runner is gone). */
static void wait_for(const char *word) {
  char line[64];
  while (fgets(line, sizeof line, stdin) != NULL) {
    line[strcspn(line, "\r\n")] = '\0';
    if (strcmp(line, word) == 0) return;
  }
  exit(3);
}

int main(int argc, char **argv) {
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  if (argc < 3) {
    fprintf(stderr, "usage: bench-floor PORT COUNT\n");
    return 2;
  }
  int port = atoi(argv[1]);
  int count = atoi(argv[2]);
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons((unsigned short)port);
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  int *fds = calloc((size_t)count, sizeof(int));
  int ep = epoll_create1(0);
  if (fds == NULL || ep < 0) return 1;
  setvbuf(stdout, NULL, _IOLBF, 0);

  double ready_at = ms_since(&t0);
  printf("ready {\"ms\":%.3f}\n", ready_at);
  wait_for("go");
  double pause = ms_since(&t0) - ready_at;

  int started = 0, finished = 0, inflight = 0, failed = 0;
  struct epoll_event events[INFLIGHT];
  while (finished < count) {
    while (inflight < INFLIGHT && started < count) {
      int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
      if (fd < 0) return 1;
      fds[started++] = fd;
      if (connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0) {
        finished++;
        continue;
      }
      if (errno != EINPROGRESS) {
        failed++;
        finished++;
        continue;
      }
      struct epoll_event e = {.events = EPOLLOUT, .data.fd = fd};
      epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
      inflight++;
    }
    int ready = epoll_wait(ep, events, INFLIGHT, 10000);
    if (ready <= 0) return 4; /* nothing finished within 10 s: give up */
    for (int i = 0; i < ready; i++) {
      int fd = events[i].data.fd, err = 0;
      socklen_t len = sizeof err;
      getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err != 0) failed++;
      epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
      inflight--;
      finished++;
    }
  }
  double ms = ms_since(&t0) - pause;
  printf("established {\"ms\":%.3f,\"connected\":%d,\"failed\":%d}\n", ms, count - failed, failed);
  printf("held {\"ms\":%.3f,\"held\":%d,\"failed\":%d}\n", ms, count - failed, failed);
  wait_for("close");
  struct linger reset = {1, 0};
  for (int i = 0; i < started; i++) {
    setsockopt(fds[i], SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
    close(fds[i]);
  }
  printf("closed\n");
  return 0;
}
