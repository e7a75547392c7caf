// TcpConnection: framing, in-order pipelining, write back-pressure and the idle timeout.
#include "server/tcp_connection.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>
#include <ctime>
#include <utility>

#include "core/snapshot/zone_set.h"
#include "core/update/update_handler.h"
#include "core/util/socket_address.h"
#include "server/tcp_connections.h"
#include "server/update_job.h"

namespace tidal::server {
namespace {

uv_handle_t* as_handle(void* handle) {
    return static_cast<uv_handle_t*>(handle);
}

}  // namespace

TcpConnection::TcpConnection(WorkerState& state, TcpConnections& owner)
    : state_(state), owner_(owner) {}

void TcpConnection::open(uv_stream_t* server, uint64_t idle_timeout_ms, uint64_t io_timeout_ms,
                         TcpClientLimit* per_client) {
    begin_ = end_ = 0;
    reading_ = writing_ = eof_ = closing_ = updating_ = false;
    idle_timeout_ms_ = idle_timeout_ms;
    io_timeout_ms_ = io_timeout_ms;
    last_query_ms_ = uv_now(state_.loop);
    write_since_ms_ = partial_since_ms_ = 0;
    per_client_ = per_client;
    client_slot_ = TcpClientLimit::kNoSlot;

    uv_tcp_init(state_.loop, &stream_);
    uv_timer_init(state_.loop, &idle_timer_);
    stream_.data = this;
    idle_timer_.data = this;
    write_request_.data = this;
    open_handles_ = 2;

    if (uv_accept(server, reinterpret_cast<uv_stream_t*>(&stream_)) != 0) {
        close();
        return;
    }
    // The client's address decides what allow-transfer permits.
    int peer_size = sizeof(peer_);
    std::memset(&peer_, 0, sizeof(peer_));
    uv_tcp_getpeername(&stream_, reinterpret_cast<sockaddr*>(&peer_), &peer_size);
    const bool ip = peer_.ss_family == AF_INET || peer_.ss_family == AF_INET6;
    if (per_client_ != nullptr && ip) {
        // RFC 7766 §6.2.2 asks clients to keep few connections to a server; one address with
        // many is a resolver farm behind NAT at best, and an attempt to exhaust the workers'
        // connection caps at worst.
        client_slot_ = per_client_->acquire(reinterpret_cast<const sockaddr*>(&peer_));
        if (client_slot_ == TcpClientLimit::kNoSlot) {
            owner_.report_client_cap(reinterpret_cast<const sockaddr*>(&peer_));
            close();
            return;
        }
    }
    // Answers are written whole; do not hold back the tail of one waiting for an ACK.
    uv_tcp_nodelay(&stream_, 1);
    uv_timer_start(&idle_timer_, &TcpConnection::on_idle_timer, idle_timeout_ms_, 0);
    set_reading(true);
    if (!reading_) {
        close();
    }
}

void TcpConnection::close() {
    if (closing_) {
        return;
    }
    closing_ = true;
    reading_ = false;
    // A pending write is cancelled: on_write runs (UV_ECANCELED) before on_closed.
    uv_close(as_handle(&stream_), &TcpConnection::on_closed);
    uv_close(as_handle(&idle_timer_), &TcpConnection::on_closed);
}

void TcpConnection::on_closed(uv_handle_t* handle) {
    static_cast<TcpConnection*>(handle->data)->handle_done();
}

void TcpConnection::handle_done() {
    if (--open_handles_ == 0) {
        transfer_.reset();
        if (per_client_ != nullptr) {
            per_client_->release(client_slot_);
            client_slot_ = TcpClientLimit::kNoSlot;
        }
        owner_.release(this);  // may destroy this
    }
}

void TcpConnection::set_reading(bool on) {
    if (closing_ || on == reading_) {
        return;
    }
    auto* stream = reinterpret_cast<uv_stream_t*>(&stream_);
    if (on) {
        reading_ = uv_read_start(stream, &TcpConnection::on_alloc, &TcpConnection::on_read) == 0;
    } else {
        uv_read_stop(stream);
        reading_ = false;
    }
}

void TcpConnection::on_alloc(uv_handle_t* handle, size_t /*suggested*/, uv_buf_t* buf) {
    auto* self = static_cast<TcpConnection*>(handle->data);
    // Keep the unprocessed tail at the front so a whole frame always fits after it.
    if (self->begin_ > 0) {
        std::memmove(self->read_buf_, self->read_buf_ + self->begin_, self->end_ - self->begin_);
        self->end_ -= self->begin_;
        self->begin_ = 0;
    }
    // Never empty while reading: a full buffer holds a complete frame, and a complete frame is
    // answered before reading resumes.
    *buf = uv_buf_init(reinterpret_cast<char*>(self->read_buf_ + self->end_),
                       unsigned(kFrameBytes - self->end_));
}

void TcpConnection::on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* /*buf*/) {
    auto* self = static_cast<TcpConnection*>(stream->data);
    if (nread > 0) {
        self->end_ += size_t(nread);
        self->process();
    } else if (nread == UV_EOF) {
        // The client may half-close after its last query: still answer what it sent.
        self->eof_ = true;
        self->set_reading(false);
        self->process();
    } else if (nread < 0) {
        self->close();
    }
}

void TcpConnection::process() {
    if (transfer_ && !closing_ && !writing_ && !pump_transfer()) {
        set_reading(false);
        return;
    }
    while (!closing_ && !writing_ && !updating_) {
        const size_t available = end_ - begin_;
        if (available < 2) {
            break;
        }
        const uint8_t* frame = read_buf_ + begin_;
        const size_t length = size_t(frame[0]) << 8 | frame[1];
        if (length < kHeaderBytes) {
            close();  // not even a DNS header: the stream cannot be trusted to stay in step
            return;
        }
        if (available < 2 + length) {
            break;  // the rest of this message is still on its way
        }
        last_query_ms_ = uv_now(state_.loop);
        partial_since_ms_ = 0;  // a whole message arrived; the io timeout starts over
        if (xfr::is_transfer_request(frame + 2, length)) {
            start_transfer(frame + 2, length);
            begin_ += 2 + length;
            if (begin_ == end_) {
                begin_ = end_ = 0;
            }
            if (!pump_transfer()) {
                break;
            }
            continue;
        }
        if (update::is_update(frame + 2, length)) {
            const bool queued = start_update(frame + 2, length);
            begin_ += 2 + length;
            if (begin_ == end_) {
                begin_ = end_ = 0;
            }
            if (!queued) {
                close();
                return;
            }
            break;  // finish_update writes the answer and resumes
        }
        const size_t answer = state_.responder.respond(
            frame + 2, length, write_buf_ + 2, kMaxMessage, state_.zones.get(),
            query::Transport::Tcp, reinterpret_cast<const sockaddr*>(&peer_));
        begin_ += 2 + length;
        if (begin_ == end_) {
            begin_ = end_ = 0;
        }
        if (answer == 0) {
            close();
            return;
        }
        write_buf_[0] = uint8_t(answer >> 8);
        write_buf_[1] = uint8_t(answer & 0xff);
        if (!send(2 + answer)) {
            break;
        }
    }
    if (closing_) {
        return;
    }
    // Input left over while nothing else holds the loop up is an incomplete message: it must
    // arrive whole within the io timeout (slow-loris clients trickle octets to hold a worker).
    if (writing_ || updating_ || transfer_ || end_ == begin_) {
        partial_since_ms_ = 0;
    } else if (partial_since_ms_ == 0) {
        partial_since_ms_ = uv_now(state_.loop);
        arm_io_timer();
    }
    if (eof_) {
        if (!writing_ && !transfer_ && !updating_) {
            close();  // everything the client sent before its EOF is answered
        }
        return;
    }
    // Back-pressure: no new input while an answer, a transfer or an UPDATE is still going on.
    set_reading(!writing_ && !transfer_ && !updating_);
}

bool TcpConnection::send(size_t size) {
    auto* stream = reinterpret_cast<uv_stream_t*>(&stream_);
    uv_buf_t buf = uv_buf_init(reinterpret_cast<char*>(write_buf_), unsigned(size));
    const int written = uv_try_write(stream, &buf, 1);
    if (written >= 0 && size_t(written) == size) {
        return true;
    }
    if (written < 0 && written != UV_EAGAIN) {
        close();
        return false;
    }
    const size_t done = written > 0 ? size_t(written) : 0;
    buf = uv_buf_init(reinterpret_cast<char*>(write_buf_ + done), unsigned(size - done));
    if (uv_write(&write_request_, stream, &buf, 1, &TcpConnection::on_write) != 0) {
        close();
        return false;
    }
    writing_ = true;
    // The socket took less than the whole answer: the client is not reading fast enough. It
    // gets the io timeout to take the rest (a client that never reads cannot hold us longer).
    write_since_ms_ = uv_now(state_.loop);
    arm_io_timer();
    return false;
}

void TcpConnection::arm_io_timer() {
    if (io_timeout_ms_ == 0 || closing_) {
        return;
    }
    if (uv_timer_get_due_in(&idle_timer_) > io_timeout_ms_) {
        uv_timer_start(&idle_timer_, &TcpConnection::on_idle_timer, io_timeout_ms_, 0);
    }
}

void TcpConnection::on_write(uv_write_t* request, int status) {
    auto* self = static_cast<TcpConnection*>(request->data);
    self->writing_ = false;
    if (self->closing_) {
        return;
    }
    if (status < 0) {
        self->close();
        return;
    }
    self->process();
}

void TcpConnection::on_idle_timer(uv_timer_t* timer) {
    auto* self = static_cast<TcpConnection*>(timer->data);
    if (self->closing_) {
        return;
    }
    // The timer is re-armed lazily (here, not per message) to keep the hot path free of timer
    // heap updates. RFC 7766 §6.2.3: servers close idle connections to free their resources.
    const uint64_t now = uv_now(self->state_.loop);
    if (self->updating_) {
        self->last_query_ms_ = now;  // waiting for us is not idling
    }
    const uint64_t idle = now - self->last_query_ms_;
    if (idle >= self->idle_timeout_ms_) {
        self->close();
        return;
    }
    uint64_t next = self->idle_timeout_ms_ - idle;
    // The io timeout (Knot's tcp-io-timeout): one message in, or one answer out, at a time.
    const uint64_t io = self->io_timeout_ms_;
    for (const auto& [since, what] :
         {std::pair{self->writing_ ? self->write_since_ms_ : 0, "an answer it does not read"},
          std::pair{self->partial_since_ms_, "an incomplete query"}}) {
        if (io == 0 || since == 0) {
            continue;
        }
        const uint64_t waited = now - since;
        if (waited >= io) {
            spdlog::debug("TCP {}: closed after {} ms with {} (tcp-io-timeout)",
                          address_text(reinterpret_cast<const sockaddr*>(&self->peer_)), waited,
                          what);
            self->close();
            return;
        }
        next = std::min(next, io - waited);
    }
    uv_timer_start(timer, &TcpConnection::on_idle_timer, next, 0);
}

}  // namespace tidal::server

namespace tidal::server {

void TcpConnection::start_transfer(const uint8_t* message, size_t size) {
    transfer_ = std::make_unique<xfr::TransferSession>(state_.zones.get_shared(), message, size,
                                                       reinterpret_cast<const sockaddr*>(&peer_),
                                                       uint64_t(std::time(nullptr)));
}

bool TcpConnection::pump_transfer() {
    while (transfer_ && !closing_) {
        if (transfer_->needs_journal()) {
            // Reading the journal is SQLite work: off this loop, so queries keep flowing.
            journal_work_.data = this;
            ++open_handles_;
            if (uv_queue_work(state_.loop, &journal_work_, &TcpConnection::on_journal_read,
                              &TcpConnection::on_journal_ready) != 0) {
                --open_handles_;
                close();
            }
            return false;
        }
        const size_t size =
            transfer_->next(write_buf_ + 2, kMaxMessage, uint64_t(std::time(nullptr)));
        if (size == 0) {
            spdlog::info("{}", transfer_->describe());
            if (auto served = transfer_->served()) {
                state_.notifier.transfer_served(*served);
            }
            transfer_.reset();
            return true;
        }
        // An idle timeout must not cut a long transfer: sending counts as activity.
        last_query_ms_ = uv_now(state_.loop);
        write_buf_[0] = uint8_t(size >> 8);
        write_buf_[1] = uint8_t(size & 0xff);
        if (!send(2 + size)) {
            return false;
        }
    }
    return !closing_;
}

void TcpConnection::on_journal_read(uv_work_t* work) {
    static_cast<TcpConnection*>(work->data)->transfer_->load_journal();
}

void TcpConnection::on_journal_ready(uv_work_t* work, int /*status*/) {
    auto* self = static_cast<TcpConnection*>(work->data);
    if (self->closing_) {
        self->handle_done();  // may return the context to the pool
        return;
    }
    --self->open_handles_;
    self->process();
}

}  // namespace tidal::server

namespace tidal::server {

bool TcpConnection::start_update(const uint8_t* message, size_t size) {
    update::UpdateRequest request;
    request.zones = state_.zones.get_shared();
    request.message.assign(reinterpret_cast<const char*>(message), size);
    request.peer = peer_;
    request.tcp = true;
    // Like the journal read: the context stays ours until the work is done, even if closed.
    ++open_handles_;
    updating_ = true;
    if (!UpdateJob::start(state_.loop, std::move(request),
                          [this](std::string& answer) { finish_update(answer); })) {
        --open_handles_;
        updating_ = false;
        return false;
    }
    return true;
}

void TcpConnection::finish_update(const std::string& answer) {
    updating_ = false;
    if (closing_) {
        handle_done();  // may return the context to the pool
        return;
    }
    --open_handles_;
    last_query_ms_ = uv_now(state_.loop);
    if (answer.empty() || answer.size() > kMaxMessage) {
        close();
        return;
    }
    write_buf_[0] = uint8_t(answer.size() >> 8);
    write_buf_[1] = uint8_t(answer.size() & 0xff);
    std::memcpy(write_buf_ + 2, answer.data(), answer.size());
    (void)send(2 + answer.size());  // a pending write resumes process() from on_write
    if (!writing_) {
        process();
    }
}

}  // namespace tidal::server
