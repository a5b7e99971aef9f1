#pragma once

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

namespace vedkit {

// Makes batches 0..count-1 on worker threads, up to `ahead` batches in advance, and hands
// them out in order, so loading and augmentation overlap the model's work. An exception in
// a worker is rethrown by next().
template <typename Batch>
class ParallelLoader {
 public:
  ParallelLoader(int64_t count, std::function<Batch(int64_t)> make, int64_t workers, int64_t ahead)
      : count_(count), make_(std::move(make)), ahead_(std::max<int64_t>(ahead, workers)) {
    for (int64_t i = 0; i < std::max<int64_t>(1, workers); ++i) threads_.emplace_back([this] { work(); });
  }

  ~ParallelLoader() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    changed_.notify_all();
    for (auto& thread : threads_) thread.join();
  }

  ParallelLoader(const ParallelLoader&) = delete;
  ParallelLoader& operator=(const ParallelLoader&) = delete;

  bool done() const { return taken_ >= count_; }

  Batch next() {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [this] { return ready_.count(taken_) || error_; });
    if (error_) std::rethrow_exception(error_);
    Batch batch = std::move(ready_.at(taken_));
    ready_.erase(taken_++);
    changed_.notify_all();
    return batch;
  }

 private:
  void work() {
    while (true) {
      int64_t index;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        changed_.wait(lock, [this] { return stopping_ || (issued_ < count_ && issued_ < taken_ + ahead_); });
        if (stopping_) return;
        index = issued_++;
      }
      try {
        Batch batch = make_(index);
        std::lock_guard<std::mutex> lock(mutex_);
        ready_.emplace(index, std::move(batch));
      } catch (...) {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!error_) error_ = std::current_exception();
      }
      changed_.notify_all();
    }
  }

  int64_t count_;
  std::function<Batch(int64_t)> make_;
  int64_t ahead_;
  int64_t issued_ = 0, taken_ = 0;
  bool stopping_ = false;
  std::exception_ptr error_;
  std::map<int64_t, Batch> ready_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::thread> threads_;
};

}  // namespace vedkit
