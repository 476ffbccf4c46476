/* Linked into copies of the anchors' libevent and libev subjects (bench/compare_poll), so
 * that they run on their poll(2) backends: both libraries read these variables when their
 * loop is created, after this constructor has run. A constructor rather than a wrapper
 * script, so that callgrind and perf measure the subject itself, not a shell that execs it. */
#include <stdlib.h>

__attribute__((constructor)) static void force_poll_backend(void) {
    setenv("EVENT_NOEPOLL", "1", 1); /* libevent: skip epoll, so poll(2) is chosen */
    setenv("LIBEV_FLAGS", "2", 1);   /* libev: EVBACKEND_POLL */
}
