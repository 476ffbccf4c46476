// What the example servers do differently per OS: raise the open-file limit (POSIX: each
// connection is an fd; Windows has no such per-process limit) and catch Ctrl-C so that poll
// returns (POSIX: sigaction, without SA_RESTART; Windows: the C runtime's signal()).
#pragma once

#include <csignal>

#if !defined(_WIN32)
#  include <sys/resource.h>
#endif

namespace example {

inline void raise_open_file_limit() {
#if !defined(_WIN32)
    if (rlimit rl{}; ::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        (void)::setrlimit(RLIMIT_NOFILE, &rl);
    }
#endif
}

inline void on_interrupt(void (*handler)(int)) {
#if !defined(_WIN32)
    struct sigaction sa {};
    sa.sa_handler = handler;
    ::sigaction(SIGINT, &sa, nullptr);
    ::sigaction(SIGTERM, &sa, nullptr);
#else
    std::signal(SIGINT, handler);
    std::signal(SIGTERM, handler);
#endif
}

}  // namespace example
