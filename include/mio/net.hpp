// mio::net: sockets as mio's net module has them. IP: socket_address, tcp_listener,
// tcp_stream, udp_socket. Unix-domain: unix_address, unix_listener, unix_stream,
// unix_datagram.
#pragma once

#include <mio/net/ip_address.hpp>
#include <mio/net/socket_address.hpp>
#include <mio/net/tcp_listener.hpp>
#include <mio/net/tcp_stream.hpp>
#include <mio/net/udp_socket.hpp>

#include <mio/net/unix_address.hpp>
#include <mio/net/unix_datagram.hpp>
#include <mio/net/unix_listener.hpp>
#include <mio/net/unix_stream.hpp>
