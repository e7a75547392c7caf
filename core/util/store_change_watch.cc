// StoreChangeWatch: one inotify watch on the database's directory.
#include "core/util/store_change_watch.h"

#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace tidal {

StoreChangeWatch::~StoreChangeWatch() {
    if (fd_ >= 0) {
        ::close(fd_);
    }
}

Status StoreChangeWatch::open(const std::string& database_path) {
    const std::filesystem::path path(database_path);
    std::string directory = path.parent_path().string();
    if (directory.empty()) {
        directory = ".";
    }
    database_name_ = path.filename().string();
    const int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd < 0) {
        return Error{"inotify_init1: " + std::string(std::strerror(errno))};
    }
    // IN_ATTRIB: the commit signal, a timestamp touch of the database file;
    // IN_CLOSE_WRITE: a writer such as tidalctl closing the file after its commit;
    // IN_CREATE / IN_MOVED_TO: a database that appears.
    if (inotify_add_watch(fd, directory.c_str(),
                          IN_ATTRIB | IN_CLOSE_WRITE | IN_CREATE | IN_MOVED_TO) < 0) {
        const std::string why = std::strerror(errno);
        ::close(fd);
        return Error{"inotify watch on " + directory + ": " + why};
    }
    if (fd_ >= 0) {
        ::close(fd_);
    }
    fd_ = fd;
    return Status::success();
}

StoreEvents StoreChangeWatch::drain() {
    StoreEvents events;
    if (fd_ < 0) {
        return events;
    }
    alignas(inotify_event) char buffer[8192];
    for (int round = 0; round < 64; ++round) {  // bounded: a write storm cannot hold the loop
        const ssize_t n = ::read(fd_, buffer, sizeof buffer);
        if (n <= 0) {
            break;
        }
        for (ssize_t at = 0; at + ssize_t(sizeof(inotify_event)) <= n;) {
            inotify_event event{};
            std::memcpy(&event, buffer + at, sizeof event);
            if (event.len > 0) {
                const char* name = buffer + at + sizeof(inotify_event);
                const std::string file(name, strnlen(name, event.len));
                if (file == database_name_ && (event.mask & IN_ATTRIB) != 0) {
                    events.committed = true;
                } else if (file == database_name_ || file == database_name_ + "-wal") {
                    events.written = events.written || (event.mask & IN_ATTRIB) == 0;
                }
            }
            if (event.mask & IN_Q_OVERFLOW) {
                events.written = true;  // events were lost: look, and look again
            }
            at += ssize_t(sizeof(inotify_event) + event.len);
        }
    }
    return events;
}

}  // namespace tidal
