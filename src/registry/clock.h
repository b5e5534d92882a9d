// Time for the client's retries and timeouts, injectable so that unit tests
// of backoff and Retry-After take no time (fake_transport.h has FakeClock).
#pragma once
#include <chrono>
#include <thread>

namespace dhg::registry {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::chrono::steady_clock::time_point Now() = 0;
  // Wall time, for a Retry-After given as an HTTP date.
  virtual std::chrono::system_clock::time_point WallNow() = 0;
  virtual void Sleep(std::chrono::milliseconds duration) = 0;
};

// The real clocks. (A step that must wake on SIGINT gives the client a clock
// whose Sleep is steps' InterruptibleSleep.)
class SystemClock : public Clock {
 public:
  std::chrono::steady_clock::time_point Now() override { return std::chrono::steady_clock::now(); }
  std::chrono::system_clock::time_point WallNow() override { return std::chrono::system_clock::now(); }
  void Sleep(std::chrono::milliseconds duration) override { std::this_thread::sleep_for(duration); }
};

}  // namespace dhg::registry
