// sys layer, POSIX: detail::sys::notifier, a handle that turns readable when signalled from any
// thread. What the eventfd and pipe wakers and poll(2)'s internal wake-up are built on:
// an eventfd (Linux) or a non-blocking, close-on-exec self-pipe.
#pragma once

#include <mio/detail/fd.hpp>
#include <mio/detail/sys/posix/io.hpp>

#include <cstddef>
#include <cstdint>
#include <utility>

#if MIO_HAS_EVENTFD
#  include <sys/eventfd.h>
#endif

namespace mio::detail::sys {

class notifier {
public:
    enum class kind { eventfd, pipe };

    /// A new notifier. Errors: EMFILE, ENFILE; operation_not_supported for an eventfd where
    /// the OS has none.
    static result<notifier> open(kind k) noexcept {
        if (k == kind::eventfd) {
#if MIO_HAS_EVENTFD
            int fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
            if (fd < 0) return last_error();
            return notifier(fd, invalid_handle);
#else
            return std::errc::operation_not_supported;
#endif
        }
        auto p = sys::pipe();
        if (!p) return p.error();
        return notifier(p->first, p->second);
    }

    /// The handle to register readable.
    handle read_handle() const noexcept { return rx_.get(); }

    notifier(notifier&& o) noexcept
        : rx_(std::move(o.rx_)), tx_(std::move(o.tx_)), signal_fd_(std::exchange(o.signal_fd_, invalid_handle)),
          signal_len_(o.signal_len_) {}
    notifier& operator=(notifier&& o) noexcept {
        rx_ = std::move(o.rx_);
        tx_ = std::move(o.tx_);
        signal_fd_ = std::exchange(o.signal_fd_, invalid_handle);
        signal_len_ = o.signal_len_;
        return *this;
    }

    /// Makes read_handle() readable. EINTR is retried; a full pipe or counter is drained and
    /// signalled again (a wake is pending anyway). Errors: EBADF and the like, rare.
    result<void> signal() const noexcept {
        // One write, no branch on the kind: an eventfd adds the 8-byte 1, a pipe takes its
        // first byte (whatever its value: the reader only drains).
        const std::uint64_t one = 1;
        for (;;) {
            if (::write(signal_fd_, &one, signal_len_) >= 0) [[likely]]
                return {};
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                drain();
                continue;
            }
            return last_error();
        }
    }

    /// Empties it (no longer readable until the next signal).
    void drain() const noexcept {
        if (!tx_) {
            std::uint64_t count;
            (void)::read(rx_.get(), &count, sizeof count);
            return;
        }
        char buf[256];
        while (::read(rx_.get(), buf, sizeof buf) > 0) {
        }
    }

private:
    notifier(handle rx, handle tx) noexcept
        : rx_(rx), tx_(tx), signal_fd_(tx != invalid_handle ? tx : rx), signal_len_(tx != invalid_handle ? 1 : 8) {}
    owned_handle rx_, tx_;  // tx_ empty for an eventfd
    handle signal_fd_;      // what signal() writes to: the eventfd, or the pipe's write end
    std::size_t signal_len_;
};

}  // namespace mio::detail::sys
