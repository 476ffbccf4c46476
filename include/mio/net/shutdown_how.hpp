// mio::net::shutdown_how: which halves of a connection shutdown() closes.
#pragma once

namespace mio::net {

/// Which halves of a connection shutdown() closes (std's Shutdown): reading, writing or both.
enum class shutdown_how { read, write, both };

}  // namespace mio::net
