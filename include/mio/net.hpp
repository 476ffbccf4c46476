// mio::net: sockets as mio's net module has them. IP: socket_address, tcp_listener,
// tcp_stream, udp_socket. Unix-domain: unix_address, unix_listener, unix_stream,
// unix_datagram (on systems that have them).
#pragma once

#include <mio/net/ip_address.hpp>
#include <mio/net/socket_address.hpp>
#include <mio/net/tcp_listener.hpp>
#include <mio/net/tcp_stream.hpp>
#include <mio/net/udp_socket.hpp>

#if __has_include(<mio/net/unix_address.hpp>)
#  include <mio/net/unix_address.hpp>
#endif
#if __has_include(<mio/net/unix_listener.hpp>)
#  include <mio/net/unix_listener.hpp>
#endif
#if __has_include(<mio/net/unix_stream.hpp>)
#  include <mio/net/unix_stream.hpp>
#endif
#if __has_include(<mio/net/unix_datagram.hpp>)
#  include <mio/net/unix_datagram.hpp>
#endif
