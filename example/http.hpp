// The HTTP/1.1 side of http_server: parses requests out of a connection's buffered bytes and
// appends one fixed `200 OK` per request. No sockets here (example/request_server.hpp does the
// I/O), so the tests drive it in-process.
//
// What it follows (RFC 9112): any method and target get the same 200 with Content-Length
// (HEAD: the headers only); HTTP/1.1 keeps the connection unless `Connection: close`, HTTP/1.0
// closes it unless `Connection: keep-alive`; pipelined requests are answered in order; a
// request body with Content-Length is read and dropped; an HTTP/1.1 request without Host is a
// 400. Refused, with `Connection: close`, then closed: malformed request lines and headers
// (400), versions other than 1.0 and 1.1 (505), a body larger than the limit (413), headers
// larger than the limit (431), any Transfer-Encoding (501: chunked bodies are left out of this
// example), and requests that take longer than the server's request timeout (408).
//
// Allocation: none per request; the response, Date header included, is rebuilt once a second.
#pragma once

#include "request_server.hpp"

#include <cstddef>
#include <ctime>
#include <string>
#include <string_view>

namespace http {

struct limits {
    std::size_t max_header = 8 * 1024;   ///< request line and headers together
    std::size_t max_body = 64 * 1024;    ///< Content-Length
};

class protocol {
public:
    /// Every request is answered with `body` (text/plain).
    explicit protocol(std::string_view body = "Hello, World!\n", limits l = {}) : body_(body), limits_(l) {
        on_wake();
    }

    /// Answers every complete request at the front of `in`, in order, into `out`.
    example::handled handle(std::string_view in, example::byte_buffer& out) {
        std::size_t pos = 0;
        while (pos < in.size()) {
            request r;
            std::size_t end = 0;
            int status = parse(in, pos, r, end);
            if (status == incomplete) {
                if (in.size() - pos > limits_.max_header && end == 0) return refuse(out, 431, pos);
                break;
            }
            if (status != 200) return refuse(out, status, pos);
            pos = end;
            out.append(r.keep_alive ? (r.http10 ? keep_alive_10_ : keep_alive_) : close_);
            if (!r.head) out.append(body_);
            if (!r.keep_alive) return {pos, true};
        }
        return {pos, false};
    }

    void refuse_oversized(example::byte_buffer& out) { error_response(out, 431); }
    void refuse_slow(example::byte_buffer& out) { error_response(out, 408); }

    /// Keeps the Date header current: a clock read per wake-up, a rebuild per second.
    void on_wake() {
        std::time_t now = std::time(nullptr);
        if (now == date_time_) return;
        date_time_ = now;
        std::tm tm{};
        ::gmtime_r(&now, &tm);
        char date[64];
        std::size_t n = std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);  // "C" locale
        date_.assign(date, n);
        auto head = [&](std::string_view connection) {
            std::string h = "HTTP/1.1 200 OK\r\nServer: mio-example\r\nDate: " + date_ +
                            "\r\nContent-Type: text/plain\r\nContent-Length: " + std::to_string(body_.size()) + "\r\n";
            h += connection;
            h += "\r\n";
            return h;
        };
        keep_alive_ = head("");
        keep_alive_10_ = head("Connection: keep-alive\r\n");
        close_ = head("Connection: close\r\n");
    }

private:
    static constexpr int incomplete = 0;

    struct request {
        bool http10 = false, keep_alive = true, head = false;
    };

    static bool is_tchar(char c) noexcept {
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
        return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    }
    static bool is_token(std::string_view s) noexcept {
        if (s.empty()) return false;
        for (char c : s)
            if (!is_tchar(c)) return false;
        return true;
    }
    static bool iequals(std::string_view a, std::string_view lower) noexcept {
        if (a.size() != lower.size()) return false;
        for (std::size_t i = 0; i < a.size(); ++i) {
            char c = a[i];
            if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + ('a' - 'A'));
            if (c != lower[i]) return false;
        }
        return true;
    }
    static std::string_view trim(std::string_view s) noexcept {
        while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
        while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
        return s;
    }

    // The next line at `pos` (without CRLF or a bare LF); false while no LF has come.
    static bool next_line(std::string_view in, std::size_t& pos, std::string_view& line) noexcept {
        std::size_t nl = in.find('\n', pos);
        if (nl == std::string_view::npos) return false;
        line = in.substr(pos, nl - pos);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        pos = nl + 1;
        return true;
    }

    // Parses one request at `pos`: 200 and `end` past its body when complete and acceptable,
    // `incomplete` (with `end` nonzero when the headers are complete but the body is not),
    // or the status to refuse it with.
    int parse(std::string_view in, std::size_t pos, request& r, std::size_t& end) const {
        const std::size_t start = pos;
        std::string_view line;
        do {  // empty lines before a request are tolerated (RFC 9112, 2.2)
            if (!next_line(in, pos, line)) return incomplete;
            if (pos - start > limits_.max_header) return 431;
        } while (line.empty());

        // request-line = method SP request-target SP HTTP-version
        std::size_t sp1 = line.find(' ');
        std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
        if (sp2 == std::string_view::npos) return 400;
        std::string_view method = line.substr(0, sp1), target = line.substr(sp1 + 1, sp2 - sp1 - 1),
                         version = line.substr(sp2 + 1);
        if (!is_token(method) || target.empty()) return 400;
        for (char c : target)
            if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return 400;
        if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || version[6] != '.' || version[5] < '0' ||
            version[5] > '9' || version[7] < '0' || version[7] > '9')
            return 400;
        if (version == "HTTP/1.0") r.http10 = true;
        else if (version != "HTTP/1.1") return 505;
        r.head = method == "HEAD";
        bool close = false, keep_alive = false, host = false, has_length = false;
        unsigned long long length = 0;

        for (;;) {
            if (!next_line(in, pos, line)) return incomplete;
            if (pos - start > limits_.max_header) return 431;
            if (line.empty()) break;
            if (line.front() == ' ' || line.front() == '\t') return 400;  // obsolete line folding
            std::size_t colon = line.find(':');
            if (colon == std::string_view::npos || !is_token(line.substr(0, colon))) return 400;
            std::string_view name = line.substr(0, colon), value = trim(line.substr(colon + 1));
            for (char c : value)
                if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f) return 400;
            if (iequals(name, "connection")) {
                // A comma-separated list of options.
                while (!value.empty()) {
                    std::size_t comma = value.find(',');
                    std::string_view option = trim(value.substr(0, comma));
                    if (iequals(option, "close")) close = true;
                    else if (iequals(option, "keep-alive")) keep_alive = true;
                    value = comma == std::string_view::npos ? std::string_view{} : value.substr(comma + 1);
                }
            } else if (iequals(name, "content-length")) {
                if (value.empty() || value.size() > 18) return value.empty() ? 400 : 413;
                unsigned long long v = 0;
                for (char c : value) {
                    if (c < '0' || c > '9') return 400;
                    v = v * 10 + static_cast<unsigned>(c - '0');
                }
                if (has_length && v != length) return 400;  // two lengths that disagree
                has_length = true;
                length = v;
            } else if (iequals(name, "transfer-encoding")) {
                return 501;
            } else if (iequals(name, "host")) {
                host = true;
            }
        }
        if (!r.http10 && !host) return 400;
        if (length > limits_.max_body) return 413;
        r.keep_alive = r.http10 ? keep_alive && !close : !close;
        end = pos + static_cast<std::size_t>(length);
        if (end > in.size()) return incomplete;  // the body has not all come yet
        return 200;
    }

    static std::string_view reason(int status) noexcept {
        switch (status) {
        case 400: return "Bad Request";
        case 408: return "Request Timeout";
        case 413: return "Content Too Large";
        case 431: return "Request Header Fields Too Large";
        case 501: return "Not Implemented";
        case 505: return "HTTP Version Not Supported";
        default: return "Error";
        }
    }

    void error_response(example::byte_buffer& out, int status) const {
        std::string_view why = reason(status);
        out.append("HTTP/1.1 ");
        out.append_number(status);
        out.append(" ");
        out.append(why);
        out.append("\r\nServer: mio-example\r\nDate: ");
        out.append(date_);
        out.append("\r\nContent-Type: text/plain\r\nContent-Length: ");
        out.append_number(static_cast<long long>(why.size() + 1));
        out.append("\r\nConnection: close\r\n\r\n");
        out.append(why);
        out.append("\n");
    }

    example::handled refuse(example::byte_buffer& out, int status, std::size_t pos) const {
        error_response(out, status);
        return {pos, true};
    }

    std::string body_;
    limits limits_;
    std::time_t date_time_ = 0;
    std::string date_, keep_alive_, keep_alive_10_, close_;
};

}  // namespace http
