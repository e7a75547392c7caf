// Result<T> and Status: errors as values at module boundaries, each carrying what went wrong and
// where.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace tidal {

// An error: a human-readable message that already names the what and the where
// (for files: "path:line: reason").
struct Error {
    std::string message;
};

// Either a value or an Error. Cheap to move; check ok() before value().
template <typename T>
class [[nodiscard]] Result {
  public:
    Result(T value) : state_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
    Result(Error error) : state_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

    bool ok() const { return std::holds_alternative<T>(state_); }
    explicit operator bool() const { return ok(); }

    T& value() & { return std::get<T>(state_); }
    const T& value() const& { return std::get<T>(state_); }
    T&& value() && { return std::get<T>(std::move(state_)); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }

    const Error& error() const { return std::get<Error>(state_); }

  private:
    std::variant<T, Error> state_;
};

// Success or an Error.
class [[nodiscard]] Status {
  public:
    Status() = default;
    Status(Error error) : error_(std::move(error.message)), failed_(true) {}  // NOLINT

    static Status success() { return {}; }
    bool ok() const { return !failed_; }
    explicit operator bool() const { return ok(); }
    Error error() const { return Error{error_}; }
    const std::string& message() const { return error_; }

  private:
    std::string error_;
    bool failed_ = false;
};

}  // namespace tidal
