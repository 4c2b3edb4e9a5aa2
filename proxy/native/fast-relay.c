/*
 * The pass-through fast path (see proxy/fast-path.ts): while a session only exchanges simple
 * Queries the interceptor cannot claim (none of its markers in the text), this relays its two
 * sockets on a thread of its own, without entering JavaScript or Node's event loop. Per read
 * it scans the frame headers, forwards the whole frames with one send(), and tracks what the
 * JS session needs when it takes over again: the Queries still owed an answer and the status
 * of the last ReadyForQuery. The thread is one epoll loop for every session, as pgbouncer is:
 * relaying from Node's own loop instead paid its fixed per-iteration work (the immediate-check
 * phase) on every wake-up.
 *
 * Anything else hands the session back to JavaScript at a message boundary, with the bytes
 * not yet relayed: a client message other than a plain Query (or one with a marker), a backend
 * message other than the usual result traffic, a frame larger than the read buffer, a send
 * the peer could not take in full, end of stream or an error. The JS relay then carries on
 * exactly as if it had read those bytes itself.
 *
 * Sockets are watched through dup()ed descriptors, so libuv's watchers of the originals
 * (stopped while the fast path runs) are never disturbed. One mutex guards every relay's
 * state; hand-overs are rare, so it is all but uncontended.
 */
#include <errno.h>
#include <node_api.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#define READ_SIZE 65536

typedef struct {
  uint8_t *data;
  size_t len;
  size_t cap;
} Bytes;

typedef struct Relay Relay;

typedef struct {
  Relay *relay;
  int fd;
  /* Bytes read but not yet relayed: the start of an incomplete frame. */
  Bytes carry;
  /* Bytes scanned and owed to this side's peer, which did not take them (backpressure). */
  Bytes unsent;
} Side;

/* idle: JS relays; active: the thread does; exited: the thread stopped, JS not told yet. */
typedef enum { RELAY_IDLE, RELAY_ACTIVE, RELAY_EXITED, RELAY_DEAD } RelayState;

struct Relay {
  napi_ref on_exit;
  napi_async_context async;
  Side client;
  Side upstream;
  RelayState state;
  const char *exit_reason;
  /* In the exited list, or in the graveyard. */
  Relay *next;
  uint32_t max_message;
  /* The interceptor's markers (interceptor.ts): a Query naming none of them is relayed here. */
  char **markers;
  size_t *marker_lengths;
  size_t marker_count;
  /* Queries relayed and not yet answered by a ReadyForQuery. */
  int64_t pending;
  uint8_t status;
  /* Since start: Queries relayed, and ReadyForQuery messages with status 'I'. */
  uint32_t queries;
  uint32_t idle_ends;
};

/* Everything below the line is guarded by `lock`, except what only the relay thread touches. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int epoll_fd = -1;
/* The env and loop of the thread that made the first relay: the only one allowed (see create). */
static napi_env main_env = NULL;
static uv_async_t notifier;
/* Set when that env is torn down: the loop behind `notifier` may be gone. */
static int env_gone = 0;
/* Relays the thread stopped, waiting for their JS callback; relays destroyed but perhaps still
 * named in an epoll batch the thread is working through (freed at the end of its next batch). */
static Relay *exited = NULL;
static Relay *graveyard = NULL;
/* The relay thread's read buffer. */
static uint8_t scratch[READ_SIZE];

static int bytes_append(Bytes *b, const uint8_t *data, size_t len) {
  if (b->len + len > b->cap) {
    size_t cap = b->cap == 0 ? 1024 : b->cap;
    while (cap < b->len + len) cap *= 2;
    uint8_t *grown = realloc(b->data, cap);
    if (grown == NULL) return -1;
    b->data = grown;
    b->cap = cap;
  }
  memcpy(b->data + b->len, data, len);
  b->len += len;
  return 0;
}

static uint32_t be32(const uint8_t *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static uint8_t fold(uint8_t c) {
  return c >= 'A' && c <= 'Z' ? (uint8_t)(c | 0x20) : c;
}

/* Whether the text contains the ASCII word in any letter case (the JS side's mayClaim()). */
static int contains_caseless(const uint8_t *p, size_t n, const char *word, size_t len) {
  for (size_t i = 0; i + len <= n; i++) {
    size_t j = 0;
    while (j < len && fold(p[i + j]) == fold((uint8_t)word[j])) j++;
    if (j == len) return 1;
  }
  return 0;
}

static int may_be_claimed(const Relay *r, const uint8_t *p, size_t n) {
  for (size_t i = 0; i < r->marker_count; i++)
    if (contains_caseless(p, n, r->markers[i], r->marker_lengths[i])) return 1;
  return 0;
}

/* Writes what it can; the rest becomes the side's unsent bytes. Returns 0 when all went. */
static int forward(Side *to, const uint8_t *data, size_t len) {
  size_t done = 0;
  while (done < len) {
    /* send()/recv() skip the VFS layer read()/write() go through (measurably cheaper per call). */
    ssize_t n = send(to->fd, data + done, len - done, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      done += (size_t)n;
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      /* EAGAIN or an error: the JS socket writes the rest and reports any error itself. */
      bytes_append(&to->unsent, data + done, len - done);
      return -1;
    }
  }
  return 0;
}

/* Client bytes: whole plain Queries go upstream; returns the offset where JS must take over, or -1. */
static ssize_t scan_client(Relay *r, const uint8_t *d, size_t n, size_t *whole) {
  size_t off = 0;
  while (n - off >= 5) {
    uint32_t len = be32(d + off + 1);
    if (len < 4 || len > r->max_message) return (ssize_t)off; /* JS reports the violation */
    size_t total = (size_t)len + 1;
    if (n - off < total) {
      *whole = off;
      return total > READ_SIZE ? (ssize_t)off : -1;
    }
    if (d[off] != 'Q' || may_be_claimed(r, d + off + 5, len - 4)) return (ssize_t)off;
    r->queries++;
    r->pending++;
    off += total;
  }
  *whole = off;
  return -1;
}

/* Upstream bytes: the result traffic of simple Queries passes; anything else goes to JS. */
static ssize_t scan_upstream(Relay *r, const uint8_t *d, size_t n, size_t *whole) {
  size_t off = 0;
  while (n - off >= 5) {
    uint32_t len = be32(d + off + 1);
    if (len < 4) return (ssize_t)off;
    size_t total = (size_t)len + 1;
    if (n - off < total) {
      *whole = off;
      return total > READ_SIZE ? (ssize_t)off : -1;
    }
    switch (d[off]) {
      case 'Z': /* ReadyForQuery */
        if (len != 5) return (ssize_t)off;
        r->status = d[off + 5];
        if (r->pending > 0) r->pending--;
        if (r->status == 'I') r->idle_ends++;
        break;
      case 'T': /* RowDescription */
      case 'D': /* DataRow */
      case 'C': /* CommandComplete */
      case 'I': /* EmptyQueryResponse */
      case 'N': /* NoticeResponse */
      case 'S': /* ParameterStatus */
      case 'A': /* NotificationResponse */
        break;
      default: /* ErrorResponse (FATAL?), COPY, ...: the JS session decides */
        return (ssize_t)off;
    }
    off += total;
  }
  *whole = off;
  return -1;
}

static void watch(Relay *r, int on) {
  Side *sides[2] = {&r->client, &r->upstream};
  for (int i = 0; i < 2; i++) {
    if (on) {
      struct epoll_event event = {.events = EPOLLIN, .data = {.ptr = sides[i]}};
      epoll_ctl(epoll_fd, EPOLL_CTL_ADD, sides[i]->fd, &event);
    } else {
      /* Removed, not just muted: a hung-up socket reports EPOLLHUP whatever the mask. */
      epoll_ctl(epoll_fd, EPOLL_CTL_DEL, sides[i]->fd, NULL);
    }
  }
}

static void unlink_exited(Relay *r) {
  for (Relay **at = &exited; *at != NULL; at = &(*at)->next) {
    if (*at == r) {
      *at = r->next;
      r->next = NULL;
      return;
    }
  }
}

/* Reads once from one side and relays; returns why JS must take over, or NULL. (Relay thread.) */
static const char *relay_read(Relay *r, Side *side) {
  ssize_t got = recv(side->fd, scratch, READ_SIZE, MSG_DONTWAIT);
  if (got < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return NULL;
    return "read error"; /* the JS socket meets the error on its own read */
  }
  if (got == 0) return "end of stream";
  int from_client = side == &r->client;
  Side *to = from_client ? &r->upstream : &r->client;
  const uint8_t *d = scratch;
  size_t n = (size_t)got;
  if (side->carry.len > 0) {
    if (bytes_append(&side->carry, scratch, n) != 0) return "out of memory";
    d = side->carry.data;
    n = side->carry.len;
  }
  size_t whole = 0;
  ssize_t stop = from_client ? scan_client(r, d, n, &whole) : scan_upstream(r, d, n, &whole);
  size_t sent = stop >= 0 ? (size_t)stop : whole;
  int blocked = sent > 0 && forward(to, d, sent) != 0;
  /* Keep what was not relayed at the front of carry (it may alias carry itself). */
  if (d == side->carry.data) {
    memmove(side->carry.data, d + sent, n - sent);
    side->carry.len = n - sent;
  } else if (n > sent && bytes_append(&side->carry, d + sent, n - sent) != 0) {
    return "out of memory";
  }
  if (stop >= 0) return from_client ? "client message" : "upstream message";
  return blocked ? "backpressure" : NULL;
}

static void free_relay(Relay *r) {
  for (size_t i = 0; i < r->marker_count; i++) free(r->markers[i]);
  free(r->markers);
  free(r->marker_lengths);
  free(r->client.carry.data);
  free(r->client.unsent.data);
  free(r->upstream.carry.data);
  free(r->upstream.unsent.data);
  free(r);
}

static void *relay_thread(void *unused) {
  (void)unused;
  struct epoll_event events[64];
  for (;;) {
    int n = epoll_wait(epoll_fd, events, 64, -1);
    if (n < 0 && errno != EINTR) return NULL;
    int stopped = 0;
    pthread_mutex_lock(&lock);
    for (int i = 0; i < n; i++) {
      Side *side = (Side *)events[i].data.ptr;
      Relay *r = side->relay;
      if (r->state != RELAY_ACTIVE) continue; /* stopped or destroyed since epoll_wait returned */
      const char *reason = relay_read(r, side);
      if (reason == NULL) continue;
      watch(r, 0);
      r->state = RELAY_EXITED;
      r->exit_reason = reason;
      r->next = exited;
      exited = r;
      stopped = 1;
    }
    /* Whatever was destroyed before this point can no longer be named by a batch. */
    while (graveyard != NULL) {
      Relay *dead = graveyard;
      graveyard = dead->next;
      free_relay(dead);
    }
    if (stopped && !env_gone) uv_async_send(&notifier);
    pthread_mutex_unlock(&lock);
  }
}

/* ---- hand-over to JS (main thread) ------------------------------------------------------------ */

/* What JS needs to take over, moved out of the relay under the lock. */
typedef struct {
  const char *reason;
  Bytes client_rest, upstream_rest, to_client, to_upstream;
  int64_t pending;
  uint8_t status;
  uint32_t queries, idle_ends;
} Exit;

static Bytes take(Bytes *b) {
  Bytes out = *b;
  b->data = NULL;
  b->len = b->cap = 0;
  return out;
}

/* Under the lock: the relay becomes idle and gives up its state. */
static Exit take_exit(Relay *r, const char *reason) {
  if (r->state == RELAY_ACTIVE) watch(r, 0);
  if (r->state == RELAY_EXITED) {
    unlink_exited(r);
    reason = r->exit_reason;
  }
  r->state = RELAY_IDLE;
  Exit e = {reason, take(&r->client.carry), take(&r->upstream.carry), take(&r->client.unsent), take(&r->upstream.unsent), r->pending, r->status, r->queries, r->idle_ends};
  return e;
}

static napi_value buffer_from(napi_env env, Bytes *b) {
  napi_value value;
  void *unused;
  napi_create_buffer_copy(env, b->len, b->len > 0 ? b->data : (const void *)"", &unused, &value);
  free(b->data);
  return value;
}

static void set_number(napi_env env, napi_value obj, const char *name, double n) {
  napi_value value;
  napi_create_double(env, n, &value);
  napi_set_named_property(env, obj, name, value);
}

static napi_value exit_info(napi_env env, Exit *e) {
  napi_value info, value;
  napi_create_object(env, &info);
  napi_create_string_utf8(env, e->reason, NAPI_AUTO_LENGTH, &value);
  napi_set_named_property(env, info, "reason", value);
  napi_set_named_property(env, info, "clientRest", buffer_from(env, &e->client_rest));
  napi_set_named_property(env, info, "upstreamRest", buffer_from(env, &e->upstream_rest));
  napi_set_named_property(env, info, "toClient", buffer_from(env, &e->to_client));
  napi_set_named_property(env, info, "toUpstream", buffer_from(env, &e->to_upstream));
  set_number(env, info, "pending", (double)e->pending);
  set_number(env, info, "status", e->status);
  set_number(env, info, "queries", e->queries);
  set_number(env, info, "idleEnds", e->idle_ends);
  return info;
}

/* The thread stopped some relays: tell each one's JS, one at a time (a callback may destroy others). */
static void on_notify(uv_async_t *handle) {
  (void)handle;
  napi_env env = main_env;
  for (;;) {
    pthread_mutex_lock(&lock);
    Relay *r = exited;
    Exit e;
    if (r != NULL) e = take_exit(r, NULL);
    pthread_mutex_unlock(&lock);
    if (r == NULL) return;
    napi_handle_scope scope;
    napi_open_handle_scope(env, &scope);
    napi_value info = exit_info(env, &e);
    napi_value callback, recv;
    napi_get_reference_value(env, r->on_exit, &callback);
    napi_get_global(env, &recv); /* napi_make_callback wants an object */
    if (napi_make_callback(env, r->async, recv, callback, 1, &info, NULL) != napi_ok) {
      napi_value error;
      if (napi_get_and_clear_last_exception(env, &error) == napi_ok) napi_fatal_exception(env, error);
    }
    napi_close_handle_scope(env, scope);
  }
}

static void on_env_teardown(void *unused) {
  (void)unused;
  pthread_mutex_lock(&lock);
  env_gone = 1;
  pthread_mutex_unlock(&lock);
}

/* Once per process: the epoll set, its thread and the notifier on the first env's loop. */
static int start_thread(napi_env env) {
  if (main_env != NULL) return main_env == env ? 0 : -1;
  uv_loop_t *loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) return -1;
  epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd < 0) return -1;
  if (uv_async_init(loop, &notifier, on_notify) != 0) return -1;
  uv_unref((uv_handle_t *)&notifier); /* never what keeps the process alive */
  pthread_t thread;
  if (pthread_create(&thread, NULL, relay_thread, NULL) != 0) return -1;
  pthread_detach(thread);
  napi_add_env_cleanup_hook(env, on_env_teardown, NULL);
  main_env = env;
  return 0;
}

/* ---- JS API --------------------------------------------------------------------------------- */

static Relay *relay_arg(napi_env env, napi_value value) {
  void *data = NULL;
  if (napi_get_value_external(env, value, &data) != napi_ok || data == NULL) {
    napi_throw_type_error(env, NULL, "expected a relay");
    return NULL;
  }
  Relay *r = (Relay *)data;
  if (r->state == RELAY_DEAD) {
    napi_throw_error(env, NULL, "relay already destroyed");
    return NULL;
  }
  return r;
}

/* Copies the markers (an array of non-empty strings) into r; 0 on success. */
static int read_markers(napi_env env, napi_value array, Relay *r) {
  uint32_t count;
  if (napi_get_array_length(env, array, &count) != napi_ok) return -1;
  r->markers = calloc(count > 0 ? count : 1, sizeof(char *));
  r->marker_lengths = calloc(count > 0 ? count : 1, sizeof(size_t));
  if (r->markers == NULL || r->marker_lengths == NULL) return -1;
  for (uint32_t i = 0; i < count; i++) {
    napi_value item;
    size_t len;
    if (napi_get_element(env, array, i, &item) != napi_ok || napi_get_value_string_utf8(env, item, NULL, 0, &len) != napi_ok || len == 0) return -1;
    r->markers[i] = malloc(len + 1);
    if (r->markers[i] == NULL) return -1;
    r->marker_count = i + 1;
    napi_get_value_string_utf8(env, item, r->markers[i], len + 1, &len);
    r->marker_lengths[i] = len;
  }
  return 0;
}

/* create(clientFd, upstreamFd, maxMessage, markers, onExit) → relay */
static napi_value create(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t client_fd, upstream_fd;
  uint32_t max_message;
  if (argc < 5 || napi_get_value_int32(env, argv[0], &client_fd) != napi_ok || napi_get_value_int32(env, argv[1], &upstream_fd) != napi_ok ||
      napi_get_value_uint32(env, argv[2], &max_message) != napi_ok) {
    napi_throw_type_error(env, NULL, "create(clientFd, upstreamFd, maxMessage, markers, onExit)");
    return NULL;
  }
  if (start_thread(env) != 0) {
    napi_throw_error(env, NULL, "the fast relay runs for the main thread only and could not start");
    return NULL;
  }
  Relay *r = calloc(1, sizeof(Relay));
  if (r == NULL) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  r->max_message = max_message;
  r->status = 'I';
  r->client.relay = r->upstream.relay = r;
  r->client.fd = r->upstream.fd = -1;
  if (read_markers(env, argv[3], r) != 0) {
    free_relay(r);
    napi_throw_type_error(env, NULL, "create: markers must be an array of non-empty strings");
    return NULL;
  }
  r->client.fd = dup(client_fd);
  r->upstream.fd = dup(upstream_fd);
  if (r->client.fd < 0 || r->upstream.fd < 0) {
    if (r->client.fd >= 0) close(r->client.fd);
    if (r->upstream.fd >= 0) close(r->upstream.fd);
    free_relay(r);
    napi_throw_error(env, NULL, "cannot duplicate the session's sockets");
    return NULL;
  }
  napi_value name;
  napi_create_string_utf8(env, "pgml-proxy:fast-relay", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, NULL, name, &r->async);
  napi_create_reference(env, argv[4], 1, &r->on_exit);
  napi_value external;
  napi_create_external(env, r, NULL, NULL, &external);
  return external;
}

/* start(relay, pending, status): the thread relays from the next read on. */
static napi_value start(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  Relay *r = argc >= 3 ? relay_arg(env, argv[0]) : NULL;
  if (r == NULL) return NULL;
  int64_t pending;
  uint32_t status;
  napi_get_value_int64(env, argv[1], &pending);
  napi_get_value_uint32(env, argv[2], &status);
  pthread_mutex_lock(&lock);
  if (r->state == RELAY_IDLE) {
    r->pending = pending;
    r->status = (uint8_t)status;
    r->queries = 0;
    r->idle_ends = 0;
    r->state = RELAY_ACTIVE;
    watch(r, 1);
  }
  pthread_mutex_unlock(&lock);
  return NULL;
}

/* stop(relay) → exit info: JS takes over now (a notification not yet delivered is dropped). */
static napi_value stop(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  Relay *r = argc >= 1 ? relay_arg(env, argv[0]) : NULL;
  if (r == NULL) return NULL;
  pthread_mutex_lock(&lock);
  Exit e = take_exit(r, "stopped");
  pthread_mutex_unlock(&lock);
  return exit_info(env, &e);
}

/* destroy(relay): stops it and releases everything. */
static napi_value destroy(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  Relay *r = argc >= 1 ? relay_arg(env, argv[0]) : NULL;
  if (r == NULL) return NULL;
  napi_delete_reference(env, r->on_exit);
  napi_async_destroy(env, r->async);
  pthread_mutex_lock(&lock);
  if (r->state == RELAY_ACTIVE) watch(r, 0);
  if (r->state == RELAY_EXITED) unlink_exited(r);
  r->state = RELAY_DEAD;
  close(r->client.fd);
  close(r->upstream.fd);
  r->next = graveyard;
  graveyard = r;
  pthread_mutex_unlock(&lock);
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"create", NULL, create, NULL, NULL, NULL, napi_enumerable, NULL},
      {"start", NULL, start, NULL, NULL, NULL, napi_enumerable, NULL},
      {"stop", NULL, stop, NULL, NULL, NULL, napi_enumerable, NULL},
      {"destroy", NULL, destroy, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
