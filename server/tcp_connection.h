// One DNS-over-TCP connection (RFC 7766): length-framed messages in, answers out, in order.
#pragma once

#include <uv.h>

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "core/xfr/transfer_session.h"
#include "server/tcp_client_limit.h"
#include "server/worker_state.h"

namespace tidal::server {

class TcpConnections;

// A connection context, pooled and reused by TcpConnections: both buffers are part of the object,
// so serving a connection allocates nothing. Worker thread only.
//
// Messages are answered one at a time in the order they arrive (RFC 7766 §6.2.1.1 allows
// out-of-order answers, but in-order is always correct): while an answer is being written the
// connection stops reading and processes the next buffered message after the write completes.
// A message may arrive split over many reads, or several in one read.
class TcpConnection {
  public:
    static constexpr size_t kMaxMessage = 65535;
    static constexpr size_t kFrameBytes =
        2 + kMaxMessage;  // 2-octet length prefix (RFC 1035 §4.2.2)
    static constexpr size_t kHeaderBytes = 12;

    TcpConnection(WorkerState& state, TcpConnections& owner);
    TcpConnection(const TcpConnection&) = delete;
    TcpConnection& operator=(const TcpConnection&) = delete;

    // Accepts the connection pending on server into this (closed) context and starts serving it.
    // On failure the context closes itself and later returns to its owner via release().
    // idle_timeout_ms: longest wait for the next query (RFC 7766 §6.2.3); io_timeout_ms: longest
    // time to receive one message once its first octet arrived, and to send one answer once the
    // socket stopped taking it (0 = no limit). per_client: the shared per-address cap, or
    // nullptr; a client over it is closed at once.
    void open(uv_stream_t* server, uint64_t idle_timeout_ms, uint64_t io_timeout_ms,
              TcpClientLimit* per_client);

    // Closes the connection (idempotent); owner.release(this) follows once libuv is done with it.
    void close();

    // Index in the owner's list of live connections, kept by the owner.
    size_t slot = 0;

  private:
    static void on_alloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf);
    static void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
    static void on_write(uv_write_t* request, int status);
    static void on_idle_timer(uv_timer_t* timer);
    static void on_closed(uv_handle_t* handle);
    static void on_journal_read(uv_work_t* work);
    static void on_journal_ready(uv_work_t* work, int status);
    // Hands an UPDATE to the thread pool (update_job.h); false when it could not be queued.
    bool start_update(const uint8_t* message, size_t size);
    // The UPDATE's answer is ready (loop thread): write it, then go on with the next message.
    void finish_update(const std::string& answer);

    // Answers every complete buffered message it can, then sets reading on or off.
    void process();
    // Writes one framed answer of `size` octets from write_buf_. Returns true when it was written
    // at once; false when a write is pending or the connection was closed.
    bool send(size_t size);
    void set_reading(bool on);
    // Makes the timer fire within the io timeout (a message started arriving, or a write is
    // waiting for the socket); the timer is otherwise armed lazily for the idle timeout.
    void arm_io_timer();
    // Starts a zone transfer for the request in frame (AXFR/IXFR: many answer messages).
    void start_transfer(const uint8_t* message, size_t size);
    // Sends transfer messages until one must wait for the socket; false while it goes on.
    bool pump_transfer();
    // One of the handles (or the journal read) is done; the last one returns the context.
    void handle_done();

    WorkerState& state_;
    TcpConnections& owner_;
    uv_tcp_t stream_{};
    uv_timer_t idle_timer_{};
    uv_write_t write_request_{};
    uv_work_t journal_work_{};
    std::unique_ptr<xfr::TransferSession> transfer_;
    sockaddr_storage peer_{};
    uint64_t idle_timeout_ms_ = 0;
    uint64_t io_timeout_ms_ = 0;
    uint64_t last_query_ms_ = 0;     // loop time of the last complete message (or of accept)
    uint64_t write_since_ms_ = 0;    // when the pending write started waiting for the socket
    uint64_t partial_since_ms_ = 0;  // when the incomplete message at begin_ started; 0: none
    TcpClientLimit* per_client_ = nullptr;
    uint32_t client_slot_ = TcpClientLimit::kNoSlot;  // our place in per_client_'s count
    size_t begin_ = 0;  // unprocessed input is read_buf_[begin_, end_)
    size_t end_ = 0;
    int open_handles_ = 0;
    bool reading_ = false;
    bool writing_ = false;
    bool eof_ = false;
    bool closing_ = false;
    bool updating_ = false;  // an UPDATE is being handled: later messages wait (in order)
    uint8_t read_buf_[kFrameBytes];
    uint8_t write_buf_[kFrameBytes];
};

}  // namespace tidal::server
