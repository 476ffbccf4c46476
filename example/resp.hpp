// The RESP2 side of resp_server: parses Redis requests out of a connection's buffered bytes
// and appends the replies. No sockets here (example/request_server.hpp does the I/O), so the
// tests drive it in-process.
//
// Requests: multibulk (`*N\r\n$len\r\narg\r\n...`, what every client library sends) and
// inline (`PING\r\n`, what telnet and redis-benchmark's PING_INLINE send; arguments split at
// spaces and tabs, without redis's quoting rules).
// Commands: PING [msg], ECHO msg, SET key value, GET key, DEL key..., QUIT, and CONFIG GET
// save|appendonly (redis-benchmark asks for them at start; this server keeps nothing on disk,
// so it answers "" and "no"). Anything else gets redis's `-ERR unknown command ...`; a wrong
// argument count, `-ERR wrong number of arguments ...`; SET's options, `-ERR syntax error`.
// Malformed input (a bad length, a missing `$`, a missing CRLF after a bulk, a request larger
// than the limits) gets `-ERR Protocol error: ...` and the connection is closed, as redis does,
// since the byte stream can no longer be framed.
//
// Allocation: none per request once the argument vector has grown to the largest request
// seen, except that SET of a key not yet in the keyspace allocates the map node and its
// strings (and SET of a longer value than the key held may grow that string).
#pragma once

#include "request_server.hpp"

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace resp {

/// The limits redis applies too (its defaults are larger: 512 MB bulks, 1M arguments).
struct limits {
    std::size_t max_bulk = 512 * 1024;     ///< longest argument
    std::size_t max_inline = 64 * 1024;    ///< longest inline request line
    std::size_t max_args = 1024 * 1024;    ///< most arguments in one multibulk request
};

class protocol {
public:
    explicit protocol(limits l = {}) : limits_(l) {}

    /// Answers every complete request at the front of `in`, in order, into `out`.
    example::handled handle(std::string_view in, example::byte_buffer& out) {
        std::size_t pos = 0;
        while (pos < in.size()) {
            std::size_t end = 0;
            std::string_view error;
            parse_status s = in[pos] == '*' ? parse_multibulk(in, pos, end, error) : parse_inline(in, pos, end, error);
            if (s == parse_status::incomplete) break;
            if (s == parse_status::error) {
                out.append("-ERR Protocol error: ");
                out.append(error);
                out.append("\r\n");
                return {pos, true};
            }
            pos = end;
            if (!argv_.empty() && execute(out)) return {pos, true};
        }
        return {pos, false};
    }

    void refuse_oversized(example::byte_buffer& out) { out.append("-ERR Protocol error: request too big\r\n"); }
    void refuse_slow(example::byte_buffer& out) { out.append("-ERR Protocol error: request timed out\r\n"); }
    void on_wake() noexcept {}

    std::size_t keys() const noexcept { return keyspace_.size(); }

private:
    enum class parse_status { complete, incomplete, error };

    // Reads a CRLF-terminated decimal at in[pos] (after its type byte). Incomplete while no
    // CRLF has come, unless more than 32 bytes came without one (then an error).
    static parse_status parse_number(std::string_view in, std::size_t pos, long long& value, std::size_t& next) {
        std::size_t cr = in.find('\r', pos);
        if (cr == std::string_view::npos || cr + 1 >= in.size())
            return in.size() - pos > 32 ? parse_status::error : parse_status::incomplete;
        if (in[cr + 1] != '\n' || cr == pos || cr - pos > 20) return parse_status::error;
        bool negative = in[pos] == '-';
        std::size_t i = pos + (negative ? 1 : 0);
        if (i == cr) return parse_status::error;
        long long v = 0;
        for (; i < cr; ++i) {
            if (in[i] < '0' || in[i] > '9' || v > (1LL << 50)) return parse_status::error;
            v = v * 10 + (in[i] - '0');
        }
        value = negative ? -v : v;
        next = cr + 2;
        return parse_status::complete;
    }

    parse_status parse_multibulk(std::string_view in, std::size_t pos, std::size_t& end, std::string_view& error) {
        argv_.clear();
        long long count = 0;
        std::size_t p = 0;
        if (auto s = parse_number(in, pos + 1, count, p); s != parse_status::complete) {
            error = "invalid multibulk length";
            return s;
        }
        if (count > static_cast<long long>(limits_.max_args)) {
            error = "invalid multibulk length";
            return parse_status::error;
        }
        for (long long k = 0; k < count; ++k) {
            if (p >= in.size()) return parse_status::incomplete;
            if (in[p] != '$') {
                error = "expected '$'";
                return parse_status::error;
            }
            long long len = 0;
            std::size_t data = 0;
            if (auto s = parse_number(in, p + 1, len, data); s != parse_status::complete) {
                error = "invalid bulk length";
                return s;
            }
            if (len < 0 || static_cast<unsigned long long>(len) > limits_.max_bulk) {
                error = "invalid bulk length";
                return parse_status::error;
            }
            const std::size_t n = static_cast<std::size_t>(len);
            if (in.size() - data < n + 2) return parse_status::incomplete;
            if (in[data + n] != '\r' || in[data + n + 1] != '\n') {
                error = "expected CRLF after bulk";
                return parse_status::error;
            }
            argv_.push_back(in.substr(data, n));
            p = data + n + 2;
        }
        end = p;  // a count of 0 or less is an empty request: skipped, as redis does
        return parse_status::complete;
    }

    parse_status parse_inline(std::string_view in, std::size_t pos, std::size_t& end, std::string_view& error) {
        argv_.clear();
        std::size_t nl = in.find('\n', pos);
        if (nl == std::string_view::npos) {
            if (in.size() - pos <= limits_.max_inline) return parse_status::incomplete;
            error = "too big inline request";
            return parse_status::error;
        }
        if (nl - pos > limits_.max_inline) {
            error = "too big inline request";
            return parse_status::error;
        }
        std::string_view line = in.substr(pos, nl - pos);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        std::size_t i = 0;
        while (i < line.size()) {
            while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
            std::size_t start = i;
            while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
            if (i > start) argv_.push_back(line.substr(start, i - start));
        }
        end = nl + 1;  // an empty line is an empty request: skipped
        return parse_status::complete;
    }

    static bool is(std::string_view word, std::string_view lower) noexcept {
        if (word.size() != lower.size()) return false;
        for (std::size_t i = 0; i < word.size(); ++i)
            if ((word[i] | 0x20) != lower[i]) return false;  // ASCII letters only: the names are
        return true;
    }

    static void bulk(example::byte_buffer& out, std::string_view s) {
        out.append("$");
        out.append_number(static_cast<long long>(s.size()));
        out.append("\r\n");
        out.append(s);
        out.append("\r\n");
    }

    // Error replies quote what the client sent: at most 128 bytes, control bytes made spaces
    // (a CR or LF would break the reply's framing).
    static void quoted(example::byte_buffer& out, std::string_view s) {
        out.append("'");
        for (char ch : s.substr(0, 128)) {
            char c = (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f) ? ' ' : ch;
            out.append(std::string_view(&c, 1));
        }
        out.append("'");
    }

    void wrong_arity(example::byte_buffer& out, std::string_view name) {
        out.append("-ERR wrong number of arguments for '");
        for (char ch : name) {
            char c = static_cast<char>(ch | 0x20);
            out.append(std::string_view(&c, 1));
        }
        out.append("' command\r\n");
    }

    // Runs argv_ and appends its reply; true when the connection is to be closed (QUIT).
    bool execute(example::byte_buffer& out) {
        const std::string_view cmd = argv_[0];
        const std::size_t argc = argv_.size();
        if (is(cmd, "ping")) {
            if (argc == 1) out.append("+PONG\r\n");
            else if (argc == 2) bulk(out, argv_[1]);
            else wrong_arity(out, cmd);
        } else if (is(cmd, "get")) {
            if (argc != 2) return wrong_arity(out, cmd), false;
            auto it = keyspace_.find(argv_[1]);
            if (it == keyspace_.end()) out.append("$-1\r\n");
            else bulk(out, it->second);
        } else if (is(cmd, "set")) {
            if (argc < 3) return wrong_arity(out, cmd), false;
            if (argc > 3) return out.append("-ERR syntax error\r\n"), false;
            if (auto it = keyspace_.find(argv_[1]); it != keyspace_.end()) it->second.assign(argv_[2]);
            else keyspace_.emplace(std::string(argv_[1]), std::string(argv_[2]));
            out.append("+OK\r\n");
        } else if (is(cmd, "del")) {
            if (argc < 2) return wrong_arity(out, cmd), false;
            long long removed = 0;
            for (std::size_t i = 1; i < argc; ++i) {
                if (auto it = keyspace_.find(argv_[i]); it != keyspace_.end()) {
                    keyspace_.erase(it);
                    ++removed;
                }
            }
            out.append(":");
            out.append_number(removed);
            out.append("\r\n");
        } else if (is(cmd, "echo")) {
            if (argc != 2) return wrong_arity(out, cmd), false;
            bulk(out, argv_[1]);
        } else if (is(cmd, "quit")) {
            out.append("+OK\r\n");
            return true;
        } else if (is(cmd, "config") && argc == 3 && is(argv_[1], "get")) {
            if (is(argv_[2], "save")) out.append("*2\r\n$4\r\nsave\r\n$0\r\n\r\n");
            else if (is(argv_[2], "appendonly")) out.append("*2\r\n$10\r\nappendonly\r\n$2\r\nno\r\n");
            else out.append("*0\r\n");
        } else {
            out.append("-ERR unknown command ");
            quoted(out, cmd);
            out.append(", with args beginning with: ");
            for (std::size_t i = 1; i < argc && i < 8; ++i) {
                quoted(out, argv_[i]);
                out.append(" ");
            }
            out.append("\r\n");
        }
        return false;
    }

    struct string_hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
    };

    limits limits_;
    std::vector<std::string_view> argv_;  // the request being run; views into the input buffer
    std::unordered_map<std::string, std::string, string_hash, std::equal_to<>> keyspace_;
};

}  // namespace resp
